// Bad input on the JSON API: a clear error and nothing changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startStack } from '../lib/stack.mjs';

let s;
let admin;
let agentId;
before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
	agentId = (await s.login('demo', 'agent1', 'Agent@2026')).user.user_id;
});
after(async () => { await s?.stop(); });

const USERS = '/api/v1/users';
const b64u = (t) => Buffer.from(t).toString('base64url');

function assertProblem(r, status, code, what = '') {
	assert.equal(r.status, status,
		`${what.slice(0, 80)}: ${r.status} ${r.text.slice(0, 400)}`);
	assert.match(r.headers.get('content-type') || '',
		/application\/problem\+json/, what);
	assert.equal(r.json?.code, code, `${what.slice(0, 80)}: ${r.text}`);
	assert.equal(r.json.status, status, what);
	assert.equal(typeof r.json.detail, 'string', what);
}

function fieldsOf(r) {
	assert.ok(Array.isArray(r.json?.errors), `no errors[]: ${r.text}`);
	for (const e of r.json.errors) {
		assert.equal(typeof e.code, 'string', r.text);
		assert.equal(typeof e.message, 'string', r.text);
	}
	return r.json.errors.map((e) => e.field);
}

/** What a bad request must not change: the users and the audit log. */
async function snapshot() {
	const u = await s.api('GET', `${USERS}?limit=200`, null, admin);
	assert.equal(u.status, 200, u.text);
	const a = await s.api('GET', '/api/v1/audit?limit=200', null, admin);
	assert.equal(a.status, 200, a.text);
	return {
		users: u.json.items.map((x) => JSON.stringify(x)).sort(),
		audit: a.json.items.map((x) => x.audit_id),
		rows: s.db.psql('SELECT count(*) FROM users', true),
	};
}

async function unchanged(before, what) {
	const now = await snapshot();
	assert.deepEqual(now.users, before.users, `${what}: users changed`);
	assert.deepEqual(now.audit, before.audit, `${what}: audit written`);
	assert.equal(now.rows, before.rows, `${what}: user rows changed`);
}

const raw = (method, path, text, ctype = 'application/json', token = admin) =>
	s.api(method, path, text, token, ctype ? { 'content-type': ctype } : {});

test('malformed JSON is 400 invalid_json', async () => {
	const snap = await snapshot();
	const bodies = ['{', '{"username":', '{"username":"x",}',
		"{'username':'x'}", '{"username":"x" "password":"y"}', 'nul',
		'[1,2', '{"a":1}}', '{"username":"a\\q"}', '\u00ff\u00fe',
		'{"username":"x","username":"y","password":"Abc@12345",' +
		'"role":"agent"}',
		'{"username":"nul\\u0000byte","password":"Abc@12345",' +
		'"role":"agent"}',
		' '];
	for (const b of bodies) {
		const r = await raw('POST', USERS, b);
		assertProblem(r, 400, 'invalid_json', JSON.stringify(b));
		const p = await raw('PATCH', `${USERS}/${agentId}`, b);
		assertProblem(p, 400, 'invalid_json', 'PATCH ' + JSON.stringify(b));
	}
	await unchanged(snap, 'malformed JSON');
});

test('a body that is not an object is refused', async () => {
	const snap = await snapshot();
	for (const b of ['[]', '"admin"', '42', 'null', 'true',
		'[{"username":"x","password":"Abc@12345","role":"agent"}]']) {
		const r = await raw('POST', USERS, b);
		assert.equal(r.status, 400, `${b}: ${r.text}`);
		assert.ok(['validation_failed', 'invalid_json'].includes(
			r.json?.code), `${b}: ${r.text}`);
	}
	await unchanged(snap, 'non-object');
});

