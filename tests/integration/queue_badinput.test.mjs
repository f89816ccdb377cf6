// What a queued call must survive, with real SIP: the caller gone while
// the agent's phone rings or during the work number, both sides hanging
// up at once, max wait reached while ringing, the agent logging out
// (while rung or on the call) or losing the queue's skill while rung,
// the phone unregistering while it rings or in the middle of a call,
// the queue deleted (while its call waits or rings) or edited under
// waiting calls (500 calls at once: queue_flood.test.mjs). Each checks
// who was offered what, every agent state in order and the CDR.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ended, sipOk, waitCall } from '../lib/sip.mjs';
import { agentPhone, registerPhone } from '../lib/agentphone.mjs';
import { SECRET } from '../lib/acd.mjs';
import { cancelled, inOrder, queueStack } from '../lib/acd_calls.mjs';

let t;
const DONE = ['ringing', 'on_call', 'wrap_up', 'ready'];

before(async () => {
	t = await queueStack();
});

afterEach(async () => {
	await t.reset();
});

after(async () => {
	await t?.stop();
});

test('the caller hangs up while the phone rings: the ring stops, the ' +
	'agent is ready again without wrap-up', async () => {
	const p = await t.phone('1001', { mode: 'silent' });
	await t.readyAll('1001');
	const from = t.mark();
	const c = await t.call('13900003001', { rtp: false });
	await p.invited();
	await c.hangup();
	await sipOk(c);
	await cancelled(p);
	await t.waitState('1001', 'ready', from);
	assert.deepEqual(t.states('1001', from), ['ringing', 'ready']);
	const call = await waitCall(t.s, t.d.sup, '13900003001', ended);
	assert.equal(call.queue_result, 'abandoned');
	assert.equal(call.hangup_side, 'caller');
	assert.equal(call.hangup_cause, 'bye');
	assert.equal(call.offers, 1);
	assert.equal(call.agent_id, null);
	inOrder(call, 'queue.joined', 'agent.offered', 'queue.left',
		'call.ended');
	const l = call.events.find((e) => e.type === 'queue.left');
	assert.equal(l.data.reason, 'abandoned');
});

test('the caller hangs up while the work number is announced: the ' +
	'agent is hung up and wraps up', async () => {
	const p = await t.phone('1001', { ringMs: 100 });
	await t.readyAll('1001');
	const from = t.mark();
	const c = await t.call('13900003008');
	try {
		await p.answered();
		await t.waitState('1001', 'on_call', from);
		/* "工号 1001 为您服务" lasts about 2 s: hang up within it */
		await c.rtp.heard();
	} finally {
		await c.hangup();
	}
	await sipOk(c);
	c.close();
	await t.waitState('1001', 'ready', from, 10000);
	assert.deepEqual(t.states('1001', from), DONE);
	const call = await waitCall(t.s, t.d.sup, '13900003008', ended);
	assert.equal(call.hangup_side, 'caller');
	assert.equal(call.queue_result, 'answered');
	assert.equal(call.agent_id, t.agents['1001'].agent_id);
});

test('max wait reached while the phone rings: the ring stops, the call ' +
	'overflows, the agent is ready without a miss', async () => {
	await t.newQueue({ name: 'mwr', max_wait_s: 3, ring_timeout_s: 20,
		miss_limit: 1, join_empty: 'always', overflow_action: 'hangup',
		overflow_target: '', announce_every_s: 0 });
	await t.queueNumber('4001000521', { q: { kind: 'queue', queue: 'mwr',
		fail: 'h' }, h: { kind: 'hangup' } });
	const p = await t.phone('1001', { mode: 'silent' });
	await t.readyAll('1001');
	const from = t.mark();
	const c = await t.call('13900003009', { service: '4001000521',
		rtp: false });
	await p.invited();
	const t0 = Date.now();
	await cancelled(p, 1, 8000);
	assert.ok(Date.now() - t0 < 4000, 'cancelled at max wait');
	await sipOk(c);
	await t.waitState('1001', 'ready', from);
	assert.deepEqual(t.states('1001', from), ['ringing', 'ready']);
	const call = await waitCall(t.s, t.d.sup, '13900003009', ended);
	assert.equal(call.queue_result, 'timeout');
	assert.equal(call.hangup_cause, 'queue_overflow');
	assert.equal(call.offers, 1);
	assert.equal(call.agent_id, null);
});

