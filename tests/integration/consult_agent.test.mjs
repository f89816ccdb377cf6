// Consultation (attended transfer) to a colleague or to a queue: the
// agent on a call rings a ready colleague — reserved by the ACD, offered
// nothing else — talks to it while the caller holds, then hands the call
// over, joins all three, or cancels; every way it ends releases the
// colleague once. SIP-phone agents (AgentUa) with audio checked on RTP;
// the server runs the ACD's invariant check (an error line fails).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inOrder, queueStack } from '../lib/acd_calls.mjs';
import { SECRET } from '../lib/acd.mjs';
import { AgentUa } from '../lib/agentua.mjs';
import { registerPhone } from '../lib/agentphone.mjs';
import { ended, waitCall } from '../lib/sip.mjs';
import { wsAuthed } from '../lib/stack.mjs';

let t;
const ua = {};
const CALLER_HZ = 600;
const COLLEAGUE_HZ = 1400;
const FIRST_HZ = 2200;

before(async () => {
	t = await queueStack();
	/* bridged at once: no work number announced first */
	await t.patchQueue(t.support.queue_id, { announce_work_no: false });
	for (const w of ['1001', '1002', '1003', '1004']) {
		/* 1003's phone rings until cancelled (sipp, agent_phone.xml) */
		ua[w] = w === '1003' ? await registerPhone({ sipPort: t.s.sipPort,
			user: `demo${w}`, secret: SECRET, mode: 'silent' }) :
			await AgentUa.open(t, { user: `demo${w}`, secret: SECRET,
				ringMs: 120 });
		await ua[w].registered();
		await t.waitAgent(w, (x) => x.device_reachable);
	}
});

after(async () => {
	for (const u of Object.values(ua))
		await u.stop();
	await t?.stop();
});

const consult = (id, body) => t.s.api('POST', `/api/v1/calls/${id}/consult`,
	body, t.d.sup);
const consultEvent = (id, state) => (m) => m.type === 'call.consult' &&
	m.data.call_id === id && m.data.state === state;

/* The call's timeline events arrive with the call's id in data. */
async function consultOk(id, body, state = 'answered', from = t.mark()) {
	const r = await consult(id, body);
	assert.equal(r.status, 200, r.text);
	return t.waitEvent((m) => m.type === 'call.consult' &&
		m.data.state === state, from);
}

/* workNo ready (after its wrap-up of 1 s, if in one). */
async function ready(...workNos) {
	for (const w of workNos) {
		const x = await t.waitAgent(w, (a) => !['wrap_up', 'ringing',
			'on_call'].includes(a.state));
		if (x.state !== 'ready')
			await t.readyAll(w);
	}
}

/* A caller answered by 1001 (the only one ready); then who is ready. */
async function answered(caller, ...others) {
	for (const w of ['1002', '1003', '1004']) {
		const x = await t.waitAgent(w, (a) => !['wrap_up', 'ringing',
			'on_call'].includes(a.state));
		if (x.state === 'ready')
			assert.equal((await t.setState(w, 'not_ready', '')).status, 200);
	}
	await ready('1001');
	const from = t.mark();
	const c = await t.call(caller);
	const a = await t.waitEvent((m) => m.type === 'call.answered', from);
	assert.equal(a.data.work_no, '1001');
	await ua['1001'].until(() => ua['1001'].dialog?.up);
	await c.rtp.until(() => c.rtp.remote, 5000, 'media');
	await ready(...others);
	return { c, id: a.data.call_id };
}

/* peer hears a tone from speaker (its own and the mixer's latency). */
async function hears(peer, speaker, hz) {
	const said = speaker.speak(hz, 1500);
	await peer.heard(300, 5000);
	await said;
}

async function hangUp(c) {
	c.hangup();
	await c.done;
	c.close();
}

