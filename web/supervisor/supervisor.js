// The supervisor's wallboard: loads the live state once, then lives on
// the WebSocket (queue.live tiles, agent.state_changed), ticks times
// locally, filters by queue, skill and state, and acts on agents.
import { api } from '../common/api.js';
import { applyI18n, errorText, hasKey, onLocaleChange, t }
	from '../common/i18n.js';
import { bindLiveStatus, el, initShell, toast } from '../common/shell.js';
import { Live } from '../common/ws.js';
import { Board, STATES } from './board.js';
import { relabelTiles, renderSummary, renderTiles, tickTiles }
	from './tiles.js';
import { relabelAgents, renderAgents, tickAgents } from './agents.js';
import { Charts } from './charts.js';
import { Monitor } from './monitor.js';

const $ = (id) => document.getElementById(id);
const board = new Board();
const REQUEST_MS = 15000;
let live;
let charts;
let monitor;
let monitoring = null;
let me = {};
let reasons = [];
let drawQueued = false;

/* --- requests over the socket ------------------------------------- */

let seq = 0;
const pending = new Map();

/** Send msg with an id; resolve with its answer, reject on "error". */
function request(msg) {
	return new Promise((resolve, reject) => {
		const sock = live?.sock;
		if (!sock || sock.readyState !== WebSocket.OPEN ||
			live.status !== 'online') {
			const e = new Error('offline');
			e.code = 'offline';
			reject(e);
			return;
		}
		const id = `sv-${++seq}`;
		const timer = setTimeout(() => {
			pending.delete(id);
			const e = new Error('timeout');
			e.code = 'timeout';
			reject(e);
		}, REQUEST_MS);
		pending.set(id, { resolve, reject, timer });
		sock.send(JSON.stringify({ ...msg, id }));
	});
}

function answered(m) {
	const p = typeof m.id === 'string' && pending.get(m.id);
	if (!p)
		return;
	pending.delete(m.id);
	clearTimeout(p.timer);
	if (m.type === 'error') {
		const e = new Error(m.message || m.code);
		e.code = m.code;
		p.reject(e);
	}
	else {
		p.resolve(m);
	}
}

function failText(err) {
	const code = err?.code || err?.name;
	if (code && hasKey(`sv.err.${code}`))
		return t(`sv.err.${code}`);
	return errorText(err);
}

/* --- drawing ------------------------------------------------------ */

/* Many events in one task draw once. */
function draw() {
	if (drawQueued)
		return;
	drawQueued = true;
	requestAnimationFrame(() => {
		drawQueued = false;
		drawNow();
	});
}

function drawNow() {
	renderTiles(board, $('queue-tiles'));
	renderSummary(board, $('summary'));
	const n = renderAgents(board, $('agent-grid'), monitoring, act);
	$('no-agents').hidden = n > 0;
	$('agent-count').textContent = t('sv.agent_count', { n,
		all: board.agents.size });
	charts?.draw();
	drawMonitor();
}

function tick() {
	tickTiles(board, $('queue-tiles'));
	tickAgents(board, $('agent-grid'));
	renderSummary(board, $('summary'));
}

function drawMonitor() {
	const bar = $('monitor-bar');
	bar.hidden = !monitoring;
	if (!monitoring)
		return;
	const a = board.agents.get(monitoring.agent_id);
	bar.dataset.mode = monitoring.mode;
	$('monitor-title').textContent = t(`sv.mon.now.${monitoring.mode}`, {
		agent: a ? `${a.work_no} ${a.name}` : '' });
	$('monitor-detail').textContent = [a?.caller, a?.queue,
		t(`sv.mon.state.${monitoring.state}`)].filter(Boolean).join(' · ');
	for (const b of $('monitor-modes').querySelectorAll('button')) {
		b.setAttribute('aria-pressed', b.dataset.mode === monitoring.mode ?
			'true' : 'false');
		/* a call taken over stays the supervisor's */
		b.disabled = monitoring.mode === 'takeover' &&
			b.dataset.mode !== 'takeover';
	}
}

