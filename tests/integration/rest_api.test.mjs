// The REST API as a CRM system uses it: API keys with a rate limit each
// (429 + Retry-After, the other keys unaffected, sessions not limited),
// a revoked key refused at once on every node, and click-to-dial on
// behalf of an agent — a SIP phone rung first, then the customer through
// the trunk; a browser agent's console asked to dial — with its errors
// and Idempotency-Key.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, request, wsAuthed } from '../lib/stack.mjs';
import { rerouted } from '../lib/sip.mjs';
import { queueStack, sippUas, until } from '../lib/acd_calls.mjs';
import { SECRET } from '../lib/acd.mjs';

const AGENT6 = { tenant: 'demo', username: 'agent6', password: 'Agent@2026' };
const KEYS = '/api/v1/api-keys';
const WAIT = 20000;

let t;
let crm;            // an admin key of the demo tenant
let acmeKey;        // an admin key of another tenant

before(async () => {
	t = await queueStack();
	crm = await newKey({ name: 'CRM', role: 'admin' });
	const a = await t.s.api('POST', '/api/v1/tenants', { code: 'acme',
		name: 'Acme', admin: { username: 'root',
			password: 'Acme@20261' } }, t.d.op);
	assert.equal(a.status, 201, a.text);
	const acmeAdmin = (await t.s.login('acme', 'root', 'Acme@20261'))
		.access_token;
	const k = await t.s.api('POST', KEYS, { name: 'acme CRM', role: 'admin' },
		acmeAdmin);
	assert.equal(k.status, 201, k.text);
	acmeKey = k.json.key;
});

after(async () => {
	await t?.stop();
});

async function newKey(body) {
	const r = await t.s.api('POST', KEYS, body, t.d.admin);
	assert.equal(r.status, 201, r.text);
	return r.json;
}

function assertProblem(r, status, code, what = '') {
	assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
	assert.match(r.headers.get('content-type') || '',
		/application\/problem\+json/, what);
	assert.equal(r.json?.code, code, `${what}: ${r.text}`);
}

const dial = (body, key = crm.key, headers = {}) =>
	t.s.api('POST', '/api/v1/calls', body, key, headers);

test('a key over its limit gets 429 with Retry-After and recovers; ' +
	'another key and sessions are not limited', async () => {
	const k = await newKey({ name: 'slow', role: 'supervisor',
		rate_limit_per_s: 1, burst: 3 });
	assert.equal(k.rate_limit_per_s, 1);
	assert.equal(k.burst, 3);
	for (let i = 0; i < 3; i++) {
		const r = await t.s.api('GET', '/api/v1/live/queues', null, k.key);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.headers.get('ratelimit-limit'), '3');
		assert.equal(r.headers.get('ratelimit-remaining'), String(2 - i));
	}
	const r = await t.s.api('GET', '/api/v1/live/queues', null, k.key);
	assertProblem(r, 429, 'too_many_requests', '4th request');
	const wait = r.headers.get('retry-after');
	assert.match(wait, /^[1-9][0-9]*$/, `Retry-After ${wait}`);
	assert.equal(r.headers.get('ratelimit-remaining'), '0');

	/* another key of the same tenant is not affected */
	const o = await t.s.api('GET', '/api/v1/live/queues', null, crm.key);
	assert.equal(o.status, 200, o.text);
	assert.equal(o.headers.get('ratelimit-limit'), '40');

	/* a person's session is not limited by keys' buckets */
	for (let i = 0; i < 60; i++) {
		const s = await t.s.api('GET', '/api/v1/live/queues', null,
			t.d.sup);
		assert.equal(s.status, 200, s.text);
		assert.equal(s.headers.get('ratelimit-limit'), null);
	}

	/* after Retry-After seconds the key may send again */
	await new Promise((res) => setTimeout(res, Number(wait) * 1000));
	const again = await t.s.api('GET', '/api/v1/live/queues', null, k.key);
	assert.equal(again.status, 200, again.text);

	/* the admin raises its limit: effective at the next request */
	const p = await t.s.api('PATCH', `${KEYS}/${k.api_key_id}`,
		{ rate_limit_per_s: 50, burst: 100 }, t.d.admin);
	assert.equal(p.status, 200, p.text);
	assert.equal(p.json.burst, 100);
	const raised = await t.s.api('GET', '/api/v1/live/queues', null, k.key);
	assert.equal(raised.status, 200, raised.text);
	assert.equal(raised.headers.get('ratelimit-limit'), '100');

	/* null: back to the server's default */
	const d = await t.s.api('PATCH', `${KEYS}/${k.api_key_id}`,
		{ rate_limit_per_s: null, burst: null }, t.d.admin);
	assert.equal(d.status, 200, d.text);
	assert.equal(d.json.burst, null);
	const dflt = await t.s.api('GET', '/api/v1/live/queues', null, k.key);
	assert.equal(dflt.headers.get('ratelimit-limit'), '40');
});

