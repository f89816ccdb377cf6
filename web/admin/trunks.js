// Trunks tab (platform operator): carrier trunks, shared or owned by one
// tenant; allowed addresses, digest user, codecs, limits. The secret is
// write-only: left empty on edit, it stays as it was.
import { errorText, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, apiKeep, badge, bindForm, checkRequired, el, field,
	fillSelect, formActions, formError, linkButton, listAll, refusedText,
	tabPage, tableBlock, td, toggleForm, tx } from './ui.js';

let table;
let form;
let tenants = [];

const trunkPath = (tr) => `/trunks/${encodeURIComponent(tr.trunk_id)}`;

function tenantName(id) {
	if (!id)
		return t('trunks.shared');
	return tenants.find((x) => x.tenant_id === id)?.name || id;
}

async function patch(tr, body) {
	try {
		const nt = await api('PATCH', trunkPath(tr), body);
		table.update('trunk_id', { ...tr, ...nt });
	} catch (err) {
		toast(errorText(err));
	}
}

async function remove(tr) {
	if (!window.confirm(t('trunks.confirm_delete', { name: tr.name })))
		return;
	try {
		await apiKeep('DELETE', trunkPath(tr));
		table.reload();
	} catch (err) {
		toast(refusedText(err));
	}
}

function limits(tr) {
	const n = (v) => (v ? String(v) : '∞');
	return t('trunks.limits_text', { calls: n(tr.max_calls),
		cps: n(tr.max_cps) });
}

function row(tr) {
	const on = tr.enabled !== false;
	return el('tr', { dataset: { trunkId: tr.trunk_id, name: tr.name } },
		td(tr.name), td(tenantName(tr.tenant_id)),
		td((tr.allow_addrs || []).join(', '), 'mono'),
		td(tr.auth_user || '—', 'mono'), td(tr.codecs, 'mono'),
		td(limits(tr)),
		el('td', {}, on ? badge(t('trunks.active')) :
			badge(t('trunks.disabled'), 'off')),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => openEdit(tr)),
			linkButton(t(on ? 'trunks.disable' : 'trunks.enable'),
				() => patch(tr, { enabled: !on })),
			linkButton(t('common.delete'), () => remove(tr), 'danger')));
}

const ctl = (name) => form.elements.namedItem(name);

function openEdit(tr) {
	toggleForm(form, true);
	form.dataset.id = tr?.trunk_id || '';
	fillSelect(ctl('tenant_id'), [['', 'trunks.shared', true],
		...tenants.map((x) => [x.tenant_id, `${x.name} (${x.code})`])]);
	for (const k of ['name', 'auth_user', 'codecs', 'outbound_uri'])
		ctl(k).value = tr?.[k] ?? (k === 'codecs' ? 'PCMA,PCMU' : '');
	for (const k of ['max_calls', 'max_cps'])
		ctl(k).value = String(tr?.[k] ?? 0);
	ctl('tenant_id').value = tr?.tenant_id || '';
	ctl('tenant_id').disabled = !!tr;
	ctl('allow_addrs').value = (tr?.allow_addrs || []).join('\n');
	ctl('auth_secret').value = '';
	ctl('enabled').checked = tr ? tr.enabled !== false : true;
	form.querySelector('[data-secret-hint]').hidden = !tr;
	form.scrollIntoView({ block: 'nearest' });
}

function body(editing) {
	const b = {
		name: ctl('name').value.trim(),
		allow_addrs: ctl('allow_addrs').value.split(/[\s,]+/)
			.filter(Boolean),
		auth_user: ctl('auth_user').value.trim(),
		codecs: ctl('codecs').value.trim() || 'PCMA,PCMU',
		max_calls: Number(ctl('max_calls').value || 0),
		max_cps: Number(ctl('max_cps').value || 0),
		outbound_uri: ctl('outbound_uri').value.trim(),
		enabled: ctl('enabled').checked,
	};
	if (!editing)
		b.tenant_id = ctl('tenant_id').value || null;
	const secret = ctl('auth_secret').value;
	if (secret)
		b.auth_secret = secret;
	return b;
}

async function submit() {
	if (!checkRequired(form))
		return;
	const id = form.dataset.id;
	if (id)
		await api('PATCH', `/trunks/${encodeURIComponent(id)}`, body(true));
	else {
		await api('POST', '/trunks', body(false),
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	}
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

function input(name, props = {}) {
	return el('input', { id: `trf-${name}`, name, autocomplete: 'off',
		...props });
}

function buildForm() {
	const f = el('form', { id: 'trunk-form', class: 'panel-form',
		novalidate: true, hidden: true, 'data-conflict-field': 'name' },
	formError(),
	el('div', { class: 'form-grid' },
		field('trunks.name', input('name', { required: true,
			maxlength: '100' })),
		field('trunks.tenant', el('select', { id: 'trf-tenant_id',
			name: 'tenant_id' }), 'trunks.tenant_hint'),
		field('trunks.allow_addrs', el('textarea', { id: 'trf-allow_addrs',
			name: 'allow_addrs', rows: '3', spellcheck: 'false' }),
		'trunks.allow_addrs_hint'),
		field('trunks.auth_user', input('auth_user')),
		el('div', { class: 'field' },
			tx('label', 'trunks.auth_secret', { for: 'trf-auth_secret' }),
			input('auth_secret', { type: 'password',
				autocomplete: 'new-password' }),
			tx('div', 'trunks.secret_hint', { class: 'hint',
				'data-secret-hint': true }),
			el('div', { class: 'error', 'data-error-for': 'auth_secret' })),
		field('trunks.codecs', input('codecs')),
		field('trunks.max_calls', input('max_calls', { type: 'number',
			min: '0', step: '1' }), 'trunks.zero_unlimited'),
		field('trunks.max_cps', input('max_cps', { type: 'number',
			min: '0', step: '1' }), 'trunks.zero_unlimited'),
		field('trunks.outbound_uri', input('outbound_uri',
			{ placeholder: 'sip:carrier.example.com:5060' })),
		el('div', { class: 'field' }, el('label', { class: 'check' },
			el('input', { type: 'checkbox', name: 'enabled',
				id: 'trf-enabled' }), tx('span', 'trunks.enabled')))),
	formActions('common.save'));
	return f;
}

/** Wire the trunks tab. @return the tab's table. */
export function initTrunks(onError) {
	form = buildForm();
	const newBtn = tx('button', 'trunks.new', { type: 'button',
		class: 'primary', id: 'trunks-new' });
	const section = tabPage('trunks', { titleKey: 'tab.trunks',
		tools: [newBtn],
		body: [form, ...tableBlock('trunks-table', ['trunks.name',
			'trunks.tenant', 'trunks.allow_addrs', 'trunks.auth_user',
			'trunks.codecs', 'trunks.limits', 'trunks.status', ''])] });
	table = new PagedTable(section, { path: () => '/trunks', row,
		onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden || form.dataset.id ?
		openEdit(null) : toggleForm(form, false)));
	const reload = table.reload.bind(table);
	table.reload = async () => {
		tenants = await listAll('/tenants').catch(() => []);
		return reload();
	};
	return table;
}
