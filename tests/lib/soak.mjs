// The ACD soak: random calls and random agent behaviour against a real
// server, with the routing core's invariants checked by the server after
// every operation (acd_check) and, from outside, by what it pushes and
// records:
//   - no agent is offered a call while it rings or talks for another;
//   - calls are offered for the first time in the order they joined
//     (one queue, one priority);
//   - no call is lost: every call placed has a CDR row that ended, with
//     exactly one call.ended in its timeline and, when it queued, one
//     queue result.
// Used by tests/integration/queue_soak.test.mjs (a minute) and by
// `make soak` (SOAK_MINUTES, 30 by default).
import assert from 'node:assert/strict';
import { RtpPeer, sipCall } from './sip.mjs';
import { queueFlow } from './acd.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* A seeded PRNG, so a failing run can be repeated (SOAK_SEED). */
function prng(seed) {
	let s = seed >>> 0 || 1;
	return () => {
		s ^= s << 13;
		s ^= s >>> 17;
		s ^= s << 5;
		return (s >>> 0) / 4294967296;
	};
}

/*
 * Watch the supervisor's event stream: agent states and offers. The
 * WebSocket client queues every message; drain it as it comes.
 */
function watch(x, problems) {
	const busy = new Map();      // agent_id -> call_id while ringing/on call
	const joined = [];           // call ids in join order
	const firstOffer = [];       // call ids in first-offer order
	const offered = new Set();
	let stop = false;
	const loop = (async () => {
		while (!stop) {
			let m;
			try {
				m = await x.ws.next(() => true, 500);
			} catch (e) {
				/* a closed socket would answer at once, forever */
				if (!/closed/.test(e.message))
					continue;
				problems.push(`supervisor's WebSocket: ${e.message}`);
				break;
			}
			const dt = m.data || {};
			if (m.type === 'agent.state_changed') {
				if (dt.state === 'ringing' || dt.state === 'on_call')
					busy.set(dt.agent_id, dt.call_id);
				else
					busy.delete(dt.agent_id);
			} else if (m.type === 'agent.offered') {
				const cur = busy.get(dt.agent_id);
				if (cur && cur !== dt.call_id) {
					problems.push(`agent ${dt.work_no} offered ${dt.call_id}` +
						` while busy with ${cur}`);
				}
				if (!offered.has(dt.call_id)) {
					offered.add(dt.call_id);
					firstOffer.push(dt.call_id);
				}
			} else if (m.type === 'queue.joined') {
				joined.push(dt.call_id);
			}
		}
	})();
	return {
		async end() {
			stop = true;
			await loop;
			/* first offers follow join order */
			const pos = new Map(joined.map((id, i) => [id, i]));
			let last = -1;
			for (const id of firstOffer) {
				const p = pos.get(id);
				if (p === undefined)
					continue;
				if (p < last)
					problems.push(`call ${id} first offered out of order`);
				last = Math.max(last, p);
			}
			return { joined: joined.length, offered: firstOffer.length };
		},
	};
}

/* One caller: waits a random while, then hangs up (unless done). */
async function caller(x, number, callerNo, holdMs) {
	const rtp = await RtpPeer.open();
	const c = await sipCall(x.s, { service: number, caller: callerNo, rtp,
		timeoutS: 600 });
	const t = setTimeout(() => { c.hangup().catch(() => {}); }, holdMs);
	const r = await c.done;
	clearTimeout(t);
	rtp.close();
	return r;
}

const ACTIONS = [
	['ready', 6], ['not_ready', 2], ['logged_out', 1], ['wrap_end', 1]];

async function agentAction(x, rnd, workNo) {
	let n = rnd() * ACTIONS.reduce((a, [, w]) => a + w, 0);
	const [what] = ACTIONS.find(([, w]) => (n -= w) < 0) || ACTIONS[0];
	const id = x.agents[workNo].agent_id;
	const r = what === 'wrap_end' ?
		await x.s.api('POST', `/api/v1/agents/${id}/wrap-up`,
			{ action: 'end' }, x.d.sup) :
		await x.setState(workNo, what, what === 'not_ready' ?
			'休息' : undefined);
	/* refused changes are fine (on a call, no device); errors and an
	 * expired session are not */
	if (r.status >= 500 || r.status === 401)
		throw new Error(`${what}: ${r.status} ${r.text}`);
}

/**
 * Run the soak for seconds on x (an acdStack). Resolves with counts;
 * throws with every problem found.
 */
export async function runSoak(x, { seconds = 60, seed = 1,
	concurrency = 6 } = {}) {
	const rnd = prng(seed);
	const problems = [];
	const number = '4001000900';
	await x.d.number(number, { flow_id: await x.d.flow('压测排队',
		queueFlow('support')) });
	await x.patchQueue(x.support.queue_id, { wrapup_s: 1,
		ring_timeout_s: 5, miss_limit: 2, max_wait_s: 40,
		overflow_action: 'hangup', announce_every_s: 10,
		join_empty: 'always', announce_work_no: false });

	/* five phones, five behaviours */
	const kinds = [
		['1001', { talkMs: 1500, ringMs: 200 }],
		['1002', { talkMs: 4000, ringMs: 1500 }],
		['1003', { mode: 'busy', ringMs: 300 }],
		['1004', { mode: 'silent' }],
		['1005', { talkMs: 800, ringMs: 100 }]];
	for (const [w, o] of kinds)
		await x.phone(w, o);
	for (const [w] of kinds)
		await x.setState(w, 'ready');

	const w = watch(x, problems);
	const until = Date.now() + seconds * 1000;
	const callers = new Set();
	const placed = [];
	let n = 0;
	const agentsLoop = (async () => {
		while (Date.now() < until) {
			await agentAction(x, rnd, kinds[Math.floor(rnd() *
				kinds.length)][0]);
			await sleep(200 + rnd() * 800);
		}
	})();
	while (Date.now() < until) {
		if (callers.size < concurrency) {
			const no = `1370000${String(++n).padStart(4, '0')}`;
			placed.push(no);
			const p = caller(x, number, no, 1000 + rnd() * 12000)
				.finally(() => callers.delete(p));
			callers.add(p);
		}
		await sleep(100 + rnd() * 600);
	}
	await agentsLoop;
	await Promise.all(callers);
	/* let the last records land, then stop watching */
	await sleep(1500);
	const seen = await w.end();

	/* every call placed: one ended CDR row, one call.ended; a long soak
	 * places thousands, checked eight at a time */
	const checkCall = async (no) => {
		const l = await x.s.api('GET', `/api/v1/calls?caller=${no}`, null,
			x.d.sup);
		if (l.json?.items?.length !== 1) {
			problems.push(`caller ${no}: ${l.json?.items?.length} CDR rows`);
			return;
		}
		const c = (await x.s.api('GET',
			`/api/v1/calls/${l.json.items[0].call_id}`, null, x.d.sup)).json;
		const ends = c.events.filter((e) => e.type === 'call.ended');
		if (!c.ended_at || !c.disposition || ends.length !== 1)
			problems.push(`call ${c.call_id}: not ended once`);
		if (c.queued_at && !c.queue_result)
			problems.push(`call ${c.call_id}: queued without a result`);
	};
	const todo = [...placed];
	const t0 = Date.now();
	await Promise.all(Array.from({ length: 8 }, async () => {
		while (todo.length)
			await checkCall(todo.shift());
	}));
	for (const [wn] of kinds)
		await x.setState(wn, 'logged_out');
	assert.deepEqual(problems, []);
	return { calls: placed.length, check_ms: Date.now() - t0, ...seen };
}
