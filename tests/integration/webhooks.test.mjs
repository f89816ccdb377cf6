// Signed webhooks end to end: a real receiver verifies every signature
// the way docs/WEBHOOKS.md says; retries run on a scaled clock
// (webhook_time_scale) while the log keeps the nominal delays.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { ROOT, request, startStack, startServer, wsAuthed }
	from '../lib/stack.mjs';
import { RtpPeer, sipCall, sipOk } from '../lib/sip.mjs';
import { startReceiver, verify } from '../lib/whreceiver.mjs';

/* 10 s -> 0.5 ms ... 24 h -> 4.3 s: the 11 attempts take ~13 s */
const SCALE = 20000;
const ENV = {
	OPENSEAT_EGRESS_ALLOW: '127.0.0.2/32',
	OPENSEAT_WEBHOOK_TIME_SCALE: String(SCALE),
	OPENSEAT_WEBHOOK_TIMEOUT_MS: '1500',
};

let s;
let admin;
let rcv;

before(async () => {
	rcv = await startReceiver();
	s = await startStack({ env: ENV });
	admin = await s.token(s.admin);
});
after(async () => {
	await rcv?.close();
	await s?.stop();
});

async function create(path, types = ['*'], extra = {}) {
	const r = await s.api('POST', '/api/v1/webhooks', {
		url: rcv.url(path), event_types: types,
		description: `test ${path}`, ...extra }, admin);
	assert.equal(r.status, 201, r.text);
	assert.match(r.json.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
	return r.json;
}

async function sendTest(ep) {
	const r = await s.api('POST', `/api/v1/webhooks/${ep.endpoint_id}/test`,
		null, admin);
	assert.equal(r.status, 202, r.text);
	return r.json;
}

/*
 * A receiver behaviour by attempt of each event (n from 1, by
 * webhook-id): a '*' endpoint also gets what else the tenant publishes
 * meanwhile, and those requests must not use up the test event's.
 */
function perEvent(fn) {
	const tries = new Map();
	return (req) => {
		const id = req.headers['webhook-id'];
		tries.set(id, (tries.get(id) ?? 0) + 1);
		return fn(tries.get(id));
	};
}

/* The delivery with its attempt log, once pred(delivery) holds. */
async function deliveryWhen(ep, deliveryId, pred, timeoutMs = 20000) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const r = await s.api('GET', `/api/v1/webhooks/${ep.endpoint_id}` +
			`/deliveries/${deliveryId}`, null, admin);
		assert.equal(r.status, 200, r.text);
		if (pred(r.json))
			return r.json;
		if (Date.now() > end)
			throw new Error('delivery never got there: ' + r.text);
		await new Promise((res) => setTimeout(res, 50));
	}
}

