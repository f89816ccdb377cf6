// The customer form, one for every console: name, numbers, contact
// fields, tags, notes and the tenant's custom fields drawn by their type.
// openCustomerForm() shows it in a dialog, creates or changes the
// customer through /api/v1/customers and resolves with what the server
// stored (null when cancelled). The agent console opens it prefilled
// with a caller's number and region.
import { errorText, fieldErrorText, t } from './i18n.js';
import { api, newIdempotencyKey } from './api.js';
import { el } from './shell.js';

const MAX_PHONES = 20;

const lbl = (key, forId) => el('label', { for: forId }, t(key));
const slot = (name) => el('div', { class: 'error', 'data-error-for': name });

function fieldBox(labelText, control, name, hint) {
	return el('div', { class: 'field' },
		el('label', { for: control.id }, labelText), control,
		hint ? el('div', { class: 'hint' }, hint) : null, slot(name));
}

/* A custom field's control, by type; its name is fields.<key>. */
function customControl(def, value) {
	const props = { id: `cf-f-${def.key}`, name: `fields.${def.key}`,
		'data-type': def.type, required: def.required || null };
	const v = value === undefined || value === null ? '' : String(value);
	switch (def.type) {
	case 'select':
		return el('select', props, el('option', { value: '' }, '—'),
			...def.options.map((o) => el('option', { value: o,
				selected: o === v || null }, o)));
	case 'boolean':
		return el('select', props, el('option', { value: '' }, '—'),
			el('option', { value: 'true', selected: v === 'true' || null },
				t('customers.yes')),
			el('option', { value: 'false',
				selected: v === 'false' || null }, t('customers.no')));
	case 'number':
		return el('input', { ...props, type: 'number', step: 'any',
			value: v });
	case 'date':
		return el('input', { ...props, type: 'date', value: v });
	case 'email':
	case 'url':
		return el('input', { ...props, type: def.type, value: v,
			autocomplete: 'off' });
	default:
		return el('input', { ...props, value: v, autocomplete: 'off',
			maxlength: String(def.max_length || 200) });
	}
}

/* A custom value as JSON from its control; null when empty. */
function customValue(c) {
	const raw = c.value.trim();
	if (raw === '')
		return null;
	if (c.dataset.type === 'number')
		return Number(raw);
	if (c.dataset.type === 'boolean')
		return raw === 'true';
	return raw;
}

function phoneRow(list, value = '') {
	const i = list.children.length;
	const input = el('input', { id: `cf-phone-${i}`, name: `phones[${i}]`,
		value, inputmode: 'tel', autocomplete: 'off',
		'aria-label': t('customers.phone') });
	const row = el('div', { class: 'phone-row' }, input,
		el('button', { type: 'button', class: 'link danger',
			onclick: () => row.remove() }, t('customers.remove_phone')),
		slot(`phones[${i}]`));
	list.append(row);
	return input;
}

function buildForm(c, defs, prefill) {
	const v = (k) => c?.[k] ?? prefill[k] ?? '';
	const phones = el('div', { class: 'phone-list', id: 'cf-phones' });
	for (const p of c?.phones || prefill.phones || [''])
		phoneRow(phones, p);
	const addPhone = el('button', { type: 'button', class: 'link',
		id: 'cf-add-phone', onclick: () => {
			if (phones.children.length < MAX_PHONES)
				phoneRow(phones).focus();
		} }, t('customers.add_phone'));
	const input = (name, props = {}) => el('input', { id: `cf-${name}`,
		name, value: v(name), autocomplete: 'off', ...props });
	const custom = defs.filter((d) => d.enabled).map((d) =>
		fieldBox(d.label + (d.required ? ' *' : ''),
			customControl(d, c?.fields?.[d.key]), `fields.${d.key}`));
	return el('form', { id: 'customer-form', novalidate: true,
		method: 'dialog' },
	el('h2', {}, t(c ? 'customers.edit' : 'customers.new')),
	el('div', { class: 'alert', 'data-form-error': true, role: 'alert',
		hidden: true }),
	el('div', { class: 'form-grid' },
		fieldBox(`${t('customers.name')} *`,
			input('name', { required: true, maxlength: '100' }), 'name'),
		fieldBox(t('customers.company'),
			input('company', { maxlength: '200' }), 'company'),
		fieldBox(t('customers.email'),
			input('email', { type: 'email' }), 'email'),
		fieldBox(t('customers.region'),
			input('region', { maxlength: '64' }), 'region'),
		fieldBox(t('customers.tags'), input('tags', {
			value: (c?.tags || prefill.tags || []).join(', ') }), 'tags',
		t('customers.tags_hint'))),
	el('div', { class: 'field' }, lbl('customers.phones', 'cf-phone-0'),
		phones, addPhone, slot('phones')),
	custom.length ? el('div', { class: 'form-grid', id: 'cf-custom' },
		...custom) : null,
	el('div', { class: 'field' }, lbl('customers.notes', 'cf-notes'),
		el('textarea', { id: 'cf-notes', name: 'notes', rows: '3',
			maxlength: '4000' }, v('notes')), slot('notes')),
	el('div', { class: 'form-actions' },
		el('button', { type: 'button', 'data-cancel': true },
			t('common.cancel')),
		el('button', { type: 'submit', class: 'primary' },
			t('common.save'))));
}

