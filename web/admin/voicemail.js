// Voicemail tab: the inbox, unread messages first; play, mark read or
// unread, download, delete. Filter by box.
import { errorText, formatTime, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { toast } from '../common/shell.js';
import { BlobPlayer, PagedTable, badge, el, fetchBlob, fillSelect,
	formatDuration, linkButton, listAll, saveBlob, tabPage, tableBlock,
	td, tx } from './ui.js';

let table;
let player;
let boxSel;
let boxes = [];

const msgPath = (m) => `/voicemail/messages/${encodeURIComponent(
	m.message_id)}`;

/*
 * Pages through the unread messages, then the read ones: the list
 * endpoint filters by status, so "unread first" is two passes.
 */
class InboxTable extends PagedTable {
	reload() {
		this.phase = 'unread';
		return super.reload();
	}

	async load(gen) {
		await super.load(gen);
		if (gen === this.gen && !this.cursor && this.phase === 'unread') {
			this.phase = 'read';
			await super.load(gen);
		}
	}
}

function listPath() {
	const q = new URLSearchParams({ status: table.phase });
	if (boxSel.value)
		q.set('box_id', boxSel.value);
	return `/voicemail/messages?${q}`;
}

async function setStatus(m, status) {
	try {
		const nm = await api('PATCH', msgPath(m), { status });
		table.update('message_id', { ...m, status, ...nm });
	} catch (err) {
		toast(errorText(err));
	}
}

async function play(m) {
	try {
		await player.play(`${msgPath(m)}/audio`);
		if (m.status === 'unread')
			await setStatus(m, 'read');
	} catch (err) {
		toast(errorText(err));
	}
}

async function download(m) {
	try {
		const blob = await fetchBlob(`${msgPath(m)}/audio`);
		const when = (m.created_at || '').replace(/[^0-9]/g, '')
			.slice(0, 14);
		saveBlob(blob, `voicemail-${m.caller || 'unknown'}-${when}.mp3`);
	} catch (err) {
		toast(errorText(err));
	}
}

async function remove(m) {
	if (!window.confirm(t('voicemail.confirm_delete',
		{ caller: m.caller || t('voicemail.unknown_caller') })))
		return;
	try {
		await api('DELETE', msgPath(m));
		toast(t('voicemail.deleted'));
		table.reload();
	} catch (err) {
		toast(errorText(err));
	}
}

function row(m) {
	const unread = m.status === 'unread';
	const box = boxes.find((b) => b.box_id === m.box_id)?.name ||
		m.box_name || '—';
	return el('tr', { class: unread ? 'unread' : '',
		dataset: { messageId: m.message_id, status: m.status } },
	el('td', {}, unread ? badge(t('voicemail.unread')) :
		badge(t('voicemail.read'), 'off')),
	td(formatTime(m.created_at)),
	td(m.caller || t('voicemail.unknown_caller'), 'mono'),
	td(m.number, 'mono'), td(box), td(formatDuration(m.duration_ms)),
	el('td', { class: 'actions' },
		linkButton(t('voicemail.play'), () => play(m), 'play'),
		linkButton(t(unread ? 'voicemail.mark_read' :
			'voicemail.mark_unread'), () => setStatus(m, unread ?
			'read' : 'unread')),
		linkButton(t('voicemail.download'), () => download(m)),
		linkButton(t('common.delete'), () => remove(m), 'danger')));
}

async function loadBoxes() {
	boxes = await listAll('/voicemail/boxes').catch(() => []);
	fillSelect(boxSel, [['', 'voicemail.all_boxes', true],
		...boxes.map((b) => [b.box_id, b.name])]);
}

/** Wire the voicemail tab. @return the tab's table. */
export function initVoicemail(onError) {
	boxSel = el('select', { id: 'voicemail-box',
		'data-i18n-aria-label': 'voicemail.box' },
	tx('option', 'voicemail.all_boxes', { value: '' }));
	const audio = el('audio', { id: 'voicemail-audio', controls: true,
		hidden: true, preload: 'none' });
	player = new BlobPlayer(audio);
	const section = tabPage('voicemail', { titleKey: 'tab.voicemail',
		tools: [boxSel, tx('button', 'common.refresh', { type: 'button',
			id: 'voicemail-refresh', onclick: () => table.reload() })],
		body: [audio, ...tableBlock('voicemail-table', ['voicemail.status',
			'voicemail.time', 'voicemail.caller', 'voicemail.number',
			'voicemail.box', 'voicemail.duration', ''])] });
	table = new InboxTable(section, { path: listPath, row, onError });
	boxSel.addEventListener('change', () => table.reload());
	const reload = table.reload.bind(table);
	table.reload = async () => {
		if (!boxes.length)
			await loadBoxes();
		return reload();
	};
	return table;
}