test('rate limits and agent bindings are checked field by field',
	async () => {
		const bad = [
			[{ rate_limit_per_s: 0 }, 'rate_limit_per_s'],
			[{ rate_limit_per_s: 10001 }, 'rate_limit_per_s'],
			[{ rate_limit_per_s: '5' }, 'rate_limit_per_s'],
			[{ burst: -1 }, 'burst'],
			[{ burst: 1.5 }, 'burst'],
			[{ agent_id: 'x' }, 'agent_id'],
			[{ agent_id: t.agents['1001'].agent_id, role: 'admin' },
				'agent_id'],
			/* an unknown agent, and a user who is no agent */
			[{ agent_id: '00000000-0000-4000-8000-000000000000' },
				'agent_id'],
		];
		for (const [body, field] of bad) {
			const r = await t.s.api('POST', KEYS, { name: 'k', role: 'agent',
				...body }, t.d.admin);
			assertProblem(r, 400, 'validation_failed', JSON.stringify(body));
			assert.equal(r.json.errors[0].field, field, r.text);
		}
		const r = await t.s.api('PATCH', `${KEYS}/${crm.api_key_id}`,
			{ burst: 0 }, t.d.admin);
		assertProblem(r, 400, 'validation_failed', 'PATCH burst 0');
		/* another tenant's admin cannot see or change the key */
		const x = await t.s.api('PATCH', `${KEYS}/${crm.api_key_id}`,
			{ burst: 1 }, acmeKey);
		assertProblem(x, 404, 'not_found', 'another tenant');
		const u = await t.s.api('PATCH', `${KEYS}/not-a-uuid`,
			{ burst: 1 }, t.d.admin);
		assertProblem(u, 404, 'not_found', 'bad id');
		/* nor may an agent key be bound to another tenant's agent */
		const y = await t.s.api('POST', KEYS, { name: 'k', role: 'agent',
			agent_id: t.agents['1001'].agent_id }, acmeKey);
		assertProblem(y, 400, 'validation_failed', 'acme binds demo agent');
	});

test('a revoked key is refused at once, on this node and on another',
	async () => {
		const k = await newKey({ name: 'to revoke', role: 'supervisor' });
		const node2 = await startServer(t.s.db);
		const api2 = (m, p, b, tok) => request(node2.baseUrl, m, p, b, tok);
		try {
			/* both nodes know (and cache) the key */
			let r = await t.s.api('GET', '/api/v1/live/queues', null, k.key);
			assert.equal(r.status, 200, r.text);
			r = await api2('GET', '/api/v1/live/queues', null, k.key);
			assert.equal(r.status, 200, r.text);

			r = await t.s.api('DELETE', `${KEYS}/${k.api_key_id}`, null,
				t.d.admin);
			assert.equal(r.status, 204, r.text);
			const revokedAt = Date.now();

			r = await t.s.api('GET', '/api/v1/live/queues', null, k.key);
			assertProblem(r, 401, 'unauthorized', 'same node');
			/* the other node hears of it by NOTIFY, well before its
			 * cache would expire (10 s) */
			await until(async () => (await api2('GET',
				'/api/v1/live/queues', null, k.key)).status === 401,
			'node 2 refuses the key', 5000);
			assert.ok(Date.now() - revokedAt < 5000);
			r = await api2('GET', '/api/v1/calls', null, k.key);
			assertProblem(r, 401, 'unauthorized', 'node 2');
		} finally {
			const x = await node2.stop();
			assert.equal(x.code, 0, node2.logs().slice(-3000));
		}
	});

