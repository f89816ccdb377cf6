// The supervisor's wallboard push with real SIP: queue tiles (queue.live)
// when a call joins and leaves, agent tiles (agent.state_changed with the
// current call), coalescing that never loses the last state, today's
// counters across a restart, the charts' history endpoint with bad input,
// and one tenant's wallboard never seeing another's.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ended, sipOk, waitCall } from '../lib/sip.mjs';
import { queueStack, until } from '../lib/acd_calls.mjs';
import { wsAuthed } from '../lib/stack.mjs';

let t;

/* Monday 10:00 in Shanghai as the other queue tests, but as an offset
 * that a restart keeps: the clock runs on, as a real one would */
const OFFSET_S = Math.floor((Date.parse('2026-11-23T02:00:00Z') -
	Date.now()) / 1000);

before(async () => {
	t = await queueStack({ env: { OPENSEAT_CLOCK_OFFSET:
		`${OFFSET_S < 0 ? '-' : '+'}${Math.abs(OFFSET_S)}` } });
});

afterEach(async () => {
	await t.reset();
});

after(async () => {
	await t?.stop();
});

const isTile = (qid, pred = () => true) => (m) =>
	m.type === 'queue.live' && m.data.queue_id === qid && pred(m.data);

async function liveQueue() {
	return t.liveQueue(t.support.queue_id);
}

/* The last queue.live of support received so far. */
function lastTile(from = 0) {
	const v = t.since(from, isTile(t.support.queue_id));
	return v[v.length - 1]?.data;
}

test('a call joins: the waiting count arrives; the caller hangs up: ' +
	'abandoned today', async () => {
	const qid = t.support.queue_id;
	const p = await t.phone('1001', { mode: 'silent' });
	const r = await t.setState('1001', 'not_ready', '休息');
	assert.equal(r.status, 200, r.text);
	const before = await liveQueue();
	const from = t.mark();
	const c = await t.call('13900007001', { rtp: false });
	const joined = await t.waitEvent(isTile(qid, (d) => d.waiting === 1),
		from, 10000);
	assert.equal(joined.data.offered, before.offered + 1);
	assert.equal(joined.data.agents.not_ready, 1);
	assert.equal(joined.data.name, 'support');
	assert.ok(joined.data.longest_wait_ms >= 0);
	assert.equal(typeof joined.data.at_ms, 'number');
	/* what the page gets on load says the same */
	assert.equal((await liveQueue()).waiting, 1);

	await c.hangup();
	await sipOk(c);
	const left = await t.waitEvent(isTile(qid, (d) => d.waiting === 0 &&
		d.abandoned === before.abandoned + 1), from, 10000);
	assert.equal(left.data.longest_wait_ms, 0);
	assert.equal(left.data.service_level, (left.data.answered_in_sl * 1000 /
		(left.data.answered + left.data.abandoned +
			left.data.overflowed) | 0) / 10);
	await waitCall(t.s, t.d.sup, '13900007001', ended);
	await p.stop();
});

test('an agent rung and on a call: the agent tile names the caller, the ' +
	'queue and since when; the queue tile counts it', async () => {
	const qid = t.support.queue_id;
	const p = await t.phone('1002', { ringMs: 300, talkMs: 4000 });
	await t.readyAll('1002');
	const from = t.mark();
	const c = await t.call('13900007002', { rtp: false });
	const ring = await t.waitState('1002', 'ringing', from);
	assert.equal(ring.data.caller, '13900007002');
	assert.equal(ring.data.queue, t.support.label || 'support');
	assert.ok(ring.data.call_since_ms > 0);
	assert.ok(ring.data.name.length > 0);
	const on = await t.waitState('1002', 'on_call', from);
	assert.equal(on.data.caller, '13900007002');
	assert.ok(on.data.call_since_ms >= ring.data.call_since_ms);
	await t.waitEvent(isTile(qid, (d) => d.agents.on_call === 1 &&
		d.waiting === 0), from, 5000);
	const a = await t.live('1002');
	assert.equal(a.caller, '13900007002');
	assert.equal(a.call_since_ms, on.data.call_since_ms);
	assert.equal(a.state, 'on_call');
	assert.ok(a.queues.includes(qid), JSON.stringify(a));

	/* the phone hangs up: wrap-up still names the call, ready not */
	const mid = t.mark();
	await sipOk(c);
	const wrap = await t.waitState('1002', 'wrap_up', from, 15000);
	assert.equal(wrap.data.caller, '13900007002');
	const ready = await t.waitState('1002', 'ready', from, 15000);
	assert.equal(ready.data.caller, '');
	assert.equal(ready.data.call_since_ms, 0);
	const tile = await t.waitEvent(isTile(qid, (d) =>
		d.agents.on_call === 0), mid, 5000);
	assert.ok(tile.data.answered >= 1);
	assert.ok(tile.data.answered_in_sl >= 1);
	await p.stop();
});