/* The request body; on a change custom fields left empty are null
 * (removed), on a create they are left out. */
function bodyOf(form, defs, isNew) {
	const val = (n) => form.elements.namedItem(n).value.trim();
	const body = { name: val('name'), company: val('company'),
		email: val('email'), region: val('region'),
		notes: form.elements.namedItem('notes').value,
		tags: val('tags').split(/[,，]/).map((s) => s.trim())
			.filter(Boolean),
		phones: [...form.querySelectorAll('[name^="phones["]')]
			.map((i) => i.value.trim()).filter(Boolean) };
	const fields = {};
	for (const d of defs.filter((x) => x.enabled)) {
		const c = form.elements.namedItem(`fields.${d.key}`);
		const x = customValue(c);
		if (x !== null || !isNew)
			fields[d.key] = x;
	}
	body.fields = fields;
	return body;
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/* A change sends only what differs, so the history names real changes. */
function changesOf(body, c) {
	const out = {};
	for (const [k, v] of Object.entries(body)) {
		if (k !== 'fields' && !same(v, c[k]))
			out[k] = v;
	}
	const f = {};
	for (const [k, v] of Object.entries(body.fields)) {
		if (!same(v, c.fields?.[k]))
			f[k] = v;
	}
	if (Object.keys(f).length)
		out.fields = f;
	return out;
}

/* Errors next to their fields: phones[1] by its row, tags[2] at tags,
 * a custom field's message (zh-CN from the server) as it came. */
function showErrors(form, err) {
	for (const e of form.querySelectorAll('[data-error-for]'))
		e.textContent = '';
	const loose = [];
	for (const fe of err.errors || []) {
		let name = String(fe.field || '');
		if (name.startsWith('tags['))
			name = 'tags';
		const s = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
		const text = name.startsWith('fields.') && fe.message ?
			fe.message : fieldErrorText(fe);
		if (s)
			s.textContent = text;
		else
			loose.push(`${fe.field}: ${text}`);
	}
	const box = form.querySelector('[data-form-error]');
	box.textContent = [errorText(err), ...loose].join('；');
	box.hidden = false;
}

async function save(form, c, defs) {
	const body = bodyOf(form, defs, !c);
	if (!body.name) {
		showErrors(form, { errors: [{ field: 'name',
			code: 'required' }] });
		return null;
	}
	if (c) {
		const changes = changesOf(body, c);
		if (!Object.keys(changes).length)
			return c;
		return api('PATCH', `/customers/${encodeURIComponent(
			c.customer_id)}`, changes);
	}
	/* the same body sent twice (a double click, a retry after a lost
	 * answer) is one customer; a corrected body is a new request */
	const text = JSON.stringify(body);
	if (form.dataset.sent !== text) {
		form.dataset.sent = text;
		form.dataset.idem = newIdempotencyKey();
	}
	return api('POST', '/customers', body,
		{ headers: { 'Idempotency-Key': form.dataset.idem } });
}

/**
 * Show the customer form in a dialog.
 *
 * @param customer  the customer to change, or null for a new one
 * @param prefill   for a new one: {phones: [...], region, name, ...}
 * @return the stored customer, or null when cancelled
 */
export async function openCustomerForm({ customer = null,
	prefill = {} } = {}) {
	const defs = (await api('GET', '/customer-fields')).items || [];
	const form = buildForm(customer, defs, prefill);
	const dlg = el('dialog', { id: 'customer-dialog',
		class: 'customer-dialog' }, form);
	document.body.append(dlg);
	return new Promise((resolve) => {
		let result = null;
		dlg.addEventListener('close', () => {
			dlg.remove();
			resolve(result);
		});
		form.querySelector('[data-cancel]').addEventListener('click',
			() => dlg.close());
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const btn = form.querySelector('[type=submit]');
			btn.disabled = true;
			try {
				result = await save(form, customer, defs);
				if (result)
					dlg.close();
			} catch (err) {
				showErrors(form, err);
			} finally {
				btn.disabled = false;
			}
		});
		dlg.showModal();
		form.elements.namedItem('name').focus();
	});
}
