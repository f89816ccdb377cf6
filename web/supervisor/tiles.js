// Queue tiles and today's summary. Each tile is built once per queue and
// updated in place, so the ticking longest wait does not rebuild it.
import { el } from '../common/shell.js';
import { t } from '../common/i18n.js';
import { duration } from './board.js';

const AGENT_KEYS = ['ready', 'ringing', 'on_call', 'wrap_up', 'not_ready'];

function stat(key, cls) {
	return el('div', { class: `stat ${cls || ''}` },
		el('span', { class: 'v', dataset: { k: key } }, '0'),
		el('span', { class: 'k', dataset: { l: key } }));
}

function buildTile(q) {
	const agents = el('ul', { class: 'tile-agents' },
		AGENT_KEYS.map((k) => el('li', { dataset: { state: k },
			title: t(`sv.state.${k}`) },
		el('span', { class: 'dot', 'aria-hidden': 'true' }),
		el('span', { class: 'n', dataset: { k: `a_${k}` } }, '0'),
		el('span', { class: 'sr' }, t(`sv.state.${k}`)))));
	return el('article', { class: 'panel tile', dataset: { queue: q.queue_id },
		'aria-label': q.label || q.name },
	el('header', {},
		el('h3', { dataset: { k: 'label' } }),
		el('span', { class: 'hint mono', dataset: { k: 'name' } })),
	el('div', { class: 'tile-main' },
		el('div', { class: 'waiting' },
			el('span', { class: 'big', dataset: { k: 'waiting' } }, '0'),
			el('span', { class: 'k', dataset: { l: 'waiting' } })),
		el('div', { class: 'longest' },
			el('span', { class: 'v mono', dataset: { k: 'longest' } }),
			el('span', { class: 'k', dataset: { l: 'longest' } }))),
	agents,
	el('div', { class: 'tile-today' },
		stat('offered'), stat('answered', 'ok'), stat('abandoned', 'bad'),
		stat('overflowed'), stat('sl', 'sl')));
}

function setText(root, key, text) {
	const n = root.querySelector(`[data-k="${key}"]`);
	if (n && n.textContent !== String(text))
		n.textContent = String(text);
}

function labels(root) {
	for (const n of root.querySelectorAll('[data-l]'))
		n.textContent = t(`sv.q.${n.dataset.l}`);
}

function slText(sl) {
	return sl === null || sl === undefined ? '—' : `${sl}%`;
}

/* Waiting long: amber past half the threshold, red past it. */
function level(board, q) {
	const w = board.longestWait(q) / 1000;
	const th = q.sl_threshold_s || 20;
	if (!q.waiting)
		return 'calm';
	return w >= th ? 'alarm' : w >= th / 2 ? 'warm' : 'busy';
}

function fillTile(board, tile, q) {
	setText(tile, 'label', q.label || q.name);
	setText(tile, 'name', q.label ? q.name : '');
	setText(tile, 'waiting', q.waiting);
	setText(tile, 'longest', q.waiting ? duration(board.longestWait(q)) :
		'—');
	for (const k of AGENT_KEYS)
		setText(tile, `a_${k}`, q.agents?.[k] ?? 0);
	setText(tile, 'offered', q.offered);
	setText(tile, 'answered', q.answered);
	setText(tile, 'abandoned', q.abandoned);
	setText(tile, 'overflowed', q.overflowed);
	setText(tile, 'sl', slText(q.service_level));
	tile.dataset.level = level(board, q);
	tile.title = t('sv.q.sl_hint', { s: q.sl_threshold_s });
}

/** Draw the tiles of the visible queues (in order), updating in place. */
export function renderTiles(board, root) {
	const want = board.visibleQueues();
	const have = new Map([...root.children].map((n) =>
		[n.dataset.queue, n]));
	const order = [];
	for (const q of want) {
		let tile = have.get(q.queue_id);
		if (!tile) {
			tile = buildTile(q);
			labels(tile);
		}
		have.delete(q.queue_id);
		fillTile(board, tile, q);
		order.push(tile);
	}
	for (const n of have.values())
		n.remove();
	order.forEach((n, i) => {
		if (root.children[i] !== n)
			root.insertBefore(n, root.children[i] || null);
	});
	if (!want.length) {
		root.replaceChildren(el('p', { class: 'hint empty-tiles' },
			t('sv.no_queues')));
	}
	else {
		root.querySelector('.empty-tiles')?.remove();
	}
}

/** Only the ticking parts (every second). */
export function tickTiles(board, root) {
	for (const tile of root.querySelectorAll('.tile')) {
		const q = board.queues.get(tile.dataset.queue);
		if (!q)
			continue;
		setText(tile, 'longest', q.waiting ?
			duration(board.longestWait(q)) : '—');
		tile.dataset.level = level(board, q);
	}
}

/** The summary strip: today's totals over the queues shown. */
export function renderSummary(board, root) {
	const s = board.totals();
	const ready = [...board.agents.values()].filter((a) =>
		board.agentVisible(a));
	const count = (st) => ready.filter((a) => a.state === st).length;
	const online = ready.filter((a) => a.state !== 'logged_out').length;
	const items = [
		['waiting', s.waiting, s.waiting ? 'busy' : ''],
		['longest', s.waiting ? duration(s.longest) : '—', ''],
		['online', `${online}`, ''],
		['ready', count('ready'), 'ok'],
		['talking', count('on_call') + count('ringing'), 'info'],
		['offered', s.offered, ''],
		['answered', s.answered, 'ok'],
		['abandoned', s.abandoned, s.abandoned ? 'bad' : ''],
		['sl', slText(s.sl), 'sl'],
	];
	if (root.children.length !== items.length) {
		root.replaceChildren(...items.map(([k]) => el('div',
			{ class: 'sum', dataset: { sum: k } },
			el('span', { class: 'v' }), el('span', { class: 'k' }))));
	}
	items.forEach(([k, v, cls], i) => {
		const n = root.children[i];
		n.className = `sum ${cls}`;
		n.querySelector('.v').textContent = String(v);
		n.querySelector('.k').textContent = t(`sv.sum.${k}`);
	});
}

/** Labels again after a language switch. */
export function relabelTiles(root) {
	labels(root);
	for (const li of root.querySelectorAll('.tile-agents li')) {
		li.title = t(`sv.state.${li.dataset.state}`);
		li.querySelector('.sr').textContent = t(`sv.state.${li.dataset.state}`);
	}
}
