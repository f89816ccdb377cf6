// Numbers tab: the tenant's numbers, the hotline's name agents see on
// the screen pop, the flow each one answers with, its schedule routes
// (the first open schedule wins, else the flow) and whether it is
// enabled. The platform operator assigns numbers to tenants.
import { errorText, formatTime, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, apiKeep, badge, bindForm, checkRequired, el, field,
	fillSelect, formActions, formError, linkButton, listAll, refusedText,
	showErrors, tabPage, tableBlock, td, toggleForm, tx } from './ui.js';
import { regionsPanel } from './regions.js';

let table;
let form;
let flows = [];
let schedules = [];
let editing = null;

const nameOf = (list, key, id) =>
	list.find((x) => x[key] === id)?.name || id || '—';
const flowName = (id) => (id ? nameOf(flows, 'flow_id', id) :
	t('numbers.no_flow'));

function routesText(routes) {
	return (routes || []).map((r) => `${nameOf(schedules, 'schedule_id',
		r.schedule_id)} → ${flowName(r.flow_id)}`).join('；') || '—';
}

async function setEnabled(n, enabled) {
	try {
		const nn = await api('PATCH', `/numbers/${encodeURIComponent(
			n.number_id)}`, { enabled });
		table.update('number_id', { ...n, ...nn });
	} catch (err) {
		toast(errorText(err));
	}
}

function row(n) {
	return el('tr', { dataset: { numberId: n.number_id, number: n.number } },
		td(n.number, 'mono'), td(n.label || '—'),
		td(flowName(n.flow_id)), td(routesText(n.routes)),
		el('td', {}, n.enabled === false ?
			badge(t('numbers.disabled'), 'off') :
			badge(t('numbers.active'))),
		td(formatTime(n.updated_at || n.created_at)),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => openEdit(n)),
			linkButton(t(n.enabled === false ? 'numbers.enable' :
				'numbers.disable'), () => setEnabled(n, n.enabled === false))));
}

function flowOptions(noneKey) {
	return [['', noneKey, true],
		...flows.map((f) => [f.flow_id, f.name])];
}

function routeRow(r = {}) {
	const sch = el('select', { class: 'schedule', required: true });
	fillSelect(sch, schedules.map((s) => [s.schedule_id, s.name]));
	if (r.schedule_id)
		sch.value = r.schedule_id;
	const flow = el('select', { class: 'flow', required: true });
	fillSelect(flow, flows.map((f) => [f.flow_id, f.name]));
	if (r.flow_id)
		flow.value = r.flow_id;
	const li = el('li', { class: 'range-row' }, tx('span', 'numbers.when'),
		sch, tx('span', 'numbers.use_flow'), flow);
	const move = (d) => {
		const sib = d < 0 ? li.previousElementSibling :
			li.nextElementSibling;
		if (sib)
			(d < 0 ? sib.before(li) : sib.after(li));
	};
	li.append(
		el('button', { type: 'button', class: 'link', onclick: () => move(-1),
			'data-i18n-aria-label': 'numbers.up', 'aria-label':
			t('numbers.up') }, '↑'),
		el('button', { type: 'button', class: 'link', onclick: () => move(1),
			'data-i18n-aria-label': 'numbers.down', 'aria-label':
			t('numbers.down') }, '↓'),
		tx('button', 'common.remove', { type: 'button', class: 'link danger',
			onclick: () => li.remove() }));
	return li;
}

async function openEdit(n) {
	await loadNames();
	editing = n;
	toggleForm(form, true);
	form.querySelector('[data-number]').textContent = n.number;
	form.elements.namedItem('label').value = n.label || '';
	const sel = form.elements.namedItem('flow_id');
	fillSelect(sel, flowOptions('numbers.no_flow'));
	sel.value = n.flow_id || '';
	form.elements.namedItem('enabled').checked = n.enabled !== false;
	form.querySelector('.routes').replaceChildren(
		...(n.routes || []).map(routeRow));
	const none = !schedules.length || !flows.length;
	form.querySelector('[data-add]').disabled = none;
	form.querySelector('[data-routes-need]').hidden = !none;
	form.scrollIntoView({ block: 'nearest' });
}

async function submit(ev) {
	ev.preventDefault();
	const routes = [...form.querySelectorAll('.routes li')].map((li) => ({
		schedule_id: li.querySelector('.schedule').value,
		flow_id: li.querySelector('.flow').value,
	}));
	const body = {
		label: form.elements.namedItem('label').value.trim(),
		flow_id: form.elements.namedItem('flow_id').value || null,
		routes,
		enabled: form.elements.namedItem('enabled').checked,
	};
	const btn = form.querySelector('[type=submit]');
	btn.disabled = true;
	try {
		const nn = await api('PATCH', `/numbers/${encodeURIComponent(
			editing.number_id)}`, body);
		table.update('number_id', { ...editing, ...body, ...nn });
		toggleForm(form, false);
		toast(t('numbers.saved', { number: editing.number }));
	} catch (err) {
		showErrors(form, err);
	} finally {
		btn.disabled = false;
	}
}

