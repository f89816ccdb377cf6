// The tenant's screen pop (来电弹屏): OpenSeat's customers, the tenant's
// own CRM asked over HTTP (URL template, method, timeout, token, how its
// answer maps to the panel), the CRM's page opened in the console, or
// nothing.
import { t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { toast } from '../common/shell.js';
import { clearErrors, el, field, formError, select, showErrors, tabPage,
	tx } from './ui.js';

const CORE = ['name', 'company', 'tags', 'level', 'url'];

let form;
let onError;
let tokenSet = false;

const ctl = (name) => form.elements.namedItem(name);
const opts = (name, values) => values.map((v) => [v, `crmset.${name}.${v}`,
	true]);

function input(name, props = {}) {
	return el('input', { id: `cs-${name}`, name, autocomplete: 'off',
		...props });
}

/* Extra fields as lines "label = /pointer" (one per line). */
function extraText(extra) {
	return (extra || []).map((x) => `${x.label} = ${x.pointer}`)
		.join('\n');
}

function extraList(text) {
	return text.split('\n').map((l) => l.trim()).filter(Boolean)
		.map((l) => {
			const i = l.lastIndexOf('=');
			return i < 0 ? { label: l, pointer: '' } :
				{ label: l.slice(0, i).trim(), pointer: l.slice(i + 1).trim() };
		});
}

/* A field across the whole row (URLs are long). */
function wide(node) {
	node.style.gridColumn = '1 / -1';
	return node;
}

function showMode() {
	const mode = ctl('mode').value;
	for (const s of form.querySelectorAll('[data-mode]'))
		s.hidden = s.dataset.mode !== mode;
}

function fill(s) {
	for (const n of ['mode', 'http_url', 'http_method', 'auth_header',
		'page_url', 'page_target'])
		ctl(n).value = s[n] ?? '';
	ctl('timeout_ms').value = String(s.timeout_ms);
	ctl('auth_token').value = '';
	tokenSet = !!s.auth_token_set;
	ctl('auth_token').placeholder = tokenSet ? t('crmset.token_kept') : '';
	for (const k of CORE)
		ctl(`mapping.${k}`).value = s.mapping?.[k] ?? '';
	ctl('mapping.extra').value = extraText(s.mapping?.extra);
	showMode();
	form.dataset.loaded = '1';
}

async function load() {
	try {
		fill(await api('GET', '/crm/settings'));
	} catch (err) {
		onError(err);
	}
}

function body() {
	const mapping = {};
	for (const k of CORE) {
		const v = ctl(`mapping.${k}`).value.trim();
		if (v)
			mapping[k] = v;
	}
	const extra = extraList(ctl('mapping.extra').value);
	if (extra.length)
		mapping.extra = extra;
	const b = { mode: ctl('mode').value,
		http_url: ctl('http_url').value.trim(),
		http_method: ctl('http_method').value,
		timeout_ms: Number(ctl('timeout_ms').value),
		auth_header: ctl('auth_header').value.trim(), mapping,
		page_url: ctl('page_url').value.trim(),
		page_target: ctl('page_target').value };
	/* an empty token field keeps the stored token */
	if (ctl('auth_token').value)
		b.auth_token = ctl('auth_token').value;
	if (ctl('clear_token').checked)
		b.auth_token = '';
	return b;
}

async function save(ev) {
	ev.preventDefault();
	clearErrors(form);
	const btn = form.querySelector('[type=submit]');
	btn.disabled = true;
	try {
		fill(await api('PUT', '/crm/settings', body()));
		ctl('clear_token').checked = false;
		toast(t('crmset.saved'));
	} catch (err) {
		showErrors(form, err);
	} finally {
		btn.disabled = false;
	}
}

function httpSection() {
	return el('div', { class: 'form-grid', 'data-mode': 'http' },
		wide(field('crmset.http_url', input('http_url', { type: 'url',
			maxlength: '1000', placeholder:
			'https://crm.example.com/api/customers?phone={caller}' }),
		'crmset.url_hint')),
		field('crmset.http_method', select({ id: 'cs-http_method',
			name: 'http_method' }, [['GET', 'GET'], ['POST', 'POST']])),
		field('crmset.timeout_ms', input('timeout_ms', { type: 'number',
			min: '100', max: '3000', step: '50' }), 'crmset.timeout_hint'),
		field('crmset.auth_header', input('auth_header', { maxlength: '64',
			placeholder: 'Authorization' })),
		field('crmset.auth_token', input('auth_token', { type: 'password',
			maxlength: '1000', autocomplete: 'new-password' }),
		'crmset.token_hint'),
		el('div', { class: 'field' }, el('label', { class: 'check' },
			el('input', { type: 'checkbox', name: 'clear_token',
				id: 'cs-clear-token' }), tx('span', 'crmset.clear_token'))),
		wide(tx('p', 'crmset.mapping_hint', { class: 'hint' })),
		...CORE.map((k) => field(`crmset.map.${k}`, input(`mapping.${k}`, {
			maxlength: '200', placeholder: `/data/${k}` }))),
		field('crmset.map.extra', el('textarea', { id: 'cs-map-extra',
			name: 'mapping.extra', rows: '3', placeholder: '余额 = /balance' }),
		'crmset.extra_hint'),
		el('div', { class: 'error', 'data-error-for': 'mapping' }));
}

function pageSection() {
	return el('div', { class: 'form-grid', 'data-mode': 'page' },
		wide(field('crmset.page_url', input('page_url', { type: 'url',
			maxlength: '1000', placeholder:
			'https://crm.example.com/pop?tel={caller}' }),
		'crmset.url_hint')),
		field('crmset.page_target', select({ id: 'cs-page_target',
			name: 'page_target' }, opts('target', ['panel', 'tab']))));
}

/** Wire the screen pop settings tab. @return {reload, repaint}. */
export function initCrmSettings(onErrorCb) {
	onError = onErrorCb;
	form = el('form', { id: 'crmset-form', novalidate: true,
		onsubmit: save },
	formError(),
	tx('p', 'crmset.hint', { class: 'hint' }),
	el('div', { class: 'form-grid' },
		field('crmset.mode', select({ id: 'cs-mode', name: 'mode',
			onchange: showMode }, opts('mode', ['builtin', 'http', 'page',
			'none'])))),
	httpSection(), pageSection(),
	el('div', { class: 'form-actions' }, tx('button', 'common.save',
		{ type: 'submit', class: 'primary', id: 'cs-save' })));
	tabPage('crmsettings', { titleKey: 'crmset.title', body: [form] });
	return { reload: load, repaint() {
		ctl('auth_token').placeholder = tokenSet ?
			t('crmset.token_kept') : '';
	} };
}