test('consult an agent by work number, answer, complete: the caller ' +
	'talks to the colleague, who owns the call', async () => {
	const caller = '13900007001';
	const { c, id } = await answered(caller, '1002');
	const from = t.mark();
	const ev = await consultOk(id, { action: 'start', agent: '1002' });
	assert.equal(ev.data.to, 'agent');
	assert.equal(ev.data.target_work_no, '1002');
	assert.equal(ev.data.work_no, '1001');
	await ua['1002'].until(() => ua['1002'].dialog?.up);
	/* the two agents hear each other, the caller holds */
	await hears(ua['1002'].rtp, ua['1001'].rtp, FIRST_HZ);
	await hears(ua['1001'].rtp, ua['1002'].rtp, COLLEAGUE_HZ);

	const done = await consultOk(id, { action: 'complete' }, 'transferred');
	assert.equal(done.data.target_agent_id, t.agents['1002'].agent_id);
	await t.waitState('1001', 'wrap_up', from);
	await ua['1001'].until(() => !ua['1001'].dialog);
	await hears(ua['1002'].rtp, c.rtp, CALLER_HZ);
	await c.rtp.quiet(300, 300, 10000).catch(() => {});
	await hears(c.rtp, ua['1002'].rtp, COLLEAGUE_HZ);
	assert.deepEqual(t.states('1002', from).slice(0, 2),
		['ringing:consult', 'on_call:consult']);

	const xfer = await t.waitEvent((m) => m.type === 'call.transferred',
		from);
	assert.equal(xfer.data.to, 'agent');
	assert.equal(xfer.data.by_work_no, '1001');
	assert.equal(xfer.data.work_no, '1002');
	/* the colleague's call now: it may hold it */
	const mine = await t.s.token({ tenant: 'demo', username: 'agent2',
		password: 'Agent@2026' });
	let r = await t.s.api('POST', `/api/v1/calls/${id}/hold`,
		{ held: true }, mine);
	assert.equal(r.status, 200, r.text);
	r = await t.s.api('POST', `/api/v1/calls/${id}/hold`, { held: false },
		mine);
	assert.equal(r.status, 200, r.text);

	await hangUp(c);
	await t.waitState('1002', 'wrap_up', from);
	const rec = await waitCall(t.s, t.d.sup, caller, ended);
	assert.equal(rec.agent_id, t.agents['1002'].agent_id);
	inOrder(rec, 'call.answered', 'call.held', 'call.consult',
		'call.consult', 'call.transferred', 'call.ended');
	const steps = rec.events.filter((e) => e.type === 'call.consult')
		.map((e) => e.data.state);
	assert.deepEqual(steps, ['ringing', 'answered', 'transferred']);
	await t.waitState('1002', 'ready', from);
});

test('conference: all three hear each other, then the first agent ' +
	'leaves and the call goes on with the colleague', async () => {
	const caller = '13900007002';
	const { c, id } = await answered(caller, '1002');
	const from = t.mark();
	await consultOk(id, { action: 'start', agent: t.agents['1002'].agent_id });
	await consultOk(id, { action: 'conference' }, 'conference');
	await c.rtp.quiet(300, 300, 10000).catch(() => {});
	await hears(c.rtp, ua['1002'].rtp, COLLEAGUE_HZ);
	await hears(ua['1001'].rtp, ua['1002'].rtp, COLLEAGUE_HZ);
	await hears(ua['1002'].rtp, c.rtp, CALLER_HZ);
	await hears(ua['1001'].rtp, c.rtp, CALLER_HZ);
	await hears(ua['1002'].rtp, ua['1001'].rtp, FIRST_HZ);

	/* the first agent hangs up its phone */
	ua['1001'].hangup();
	await t.waitState('1001', 'wrap_up', from);
	await t.waitEvent((m) => m.type === 'call.transferred', from);
	await hears(c.rtp, ua['1002'].rtp, COLLEAGUE_HZ);
	await hears(ua['1002'].rtp, c.rtp, CALLER_HZ);
	assert.equal((await t.live('1002')).state, 'on_call');

	await hangUp(c);
	await t.waitState('1002', 'wrap_up', from);
	const rec = await waitCall(t.s, t.d.sup, caller, ended);
	assert.equal(rec.agent_id, t.agents['1002'].agent_id);
	await t.waitState('1002', 'ready', from);
});

test('cancel: the colleague hangs up and is ready again (no miss), the ' +
	'caller stays on hold for the first agent', async () => {
	const { c, id } = await answered('13900007003', '1002');
	const before = (await t.live('1002')).missed ?? 0;
	const from = t.mark();
	await consultOk(id, { action: 'start', agent: '1002' });
	await consultOk(id, { action: 'cancel' }, 'cancelled');
	await ua['1002'].until(() => !ua['1002'].dialog);
	await t.waitState('1002', 'ready', from);
	assert.deepEqual(t.states('1002', from), ['ringing:consult', 'on_call:consult',
		'ready']);
	assert.equal((await t.live('1002')).missed ?? 0, before);
	/* on hold: hold music, and 1001 is still on the call */
	await c.rtp.heard(300, 5000);
	assert.equal((await t.live('1001')).state, 'on_call');
	const r = await consult(id, { action: 'complete' });
	assert.equal(r.status, 409, r.text);
	await hangUp(c);
	await t.waitState('1001', 'wrap_up', from);
});