/* --- filters ------------------------------------------------------ */

function option(value, text) {
	return el('option', { value }, text);
}

function fillFilters() {
	const f = board.filter;
	const qs = [...board.queues.values()].sort((a, b) =>
		(a.label || a.name).localeCompare(b.label || b.name, 'zh-CN'));
	$('f-queue').replaceChildren(option('', t('sv.filter.all_queues')),
		...qs.map((q) => option(q.queue_id, q.label || q.name)));
	$('f-skill').replaceChildren(option('', t('sv.filter.all_skills')),
		...board.skills.map((s) => option(s.skill_id, s.name)));
	$('f-state').replaceChildren(option('', t('sv.filter.all_states')),
		...STATES.map((s) => option(s, t(`sv.state.${s}`))));
	$('f-queue').value = f.queue;
	$('f-skill').value = f.skill;
	$('f-state').value = f.state;
}

function bindFilters() {
	const read = () => {
		board.filter = { queue: $('f-queue').value,
			skill: $('f-skill').value, state: $('f-state').value,
			text: $('f-text').value.trim() };
		drawNow();     /* at once: the user is looking */
	};
	for (const id of ['f-queue', 'f-skill', 'f-state'])
		$(id).addEventListener('change', read);
	$('f-text').addEventListener('input', read);
	$('filters').addEventListener('submit', (ev) => ev.preventDefault());
}

function legend() {
	$('legend').replaceChildren(...STATES.map((s) => el('li',
		{ dataset: { state: s } }, el('span', { class: 'dot',
			'aria-hidden': 'true' }), t(`sv.state.${s}`))));
}

/* --- loading ------------------------------------------------------ */

async function all(path) {
	return (await api('GET', path))?.items || [];
}

/** Everything the board shows, from REST: at start and on reconnect. */
async function load() {
	const [queues, liveAgents, agents, skills, qcfg, hist, rs, mons] =
		await Promise.all([all('/live/queues'), all('/live/agents'),
			all('/agents?limit=200'), all('/skills?limit=200'),
			all('/queues?limit=200'), api('GET', '/live/history'),
			all('/notready-reasons?limit=200'), all('/live/monitors')]);
	board.setQueues(queues);
	board.setAgents(liveAgents, agents);
	board.setMonitors(mons);
	board.skills = skills.map((s) => ({ skill_id: s.skill_id,
		name: s.name })).sort((a, b) => a.name.localeCompare(b.name,
		'zh-CN'));
	board.queueSkills = new Map(qcfg.map((q) => [q.queue_id,
		new Set((q.skills || []).map((s) => s.skill_id))]));
	reasons = rs.filter((r) => r.enabled !== false).map((r) => r.name);
	charts.load(hist);
	for (const q of queues)
		charts.onQueue(q);
	fillFilters();
	$('wall-error').hidden = true;
	drawNow();
}

async function reload() {
	try {
		await load();
	} catch (err) {
		$('wall-error').textContent = failText(err);
		$('wall-error').hidden = false;
	}
}

/* An agent the board has not seen (added meanwhile): load again, once
 * for a burst. */
let reloadTimer = null;
function reloadSoon() {
	clearTimeout(reloadTimer);
	reloadTimer = setTimeout(reload, 300);
}

/* --- events ------------------------------------------------------- */

function onQueueLive(ev) {
	board.setQueue(ev.data);
	charts.onQueue(ev.data);
	if (!$('f-queue').querySelector(`option[value="${ev.data.queue_id}"]`))
		fillFilters();
	draw();
}

function onAgentChanged(ev) {
	const d = ev.data;
	if (!board.agentChanged(d)) {
		reloadSoon();
		return;
	}
	/* after a take-over the agent leaves the call; the supervisor not */
	if (monitoring && monitoring.mode !== 'takeover' &&
		monitoring.agent_id === d.agent_id &&
		(d.state !== 'on_call' || d.call_id !== monitoring.call_id))
		monitor.callGone(monitoring.call_id);
	draw();
}

