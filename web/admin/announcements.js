// Announcements tab (公告) for supervisors and admins: publish to all
// agents or to queues, now or at a start time, until an end time; edit
// before the start; withdraw; who has read it and who has not.
import { errorText, formatTime, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, bindForm, el, field, formActions, formError,
	linkButton, listAll, tabPage, tableBlock, td, toggleForm, tx }
	from './ui.js';

let table;
let form;
let reads;
let queues = [];

const annPath = (a) => `/announcements/${encodeURIComponent(
	a.announcement_id)}`;
const ctl = (name) => form.elements.namedItem(name);

/* datetime-local (the browser's zone) to ISO, and back. */
const toIso = (v) => (v ? new Date(v).toISOString() : null);
function toLocal(iso) {
	if (!iso)
		return '';
	const d = new Date(iso);
	d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
	return d.toISOString().slice(0, 16);
}

async function showReads(a) {
	try {
		const r = await api('GET', `${annPath(a)}/reads`);
		reads.replaceChildren(el('h3', {}, a.title),
			tx('h4', 'announcements.read_list'),
			el('ul', { id: 'ann-read' }, ...r.read.map((x) => el('li', {},
				`${x.name} (${x.username}) · ${formatTime(x.read_at)}`))),
			tx('h4', 'announcements.unread_list'),
			el('ul', { id: 'ann-unread-list' }, ...r.unread.map((x) =>
				el('li', {}, `${x.name} (${x.username})`))));
		reads.querySelectorAll('h4')[0].textContent =
			t('announcements.read_list', { n: r.read.length });
		reads.querySelectorAll('h4')[1].textContent =
			t('announcements.unread_list', { n: r.unread.length });
		reads.hidden = false;
	} catch (err) {
		toast(errorText(err));
	}
}

async function withdraw(a) {
	if (!window.confirm(t('announcements.confirm_withdraw',
		{ title: a.title })))
		return;
	try {
		table.update('announcement_id', await api('POST',
			`${annPath(a)}/withdraw`));
	} catch (err) {
		toast(errorText(err));
	}
}

function paintQueues(selected = []) {
	const box = form.querySelector('#anf-queues');
	box.replaceChildren(...queues.map((q) => el('label', { class: 'check' },
		el('input', { type: 'checkbox', value: q.queue_id,
			checked: selected.includes(q.queue_id) }), q.label || q.name)));
	box.hidden = ctl('audience').value !== 'queues';
}

async function openEdit(a) {
	if (!queues.length)
		queues = await listAll('/queues').catch(() => []);
	toggleForm(form, true);
	form.dataset.id = a?.announcement_id || '';
	ctl('title').value = a?.title || '';
	ctl('body').value = a?.body || '';
	ctl('audience').value = a?.audience || 'all';
	ctl('starts_at').value = a ? toLocal(a.starts_at) : '';
	ctl('ends_at').value = toLocal(a?.ends_at);
	paintQueues(a?.queue_ids || []);
}

function row(a) {
	return el('tr', { dataset: { id: a.announcement_id } },
		td(a.title),
		td(a.audience === 'all' ? t('announcements.audience.all') :
			a.queue_names.join('、')),
		el('td', {}, badge(t(`announcements.status.${a.status}`),
			a.status === 'active' ? '' : 'off')),
		td(formatTime(a.starts_at)), td(a.ends_at ? formatTime(a.ends_at) :
			'—'),
		td(String(a.read_count)),
		el('td', { class: 'actions' },
			a.status === 'scheduled' ? linkButton(t('common.edit'),
				() => openEdit(a)) : null,
			linkButton(t('announcements.reads'), () => showReads(a)),
			a.status === 'withdrawn' ? null :
				linkButton(t('announcements.withdraw'), () => withdraw(a),
					'danger')));
}

async function submit() {
	const id = form.dataset.id;
	const body = { title: ctl('title').value.trim(),
		body: ctl('body').value.trim(), audience: ctl('audience').value,
		starts_at: toIso(ctl('starts_at').value),
		ends_at: toIso(ctl('ends_at').value) };
	if (body.audience === 'queues') {
		body.queue_ids = [...form.querySelectorAll('#anf-queues input:checked')]
			.map((i) => i.value);
	}
	if (id)
		await api('PATCH', `/announcements/${encodeURIComponent(id)}`, body);
	else
		await api('POST', '/announcements', body,
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

/** Wire the announcements tab. @return the tab's table. */
export function initAnnouncements(onError) {
	const audience = el('select', { id: 'anf-audience', name: 'audience' },
		tx('option', 'announcements.audience.all', { value: 'all' }),
		tx('option', 'announcements.audience.queues', { value: 'queues' }));
	form = el('form', { id: 'announcement-form', class: 'panel-form',
		novalidate: true, hidden: true },
	formError(),
	el('div', { class: 'form-grid' },
		field('announcements.title', el('input', { id: 'anf-title',
			name: 'title', required: true, maxlength: '100' })),
		field('announcements.audience', audience),
		field('announcements.starts_at', el('input', { id: 'anf-starts',
			name: 'starts_at', type: 'datetime-local' }),
		'announcements.starts_hint'),
		field('announcements.ends_at', el('input', { id: 'anf-ends',
			name: 'ends_at', type: 'datetime-local' }))),
	el('div', { id: 'anf-queues', class: 'checks', hidden: true }),
	field('announcements.body', el('textarea', { id: 'anf-body',
		name: 'body', required: true, rows: '4', maxlength: '4000' })),
	formActions('common.save'));
	audience.addEventListener('change', () => paintQueues(
		[...form.querySelectorAll('#anf-queues input:checked')]
			.map((i) => i.value)));
	reads = el('div', { class: 'panel', id: 'ann-reads', hidden: true });
	const newBtn = tx('button', 'announcements.new', { type: 'button',
		class: 'primary', id: 'announcements-new' });
	const section = tabPage('announcements', {
		titleKey: 'tab.announcements', tools: [newBtn],
		body: [form, ...tableBlock('announcements-table', [
			'announcements.title', 'announcements.audience',
			'announcements.status', 'announcements.starts_at',
			'announcements.ends_at', 'announcements.read_count', '']),
		reads] });
	table = new PagedTable(section, { path: () => '/announcements', row,
		onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden || form.dataset.id ?
		openEdit(null) : toggleForm(form, false)));
	return table;
}
