// Ticket types tab (业务类型): each type's workflow — its states in order
// (one initial, some final) and the transitions allowed between them,
// edited as a list of states and a from → to grid. The server checks the
// workflow and names the state of any error; a state tickets are in
// cannot be removed (409).
import { errorText, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, bindForm, el, field, formActions, formError,
	linkButton, tabPage, tableBlock, td, toggleForm, tx } from './ui.js';

let table;
let form;
let statesBox;
let gridBox;
let states = [];          /* [{key, label, initial, final}] being edited */
let edges = new Set();    /* "from>to" */

const typePath = (y) => `/ticket-types/${encodeURIComponent(y.type_id)}`;

function stateRow(s, i) {
	const upd = (k) => (e) => {
		s[k] = e.target.type === 'checkbox' || e.target.type === 'radio' ?
			e.target.checked : e.target.value.trim();
		if (k === 'initial')
			states.forEach((x, j) => { x.initial = j === i; });
		if (k === 'key' || k === 'label')
			paintGrid();
	};
	return el('div', { class: 'state-row', dataset: { index: String(i) } },
		el('input', { name: `states[${i}].key`, value: s.key,
			placeholder: t('tickettypes.key'), maxlength: '32',
			oninput: upd('key'), 'aria-label': t('tickettypes.key') }),
		el('input', { name: `states[${i}].label`, value: s.label,
			placeholder: t('tickettypes.label'), maxlength: '32',
			oninput: upd('label'), 'aria-label': t('tickettypes.label') }),
		el('label', { class: 'check' }, el('input', { type: 'radio',
			name: 'initial', checked: s.initial, onchange: upd('initial') }),
		t('tickettypes.initial')),
		el('label', { class: 'check' }, el('input', { type: 'checkbox',
			checked: s.final, onchange: upd('final') }),
		t('tickettypes.final')),
		linkButton(t('tickettypes.remove'), () => {
			states.splice(i, 1);
			paint();
		}, 'danger'));
}

/* One line per state: the states it may go to, as checkboxes. */
function paintGrid() {
	const keys = states.map((s) => s.key).filter(Boolean);
	for (const e of [...edges]) {
		const [a, b] = e.split('>');
		if (!keys.includes(a) || !keys.includes(b))
			edges.delete(e);
	}
	gridBox.replaceChildren(...states.filter((s) => s.key).map((s) =>
		el('div', { class: 'edge-row', dataset: { from: s.key } },
			el('span', { class: 'hint' }, t('tickettypes.from_to',
				{ from: s.label || s.key })),
			...states.filter((x) => x.key && x.key !== s.key).map((x) =>
				el('label', { class: 'check' }, el('input', { type: 'checkbox',
					dataset: { to: x.key },
					checked: edges.has(`${s.key}>${x.key}`),
					onchange: (e) => (e.target.checked ?
						edges.add(`${s.key}>${x.key}`) :
						edges.delete(`${s.key}>${x.key}`)) }),
				x.label || x.key)))));
}

function paint() {
	statesBox.replaceChildren(...states.map(stateRow));
	paintGrid();
}

function openEdit(y) {
	toggleForm(form, true);
	form.dataset.id = y?.type_id || '';
	form.elements.namedItem('name').value = y?.name || '';
	states = (y?.states || [{ key: 'new', label: '新建', initial: true,
		final: false }, { key: 'closed', label: '已关闭', initial: false,
		final: true }]).map((s) => ({ ...s }));
	edges = new Set((y?.transitions || [{ from: 'new', to: 'closed' }])
		.map((x) => `${x.from}>${x.to}`));
	paint();
}

async function patch(y, body) {
	try {
		table.update('type_id', await api('PATCH', typePath(y), body));
	} catch (err) {
		toast(errorText(err));
	}
}

function row(y) {
	const flow = y.transitions.map((x) => {
		const l = (k) => y.states.find((s) => s.key === k)?.label || k;
		return `${l(x.from)}→${l(x.to)}`;
	}).join('，');
	return el('tr', { dataset: { typeId: y.type_id, name: y.name } },
		td(y.name),
		el('td', {}, ...y.states.map((s) => badge(s.label, s.final ? 'off' :
			s.initial ? 'on' : ''))),
		td(flow, 'hint'),
		el('td', {}, y.enabled ? badge(t('tickettypes.enabled')) :
			badge(t('tickettypes.disabled'), 'off')),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => openEdit(y)),
			linkButton(t(y.enabled ? 'reasons.disable' : 'reasons.enable'),
				() => patch(y, { enabled: !y.enabled }))));
}

async function submit() {
	const id = form.dataset.id;
	const body = { name: form.elements.namedItem('name').value.trim(),
		states: states.map((s) => ({ key: s.key, label: s.label,
			initial: !!s.initial, final: !!s.final })),
		transitions: [...edges].map((e) => {
			const [from, to] = e.split('>');
			return { from, to };
		}) };
	if (id)
		await api('PATCH', `/ticket-types/${encodeURIComponent(id)}`, body);
	else
		await api('POST', '/ticket-types', body,
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

/** Wire the ticket types tab. @return the tab's table. */
export function initTicketTypes(onError) {
	statesBox = el('div', { class: 'states', id: 'tt-states' });
	gridBox = el('div', { class: 'edges', id: 'tt-edges' });
	form = el('form', { id: 'tickettype-form', class: 'panel-form',
		novalidate: true, hidden: true },
	formError(),
	field('tickettypes.name', el('input', { id: 'ttf-name', name: 'name',
		required: true, maxlength: '64', autocomplete: 'off' })),
	tx('h3', 'tickettypes.states'), statesBox,
	tx('button', 'tickettypes.add_state', { type: 'button',
		id: 'tt-add-state', onclick: () => {
			states.push({ key: '', label: '', initial: !states.length,
				final: false });
			paint();
		} }),
	tx('h3', 'tickettypes.transitions'), gridBox,
	formActions('common.save'));
	const newBtn = tx('button', 'tickettypes.new', { type: 'button',
		class: 'primary', id: 'tickettypes-new' });
	const section = tabPage('tickettypes', {
		titleKey: 'tab.tickettypes', tools: [newBtn],
		body: [tx('p', 'tickettypes.hint', { class: 'hint' }), form,
			...tableBlock('tickettypes-table', ['tickettypes.name',
				'tickettypes.states', 'tickettypes.transitions',
				'reasons.status', ''])] });
	table = new PagedTable(section, { path: () => '/ticket-types', row,
		onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden || form.dataset.id ?
		openEdit(null) : toggleForm(form, false)));
	return table;
}
