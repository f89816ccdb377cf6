// Who a queued call is offered to, with real SIP phones (sipp): every
// strategy decides between agents that longest idle would rank the
// other way; ring-all cancels the phones that lost; a phone that rings
// out or answers busy passes the call on and its agent goes not ready.
// Checked from the pushed events (offers, each agent's states in
// order), the phones' own logs and the CDR.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ended, rerouted, sipOk, waitCall } from '../lib/sip.mjs';
import { SECRET } from '../lib/acd.mjs';
import { cancelled, inOrder, queueStack, sippUas } from
	'../lib/acd_calls.mjs';

let t;
const DONE = ['ringing', 'on_call', 'wrap_up', 'ready'];

before(async () => {
	t = await queueStack();
});

afterEach(async () => {
	await t.reset();
	await t.patchQueue(t.support.queue_id, { strategy: 'longest_idle',
		ring_timeout_s: 5, miss_limit: 3 });
});

after(async () => {
	await t?.stop();
});

/* The ACD's outcome counter for event (busy, no_answer, ...). */
async function counted(event) {
	const text = await (await fetch(`${t.s.baseUrl}/metrics`)).text();
	const m = text.match(new RegExp(
		`openseat_acd_events_total\\{event="${event}"\\} (\\d+)`));
	return m ? Number(m[1]) : 0;
}

/* One call answered by the phone that hangs up itself: the caller is
 * hung up, the agent is ready again. Returns the CDR. */
async function answeredCall(caller, workNo, service) {
	const from = t.mark();
	const c = await t.call(caller, { rtp: false, service });
	await sipOk(c);
	await t.waitState(workNo, 'ready', from, 10000);
	const call = await waitCall(t.s, t.d.sup, caller, ended);
	assert.equal(call.agent_id, t.agents[workNo].agent_id);
	assert.equal(call.queue_result, 'answered');
	assert.equal(call.hangup_side, 'agent');
	assert.equal(call.hangup_cause, 'bye');
	assert.deepEqual(t.states(workNo, from), DONE);
	return call;
}

test('longest idle: of two ready agents the one idle longer gets it',
	async () => {
		await t.phone('1001', { talkMs: 800 });
		await t.phone('1002', { talkMs: 800 });
		await t.readyAll('1002', '1001');
		const from = t.mark();
		const call = await answeredCall('13900001001', '1002');
		assert.deepEqual(t.offered(from), ['1002']);
		assert.deepEqual(t.states('1001', from), []);
		assert.equal(call.offers, 1);
		assert.equal(call.disposition, 'completed');
		inOrder(call, 'queue.joined', 'agent.offered', 'queue.left',
			'call.answered', 'call.ended');
	});

test('round robin: the ring goes on by work number, not by idle time',
	async () => {
		/* a queue of its own: the ring's memory starts empty */
		const rr = await t.newQueue({ name: 'rr', strategy: 'round_robin',
			ring_timeout_s: 5, wrapup_s: 1, announce_every_s: 0 });
		await t.queueNumber('4001000501', { q: { kind: 'queue',
			queue: 'rr', fail: 'h' }, h: { kind: 'hangup' } });
		for (const w of ['1001', '1002', '1003'])
			await t.phone(w, { talkMs: 800 });
		/* 1003 is idle longest: longest idle would take it twice */
		await t.readyAll('1003', '1002', '1001');
		const from = t.mark();
		const c1 = await answeredCall('13900001002', '1001', '4001000501');
		const c2 = await answeredCall('13900001003', '1002', '4001000501');
		assert.deepEqual(t.offered(from), ['1001', '1002']);
		assert.deepEqual(t.states('1003', from), []);
		assert.equal(c1.queue_id, rr.queue_id);
		assert.equal(c2.queue_id, rr.queue_id);
	});

test('fewest calls: the agent without a call yet gets the second',
	async () => {
		await t.patchQueue(t.support.queue_id, { strategy: 'fewest_calls' });
		await t.phone('1001', { talkMs: 800 });
		await t.phone('1002', { talkMs: 800 });
		await t.readyAll('1001', '1002');
		const from = t.mark();
		await answeredCall('13900001004', '1001');
		/* 1002 ready again now: 1001 is idle longer but had a call */
		assert.equal((await t.setState('1002', 'not_ready', '休息')).status,
			200);
		await t.readyAll('1002');
		await answeredCall('13900001005', '1002');
		assert.deepEqual(t.offered(from), ['1001', '1002']);
	});