test('a burst of state changes: one tile per 250 ms at most, and the ' +
	'last one shows the final state', async () => {
	const qid = t.support.queue_id;
	await t.phone('1003');
	await t.phone('1004');
	await t.readyAll('1003', '1004');
	await until(() => lastTile()?.agents.ready === 2, 'two ready', 5000);
	const from = t.mark();
	const ids = ['1003', '1004'].map((w) => t.agents[w].agent_id);
	/* 19 changes over the supervisor's socket, not waiting for answers;
	 * the last two leave 1004 not ready and 1003 ready */
	const N = 19;
	for (let i = 0; i < N; i++) {
		t.ews.send({ type: 'agent.state', agent_id: ids[i % 2], id: i,
			state: i % 4 < 2 ? 'not_ready' : 'ready',
			reason: i % 4 < 2 ? '会议' : undefined });
	}
	for (let i = 0; i < N; i++) {
		const ok = await t.waitEvent((m) => m.id === i, from);
		assert.equal(ok.type, 'agent.ok', JSON.stringify(ok));
	}
	const changes = t.since(from, (m) => m.type === 'agent.state_changed' &&
		['1003', '1004'].includes(m.data.work_no));
	const lastAt = changes[changes.length - 1].data.at_ms;
	/* a tile stamped after the last change, within 250 ms of it (and
	 * the timer's lateness: 50 ms of it was tight for ASan on a loaded
	 * machine; a missed flush would wait for the 10 s sample) */
	const fin = (await t.waitEvent(isTile(qid, (d) => d.at_ms >= lastAt),
		from, 5000)).data;
	assert.ok(fin.at_ms - lastAt <= 450, `${fin.at_ms - lastAt} ms late`);
	assert.equal(fin.agents.ready, 1);
	assert.equal(fin.agents.not_ready, 1);
	assert.deepEqual(fin.agents, (await liveQueue()).agents);
	/* the server stamps each tile: no two closer than 250 ms (less a
	 * millisecond of clock rounding) */
	const tiles = t.since(from, isTile(qid));
	for (let i = 1; i < tiles.length; i++) {
		const gap = tiles[i].data.at_ms - tiles[i - 1].data.at_ms;
		assert.ok(gap >= 249, `tiles ${gap} ms apart`);
	}
	const span = lastAt - changes[0].data.at_ms;
	assert.ok(tiles.length <= 2 + span / 250,
		`${tiles.length} tiles for ${N} changes in ${span} ms`);
	/* the agent tiles are not coalesced: every change is there */
	assert.ok(changes.length >= N - 2, `${changes.length} agent changes`);
});