test('agent and caller hang up at the same instant: one end, one ' +
	'wrap-up', async () => {
	const p = await t.phone('1001', { talkMs: 1500 });
	await t.readyAll('1001');
	const from = t.mark();
	const c = await t.call('13900003002', { rtp: false });
	await p.answered();
	/* the agent's BYE leaves 1500 ms after its ACK: send the caller's
	 * at that moment too, so the two cross */
	await new Promise((res) => setTimeout(res, 1500));
	await c.hangup();
	await c.done;          /* either BYE may have come first */
	await t.waitState('1001', 'ready', from, 10000);
	assert.deepEqual(t.states('1001', from), DONE);
	const call = await waitCall(t.s, t.d.sup, '13900003002', ended);
	assert.ok(['agent', 'caller'].includes(call.hangup_side),
		call.hangup_side);
	assert.equal(call.queue_result, 'answered');
	assert.equal(call.events.filter((e) => e.type === 'call.ended').length,
		1);
	/* nothing is left hanging: the agent takes the next call */
	const c2 = await t.call('13900003003', { rtp: false });
	await p.answered(2);
	await sipOk(c2);
	/* the second ready since from: the first call's already counts */
	await t.waitEvent(t.stateEvent('1001', 'ready'), from, 10000, 2);
});

test('the agent logs out while rung: the ring stops, the call goes to ' +
	'the next agent', async () => {
	const p1 = await t.phone('1001', { mode: 'silent' });
	await t.phone('1002', { talkMs: 800 });
	await t.readyAll('1001', '1002');
	const from = t.mark();
	const c = await t.call('13900003004', { rtp: false });
	await p1.invited();
	const r = await t.setState('1001', 'logged_out');
	assert.equal(r.status, 200, r.text);
	await cancelled(p1);
	await sipOk(c);
	await t.waitState('1002', 'ready', from, 10000);
	assert.deepEqual(t.states('1001', from), ['ringing', 'logged_out']);
	assert.deepEqual(t.states('1002', from), DONE);
	assert.deepEqual(t.offered(from), ['1001', '1002']);
	const call = await waitCall(t.s, t.d.sup, '13900003004', ended);
	assert.equal(call.offers, 2);
	assert.equal(call.agent_id, t.agents['1002'].agent_id);
});

test('the queue skill taken from a rung agent: the ring stops, the ' +
	'call goes to the next agent', async () => {
	const p1 = await t.phone('1001', { mode: 'silent' });
	await t.phone('1002', { talkMs: 800 });
	await t.readyAll('1001', '1002');
	const from = t.mark();
	const c = await t.call('13900003005', { rtp: false });
	try {
		await p1.invited();
		await t.patchAgent('1001', { skills: [] });
		await cancelled(p1);
		await sipOk(c);
	} finally {
		await t.patchAgent('1001', { skills: t.agents['1001'].skills
			.map((k) => ({ skill_id: k.skill_id, level: k.level })) });
	}
	await t.waitState('1002', 'ready', from, 10000);
	/* no miss: the agent is ready, just not for this queue */
	assert.deepEqual(t.states('1001', from), ['ringing', 'ready']);
	assert.deepEqual(t.offered(from), ['1001', '1002']);
	const call = await waitCall(t.s, t.d.sup, '13900003005', ended);
	assert.equal(call.offers, 2);
	assert.equal(call.agent_id, t.agents['1002'].agent_id);
});