test('click-to-dial for a SIP-phone agent: the phone first, then the ' +
	'customer; events in order; the CDR says outbound with the agent; ' +
	'a replayed Idempotency-Key returns the same call', async () => {
	await t.withFarEnd(async (ua) => {
		await t.phone('1001', { talkMs: 60000, secret: SECRET });
		assert.equal((await t.setState('1001', 'not_ready')).status, 200);
		const from = t.mark();
		const key = `dial-${Date.now()}`;
		const r = await dial({ work_no: '1001', to: '138-0013-8000' },
			crm.key, { 'idempotency-key': key });
		assert.equal(r.status, 202, r.text);
		const callId = r.json.call_id;
		assert.match(callId, /^[0-9a-f-]{36}$/);
		assert.equal(r.json.agent_id, t.agents['1001'].agent_id);
		assert.equal(r.json.device, 'sip');

		/* the first answer left once stored: a retry at once replays */
		const replay = await dial({ work_no: '1001', to: '138-0013-8000' },
			crm.key, { 'idempotency-key': key });
		assert.equal(replay.status, 202, replay.text);
		assert.equal(replay.headers.get('idempotent-replayed'), 'true');
		assert.equal(replay.json.call_id, callId);

		/* the agent is busy while it dials: a second call is refused */
		const busy = await dial({ work_no: '1001', to: '13800138001' });
		assertProblem(busy, 409, 'agent_busy', 'second dial');

		const ev = (type) => (m) => m.type === type &&
			m.data?.call_id === callId;
		const created = await t.waitEvent(ev('call.created'), from, WAIT);
		assert.equal(created.data.direction, 'outbound');
		assert.equal(created.data.origin, 'api');
		assert.equal(created.data.request_id, r.json.request_id);
		assert.equal(created.data.callee, '13800138000');
		const offered = await t.waitEvent(ev('agent.offered'), from, WAIT);
		assert.equal(offered.data.device, 'sip');
		await t.waitEvent(ev('call.answered'), from, WAIT);
		const types = t.since(from, (m) => m.data?.call_id === callId)
			.map((m) => m.type);
		assert.ok(types.indexOf('call.created') <
			types.indexOf('agent.offered'), types.join());
		assert.ok(types.indexOf('agent.offered') <
			types.indexOf('call.answered'), types.join());
		/* the customer's INVITE shows a tenant number */
		await until(() => /INVITE sip:13800138000@/.test(ua.messages()),
			'customer INVITE', WAIT);
		assert.match(ua.messages(), /From:.*sip:4001000100@/);
		await t.waitAgent('1001', (x) => x.state === 'outbound');

		const h = await t.s.api('POST', `/api/v1/calls/${callId}/hangup`,
			{}, crm.key);
		assert.equal(h.status, 200, h.text);
		await t.waitEvent(ev('call.ended'), from, WAIT);
		const cdr = await until(async () => {
			const c = await t.s.api('GET', `/api/v1/calls/${callId}`, null,
				crm.key);
			return c.json?.ended_at && c.json;
		}, 'CDR closed', WAIT);
		assert.equal(cdr.direction, 'outbound');
		assert.equal(cdr.agent_id, t.agents['1001'].agent_id);
		assert.equal(cdr.caller, '4001000100');
		assert.equal(cdr.callee, '13800138000');
		assert.ok(cdr.answered_at, JSON.stringify(cdr));
		const calls = t.s.db.psql('SELECT count(*) FROM calls WHERE ' +
			"callee = '13800138000'", true);
		assert.equal(calls, '1', 'one call for a replayed key');
		await t.waitAgent('1001', (x) => x.state === 'not_ready');
	});
	await t.reset();
});