test('wrong types, missing and unknown fields name the field', async () => {
	const snap = await snapshot();
	const ok = { username: 'typed', password: 'Typed@2026', role: 'agent' };
	const cases = [
		[{ ...ok, username: 123 }, ['username']],
		[{ ...ok, username: null }, ['username']],
		[{ ...ok, password: true }, ['password']],
		[{ ...ok, role: 5 }, ['role']],
		[{ ...ok, role: 'root' }, ['role']],
		[{ ...ok, role: 'operator' }, ['role']],
		[{ ...ok, display_name: [] }, ['display_name']],
		[{ ...ok, display_name: { a: 1 } }, ['display_name']],
		[{ ...ok, email: 5 }, ['email']],
		[{ ...ok, email: 'not-an-email' }, ['email']],
		[{ ...ok, locale: 'fr' }, ['locale']],
		[{ ...ok, username: '' }, ['username']],
		[{ ...ok, username: 'u'.repeat(65) }, ['username']],
		[{ ...ok, display_name: 'd'.repeat(101) }, ['display_name']],
		[{ ...ok, display_name: 'tab\u0007bell' }, ['display_name']],
		[{ username: 'typed', password: 'Typed@2026' }, ['role']],
		[{ password: 'Typed@2026', role: 'agent' }, ['username']],
		[{}, ['username', 'password', 'role']],
		[{ ...ok, is_superuser: true }, ['is_superuser']],
		[{ ...ok, tenant_id: '00000000-0000-4000-8000-000000000000' },
			['tenant_id']],
		[{ ...ok, password_hash: 'x' }, ['password_hash']],
		[{ ...ok, role: 7, email: [], extra: 1 }, ['role', 'email',
			'extra']],
	];
	for (const [body, fields] of cases) {
		const r = await s.api('POST', USERS, body, admin);
		assertProblem(r, 400, 'validation_failed', JSON.stringify(body));
		const got = fieldsOf(r);
		for (const f of fields)
			assert.ok(got.includes(f), `${JSON.stringify(body)}: ${r.text}`);
	}
	// a weak password is refused by policy, naming the field
	const weak = await s.api('POST', USERS, { ...ok, password: 'short' },
		admin);
	assertProblem(weak, 400, 'validation_failed', 'weak password');
	assert.deepEqual(fieldsOf(weak), ['password']);

	for (const [body, field] of [[{ disabled: 'yes' }, 'disabled'],
		[{ role: 'god' }, 'role'], [{ username: 'renamed' }, 'username'],
		[{ display_name: 1 }, 'display_name']]) {
		const r = await s.api('PATCH', `${USERS}/${agentId}`, body, admin);
		assertProblem(r, 400, 'validation_failed', JSON.stringify(body));
		assert.ok(fieldsOf(r).includes(field), r.text);
	}
	await unchanged(snap, 'validation');
	// control: the valid body does create
	const c = await s.api('POST', USERS, ok, admin);
	assert.equal(c.status, 201, c.text);
});

test('a body over 1 MiB is 413 body_too_large', async () => {
	const snap = await snapshot();
	const big = JSON.stringify({ username: 'big', password: 'Big@20260',
		role: 'agent', display_name: 'x'.repeat(1024 * 1024) });
	const r = await raw('POST', USERS, big);
	assertProblem(r, 413, 'body_too_large', 'content-length');

	// just under the limit is read and validated
	const under = JSON.stringify({ username: 'big', password: 'Big@20260',
		role: 'agent', display_name: 'x'.repeat(1024 * 1024 - 200) });
	assert.ok(under.length < 1024 * 1024);
	const u = await raw('POST', USERS, under);
	assertProblem(u, 400, 'validation_failed', 'under the limit');
	assert.deepEqual(fieldsOf(u), ['display_name']);

	await unchanged(snap, 'oversize');
	assert.equal((await s.api('GET', '/healthz')).status, 200);
});

/**
 * Send raw bytes; resolves with the response text (up to the JSON body),
 * '' when the server closed without answering, null on timeout.
 */
function rawHttp(head, body = '', timeoutMs = 5000) {
	return new Promise((resolve) => {
		const sock = net.connect(s.port, '127.0.0.1');
		let buf = '';
		const timer = setTimeout(() => {
			sock.destroy();
			resolve(null);
		}, timeoutMs);
		sock.on('data', (d) => {
			buf += d;
			if (/\r\n\r\n[\s\S]*\}/.test(buf)) {
				clearTimeout(timer);
				sock.destroy();
				resolve(buf);
			}
		});
		sock.on('error', () => {});
		sock.on('close', () => { clearTimeout(timer); resolve(buf); });
		sock.write(head.replace(/\n/g, '\r\n') + '\r\n' + body);
	});
}

