// Customers tab: search by name, company, words or number; create and
// edit in the shared customer form; a customer's calls and its change
// history (who, when, what) under the list.
import { errorText, formatTime, t } from '../common/i18n.js';
import { api, getSession } from '../common/api.js';
import { toast } from '../common/shell.js';
import { openCustomerForm } from '../common/customer_form.js';
import { PagedTable, badge, el, formatDuration, linkButton, tabPage,
	tableBlock, td, tx } from './ui.js';

let table;
let detail;
let query = { q: '', tag: '' };

const custPath = (c) => `/customers/${encodeURIComponent(c.customer_id)}`;

function listPath() {
	const p = new URLSearchParams();
	const q = query.q.trim();
	/* a number searches the numbers, anything else the text */
	if (/^[+\d][\d\s()-]{2,}$/.test(q))
		p.set('phone', q);
	else if (q)
		p.set('q', q);
	if (query.tag.trim())
		p.set('tag', query.tag.trim());
	const s = p.toString();
	return `/customers${s ? `?${s}` : ''}`;
}

async function edit(c) {
	try {
		const saved = await openCustomerForm({ customer: c });
		if (saved) {
			toast(t('common.saved'));
			table.update('customer_id', saved);
			if (detail.dataset.customerId === saved.customer_id)
				showDetail(saved);
		}
	} catch (err) {
		toast(errorText(err));
	}
}

async function create() {
	try {
		const saved = await openCustomerForm();
		if (saved) {
			toast(t('common.saved'));
			await table.reload();
		}
	} catch (err) {
		toast(errorText(err));
	}
}

async function remove(c) {
	if (!window.confirm(t('customers.confirm_delete', { name: c.name })))
		return;
	try {
		await api('DELETE', custPath(c));
		if (detail.dataset.customerId === c.customer_id)
			detail.hidden = true;
		await table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function isAdmin() {
	return getSession()?.me?.role === 'admin';
}

function row(c) {
	return el('tr', { dataset: { customerId: c.customer_id,
		name: c.name } },
	td(c.name), td(c.phones.join(' / ')), td(c.company || '—'),
	td(c.region || '—'),
	el('td', {}, ...c.tags.map((x) => badge(x))),
	td(formatTime(c.updated_at)),
	el('td', { class: 'actions' },
		linkButton(t('customers.details'), () => showDetail(c)),
		linkButton(t('common.edit'), () => edit(c)),
		isAdmin() ? linkButton(t('common.delete'), () => remove(c),
			'danger') : null));
}

function callRow(c) {
	return el('tr', {}, td(formatTime(c.started_at)),
		td(t(`customers.dir_${c.direction}`)), td(c.caller),
		td(c.callee), td(c.disposition || '—'),
		td(formatDuration(c.duration_ms)));
}

/* A change: its fields named, values shown for the simple ones. */
function changeText(h) {
	const vals = h.values || {};
	return (h.changed || []).map((k) => {
		const v = k.startsWith('fields.') ?
			vals.fields?.[k.slice(7)] : vals[k];
		const s = v === undefined ? '' : Array.isArray(v) ? v.join(', ') :
			v === null ? t('customers.cleared') : String(v);
		return s ? `${k} = ${s}` : k;
	}).join('；');
}

function histRow(h) {
	return el('tr', {}, td(formatTime(h.created_at)),
		td(h.actor_name || h.actor_kind),
		td(t(`customers.action_${h.action.split('.')[1]}`)),
		td(changeText(h)));
}

async function fillRows(tbody, path, rowFn) {
	tbody.replaceChildren();
	const page = await api('GET', `${path}?limit=50`);
	tbody.append(...page.items.map(rowFn));
	return page.items.length;
}

async function showDetail(c) {
	detail.hidden = false;
	detail.dataset.customerId = c.customer_id;
	detail.querySelector('[data-title]').textContent =
		t('customers.detail_of', { name: c.name });
	try {
		const calls = await fillRows(detail.querySelector('#cust-calls'),
			`${custPath(c)}/calls`, callRow);
		const hist = await fillRows(detail.querySelector('#cust-history'),
			`${custPath(c)}/history`, histRow);
		detail.querySelector('[data-no-calls]').hidden = calls > 0;
		detail.querySelector('[data-no-history]').hidden = hist > 0;
		detail.dataset.loaded = c.customer_id;
	} catch (err) {
		toast(errorText(err));
	}
}

function detailBlock() {
	const head = (keys) => el('thead', {}, el('tr', {},
		...keys.map((k) => tx('th', k))));
	return el('div', { id: 'customer-detail', class: 'panel', hidden: true },
		el('h3', { 'data-title': true }),
		tx('h4', 'customers.calls'),
		el('div', { class: 'table-wrap' }, el('table', {},
			head(['customers.call_time', 'customers.direction',
				'customers.caller', 'customers.callee',
				'customers.disposition', 'customers.duration']),
			el('tbody', { id: 'cust-calls' }))),
		tx('p', 'customers.no_calls', { class: 'empty-state',
			'data-no-calls': true, hidden: true }),
		tx('h4', 'customers.history'),
		el('div', { class: 'table-wrap' }, el('table', {},
			head(['customers.when', 'customers.who', 'customers.what',
				'customers.changes']),
			el('tbody', { id: 'cust-history' }))),
		tx('p', 'customers.no_history', { class: 'empty-state',
			'data-no-history': true, hidden: true }));
}

/** Wire the customers tab. @return the tab's table. */
export function initCustomers(onError) {
	const q = el('input', { id: 'customers-q', type: 'search',
		placeholder: t('customers.search_hint'),
		'aria-label': t('customers.search') });
	const tag = el('input', { id: 'customers-tag', type: 'search',
		placeholder: t('customers.tag'), 'aria-label': t('customers.tag') });
	const search = el('form', { id: 'customers-search', class: 'inline',
		onsubmit: (ev) => {
			ev.preventDefault();
			query = { q: q.value, tag: tag.value };
			table.reload();
		} }, q, tag, tx('button', 'customers.search', { type: 'submit' }));
	const newBtn = tx('button', 'customers.new', { type: 'button',
		class: 'primary', id: 'customers-new', onclick: create });
	detail = detailBlock();
	const section = tabPage('customers', {
		titleKey: 'tab.customers', tools: [search, newBtn],
		body: [...tableBlock('customers-table', ['customers.name',
			'customers.phones', 'customers.company', 'customers.region',
			'customers.tags', 'customers.updated_at', '']), detail] });
	table = new PagedTable(section, { path: listPath, row, onError });
	return table;
}
