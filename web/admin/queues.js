// Queues tab: where callers wait for an agent. Every setting of a queue
// with its help text, the skills its members need, and routes that send
// callers elsewhere by time or region. IVR flows name a queue by name.
import { errorText, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, bindForm, checkRequired, el, field, fillSelect,
	formActions, formError, linkButton, listAll, select, tabPage,
	tableBlock, td, toggleForm, tx } from './ui.js';

let table;
let form;
const refs = { skills: [], queues: [], schedules: [], boxes: [], nodes: [],
	prompts: [], builtins: [] };

const STRATEGIES = ['longest_idle', 'round_robin', 'fewest_calls',
	'ring_all', 'top_down'];
const OVERFLOWS = ['hangup', 'voicemail', 'queue', 'ivr'];
const JOIN_EMPTY = ['logged_in', 'ready', 'always'];

/*
 * The settings as the form shows them, in groups: [name, kind, extra].
 * kind: text, int ([min, max]), enum (values), bool, prompt, target.
 * Labels are queues.f.<name>, help texts queues.h.<name>.
 */
const GROUPS = [
	['basic', [['name', 'text', { required: true, maxlength: '64' }],
		['label', 'text', { maxlength: '100' }],
		['strategy', 'enum', STRATEGIES], ['priority', 'int', [0, 100]]]],
	['ringing', [['ring_timeout_s', 'int', [5, 300]],
		['wrapup_s', 'int', [0, 3600]], ['miss_limit', 'int', [0, 10]]]],
	['waiting', [['max_wait_s', 'int', [0, 86400]],
		['max_length', 'int', [0, 100000]],
		['join_empty', 'enum', JOIN_EMPTY], ['leave_empty', 'bool'],
		['hold_music', 'prompt'], ['announce_every_s', 'int', [0, 600]],
		['announce_position', 'bool'], ['announce_wait', 'bool'],
		['announce_work_no', 'bool']]],
	['overflow', [['overflow_action', 'enum', OVERFLOWS],
		['overflow_target', 'target'], ['overflow_prompt', 'prompt']]],
	['service', [['sl_threshold_s', 'int', [1, 3600]], ['survey', 'bool'],
		['sticky_days', 'int', [0, 365]],
		['sticky_wait_s', 'int', [0, 300]]]],
];

const DEFAULTS = { strategy: 'longest_idle', priority: 0,
	ring_timeout_s: 20, wrapup_s: 10, max_wait_s: 0, max_length: 0,
	overflow_action: 'hangup', overflow_target: '', join_empty: 'logged_in',
	leave_empty: false, sl_threshold_s: 20, announce_every_s: 30,
	announce_position: true, announce_wait: true, announce_work_no: true,
	survey: false, sticky_days: 0, sticky_wait_s: 0, miss_limit: 1 };

const queuePath = (x) => `/queues/${encodeURIComponent(x.queue_id)}`;
const ctl = (name) => form.elements.namedItem(name);

async function remove(x) {
	if (!window.confirm(t('queues.confirm_delete', { name: x.name })))
		return;
	try {
		await api('DELETE', queuePath(x));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function overflowText(x) {
	const a = t(`queues.overflow_action.${x.overflow_action}`);
	if (x.overflow_action === 'queue') {
		const q = refs.queues.find((y) => y.queue_id === x.overflow_target);
		return `${a} → ${q?.name || x.overflow_target}`;
	}
	return x.overflow_target ? `${a} → ${x.overflow_target}` : a;
}

function row(x) {
	return el('tr', { dataset: { queueId: x.queue_id, name: x.name } },
		td(x.name, 'mono'), td(x.label || '—'),
		td(t(`queues.strategy.${x.strategy}`)),
		td(x.skills.map((k) => k.name).join('，') || '—'),
		td(overflowText(x)),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => openEdit(x)),
			linkButton(t('common.delete'), () => remove(x), 'danger')));
}

/* --- controls ----------------------------------------------------------- */

function promptOptions() {
	return [['', 'queues.prompt_default', true],
		...refs.builtins.map((b) => [`builtin/${b.name}`,
			`${t('queues.builtin')} · ${b.name}`]),
		...refs.prompts.map((p) => [p.prompt_id, p.name])];
}