test('top down: the first by work number on a break is skipped, the ' +
	'next takes the call', async () => {
	await t.patchQueue(t.support.queue_id, { strategy: 'top_down' });
	for (const w of ['1001', '1002', '1003'])
		await t.phone(w, { talkMs: 800 });
	/* 1003 idle longest; 1001 first by order but on a break */
	await t.readyAll('1003', '1002');
	assert.equal((await t.setState('1001', 'not_ready', '休息')).status,
		200);
	const from = t.mark();
	await answeredCall('13900001009', '1002');
	assert.deepEqual(t.offered(from), ['1002']);
	assert.deepEqual(t.states('1001', from), []);
	assert.deepEqual(t.states('1003', from), []);
});

test('ring all: both phones ring, one answers, the other is cancelled',
	async () => {
		await t.patchQueue(t.support.queue_id, { strategy: 'ring_all' });
		const p1 = await t.phone('1001', { ringMs: 600 });
		const p2 = await t.phone('1002', { mode: 'silent' });
		await t.readyAll('1001', '1002');
		const from = t.mark();
		const c = await t.call('13900001006', { rtp: false });
		try {
			await p1.invited();
			await p2.invited();
			await p1.answered();
			await cancelled(p2);
			/* the core frees the others before the winner is on_call:
			 * 1001's event may come after 1002's */
			await t.waitState('1002', 'ready', from);
			await t.waitState('1001', 'on_call', from);
			assert.equal((await t.live('1001')).state, 'on_call');
			assert.equal((await t.live('1002')).state, 'ready');
			assert.deepEqual(t.offered(from).sort(), ['1001', '1002']);
			assert.deepEqual(t.states('1002', from), ['ringing', 'ready']);
			assert.deepEqual(t.states('1001', from), ['ringing', 'on_call']);
		} finally {
			await c.hangup();
		}
		await sipOk(c);
		await t.waitState('1001', 'ready', from, 10000);
		assert.deepEqual(t.states('1001', from), DONE);
		assert.equal(p2.count('invite'), 1);
		const call = await waitCall(t.s, t.d.sup, '13900001006', ended);
		assert.equal(call.agent_id, t.agents['1001'].agent_id);
		assert.equal(call.queue_result, 'answered');
		assert.equal(call.hangup_side, 'caller');
		assert.equal(call.hangup_cause, 'bye');
		assert.equal(call.offers, 2);
	});

test('ring all: both phones answer after the same ring, one gets the ' +
	'call, the other is withdrawn and ready, not stuck', async () => {
	await t.patchQueue(t.support.queue_id, { strategy: 'ring_all' });
	const p1 = await t.phone('1001', { ringMs: 300 });
	const p2 = await t.phone('1002', { ringMs: 300 });
	await t.readyAll('1001', '1002');
	const from = t.mark();
	const c = await t.call('13900001010', { rtp: false });
	let won;
	try {
		const on = await t.waitEvent((m) => m.type ===
			'agent.state_changed' && m.data.state === 'on_call', from);
		won = on.data.work_no;
		const lost = won === '1001' ? '1002' : '1001';
		await t.waitState(lost, 'ready', from);
		assert.deepEqual(t.states(lost, from), ['ringing', 'ready']);
		assert.equal((await t.live(won)).state, 'on_call');
	} finally {
		await c.hangup();
	}
	await sipOk(c);
	await t.waitState(won, 'ready', from, 10000);
	assert.deepEqual(t.states(won, from), DONE);
	/* neither is left reserved: the next call rings both again */
	const next = t.mark();
	const c2 = await t.call('13900001011', { rtp: false });
	await t.waitEvent((m) => m.type === 'agent.offered', next, 15000, 2);
	assert.deepEqual(t.offered(next).sort(), ['1001', '1002']);
	await p1.invited(2);
	await p2.invited(2);
	await t.waitEvent((m) => m.type === 'call.answered', next);
	await c2.hangup();
	await sipOk(c2);
	const call = await waitCall(t.s, t.d.sup, '13900001010', ended);
	assert.equal(call.agent_id, t.agents[won].agent_id);
	assert.equal(call.queue_result, 'answered');
});