test('the phone unregisters during a call: the call goes on; after it ' +
	'the agent is not ready device_offline', async () => {
	/* the phone that answers and the one that registers apart, so the
	 * registration can end while the call stays up */
	const ua = await agentPhone({ mode: 'answer' });
	const reg = await registerPhone({ sipPort: t.s.sipPort,
		user: 'demo1001', secret: SECRET, contactPort: ua.port });
	t.phones.push(ua, reg);
	await reg.registered();
	await t.waitAgent('1001', (x) => x.device_reachable);
	await t.readyAll('1001');
	const from = t.mark();
	const c = await t.call('13900003006');
	try {
		await ua.answered();
		await t.waitState('1001', 'on_call', from);
		await reg.unregister();
		await t.waitAgent('1001', (x) => !x.device_reachable);
		/* still on the call, and the caller still connected */
		assert.equal((await t.live('1001')).state, 'on_call');
		const now = await waitCall(t.s, t.d.sup, '13900003006');
		assert.equal(now.ended_at, null);
	} finally {
		await c.hangup();
	}
	await sipOk(c);
	c.close();
	await t.waitState('1001', 'not_ready', from, 10000);
	assert.deepEqual(t.states('1001', from), ['ringing', 'on_call',
		'wrap_up', 'not_ready:device_offline']);
	const call = await waitCall(t.s, t.d.sup, '13900003006', ended);
	assert.equal(call.hangup_side, 'caller');
	assert.equal(call.queue_result, 'answered');
});

test('the phone unregisters while it rings: the ring stops, the agent ' +
	'is not ready device_offline, the next agent gets the call',
async () => {
	const ua = await agentPhone({ mode: 'silent' });
	const reg = await registerPhone({ sipPort: t.s.sipPort,
		user: 'demo1001', secret: SECRET, contactPort: ua.port });
	t.phones.push(ua, reg);
	await reg.registered();
	await t.waitAgent('1001', (x) => x.device_reachable);
	await t.phone('1002', { talkMs: 300 });
	await t.readyAll('1001', '1002');
	const from = t.mark();
	const c = await t.call('13900003012', { rtp: false });
	await ua.invited();
	await reg.unregister();
	await ua.sipp.wait(/CANCELLED /);
	await sipOk(c);
	await t.waitState('1002', 'ready', from, 10000);
	assert.deepEqual(t.states('1001', from),
		['ringing', 'not_ready:device_offline']);
	assert.deepEqual(t.offered(from), ['1001', '1002']);
	const call = await waitCall(t.s, t.d.sup, '13900003012', ended);
	assert.equal(call.agent_id, t.agents['1002'].agent_id);
	assert.equal(call.offers, 2);
});

test('a supervisor logs the agent out during a call: the call goes on, ' +
	'no wrap-up after it, and the agent takes calls after logging in',
async () => {
	const p = await t.phone('1001', { talkMs: 2500 });
	await t.readyAll('1001');
	const from = t.mark();
	const c = await t.call('13900003013', { rtp: false });
	await p.answered();
	await t.waitState('1001', 'on_call', from);
	const r = await t.setState('1001', 'logged_out');
	assert.equal(r.status, 200, r.text);
	const now = await waitCall(t.s, t.d.sup, '13900003013');
	assert.equal(now.ended_at, null);
	await sipOk(c);            /* the agent hangs up after 2.5 s */
	const call = await waitCall(t.s, t.d.sup, '13900003013', ended);
	assert.equal(call.hangup_side, 'agent');
	assert.equal(call.queue_result, 'answered');
	assert.deepEqual(t.states('1001', from),
		['ringing', 'on_call', 'logged_out']);
	const out = t.since(from, t.stateEvent('1001', 'logged_out'))[0];
	assert.ok(out.data.forced_by, 'forced by the supervisor');
	assert.equal((await t.live('1001')).state, 'logged_out');

	const again = t.mark();
	await t.readyAll('1001');
	const c2 = await t.call('13900003014', { rtp: false });
	await sipOk(c2);
	await t.waitEvent(t.stateEvent('1001', 'ready'), again, 10000, 2);
	assert.deepEqual(t.states('1001', again), ['ready', ...DONE]);
});

