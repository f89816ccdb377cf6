// Admin building blocks: paged tables, forms with field errors, cells.
import { errorText, fieldErrorText, t } from '../common/i18n.js';
import { ApiError, api, getSession, newIdempotencyKey }
	from '../common/api.js';
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

/* --- building tab pages in script (telephony pages) --------------------- */

/** An element whose text follows the language: data-i18n=key. */
export function tx(tag, key, props = {}) {
	return el(tag, { ...props, 'data-i18n': key }, t(key));
}

/**
 * A form field: label, control, error slot. The control's name is the
 * API field the server's errors[] name.
 */
export function field(labelKey, control, hintKey) {
	const name = control.getAttribute('name') || '';
	return el('div', { class: 'field' },
		tx('label', labelKey, { for: control.id }), control,
		hintKey ? tx('div', hintKey, { class: 'hint' }) : null,
		el('div', { class: 'error', 'data-error-for': name }));
}

/** A <select> of [value, labelKey-or-text, isKey] options. */
export function select(props, options) {
	const s = el('select', props);
	fillSelect(s, options);
	return s;
}

/** Replace a select's options, keeping the value when it still exists. */
export function fillSelect(s, options) {
	const keep = s.value;
	s.replaceChildren(...options.map(([v, label, isKey]) => (isKey ?
		tx('option', label, { value: v }) :
		el('option', { value: v }, label))));
	if (options.some(([v]) => v === keep))
		s.value = keep;
}

/** Cancel + submit buttons for an inline form. */
export function formActions(submitKey = 'common.save') {
	return el('div', { class: 'form-actions' },
		tx('button', 'common.cancel', { type: 'button',
			'data-cancel': true }),
		tx('button', submitKey, { type: 'submit', class: 'primary' }));
}

/** The general error box at the top of a form. */
export function formError() {
	return el('div', { class: 'alert', 'data-form-error': true,
		role: 'alert', hidden: true });
}

/**
 * A page's section, added to <main> hidden (its entry in the side
 * navigation is nav.js's). body: the panel's content after the head.
 */
export function tabPage(name, { titleKey, tools = [], body = [] }) {
	const section = el('section', { id: `tab-${name}`, hidden: true },
	el('div', { class: 'panel' },
		el('div', { class: 'panel-head' }, tx('h2', titleKey), ...tools),
		...body));
	document.querySelector('main').append(section);
	return section;
}

/** A table with its empty note and "more" button, for PagedTable. */
export function tableBlock(id, headKeys) {
	return [
		el('div', { class: 'table-wrap' },
			el('table', { id },
				el('thead', {}, el('tr', {}, ...headKeys.map((k) =>
					(k ? tx('th', k) : el('th'))))),
				el('tbody'))),
		tx('p', 'common.empty', { class: 'empty-state', 'data-empty': true,
			hidden: true }),
		el('div', { class: 'more' }, tx('button', 'common.more', {
			type: 'button', 'data-more': true, hidden: true })),
	];
}

/** Wire an inline form's cancel button and its opener. */
export function bindForm(form, opener, onSubmit) {
	opener?.addEventListener('click', () => toggleForm(form, form.hidden));
	form.querySelector('[data-cancel]')?.addEventListener('click',
		() => toggleForm(form, false));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		const btn = form.querySelector('[type=submit]');
		btn.disabled = true;
		try {
			await onSubmit(form);
		} catch (err) {
			showErrors(form, err);
		} finally {
			btn.disabled = false;
		}
	});
}

/** Read every page of a list endpoint (for selects), up to max items. */
export async function listAll(path, max = 1000) {
	const items = [];
	let cursor = null;
	do {
		const q = new URLSearchParams({ limit: '200' });
		if (cursor)
			q.set('cursor', cursor);
		const page = await api('GET', `${path}${path.includes('?') ?
			'&' : '?'}${q}`);
		items.push(...(page.items || []));
		cursor = page.next_cursor || null;
	} while (cursor && items.length < max);
	return items;
}