test('a colleague not ready, logged out or unknown, a queue with nobody ' +
	'logged in: refused by code', async () => {
	const { c, id } = await answered('13900007004');
	const codes = async (body) => {
		const r = await consult(id, { action: 'start', ...body });
		return `${r.status} ${r.json?.code ?? r.text}`;
	};
	await t.setState('1002', 'not_ready', '');
	/* the consult picker's list: states, nothing of anyone's calls */
	const agent1 = await t.s.token({ tenant: 'demo', username: 'agent1',
		password: 'Agent@2026' });
	const l = await t.s.api('GET', '/api/v1/live/colleagues', null, agent1);
	assert.equal(l.status, 200, l.text);
	const me = l.json.items.find((x) => x.work_no === '1001');
	assert.equal(me.state, 'on_call');
	assert.equal(me.caller, undefined);
	assert.equal(l.json.items.find((x) => x.work_no === '1002').state,
		'not_ready');
	assert.equal(await codes({ agent: '1002' }), '409 agent_busy');
	await t.setState('1002', 'logged_out');
	assert.equal(await codes({ agent: '1002' }), '409 agent_logged_out');
	assert.equal(await codes({ agent: '1001' }), '409 agent_busy');
	assert.equal(await codes({ agent: '9999' }), '404 agent_not_found');
	/* its empty policy (logged_in) refuses a queue nobody serves now */
	const skill = await t.adminApi('POST', '/api/v1/skills',
		{ name: '咨询空队列' }, 201);
	await t.newQueue({ name: 'consult-empty', skills: [skill.skill_id] });
	assert.equal(await codes({ queue: 'consult-empty' }),
		'409 no_agent_available');
	assert.equal(await codes({ queue: 'nope' }), '404 queue_not_found');
	let r = await consult(id, { action: 'start', agent: '1002',
		queue: 'support' });
	assert.equal(r.status, 400, r.text);
	r = await consult(id, { action: 'start' });
	assert.equal(r.status, 400, r.text);
	/* nothing started: the caller was never put on hold */
	assert.equal(t.since(0, (m) => m.type === 'call.held' &&
		m.data.call_id === id).length, 0);
	await hangUp(c);
});

test('a colleague that does not answer: the consultation fails after ' +
	'the ring timeout, a miss as a missed offer', async () => {
	const { c, id } = await answered('13900007005', '1003');
	const from = t.mark();
	await consultOk(id, { action: 'start', agent: '1003' }, 'ringing');
	const failed = await t.waitEvent(consultEvent(id, 'failed'), from,
		10000);
	assert.equal(failed.data.code, 408);
	await ua['1003'].sipp.wait(/CANCELLED /, 1, 5000);
	await t.waitState('1003', 'not_ready', from, 5000, 'no_answer');
	assert.deepEqual(t.states('1003', from), ['ringing:consult',
		'not_ready:no_answer']);
	assert.equal((await t.live('1001')).state, 'on_call');
	await hangUp(c);
	await t.setState('1003', 'logged_out');
});

test('the caller hangs up during the consultation: both agents are ' +
	'released once', async () => {
	const { c, id } = await answered('13900007006', '1002');
	const from = t.mark();
	await consultOk(id, { action: 'start', agent: '1002' });
	await hangUp(c);
	await t.waitState('1001', 'wrap_up', from);
	await t.waitState('1002', 'ready', from);
	await ua['1002'].until(() => !ua['1002'].dialog);
	assert.deepEqual(t.states('1002', from), ['ringing:consult', 'on_call:consult',
		'ready']);
	assert.equal(t.states('1001', from).filter((s) => s === 'wrap_up')
		.length, 1);
	await t.waitState('1001', 'ready', from);
});

