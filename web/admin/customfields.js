// Custom fields tab: the fields a tenant adds to its customers (key,
// label, type, options of a select, required, length, order). A key and
// a type are fixed once created; disabling a field keeps its values,
// deleting it removes them.
import { errorText, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, badge, bindForm, checkRequired, el, field,
	formActions, formError, linkButton, select, tabPage, tableBlock, td,
	toggleForm, tx } from './ui.js';

const TYPES = ['text', 'number', 'date', 'boolean', 'select', 'email',
	'url'];

let table;
let form;

const fieldPath = (f) => `/customer-fields/${encodeURIComponent(
	f.field_id)}`;
const ctl = (name) => form.elements.namedItem(name);

async function patch(f, body) {
	try {
		table.update('field_id', await api('PATCH', fieldPath(f), body));
	} catch (err) {
		toast(errorText(err));
	}
}

async function remove(f) {
	if (!window.confirm(t('customfields.confirm_delete',
		{ label: f.label })))
		return;
	try {
		await api('DELETE', fieldPath(f));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function showOptions() {
	ctl('options').closest('.field').hidden = ctl('type').value !== 'select';
	ctl('max_length').closest('.field').hidden = ctl('type').value !== 'text';
}

function openEdit(f) {
	toggleForm(form, true);
	form.dataset.id = f?.field_id || '';
	ctl('key').value = f?.key || '';
	ctl('key').disabled = !!f;
	ctl('type').value = f?.type || 'text';
	ctl('type').disabled = !!f;
	ctl('label').value = f?.label || '';
	ctl('options').value = (f?.options || []).join('\n');
	ctl('max_length').value = String(f?.max_length ?? 200);
	ctl('position').value = String(f?.position ?? 0);
	ctl('required').checked = !!f?.required;
	ctl('enabled').checked = f ? f.enabled : true;
	showOptions();
	(f ? ctl('label') : ctl('key')).focus();
}

function row(f) {
	return el('tr', { dataset: { fieldId: f.field_id, key: f.key } },
		td(f.key), td(f.label), td(t(`customfields.type_${f.type}`)),
		td(f.options.join(' / ') || '—'),
		td(f.required ? t('customers.yes') : t('customers.no')),
		td(String(f.position)),
		el('td', {}, f.enabled ? badge(t('reasons.enabled')) :
			badge(t('reasons.disabled'), 'off')),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => openEdit(f)),
			linkButton(t(f.enabled ? 'reasons.disable' : 'reasons.enable'),
				() => patch(f, { enabled: !f.enabled })),
			linkButton(t('common.delete'), () => remove(f), 'danger')));
}

async function submit() {
	if (!checkRequired(form))
		return;
	const id = form.dataset.id;
	const type = ctl('type').value;
	const body = { label: ctl('label').value.trim(),
		required: ctl('required').checked,
		position: Number(ctl('position').value || 0),
		enabled: ctl('enabled').checked };
	if (type === 'select') {
		body.options = ctl('options').value.split('\n')
			.map((s) => s.trim()).filter(Boolean);
	}
	if (type === 'text')
		body.max_length = Number(ctl('max_length').value || 200);
	if (id) {
		await api('PATCH', `/customer-fields/${encodeURIComponent(id)}`,
			body);
	}
	else {
		await api('POST', '/customer-fields', { key: ctl('key').value.trim(),
			type, ...body },
		{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	}
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

/** Wire the custom fields tab. @return the tab's table. */
export function initCustomFields(onError) {
	const typeSel = select({ id: 'cff-type', name: 'type' },
		TYPES.map((x) => [x, `customfields.type_${x}`, true]));
	form = el('form', { id: 'customfield-form', class: 'panel-form',
		novalidate: true, hidden: true, 'data-conflict-field': 'key' },
	formError(),
	el('div', { class: 'form-grid' },
		field('customfields.key', el('input', { id: 'cff-key', name: 'key',
			required: true, maxlength: '32', autocomplete: 'off',
			spellcheck: 'false' }), 'customfields.key_hint'),
		field('customfields.label', el('input', { id: 'cff-label',
			name: 'label', required: true, maxlength: '64',
			autocomplete: 'off' })),
		field('customfields.type', typeSel),
		field('customfields.options', el('textarea', { id: 'cff-options',
			name: 'options', rows: '4' }), 'customfields.options_hint'),
		field('customfields.max_length', el('input', { id: 'cff-maxlen',
			name: 'max_length', type: 'number', min: '1', max: '4000' })),
		field('reasons.position', el('input', { id: 'cff-position',
			name: 'position', type: 'number', min: '0', max: '1000' })),
		el('div', { class: 'field' }, el('label', { class: 'check' },
			el('input', { type: 'checkbox', name: 'required',
				id: 'cff-required' }), tx('span', 'customfields.required'))),
		el('div', { class: 'field' }, el('label', { class: 'check' },
			el('input', { type: 'checkbox', name: 'enabled',
				id: 'cff-enabled' }), tx('span', 'reasons.enabled')))),
	formActions('common.save'));
	typeSel.addEventListener('change', showOptions);
	const newBtn = tx('button', 'customfields.new', { type: 'button',
		class: 'primary', id: 'customfields-new' });
	const section = tabPage('customfields', {
		titleKey: 'tab.customfields', tools: [newBtn],
		body: [tx('p', 'customfields.hint', { class: 'hint' }), form,
			...tableBlock('customfields-table', ['customfields.key',
				'customfields.label', 'customfields.type',
				'customfields.options', 'customfields.required',
				'reasons.position', 'reasons.status', ''])] });
	table = new PagedTable(section, { path: () => '/customer-fields',
		row, onError, limit: 200 });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden || form.dataset.id ?
		openEdit(null) : toggleForm(form, false)));
	return table;
}