test('ring all: a phone whose answer crosses the CANCEL is ACKed and ' +
	'hung up; its agent is ready, the other keeps the call', async () => {
	await t.patchQueue(t.support.queue_id, { strategy: 'ring_all' });
	const p1 = await t.phone('1001', { ringMs: 300 });
	const p2 = await t.crossPhone('1002');
	await t.readyAll('1001', '1002');
	const from = t.mark();
	const c = await t.call('13900001012', { rtp: false });
	try {
		await p1.answered();
		await p2.wait(/ACKED /);
		await p2.wait(/BYE /);
		await t.waitState('1002', 'ready', from);
		assert.equal((await t.live('1001')).state, 'on_call');
		assert.deepEqual(t.states('1002', from), ['ringing', 'ready']);
	} finally {
		await c.hangup();
	}
	await sipOk(c);
	await t.waitState('1001', 'ready', from, 10000);
	assert.deepEqual(t.states('1001', from), DONE);
	const call = await waitCall(t.s, t.d.sup, '13900001012', ended);
	assert.equal(call.agent_id, t.agents['1001'].agent_id);
});

test('no answer: the phone rings out after ring_timeout_s, the next ' +
	'agent gets the call, the first goes not ready', async () => {
	await t.patchQueue(t.support.queue_id, { ring_timeout_s: 5,
		miss_limit: 1 });
	const p1 = await t.phone('1001', { mode: 'silent' });
	await t.phone('1002', { talkMs: 800 });
	await t.readyAll('1001', '1002');
	const misses = await counted('no_answer');
	const from = t.mark();
	const c = await t.call('13900001007', { rtp: false });
	const first = await t.waitEvent((m) => m.type === 'agent.offered',
		from);
	const t0 = Date.now();
	assert.equal(first.data.work_no, '1001');
	await cancelled(p1, 1, 10000);
	const rang = Date.now() - t0;
	assert.ok(rang >= 4500 && rang < 7500, `rang ${rang} ms`);
	await sipOk(c);
	await t.waitState('1002', 'ready', from, 10000);
	assert.deepEqual(t.offered(from), ['1001', '1002']);
	assert.deepEqual(t.states('1001', from),
		['ringing', 'not_ready:no_answer']);
	assert.deepEqual(t.states('1002', from), DONE);
	assert.equal(await counted('no_answer'), misses + 1);
	const call = await waitCall(t.s, t.d.sup, '13900001007', ended);
	assert.equal(call.offers, 2);
	assert.equal(call.agent_id, t.agents['1002'].agent_id);
	assert.equal(call.queue_result, 'answered');
	assert.equal(call.hangup_side, 'agent');
});

test('busy: a 486 passes the call on at once and counts as a miss',
	async () => {
		await t.patchQueue(t.support.queue_id, { ring_timeout_s: 5,
			miss_limit: 1 });
		const p1 = await t.phone('1001', { mode: 'busy', ringMs: 100 });
		await t.phone('1002', { talkMs: 800 });
		await t.readyAll('1001', '1002');
		const busy = await counted('busy');
		const noAnswer = await counted('no_answer');
		const from = t.mark();
		const c = await t.call('13900001008', { rtp: false });
		await p1.invited();
		const t0 = Date.now();
		const second = await t.waitEvent((m) => m.type === 'agent.offered',
			from, 5000, 2);
		assert.equal(second.data.work_no, '1002');
		assert.ok(Date.now() - t0 < 2000, 'offered on without a timeout');
		await sipOk(c);
		await t.waitState('1002', 'ready', from, 10000);
		assert.deepEqual(t.states('1001', from),
			['ringing', 'not_ready:no_answer']);
		/* counted by its cause, not as a ring-out */
		assert.equal(await counted('busy'), busy + 1);
		assert.equal(await counted('no_answer'), noAnswer);
		const call = await waitCall(t.s, t.d.sup, '13900001008', ended);
		assert.equal(call.offers, 2);
		assert.equal(call.agent_id, t.agents['1002'].agent_id);
	});

test('an agent in two queues takes the higher priority queue\'s call ' +
	'first, though the other waited longer', async () => {
	await t.newQueue({ name: 'lowq', priority: 0, join_empty: 'always',
		wrapup_s: 0, announce_every_s: 0, announce_work_no: false });
	await t.newQueue({ name: 'highq', priority: 5, join_empty: 'always',
		wrapup_s: 0, announce_every_s: 0, announce_work_no: false });
	for (const [n, q] of [['4001000503', 'lowq'], ['4001000504', 'highq']])
		await t.queueNumber(n, { q: { kind: 'queue', queue: q, fail: 'h' },
			h: { kind: 'hangup' } });
	await t.phone('1001', { talkMs: 300 });
	const from = t.mark();
	const low = await t.call('13900001017', { service: '4001000503',
		rtp: false });
	await t.waitEvent((m) => m.type === 'queue.joined', from);
	const high = await t.call('13900001018', { service: '4001000504',
		rtp: false });
	await t.waitEvent((m) => m.type === 'queue.joined', from, 5000, 2);
	/* rung at once: the answer says ringing */
	const r = await t.setState('1001', 'ready');
	assert.equal(r.status, 200, r.text);
	await sipOk(high);
	await sipOk(low);
	const offered = t.since(from, (m) => m.type === 'agent.offered')
		.map((m) => m.data.queue_id);
	const [lq, hq] = [await waitCall(t.s, t.d.sup, '13900001017', ended),
		await waitCall(t.s, t.d.sup, '13900001018', ended)];
	assert.deepEqual(offered, [hq.queue_id, lq.queue_id]);
	assert.ok(Date.parse(hq.connected_at) < Date.parse(lq.connected_at));
	assert.equal(lq.queue_result, 'answered');
});

