// The screen pop: real sipp calls into the support queue offered to a
// browser agent's console, the caller looked up in OpenSeat's customers
// or in a tenant CRM played by a real node HTTP(S) server. Whatever the
// CRM does — slow, 500, not JSON, too big, a certificate nobody signed,
// an address the operator's egress rules refuse — the call is offered on
// time and the console learns why there is no customer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { queueStack, until } from '../lib/acd_calls.mjs';
import { ROOT, wsAuthed } from '../lib/stack.mjs';

const AGENT6 = { tenant: 'demo', username: 'agent6', password: 'Agent@2026' };
const WAIT = 20000;
const SETTINGS = '/api/v1/crm/settings';

let t;
let ws;          /* agent6's console */
let crm;         /* the tenant's CRM: http on 127.0.0.1 */
let crm2;        /* the same answers on 127.0.0.2 (not allowed) */
let crmTls;      /* https with a self-signed certificate */
const seen = []; /* requests the CRM received: {url, headers, body} */

/* The CRM's answers, by path. /slow never answers in time. */
function crmHandler(req, res) {
	let body = '';
	req.on('data', (d) => { body += d; });
	req.on('end', () => {
		const u = new URL(req.url, 'http://x');
		seen.push({ method: req.method, url: req.url, headers: req.headers,
			body });
		const json = (code, obj) => {
			res.writeHead(code, { 'content-type': 'application/json' });
			res.end(typeof obj === 'string' ? obj : JSON.stringify(obj));
		};
		if (u.pathname === '/customer') {
			if (u.searchParams.get('phone') !== '13900139601')
				return json(404, { error: 'no such customer' });
			return json(200, { data: { full_name: '李四', org: '星河科技',
				labels: ['VIP', '老客户'], grade: 3,
				link: 'https://crm.example.com/c/42' },
			balance: 1280.5 });
		}
		if (u.pathname === '/slow')
			return setTimeout(() => json(200, { data: {} }), 5000);
		if (u.pathname === '/500')
			return json(500, { error: 'boom' });
		if (u.pathname === '/junk')
			return json(200, '{"data": {"full_name": "李四"');
		if (u.pathname === '/huge')
			return json(200, { data: { full_name: 'x'.repeat(300000) } });
		return json(404, {});
	});
}

function listen(server, host) {
	return new Promise((resolve) => server.listen(0, host, () =>
		resolve(`${server instanceof https.Server ? 'https' : 'http'}` +
			`://${host}:${server.address().port}`)));
}

const MAPPING = { name: '/data/full_name', company: '/data/org',
	tags: '/data/labels', level: '/data/grade', url: '/data/link',
	extra: [{ label: '余额', pointer: '/balance' }] };

async function put(body, token = t.d.admin) {
	return t.s.api('PUT', SETTINGS, body, token);
}

async function settle(body) {
	const r = await put(body);
	assert.equal(r.status, 200, r.text);
	return r.json;
}

/**
 * Call from caller; the offer, the customer (from the offer or the
 * call.customer message after it) and the ms from INVITE to offer.
 */
async function popFor(caller, during) {
	const t0 = Date.now();
	const c = await t.call(caller);
	try {
		/* the number as the call has it: "+86 ..." is normalised */
		const digits = caller.replace(/\D/g, '').slice(-11);
		const offer = await ws.next((m) => m.type === 'call.offer' &&
			m.caller.endsWith(digits), WAIT);
		const offerMs = Date.now() - t0;
		const customer = offer.customer ?? (await ws.next((m) =>
			m.type === 'call.customer' && m.call_id === offer.call_id,
		WAIT)).customer;
		await during?.(offer);
		return { offer, customer, offerMs };
	} finally {
		await c.hangup();
		await c.done;
		c.close();
		await until(async () => (await t.liveQueue(t.support.queue_id))
			.waiting === 0, 'queue empty', WAIT);
		await t.waitAgent('1006', (x) => x.state === 'ready', WAIT);
	}
}