test('click-to-dial for a PSTN agent: its number is called through the ' +
	'trunk first, then the customer', async () => {
	const ua = await sippUas('uas_answer.xml', ['-rtp_echo', '-m', '2']);
	const trunk = `/api/v1/trunks/${t.d.trunkId}`;
	const before = (await t.s.api('GET', trunk, null, t.d.op)).json;
	await rerouted(t.s, () => t.s.api('PATCH', trunk, {
		outbound_uri: `sip:127.0.0.1:${ua.port}` }, t.d.op));
	await t.patchAgent('1005', { device: 'pstn', phone: '13900001005' });
	try {
		assert.equal((await t.setState('1005', 'not_ready')).status, 200);
		const from = t.mark();
		const r = await dial({ work_no: '1005', to: '13800138005' });
		assert.equal(r.status, 202, r.text);
		assert.equal(r.json.device, 'pstn');
		const callId = r.json.call_id;
		await t.waitEvent((m) => m.type === 'call.answered' &&
			m.data.call_id === callId, from, WAIT);
		const msgs = ua.messages();
		const agentAt = msgs.search(/INVITE sip:13900001005@/);
		const customerAt = msgs.search(/INVITE sip:13800138005@/);
		assert.ok(agentAt >= 0 && customerAt > agentAt, msgs.slice(0, 3000));
		const h = await t.s.api('POST', `/api/v1/calls/${callId}/hangup`,
			{}, crm.key);
		assert.equal(h.status, 200, h.text);
		await t.waitEvent((m) => m.type === 'call.ended' &&
			m.data.call_id === callId, from, WAIT);
		await t.waitAgent('1005', (x) => x.state === 'not_ready');
	} finally {
		await t.setState('1005', 'logged_out');
		await t.patchAgent('1005', { device: 'sip' });
		await rerouted(t.s, () => t.s.api('PATCH', trunk, {
			outbound_uri: before.outbound_uri }, t.d.op));
		await ua.stop();
	}
});

test('click-to-dial over the trunk\'s calls per second is refused ' +
	'before any phone rings', async () => {
	const trunk = `/api/v1/trunks/${t.d.trunkId}`;
	await t.withFarEnd(async () => {
		await t.phone('1001', { talkMs: 60000 });
		await t.phone('1002', { talkMs: 60000 });
		for (const w of ['1001', '1002'])
			assert.equal((await t.setState(w, 'not_ready')).status, 200);
		await rerouted(t.s, () => t.s.api('PATCH', trunk, { max_cps: 1 },
			t.d.op));
		try {
			const first = await dial({ work_no: '1001', to: '13800138003' });
			assert.equal(first.status, 202, first.text);
			const r = await dial({ work_no: '1002', to: '13800138004' });
			assertProblem(r, 409, 'outbound_limit', 'second in a second');
			/* nothing rang for the refused one; 1002 is free again */
			await t.waitAgent('1002', (x) => x.state === 'not_ready');
			const h = await t.s.api('POST',
				`/api/v1/calls/${first.json.call_id}/hangup`, {}, crm.key);
			assert.equal(h.status, 200, h.text);
			await t.waitAgent('1001', (x) => x.state === 'not_ready');
		} finally {
			await rerouted(t.s, () => t.s.api('PATCH', trunk, { max_cps: 0 },
				t.d.op));
		}
	});
	await t.reset();
});

