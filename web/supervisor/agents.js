// The agent grid: one card per agent, coloured by state, with time in
// state and the current call ticking locally, and the supervisor's
// actions (force ready / not ready, log out, listen, whisper, barge).
import { el } from '../common/shell.js';
import { t } from '../common/i18n.js';
import { duration } from './board.js';

const SYSTEM_REASONS = ['no_answer', 'device_offline', 'restart',
	'consult'];

/** The reason as shown: the tenant's own text, or the system's, named. */
export function reasonText(reason) {
	if (!reason)
		return '';
	return SYSTEM_REASONS.includes(reason) ? t(`sv.reason.${reason}`) :
		reason;
}

function button(act, cls = '') {
	return el('button', { type: 'button', class: cls,
		dataset: { act } }, t(`sv.act.${act}`));
}

function buildCard(a) {
	return el('article', { class: 'agent', dataset: { agent: a.agent_id,
		workNo: a.work_no } },
	el('header', {},
		el('span', { class: 'state-dot', 'aria-hidden': 'true' }),
		el('strong', { class: 'work-no mono', dataset: { k: 'work_no' } }),
		el('span', { class: 'name', dataset: { k: 'name' } }),
		el('span', { class: 'in-state mono', dataset: { k: 'in_state' } })),
	el('div', { class: 'agent-state' },
		el('span', { class: 'state-label', dataset: { k: 'state' } }),
		el('span', { class: 'reason', dataset: { k: 'reason' } })),
	el('div', { class: 'agent-call', dataset: { k: 'call' } },
		el('span', { class: 'caller mono', dataset: { k: 'caller' } }),
		el('span', { class: 'queue', dataset: { k: 'queue' } }),
		el('span', { class: 'talk mono', dataset: { k: 'talk' } })),
	el('div', { class: 'agent-mons', dataset: { k: 'mons' } }),
	el('div', { class: 'agent-actions' },
		button('ready'), button('not_ready'), button('logout', 'link'),
		el('span', { class: 'sep', 'aria-hidden': 'true' }),
		button('listen', 'mon'), button('whisper', 'mon'),
		button('barge', 'mon'), button('stop', 'mon danger')));
}

function setText(root, key, text) {
	const n = root.querySelector(`[data-k="${key}"]`);
	const s = String(text ?? '');
	if (n && n.textContent !== s)
		n.textContent = s;
}

function hasCall(a) {
	return !!a.call_id && ['ringing', 'on_call', 'wrap_up']
		.includes(a.state);
}

function fillCard(board, card, a, monitoring) {
	const now = board.now();
	card.dataset.state = a.state;
	setText(card, 'work_no', a.work_no);
	setText(card, 'name', a.name);
	setText(card, 'state', t(`sv.state.${a.state}`));
	setText(card, 'reason', a.state === 'not_ready' ?
		reasonText(a.reason) : '');
	setText(card, 'in_state', a.state === 'logged_out' || !a.since_ms ?
		'' : duration(now - a.since_ms));
	const call = hasCall(a);
	card.querySelector('[data-k="call"]').hidden = !call;
	if (call) {
		setText(card, 'caller', a.caller || t('sv.unknown_caller'));
		setText(card, 'queue', a.queue || '');
		setText(card, 'talk', a.call_since_ms ?
			duration(now - a.call_since_ms) : '');
	}
	fillMonitors(board, card, a);
	const on = a.state === 'on_call' && !!a.call_id;
	const mine = monitoring && monitoring.call_id === a.call_id;
	for (const b of card.querySelectorAll('button[data-act]')) {
		const act = b.dataset.act;
		if (act === 'ready')
			b.disabled = a.state === 'ready' || !isForcible(a);
		else if (act === 'not_ready')
			b.disabled = a.state === 'not_ready' || !isForcible(a);
		else if (act === 'logout')
			b.disabled = a.state === 'logged_out' || on;
		else if (act === 'stop')
			b.disabled = !mine;
		else
			b.disabled = !on || (mine && monitoring.mode === act);
		b.setAttribute('aria-pressed', mine && monitoring.mode === act ?
			'true' : 'false');
	}
	card.classList.toggle('monitored', !!mine);
}

/* Every supervisor on the agent's call (this one too), by name and
 * mode: two leads on one escalation see each other. */
function fillMonitors(board, card, a) {
	const mons = hasCall(a) ? board.monitorsOf(a) : [];
	card.querySelector('[data-k="mons"]').hidden = !mons.length;
	card.dataset.monitors = String(mons.length);
	setText(card, 'mons', mons.length ? t('sv.mon.by', { list: mons
		.map((m) => t('sv.mon.who', { name: m.supervisor,
			mode: t(`sv.mon.${m.mode}`) })).join(t('sv.mon.sep')) }) : '');
}

/* Ready and not ready are refused during a call (the server says so
 * too): only between calls. */
function isForcible(a) {
	return !['ringing', 'on_call'].includes(a.state);
}

/**
 * Draw the visible agents in order, updating cards in place.
 * onAct(action, agent) is called for a button.
 */
export function renderAgents(board, root, monitoring, onAct) {
	const want = board.visibleAgents();
	const have = new Map([...root.children].map((n) =>
		[n.dataset.agent, n]));
	const order = [];
	for (const a of want) {
		let card = have.get(a.agent_id);
		if (!card) {
			card = buildCard(a);
			card.addEventListener('click', (ev) => {
				const b = ev.target.closest('button[data-act]');
				const cur = board.agents.get(card.dataset.agent);
				if (b && !b.disabled && cur)
					onAct(b.dataset.act, cur);
			});
		}
		have.delete(a.agent_id);
		fillCard(board, card, a, monitoring);
		order.push(card);
	}
	for (const n of have.values())
		n.remove();
	order.forEach((n, i) => {
		if (root.children[i] !== n)
			root.insertBefore(n, root.children[i] || null);
	});
	return want.length;
}

/** Only the ticking parts (every second). */
export function tickAgents(board, root) {
	const now = board.now();
	for (const card of root.children) {
		const a = board.agents.get(card.dataset.agent);
		if (!a)
			continue;
		if (a.state !== 'logged_out' && a.since_ms)
			setText(card, 'in_state', duration(now - a.since_ms));
		if (hasCall(a) && a.call_since_ms)
			setText(card, 'talk', duration(now - a.call_since_ms));
	}
}

/** Button labels again after a language switch. */
export function relabelAgents(board, root, monitoring) {
	for (const b of root.querySelectorAll('button[data-act]'))
		b.textContent = t(`sv.act.${b.dataset.act}`);
	for (const card of root.children) {
		const a = board.agents.get(card.dataset.agent);
		if (a)
			fillCard(board, card, a, monitoring);
	}
}
