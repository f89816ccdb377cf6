// Tenants tab (platform operator): list, create with an admin, seat
// quota, suspend and resume; each tenant's recordings and their storage.
import { errorText, formatTime, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, checkRequired, el, formBody, formatBytes,
	linkButton, showErrors, td, toggleForm } from './ui.js';

let table;
/* tenant_id → {recordings, bytes}; null until the first answer */
let usage = null;
let usageLoading = null;

function usageCells(tn) {
	const u = usage?.get(tn.tenant_id);
	return [td(u ? String(u.recordings) : '—'),
		td(u ? formatBytes(u.bytes) : '—')];
}

/* One request for every row: the usage is a sum over all recordings. */
function loadUsage() {
	usageLoading ??= api('GET', '/ops/recordings/usage').then((r) => {
		usage = new Map(r.items.map((u) => [u.tenant_id, u]));
		for (const tn of table.items)
			table.update('tenant_id', tn);
	}).catch(() => { /* the columns keep their dashes */ })
		.finally(() => { usageLoading = null; });
	return usageLoading;
}

async function patch(tn, body) {
	try {
		const nt = await api('PATCH', `/tenants/${encodeURIComponent(
			tn.tenant_id)}`, body);
		table.update('tenant_id', { ...tn, ...nt });
	} catch (err) {
		toast(errorText(err));
	}
}

function changeQuota(tn) {
	const v = window.prompt(t('tenants.quota_prompt'), tn.seat_quota);
	if (v === null)
		return;
	const n = Number(v.trim());
	if (!Number.isInteger(n) || n < 0) {
		toast(t('field.range'));
		return;
	}
	patch(tn, { seat_quota: n });
}

function toggleStatus(tn) {
	if (tn.status === 'suspended') {
		patch(tn, { status: 'active' });
		return;
	}
	if (window.confirm(t('tenants.confirm_suspend', { name: tn.name })))
		patch(tn, { status: 'suspended' });
}

function row(tn) {
	const suspended = tn.status === 'suspended';
	return el('tr', { dataset: { tenantId: tn.tenant_id, code: tn.code } },
		td(tn.code, 'mono'), td(tn.name), td(String(tn.seat_quota ?? '—')),
		td(String(tn.user_count ?? '—')), ...usageCells(tn),
		el('td', {}, suspended ? badge(t('tenants.suspended'), 'bad') :
			badge(t('tenants.active'))),
		td(formatTime(tn.created_at)),
		el('td', { class: 'actions' },
			linkButton(t('tenants.change_quota'), () => changeQuota(tn)),
			linkButton(t(suspended ? 'tenants.resume' : 'tenants.suspend'),
				() => toggleStatus(tn), suspended ? '' : 'danger')));
}

async function submitCreate(ev) {
	ev.preventDefault();
	const form = ev.currentTarget;
	if (!checkRequired(form))
		return;
	const btn = form.querySelector('[type=submit]');
	btn.disabled = true;
	try {
		const tn = await api('POST', '/tenants', formBody(form),
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
		toggleForm(form, false);
		toast(t('tenants.created', { name: tn.name }));
		await table.reload();
	} catch (err) {
		showErrors(form, err);
	} finally {
		btn.disabled = false;
	}
}

/** Wire the tenants tab. @return the tab's table. */
export function initTenants(onError) {
	const section = document.getElementById('tab-tenants');
	const form = document.getElementById('tenant-form');
	table = new PagedTable(section, { path: () => '/tenants', row,
		onError });
	/* the usage is fetched again whenever the list is */
	const reload = table.reload.bind(table);
	table.reload = (...a) => {
		const r = reload(...a);
		loadUsage();
		return r;
	};
	document.getElementById('tenants-new').addEventListener('click',
		() => toggleForm(form, form.hidden));
	form.querySelector('[data-cancel]').addEventListener('click',
		() => toggleForm(form, false));
	form.addEventListener('submit', submitCreate);
	return table;
}