/* What overflow_target may name depends on overflow_action. */
function targetOptions(action) {
	const self = form.dataset.id;
	if (action === 'voicemail')
		return refs.boxes.map((b) => [b.name, b.name]);
	if (action === 'queue') {
		return refs.queues.filter((q) => q.queue_id !== self)
			.map((q) => [q.queue_id, q.label ? `${q.name} (${q.label})` :
				q.name]);
	}
	if (action === 'ivr')
		return refs.nodes.map(([node, flow]) => [node, `${flow} · ${node}`]);
	return [];
}

function showTarget() {
	const action = ctl('overflow_action').value;
	const sel = ctl('overflow_target');
	const keep = sel.dataset.want || sel.value;
	fillSelect(sel, [['', 'queues.pick', true], ...targetOptions(action)]);
	if ([...sel.options].some((o) => o.value === keep))
		sel.value = keep;
	form.querySelector('[data-target]').hidden = action === 'hangup';
	delete sel.dataset.want;
}

function control(name, kind, extra) {
	const id = `qf-${name}`;
	if (kind === 'bool') {
		return el('div', { class: 'field' },
			el('label', { class: 'check' }, el('input', { type: 'checkbox',
				id, name }), tx('span', `queues.f.${name}`)),
			tx('div', `queues.h.${name}`, { class: 'hint' }),
			el('div', { class: 'error', 'data-error-for': name }));
	}
	let c;
	if (kind === 'enum') {
		c = select({ id, name }, extra.map((v) => [v,
			`queues.${name}.${v}`, true]));
	}
	else if (kind === 'prompt' || kind === 'target')
		c = el('select', { id, name });
	else if (kind === 'int') {
		c = el('input', { id, name, type: 'number', step: '1',
			min: String(extra[0]), max: String(extra[1]) });
	}
	else
		c = el('input', { id, name, autocomplete: 'off', ...extra });
	const f = field(`queues.f.${name}`, c, `queues.h.${name}`);
	if (kind === 'target')
		f.dataset.target = '1';
	return f;
}

/* --- skills and routes -------------------------------------------------- */

function skillChecks(have) {
	const box = form.querySelector('[data-skills]');
	box.replaceChildren(...refs.skills.map((k) => el('label',
		{ class: 'check' }, el('input', { type: 'checkbox', 'data-skill':
			k.skill_id, checked: have.some((h) => h.skill_id ===
			k.skill_id) }), el('span', {}, k.name))));
	if (!refs.skills.length)
		box.append(tx('p', 'queues.no_skills', { class: 'hint' }));
}

function routeRow(r) {
	const sched = select({ 'data-route-schedule': true, 'aria-label':
		t('queues.route_schedule') }, [['', 'queues.route_any_time', true],
		...refs.schedules.map((s) => [s.schedule_id, s.name])]);
	sched.value = r?.schedule_id || '';
	const regions = el('input', { 'data-route-regions': true,
		placeholder: t('queues.route_regions_ph'),
		'aria-label': t('queues.route_regions'),
		value: (r?.regions || []).join('，') });
	const target = select({ 'data-route-queue': true, 'aria-label':
		t('queues.route_queue') }, [['', 'queues.pick', true],
		...refs.queues.filter((q) => q.queue_id !== form.dataset.id)
			.map((q) => [q.queue_id, q.name])]);
	target.value = r?.queue_id || '';
	const line = el('div', { class: 'route-row' }, sched, regions,
		tx('span', 'queues.route_to'), target);
	line.append(linkButton(t('common.remove'), () => line.remove(),
		'danger'));
	return line;
}

function routesBody() {
	return [...form.querySelectorAll('.route-row')].map((line) => {
		const r = { queue_id: line.querySelector('[data-route-queue]')
			.value };
		const s = line.querySelector('[data-route-schedule]').value;
		const regions = line.querySelector('[data-route-regions]').value
			.split(/[,，、\s]+/).filter(Boolean);
		if (s)
			r.schedule_id = s;
		if (regions.length)
			r.regions = regions;
		return r;
	});
}

/* --- the form ----------------------------------------------------------- */

/* An IVR overflow goes back to a node of the flow the call came from:
 * the node ids of the tenant's flows, [node, flow name]. */
async function flowNodes() {
	const flows = await listAll('/flows').catch(() => []);
	const graphs = await Promise.all(flows.map((f) => api('GET',
		`/flows/${encodeURIComponent(f.flow_id)}`).catch(() => null)));
	const seen = new Set();
	const out = [];
	for (const g of graphs) {
		for (const node of Object.keys(g?.graph?.nodes || {})) {
			if (!seen.has(node)) {
				seen.add(node);
				out.push([node, g.name]);
			}
		}
	}
	return out;
}

