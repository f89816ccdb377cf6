// The Webhook tab: a tenant's endpoints (URL, event types picked by
// topic), the signing secret shown once (on create and rotation), a test
// event, enabling and disabling, and each endpoint's delivery log with
// the request and response excerpts of every attempt and redelivery.
import { errorText, formatTime, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, bindForm, el, field, formActions, formError,
	linkButton, tabPage, tableBlock, td, toggleForm, tx } from './ui.js';

/* The topics of the shared event list an endpoint may subscribe to */
const TOPICS = ['call', 'ivr', 'queue', 'agent', 'recording', 'survey',
	'voicemail', 'customer', 'ticket', 'announcement', 'alert',
	'webhook'];

let table;
let dlv;            /* the delivery log's table */
let dlvEndpoint;    /* the endpoint whose log is shown */
let form;
let onError;

const enc = encodeURIComponent;
const epPath = (ep) => `/webhooks/${enc(ep.endpoint_id)}`;

/* The secret exists only in this dialog; closing it forgets it. */
function showSecret(secret) {
	const input = el('input', { id: 'wh-secret', readonly: true,
		class: 'mono', value: secret, size: '48' });
	const dlg = el('dialog', { id: 'wh-secret-dialog' },
		tx('h3', 'webhooks.secret_title'),
		tx('p', 'webhooks.secret_once', { class: 'hint' }), input,
		el('div', { class: 'form-actions' },
			tx('button', 'webhooks.copy', { type: 'button', onclick:
				async () => {
					try {
						await navigator.clipboard.writeText(secret);
					} catch {
						input.select();
						document.execCommand('copy');
					}
					toast(t('webhooks.copied'));
				} }),
			tx('button', 'common.close', { type: 'button', class: 'primary',
				onclick: () => dlg.close() })));
	dlg.addEventListener('close', () => dlg.remove());
	document.body.append(dlg);
	dlg.showModal();
	input.select();
}

async function act(fn, doneKey) {
	try {
		const r = await fn();
		if (doneKey)
			toast(t(doneKey));
		return r;
	} catch (err) {
		toast(errorText(err));
		return null;
	}
}

async function sendTest(ep) {
	await act(() => api('POST', `${epPath(ep)}/test`), 'webhooks.test_sent');
	if (dlvEndpoint?.endpoint_id === ep.endpoint_id)
		setTimeout(() => dlv.reload(), 500);
}

async function rotate(ep) {
	const v = window.prompt(t('webhooks.rotate_overlap'), '86400');
	if (v === null)
		return;
	const r = await act(() => api('POST', `${epPath(ep)}/rotate-secret`,
		{ overlap_s: Number(v) }));
	if (r) {
		showSecret(r.secret);
		table.update('endpoint_id', r);
	}
}

async function setEnabled(ep, enabled) {
	const r = await act(() => (enabled ?
		api('POST', `${epPath(ep)}/enable`) :
		api('PATCH', epPath(ep), { enabled: false })));
	if (r)
		table.update('endpoint_id', r);
}

async function remove(ep) {
	if (!window.confirm(t('webhooks.confirm_delete', { url: ep.url })))
		return;
	await act(() => api('DELETE', epPath(ep)));
	if (dlvEndpoint?.endpoint_id === ep.endpoint_id)
		showLog(null);
	table.reload();
}

function stateBadge(ep) {
	if (ep.enabled)
		return badge(t('webhooks.enabled'));
	return badge(t(`webhooks.disabled.${ep.disabled_reason || 'admin'}`),
		'bad');
}

/* The URL, and which secret signs (the secret itself is never read
 * back: only its prefix and last four characters). */
function urlCell(ep) {
	return el('td', { class: 'mono' }, ep.url, ep.secret_hint ?
		el('div', { class: 'hint wh-hint',
			title: t('webhooks.secret_hint') }, ep.secret_hint) : '');
}

function row(ep) {
	return el('tr', { dataset: { endpointId: ep.endpoint_id } },
		urlCell(ep), td(ep.description || '—'),
		td(ep.event_types.join(', '), 'mono'), el('td', {}, stateBadge(ep)),
		td(formatTime(ep.created_at)),
		el('td', { class: 'actions' },
			linkButton(t('webhooks.log'), () => showLog(ep)),
			linkButton(t('webhooks.send_test'), () => sendTest(ep)),
			linkButton(t('webhooks.rotate'), () => rotate(ep)),
			ep.enabled ?
				linkButton(t('webhooks.disable'), () => setEnabled(ep, false)) :
				linkButton(t('webhooks.enable'), () => setEnabled(ep, true)),
			linkButton(t('common.delete'), () => remove(ep), 'danger')));
}

/* Topics as checkboxes, plus exact types typed in (comma-separated). */
function typePicker() {
	const boxes = TOPICS.map((tp) => el('label', { class: 'check' },
		el('input', { type: 'checkbox', value: `${tp}.*`,
			'data-topic': true }), ` ${tp}.*`));
	return el('div', { class: 'field' },
		tx('label', 'webhooks.event_types'),
		el('div', { class: 'checks', id: 'wh-topics' },
			el('label', { class: 'check' }, el('input', { type: 'checkbox',
				value: '*', 'data-topic': true }), ' ',
			tx('span', 'webhooks.all_events')), ...boxes),
		el('input', { id: 'wh-exact', placeholder:
			'recording.ready, survey.completed', autocomplete: 'off' }),
		tx('div', 'webhooks.types_hint', { class: 'hint' }),
		el('div', { class: 'error', 'data-error-for': 'event_types' }));
}