before(async () => {
	t = await queueStack({ env: { OPENSEAT_EGRESS_ALLOW: '127.0.0.1/32' } });
	crm = http.createServer(crmHandler);
	crm2 = http.createServer(crmHandler);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-crm-'));
	execFileSync(path.join(ROOT, 'tools/gen-cert'), [dir]);
	crmTls = https.createServer({
		cert: fs.readFileSync(path.join(dir, 'cert.pem')),
		key: fs.readFileSync(path.join(dir, 'key.pem')) }, crmHandler);
	crm.url = await listen(crm, '127.0.0.1');
	crm2.url = await listen(crm2, '127.0.0.2');
	crmTls.url = await listen(crmTls, '127.0.0.1');
	fs.rmSync(dir, { recursive: true, force: true });

	/* a customer of demo's with two numbers */
	const tenant = `(SELECT tenant_id FROM tenants WHERE code = 'demo')`;
	const id = t.s.db.psql(`INSERT INTO customers (tenant_id, name,
		company, tags, fields) VALUES (${tenant}, '张三', '示例公司',
		'{VIP,华东}', '{"level": "gold"}') RETURNING customer_id`, true)
		.split('\n')[0];
	t.s.db.psql(`INSERT INTO customer_phones (tenant_id, phone,
		customer_id, position) VALUES (${tenant}, '13900139600', '${id}',
		0), (${tenant}, '02160001234', '${id}', 1)`, true);
	t.customerId = id;

	ws = await wsAuthed(t.s, await t.s.token(AGENT6));
	ws.send({ type: 'softphone.register', id: 1 });
	await ws.next('softphone.ok', WAIT);
	ws.send({ type: 'agent.state', state: 'ready' });
	await ws.next((m) => m.type === 'agent.ok' || m.type === 'error', WAIT);
	await t.waitAgent('1006', (x) => x.state === 'ready');
});

after(async () => {
	ws?.send({ type: 'agent.state', state: 'logged_out' });
	ws?.ws.close();
	crm?.close();
	crm2?.close();
	crmTls?.close();
	await t?.stop();
});

test('settings: builtin by default; the admin alone reads and changes ' +
	'them, audited, the token never read back', async () => {
	const r = await t.s.api('GET', SETTINGS, null, t.d.admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.mode, 'builtin');
	assert.equal(r.json.timeout_ms, 1000);
	assert.equal(r.json.auth_token_set, false);
	assert.equal((await t.s.api('GET', SETTINGS, null, t.d.sup)).status, 403);

	const s = await settle({ mode: 'http', http_url:
		`${crm.url}/customer?phone={caller}`, timeout_ms: 800,
	auth_header: 'X-Api-Key', auth_token: 's3cret', mapping: MAPPING });
	assert.equal(s.mode, 'http');
	assert.equal(s.auth_token_set, true);
	assert.equal(s.auth_token, undefined);
	assert.ok(!JSON.stringify(s).includes('s3cret'));
	/* the token stays when a change leaves it out */
	const s2 = await settle({ mode: 'http', http_url:
		`${crm.url}/customer?phone={caller}`, mapping: MAPPING,
	auth_header: 'X-Api-Key' });
	assert.equal(s2.auth_token_set, true);
	assert.equal(s2.timeout_ms, 1000);

	const a = await t.s.api('GET', '/api/v1/audit?action=crm.settings',
		null, t.d.admin);
	assert.equal(a.status, 200, a.text);
	assert.ok(a.json.items.length >= 2, a.text);
	assert.ok(!a.text.includes('s3cret'));
	await settle({ mode: 'builtin' });
});

test('settings refused by field: template, timeout, mapping, header',
	async () => {
		const bad = [
			[{ mode: 'http' }, 'http_url', 'required'],
			[{ mode: 'http', http_url: 'ftp://crm/{caller}' }, 'http_url',
				'bad_template'],
			[{ mode: 'http', http_url: 'http://crm/{phone}' }, 'http_url',
				'bad_template'],
			[{ mode: 'http', http_url: 'http://crm/{caller' }, 'http_url',
				'bad_template'],
			[{ mode: 'http', http_url: 'http://{caller}.crm/x' },
				'http_url', 'bad_template'],
			[{ mode: 'http', http_url: 'http://crm/a b' }, 'http_url',
				'bad_template'],
			[{ mode: 'http', http_url: 'http://crm/x', timeout_ms: 99 },
				'timeout_ms', 'range'],
			[{ mode: 'http', http_url: 'http://crm/x', timeout_ms: 3001 },
				'timeout_ms', 'range'],
			[{ mode: 'http', http_url: 'http://crm/x', timeout_ms: '500' },
				'timeout_ms', 'type'],
			[{ mode: 'http', http_url: 'http://crm/x', mapping: {
				name: 'data.name' } }, 'mapping.name', 'format'],
			[{ mode: 'http', http_url: 'http://crm/x', mapping: {
				phone: '/p' } }, 'mapping.phone', 'format'],
			[{ mode: 'http', http_url: 'http://crm/x', mapping: {
				extra: [{ label: '', pointer: '/a' }] } }, 'mapping.extra',
			'format'],
			[{ mode: 'http', http_url: 'http://crm/x', auth_header: 'Host' },
				'auth_header', 'format'],
			[{ mode: 'http', http_url: 'http://crm/x',
				auth_header: 'X-Key\r\nEvil' }, 'auth_header', 'format'],
			[{ mode: 'http', http_url: 'http://crm/x', auth_token: 'a\nb' },
				'auth_token', 'format'],
			[{ mode: 'page' }, 'page_url', 'required'],
			[{ mode: 'page', page_url: 'javascript:alert(1)' }, 'page_url',
				'bad_template'],
			[{ mode: 'page', page_url: 'https://crm/x', page_target: 'popup' },
				'page_target', 'enum'],
			[{ mode: 'crm' }, 'mode', 'enum'],
			[{}, 'mode', 'required'],
		];
		for (const [body, field, code] of bad) {
			const r = await put(body);
			assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
			assert.equal(r.json.errors[0].field, field, r.text);
			assert.equal(r.json.errors[0].code, code, r.text);
		}
		const r = await put('{"mode": ');
		assert.equal(r.status, 400, r.text);
		assert.equal((await t.s.api('GET', SETTINGS, null, t.d.admin)).json
			.mode, 'builtin');
	});

