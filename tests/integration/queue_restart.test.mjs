// The ACD across a restart of the server on the same database: agents
// logged in stay logged in (ready, or not ready with their reason) and
// take calls again; calls in progress when the server is killed are
// closed in the CDR as ended by server_restart, the agent who had one
// comes back not ready "restart"; a stop (SIGTERM) hangs the calls up
// and records them as ended by shutdown.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ended, sipOk, waitCall } from '../lib/sip.mjs';
import { queueStack } from '../lib/acd_calls.mjs';

let t;

before(async () => {
	t = await queueStack();
});

afterEach(async () => {
	await t.reset();
});

after(async () => {
	await t?.stop();
});

test('agents logged in stay logged in after a restart and take calls',
	async () => {
		const p = await t.phone('1001', { talkMs: 800 });
		await t.phone('1002');
		await t.readyAll('1001');
		assert.equal((await t.setState('1002', 'not_ready', '休息')).status,
			200);
		await t.waitAgent('1002', (a) => a.state === 'not_ready');

		await t.restart();
		const a1 = await t.waitAgent('1001', (a) => a.state === 'ready' &&
			a.device_reachable, 10000);
		assert.equal(a1.reason, '');
		const a2 = await t.live('1002');
		assert.equal(a2.state, 'not_ready');
		assert.equal(a2.reason, '休息');
		for (const w of ['1003', '1004', '1005'])
			assert.equal((await t.live(w)).state, 'logged_out');

		/* the restored agent's phone is rung by the new server */
		const from = t.mark();
		const c = await t.call('13900004001', { rtp: false });
		await p.answered();
		await sipOk(c);
		await t.waitState('1001', 'ready', from, 10000);
		assert.deepEqual(t.offered(from), ['1001']);
		const call = await waitCall(t.s, t.d.sup, '13900004001', ended);
		assert.equal(call.agent_id, t.agents['1001'].agent_id);
	});

test('calls in progress when the server is killed are closed as ' +
	'server_restart', async () => {
	const p = await t.phone('1001', { ringMs: 100 });
	await t.readyAll('1001');
	const from = t.mark();
	const talking = await t.call('13900004002', { rtp: false });
	await p.answered();
	await t.waitState('1001', 'on_call', from);
	/* 1001 is logged in but busy: the second caller waits */
	const waiting = await t.call('13900004003', { rtp: false });
	await waitCall(t.s, t.d.sup, '13900004003', (c) => c.queued_at);

	await t.restart({ kill: true });
	talking.proc.kill('SIGKILL');
	waiting.proc.kill('SIGKILL');
	const a = await t.waitAgent('1001', (x) => x.state !== 'logged_out',
		10000);
	assert.equal(a.state, 'not_ready');
	assert.equal(a.reason, 'restart');

	const c1 = await waitCall(t.s, t.d.sup, '13900004002',
		(c) => !!c.ended_at);
	assert.equal(c1.hangup_cause, 'server_restart');
	assert.equal(c1.hangup_side, 'system');
	assert.equal(c1.queue_result, 'answered');
	assert.equal(c1.agent_id, t.agents['1001'].agent_id);
	const c2 = await waitCall(t.s, t.d.sup, '13900004003',
		(c) => !!c.ended_at);
	assert.equal(c2.hangup_cause, 'server_restart');
	assert.equal(c2.queue_result, 'abandoned');
	assert.equal(c2.agent_id, null);
});

test('a stop (SIGTERM) hangs up the calls in progress and records them ' +
	'as ended by shutdown', async () => {
	const p = await t.phone('1001', { ringMs: 100 });
	await t.readyAll('1001');
	const from = t.mark();
	const talking = await t.call('13900004004', { rtp: false });
	await p.answered();
	await t.waitState('1001', 'on_call', from);
	const waiting = await t.call('13900004005', { rtp: false });
	await waitCall(t.s, t.d.sup, '13900004005', (c) => c.queued_at);

	await t.restart();
	/* both callers were sent BYE before the server went */
	await sipOk(talking);
	await sipOk(waiting);
	const a = await t.waitAgent('1001', (x) => x.state !== 'logged_out',
		10000);
	assert.equal(a.state, 'not_ready');
	assert.equal(a.reason, 'restart');
	const c1 = await waitCall(t.s, t.d.sup, '13900004004', ended);
	assert.equal(c1.hangup_cause, 'shutdown');
	assert.equal(c1.hangup_side, 'system');
	assert.equal(c1.queue_result, 'answered');
	const c2 = await waitCall(t.s, t.d.sup, '13900004005', ended);
	assert.equal(c2.hangup_cause, 'shutdown');
	assert.equal(c2.queue_result, 'abandoned');
});