test('a huge declared Content-Length is refused at once', async () => {
	const snap = await snapshot();
	const answer = await rawHttp(`POST ${USERS} HTTP/1.1
Host: x
Authorization: Bearer ${admin}
Content-Type: application/json
Content-Length: 1073741824
`, '{"username":', 10000);
	assert.notEqual(answer, null, 'no answer to a 1 GiB Content-Length');
	assert.match(answer, /^HTTP\/1\.1 413/, answer.slice(0, 200));
	assert.match(answer, /body_too_large/);
	await unchanged(snap, 'huge Content-Length');
});

test('an oversize chunked body is refused', async () => {
	const snap = await snapshot();
	// chunked and over the limit: must not be accepted, nor hang
	const chunk = 'x'.repeat(64 * 1024);
	let chunked = '11\r\n{"display_name":"\r\n';
	for (let i = 0; i < 20; i++)
		chunked += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
	chunked += '2\r\n"}\r\n0\r\n\r\n';
	const big = await rawHttp(`POST ${USERS} HTTP/1.1
Host: x
Authorization: Bearer ${admin}
Content-Type: application/json
Transfer-Encoding: chunked
`, chunked);
	assert.notEqual(big, null, 'chunked 1.25 MiB body: no answer in 5 s');
	assert.match(big, /^HTTP\/1\.1 (413|411)/, big.slice(0, 300));
	await unchanged(snap, 'chunked');
});

test('a small chunked body is answered', async () => {
	// a small chunked body is either read or refused, but answered
	const login = JSON.stringify({ tenant: 'demo', username: 'agent1',
		password: 'Agent@2026' });
	const small = await rawHttp(`POST /api/v1/auth/login HTTP/1.1
Host: x
Content-Type: application/json
Transfer-Encoding: chunked
`, `${login.length.toString(16)}\r\n${login}\r\n0\r\n\r\n`);
	assert.notEqual(small, null, 'small chunked body: no answer in 5 s');
	assert.match(small, /^HTTP\/1\.1 (200|411)/, small.slice(0, 300));
});

test('a POST without body or Content-Length is answered', async () => {
	const snap = await snapshot();
	// a POST with neither a body nor Content-Length
	const empty = await rawHttp(`POST ${USERS} HTTP/1.1
Host: x
Authorization: Bearer ${admin}
Content-Type: application/json
`);
	assert.notEqual(empty, null, 'POST without Content-Length: no answer');
	assert.match(empty, /^HTTP\/1\.1 (400|411)/, empty.slice(0, 300));
	await unchanged(snap, 'no Content-Length');
});

test('a non-JSON content type is 415', async () => {
	const snap = await snapshot();
	const body = JSON.stringify({ username: 'ctype', password: 'Ctype@2026',
		role: 'agent' });
	for (const ct of ['text/plain', 'text/plain; charset=utf-8',
		'application/x-www-form-urlencoded', 'multipart/form-data',
		'application/xml', 'application/jsonp', 'application/json-seq',
		'text/json']) {
		const r = await raw('POST', USERS, body, ct);
		assertProblem(r, 415, 'unsupported_media_type', ct);
	}
	// no Content-Type at all
	const res = await fetch(s.baseUrl + USERS, { method: 'POST',
		body: new TextEncoder().encode(body),
		headers: { authorization: `Bearer ${admin}` } });
	assert.equal(res.status, 415, await res.text());
	const p = await raw('PATCH', `${USERS}/${agentId}`,
		JSON.stringify({ display_name: 'plain' }), 'text/plain');
	assertProblem(p, 415, 'unsupported_media_type', 'PATCH');
	await unchanged(snap, 'content type');
	const ok = await raw('POST', USERS, body,
		'application/json; charset=utf-8');
	assert.equal(ok.status, 201, ok.text);
});