test('webhook.test is delivered, signed, and logged', async () => {
	const ep = await create('/ok');
	assert.equal(ep.enabled, true);
	const get = await s.api('GET', `/api/v1/webhooks/${ep.endpoint_id}`,
		null, admin);
	assert.equal(get.status, 200);
	assert.equal(get.json.secret, undefined, 'the secret is shown once');

	const d = await sendTest(ep);
	const req = await rcv.next((r) => r.headers['webhook-id'] === d.event_id);
	assert.equal(verify(ep.secret, req.headers, req.body), 0);
	assert.equal(req.headers['content-type'], 'application/json');
	assert.match(req.headers['user-agent'], /^OpenSeat-Webhooks\//);
	assert.equal(req.json.type, 'webhook.test');
	assert.equal(req.json.id, d.event_id);
	assert.equal(req.json.data.endpoint_id, ep.endpoint_id);

	const done = await deliveryWhen(ep, d.delivery_id,
		(x) => x.state === 'delivered');
	assert.equal(done.attempt_log.length, 1);
	const a = done.attempt_log[0];
	assert.equal(a.status, 200);
	assert.equal(a.response_body, 'ok');
	assert.match(a.request_headers, /webhook-signature: v1,/);
	assert.equal(a.address, `127.0.0.2:${rcv.port}`);
	assert.equal(JSON.parse(a.request_body).id, d.event_id);

	const m = await s.api('GET', '/metrics');
	assert.match(m.text,
		/openseat_webhook_attempts_total\{result="delivered"\} [1-9]/);
	assert.match(m.text, /openseat_webhook_attempt_seconds_count [1-9]/);
	assert.match(m.text, /openseat_webhook_queue_depth \d/);
});

test("a real call's events arrive signed, once each", async () => {
	const ep = await create('/calls', ['call.*', 'ivr.*']);
	const rtp = await RtpPeer.open();
	let entered;
	try {
		const c = await sipCall(s, { service: '4001000100',
			caller: '13800009901', rtp });
		entered = await rcv.next((r) => r.path === '/calls' &&
			r.json?.type === 'ivr.entered');
		await c.hangup();
		await sipOk(c);
	} finally {
		rtp.close();
	}
	const callId = entered.json.data.call_id;
	await rcv.next((r) => r.path === '/calls' &&
		r.json?.type === 'call.ended' && r.json.data.call_id === callId);
	const all = rcv.got.filter((r) => r.path === '/calls' &&
		r.json.data.call_id === callId);
	for (const r of all) {
		assert.equal(verify(ep.secret, r.headers, r.body), 0, r.body);
		assert.equal(r.headers['webhook-id'], r.json.id);
		assert.match(r.json.type, /^(call|ivr)\./);
		assert.equal(r.json.tenant, entered.json.tenant);
	}
	/* one delivery per event: the timeline's rows and the outbox rows
	 * were written by the same statements */
	const ids = all.map((r) => r.headers['webhook-id']);
	assert.equal(new Set(ids).size, ids.length);
	const n = s.db.psql(`SELECT count(*) FROM call_events
		WHERE call_id = '${callId}' AND (type LIKE 'call.%'
		OR type LIKE 'ivr.%')`, true);
	const m = s.db.psql(`SELECT count(*) FROM webhook_deliveries
		WHERE endpoint_id = '${ep.endpoint_id}' AND payload::jsonb
		-> 'data' ->> 'call_id' = '${callId}'`, true);
	assert.equal(m, n);
	assert.ok(Number(n) >= 2);
});

test('rotation signs with both secrets during the overlap, then the new',
	async () => {
		const ep = await create('/rot');
		const r = await s.api('POST',
			`/api/v1/webhooks/${ep.endpoint_id}/rotate-secret`,
			{ overlap_s: 3600 }, admin);
		assert.equal(r.status, 200, r.text);
		assert.notEqual(r.json.secret, ep.secret);
		assert.ok(r.json.previous_secret_expires_at);
		const d = await sendTest(ep);
		const req = await rcv.next((x) =>
			x.headers['webhook-id'] === d.event_id);
		assert.equal(req.headers['webhook-signature'].split(' ').length, 2);
		assert.equal(verify(r.json.secret, req.headers, req.body), 0);
		assert.equal(verify(ep.secret, req.headers, req.body), 1);

		/* rotating with no overlap drops the old secret at once */
		const r2 = await s.api('POST',
			`/api/v1/webhooks/${ep.endpoint_id}/rotate-secret`,
			{ overlap_s: 0 }, admin);
		assert.equal(r2.status, 200, r2.text);
		assert.equal(r2.json.previous_secret_expires_at, null);
		const d2 = await sendTest(ep);
		const req2 = await rcv.next((x) =>
			x.headers['webhook-id'] === d2.event_id);
		assert.equal(req2.headers['webhook-signature'].split(' ').length, 1);
		assert.equal(verify(r2.json.secret, req2.headers, req2.body), 0);
		assert.equal(verify(r.json.secret, req2.headers, req2.body), -1);
	});

test('500 is retried with backoff (scaled clock), then delivered',
	async () => {
		rcv.behave['/flaky'] = perEvent((n) => (n <= 3 ?
			{ status: 500, body: `down ${n}` } : null));
		const ep = await create('/flaky');
		const d = await sendTest(ep);
		const done = await deliveryWhen(ep, d.delivery_id,
			(x) => x.state === 'delivered');
		const log = done.attempt_log;
		assert.deepEqual(log.map((a) => a.status), [500, 500, 500, 200]);
		assert.deepEqual(log.map((a) => a.retry_in_s), [10, 60, 300, null]);
		assert.equal(log[0].response_body, 'down 1');
		assert.match(log[0].error, /status 500/);
		/* the same webhook-id every time; waits at least the scaled
		 * schedule less its jitter */
		const got = rcv.got.filter((x) => x.path === '/flaky' &&
			x.headers['webhook-id'] === d.event_id);
		assert.equal(got.length, 4);
		assert.ok(got.every((x) => x.json.id === d.event_id));
		const gap = got[3].at - got[2].at;
		assert.ok(gap >= 300 * 1000 * 0.8 / SCALE - 1, `gap ${gap} ms`);
	});

test('an endpoint that hangs: the attempt times out and is logged',
	async () => {
		rcv.behave['/hang'] = perEvent((n) => (n === 1 ? 'hang' : null));
		const ep = await create('/hang');
		const d = await sendTest(ep);
		const done = await deliveryWhen(ep, d.delivery_id,
			(x) => x.state === 'delivered');
		assert.equal(done.attempt_log.length, 2);
		const a = done.attempt_log[0];
		assert.equal(a.status, null);
		assert.match(a.error, /timeout/);
		assert.ok(a.duration_ms >= 1400 && a.duration_ms < 5000,
			`${a.duration_ms} ms`);
	});

test('a redirect is not followed: a failed attempt, logged', async () => {
	let after = 0;
	rcv.behave['/moved'] = perEvent((n) => (n === 1 ? { status: 302,
		headers: { location: rcv.url('/elsewhere') }, body: '' } : null));
	rcv.behave['/elsewhere'] = () => { after++; return null; };
	const ep = await create('/moved');
	const d = await sendTest(ep);
	const done = await deliveryWhen(ep, d.delivery_id,
		(x) => x.state === 'delivered');
	assert.equal(done.attempt_log[0].status, 302);
	assert.match(done.attempt_log[0].error, /redirect not followed/);
	assert.equal(done.attempt_log[1].status, 200);
	assert.equal(after, 0);
});

test('a huge response body is cut at 2 KB and not read', async () => {
	rcv.behave['/huge'] = () => 'huge';
	const ep = await create('/huge');
	const d = await sendTest(ep);
	const done = await deliveryWhen(ep, d.delivery_id,
		(x) => x.state === 'delivered');
	const a = done.attempt_log[0];
	assert.equal(a.status, 200);
	assert.equal(a.response_body.length, 2048);
	assert.ok(a.duration_ms < 2000, `${a.duration_ms} ms`);
});

test('an address the egress policy refuses is never contacted',
	async () => {
		/* a literal address is refused when saved */
		const lit = await s.api('POST', '/api/v1/webhooks', {
			url: `http://127.0.0.1:${rcv.port}/x`, event_types: ['*'] },
			admin);
		assert.equal(lit.status, 400, lit.text);
		assert.equal(lit.json.errors[0].code, 'egress');
		for (const url of ['http://[::1]/x', 'http://169.254.169.254/x',
			'http://[::ffff:127.0.0.1]:80/']) {
			const r = await s.api('POST', '/api/v1/webhooks', { url,
				event_types: ['*'] }, admin);
			assert.equal(r.status, 400, `${url}: ${r.text}`);
		}
		/* a name is judged where it resolves, at each delivery */
		const local = await startReceiver('127.0.0.1');
		try {
			const r = await s.api('POST', '/api/v1/webhooks', {
				url: `http://localhost:${local.port}/in`,
				event_types: ['*'] }, admin);
			assert.equal(r.status, 201, r.text);
			const d = await sendTest(r.json);
			const x = await deliveryWhen(r.json, d.delivery_id,
				(y) => y.attempt_log.length >= 2);
			for (const a of x.attempt_log) {
				assert.match(a.error, /refused by egress policy/);
				assert.equal(a.status, null);
			}
			assert.equal(local.got.length, 0);
			await s.api('DELETE', `/api/v1/webhooks/${r.json.endpoint_id}`,
				null, admin);
		} finally {
			await local.close();
		}
	});

test('an https endpoint whose certificate does not verify gets nothing',
	async () => {
		const dir = path.join(s.db.dir, 'whtls');
		execFileSync(path.join(ROOT, 'tools/gen-cert'), [dir]);
		let got = 0;
		const srv = https.createServer({
			cert: fs.readFileSync(path.join(dir, 'cert.pem')),
			key: fs.readFileSync(path.join(dir, 'key.pem')) },
		(req, res) => { got++; req.resume(); res.end('ok'); });
		await new Promise((r) => srv.listen(0, '127.0.0.2', r));
		try {
			const r = await s.api('POST', '/api/v1/webhooks', {
				url: `https://127.0.0.2:${srv.address().port}/tls`,
				event_types: ['*'] }, admin);
			assert.equal(r.status, 201, r.text);
			const d = await sendTest(r.json);
			const x = await deliveryWhen(r.json, d.delivery_id,
				(y) => y.attempt_log.length >= 1);
			assert.match(x.attempt_log[0].error, /tls certificate not trusted/);
			assert.equal(x.attempt_log[0].status, null);
			assert.equal(got, 0, 'the request was never sent');
			await s.api('DELETE', `/api/v1/webhooks/${r.json.endpoint_id}`,
				null, admin);
		} finally {
			srv.close();
		}
	});

test('410 Gone disables the endpoint at once and tells the admin',
	async () => {
		const ws = await wsAuthed(s, admin, ['webhook', 'alert']);
		rcv.behave['/gone'] = () => ({ status: 410, body: 'bye' });
		const ep = await create('/gone');
		const d = await sendTest(ep);
		const x = await deliveryWhen(ep, d.delivery_id,
			(y) => y.state === 'dead');
		assert.equal(x.attempt_log.length, 1);
		const ev = await ws.next((m) =>
			m.type === 'webhook.endpoint_disabled' &&
			m.data.endpoint_id === ep.endpoint_id);
		assert.equal(ev.data.reason, 'gone');
		await ws.next((m) => m.type === 'alert.webhook_endpoint_disabled' &&
			m.data.endpoint_id === ep.endpoint_id);
		ws.close();
		const g = await s.api('GET', `/api/v1/webhooks/${ep.endpoint_id}`,
			null, admin);
		assert.equal(g.json.enabled, false);
		assert.equal(g.json.disabled_reason, 'gone');
		const t = await s.api('POST',
			`/api/v1/webhooks/${ep.endpoint_id}/test`, null, admin);
		assert.equal(t.status, 409);
		/* re-enabled, it takes deliveries again */
		rcv.behave['/gone'] = null;
		const en = await s.api('POST',
			`/api/v1/webhooks/${ep.endpoint_id}/enable`, null, admin);
		assert.equal(en.status, 200, en.text);
		assert.equal(en.json.enabled, true);
		assert.equal(en.json.disabled_reason, null);
		const d2 = await sendTest(ep);
		await deliveryWhen(ep, d2.delivery_id,
			(y) => y.state === 'delivered');
	});

test('retries run out: the delivery is dead, the endpoint disabled',
	async () => {
		const ws = await wsAuthed(s, admin, ['webhook']);
		rcv.behave['/down'] = () => ({ status: 503, body: 'no' });
		const ep = await create('/down');
		const d = await sendTest(ep);
		const x = await deliveryWhen(ep, d.delivery_id,
			(y) => y.state === 'dead', 40000);
		assert.equal(x.attempt_log.length, 11);
		assert.deepEqual(x.attempt_log.map((a) => a.retry_in_s),
			[10, 60, 300, 1800, 3600, 10800, 21600, 43200, 86400, 86400,
				null]);
		const nominal = x.attempt_log.reduce((t, a) =>
			t + (a.retry_in_s || 0), 0);
		assert.ok(nominal > 2.9 * 86400 && nominal < 3.1 * 86400);
		const ev = await ws.next((m) =>
			m.type === 'webhook.endpoint_disabled' &&
			m.data.endpoint_id === ep.endpoint_id, 10000);
		assert.equal(ev.data.reason, 'failing');
		ws.close();
	}, { timeout: 60000 });

test('redelivery sends the same webhook-id again', async () => {
	const ep = await create('/again');
	const d = await sendTest(ep);
	await deliveryWhen(ep, d.delivery_id, (y) => y.state === 'delivered');
	const r = await s.api('POST', `/api/v1/webhooks/${ep.endpoint_id}` +
		`/deliveries/${d.delivery_id}/redeliver`, null, admin);
	assert.equal(r.status, 202, r.text);
	/* '*' also brings whatever else the tenant publishes meanwhile (the
	 * alert of the endpoint the test before disabled): count this
	 * event's requests only */
	const mine = (x) => x.path === '/again' &&
		x.headers['webhook-id'] === d.event_id;
	await rcv.next((x) => mine(x) && rcv.got.filter(mine).length >= 2);
	const both = rcv.got.filter(mine);
	assert.equal(verify(ep.secret, both[1].headers, both[1].body), 0);
	assert.deepEqual(both[1].json, both[0].json, 'the same event');
	/* delivered once the answer is logged, not when the request left */
	await deliveryWhen(ep, d.delivery_id, (y) => y.state === 'delivered' &&
		y.attempt_log.length >= 2);
	const list = await s.api('GET',
		`/api/v1/webhooks/${ep.endpoint_id}/deliveries?state=delivered`,
		null, admin);
	assert.equal(list.status, 200);
	assert.ok(list.json.items.some((i) => i.delivery_id === d.delivery_id));
});

test('bad endpoints are refused by field', async () => {
	const cases = [
		[{ url: 'ftp://example.com/x', event_types: ['*'] }, 'url'],
		[{ url: 'https://user:pw@example.com/x', event_types: ['*'] },
			'url'],
		[{ url: 'https://example.com/x#frag', event_types: ['*'] }, 'url'],
		[{ url: 'https://example.com:0/x', event_types: ['*'] }, 'url'],
		[{ url: 'https://example.com:99999/', event_types: ['*'] }, 'url'],
		[{ url: 'https://exa mple.com/', event_types: ['*'] }, 'url'],
		[{ url: 'https://-bad-.com/', event_types: ['*'] }, 'url'],
		[{ url: 'https://example.com/', event_types: [] }, 'event_types'],
		[{ url: 'https://example.com/', event_types: ['nosuch.*'] },
			'event_types'],
		[{ url: 'https://example.com/', event_types: ['call..x'] },
			'event_types'],
		[{ url: 'https://example.com/', event_types: [7] }, 'event_types'],
		[{ url: 'https://example.com/' }, 'event_types'],
	];
	for (const [body, field] of cases) {
		const r = await s.api('POST', '/api/v1/webhooks', body, admin);
		assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
		assert.equal(r.json.errors[0].field, field, r.text);
	}
	const rot = await s.api('POST', '/api/v1/webhooks/' +
		'00000000-0000-4000-8000-000000000000/rotate-secret',
		{ overlap_s: -1 }, admin);
	assert.equal(rot.status, 400);
});

test("another tenant's endpoint and delivery ids are not found",
	async () => {
		const ep = await create('/mine');
		const d = await sendTest(ep);
		await deliveryWhen(ep, d.delivery_id,
			(y) => y.state === 'delivered');
		const op = await s.token(s.operator);
		const t = await s.api('POST', '/api/v1/tenants', { code: 'wh-b',
			name: 'B', admin: { username: 'root',
				password: 'Bbbb@20261' } }, op);
		assert.equal(t.status, 201, t.text);
		const b = (await s.login('wh-b', 'root', 'Bbbb@20261'))
			.access_token;
		const e = `/api/v1/webhooks/${ep.endpoint_id}`;
		const dl = `${e}/deliveries/${d.delivery_id}`;
		for (const [m, p, body] of [['GET', e], ['PATCH', e,
			{ enabled: false }], ['DELETE', e],
		['POST', `${e}/rotate-secret`, {}], ['POST', `${e}/test`],
		['POST', `${e}/enable`], ['GET', `${e}/deliveries`],
		['GET', dl], ['POST', `${dl}/redeliver`]]) {
			const r = await s.api(m, p, body, b);
			if (m === 'GET' && p.endsWith('/deliveries')) {
				assert.equal(r.status, 200, r.text);
				assert.equal(r.json.items.length, 0);
				continue;
			}
			assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
		}
		const list = await s.api('GET', '/api/v1/webhooks', null, b);
		assert.equal(list.json.items.length, 0);
		/* and B's events never reach A's endpoints */
		const bep = await s.api('POST', '/api/v1/webhooks', {
			url: rcv.url('/b'), event_types: ['*'] }, b);
		assert.equal(bep.status, 201, bep.text);
		const g = await s.api('GET', e, null, admin);
		assert.equal(g.json.enabled, true);
		const agent = await s.api('GET', '/api/v1/webhooks', null,
			await s.token(s.agent));
		assert.equal(agent.status, 403);
	});

test('killed between commit and delivery: delivered once after restart',
	async () => {
		/* the receiver is down: the first attempts fail */
		const probe = await startReceiver('127.0.0.2');
		const port = probe.port;
		await probe.close();
		const ep = await s.api('POST', '/api/v1/webhooks', {
			url: `http://127.0.0.2:${port}/late`, event_types: ['*'] },
			admin);
		assert.equal(ep.status, 201);
		const d = await sendTest(ep.json);
		await deliveryWhen(ep.json, d.delivery_id,
			(y) => y.attempt_log.length >= 1);
		s.proc.kill('SIGKILL');
		await s.exited;
		const late = await startReceiver('127.0.0.2', port);
		try {
			const srv = await startServer(s.db, { env: ENV });
			restarted(srv);
			const req = await late.next((x) =>
				x.headers['webhook-id'] === d.event_id, 20000);
			assert.equal(verify(ep.json.secret, req.headers, req.body), 0);
			const x = await deliveryWhen(ep.json, d.delivery_id,
				(y) => y.state === 'delivered');
			assert.equal(x.attempt_log.at(-1).status, 200);
			/* a later event arrives after it, and the first only once */
			const d2 = await sendTest(ep.json);
			await late.next((y) => y.headers['webhook-id'] === d2.event_id);
			assert.equal(late.got.filter((y) =>
				y.headers['webhook-id'] === d.event_id).length, 1);
		} finally {
			await late.close();
		}
	}, { timeout: 60000 });

/* After a restart the stack talks to the new process (last test). */
function restarted(srv) {
	s.api = (m, p, body, token, headers) =>
		request(srv.baseUrl, m, p, body, token, headers);
	s.stop = async () => {
		const { code, signal } = await srv.stop();
		s.db.destroy();
		const log = srv.logs();
		if (code !== 0 || /ERROR: (Address|Leak)Sanitizer|runtime error:/
			.test(log))
			throw new Error(`openseat exit ${code}/${signal}:\n` +
				log.slice(-6000));
	};
}
