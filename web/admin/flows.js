// Flows tab: IVR flows edited as JSON, checked by the server's validator
// (errors listed beside the text, each naming its node); every save is a
// new version; older versions can be loaded and saved again.
import { errorText, formatTime, getLocale, hasKey, t }
	from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { toast } from '../common/shell.js';
import { PagedTable, apiKeep, el, field, formError, inUseByNumbers,
	linkButton, listAll, tabPage, tableBlock, td, tx } from './ui.js';

/* A new flow starts from this: a greeting, then hang up. */
const TEMPLATE = {
	start: 'welcome',
	nodes: {
		welcome: { kind: 'play', prompts: ['builtin/welcome'],
			next: 'bye' },
		bye: { kind: 'hangup' },
	},
};

let table;
let editor;
let current = null;      /* the flow being edited, null for a new one */

const flowPath = (id) => `/flows/${encodeURIComponent(id)}`;

/** One validator error as a sentence naming its node. */
function errorLine(e) {
	let msg = e.message || e.code || '';
	/* The server's English message is precise (it names the field and
	 * the target); in Chinese it follows the translated problem. */
	if (e.code && hasKey(`flowerr.${e.code}`) && (getLocale() !== 'en' ||
		!e.message)) {
		const what = t(`flowerr.${e.code}`);
		msg = e.message && getLocale() !== 'en' ?
			`${what}（${e.message}）` : what;
	}
	return e.node ? t('flows.error_at', { node: e.node, msg }) : msg;
}

function showList(errors, okKey) {
	const list = editor.querySelector('#flow-errors');
	const head = editor.querySelector('#flow-check');
	list.replaceChildren(...errors.map((e) => el('li', { dataset: {
		node: e.node || '', code: e.code || '' } }, errorLine(e))));
	head.dataset.state = errors.length ? 'bad' : (okKey ? 'ok' : '');
	head.dataset.i18n = errors.length ? 'flows.has_errors' :
		(okKey || 'flows.not_checked');
	head.textContent = t(head.dataset.i18n);
}

/* The textarea as a graph, or a parse error shown in the list. */
function readGraph() {
	const text = editor.querySelector('#flow-json').value;
	try {
		return JSON.parse(text);
	} catch (e) {
		showList([{ code: 'json', message: t('flows.bad_json',
			{ msg: e.message }) }]);
		return null;
	}
}

async function validate() {
	const graph = readGraph();
	if (!graph)
		return false;
	try {
		const r = await api('POST', '/flows/validate', graph);
		showList(r.errors || [], r.valid ? 'flows.valid' : null);
		return !!r.valid;
	} catch (err) {
		showList(err.errors?.length ? err.errors :
			[{ message: errorText(err) }]);
		return false;
	}
}

async function save() {
	const graph = readGraph();
	const box = editor.querySelector('[data-form-error]');
	box.hidden = true;
	const name = editor.querySelector('#ff-name').value.trim();
	if (!graph)
		return;
	if (!name) {
		box.textContent = t('flows.name_required');
		box.hidden = false;
		return;
	}
	try {
		const f = current ?
			await api('PUT', flowPath(current.flow_id), { name, graph }) :
			await api('POST', '/flows', { name, graph },
				{ headers: { 'Idempotency-Key': newIdempotencyKey() } });
		current = { ...current, ...f };
		showList([], 'flows.saved_ok');
		toast(t('flows.saved', { name, version: f.version ??
			f.current_version ?? '' }));
		loadVersions();
		table.reload();
	} catch (err) {
		if (err.errors?.length && err.errors.some((e) => 'node' in e))
			showList(err.errors);
		box.textContent = errorText(err);
		box.hidden = false;
	}
}

async function loadVersion(v) {
	try {
		const f = await api('GET', `${flowPath(current.flow_id)}` +
			`?version=${encodeURIComponent(v)}`);
		editor.querySelector('#flow-json').value =
			JSON.stringify(f.graph, null, 2);
		showList([]);
		toast(t('flows.version_loaded', { version: v }));
	} catch (err) {
		toast(errorText(err));
	}
}

async function loadVersions() {
	const list = editor.querySelector('#flow-versions');
	list.replaceChildren();
	if (!current)
		return;
	try {
		const r = await api('GET', `${flowPath(current.flow_id)}/versions`);
		const items = r.items || r.versions || [];
		list.replaceChildren(...items.map((v) => el('li', {
			dataset: { version: v.version } },
		el('span', {}, t('flows.version_n', { version: v.version })),
		el('span', { class: 'hint' }, ` ${formatTime(v.created_at)} ` +
			`${v.created_by_name || ''}`),
		linkButton(t('flows.load_version'), () => loadVersion(v.version)))));
	} catch (err) {
		toast(errorText(err));
	}
}

