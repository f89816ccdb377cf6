// A queued call that no agent takes: every overflow action, through
// real calls. The waits are short (max_wait_s 2) and the queues that
// must not be answered require a skill no agent has, so nothing but the
// overflow can end the wait. Checked: what the caller hears, where the
// call goes on (voicemail kept, another queue's agent, the IVR node),
// the CDR's queue_result and hangup cause, the timeline.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ended, sipOk, waitCall } from '../lib/sip.mjs';
import { inOrder, queueStack, types } from '../lib/acd_calls.mjs';

let t;
let lonely;      // a skill no agent has

before(async () => {
	t = await queueStack();
	lonely = await t.adminApi('POST', '/api/v1/skills', { name: '无人' },
		201);
});

afterEach(async () => {
	await t.reset();
});

after(async () => {
	await t?.stop();
});

/* A queue nobody serves, waiting at most 2 s, with its own number. */
async function overflowQueue(name, number, body) {
	const q = await t.newQueue({ name, skills: [lonely.skill_id],
		max_wait_s: 2, join_empty: 'always', announce_every_s: 0,
		...body });
	await t.queueNumber(number, { q: { kind: 'queue', queue: name,
		fail: 'h' }, h: { kind: 'hangup' } });
	return q;
}

const left = (reason) => (m) => m.type === 'queue.left' &&
	m.data.reason === reason;

test('max_wait_s reached: the caller leaves a voicemail in the box',
	async () => {
		await overflowQueue('vmq', '4001000510', {
			overflow_action: 'voicemail', overflow_target: 'default' });
		const from = t.mark();
		const c = await t.call('13900002001', { service: '4001000510' });
		try {
			await c.rtp.heard();                /* hold music */
			const l = await t.waitEvent(left('timeout'), from, 8000);
			assert.ok(l.data.waited_ms >= 1900 && l.data.waited_ms < 4000,
				`waited ${l.data.waited_ms} ms`);
			await c.rtp.quiet(600);     /* greeting and beep are over */
			await c.rtp.speak(1000, 1500);
			await c.rtp.dtmf('#');
			await sipOk(c);
		} finally {
			c.close();
		}
		const call = await waitCall(t.s, t.d.sup, '13900002001', ended);
		assert.equal(call.queue_result, 'timeout');
		assert.equal(call.disposition, 'voicemail');
		assert.equal(call.agent_id, null);
		assert.equal(call.offers, 0);
		inOrder(call, 'queue.joined', 'queue.left', 'call.ended');
		const m = await t.adminApi('GET', '/api/v1/voicemail/messages');
		const msg = m.items.find((x) => x.call_id === call.call_id);
		assert.ok(msg, 'message kept');
		assert.equal(msg.box_name, 'default');
		assert.ok(msg.duration_ms >= 1200, `duration ${msg.duration_ms}`);
	});

test('join_empty logged_in with nobody logged in: overflow at once',
	async () => {
		await overflowQueue('emptyq', '4001000511', {
			join_empty: 'logged_in', max_wait_s: 0,
			overflow_action: 'hangup', overflow_target: '' });
		const from = t.mark();
		const c = await t.call('13900002002', { service: '4001000511' });
		try {
			await c.rtp.heard();       /* the unavailable prompt */
			await sipOk(c);
		} finally {
			c.close();
		}
		const call = await waitCall(t.s, t.d.sup, '13900002002', ended);
		assert.equal(call.queue_result, 'overflow');
		assert.equal(call.hangup_side, 'system');
		assert.equal(call.hangup_cause, 'queue_overflow');
		const l = t.since(from, left('overflow'));
		assert.equal(l.length, 1);
		assert.ok(l[0].data.waited_ms < 1000, `${l[0].data.waited_ms} ms`);
	});

test('leave_empty: the last agent logging out makes the waiting call ' +
	'overflow', async () => {
	await t.newQueue({ name: 'leaveq', leave_empty: true,
		join_empty: 'logged_in', overflow_action: 'hangup',
		overflow_target: '', announce_every_s: 0 });
	await t.queueNumber('4001000516', { q: { kind: 'queue',
		queue: 'leaveq', fail: 'h' }, h: { kind: 'hangup' } });
	await t.phone('1001');
	assert.equal((await t.setState('1001', 'not_ready', '会议')).status,
		200);
	const from = t.mark();
	const c = await t.call('13900002007', { service: '4001000516',
		rtp: false });
	await t.waitEvent((m) => m.type === 'queue.joined', from);
	assert.equal(t.since(from, left('overflow')).length, 0);
	assert.equal((await t.setState('1001', 'logged_out')).status, 200);
	await t.waitEvent(left('overflow'), from, 5000);
	await sipOk(c);
	const call = await waitCall(t.s, t.d.sup, '13900002007', ended);
	assert.equal(call.queue_result, 'overflow');
	assert.equal(call.hangup_cause, 'queue_overflow');
	assert.equal(call.offers, 0);
});