async function loadRefs() {
	const quiet = (p) => p.catch(() => []);
	[refs.skills, refs.queues, refs.schedules, refs.boxes, refs.nodes,
		refs.prompts] = await Promise.all([quiet(listAll('/skills')),
		quiet(listAll('/queues')), quiet(listAll('/schedules')),
		quiet(listAll('/voicemail/boxes')), flowNodes(),
		quiet(listAll('/prompts'))]);
	refs.builtins = await api('GET', '/prompts/builtin')
		.then((r) => r.items || []).catch(() => []);
}

async function openEdit(x) {
	await loadRefs();
	toggleForm(form, true);
	form.dataset.id = x?.queue_id || '';
	const v = { ...DEFAULTS, ...(x || {}) };
	for (const [, items] of GROUPS) {
		for (const [name, kind] of items) {
			const c = ctl(name);
			if (kind === 'bool')
				c.checked = !!v[name];
			else if (kind === 'prompt') {
				fillSelect(c, promptOptions());
				c.value = v[name] || '';
			}
			else if (kind !== 'target')
				c.value = v[name] === undefined ? '' : String(v[name]);
		}
	}
	ctl('overflow_target').dataset.want = v.overflow_target || '';
	showTarget();
	skillChecks(x?.skills || []);
	form.querySelector('[data-routes]').replaceChildren(
		...(x?.routes || []).map(routeRow));
	form.scrollIntoView({ block: 'nearest' });
}

function body() {
	const b = {};
	for (const [, items] of GROUPS) {
		for (const [name, kind] of items) {
			const c = ctl(name);
			if (kind === 'bool')
				b[name] = c.checked;
			else if (kind === 'int')
				b[name] = Number(c.value || 0);
			else if (kind === 'prompt')
				b[name] = c.value || null;
			else
				b[name] = c.value.trim();
		}
	}
	if (b.overflow_action === 'hangup')
		b.overflow_target = '';
	b.skills = [...form.querySelectorAll('[data-skill]')]
		.filter((c) => c.checked).map((c) => c.dataset.skill);
	b.routes = routesBody();
	return b;
}

async function submit() {
	if (!checkRequired(form))
		return;
	const id = form.dataset.id;
	if (id)
		await api('PATCH', `/queues/${encodeURIComponent(id)}`, body());
	else {
		await api('POST', '/queues', body(),
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	}
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

function buildForm() {
	const groups = GROUPS.map(([g, items]) => el('fieldset',
		{ class: 'form-group' }, tx('legend', `queues.g.${g}`),
		el('div', { class: 'form-grid' },
			...items.map(([n, kind, extra]) => control(n, kind, extra)))));
	const addRoute = tx('button', 'queues.route_add', { type: 'button',
		id: 'queue-route-add' });
	const f = el('form', { id: 'queue-form', class: 'panel-form',
		novalidate: true, hidden: true },
	formError(), ...groups,
	el('fieldset', { class: 'form-group' }, tx('legend', 'queues.g.skills'),
		el('div', { class: 'skill-list', 'data-skills': true }),
		tx('div', 'queues.h.skills', { class: 'hint' }),
		el('div', { class: 'error', 'data-error-for': 'skills' })),
	el('fieldset', { class: 'form-group' }, tx('legend', 'queues.g.routes'),
		tx('div', 'queues.h.routes', { class: 'hint' }),
		el('div', { 'data-routes': true }), addRoute,
		el('div', { class: 'error', 'data-error-for': 'routes' })),
	formActions('common.save'));
	addRoute.addEventListener('click', () => f.querySelector('[data-routes]')
		.append(routeRow(null)));
	f.elements.namedItem('overflow_action').addEventListener('change',
		showTarget);
	return f;
}

/** Wire the queues tab. @return the tab's table. */
export function initQueues(onError) {
	form = buildForm();
	const newBtn = tx('button', 'queues.new', { type: 'button',
		class: 'primary', id: 'queues-new' });
	const section = tabPage('queues', { titleKey: 'tab.queues',
		tools: [newBtn],
		body: [form, ...tableBlock('queues-table', ['queues.f.name',
			'queues.f.label', 'queues.f.strategy', 'queues.g.skills',
			'queues.g.overflow', ''])] });
	table = new PagedTable(section, { path: () => '/queues', row,
		onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden || form.dataset.id ?
		openEdit(null).catch(onError) : toggleForm(form, false)));
	const reload = table.reload.bind(table);
	table.reload = async () => {
		await loadRefs();
		return reload();
	};
	return table;
}