function chosenTypes() {
	const picked = [...form.querySelectorAll('[data-topic]:checked')]
		.map((i) => i.value);
	const exact = form.querySelector('#wh-exact').value.split(',')
		.map((s) => s.trim()).filter(Boolean);
	return [...new Set([...picked, ...exact])];
}

async function create() {
	const ep = await api('POST', '/webhooks', {
		url: form.elements.namedItem('url').value.trim(),
		description: form.elements.namedItem('description').value.trim(),
		event_types: chosenTypes() });
	toggleForm(form, false);
	showSecret(ep.secret);
	table.reload();
}

/* --- the delivery log ---------------------------------------------- */

function attemptView(a) {
	return el('div', { class: 'wh-attempt' },
		el('div', {}, el('strong', {}, `#${a.attempt} `),
			formatTime(a.at), ' · ', a.address || '—', ' · ',
			a.status ?? '—', ' · ', `${a.duration_ms} ms`,
			a.error ? el('span', { class: 'error' }, ` · ${a.error}`) : '',
			a.retry_in_s ? ` · ${t('webhooks.retry_in',
				{ s: a.retry_in_s })}` : ''),
		tx('h4', 'webhooks.request'),
		el('pre', { class: 'mono' }, a.request_headers, '\n',
			a.request_body),
		tx('h4', 'webhooks.response'),
		el('pre', { class: 'mono' }, a.response_body ?? '—'));
}

async function showDetail(d, cell) {
	const r = await act(() => api('GET',
		`${epPath(dlvEndpoint)}/deliveries/${enc(d.delivery_id)}`));
	if (!r)
		return;
	cell.replaceChildren(...(r.attempt_log.length ? r.attempt_log.map(
		attemptView) : [tx('p', 'webhooks.no_attempts')]));
}

async function redeliver(d) {
	await act(() => api('POST', `${epPath(dlvEndpoint)}/deliveries/` +
		`${enc(d.delivery_id)}/redeliver`), 'webhooks.redelivered');
	setTimeout(() => dlv.reload(), 500);
}

function dlvRow(d) {
	const detail = el('td', { colspan: '7' });
	const more = el('tr', { hidden: true }, detail);
	const tr = el('tr', { dataset: { deliveryId: d.delivery_id } },
		td(d.event_type, 'mono'), el('td', {}, badge(
			t(`webhooks.state.${d.state}`), d.state === 'delivered' ? '' :
				'bad')), td(String(d.attempts)), td(d.last_status ?? '—'),
		td(d.last_error || '—'), td(formatTime(d.created_at)),
		el('td', { class: 'actions' },
			linkButton(t('webhooks.attempts'), () => {
				more.hidden = !more.hidden;
				if (!more.hidden)
					showDetail(d, detail);
			}),
			d.state === 'delivering' ? '' :
				linkButton(t('webhooks.redeliver'), () => redeliver(d))));
	const frag = document.createDocumentFragment();
	frag.append(tr, more);
	return frag;
}

function showLog(ep) {
	dlvEndpoint = ep;
	const box = document.getElementById('wh-log');
	box.hidden = !ep;
	if (!ep)
		return;
	document.getElementById('wh-log-url').textContent = ep.url;
	dlv.reload();
}

/** Wire the Webhook tab. @return its table (reload, repaint). */
export function initWebhooks(onErrorCb) {
	onError = onErrorCb;
	const opener = tx('button', 'webhooks.new', { type: 'button',
		class: 'primary', id: 'webhooks-new' });
	form = el('form', { id: 'webhook-form', hidden: true, novalidate: true },
		formError(),
		el('div', { class: 'form-grid' },
			field('webhooks.url', el('input', { id: 'wh-url', name: 'url',
				type: 'url', required: true, maxlength: '2048',
				placeholder: 'https://crm.example.com/openseat/events' }),
			'webhooks.url_hint'),
			field('webhooks.description', el('input', {
				id: 'wh-description', name: 'description',
				maxlength: '256' }))),
		typePicker(), formActions('webhooks.create'));
	const log = el('div', { id: 'wh-log', hidden: true },
		el('div', { class: 'panel-head' }, tx('h3', 'webhooks.log_title'),
			el('span', { id: 'wh-log-url', class: 'mono' })),
		...tableBlock('wh-deliveries', ['webhooks.col.type',
			'webhooks.col.state', 'webhooks.col.attempts',
			'webhooks.col.status', 'webhooks.col.error',
			'webhooks.col.created', null]));
	const section = tabPage('webhooks', { titleKey: 'webhooks.title',
		tools: [opener], body: [tx('p', 'webhooks.hint', { class: 'hint' }),
			form, ...tableBlock('webhooks-table', ['webhooks.url',
				'webhooks.description', 'webhooks.event_types',
				'webhooks.col.state', 'webhooks.col.created', null]), log] });
	/* the endpoints' table comes first: PagedTable takes the first
	 * tbody, "more" and empty note of the section */
	table = new PagedTable(section, { path: () => '/webhooks', row,
		onError });
	dlv = new PagedTable(log, { path: () => `${epPath(dlvEndpoint)}` +
		'/deliveries', row: dlvRow, onError });
	bindForm(form, opener, create);
	return { reload: () => table.reload(), repaint() {
		table.repaint();
		if (dlvEndpoint)
			dlv.repaint();
	} };
}
