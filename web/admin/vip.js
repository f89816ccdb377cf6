// VIP callers tab: callers served before others (higher priority first),
// added one by one or imported from a CRM's CSV list, checked first with
// a dry run; a list with bad lines names each one and imports nothing.
import { errorText, fieldErrorText, formatTime, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, bindForm, checkRequired, el, field, formActions,
	formError, linkButton, tabPage, tableBlock, td, toggleForm, tx,
	uploadFile } from './ui.js';

let table;
let form;
let importForm;
let search;

const vipPath = (v) => `/vip-callers/${encodeURIComponent(v.number)}`;
const ctl = (f, name) => f.elements.namedItem(name);

async function remove(v) {
	if (!window.confirm(t('vip.confirm_delete', { number: v.number })))
		return;
	try {
		await api('DELETE', vipPath(v));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function openEdit(v) {
	toggleForm(form, true);
	form.dataset.number = v?.number || '';
	ctl(form, 'number').value = v?.number || '';
	ctl(form, 'number').disabled = !!v;
	ctl(form, 'priority').value = String(v?.priority ?? 10);
	ctl(form, 'note').value = v?.note || '';
}

function row(v) {
	return el('tr', { dataset: { number: v.number } },
		td(v.number, 'mono'), td(String(v.priority)), td(v.note || '—'),
		td(formatTime(v.created_at)),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => openEdit(v)),
			linkButton(t('common.delete'), () => remove(v), 'danger')));
}

async function submit() {
	if (!checkRequired(form))
		return;
	const number = form.dataset.number;
	const body = { priority: Number(ctl(form, 'priority').value || 10),
		note: ctl(form, 'note').value.trim() };
	if (number)
		await api('PATCH', `/vip-callers/${encodeURIComponent(number)}`, body);
	else {
		body.number = ctl(form, 'number').value.trim();
		await api('POST', '/vip-callers', body,
			{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
	}
	toggleForm(form, false);
	toast(t('common.saved'));
	await table.reload();
}

/* The list's text: the chosen file, or what was pasted. */
async function listText() {
	const file = ctl(importForm, 'file').files?.[0];
	return file ? file.text() : ctl(importForm, 'csv').value;
}

function showResult(items) {
	const out = importForm.querySelector('[data-import-result]');
	out.replaceChildren(...items);
	out.hidden = !items.length;
}

async function runImport(dry) {
	const text = await listText();
	showResult([]);
	try {
		const r = await uploadFile(`/vip-callers/import${dry ?
			'?dry_run=true' : ''}`, new Blob([text], { type: 'text/csv' }));
		showResult([el('p', { 'data-import-ok': true }, t(dry ?
			'vip.import_checked' : 'vip.import_done', r))]);
		if (!dry)
			await table.reload();
	} catch (err) {
		const lines = (err.errors || []).map((e) => el('li', {},
			t('vip.import_line', { line: e.line, field: t(`vip.col.${
				e.field}`), message: fieldErrorText(e) })));
		showResult([el('p', { class: 'alert' }, errorText(err)),
			el('ul', { 'data-import-errors': true }, ...lines)]);
	}
}

function buildForm() {
	return el('form', { id: 'vip-form', class: 'panel-form',
		novalidate: true, hidden: true },
	formError(),
	el('div', { class: 'form-grid' },
		field('vip.number', el('input', { id: 'vpf-number', name: 'number',
			required: true, maxlength: '40', inputmode: 'tel' }),
		'vip.number_hint'),
		field('vip.priority', el('input', { id: 'vpf-priority',
			name: 'priority', type: 'number', min: '1', max: '100',
			step: '1' }), 'vip.priority_hint'),
		field('vip.note', el('input', { id: 'vpf-note', name: 'note',
			maxlength: '200' }))),
	formActions('common.save'));
}

function buildImport() {
	const check = tx('button', 'vip.import_check', { type: 'button',
		id: 'vip-import-check' });
	const run = tx('button', 'vip.import_run', { type: 'button',
		class: 'primary', id: 'vip-import-run' });
	const f = el('form', { id: 'vip-import', class: 'panel-form',
		novalidate: true, hidden: true },
	tx('p', 'vip.import_help', { class: 'hint' }),
	el('div', { class: 'form-grid' },
		field('vip.import_file', el('input', { id: 'vpi-file', name: 'file',
			type: 'file', accept: '.csv,text/csv,text/plain' })),
		field('vip.import_paste', el('textarea', { id: 'vpi-csv',
			name: 'csv', rows: '6', spellcheck: 'false',
			placeholder: 'number,priority,note\n13800138000,50,老客户' }))),
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

/** Wire the VIP callers tab. @return the tab's table. */
export function initVip(onError) {
	form = buildForm();
	importForm = buildImport();
	const newBtn = tx('button', 'vip.new', { type: 'button',
		class: 'primary', id: 'vip-new' });
	const importBtn = tx('button', 'vip.import', { type: 'button',
		id: 'vip-import-open' });
	search = el('input', { id: 'vip-q', type: 'search', inputmode: 'tel',
		placeholder: t('vip.search'), 'data-i18n-placeholder':
			'vip.search' });
	const section = tabPage('vip', { titleKey: 'tab.vip',
		tools: [search, importBtn, newBtn],
		body: [form, importForm, ...tableBlock('vip-table', ['vip.number',
			'vip.priority', 'vip.note', 'common.created_at', ''])] });
	table = new PagedTable(section, {
		path: () => (/^\d+$/.test(search.value.trim()) ?
			`/vip-callers?q=${search.value.trim()}` : '/vip-callers'),
		row, onError });
	bindForm(form, null, submit);
	newBtn.addEventListener('click', () => (form.hidden ||
		form.dataset.number ? openEdit(null) : toggleForm(form, false)));
	importBtn.addEventListener('click', () => {
		importForm.hidden = !importForm.hidden;
	});
	search.addEventListener('change', () => table.reload());
	return table;
}
