// Calls through ACD queues with real SIP: sipp is the carrier and the
// agents' phones (registering, answering, refusing, ignoring, hanging
// up). The caller's media is an RtpPeer in the test; an agent's phone
// echoes what it hears, so a bridged caller hears itself. Checked: who
// is offered the call, what the caller hears, the CDR and timeline, and
// every agent state change as pushed over the WebSocket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpPeer, ended, sipCall, sipOk, toneHz,
	waitCall } from '../lib/sip.mjs';
import { acdStack, queueFlow } from '../lib/acd.mjs';

let x;

before(async () => {
	x = await acdStack();
	const flow = await x.d.flow('排队', queueFlow('support'));
	await x.d.number('4001000500', { flow_id: flow });
	await x.patchQueue(x.support.queue_id, { wrapup_s: 1,
		ring_timeout_s: 5, announce_every_s: 0 });
});

after(async () => { await x?.stop(); });

test('an agent answers: work number announced, both hear each other, ' +
	'the agent hangs up, wrap-up, ready again', async () => {
	const { s, d, ws, agents, support } = x;
	const p = await x.phone('1001', { ringMs: 300, talkMs: 12000 });
	await x.ready('1001');
	await x.state('1001', 'ready');

	const rtp = await RtpPeer.open();
	try {
		const c = await sipCall(s, { service: '4001000500',
			caller: '13900000001', rtp });
		await p.answered();
		const offered = await ws.next((m) => m.type === 'agent.offered');
		assert.equal(offered.data.work_no, '1001');
		await x.state('1001', 'on_call');
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
		await x.state('1001', 'wrap_up', 10000);
		await x.state('1001', 'ready', 5000);
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
	await x.setState('1001', 'logged_out');
});
