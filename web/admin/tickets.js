// Business records tab (业务记录) for supervisors and admins: the list
// with its filters (state, type, overdue, keyword), and a record's detail
// — move along the workflow, assign, comment, attach files, history.
import { errorText, formatTime, t } from '../common/i18n.js';
import { api, getSession } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, el, linkButton, tabPage, tableBlock, td, tx,
	listAll } from './ui.js';

let table;
let detail;
let filters;
let types = [];
let queues = [];

const tkPath = (id) => `/tickets/${encodeURIComponent(id)}`;

function query() {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(filters)) {
		if (v.value)
			q.set(k, v.value);
	}
	return `/tickets?${q}`;
}

function row(tk) {
	return el('tr', { dataset: { ticketId: tk.ticket_id },
		class: tk.overdue ? 'overdue' : '' },
	td(tk.title), td(tk.type_name), td(tk.customer_name),
	el('td', {}, badge(tk.state_label, tk.final ? 'off' : '')),
	td(t(`tickets.priority.${tk.priority}`)),
	td(tk.assignee_user_name || tk.assignee_queue_name),
	td(tk.due_at ? formatTime(tk.due_at) : '—',
		tk.overdue ? 'danger' : ''),
	el('td', { class: 'actions' },
		linkButton(t('tickets.detail'), () => open(tk.ticket_id))));
}

