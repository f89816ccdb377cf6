// API keys tab: list, create (the key shown once, with a copy button),
// a key's rate limit (set at creation, changed later), revoke. An agent
// key may act for one agent (click-to-dial for itself only).
import { errorText, formatTime, roleText, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, checkRequired, el, formBody, linkButton,
	showErrors, td, toggleForm } from './ui.js';

let table;

async function revoke(k) {
	if (!window.confirm(t('apikeys.confirm_revoke', { name: k.name })))
		return;
	try {
		await api('DELETE', `/api-keys/${encodeURIComponent(
			k.api_key_id)}`);
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

/* "" → null (the server's default); a number otherwise; undefined
 * when the admin cancelled. */
function askLimit(label, now) {
	const v = window.prompt(`${label} (${t('restapi.keys.rate_default')}: ` +
		'—)', now ?? '');
	if (v === null)
		return undefined;
	return v.trim() === '' ? null : Number(v.trim());
}

async function editRate(k) {
	const rate = askLimit(t('restapi.keys.rate_per_s'), k.rate_limit_per_s);
	if (rate === undefined)
		return;
	const burst = askLimit(t('restapi.keys.burst'), k.burst);
	if (burst === undefined)
		return;
	try {
		await api('PATCH', `/api-keys/${encodeURIComponent(
			k.api_key_id)}`, { rate_limit_per_s: rate, burst });
		toast(t('restapi.keys.saved'));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function rateText(k) {
	if (k.rate_limit_per_s == null && k.burst == null)
		return t('restapi.keys.rate_default');
	return t('restapi.keys.rate_value', {
		rate: k.rate_limit_per_s ?? t('restapi.keys.rate_default'),
		burst: k.burst ?? t('restapi.keys.rate_default') });
}

function row(k) {
	const status = k.revoked_at ?
		badge(t('apikeys.revoked'), 'bad') : badge(t('apikeys.active'));
	return el('tr', { dataset: { apiKeyId: k.api_key_id } },
		td(k.name), td(roleText(k.role)), td(k.prefix, 'mono'),
		td(formatTime(k.created_at)), td(formatTime(k.last_used_at)),
		td(rateText(k)), el('td', {}, status),
		el('td', { class: 'actions' }, k.revoked_at ? '' : [
			linkButton(t('restapi.keys.edit_rate'), () => editRate(k)),
			linkButton(t('apikeys.revoke'), () => revoke(k), 'danger')]));
}

/* The agents an agent key may act for, read when the form opens. */
async function loadAgents() {
	const sel = document.getElementById('kf-agent');
	try {
		const r = await api('GET', '/agents?limit=200');
		sel.replaceChildren(sel.options[0], ...r.items.map((a) =>
			el('option', { value: a.agent_id },
				`${a.work_no} ${a.display_name ?? a.username ?? ''}`)));
	} catch {
		/* the form still works without binding */
	}
}

function paintAgentField() {
	const agent = document.getElementById('kf-role').value === 'agent';
	document.getElementById('kf-agent-field').hidden = !agent;
	if (!agent)
		document.getElementById('kf-agent').value = '';
}

/* The key exists only in this dialog; closing it forgets the value. */
function showKey(key) {
	const dlg = document.getElementById('key-dialog');
	const input = document.getElementById('key-value');
	input.value = key;
	dlg.showModal();
	input.select();
}

async function copyKey() {
	const input = document.getElementById('key-value');
	const btn = document.getElementById('key-copy');
	try {
		await navigator.clipboard.writeText(input.value);
	} catch {
		input.select();
		document.execCommand('copy');
	}
	btn.textContent = t('apikeys.copied');
}

function closeKey() {
	const dlg = document.getElementById('key-dialog');
	document.getElementById('key-value').value = '';
	document.getElementById('key-copy').textContent = t('apikeys.copy');
	dlg.close();
}

async function submitCreate(ev) {
	ev.preventDefault();
	const form = ev.currentTarget;
	if (!checkRequired(form))
		return;
	const btn = form.querySelector('[type=submit]');
	btn.disabled = true;
	try {
		const k = await api('POST', '/api-keys', formBody(form),
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
		toggleForm(form, false);
		showKey(k.key);
		await table.reload();
	} catch (err) {
		showErrors(form, err);
	} finally {
		btn.disabled = false;
	}
}

/** Wire the API keys tab. @return the tab's table. */
export function initApiKeys(onError) {
	const section = document.getElementById('tab-apikeys');
	const form = document.getElementById('apikey-form');
	table = new PagedTable(section, { path: () => '/api-keys', row,
		onError });
	document.getElementById('apikeys-new').addEventListener('click',
		() => {
			toggleForm(form, form.hidden);
			if (!form.hidden) {
				paintAgentField();
				loadAgents();
			}
		});
	document.getElementById('kf-role').addEventListener('change',
		paintAgentField);
	form.querySelector('[data-cancel]').addEventListener('click',
		() => toggleForm(form, false));
	form.addEventListener('submit', submitCreate);
	document.getElementById('key-copy').addEventListener('click', copyKey);
	document.getElementById('key-close').addEventListener('click',
		closeKey);
	document.getElementById('key-dialog').addEventListener('cancel',
		(ev) => {
			ev.preventDefault();
			closeKey();
		});
	return table;
}
