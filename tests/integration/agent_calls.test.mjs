// An agent's own calls and today's counts (the agent console's recent
// calls and figures): an agent reads the calls it answered and no
// other's; a supervisor reads anyone's; bad filters are refused by name.
// One real call through the queue: 1002's phone is busy (a missed
// offer), 1001's answers, talks and hangs up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ended, waitCall } from '../lib/sip.mjs';
import { queueStack } from '../lib/acd_calls.mjs';

const CALLER = '13900000111';
let t;
let call;
const tok = {};

before(async () => {
	t = await queueStack();
	for (const u of ['agent1', 'agent2'])
		tok[u] = await t.s.token({ tenant: 'demo', username: u,
			password: 'Agent@2026' });
	await t.phone('1002', { mode: 'busy' });
	await t.phone('1001', { ringMs: 200, talkMs: 1500 });
	/* 1002 idles longest: offered first, refuses, then 1001 answers */
	await t.readyAll('1002', '1001');
	const c = await t.call(CALLER);
	try {
		call = await waitCall(t.s, t.d.sup, CALLER, ended, 30000);
	} finally {
		c.close();
	}
	assert.equal(call.agent_id, t.agents['1001'].agent_id);
});

after(async () => { await t?.stop(); });

const get = (p, who) => t.s.api('GET', p, null, who);

test('an agent lists and opens the calls it answered', async () => {
	const l = await get('/api/v1/calls', tok.agent1);
	assert.equal(l.status, 200, l.text);
	assert.deepEqual(l.json.items.map((c) => c.call_id), [call.call_id]);
	const own = await get(`/api/v1/calls?agent_id=${call.agent_id}`,
		tok.agent1);
	assert.equal(own.status, 200, own.text);
	assert.equal(own.json.items.length, 1);
	const d = await get(`/api/v1/calls/${call.call_id}`, tok.agent1);
	assert.equal(d.status, 200, d.text);
	assert.equal(d.json.caller, CALLER);
	assert.ok(d.json.events.some((e) => e.type === 'call.answered'));
});

test('an agent cannot see another agent\'s call', async () => {
	const l = await get('/api/v1/calls', tok.agent2);
	assert.equal(l.status, 200, l.text);
	assert.deepEqual(l.json.items, []);
	const d = await get(`/api/v1/calls/${call.call_id}`, tok.agent2);
	assert.equal(d.status, 404, d.text);
	const other = await get(`/api/v1/calls?agent_id=${call.agent_id}`,
		tok.agent2);
	assert.equal(other.status, 403, other.text);
	assert.equal(other.json.code, 'forbidden');
	const sum = await get(`/api/v1/calls/summary?agent_id=${
		call.agent_id}`, tok.agent2);
	assert.equal(sum.status, 403, sum.text);
});

test('a supervisor reads every call, or one agent\'s', async () => {
	const all = await get('/api/v1/calls', t.d.sup);
	assert.ok(all.json.items.some((c) => c.call_id === call.call_id));
	const a2 = await get(`/api/v1/calls?agent_id=${
		t.agents['1002'].agent_id}`, t.d.sup);
	assert.equal(a2.status, 200, a2.text);
	assert.deepEqual(a2.json.items, []);
	const a1 = await get(`/api/v1/calls?agent_id=${call.agent_id}`,
		t.d.sup);
	assert.deepEqual(a1.json.items.map((c) => c.call_id), [call.call_id]);
});

test('today\'s counts: answered, missed, average handle time',
	async () => {
		/* the server's clock is set to a Monday: count from just
		 * before the call, as a console counts from its midnight */
		const from = encodeURIComponent(new Date(Date.parse(
			call.started_at) - 60000).toISOString());
		const s1 = await get(`/api/v1/calls/summary?from=${from}`,
			tok.agent1);
		assert.equal(s1.status, 200, s1.text);
		assert.equal(s1.json.agent_id, call.agent_id);
		assert.equal(s1.json.answered, 1);
		assert.equal(s1.json.missed, 0);
		/* talked ~1.5 s, then a 1 s wrap-up */
		assert.ok(s1.json.handle_ms >= 1000, s1.text);
		assert.equal(s1.json.handle_ms_avg, s1.json.handle_ms);
		const s2 = await get(`/api/v1/calls/summary?from=${from}`,
			tok.agent2);
		assert.equal(s2.status, 200, s2.text);
		assert.equal(s2.json.answered, 0);
		assert.equal(s2.json.missed, 1);
		assert.equal(s2.json.handle_ms_avg, null);
		const sup = await get(`/api/v1/calls/summary?agent_id=${
			t.agents['1002'].agent_id}&from=${from}`, t.d.sup);
		assert.equal(sup.json.missed, 1, sup.text);
		const late = await get('/api/v1/calls/summary?from=' +
			encodeURIComponent(new Date(Date.parse(call.ended_at) +
				864e5).toISOString()), tok.agent1);
		assert.equal(late.json.answered, 0, late.text);
	});

test('bad input to the agent\'s call endpoints is refused by name',
	async () => {
		const bad = async (p, who, field, status = 400) => {
			const r = await get(p, who);
			assert.equal(r.status, status, `${p}: ${r.text}`);
			if (field) {
				assert.equal(r.json.code, 'validation_failed');
				assert.equal(r.json.errors[0].field, field, r.text);
			}
		};
		await bad('/api/v1/calls?agent_id=nope', tok.agent1, 'agent_id');
		await bad(`/api/v1/calls?agent_id=${encodeURIComponent(
			"' OR 1=1 --")}`, t.d.sup, 'agent_id');
		await bad('/api/v1/calls/summary?from=yesterday', tok.agent1,
			'from');
		await bad('/api/v1/calls/summary?from=2026-13-45T99:00:00Z',
			tok.agent1, null, 400);
		await bad('/api/v1/calls/summary', t.d.sup, 'agent_id');
		await bad('/api/v1/calls/summary?agent_id=1001', t.d.sup,
			'agent_id');
		await bad('/api/v1/calls/not-a-call', tok.agent1, null, 404);
		await bad('/api/v1/calls/summary', null, null, 401);
	});
