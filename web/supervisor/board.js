// The wallboard's state: queues and agents as the server last told them,
// the server's clock, and the filters. No DOM here.

/* The states an agent tile can show, in the legend's order. */
export const STATES = ['ready', 'ringing', 'on_call', 'wrap_up',
	'not_ready', 'outbound', 'logged_out'];

/* A supervisor monitors a call at most once. */
const monKey = (m) => `${m.call_id}/${m.supervisor_id}`;

export class Board {
	constructor() {
		this.queues = new Map();     /* queue_id -> queue.live data */
		this.agents = new Map();     /* agent_id -> agent tile */
		this.skills = [];            /* [{skill_id, name}] */
		this.queueSkills = new Map();   /* queue_id -> Set(skill_id) */
		this.monitors = new Map();   /* call_id/supervisor_id -> monitor */
		this.skew = 0;               /* server ms - local ms */
		this.filter = { queue: '', skill: '', state: '', text: '' };
	}

	/** The server's wall clock now (its own stamps, tests offset it). */
	now() {
		return Date.now() + this.skew;
	}

	/* A stamp from the server: how far its clock is from ours. */
	stamp(atMs) {
		if (typeof atMs === 'number' && atMs > 0)
			this.skew = atMs - Date.now();
	}

	/** A queue's figures; older ones than those shown are ignored. */
	setQueue(q) {
		const cur = this.queues.get(q.queue_id);
		if (cur && cur.at_ms > q.at_ms)
			return;
		this.stamp(q.at_ms);
		this.queues.set(q.queue_id, { ...q, seenAt: this.now() });
	}

	/** GET /live/queues: the queues there are, each as new as known. */
	setQueues(list) {
		const ids = new Set(list.map((q) => q.queue_id));
		for (const id of [...this.queues.keys()]) {
			if (!ids.has(id))
				this.queues.delete(id);
		}
		for (const q of list)
			this.setQueue(q);
	}

	/** The longest wait now, counted on from the last message. */
	longestWait(q) {
		if (!q.waiting)
			return 0;
		return q.longest_wait_ms + Math.max(0, this.now() - q.seenAt);
	}

	/** GET /live/monitors: every supervisor's monitor now. */
	setMonitors(list) {
		this.monitors = new Map(list.map((m) => [monKey(m), m]));
	}

	/** A monitor.* event: started and changed set it, stopped drops. */
	monitorEvent(type, d) {
		const k = monKey(d);
		if (type === 'monitor.stopped')
			this.monitors.delete(k);
		else
			this.monitors.set(k, { ...this.monitors.get(k), ...d });
	}

	/** Every supervisor monitoring agent a on its current call. */
	monitorsOf(a) {
		return [...this.monitors.values()].filter((m) =>
			m.call_id === a.call_id && m.agent_id === a.agent_id);
	}

	/** /live/agents rows merged with /agents (skills). */
	setAgents(live, config) {
		const skills = new Map(config.map((a) => [a.agent_id,
			(a.skills || []).map((s) => s.skill_id)]));
		const names = new Map(config.map((a) => [a.agent_id,
			a.display_name || a.username || '']));
		const old = this.agents;
		this.agents = new Map();
		for (const a of live) {
			/* an event that came in while the list was on its way is
			 * newer than the list: keep what it said */
			const seen = old.get(a.agent_id);
			const st = seen && seen.since_ms > a.since_ms ? {
				state: seen.state, reason: seen.reason,
				since_ms: seen.since_ms, call_id: seen.call_id,
				queue_id: seen.queue_id, caller: seen.caller,
				queue: seen.queue, call_since_ms: seen.call_since_ms,
			} : {};
			this.agents.set(a.agent_id, { ...a, ...st,
				name: a.name || names.get(a.agent_id) || '',
				skills: skills.get(a.agent_id) || [],
				queues: a.queues || [] });
		}
	}

	/** An agent.state_changed event; false when the agent is unknown. */
	agentChanged(d) {
		const a = this.agents.get(d.agent_id);
		this.stamp(d.at_ms);
		if (!a)
			return false;
		Object.assign(a, {
			state: d.state, reason: d.reason || '', since_ms: d.at_ms,
			call_id: d.call_id || null, queue_id: d.queue_id || null,
			caller: d.caller || null, queue: d.queue || null,
			call_since_ms: d.call_since_ms || 0,
		});
		if (d.name)
			a.name = d.name;
		return true;
	}

	agentVisible(a) {
		const f = this.filter;
		if (f.queue && !a.queues.includes(f.queue))
			return false;
		if (f.skill && !a.skills.includes(f.skill))
			return false;
		if (f.state && a.state !== f.state)
			return false;
		if (f.text) {
			const s = f.text.toLowerCase();
			if (!a.work_no.toLowerCase().includes(s) &&
				!(a.name || '').toLowerCase().includes(s))
				return false;
		}
		return true;
	}

	queueVisible(q) {
		const f = this.filter;
		if (f.queue && q.queue_id !== f.queue)
			return false;
		if (f.skill && !this.queueSkills.get(q.queue_id)?.has(f.skill))
			return false;
		return true;
	}

	visibleQueues() {
		return [...this.queues.values()].filter((q) => this.queueVisible(q))
			.sort((a, b) => (a.label || a.name).localeCompare(
				b.label || b.name, 'zh-CN'));
	}

	/* Logged-in agents by work number, then the logged out: a card
	 * keeps its place while its agent works (no card moves under the
	 * supervisor's pointer on every call). */
	visibleAgents() {
		const out = (a) => a.state === 'logged_out' ? 1 : 0;
		return [...this.agents.values()].filter((a) => this.agentVisible(a))
			.sort((a, b) => out(a) - out(b) ||
				a.work_no.length - b.work_no.length ||
				a.work_no.localeCompare(b.work_no));
	}

	/** Today's totals over the queues shown. */
	totals() {
		const t = { waiting: 0, longest: 0, offered: 0, answered: 0,
			abandoned: 0, overflowed: 0, inSl: 0 };
		for (const q of this.visibleQueues()) {
			t.waiting += q.waiting;
			t.longest = Math.max(t.longest, this.longestWait(q));
			t.offered += q.offered;
			t.answered += q.answered;
			t.abandoned += q.abandoned;
			t.overflowed += q.overflowed;
			t.inSl += q.answered_in_sl;
		}
		const done = t.answered + t.abandoned + t.overflowed;
		t.sl = done ? Math.floor(t.inSl * 1000 / done) / 10 : null;
		return t;
	}
}

/** 75 s -> "01:15", 3725 s -> "1:02:05". */
export function duration(ms) {
	const s = Math.max(0, Math.floor(ms / 1000));
	const h = Math.floor(s / 3600);
	const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
	const ss = String(s % 60).padStart(2, '0');
	return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