test('consult a queue: its ready agent is rung, nobody else is offered ' +
	'the call meanwhile', async () => {
	const { c, id } = await answered('13900007007', '1004');
	const from = t.mark();
	const ev = await consultOk(id, { action: 'start', queue: 'support' });
	assert.equal(ev.data.to, 'queue');
	assert.equal(ev.data.target_work_no, '1004');
	assert.equal(ev.data.queue, 'support');
	/* a second caller waits: 1004 is reserved, so it is not offered */
	const c2 = await t.call('13900007008');
	await t.waitEvent((m) => m.type === 'queue.joined' &&
		m.data.call_id !== id, from);
	assert.deepEqual(t.offered(from), []);
	await consultOk(id, { action: 'complete' }, 'transferred');
	await t.waitState('1001', 'wrap_up', from);
	/* 1001 is ready after its wrap-up and takes the waiting caller */
	await t.waitEvent((m) => m.type === 'agent.offered' &&
		m.data.work_no === '1001', from, 10000);
	await ua['1001'].until(() => ua['1001'].dialog?.up);
	await hangUp(c);
	await hangUp(c2);
	await t.waitState('1004', 'wrap_up', from);
	await ua['1001'].until(() => !ua['1001'].dialog);
});

/* A consultation of support, where nobody is ready: it waits. */
async function queued(id) {
	const from = t.mark();
	const r = await consult(id, { action: 'start', queue: 'support' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.result, 'queued');
	const ev = await t.waitEvent(consultEvent(id, 'queued'), from);
	assert.equal(ev.data.to, 'queue');
	assert.equal(ev.data.queue, 'support');
	assert.equal(ev.data.target_work_no, undefined);
	return ev;
}

/* 1002 goes ready and is given a caller of support: so it was not
 * reserved for a consultation. */
async function takesCaller(caller, from) {
	const c2 = await t.call(caller);
	await t.waitEvent((m) => m.type === 'queue.joined' &&
		m.data.caller === caller, from);
	assert.equal((await t.setState('1002', 'ready')).status, 200);
	await t.waitEvent((m) => m.type === 'agent.offered' &&
		m.data.work_no === '1002', from);
	await ua['1002'].until(() => ua['1002'].dialog?.up);
	await hangUp(c2);
	await t.waitState('1002', 'wrap_up', from);
	assert.equal(t.states('1002', from).filter((s) =>
		s.endsWith(':consult')).length, 0);
}

test('consult a queue with nobody ready: it waits ahead of its callers, ' +
	'the first to be ready is rung for it, answers, takes the call',
async () => {
	const caller = '13900007011';
	const { c, id } = await answered(caller);
	const from = t.mark();
	await queued(id);
	/* the first agent hears the queue's music, the caller holds */
	await ua['1001'].rtp.heard(300, 5000);
	assert.equal((await t.live('1001')).state, 'on_call');
	/* a caller who waits already is not served before the consultation */
	const c2 = await t.call('13900007012');
	await t.waitEvent((m) => m.type === 'queue.joined' &&
		m.data.call_id !== id, from);
	/* the wallboard counts callers: the consultation is none */
	assert.equal((await t.liveQueue(t.support.queue_id)).waiting, 1);
	assert.equal((await t.setState('1002', 'ready')).status, 200);
	const ring = await t.waitEvent(consultEvent(id, 'ringing'), from);
	assert.equal(ring.data.to, 'queue');
	assert.equal(ring.data.target_work_no, '1002');
	assert.equal(ring.data.queue, 'support');
	await t.waitEvent(consultEvent(id, 'answered'), from);
	await ua['1002'].until(() => ua['1002'].dialog?.up);
	await hears(ua['1002'].rtp, ua['1001'].rtp, FIRST_HZ);
	assert.deepEqual(t.offered(from), []);
	assert.deepEqual(t.states('1002', from).slice(0, 3),
		['ready', 'ringing:consult', 'on_call:consult']);

	await consultOk(id, { action: 'complete' }, 'transferred');
	await t.waitState('1001', 'wrap_up', from);
	await hears(ua['1002'].rtp, c.rtp, CALLER_HZ);
	await hangUp(c);
	await t.waitState('1002', 'wrap_up', from);
	const rec = await waitCall(t.s, t.d.sup, caller, ended);
	assert.equal(rec.agent_id, t.agents['1002'].agent_id);
	const steps = rec.events.filter((e) => e.type === 'call.consult')
		.map((e) => e.data.state);
	assert.deepEqual(steps, ['queued', 'ringing', 'answered',
		'transferred']);
	/* then the waiting caller, as usual */
	await t.waitEvent((m) => m.type === 'agent.offered', from, 15000);
	await hangUp(c2);
});

test('cancel while the consultation waits: out of the queue, nobody is ' +
	'rung for it later; the caller stays on hold', async () => {
	const { c, id } = await answered('13900007013');
	const from = t.mark();
	/* over the agent's WebSocket this time: call.ok says queued */
	const ws = await wsAuthed(t.s, await t.s.token({ tenant: 'demo',
		username: 'agent1', password: 'Agent@2026' }));
	try {
		ws.send({ type: 'call.consult', call_id: id, action: 'start',
			queue: 'support' });
		const ok = await ws.next('call.ok');
		assert.equal(ok.call_id, id);
		assert.equal(ok.result, 'queued');
		await t.waitEvent(consultEvent(id, 'queued'), from);
		ws.send({ type: 'call.consult', call_id: id, action: 'cancel' });
		assert.equal((await ws.next('call.ok')).result, undefined);
	} finally {
		ws.close();
	}
	await t.waitEvent(consultEvent(id, 'cancelled'), from);
	let r = await consult(id, { action: 'cancel' });
	assert.equal(r.status, 409, r.text);
	await takesCaller('13900007014', from);
	assert.equal(t.since(from, (m) => m.type === 'call.consult' &&
		m.data.call_id === id).length, 2);
	assert.equal((await t.live('1001')).state, 'on_call');
	await c.rtp.heard(300, 5000);       /* hold music */
	await hangUp(c);
	await t.waitState('1001', 'wrap_up', from);
});

test('the caller or the first agent hangs up while the consultation ' +
	'waits: it leaves the queue once, nobody is rung for it', async () => {
	let { c, id } = await answered('13900007015');
	let from = t.mark();
	await queued(id);
	await hangUp(c);
	await t.waitState('1001', 'wrap_up', from);
	await takesCaller('13900007016', from);
	assert.equal(t.since(from, (m) => m.type === 'call.consult' &&
		m.data.call_id === id).length, 1);

	({ c, id } = await answered('13900007017'));
	from = t.mark();
	await queued(id);
	ua['1001'].hangup();
	await t.waitEvent(consultEvent(id, 'cancelled'), from);
	await t.waitState('1001', 'wrap_up', from);
	await takesCaller('13900007018', from);
	await c.done;
	c.close();
	assert.equal((await t.liveQueue(t.support.queue_id)).waiting, 0);
});

test("the queue's max wait caps the consultation: it fails (408), the " +
	'caller stays on hold for the first agent', async () => {
	await t.patchQueue(t.support.queue_id, { max_wait_s: 2 });
	try {
		const { c, id } = await answered('13900007019');
		const from = t.mark();
		await queued(id);
		const failed = await t.waitEvent(consultEvent(id, 'failed'), from,
			10000);
		assert.equal(failed.data.code, 408);
		assert.equal(failed.data.to, 'queue');
		assert.equal((await t.live('1001')).state, 'on_call');
		const r = await consult(id, { action: 'complete' });
		assert.equal(r.status, 409, r.text);
		await takesCaller('13900007020', from);
		await hangUp(c);
		await t.waitState('1001', 'wrap_up', from);
	} finally {
		await t.patchQueue(t.support.queue_id, { max_wait_s: 0 });
	}
});

test('a blind transfer during a consultation cancels it first: the ' +
	'colleague is released', async () => {
	const { c, id } = await answered('13900007009', '1002', '1004');
	const from = t.mark();
	await consultOk(id, { action: 'start', agent: '1002' });
	const r = await t.s.api('POST', `/api/v1/calls/${id}/transfer`,
		{ agent_id: t.agents['1004'].agent_id }, t.d.sup);
	assert.equal(r.status, 200, r.text);
	await t.waitEvent(consultEvent(id, 'cancelled'), from);
	await t.waitState('1002', 'ready', from);
	await ua['1002'].until(() => !ua['1002'].dialog);
	await ua['1004'].until(() => ua['1004'].dialog?.up);
	assert.deepEqual(t.states('1002', from), ['ringing:consult',
		'on_call:consult', 'ready']);
	await hangUp(c);
	await t.waitState('1004', 'wrap_up', from);
	await ua['1004'].until(() => !ua['1004'].dialog);
	await t.reset();
});