test('wrap-up lasts as long as the queue of the call just ended says; ' +
	'the agent may end it early', async () => {
	await t.newQueue({ name: 'longwrap', wrapup_s: 4, ring_timeout_s: 5,
		announce_every_s: 0, announce_work_no: false });
	await t.queueNumber('4001000502', { q: { kind: 'queue',
		queue: 'longwrap', fail: 'h' }, h: { kind: 'hangup' } });
	await t.phone('1001', { talkMs: 300 });
	await t.readyAll('1001');
	/* wrap-up from the wrap_up event to the ready one, in ms */
	const wrapped = async (caller, service, end) => {
		const from = t.mark();
		const c = await t.call(caller, { rtp: false, service });
		await sipOk(c);
		const w = await t.waitState('1001', 'wrap_up', from, 10000);
		if (end) {
			const r = await t.s.api('POST', '/api/v1/agents/' +
				`${t.agents['1001'].agent_id}/wrap-up`, { action: 'end' },
			t.d.sup);
			assert.equal(r.status, 200, r.text);
		}
		const r = await t.waitState('1001', 'ready', from, 10000);
		return r.data.at_ms - w.data.at_ms;
	};
	const long = await wrapped('13900001013', '4001000502');
	assert.ok(long >= 3800 && long < 6000, `longwrap ${long} ms`);
	const short = await wrapped('13900001014');
	assert.ok(short >= 800 && short < 2500, `support ${short} ms`);
	const early = await wrapped('13900001015', '4001000502', true);
	assert.ok(early < 1500, `ended early after ${early} ms`);
});

test('an agent on a PSTN number is rung through the trunk the call came ' +
	'in on, from our number, and bridged', async () => {
	const ua = await sippUas('agent_phone.xml', ['-set', 'mode', 'answer',
		'-set', 'ring_ms', '100']);
	t.phones.push(ua);
	const trunk = `/api/v1/trunks/${t.d.trunkId}`;
	const before = (await t.s.api('GET', trunk, null, t.d.op)).json;
	await rerouted(t.s, () => t.s.api('PATCH', trunk, {
		outbound_uri: `sip:127.0.0.1:${ua.port}` }, t.d.op));
	await t.patchAgent('1004', { device: 'pstn', phone: '13800000004' });
	try {
		await t.readyAll('1004');
		const from = t.mark();
		const c = await t.call('13900001016', { rtp: false });
		try {
			await ua.wait(/ANSWERED /);
			await t.waitState('1004', 'on_call', from);
		} finally {
			await c.hangup();
		}
		await sipOk(c);
		await t.waitState('1004', 'ready', from, 10000);
		assert.deepEqual(t.states('1004', from), DONE);
		const invite = ua.messages().split(/\n(?=-{10,})/)
			.find((m) => /^INVITE /m.test(m));
		assert.match(invite, new RegExp(
			`^INVITE sip:13800000004@127\\.0\\.0\\.1:${ua.port}`, 'm'));
		assert.match(invite, /^From: .*<sip:4001000500@/m);
		const call = await waitCall(t.s, t.d.sup, '13900001016', ended);
		assert.equal(call.agent_id, t.agents['1004'].agent_id);
		assert.equal(call.queue_result, 'answered');
		assert.equal(call.hangup_side, 'caller');
	} finally {
		await t.setState('1004', 'logged_out');
		await t.patchAgent('1004', { device: 'sip', sip_user: 'demo1004',
			sip_secret: SECRET, phone: '' });
		await rerouted(t.s, () => t.s.api('PATCH', trunk, {
			outbound_uri: before.outbound_uri }, t.d.op));
	}
});
