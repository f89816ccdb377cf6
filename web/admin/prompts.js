// Prompts tab: upload a voice file (WAV or MP3) with progress, list with
// durations, preview playback, rename, delete.
import { errorText, formatTime, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { toast } from '../common/shell.js';
import { BlobPlayer, PagedTable, apiKeep, clearErrors, el, field,
	formatBytes, formatDuration, formError, linkButton, refusedText,
	tabPage, tableBlock, td, tx, uploadFile } from './ui.js';

let table;
let player;

const audioPath = (p) => `/prompts/${encodeURIComponent(p.prompt_id)}/audio`;

async function play(p) {
	try {
		await player.play(audioPath(p));
	} catch (err) {
		toast(errorText(err));
	}
}

async function rename(p) {
	const name = window.prompt(t('prompts.rename_prompt'), p.name);
	if (name === null || !name.trim() || name.trim() === p.name)
		return;
	try {
		const np = await api('PATCH', `/prompts/${encodeURIComponent(
			p.prompt_id)}`, { name: name.trim() });
		table.update('prompt_id', { ...p, ...np });
	} catch (err) {
		toast(errorText(err));
	}
}

async function remove(p) {
	if (!window.confirm(t('prompts.confirm_delete', { name: p.name })))
		return;
	try {
		await apiKeep('DELETE', `/prompts/${encodeURIComponent(
			p.prompt_id)}`);
		toast(t('prompts.deleted', { name: p.name }));
		table.reload();
	} catch (err) {
		toast(refusedText(err));
	}
}

function row(p) {
	return el('tr', { dataset: { promptId: p.prompt_id, name: p.name } },
		td(p.name), td(formatDuration(p.duration_ms), 'duration'),
		td(formatBytes(p.size_bytes)),
		td(p.original_format ? String(p.original_format).toUpperCase() :
			'—'),
		td(formatTime(p.created_at)),
		el('td', { class: 'actions' },
			linkButton(t('prompts.play'), () => play(p), 'play'),
			linkButton(t('prompts.rename'), () => rename(p)),
			linkButton(t('common.delete'), () => remove(p), 'danger')));
}

function setProgress(form, frac, key) {
	const bar = form.querySelector('progress');
	const note = form.querySelector('[data-progress-text]');
	bar.hidden = frac === null;
	if (frac !== null)
		bar.value = frac;
	note.textContent = key ? t(key) : '';
}

function baseName(file) {
	return file.name.replace(/\.[^.]+$/, '').slice(0, 64);
}

/* The server answers after decoding; "processing" covers that wait. */
async function submit(ev) {
	ev.preventDefault();
	const form = ev.currentTarget;
	clearErrors(form);
	const file = form.querySelector('input[type=file]').files[0];
	const nameIn = form.elements.namedItem('name');
	const box = form.querySelector('[data-form-error]');
	if (!file) {
		box.textContent = t('prompts.choose_file');
		box.hidden = false;
		return;
	}
	const name = nameIn.value.trim() || baseName(file);
	const btn = form.querySelector('[type=submit]');
	btn.disabled = true;
	setProgress(form, 0, 'prompts.uploading');
	try {
		const p = await uploadFile(`/prompts?name=${encodeURIComponent(
			name)}`, file, (f) => setProgress(form, f, f < 1 ?
			'prompts.uploading' : 'prompts.processing'));
		form.reset();
		setProgress(form, null, null);
		toast(t('prompts.uploaded', { name: p.name || name }));
		await table.reload();
	} catch (err) {
		setProgress(form, null, null);
		box.textContent = errorText(err);
		box.hidden = false;
	} finally {
		btn.disabled = false;
	}
}

function buildForm() {
	const file = el('input', { id: 'pf-file', name: 'file', type: 'file',
		accept: 'audio/*,.wav,.mp3' });
	const name = el('input', { id: 'pf-name', name: 'name',
		maxlength: '64', autocomplete: 'off' });
	file.addEventListener('change', () => {
		if (file.files[0] && !name.value.trim())
			name.value = baseName(file.files[0]);
	});
	const form = el('form', { id: 'prompt-form', class: 'panel-form',
		novalidate: true }, formError(),
	el('div', { class: 'form-grid' },
		field('prompts.file', file, 'prompts.file_hint'),
		field('prompts.name', name, 'prompts.name_hint')),
	el('div', { class: 'form-actions' },
		el('progress', { max: '1', value: '0', hidden: true }),
		el('span', { class: 'hint', 'data-progress-text': true }),
		tx('button', 'prompts.upload', { type: 'submit',
			class: 'primary' })));
	form.addEventListener('submit', submit);
	return form;
}

/* The built-in prompts, each playable in the languages it has. */
async function loadBuiltins(list) {
	try {
		const r = await api('GET', '/prompts/builtin');
		list.replaceChildren(...(r.items || []).map((b) => el('li', {
			dataset: { name: b.name } }, el('span', { class: 'mono' },
			`${b.ref_prefix || 'builtin/'}${b.name}`),
		...(b.languages || []).map((lang) => linkButton(
			t(`prompts.play_${lang}`), async () => {
				try {
					await player.play(`/prompts/builtin/${encodeURIComponent(
						lang)}/${encodeURIComponent(b.name)}/audio`);
				} catch (err) {
					toast(errorText(err));
				}
			}, 'play')))));
	} catch (err) {
		list.replaceChildren(el('li', { class: 'hint' }, errorText(err)));
	}
}

function builtinBlock() {
	const list = el('ul', { class: 'builtins', id: 'builtin-prompts' });
	const box = el('details', { class: 'builtin-box' },
		tx('summary', 'prompts.builtin'),
		tx('p', 'prompts.builtin_hint', { class: 'hint' }), list);
	box.addEventListener('toggle', () => {
		if (box.open && !list.children.length)
			loadBuiltins(list);
	});
	return box;
}

/** Wire the prompts tab. @return the tab's table. */
export function initPrompts(onError) {
	const audio = el('audio', { id: 'prompt-audio', controls: true,
		hidden: true, preload: 'none' });
	player = new BlobPlayer(audio);
	const section = tabPage('prompts', { titleKey: 'tab.prompts',
		body: [buildForm(), audio, ...tableBlock('prompts-table', [
			'prompts.name', 'prompts.duration', 'prompts.size',
			'prompts.format', 'common.created_at', '']), builtinBlock()] });
	table = new PagedTable(section, { path: () => '/prompts', row,
		onError });
	return table;
}