async function act(fn) {
	try {
		await fn();
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

async function download(tk, a) {
	const r = await fetch(`/api/v1${tkPath(tk.ticket_id)}/attachments/${
		encodeURIComponent(a.attachment_id)}`, { headers: {
		authorization: `Bearer ${getSession()?.accessToken}` } });
	if (!r.ok) {
		toast(t('error.unknown', { code: r.status }));
		return;
	}
	const url = URL.createObjectURL(await r.blob());
	const link = el('a', { href: url, download: a.filename });
	link.click();
	setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function upload(tk, file) {
	const r = await fetch(`/api/v1${tkPath(tk.ticket_id)}/attachments?${
		new URLSearchParams({ filename: file.name })}`, { method: 'POST',
		body: file, headers: { authorization:
			`Bearer ${getSession()?.accessToken}`, 'content-type':
			file.type || 'application/octet-stream' } });
	if (!r.ok) {
		const p = await r.json().catch(() => ({}));
		throw Object.assign(new Error(p.detail), p);
	}
}

function moves(tk) {
	const y = types.find((x) => x.type_id === tk.type_id);
	const label = (k) => y?.states.find((s) => s.key === k)?.label || k;
	return (y?.transitions || []).filter((x) => x.from === tk.state)
		.map((x) => el('button', { type: 'button', dataset: { state: x.to },
			onclick: () => act(async () => {
				await api('PATCH', tkPath(tk.ticket_id), { state: x.to });
				await open(tk.ticket_id);
			}) }, `${t('tickets.move_to')} ${label(x.to)}`));
}

function assignBox(tk) {
	const s = el('select', { id: 'tkd-assign' },
		el('option', { value: '' }, '—'),
		...queues.map((q) => el('option', { value: q.queue_id,
			selected: q.queue_id === tk.assignee_queue_id },
		q.label || q.name)));
	s.addEventListener('change', () => act(async () => {
		await api('PATCH', tkPath(tk.ticket_id),
			{ assignee_queue_id: s.value || null });
		await open(tk.ticket_id);
	}));
	return el('label', {}, t('tickets.assign_queue'), ' ', s);
}

function commentBox(tk) {
	const ta = el('textarea', { id: 'tkd-comment', rows: '2',
		maxlength: '4000' });
	return el('div', {}, ta, el('button', { type: 'button',
		id: 'tkd-comment-add', onclick: () => act(async () => {
			if (!ta.value.trim())
				return;
			await api('POST', `${tkPath(tk.ticket_id)}/comments`,
				{ body: ta.value.trim() });
			await open(tk.ticket_id);
		}) }, t('tickets.comment_add')));
}

function render(tk) {
	const file = el('input', { type: 'file', id: 'tkd-file' });
	file.addEventListener('change', () => act(async () => {
		if (file.files[0])
			await upload(tk, file.files[0]);
		await open(tk.ticket_id);
	}));
	detail.replaceChildren(
		el('h3', {}, tk.title, ' ', badge(tk.state_label)),
		el('p', { class: 'hint' }, `${tk.type_name} · ${tk.customer_name ||
			''} · ${t('tickets.created_by')} ${tk.created_by_name} · ${
			formatTime(tk.created_at)}`),
		el('p', { class: 'pre' }, tk.description),
		el('div', { class: 'moves' }, ...moves(tk)), assignBox(tk),
		tx('h4', 'tickets.comments'),
		el('ul', { id: 'tkd-comments' }, ...tk.comments.map((c) =>
			el('li', {}, `${c.author_name} · ${formatTime(c.created_at)}：${
				c.body}`))),
		commentBox(tk),
		tx('h4', 'tickets.attachments'),
		el('ul', { id: 'tkd-files' }, ...tk.attachments.map((a) =>
			el('li', {}, linkButton(a.filename, () => download(tk, a)),
				` (${a.size_bytes} B)`))),
		el('label', {}, t('tickets.attach'), ' ', file),
		tx('h4', 'tickets.history'),
		el('ul', { id: 'tkd-history' }, ...tk.history.map((h) =>
			el('li', {}, `${formatTime(h.at)} ${h.actor_name} ${
				t(`tickets.history.${h.action}`)} ${Object.entries(
				h.changes || {}).filter(([, v]) => v && typeof v === 'object')
				.map(([k, v]) => `${k}: ${v.from ?? ''} → ${v.to ?? ''}`)
				.join('；')}`))));
	detail.hidden = false;
}

async function open(id) {
	try {
		render(await api('GET', tkPath(id)));
	} catch (err) {
		toast(errorText(err));
	}
}

function filterBar() {
	filters = {
		type_id: el('select', { id: 'tkl-type' }),
		state: el('input', { id: 'tkl-state', maxlength: '32',
			placeholder: t('tickets.state'),
			'data-i18n-placeholder': 'tickets.state' }),
		overdue: el('select', { id: 'tkl-overdue' },
			tx('option', 'tickets.all', { value: '' }),
			tx('option', 'tickets.only_overdue', { value: 'true' })),
		q: el('input', { id: 'tkl-q', maxlength: '100',
			placeholder: t('tickets.q'), 'data-i18n-placeholder': 'tickets.q' }),
	};
	return el('form', { class: 'filters', id: 'tickets-filter',
		onsubmit: (e) => {
			e.preventDefault();
			table.reload();
		} }, ...Object.values(filters),
	tx('button', 'tickets.filter', { type: 'submit' }));
}

async function loadLists() {
	[types, queues] = await Promise.all([listAll('/ticket-types'),
		listAll('/queues').catch(() => [])]);
	filters.type_id.replaceChildren(tx('option', 'tickets.all',
		{ value: '' }), ...types.map((y) => el('option',
		{ value: y.type_id }, y.name)));
}

/** Wire the business records tab. @return the tab's table. */
export function initTickets(onError) {
	detail = el('div', { class: 'panel ticket-detail', id: 'ticket-detail',
		hidden: true });
	const section = tabPage('tickets', { titleKey: 'tab.tickets',
		body: [filterBar(), ...tableBlock('tickets-table', ['tickets.title',
			'tickets.type', 'tickets.customer', 'tickets.state',
			'tickets.priority', 'tickets.assignee', 'tickets.due', '']),
		detail] });
	table = new PagedTable(section, { path: query, row, onError });
	const reload = table.reload.bind(table);
	table.reload = async () => {
		if (!types.length)
			await loadLists().catch(onError);
		return reload();
	};
	return table;
}
