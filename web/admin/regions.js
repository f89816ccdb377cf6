// Number attribution (号码归属地) on the numbers tab: look a number up
// (region, carrier, and whether the tenant's own prefix or the platform's
// data answered), and the tenant's own prefixes — imported from CSV,
// checked first with a dry run, bad lines listed by number — which win
// over the platform's.
import { errorText, onLocaleChange, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, el, field, linkButton, select, tableBlock, td, tx,
	uploadFile } from './ui.js';

let table;
let importForm;
let lookupOut;
let lastLookup = null;

const ctl = (f, name) => f.elements.namedItem(name);

async function remove(r) {
	if (!window.confirm(t('regions.confirm_delete', { prefix: r.prefix })))
		return;
	try {
		await api('DELETE', `/number-regions/${encodeURIComponent(
			r.prefix)}`);
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function row(r) {
	return el('tr', { dataset: { prefix: r.prefix } },
		td(r.prefix, 'mono'), td(r.region),
		el('td', { class: 'actions' },
			linkButton(t('common.delete'), () => remove(r), 'danger')));
}

function showLookup() {
	const r = lastLookup;
	if (!r) {
		lookupOut.replaceChildren();
		return;
	}
	const what = r.region ? [r.region, r.carrier].filter(Boolean)
		.join(' · ') : t('regions.unknown');
	lookupOut.replaceChildren(el('span', { class: 'mono' }, r.normalized),
		' → ', el('strong', { 'data-region': r.region || '' }, what),
		r.source ? el('span', { class: 'hint' }, ` (${t(
			`regions.source.${r.source}`)})`) : null);
}

async function lookup(input) {
	const number = input.value.trim();
	if (!number)
		return;
	try {
		lastLookup = await api('GET', '/number-regions/lookup?number=' +
			encodeURIComponent(number));
		showLookup();
	} catch (err) {
		lastLookup = null;
		lookupOut.replaceChildren(el('span', { class: 'alert' },
			errorText(err)));
	}
}

function showResult(items) {
	const out = importForm.querySelector('[data-import-result]');
	out.replaceChildren(...items);
	out.hidden = !items.length;
}

async function runImport(dry) {
	const file = ctl(importForm, 'file').files?.[0];
	const text = file ? await file.text() : ctl(importForm, 'csv').value;
	const q = new URLSearchParams({ mode: ctl(importForm, 'mode').value });
	if (dry)
		q.set('dry_run', 'true');
	showResult([]);
	let r;
	try {
		r = await uploadFile(`/number-regions/import?${q}`,
			new Blob([text], { type: 'text/csv' }));
	} catch (err) {
		r = err;
	}
	const lines = (r.errors || []).map((e) => el('li', {},
		t('regions.import_line', { line: e.line, message: t(
			`regions.err.${e.code}`) })));
	const head = r instanceof Error ? el('p', { class: 'alert' },
		errorText(r)) : el('p', { 'data-regions-ok': true }, t(dry ?
		'regions.import_checked' : 'regions.import_done', r));
	showResult([head, lines.length ? el('ul',
		{ 'data-regions-errors': true }, ...lines) : null,
	r.errors_truncated ? tx('p', 'regions.import_more', { class: 'hint' }) :
		null].filter(Boolean));
	if (!dry && !(r instanceof Error))
		await table.reload();
}

function buildImport() {
	const check = tx('button', 'regions.import_check', { type: 'button',
		id: 'regions-import-check' });
	const run = tx('button', 'regions.import_run', { type: 'button',
		class: 'primary', id: 'regions-import-run' });
	const f = el('form', { id: 'regions-import', class: 'panel-form',
		novalidate: true, hidden: true },
	tx('p', 'regions.import_help', { class: 'hint' }),
	el('div', { class: 'form-grid' },
		field('regions.import_file', el('input', { id: 'rgi-file',
			name: 'file', type: 'file', accept: '.csv,text/csv,text/plain' })),
		field('regions.import_paste', el('textarea', { id: 'rgi-csv',
			name: 'csv', rows: '6', spellcheck: 'false',
			placeholder: 'prefix,region\n0755,深圳\n13800138,北京大客户区' })),
		field('regions.import_mode', select({ id: 'rgi-mode', name: 'mode' },
			[['merge', 'regions.mode.merge', true],
				['replace', 'regions.mode.replace', true]]))),
	el('div', { 'data-import-result': true, hidden: true }),
	el('div', { class: 'form-actions' }, tx('button', 'common.close', {
		type: 'button', 'data-cancel': true }), check, run));
	check.addEventListener('click', () => runImport(true));
	run.addEventListener('click', () => runImport(false));
	f.querySelector('[data-cancel]').addEventListener('click', () => {
		f.hidden = true;
		f.reset();
		showResult([]);
	});
	return f;
}

function buildLookup() {
	const input = el('input', { id: 'regions-q', type: 'search',
		inputmode: 'tel', maxlength: '64', placeholder: t('regions.q'),
		'data-i18n-placeholder': 'regions.q' });
	const go = tx('button', 'regions.lookup', { type: 'button',
		id: 'regions-lookup' });
	lookupOut = el('div', { id: 'regions-lookup-out', 'aria-live':
		'polite' });
	go.addEventListener('click', () => lookup(input));
	input.addEventListener('keydown', (e) => {
		if (e.key === 'Enter')
			lookup(input);
	});
	return el('div', { class: 'form-grid' },
		el('div', { class: 'field' }, input, go), lookupOut);
}

/* The list loads the first time its tab shows. */
function loadWhenShown(panel) {
	const section = panel.closest('section[id^="tab-"]');
	if (!section)
		return;
	const obs = new MutationObserver(() => {
		if (!section.hidden) {
			obs.disconnect();
			table.reload();
		}
	});
	obs.observe(section, { attributes: true, attributeFilter: ['hidden'] });
}

/**
 * The attribution panel for the numbers tab, given its section.
 * @return the panel (already appended)
 */
export function regionsPanel(section, onError) {
	importForm = buildImport();
	const importBtn = tx('button', 'regions.import', { type: 'button',
		id: 'regions-import-open' });
	const panel = el('div', { class: 'panel', id: 'regions' },
		el('div', { class: 'panel-head' }, tx('h2', 'regions.title'),
			importBtn),
		tx('p', 'regions.help', { class: 'hint' }),
		buildLookup(), importForm,
		...tableBlock('regions-table', ['regions.prefix', 'regions.region',
			'']));
	section.append(panel);
	table = new PagedTable(panel, { path: () => '/number-regions', row,
		onError });
	importBtn.addEventListener('click', () => {
		importForm.hidden = !importForm.hidden;
	});
	onLocaleChange(() => {
		table.repaint();
		showLookup();
	});
	if (section.hidden === false)
		table.reload();
	else
		loadWhenShown(panel);
	return panel;
}