test('another tenant has its own settings and cannot reach demo\'s',
	async () => {
		const a = await t.s.api('POST', '/api/v1/tenants', { code: 'acme',
			name: 'Acme', admin: { username: 'root',
				password: 'Acme@20261' } }, t.d.op);
		assert.equal(a.status, 201, a.text);
		const acme = (await t.s.login('acme', 'root', 'Acme@20261'))
			.access_token;
		assert.equal((await put({ mode: 'none' }, acme)).status, 200);
		assert.equal((await t.s.api('GET', SETTINGS, null, acme)).json.mode,
			'none');
		assert.equal((await t.s.api('GET', SETTINGS, null, t.d.admin)).json
			.mode, 'builtin');
		/* each tenant's row is its own */
		assert.equal(t.s.db.psql(`SELECT string_agg(x.code || ':' ||
			s.mode, ',' ORDER BY x.code) FROM crm_settings s
			JOIN tenants x USING (tenant_id)`, true),
		'acme:none,demo:builtin');
	});

test('builtin: a known caller pops the customer, an unknown one the ' +
	'number and region', async () => {
	const known = await popFor('13900139600');
	assert.equal(known.customer.found, true, JSON.stringify(known.customer));
	assert.equal(known.customer.source, 'builtin');
	assert.equal(known.customer.customer.customer_id, t.customerId);
	assert.equal(known.customer.customer.name, '张三');
	assert.deepEqual(known.customer.customer.tags, ['VIP', '华东']);
	assert.deepEqual(known.customer.customer.phones,
		['13900139600', '02160001234']);

	/* the call keeps it: a console that reloads reads it back; an
	 * agent not offered the call cannot, another tenant sees no call */
	const agent1 = await t.s.token({ tenant: 'demo', username: 'agent1',
		password: 'Agent@2026' });
	const acme = await t.s.login('acme', 'root', 'Acme@20261');
	const unknown = await popFor('13900139699', async (offer) => {
		const url = `/api/v1/calls/${offer.call_id}/customer`;
		const mine = await t.s.api('GET', url, null,
			await t.s.token(AGENT6));
		assert.equal(mine.status, 200, mine.text);
		assert.equal(mine.json.customer.phone, '13900139699');
		assert.equal((await t.s.api('GET', url, null, agent1)).status, 403);
		assert.equal((await t.s.api('GET', url, null, t.d.sup)).status, 200);
		assert.equal((await t.s.api('GET', url, null, acme.access_token))
			.status, 404);
	});
	assert.equal(unknown.customer.found, false);
	assert.equal(unknown.customer.phone, '13900139699');
	assert.equal(unknown.customer.error, undefined);
	assert.equal((await t.s.api('GET', `/api/v1/calls/${unknown.offer
		.call_id}/customer`, null, t.d.sup)).status, 404, 'ended');
});

test('http: the CRM\'s answer mapped, the token sent, the number ' +
	'encoded; 404 is an unknown caller', async () => {
	await settle({ mode: 'http', http_url:
		`${crm.url}/customer?phone={caller}&to={called}&id={call_id}`,
	auth_header: 'X-Api-Key', auth_token: 's3cret', mapping: MAPPING });
	const from = seen.length;
	const p = await popFor('13900139601');
	assert.equal(p.customer.found, true, JSON.stringify(p.customer));
	assert.equal(p.customer.source, 'http');
	assert.deepEqual(p.customer.customer, { name: '李四', company: '星河科技',
		tags: ['VIP', '老客户'], level: '3',
		url: 'https://crm.example.com/c/42',
		extra: [{ label: '余额', value: '1280.5' }] });
	const req = seen.slice(from).find((x) => x.url.includes('13900139601'));
	assert.ok(req, JSON.stringify(seen.slice(from)));
	assert.equal(req.headers['x-api-key'], 's3cret');
	assert.ok(req.url.includes(`id=${p.offer.call_id}`), req.url);
	assert.ok(req.url.includes('to=4001000500'), req.url);

	const unknown = await popFor('13900139602');
	assert.equal(unknown.customer.found, false);
	assert.equal(unknown.customer.error, undefined);

	/* POST: the call's facts as a JSON body */
	await settle({ mode: 'http', http_method: 'POST', http_url:
		`${crm.url}/customer?phone={caller}`, mapping: MAPPING });
	const from2 = seen.length;
	const q = await popFor('13900139601');
	assert.equal(q.customer.found, true);
	const body = JSON.parse(seen.slice(from2).find((x) =>
		x.method === 'POST').body);
	assert.equal(body.caller, '13900139601');
	assert.equal(body.call_id, q.offer.call_id);
});