test('SQL-looking strings are stored verbatim or refused', async () => {
	const inj = [
		"x'; DROP TABLE users; --",
		"' OR '1'='1",
		'"; DELETE FROM users WHERE "1"="1',
		'$1); SELECT pg_sleep(5); --',
		"\\'; TRUNCATE audit_log; --",
	];
	const snap = await snapshot();
	// usernames, roles and locales have a pattern: refused
	for (const v of inj) {
		for (const [field, body] of [
			['username', { username: v, password: 'Sqli@2026x',
				role: 'agent' }],
			['role', { username: 'sqli', password: 'Sqli@2026x', role: v }],
			['locale', { username: 'sqli', password: 'Sqli@2026x',
				role: 'agent', locale: v }]]) {
			const r = await s.api('POST', USERS, body, admin);
			assertProblem(r, 400, 'validation_failed', `${field} ${v}`);
			assert.deepEqual(fieldsOf(r), [field], r.text);
		}
		const l = await s.api('GET', `${USERS}?role=${encodeURIComponent(v)}`,
			null, admin);
		assertProblem(l, 400, 'validation_failed', `?role=${v}`);
	}
	await unchanged(snap, 'refused injections');

	// free text is kept as sent
	for (let i = 0; i < inj.length; i++) {
		const body = { username: `sqli${i}`, password: `${inj[i]} Pw1x`,
			role: 'agent', display_name: inj[i],
			email: `o'reilly${i}@example.com` };
		const r = await s.api('POST', USERS, body, admin);
		assert.equal(r.status, 201, `${inj[i]}: ${r.text}`);
		const g = await s.api('GET', `${USERS}/${r.json.user_id}`, null,
			admin);
		assert.equal(g.json.display_name, inj[i]);
		assert.equal(g.json.email, body.email);
		assert.equal(g.json.username, `sqli${i}`);
		// the password works exactly as typed
		const li = await s.login('demo', `sqli${i}`, body.password);
		assert.equal(li.user.user_id, r.json.user_id);
		const wrong = await s.api('POST', '/api/v1/auth/login', {
			tenant: 'demo', username: `sqli${i}`, password: "' OR '1'='1" });
		assert.equal(wrong.status, 401, wrong.text);
		// and in an update
		const p = await s.api('PATCH', `${USERS}/${r.json.user_id}`,
			{ display_name: inj[(i + 1) % inj.length] }, admin);
		assert.equal(p.status, 200, p.text);
		assert.equal(p.json.display_name, inj[(i + 1) % inj.length]);
	}
	// the login form's tenant and username are data too
	for (const v of inj) {
		const r = await s.api('POST', '/api/v1/auth/login',
			{ tenant: v, username: v, password: v });
		assert.ok(r.status === 401 || r.status === 400, `${v}: ${r.text}`);
	}

	// the users table still works and still holds everyone
	const after = await s.api('GET', `${USERS}?limit=200`, null, admin);
	assert.equal(after.status, 200);
	const names = after.json.items.map((u) => u.username);
	for (const n of ['admin', 'supervisor', 'agent1', 'agent5', 'sqli0',
		'sqli4'])
		assert.ok(names.includes(n), n);
	assert.equal(after.json.items.length, snap.users.length + inj.length);
	assert.equal(Number(s.db.psql('SELECT count(*) FROM users', true)),
		Number(snap.rows) + inj.length);
	await s.login('demo', 'agent1', 'Agent@2026');
	const au = await s.api('GET', '/api/v1/audit?limit=1', null, admin);
	assert.equal(au.status, 200);
});

test('bad limit and cursor values are 400', async () => {
	for (const l of ['0', '-1', '201', 'abc', '1.5', '1e2', '', ' 5', '5x',
		'0x10', '99999999999999999999', '+5', '%2B5', '%20']) {
		const r = await s.api('GET', `${USERS}?limit=${l}`, null, admin);
		assertProblem(r, 400, 'validation_failed', `limit=${l}`);
	}
	for (const c of ['!!!', 'AAAA', '', 'not-a-cursor',
		b64u('garbage|garbage'),
		b64u('2026-01-01 00:00:00+00|not-a-uuid'),
		b64u('not-a-time|00000000-0000-4000-8000-000000000000'),
		b64u("2026-01-01' OR '1'='1|00000000-0000-4000-8000-000000000000"),
		b64u('x'.repeat(600))]) {
		const r = await s.api('GET',
			`${USERS}?cursor=${encodeURIComponent(c)}`, null, admin);
		assertProblem(r, 400, 'validation_failed', `cursor=${c}`);
	}
	for (const l of ['0', 'abc', '500']) {
		for (const p of ['/api/v1/api-keys', '/api/v1/audit']) {
			const r = await s.api('GET', `${p}?limit=${l}`, null, admin);
			assertProblem(r, 400, 'validation_failed', `${p} limit=${l}`);
		}
	}
	// a NUL in the query: refused one way or another, and no harm done
	const nul = await rawHttp(`GET ${USERS}?limit=%00 HTTP/1.1
Host: x
Authorization: Bearer ${admin}
`);
	assert.notEqual(nul, null, 'limit=%00: no answer');
	if (nul !== '')
		assert.match(nul, /^HTTP\/1\.1 400/, nul.slice(0, 300));
	assert.equal((await s.api('GET', '/healthz')).status, 200);

	// control: good values page through every user exactly once
	const all = await s.api('GET', `${USERS}?limit=200`, null, admin);
	const seen = [];
	let cursor = null;
	for (let i = 0; i < 100; i++) {
		const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
		const r = await s.api('GET', `${USERS}?limit=3${q}`, null, admin);
		assert.equal(r.status, 200, r.text);
		assert.ok(r.json.items.length <= 3);
		seen.push(...r.json.items.map((u) => u.user_id));
		cursor = r.json.next_cursor;
		if (!cursor)
			break;
	}
	assert.deepEqual(seen, all.json.items.map((u) => u.user_id));
});

