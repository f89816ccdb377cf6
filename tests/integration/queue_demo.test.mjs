// The demo as README tells a new user: two SIP phones register as demo
// agents 1001 and 1002, both log in, a customer calls 4001000100,
// presses 1 in the demo IVR and is answered by the agent idle longest,
// whose work number the caller hears.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpPeer, ended, sipCall, waitCall } from '../lib/sip.mjs';
import { acdStack } from '../lib/acd.mjs';

let x;

before(async () => { x = await acdStack(); });
after(async () => { await x?.stop(); });

test('demo: key 1 on 4001000100 reaches queue support; the longest idle ' +
	'of two logged-in agents answers with its work number', async () => {
	const p2 = await x.phone('1002', { ringMs: 200, talkMs: 8000 });
	const p1 = await x.phone('1001', { ringMs: 200, talkMs: 8000 });
	/* each agent logs itself in, 1002 first: it has been idle longest */
	for (const [w, user] of [['1002', 'agent2'], ['1001', 'agent1']]) {
		const tok = await x.s.token({ tenant: 'demo', username: user,
			password: 'Agent@2026' });
		const r = await x.s.api('PUT',
			`/api/v1/agents/${x.agents[w].agent_id}/state`,
			{ state: 'ready' }, tok);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.state, 'ready');
	}
	const rtp = await RtpPeer.open();
	try {
		const c = await sipCall(x.s, { service: '4001000100',
			caller: '13900001000', rtp });
		/* welcome, then the menu: press 1 */
		await rtp.heard();
		await rtp.dtmf('1');
		const j = await x.ws.next((m) => m.type === 'queue.joined' &&
			m.data.caller === '13900001000', 20000);
		assert.equal(j.data.queue, 'support');
		await p2.answered();
		const a = await x.ws.next((m) => m.type === 'call.answered' &&
			m.data.call_id === j.data.call_id);
		assert.equal(a.data.work_no, '1002');
		assert.equal(p1.count('invite'), 0);
		/* the work number announcement reaches the caller */
		const from = rtp.samples.length;
		await rtp.heard();
		assert.ok(rtp.samples.length > from);
		await c.hangup();
		await c.done;
		const rec = await waitCall(x.s, x.d.sup, '13900001000', ended);
		assert.equal(rec.queue_result, 'answered');
		assert.equal(rec.agent_id, x.agents['1002'].agent_id);
		assert.deepEqual(rec.ivr_path.slice(0, 3),
			['welcome', 'menu', 'agent']);
	} finally {
		rtp.close();
	}
});