test('max_length: the call over it hears the prompt and is hung up',
	async () => {
		const q = await overflowQueue('fullq', '4001000512', {
			max_length: 1, max_wait_s: 0, overflow_action: 'hangup',
			overflow_target: '' });
		const from = t.mark();
		const first = await t.call('13900002003', { service: '4001000512',
			rtp: false });
		try {
			await t.waitEvent((m) => m.type === 'queue.joined', from);
			const c = await t.call('13900002004', { service: '4001000512' });
			try {
				await c.rtp.heard();
				await sipOk(c);
			} finally {
				c.close();
			}
			const call = await waitCall(t.s, t.d.sup, '13900002004', ended);
			assert.equal(call.queue_result, 'overflow');
			assert.equal(call.hangup_cause, 'queue_overflow');
			assert.equal((await t.liveQueue(q.queue_id)).waiting, 1);
		} finally {
			await first.hangup();
		}
		await sipOk(first);
		const call = await waitCall(t.s, t.d.sup, '13900002003', ended);
		assert.equal(call.queue_result, 'abandoned');
		assert.equal(call.hangup_side, 'caller');
	});

test('overflow to another queue: answered by an agent there',
	async () => {
		await overflowQueue('toq', '4001000513', {
			overflow_action: 'queue',
			overflow_target: t.support.queue_id });
		const p = await t.phone('1001', { talkMs: 800 });
		await t.readyAll('1001');
		const from = t.mark();
		const c = await t.call('13900002005', { service: '4001000513',
			rtp: false });
		await p.answered(1, 10000);
		await sipOk(c);
		await t.waitState('1001', 'ready', from, 10000);
		const call = await waitCall(t.s, t.d.sup, '13900002005', ended);
		assert.equal(call.queue_id, t.support.queue_id);
		assert.equal(call.queue_result, 'answered');
		assert.equal(call.agent_id, t.agents['1001'].agent_id);
		const joins = call.events.filter((e) => e.type === 'queue.joined')
			.map((e) => e.data.queue);
		assert.deepEqual(joins, ['toq', 'support']);
		inOrder(call, 'queue.joined', 'queue.left', 'queue.joined',
			'agent.offered', 'call.answered', 'call.ended');
		assert.deepEqual(t.states('1001', from),
			['ringing', 'on_call', 'wrap_up', 'ready']);
	});

test('two queues overflowing into each other: a few hops, then the ' +
	'prompt and hang-up', async () => {
	const a = await overflowQueue('cyc1', '4001000517', { max_wait_s: 1,
		overflow_action: 'hangup', overflow_target: '' });
	const b = await t.newQueue({ name: 'cyc2', skills: [lonely.skill_id],
		max_wait_s: 1, join_empty: 'always', announce_every_s: 0,
		overflow_action: 'queue', overflow_target: a.queue_id });
	await t.patchQueue(a.queue_id, { overflow_action: 'queue',
		overflow_target: b.queue_id });
	const c = await t.call('13900002008', { service: '4001000517',
		rtp: false });
	await sipOk(c);
	const call = await waitCall(t.s, t.d.sup, '13900002008', ended);
	const joins = call.events.filter((e) => e.type === 'queue.joined')
		.map((e) => e.data.queue);
	assert.deepEqual(joins, ['cyc1', 'cyc2', 'cyc1', 'cyc2']);
	assert.equal(call.queue_result, 'timeout');
	assert.equal(call.hangup_cause, 'queue_overflow');
});

test('overflow to an IVR node: the flow goes on at that node',
	async () => {
		const q = await overflowQueue('toivr', '4001000514', {
			overflow_action: 'hangup', overflow_target: '' });
		const f = await t.queueNumber('4001000515', {
			/* fail would pass 'f' on its way to 'bye' */
			q: { kind: 'queue', queue: 'toivr', fail: 'f' },
			f: { kind: 'play', prompts: ['builtin/error'], next: 'bye' },
			bye: { kind: 'play', prompts: ['builtin/goodbye'], next: 'h' },
			h: { kind: 'hangup' } });
		await t.patchQueue(q.queue_id, { overflow_action: 'ivr',
			overflow_target: 'bye' });
		const c = await t.call('13900002006', { service: '4001000515' });
		try {
			await sipOk(c);
		} finally {
			c.close();
		}
		const call = await waitCall(t.s, t.d.sup, '13900002006', ended);
		assert.equal(call.queue_result, 'timeout');
		assert.deepEqual(call.ivr_path, ['q', 'bye', 'h']);
		assert.equal(call.hangup_cause, 'ivr_hangup');
		assert.ok(!types(call).includes('agent.offered'));
	});