test('the queue deleted while a call waits: the call takes the queue ' +
	"node's fail branch", async () => {
	const skill = await t.adminApi('POST', '/api/v1/skills',
		{ name: '删除' }, 201);
	const q = await t.newQueue({ name: 'delq', skills: [skill.skill_id],
		join_empty: 'always' });
	await t.queueNumber('4001000520', {
		q: { kind: 'queue', queue: 'delq', fail: 'f' },
		f: { kind: 'play', prompts: ['builtin/goodbye'], next: 'h' },
		h: { kind: 'hangup' } });
	const from = t.mark();
	const c = await t.call('13900003007', { service: '4001000520' });
	try {
		await t.waitEvent((m) => m.type === 'queue.joined', from);
		await t.reloaded(() => t.adminApi('DELETE',
			`/api/v1/queues/${q.queue_id}`, null, 204));
		await sipOk(c);
	} finally {
		c.close();
	}
	const call = await waitCall(t.s, t.d.sup, '13900003007', ended);
	assert.equal(call.queue_result, 'deleted');
	assert.deepEqual(call.ivr_path, ['q', 'f', 'h']);
	assert.equal(call.hangup_cause, 'ivr_hangup');
	const l = call.events.find((e) => e.type === 'queue.left');
	assert.equal(l.data.reason, 'deleted');
});

test('the queue edited while calls wait: they keep their order and go ' +
	'to the agents its new skills bring', async () => {
	const skill = await t.adminApi('POST', '/api/v1/skills',
		{ name: '编辑' }, 201);
	const q = await t.newQueue({ name: 'editq', skills: [skill.skill_id],
		join_empty: 'always', wrapup_s: 0, announce_work_no: false });
	await t.queueNumber('4001000522', { q: { kind: 'queue',
		queue: 'editq', fail: 'h' }, h: { kind: 'hangup' } });
	const p = await t.phone('1001', { talkMs: 300 });
	await t.readyAll('1001');
	const from = t.mark();
	const joined = (n) => t.waitEvent((m) => m.type === 'queue.joined' &&
		m.data.queue === 'editq', from, 10000, n);
	const first = await t.call('13900003010', { service: '4001000522',
		rtp: false });
	const j1 = await joined(1);
	const second = await t.call('13900003011', { service: '4001000522',
		rtp: false });
	const j2 = await joined(2);
	assert.equal((await t.liveQueue(q.queue_id)).waiting, 2);
	assert.deepEqual(t.offered(from), []);
	await t.patchQueue(q.queue_id, { skills: t.support.skills });
	await sipOk(first);
	await sipOk(second);
	await p.answered(2);
	/* the one who waited longer first */
	const offers = t.since(from, (m) => m.type === 'agent.offered')
		.map((m) => m.data.call_id);
	assert.deepEqual(offers, [j1.data.call_id, j2.data.call_id]);
	assert.deepEqual(t.offered(from), ['1001', '1001']);
	for (const caller of ['13900003010', '13900003011']) {
		const call = await waitCall(t.s, t.d.sup, caller, ended);
		assert.equal(call.queue_result, 'answered');
		assert.equal(call.agent_id, t.agents['1001'].agent_id);
	}
});

test('the queue deleted while its call rings an agent: the ring stops, ' +
	'the agent is ready, the call takes the fail branch', async () => {
	const q = await t.newQueue({ name: 'delring', ring_timeout_s: 20,
		announce_every_s: 0 });
	await t.queueNumber('4001000523', {
		q: { kind: 'queue', queue: 'delring', fail: 'f' },
		f: { kind: 'play', prompts: ['builtin/goodbye'], next: 'h' },
		h: { kind: 'hangup' } });
	const p = await t.phone('1001', { mode: 'silent' });
	await t.readyAll('1001');
	const from = t.mark();
	const c = await t.call('13900003015', { service: '4001000523',
		rtp: false });
	await p.invited();
	await t.reloaded(() => t.adminApi('DELETE',
		`/api/v1/queues/${q.queue_id}`, null, 204));
	await cancelled(p);
	await sipOk(c);
	await t.waitState('1001', 'ready', from);
	assert.deepEqual(t.states('1001', from), ['ringing', 'ready']);
	const call = await waitCall(t.s, t.d.sup, '13900003015', ended);
	assert.equal(call.queue_result, 'deleted');
	assert.deepEqual(call.ivr_path, ['q', 'f', 'h']);
	assert.equal(call.offers, 1);
});
