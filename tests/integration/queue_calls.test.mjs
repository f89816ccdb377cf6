// Calls through ACD queues with real SIP: sipp is the carrier and the
// agents' phones (registering, answering, refusing, ignoring, hanging
// up). The caller's media is an RtpPeer in the test; an agent's phone
// echoes what it hears, so a bridged caller hears itself. Checked: who
// is offered the call, what the caller hears, the CDR and timeline, and
// every agent state change as pushed over the WebSocket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, wsAuthed } from '../lib/stack.mjs';
import { RtpPeer, demoCalls, ended, sipCall, sipOk, toneHz,
	waitCall } from '../lib/sip.mjs';
import { registerPhone } from '../lib/agentphone.mjs';
import { talkPhone } from '../lib/talkphone.mjs';

const SECRET = 'Phone@2026';
let s;
let d;
let agents;          // work_no -> agent row
let support;         // the demo queue
let ws;
const phones = [];

/* Run fn (a configuration change) and wait until the ACD applied it. */
async function reloaded(fn) {
	const from = s.logs().length;
	const r = await fn();
	const until = Date.now() + 10000;
	while (!/ACD loaded/.test(s.logs().slice(from))) {
		if (Date.now() > until)
			throw new Error('ACD not reloaded');
		await new Promise((res) => setTimeout(res, 20));
	}
	return r;
}

async function patchQueue(id, body) {
	return reloaded(async () => {
		const r = await s.api('PATCH', `/api/v1/queues/${id}`, body,
			d.admin);
		assert.equal(r.status, 200, r.text);
		return r.json;
	});
}

async function setState(workNo, state, reason) {
	const r = await s.api('PUT',
		`/api/v1/agents/${agents[workNo].agent_id}/state`,
		{ state, reason }, d.sup);
	return r;
}

async function live(workNo) {
	const r = await s.api('GET', '/api/v1/live/agents', null, d.sup);
	assert.equal(r.status, 200, r.text);
	return r.json.items.find((a) => a.work_no === workNo);
}

async function waitAgent(workNo, pred, timeoutMs = 15000) {
	const until = Date.now() + timeoutMs;
	let a;
	for (;;) {
		a = await live(workNo);
		if (pred(a))
			return a;
		if (Date.now() > until)
			throw new Error(`agent ${workNo}: ${JSON.stringify(a)}`);
		await new Promise((res) => setTimeout(res, 50));
	}
}

/* The state changes of one agent pushed since the test began. */
function stateEvents(workNo) {
	return (m) => m.type === 'agent.state_changed' &&
		m.data.work_no === workNo;
}

async function phone(workNo, opts = {}) {
	const p = opts.talkMs ?
		await talkPhone({ sipPort: s.sipPort, user: `demo${workNo}`,
			secret: SECRET, ...opts }) :
		await registerPhone({ sipPort: s.sipPort, user: `demo${workNo}`,
			secret: SECRET, ...opts });
	phones.push(p);
	await p.registered();
	await waitAgent(workNo, (a) => a.device_reachable);
	return p;
}

before(async () => {
	s = await startStack({ env: {
		OPENSEAT_CLOCK_OFFSET: '@2026-11-23T02:00:00Z' } });
	d = await demoCalls(s);
	const a = await s.api('GET', '/api/v1/agents?limit=100', null, d.admin);
	agents = Object.fromEntries(a.json.items.map((x) => [x.work_no, x]));
	const q = await s.api('GET', '/api/v1/queues', null, d.admin);
	support = q.json.items.find((x) => x.name === 'support');
	const flow = await d.flow('排队', { start: 'q', nodes: {
		q: { kind: 'queue', queue: 'support', fail: 'h' },
		h: { kind: 'hangup' } } });
	await d.number('4001000500', { flow_id: flow });
	await patchQueue(support.queue_id, { wrapup_s: 1, ring_timeout_s: 5,
		announce_every_s: 0 });
	ws = await wsAuthed(s, d.sup, ['agent', 'queue', 'call']);
});

after(async () => {
	ws?.close();
	for (const p of phones)
		await p.stop();
	await s?.stop();
});

test('an agent answers: work number announced, both hear each other, ' +
	'the agent hangs up, wrap-up, ready again', async () => {
	const p = await phone('1001', { ringMs: 300, talkMs: 12000 });
	const r = await setState('1001', 'ready');
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.state, 'ready');
	await ws.next((m) => stateEvents('1001')(m) && m.data.state === 'ready');

	const rtp = await RtpPeer.open();
	try {
		const c = await sipCall(s, { service: '4001000500',
			caller: '13900000001', rtp });
		await p.answered();
		const offered = await ws.next((m) => m.type === 'agent.offered');
		assert.equal(offered.data.work_no, '1001');
		await ws.next((m) => stateEvents('1001')(m) &&
			m.data.state === 'on_call');
		/* "工号 1001 为您服务", then the agent's echo of the caller */
		await rtp.heard();
		await rtp.quiet();
		const from = rtp.samples.length;
		rtp.speak(700, 1500);
		await rtp.until(() => rtp.samples.length - from > 12000, 10000,
			'echo through the agent');
		const hz = toneHz(rtp.samples.slice(from + 4000, from + 10000));
		assert.ok(Math.abs(hz - 700) < 40, `caller hears ${hz} Hz`);

		/* the agent hangs up: the call ends, wrap-up, then ready */
		await sipOk(c);
		await ws.next((m) => stateEvents('1001')(m) &&
			m.data.state === 'wrap_up', 10000);
		await ws.next((m) => stateEvents('1001')(m) &&
			m.data.state === 'ready', 5000);
		const call = await waitCall(s, d.sup, '13900000001', ended);
		assert.equal(call.hangup_side, 'agent');
		assert.equal(call.disposition, 'completed');
		assert.equal(call.queue_id, support.queue_id);
		assert.equal(call.queue_result, 'answered');
		assert.equal(call.agent_id, agents['1001'].agent_id);
		assert.equal(call.offers, 1);
		assert.ok(call.queued_at && call.connected_at);
		assert.ok(Date.parse(call.connected_at) >= Date.parse(call.queued_at));
		const types = call.events.map((e) => e.type);
		for (const t of ['queue.joined', 'agent.offered', 'queue.left',
			'call.answered', 'call.ended'])
			assert.ok(types.includes(t), `${t} in ${types}`);
		assert.ok(types.indexOf('queue.joined') <
			types.indexOf('agent.offered'));
		assert.ok(types.indexOf('call.answered') <
			types.indexOf('call.ended'));
	} finally {
		rtp.close();
	}
	await setState('1001', 'logged_out');
});