/** "1:05" from milliseconds. */
export function formatDuration(ms) {
	if (ms === null || ms === undefined || Number.isNaN(Number(ms)))
		return '—';
	const s = Math.round(Number(ms) / 1000);
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const sec = String(s % 60).padStart(2, '0');
	return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** "12.3 KB" from bytes. */
export function formatBytes(n) {
	if (n === null || n === undefined)
		return '—';
	if (n < 1024)
		return `${n} B`;
	if (n < 1024 * 1024)
		return `${(n / 1024).toFixed(1)} KB`;
	return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/* --- binary bodies: audio in and out with the bearer token -------------- */

async function problem(res) {
	let p = {};
	try {
		p = await res.json();
	} catch {
		p = {};
	}
	return new ApiError({ status: res.status, code: p.code ||
		(res.status >= 500 ? 'internal_error' : `http_${res.status}`),
	title: p.title, detail: p.detail, errors: p.errors });
}

/*
 * GET a binary resource as a Blob. A 401 goes through api('/me') once,
 * which refreshes the session, then the request is repeated.
 */
export async function fetchBlob(path) {
	for (let attempt = 0; ; attempt++) {
		const token = getSession()?.accessToken;
		let res;
		try {
			res = await fetch(`/api/v1${path}`, { cache: 'no-store',
				headers: token ? { Authorization: `Bearer ${token}` } : {} });
		} catch (e) {
			throw new ApiError({ code: 'network_error',
				detail: String(e?.message || e) });
		}
		if (res.ok)
			return res.blob();
		if (res.status === 401 && attempt === 0) {
			await api('GET', '/me');
			continue;
		}
		throw await problem(res);
	}
}

/**
 * POST a file as the raw body with its Content-Type; onProgress(0..1).
 * XMLHttpRequest because fetch reports no upload progress.
 */
export function uploadFile(path, file, onProgress) {
	const send = (token) => new Promise((resolve, reject) => {
		const x = new XMLHttpRequest();
		x.open('POST', `/api/v1${path}`);
		if (token)
			x.setRequestHeader('Authorization', `Bearer ${token}`);
		x.setRequestHeader('Content-Type',
			file.type || 'application/octet-stream');
		x.setRequestHeader('Idempotency-Key', newIdempotencyKey());
		x.setRequestHeader('Accept', 'application/json');
		x.upload.onprogress = (e) => {
			if (e.lengthComputable)
				onProgress?.(e.loaded / e.total);
		};
		x.onload = () => resolve(x);
		x.onerror = () => reject(new ApiError({ code: 'network_error' }));
		x.send(file);
	});
	const parse = (x) => {
		let p = {};
		try {
			p = JSON.parse(x.responseText || '{}');
		} catch {
			p = {};
		}
		if (x.status >= 200 && x.status < 300)
			return p;
		throw new ApiError({ status: x.status, code: p.code ||
			(x.status === 413 ? 'too_large' : `http_${x.status}`),
		detail: p.detail, errors: p.errors });
	};
	return (async () => {
		let x = await send(getSession()?.accessToken);
		if (x.status === 401) {
			await api('GET', '/me');
			x = await send(getSession()?.accessToken);
		}
		return parse(x);
	})();
}

/** Save a Blob under a file name (a download link clicked once). */
export function saveBlob(blob, name) {
	const url = URL.createObjectURL(blob);
	const a = el('a', { href: url, download: name });
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * One <audio> player per page: play(path) fetches with the token and
 * plays a blob URL, releasing the previous one.
 */
export class BlobPlayer {
	constructor(audio) {
		this.audio = audio;
		this.url = null;
	}

	async play(path) {
		const blob = await fetchBlob(path);
		if (this.url)
			URL.revokeObjectURL(this.url);
		this.url = URL.createObjectURL(blob);
		this.audio.src = this.url;
		this.audio.hidden = false;
		this.audio.dataset.src = path;
		try {
			await this.audio.play();
		} catch {
			/* autoplay refused: the controls are there */
		}
	}
}

/**
 * Like api(), but a failure keeps the whole problem document as
 * err.problem (a refused delete names what still uses the object).
 */
export async function apiKeep(method, path, body) {
	for (let attempt = 0; ; attempt++) {
		const token = getSession()?.accessToken;
		const headers = { Accept: 'application/json' };
		if (token)
			headers.Authorization = `Bearer ${token}`;
		if (body !== undefined) {
			headers['Content-Type'] = 'application/json';
			if (method === 'POST')
				headers['Idempotency-Key'] = newIdempotencyKey();
		}
		let res;
		try {
			res = await fetch(`/api/v1${path}`, { method, headers,
				cache: 'no-store', body: body === undefined ? undefined :
					JSON.stringify(body) });
		} catch (e) {
			throw new ApiError({ code: 'network_error',
				detail: String(e?.message || e) });
		}
		if (res.status === 401 && attempt === 0) {
			await api('GET', '/me');
			continue;
		}
		if (res.ok) {
			const type = res.headers.get('content-type') || '';
			return res.status === 204 || !type.includes('json') ? null :
				res.json();
		}
		const text = await res.text();
		let p = {};
		try {
			p = JSON.parse(text);
		} catch {
			p = {};
		}
		const err = new ApiError({ status: res.status, code: p.code ||
			(res.status >= 500 ? 'internal_error' : `http_${res.status}`),
		detail: p.detail, errors: p.errors });
		err.problem = p;
		throw err;
	}
}

/*
 * The names a refused delete reports as still using the object: any
 * array in the problem of strings or of objects with a name/number.
 */
export function usedBy(err) {
	const names = [];
	for (const [k, v] of Object.entries(err?.problem || {})) {
		if (!Array.isArray(v) || k === 'errors')
			continue;
		for (const x of v) {
			const n = typeof x === 'string' ? x :
				(x?.name || x?.number || x?.flow_name);
			if (n)
				names.push(String(n));
		}
	}
	return names;
}

/** errorText, plus the names of what still uses the object. */
export function refusedText(err) {
	const names = usedBy(err);
	if (names.length)
		return `${errorText(err)}：${names.join('、')}`;
	/* no list: the detail names them (in English) */
	if (/in_use$/.test(err?.code || '') && err.detail)
		return `${errorText(err)}（${err.detail}）`;
	return errorText(err);
}

/**
 * A refused delete ("in_use") of a flow or schedule, said with the
 * numbers that use it, looked up here so that the sentence is in the
 * user's language. Falls back to refusedText when none is found.
 * @param uses   predicate on a number
 * @param key    message with {names}
 */
export async function inUseByNumbers(err, uses, key) {
	if (err?.code !== 'in_use')
		return refusedText(err);
	const nums = (await listAll('/numbers').catch(() => [])).filter(uses);
	if (!nums.length)
		return refusedText(err);
	return t(key, { names: nums.map((n) => n.number).join('、') });
}
