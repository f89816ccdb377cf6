// Admin building blocks: paged tables, forms with field errors, cells.
import { errorText, fieldErrorText, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { el } from '../common/shell.js';

export { el };

/**
 * A table filled page by page from a list endpoint
 * ({items, next_cursor}). section holds tbody, [data-more], [data-empty].
 */
export class PagedTable {
	constructor(section, { path, row, onError, limit = 50 }) {
		this.section = section;
		this.tbody = section.querySelector('tbody');
		this.moreBtn = section.querySelector('[data-more]');
		this.empty = section.querySelector('[data-empty]');
		this.path = path;
		this.row = row;
		this.onError = onError;
		this.limit = limit;
		this.cursor = null;
		this.gen = 0;
		this.items = [];
		this.moreBtn.addEventListener('click', () => this.more());
	}

	url() {
		const base = this.path();
		const q = new URLSearchParams({ limit: String(this.limit) });
		if (this.cursor)
			q.set('cursor', this.cursor);
		return `${base}${base.includes('?') ? '&' : '?'}${q}`;
	}

	/* A reload during a load wins: answers of older generations drop. */
	async load(gen) {
		this.section.dataset.loading = '1';
		this.moreBtn.disabled = true;
		try {
			const page = await api('GET', this.url());
			if (gen !== this.gen)
				return;
			for (const item of page.items || []) {
				this.items.push(item);
				this.tbody.append(this.row(item));
			}
			this.cursor = page.next_cursor || null;
			this.moreBtn.hidden = !this.cursor;
			this.empty.hidden = this.items.length > 0;
		} catch (err) {
			if (gen === this.gen)
				this.onError(err);
		} finally {
			if (gen === this.gen) {
				this.moreBtn.disabled = false;
				delete this.section.dataset.loading;
				this.section.dataset.loaded = String(gen);
			}
		}
	}

	/** Start again from the first page. */
	reload() {
		this.gen++;
		this.cursor = null;
		this.items = [];
		this.tbody.replaceChildren();
		this.moreBtn.hidden = true;
		this.empty.hidden = true;
		return this.load(this.gen);
	}

	/** Append the next page. */
	more() {
		return this.load(this.gen);
	}

	/** Redraw all loaded rows (after a language switch). */
	repaint() {
		this.tbody.replaceChildren(...this.items.map((i) => this.row(i)));
	}

	/** Replace one loaded item (matched by key) and redraw its row. */
	update(key, item) {
		const i = this.items.findIndex((x) => x[key] === item[key]);
		if (i < 0)
			return;
		this.items[i] = item;
		this.tbody.children[i]?.replaceWith(this.row(item));
	}
}

/** Clear a form's general and per-field errors. */
export function clearErrors(form) {
	const box = form.querySelector('[data-form-error]');
	if (box) {
		box.hidden = true;
		box.textContent = '';
	}
	for (const e of form.querySelectorAll('[data-error-for]'))
		e.textContent = '';
	for (const i of form.querySelectorAll('[aria-invalid]'))
		i.removeAttribute('aria-invalid');
}

function fieldError(form, field, text) {
	const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
	if (!slot)
		return false;
	slot.textContent = text;
	const input = form.querySelector(`[name="${CSS.escape(field)}"]`);
	input?.setAttribute('aria-invalid', 'true');
	return true;
}

/** Show an API error on a form: errors[] next to fields, rest on top. */
export function showErrors(form, err) {
	clearErrors(form);
	const loose = [];
	for (const fe of err.errors || []) {
		if (!fieldError(form, String(fe.field || ''), fieldErrorText(fe)))
			loose.push(`${fe.field}: ${fieldErrorText(fe)}`);
	}
	const cf = form.dataset.conflictField;
	if (err.code === 'conflict' && cf)
		fieldError(form, cf, t('field.conflict'));
	const box = form.querySelector('[data-form-error]');
	if (box) {
		box.textContent = [errorText(err), ...loose].join('；');
		box.hidden = false;
	}
}

/** Required fields left empty: mark them; true when all are filled. */
export function checkRequired(form) {
	clearErrors(form);
	let ok = true;
	for (const i of form.querySelectorAll('[required]')) {
		if (!i.value.trim()) {
			fieldError(form, i.name, t('field.required'));
			ok = false;
		}
	}
	return ok;
}

/**
 * The form's values as a request body: empty optional fields left out,
 * numbers as numbers, "a.b" names nested as {a: {b}}.
 */
export function formBody(form) {
	const body = {};
	for (const i of form.querySelectorAll('input[name], select[name]')) {
		const raw = i.type === 'password' ? i.value : i.value.trim();
		if (raw === '')
			continue;
		const v = i.type === 'number' ? Number(raw) : raw;
		const parts = i.name.split('.');
		let o = body;
		for (const p of parts.slice(0, -1))
			o = o[p] ??= {};
		o[parts.at(-1)] = v;
	}
	return body;
}

/** A table cell with text (never HTML). */
export function td(text, cls) {
	return el('td', cls ? { class: cls } : {}, text ?? '—');
}

/** A badge. */
export function badge(text, cls = '') {
	return el('span', { class: `badge ${cls}`.trim() }, text);
}

/** A small text button. */
export function linkButton(text, onclick, cls = '') {
	return el('button', { type: 'button', class: `link ${cls}`.trim(),
		onclick }, text);
}

/** Show or hide an inline form under its "new" button. */
export function toggleForm(form, show) {
	form.hidden = !show;
	clearErrors(form);
	if (show)
		form.querySelector('input')?.focus();
	else
		form.reset();
}