function onMonitorEvent(ev) {
	board.monitorEvent(ev.type, ev.data);
	if (ev.data?.supervisor_id === me.user_id)
		monitor.mine(ev.type, ev.data);
	draw();
}

function onCallEnded(ev) {
	if (monitoring && ev.data?.call_id === monitoring.call_id)
		monitor.callGone(monitoring.call_id);
}

/* --- actions ------------------------------------------------------ */

function askReason(a) {
	const dlg = $('reason-dialog');
	$('reason-title').textContent = t('sv.reason_for', { agent:
		`${a.work_no} ${a.name}` });
	const sel = $('reason-select');
	sel.replaceChildren(...(reasons.length ? reasons : ['']).map((r) =>
		option(r, r || t('sv.reason.none'))));
	return new Promise((resolve) => {
		dlg.addEventListener('close', () => resolve(
			dlg.returnValue === 'ok' ? sel.value : null), { once: true });
		dlg.returnValue = '';
		dlg.showModal();
	});
}

async function setState(a, state, reason) {
	const msg = { type: 'agent.state', agent_id: a.agent_id, state };
	if (reason)
		msg.reason = reason;
	await request(msg);
	toast(t(`sv.done.${state}`, { agent: `${a.work_no} ${a.name}` }));
}

async function act(action, a) {
	try {
		switch (action) {
		case 'ready':
			await setState(a, 'ready');
			break;
		case 'not_ready': {
			const r = await askReason(a);
			if (r !== null)
				await setState(a, 'not_ready', r);
			break;
		}
		case 'logout':
			if (window.confirm(t('sv.confirm_logout', { agent:
				`${a.work_no} ${a.name}` })))
				await setState(a, 'logged_out');
			break;
		case 'stop':
			await monitor.stop();
			break;
		default:
			await monitor.start(a, action);
		}
	}
	catch (err) {
		toast(failText(err));
	}
}

function bindMonitorBar() {
	$('monitor-modes').addEventListener('click', (ev) => {
		const b = ev.target.closest('button[data-mode]');
		const a = monitoring && board.agents.get(monitoring.agent_id);
		if (b && a)
			act(b.dataset.mode, a);
	});
	$('monitor-stop').addEventListener('click', () => act('stop'));
}

/* --- start -------------------------------------------------------- */

async function main() {
	me = await initShell();
	legend();
	bindFilters();
	bindMonitorBar();
	charts = new Charts(board, $('chart-calls'), $('chart-waiting'));
	monitor = new Monitor(request, (cur) => {
		monitoring = cur;
		draw();
	});

	live = new Live(['agent', 'queue', 'call', 'monitor']);
	bindLiveStatus(live);
	live.on('*', answered);
	live.on('queue.live', onQueueLive);
	live.on('agent.state_changed', onAgentChanged);
	live.on('call.ended', onCallEnded);
	for (const type of ['monitor.started', 'monitor.changed',
		'monitor.stopped'])
		live.on(type, onMonitorEvent);
	let wasOnline = false;
	live.onStatus((s) => {
		/* back after a gap: what happened meanwhile comes from REST */
		if (s === 'online' && wasOnline)
			reload();
		if (s === 'online')
			wasOnline = true;
		if (s !== 'online' && monitoring)
			monitor.callGone(monitoring.call_id);
	});
	live.connect();

	await reload();
	await charts.build();
	setInterval(tick, 1000);
	onLocaleChange(() => {
		applyI18n();
		legend();
		fillFilters();
		relabelTiles($('queue-tiles'));
		relabelAgents(board, $('agent-grid'), monitoring);
		charts.relabel();
		drawNow();
	});
	window.addEventListener('pagehide', () => monitor.stop());
	document.body.dataset.ready = '1';
}

main();