function buildForm() {
	const f = el('form', { id: 'number-form', class: 'panel-form',
		novalidate: true, hidden: true },
	el('h3', { 'data-number': true, class: 'mono' }), formError(),
	el('div', { class: 'form-grid' },
		field('numbers.label', el('input', { id: 'nf-label', name: 'label',
			maxlength: '64', autocomplete: 'off' }), 'numbers.label_hint'),
		field('numbers.default_flow', el('select', { id: 'nf-flow',
			name: 'flow_id' }), 'numbers.default_flow_hint'),
		el('div', { class: 'field' }, el('label', { class: 'check' },
			el('input', { type: 'checkbox', name: 'enabled',
				id: 'nf-enabled' }), tx('span', 'numbers.enabled')))),
	tx('h3', 'numbers.routes'),
	tx('p', 'numbers.routes_hint', { class: 'hint' }),
	el('ol', { class: 'rows routes' }),
	tx('p', 'numbers.routes_need', { class: 'hint', 'data-routes-need':
		true, hidden: true }),
	el('div', { class: 'error', 'data-error-for': 'routes' }),
	tx('button', 'numbers.add_route', { type: 'button', 'data-add': true,
		onclick: () => f.querySelector('.routes').append(routeRow()) }),
	formActions('common.save'));
	f.querySelector('[data-cancel]').addEventListener('click',
		() => toggleForm(f, false));
	f.addEventListener('submit', submit);
	return f;
}

/* Flow and schedule names for the cells and selects; a tenant without
 * them yet (or an API not answering) just shows ids. */
async function loadNames() {
	[flows, schedules] = await Promise.all([
		listAll('/flows').catch(() => []),
		listAll('/schedules').catch(() => []),
	]);
}

/** Wire the numbers tab. @return the tab's table. */
export function initNumbers(onError) {
	form = buildForm();
	const section = tabPage('numbers', { titleKey: 'tab.numbers',
		body: [form, ...tableBlock('numbers-table', ['numbers.number',
			'numbers.label', 'numbers.default_flow', 'numbers.routes', 'numbers.status',
			'common.updated_at', ''])] });
	table = new PagedTable(section, { path: () => '/numbers', row,
		onError });
	regionsPanel(section, onError);
	const reload = table.reload.bind(table);
	table.reload = async () => {
		await loadNames();
		return reload();
	};
	return table;
}

/* --- the platform operator: assign numbers to tenants ------------------- */

let tenants = [];
let trunks = [];

async function unassign(n) {
	if (!window.confirm(t('numbers.confirm_unassign', { number: n.number })))
		return;
	try {
		await apiKeep('DELETE', `/numbers/${encodeURIComponent(
			n.number_id)}`);
		table.reload();
	} catch (err) {
		toast(refusedText(err));
	}
}

function opRow(n) {
	return el('tr', { dataset: { numberId: n.number_id, number: n.number } },
		td(n.number, 'mono'), td(n.label || '—'),
		td(nameOf(tenants, 'tenant_id', n.tenant_id)),
		td(n.trunk_id ? nameOf(trunks, 'trunk_id', n.trunk_id) :
			t('numbers.any_trunk')),
		el('td', {}, n.enabled === false ?
			badge(t('numbers.disabled'), 'off') :
			badge(t('numbers.active'))),
		td(formatTime(n.created_at)),
		el('td', { class: 'actions' }, linkButton(t('numbers.unassign'),
			() => unassign(n), 'danger')));
}

async function assign(f) {
	if (!checkRequired(f))
		return;
	const body = { number: f.elements.namedItem('number').value.trim(),
		tenant_id: f.elements.namedItem('tenant_id').value };
	const trunk = f.elements.namedItem('trunk_id').value;
	if (trunk)
		body.trunk_id = trunk;
	const label = f.elements.namedItem('label').value.trim();
	if (label)
		body.label = label;
	await api('POST', '/numbers', body,
		{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	toggleForm(f, false);
	toast(t('numbers.assigned', { number: body.number }));
	await table.reload();
}

function buildAssignForm() {
	const f = el('form', { id: 'assign-form', class: 'panel-form',
		novalidate: true, hidden: true, 'data-conflict-field': 'number' },
	formError(),
	el('div', { class: 'form-grid' },
		field('numbers.number', el('input', { id: 'af-number',
			name: 'number', required: true, inputmode: 'tel',
			autocomplete: 'off', maxlength: '40' }), 'numbers.number_hint'),
		field('numbers.tenant', el('select', { id: 'af-tenant',
			name: 'tenant_id', required: true })),
		field('numbers.trunk', el('select', { id: 'af-trunk',
			name: 'trunk_id' })),
		field('numbers.label', el('input', { id: 'af-label', name: 'label',
			maxlength: '64', autocomplete: 'off' }), 'numbers.label_hint')),
	formActions('numbers.assign'));
	return f;
}

/** Wire the operator's numbers tab. @return the tab's table. */
export function initOperatorNumbers(onError) {
	const f = buildAssignForm();
	const newBtn = tx('button', 'numbers.assign_new', { type: 'button',
		class: 'primary', id: 'numbers-assign' });
	const section = tabPage('numbers', { titleKey: 'tab.numbers',
		tools: [newBtn],
		body: [f, ...tableBlock('numbers-table', ['numbers.number',
			'numbers.label', 'numbers.tenant', 'numbers.trunk', 'numbers.status',
			'common.created_at', ''])] });
	table = new PagedTable(section, { path: () => '/numbers', row: opRow,
		onError });
	bindForm(f, newBtn, assign);
	const reload = table.reload.bind(table);
	table.reload = async () => {
		[tenants, trunks] = await Promise.all([
			listAll('/tenants').catch(() => []),
			listAll('/trunks').catch(() => [])]);
		fillSelect(f.elements.namedItem('tenant_id'), tenants.map((x) =>
			[x.tenant_id, `${x.name} (${x.code})`]));
		fillSelect(f.elements.namedItem('trunk_id'), [['',
			'numbers.any_trunk', true], ...trunks.map((x) =>
			[x.trunk_id, x.name])]);
		return reload();
	};
	return table;
}