test('the charts: calls per five minutes and waiting samples; bad ' +
	'input refused', async () => {
	const qid = t.support.queue_id;
	const ok = await t.s.api('GET', `/api/v1/live/history?queue_id=${qid}`,
		null, t.d.sup);
	assert.equal(ok.status, 200, ok.text);
	assert.equal(ok.json.bucket_s, 300);
	assert.equal(ok.json.sample_s, 10);
	assert.equal(ok.json.items.length, 1);
	const h = ok.json.items[0];
	assert.equal(h.queue_id, qid);
	assert.equal(h.calls.length, 12);
	for (let i = 1; i < h.calls.length; i++)
		assert.equal(h.calls[i].at_ms - h.calls[i - 1].at_ms, 300000);
	const offered = h.calls.reduce((n, b) => n + b.offered, 0);
	assert.ok(offered >= 2, `offered in the last hour: ${offered}`);
	assert.ok(Array.isArray(h.waiting));
	for (const [at, n] of h.waiting) {
		assert.equal(typeof at, 'number');
		assert.ok(n >= 0);
	}
	const all = await t.s.api('GET', '/api/v1/live/history?minutes=15',
		null, t.d.sup);
	assert.equal(all.status, 200, all.text);
	assert.ok(all.json.items.every((x) => x.calls.length === 3));

	const bad = [['queue_id=nope', 400], ['queue_id=', 400],
		[`queue_id=${qid}x`, 400], ['minutes=0', 400], ['minutes=61', 400],
		['minutes=abc', 400], ['minutes=5x', 400], ['minutes=-5', 400],
		['minutes=', 400], ['minutes=99999999999999999999', 400],
		['queue_id=00000000-0000-4000-8000-000000000000', 404]];
	for (const [q, status] of bad) {
		const r = await t.s.api('GET', `/api/v1/live/history?${q}`, null,
			t.d.sup);
		assert.equal(r.status, status, `${q}: ${r.text}`);
		if (status === 400)
			assert.equal(r.json.code, 'validation_failed', r.text);
	}
	const agent = await t.s.token(t.s.agent);
	assert.equal((await t.s.api('GET', '/api/v1/live/history', null,
		agent)).status, 403);
	assert.equal((await t.s.api('GET', '/api/v1/live/history')).status,
		401);
});

test("tenant B's supervisor sees none of the demo tenant's wallboard",
	async () => {
		const op = t.d.op;
		const r = await t.s.api('POST', '/api/v1/tenants', { code: 'wall-b',
			name: 'B 公司', seat_quota: 5, admin: { username: 'badmin',
				password: 'Bbbb@20261', display_name: 'B 管理员' } }, op);
		assert.equal(r.status, 201, r.text);
		const bAdmin = await t.s.token({ tenant: 'wall-b',
			username: 'badmin', password: 'Bbbb@20261' });
		const u = await t.s.api('POST', '/api/v1/users', { username: 'bsup',
			password: 'Bsup@20261', role: 'supervisor' }, bAdmin);
		assert.equal(u.status, 201, u.text);
		const bSup = await t.s.token({ tenant: 'wall-b', username: 'bsup',
			password: 'Bsup@20261' });
		const b = await wsAuthed(t.s, bSup, ['agent', 'queue', 'call']);
		const seen = [];
		b.ws.on('message', (d) => seen.push(JSON.parse(d.toString())));

		/* demo's agent changes and a call joins and leaves */
		const p = await t.phone('1005', { mode: 'silent' });
		const from = t.mark();
		await t.setState('1005', 'not_ready', '休息');
		const c = await t.call('13900007005', { rtp: false });
		await t.waitEvent(isTile(t.support.queue_id, (d) => d.waiting === 1),
			from, 10000);
		await c.hangup();
		await sipOk(c);
		await t.waitEvent(isTile(t.support.queue_id, (d) => d.waiting === 0),
			from, 10000);
		/* B's own socket still answers, so its queue is not just slow */
		b.send({ type: 'ping' });
		await b.next('pong');
		assert.deepEqual(seen.filter((m) => m.type !== 'pong'), []);

		const hist = await t.s.api('GET', '/api/v1/live/history', null,
			bSup);
		assert.equal(hist.status, 200);
		assert.deepEqual(hist.json.items, []);
		const other = await t.s.api('GET', '/api/v1/live/history?queue_id=' +
			t.support.queue_id, null, bSup);
		assert.equal(other.status, 404);
		const q = await t.s.api('GET', '/api/v1/live/queues', null, bSup);
		assert.deepEqual(q.json.items, []);
		const a = await t.s.api('GET', '/api/v1/live/agents', null, bSup);
		assert.deepEqual(a.json.items, []);
		b.close();
		await p.stop();
	});

test("today's counters survive a restart (read back from the calls " +
	'table)', async () => {
	const before = await liveQueue();
	assert.ok(before.offered >= 3 && before.abandoned >= 2,
		JSON.stringify(before));
	await t.restart();
	await until(() => /today's queue counts loaded/.test(t.s.logs()),
		"today's counts", 10000);
	const q = await liveQueue();
	for (const k of ['offered', 'answered', 'answered_in_sl', 'abandoned',
		'overflowed'])
		assert.equal(q[k], before[k], `${k}: ${JSON.stringify(q)}`);
	assert.equal(q.service_level, before.service_level);
});