test('over-long query values are refused, not ignored', async () => {
	// a cursor this long cannot be one the server gave out; the request
	// must not be served as if there were no cursor (or no limit)
	for (const q of [`cursor=${'A'.repeat(5000)}`,
		`limit=${'9'.repeat(2000)}`, `role=${'a'.repeat(3000)}`]) {
		const r = await s.api('GET', `${USERS}?${q}`, null, admin);
		assertProblem(r, 400, 'validation_failed', q.slice(0, 20));
	}
});

test('malformed UUIDs in paths are 404 and change nothing', async () => {
	const snap = await snapshot();
	const ids = ['not-a-uuid', '1', '0', agentId + 'x', agentId.slice(1),
		agentId.replace(/-/g, ''), `${agentId.slice(0, -1)}g`,
		encodeURIComponent("' OR '1'='1"),
		encodeURIComponent(`${agentId}' OR '1'='1`), '%00', 'null',
		'x'.repeat(300)];
	for (const id of ids) {
		const g = await s.api('GET', `${USERS}/${id}`, null, admin);
		assertProblem(g, 404, 'not_found', `GET ${id}`);
		const p = await s.api('PATCH', `${USERS}/${id}`,
			{ display_name: 'changed' }, admin);
		assertProblem(p, 404, 'not_found', `PATCH ${id}`);
		const d = await s.api('DELETE', `${USERS}/${id}`, null, admin);
		assertProblem(d, 404, 'not_found', `DELETE ${id}`);
		const pw = await s.api('POST', `${USERS}/${id}/password`,
			{ password: 'Reset@2026x' }, admin);
		assertProblem(pw, 404, 'not_found', `password ${id}`);
		const k = await s.api('DELETE', `/api/v1/api-keys/${id}`, null,
			admin);
		assertProblem(k, 404, 'not_found', `api key ${id}`);
	}
	const op = await s.token(s.operator);
	for (const id of ['not-a-uuid', '1', encodeURIComponent("' OR 1=1")]) {
		const t = await s.api('GET', `/api/v1/tenants/${id}`, null, op);
		assertProblem(t, 404, 'not_found', `tenant ${id}`);
		const tp = await s.api('PATCH', `/api/v1/tenants/${id}`,
			{ name: 'x' }, op);
		assertProblem(tp, 404, 'not_found', `PATCH tenant ${id}`);
	}
	await unchanged(snap, 'malformed ids');
	// agent1 untouched and still signs in
	const a = await s.api('GET', `${USERS}/${agentId}`, null, admin);
	assert.equal(a.json.display_name, '坐席1');
	await s.login('demo', 'agent1', 'Agent@2026');
});

test('well-formed unknown ids are 404 and change nothing', async () => {
	const snap = await snapshot();
	const id = '00000000-0000-4000-8000-000000000000';
	assertProblem(await s.api('GET', `${USERS}/${id}`, null, admin), 404,
		'not_found', 'GET');
	assertProblem(await s.api('PATCH', `${USERS}/${id}`,
		{ display_name: 'ghost' }, admin), 404, 'not_found', 'PATCH');
	await unchanged(snap, 'PATCH unknown user');
	assertProblem(await s.api('DELETE', `${USERS}/${id}`, null, admin), 404,
		'not_found', 'DELETE');
	await unchanged(snap, 'DELETE unknown user');
	assertProblem(await s.api('POST', `${USERS}/${id}/password`,
		{ password: 'Reset@2026x' }, admin), 404, 'not_found', 'password');
	await unchanged(snap, 'password of unknown user');
});