/* Names the JSON refers to by id or by "builtin/<name>". */
async function fillRefs() {
	const sel = editor.querySelector('#flow-ref');
	const [prompts, schedules, builtins] = await Promise.all([
		listAll('/prompts').catch(() => []),
		listAll('/schedules').catch(() => []),
		api('GET', '/prompts/builtin').then((r) => r.items || [])
			.catch(() => [])]);
	const group = (key, items) => (items.length ? el('optgroup',
		{ label: t(key) }, ...items.map(([v, label]) =>
			el('option', { value: v }, label))) : null);
	sel.replaceChildren(tx('option', 'flows.insert_ref', { value: '' }),
		group('flows.ref_prompts', prompts.map((p) =>
			[p.prompt_id, p.name])),
		group('flows.ref_builtin', builtins.map((b) =>
			[`builtin/${b.name}`, `builtin/${b.name}`])),
		group('flows.ref_schedules', schedules.map((x) =>
			[x.schedule_id, x.name])));
}

/* Put the chosen reference into the text at the cursor, quoted. */
function insertRef(ev) {
	const v = ev.currentTarget.value;
	ev.currentTarget.value = '';
	if (!v)
		return;
	const ta = editor.querySelector('#flow-json');
	ta.setRangeText(JSON.stringify(v), ta.selectionStart, ta.selectionEnd,
		'end');
	ta.focus();
}

async function open(f) {
	current = f;
	fillRefs();
	editor.hidden = false;
	editor.querySelector('[data-form-error]').hidden = true;
	editor.querySelector('#ff-name').value = f?.name || '';
	const ta = editor.querySelector('#flow-json');
	ta.value = f ? '' : JSON.stringify(TEMPLATE, null, 2);
	showList([]);
	loadVersions();
	editor.scrollIntoView({ block: 'nearest' });
	if (!f)
		return;
	try {
		const full = await api('GET', flowPath(f.flow_id));
		current = { ...f, ...full };
		ta.value = JSON.stringify(full.graph, null, 2);
	} catch (err) {
		toast(errorText(err));
	}
}

async function remove(f) {
	if (!window.confirm(t('flows.confirm_delete', { name: f.name })))
		return;
	try {
		await apiKeep('DELETE', flowPath(f.flow_id));
		toast(t('flows.deleted', { name: f.name }));
		if (current?.flow_id === f.flow_id)
			editor.hidden = true;
		table.reload();
	} catch (err) {
		toast(await inUseByNumbers(err, (n) => n.flow_id === f.flow_id ||
			(n.routes || []).some((r) => r.flow_id === f.flow_id),
		'flows.in_use_numbers'));
	}
}

function row(f) {
	return el('tr', { dataset: { flowId: f.flow_id, name: f.name } },
		td(f.name), td(String(f.current_version ?? f.version ?? '—')),
		td(formatTime(f.updated_at || f.created_at)),
		el('td', { class: 'actions' },
			linkButton(t('common.edit'), () => open(f)),
			linkButton(t('common.delete'), () => remove(f), 'danger')));
}

function buildEditor() {
	const ta = el('textarea', { id: 'flow-json', class: 'code',
		spellcheck: 'false', rows: '24', 'aria-label': 'JSON' });
	ta.addEventListener('input', () => showList([]));
	return el('div', { id: 'flow-editor', class: 'panel-form', hidden: true },
		formError(),
		field('flows.name', el('input', { id: 'ff-name', name: 'name',
			maxlength: '100', autocomplete: 'off' })),
		el('div', { class: 'flow-edit' },
			el('div', {}, ta, el('div', { class: 'flow-tools' },
				el('select', { id: 'flow-ref', onchange: insertRef,
					'data-i18n-aria-label': 'flows.insert_ref' }),
				tx('span', 'flows.json_hint', { class: 'hint' }))),
			el('aside', { class: 'flow-side' },
				el('h3', { id: 'flow-check' }, ''),
				el('ul', { id: 'flow-errors', class: 'errors' }),
				tx('h3', 'flows.versions'),
				el('ul', { id: 'flow-versions', class: 'versions' }))),
		el('div', { class: 'form-actions' },
			tx('button', 'common.close', { type: 'button', onclick: () => {
				editor.hidden = true;
			} }),
			tx('button', 'flows.validate', { type: 'button',
				id: 'flow-validate', onclick: validate }),
			tx('button', 'common.save', { type: 'button', class: 'primary',
				id: 'flow-save', onclick: save })));
}

/** Wire the flows tab. @return the tab's table. */
export function initFlows(onError) {
	editor = buildEditor();
	const section = tabPage('flows', { titleKey: 'tab.flows',
		tools: [tx('button', 'flows.new', { type: 'button',
			class: 'primary', id: 'flows-new', onclick: () => open(null) })],
		body: [editor, ...tableBlock('flows-table', ['flows.name',
			'flows.version', 'common.updated_at', ''])] });
	table = new PagedTable(section, { path: () => '/flows', row, onError });
	const repaint = table.repaint.bind(table);
	table.repaint = () => {
		repaint();
		if (editor.hidden)
			return;
		loadVersions();
		if (editor.querySelector('#flow-errors li'))
			validate();
	};
	return table;
}