test('http: a slow CRM does not hold the offer; the console learns ' +
	'"timeout" after it', async () => {
	await settle({ mode: 'builtin' });
	const base = await popFor('13900139603');
	await settle({ mode: 'http', http_url: `${crm.url}/slow?p={caller}`,
		timeout_ms: 1500, mapping: MAPPING });
	const t0 = Date.now();
	const p = await popFor('13900139604');
	assert.equal(p.offer.customer, null, 'offered before the CRM answered');
	assert.equal(p.customer.error, 'timeout');
	assert.equal(p.customer.found, false);
	assert.ok(p.offerMs < base.offerMs + 1000,
		`offer after ${p.offerMs} ms (builtin: ${base.offerMs} ms)`);
	assert.ok(Date.now() - t0 < 5000, 'the CRM\'s 5 s never waited for');
	await until(() => /screen pop of call .*timeout/.test(t.s.logs()),
		'a warning line', WAIT);
});

test('http: 500, malformed JSON and a huge body are errors, the call ' +
	'offered all the same; the warnings are rate-limited', async () => {
	const mark = t.s.logs().length;
	for (const [p, error] of [['/500', 'http_status'],
		['/junk', 'bad_response'], ['/huge', 'too_big']]) {
		await settle({ mode: 'http', http_url: `${crm.url}${p}?c={caller}`,
			mapping: MAPPING });
		const r = await popFor('13900139605');
		assert.equal(r.customer.error, error, `${p}: ` +
			JSON.stringify(r.customer));
		assert.equal(r.offer.caller, '13900139605');
		if (p === '/500')
			assert.equal(r.customer.status, 500);
	}
	/* three failures within seconds: one warning line at most */
	const lines = t.s.logs().slice(mark).split('\n')
		.filter((l) => /screen pop of call/.test(l));
	assert.ok(lines.length <= 1, lines.join('\n'));
});

test('http: a self-signed certificate is refused', async () => {
	await settle({ mode: 'http', http_url:
		`${crmTls.url}/customer?phone={caller}`, mapping: MAPPING });
	const p = await popFor('13900139601');
	assert.equal(p.customer.error, 'untrusted', JSON.stringify(p.customer));
	assert.equal(p.customer.customer, undefined);
});

test('http: an address egress refuses is never asked', async () => {
	const from = seen.length;
	await settle({ mode: 'http', http_url:
		`${crm2.url}/customer?phone={caller}`, mapping: MAPPING });
	const p = await popFor('13900139601');
	assert.equal(p.customer.error, 'refused', JSON.stringify(p.customer));
	assert.equal(seen.length, from, 'no request reached 127.0.0.2');
	await settle({ mode: 'http', http_url:
		'http://169.254.169.254/latest/meta-data?c={caller}',
	mapping: MAPPING });
	const m = await popFor('13900139601');
	assert.equal(m.customer.error, 'refused');
	const metrics = await t.s.api('GET', '/metrics');
	assert.match(metrics.text,
		/openseat_screenpop_lookups_total\{source="http",result="refused"\} [1-9]/);
	assert.match(metrics.text, /openseat_screenpop_lookup_seconds_bucket/);
});

test('page: the CRM page\'s URL with the call\'s facts, no request ' +
	'from the server (encoding: test_screenpop)', async () => {
	await settle({ mode: 'page', page_url:
		'https://crm.example.com/pop?tel={caller}&call={call_id}',
	page_target: 'tab' });
	const from = seen.length;
	const p = await popFor('+86-139-0013-9606');
	assert.equal(p.offer.caller, '13900139606');
	assert.equal(p.customer.source, 'page');
	assert.equal(p.customer.target, 'tab');
	assert.equal(p.customer.url, 'https://crm.example.com/pop?tel=' +
		`${encodeURIComponent(p.offer.caller)}&call=${p.offer.call_id}`);
	assert.equal(seen.length, from);
	await settle({ mode: 'none' });
	const none = await popFor('13900139600');
	assert.equal(none.customer.source, 'none');
	await settle({ mode: 'builtin' });
});
