// Customer import tab (客户导入): upload a CSV (UTF-8 or GBK, found by
// itself or chosen), map its columns — the header is previewed with a
// sample row and each column's guess — choose merge or skip for numbers
// already known, check with a dry run (per-line errors in a table) or
// import with a progress bar fed by the customer.import_* events; and
// export the customers as CSV.
import { errorText, onLocaleChange, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { toast } from '../common/shell.js';
import { el, fetchBlob, field, listAll, saveBlob, select, tabPage, td,
	tx, uploadFile } from './ui.js';

const BUILTIN = ['name', 'phone', 'email', 'company', 'region', 'tags',
	'notes'];
/* the headers the server maps by themselves (customer_import_map.c) */
const GUESS = {
	name: ['name', '姓名', '客户名称', '客户姓名', '名称'],
	phone: ['phone', 'phones', 'mobile', 'tel', '电话', '手机', '手机号',
		'手机号码', '电话号码', '联系电话'],
	email: ['email', 'e-mail', '邮箱', '电子邮箱', '电子邮件'],
	company: ['company', '公司', '单位', '公司名称'],
	region: ['region', '地区', '区域', '所在地区'],
	tags: ['tags', 'tag', '标签'],
	notes: ['notes', 'note', '备注'],
};
const PREVIEW_BYTES = 64 * 1024;

let form;
let mapBox;
let resultBox;
let progress;
let fields = [];
let header = [];
let sample = [];
let running = null;    /* { import_id, dry_run } while one runs */
let lastJob = null;

const ctl = (name) => form.elements.namedItem(name);

/* The text of the file's start, as the server would read it. */
function decodeStart(buf, enc) {
	const tryDecode = (label) => {
		try {
			return new TextDecoder(label, { fatal: true }).decode(buf);
		} catch {
			return null;
		}
	};
	if (enc === 'utf-8')
		return tryDecode('utf-8');
	if (enc === 'gbk' || enc === 'gb18030')
		return new TextDecoder('gb18030').decode(buf);
	/* cut mid-character at the preview's end: decode less */
	for (let cut = 0; cut < 4; cut++) {
		const s = tryDecode('utf-8') ?? null;
		if (s !== null)
			return s;
		buf = buf.subarray(0, buf.length - 1);
	}
	return new TextDecoder('gb18030').decode(buf);
}

/* The first two records (RFC 4180, quotes and line breaks in quotes). */
function firstRecords(text, want = 2) {
	const out = [];
	let rec = [];
	let cell = '';
	let q = false;
	let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
	for (; i < text.length && out.length < want; i++) {
		const c = text[i];
		if (q) {
			if (c === '"' && text[i + 1] === '"') {
				cell += '"';
				i++;
			}
			else if (c === '"') {
				q = false;
			}
			else {
				cell += c;
			}
		}
		else if (c === '"') {
			q = true;
		}
		else if (c === ',') {
			rec.push(cell);
			cell = '';
		}
		else if (c === '\r' || c === '\n') {
			if (c === '\r' && text[i + 1] === '\n')
				i++;
			rec.push(cell);
			if (rec.length > 1 || rec[0] !== '')
				out.push(rec);
			rec = [];
			cell = '';
		}
		else {
			cell += c;
		}
	}
	if (out.length < want && (cell || rec.length))
		out.push([...rec, cell]);
	return out;
}

function guess(h) {
	const k = h.trim().toLowerCase();
	for (const [target, names] of Object.entries(GUESS)) {
		if (names.includes(k) || names.includes(h.trim()))
			return target;
	}
	const f = fields.find((x) => x.enabled && (x.key === k ||
		x.label === h.trim()));
	return f ? `fields.${f.key}` : 'ignore';
}

function targetOptions() {
	return [...BUILTIN.map((b) => [b, `custimport.target.${b}`, true]),
		...fields.filter((f) => f.enabled).map((f) =>
			[`fields.${f.key}`, f.label, false]),
		['ignore', 'custimport.target.ignore', true]];
}

function drawMapping() {
	if (!header.length) {
		mapBox.replaceChildren();
		return;
	}
	const chosen = header.map((h, i) =>
		mapBox.querySelector(`select[name="map-${i}"]`)?.value);
	const rows = header.map((h, i) => {
		const s = select({ name: `map-${i}`, 'data-column': h },
			targetOptions());
		s.value = chosen[i] || guess(h);
		return el('tr', {}, td(h || '—'), td(sample[i] ?? '', 'hint'),
			el('td', {}, s));
	});
	mapBox.replaceChildren(tx('h3', 'custimport.mapping'),
		el('div', { class: 'table-wrap' }, el('table',
			{ id: 'custimport-mapping' },
			el('thead', {}, el('tr', {}, tx('th', 'custimport.column'),
				tx('th', 'custimport.sample'), tx('th', 'custimport.target'))),
			el('tbody', {}, ...rows))));
}

async function preview() {
	const file = ctl('file').files?.[0];
	header = [];
	sample = [];
	if (file) {
		const buf = new Uint8Array(await file.slice(0, PREVIEW_BYTES)
			.arrayBuffer());
		const text = decodeStart(buf, ctl('encoding').value);
		mapBox.replaceChildren();
		if (text === null) {
			showProblem(t('custimport.not_utf8'));
		}
		else {
			[header = [], sample = []] = firstRecords(text);
			showResult([]);
		}
	}
	drawMapping();
}

function mapping() {
	const m = {};
	for (const s of mapBox.querySelectorAll('select[data-column]')) {
		if (s.dataset.column)
			m[s.dataset.column] = s.value;
	}
	return m;
}

function showResult(items) {
	resultBox.replaceChildren(...items);
	resultBox.hidden = !items.length;
}

function showProblem(text) {
	showResult([el('p', { class: 'alert', role: 'alert' }, text)]);
}

function setProgress(d) {
	progress.hidden = false;
	progress.querySelector('progress').max = Math.max(1, d.total);
	progress.querySelector('progress').value = d.processed;
	progress.querySelector('[data-progress-text]').textContent =
		t('custimport.progress', d);
}

function errorRows(job) {
	return job.errors.map((e) => el('tr', { dataset: { line: e.line } },
		td(String(e.line), 'mono'), td(e.column ?? '—'),
		td(t(`custimport.err.${e.code}`) === `custimport.err.${e.code}` ?
			e.code : t(`custimport.err.${e.code}`)), td(e.message)));
}

function drawJob() {
	const job = lastJob;
	if (!job)
		return;
	const head = el('p', { 'data-import-summary': job.status },
		t(job.dry_run ? 'custimport.checked' : 'custimport.done', job));
	const items = [head];
	if (job.errors.length) {
		items.push(el('div', { class: 'table-wrap' }, el('table',
			{ id: 'custimport-errors' },
			el('thead', {}, el('tr', {}, tx('th', 'custimport.line'),
				tx('th', 'custimport.column'), tx('th', 'custimport.code'),
				tx('th', 'custimport.message'))),
			el('tbody', {}, ...errorRows(job)))));
	}
	if (job.errors_total > job.errors.length) {
		items.push(el('p', { class: 'hint' }, t('custimport.more_errors',
			{ shown: job.errors.length, total: job.errors_total })));
	}
	showResult(items);
}

/* The job as the server has it; drawn once it is over. */
async function finished(id, job = null) {
	try {
		job ??= await api('GET', `/customers/imports/${id}`);
		if (running?.import_id !== id)
			return;        /* drawn already, by the event or the reply */
		lastJob = job;
		drawJob();
	} catch (err) {
		showProblem(errorText(err));
	}
	running = null;
	for (const b of form.querySelectorAll('[data-run]'))
		b.disabled = false;
}

/** customer.import_progress and customer.import_finished from /ws. */
export function customerImportEvent(ev) {
	const d = ev.data || {};
	if (!running || d.import_id !== running.import_id)
		return;
	setProgress(d);
	if (ev.type === 'customer.import_finished')
		finished(d.import_id);
}

async function run(dry) {
	const file = ctl('file').files?.[0];
	if (!file) {
		showProblem(t('custimport.no_file'));
		return;
	}
	const q = new URLSearchParams({ on_duplicate: ctl('on_duplicate').value,
		encoding: ctl('encoding').value, dry_run: String(dry) });
	if (header.length)
		q.set('mapping', JSON.stringify(mapping()));
	for (const b of form.querySelectorAll('[data-run]'))
		b.disabled = true;
	showResult([]);
	try {
		const r = await uploadFile(`/customers/imports?${q}`,
			new Blob([file], { type: 'text/csv' }));
		running = { import_id: r.import_id, dry_run: dry };
		setProgress({ total: r.total, processed: 0, created: 0, merged: 0,
			skipped: 0, failed: 0 });
		/* a small file can be done before this reply reached the page,
		 * its events dropped for an id not known yet: ask once */
		const job = await api('GET', `/customers/imports/${r.import_id}`);
		if (job.status !== 'running') {
			setProgress(job);
			await finished(r.import_id, job);
		}
	} catch (err) {
		running = null;
		showProblem(errorText(err));
		for (const b of form.querySelectorAll('[data-run]'))
			b.disabled = false;
	}
}

async function exportCsv() {
	try {
		const enc = ctl('export_encoding').value;
		saveBlob(await fetchBlob(`/customers/export?encoding=${enc}`),
			`customers-${enc}.csv`);
	} catch (err) {
		toast(errorText(err));
	}
}

function buildForm() {
	const check = tx('button', 'custimport.check', { type: 'button',
		id: 'custimport-check', 'data-run': true });
	const go = tx('button', 'custimport.run', { type: 'button',
		class: 'primary', id: 'custimport-run', 'data-run': true });
	const exp = tx('button', 'custimport.export', { type: 'button',
		id: 'custimport-export' });
	mapBox = el('div', { id: 'custimport-map' });
	resultBox = el('div', { id: 'custimport-result', 'aria-live': 'polite',
		hidden: true });
	progress = el('div', { id: 'custimport-progress', hidden: true },
		el('progress', { max: '1', value: '0' }),
		el('span', { 'data-progress-text': true }));
	form = el('form', { id: 'custimport-form', class: 'panel-form',
		novalidate: true },
	tx('p', 'custimport.help', { class: 'hint' }),
	el('div', { class: 'form-grid' },
		field('custimport.file', el('input', { id: 'cimp-file', name: 'file',
			type: 'file', accept: '.csv,text/csv,text/plain' })),
		field('custimport.encoding', select({ id: 'cimp-encoding',
			name: 'encoding' }, [['auto', 'custimport.enc.auto', true],
			['utf-8', 'UTF-8', false], ['gbk', 'GBK', false],
			['gb18030', 'GB18030', false]])),
		field('custimport.on_duplicate', select({ id: 'cimp-dup',
			name: 'on_duplicate' }, [['skip', 'custimport.dup.skip', true],
			['merge', 'custimport.dup.merge', true]]))),
	mapBox,
	el('div', { class: 'form-actions' }, check, go),
	progress, resultBox,
	tx('h3', 'custimport.export_title'),
	el('div', { class: 'form-grid' },
		field('custimport.encoding', select({ id: 'cimp-export-encoding',
			name: 'export_encoding' }, [['utf-8', 'custimport.enc.utf8', true],
			['gbk', 'custimport.enc.gbk', true]])),
		el('div', { class: 'field' }, exp)));
	ctl('file').addEventListener('change', preview);
	ctl('encoding').addEventListener('change', preview);
	check.addEventListener('click', () => run(true));
	go.addEventListener('click', () => run(false));
	exp.addEventListener('click', exportCsv);
	return form;
}

/** Wire the customer import tab. @return its reload/repaint pair. */
export function initCustImport(onError) {
	tabPage('custimport', { titleKey: 'tab.custimport',
		body: [buildForm()] });
	const reload = async () => {
		try {
			fields = await listAll('/customer-fields');
			onError(null);
		} catch (err) {
			fields = [];
			onError(err);
		}
		drawMapping();
	};
	const repaint = () => {
		drawMapping();
		drawJob();
	};
	onLocaleChange(repaint);
	return { reload, repaint };
}