test('click-to-dial for a browser agent asks its console to dial',
	async () => {
		const ws = await wsAuthed(t.s, await t.s.token(AGENT6));
		try {
			ws.send({ type: 'softphone.register', id: 1 });
			await ws.next('softphone.ok', WAIT);
			ws.send({ type: 'agent.state', state: 'not_ready' });
			await t.waitAgent('1006', (x) => x.state === 'not_ready');
			const r = await dial({ agent_id: t.agents['1006'].agent_id,
				to: '13800138002', caller_id: '4001000100' });
			assert.equal(r.status, 202, r.text);
			assert.equal(r.json.call_id, null);
			assert.equal(r.json.device, 'webrtc');
			assert.equal(r.json.status, 'requested');
			const m = await ws.next('call.dial_request', WAIT);
			assert.equal(m.request_id, r.json.request_id);
			assert.equal(m.number, '13800138002');
			assert.equal(m.from, '4001000100');
		} finally {
			ws.close();
		}
		/* its console gone: no device to ring */
		await t.setState('1006', 'logged_out');
	});

test('click-to-dial refuses clearly: logged out, unknown, another ' +
	'tenant\'s agent, a bad number, another agent than the key\'s own',
	async () => {
		await t.setState('1003', 'logged_out');
		await t.waitAgent('1003', (x) => x.state === 'logged_out');
		let r = await dial({ work_no: '1003', to: '13800138000' });
		assertProblem(r, 409, 'agent_logged_out', 'logged out');

		r = await dial({ work_no: '9999', to: '13800138000' });
		assertProblem(r, 404, 'agent_not_found', 'unknown work number');
		r = await dial({ agent_id: '00000000-0000-4000-8000-000000000000',
			to: '13800138000' });
		assertProblem(r, 404, 'agent_not_found', 'unknown agent id');
		r = await dial({ agent_id: t.agents['1003'].agent_id,
			to: '13800138000' }, acmeKey);
		assertProblem(r, 404, 'agent_not_found', 'another tenant');
		r = await dial({ work_no: '1003', to: '13800138000' }, acmeKey);
		assertProblem(r, 404, 'agent_not_found', 'another tenant work_no');

		/* logged in but no phone registered */
		assert.equal((await t.setState('1003', 'not_ready')).status, 200);
		r = await dial({ work_no: '1003', to: '13800138000' });
		assertProblem(r, 409, 'no_device', 'no phone');

		for (const [body, field] of [
			[{ work_no: '1003', to: 'abc' }, 'to'],
			[{ work_no: '1003', to: '' }, 'to'],
			[{ work_no: '1003' }, 'to'],
			[{ work_no: '1003', to: '1'.repeat(40) }, 'to'],
			[{ to: '13800138000' }, 'agent_id'],
			[{ work_no: '1003', agent_id: t.agents['1003'].agent_id,
				to: '13800138000' }, 'work_no'],
			[{ work_no: '1003', to: '13800138000',
				caller_id: '4009999999' }, 'caller_id'],
		]) {
			r = await dial(body);
			assertProblem(r, 400, 'validation_failed', JSON.stringify(body));
			assert.equal(r.json.errors[0].field, field, r.text);
		}
		r = await t.s.api('POST', '/api/v1/calls', 'not json', crm.key);
		assert.equal(r.status, 400, r.text);

		/* an agent key dials only for its own agent */
		const own = await newKey({ name: 'agent 1003', role: 'agent',
			agent_id: t.agents['1003'].agent_id });
		assert.equal(own.agent_id, t.agents['1003'].agent_id);
		r = await dial({ work_no: '1004', to: '13800138000' }, own.key);
		assertProblem(r, 403, 'forbidden', 'agent key, other agent');
		r = await dial({ work_no: '1003', to: '13800138000' }, own.key);
		assertProblem(r, 409, 'no_device', 'agent key, itself');
		const unbound = await newKey({ name: 'agent', role: 'agent' });
		r = await dial({ work_no: '1003', to: '13800138000' }, unbound.key);
		assertProblem(r, 403, 'forbidden', 'unbound agent key');
		/* an agent's own session may dial for itself only */
		const agent1 = await t.s.token(t.s.agent);
		r = await dial({ work_no: '1003', to: '13800138000' }, agent1);
		assertProblem(r, 403, 'forbidden', 'agent session');
		await t.setState('1003', 'logged_out');
	});
