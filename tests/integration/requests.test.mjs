// The request pipeline on real resources: users and tenants CRUD, roles,
// pagination, validation of bad input (nothing changes), idempotency.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startStack } from '../lib/stack.mjs';

let s;
let admin;
let op;
before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
	op = await s.token(s.operator);
});
after(async () => { await s?.stop(); });

async function usernames() {
	const r = await s.api('GET', '/api/v1/users?limit=200', null, admin);
	assert.equal(r.status, 200);
	return r.json.items.map((u) => u.username).sort();
}

test('users: create, get, patch, reset password, delete', async () => {
	const c = await s.api('POST', '/api/v1/users', { username: 'carol',
		password: 'Carol@2026x', role: 'supervisor', display_name: '王芳',
		email: 'carol@example.com' }, admin);
	assert.equal(c.status, 201, c.text);
	assert.equal(c.json.password_hash, undefined);
	const id = c.json.user_id;
	const g = await s.api('GET', `/api/v1/users/${id}`, null, admin);
	assert.equal(g.json.display_name, '王芳');
	const p = await s.api('PATCH', `/api/v1/users/${id}`,
		{ display_name: '王芳芳', role: 'agent' }, admin);
	assert.equal(p.status, 200);
	assert.equal(p.json.role, 'agent');
	const pw = await s.api('POST', `/api/v1/users/${id}/password`,
		{ password: 'Newer@2026x' }, admin);
	assert.equal(pw.status, 204);
	const old = await s.api('POST', '/api/v1/auth/login', { tenant: 'demo',
		username: 'carol', password: 'Carol@2026x' });
	assert.equal(old.status, 401);
	await s.login('demo', 'carol', 'Newer@2026x');
	assert.equal((await s.api('DELETE', `/api/v1/users/${id}`, null,
		admin)).status, 204);
	assert.equal((await s.api('GET', `/api/v1/users/${id}`, null,
		admin)).status, 404);
	const again = await s.api('POST', '/api/v1/users', { username: 'carol',
		password: 'Carol@2026x', role: 'agent' }, admin);
	assert.equal(again.status, 201, 'a deleted username can be reused');
	const dup = await s.api('POST', '/api/v1/users', { username: 'carol',
		password: 'Carol@2026x', role: 'agent' }, admin);
	assert.equal(dup.status, 409);
	assert.equal(dup.json.code, 'conflict');
});

test('roles: agents are refused, supervisors may only read', async () => {
	const agent = await s.token(s.agent);
	const sup = await s.token(s.supervisor);
	const body = { username: 'x1', password: 'Xx@2026xx', role: 'agent' };
	assert.equal((await s.api('GET', '/api/v1/users', null, agent)).status,
		403);
	assert.equal((await s.api('GET', '/api/v1/users', null, sup)).status,
		200);
	assert.equal((await s.api('POST', '/api/v1/users', body, sup)).status,
		403);
	assert.equal((await s.api('GET', '/api/v1/audit', null, sup)).status,
		403);
	assert.equal((await s.api('GET', '/api/v1/tenants', null, admin))
		.status, 403);
	assert.ok(!(await usernames()).includes('x1'));
});

test('pagination walks every user exactly once', async () => {
	const all = await usernames();
	const seen = [];
	let cursor = null;
	for (let i = 0; i < 50; i++) {
		const q = `/api/v1/users?limit=2${cursor ? `&cursor=${cursor}` :
			''}`;
		const r = await s.api('GET', q, null, admin);
		assert.equal(r.status, 200);
		assert.ok(r.json.items.length <= 2);
		seen.push(...r.json.items.map((u) => u.username));
		cursor = r.json.next_cursor;
		if (!cursor)
			break;
	}
	assert.deepEqual(seen.sort(), all);
	for (const q of ['limit=0', 'limit=201', 'limit=abc', 'cursor=%25%25',
		'cursor=bm9wZQ'])
		assert.equal((await s.api('GET', `/api/v1/users?${q}`, null,
			admin)).status, 400, q);
});

/*
 * The server answers 413 as soon as it sees the length and closes: the
 * client may still be writing (EPIPE), so read the answer with node:http,
 * which keeps the response it already received.
 */
function oversized(body) {
	return new Promise((resolve, reject) => {
		const req = http.request(`${s.baseUrl}/api/v1/users`, {
			method: 'POST', headers: { authorization: `Bearer ${admin}`,
				'content-type': 'application/json' } }, (res) => {
			let text = '';
			res.on('data', (d) => { text += d; });
			res.on('end', () => resolve({ status: res.statusCode,
				json: JSON.parse(text) }));
		});
		req.on('error', (e) => { if (e.code !== 'EPIPE' &&
			e.code !== 'ECONNRESET') reject(e); });
		req.end(body);
	});
}

test('bad bodies are refused with a clear error and change nothing',
	async () => {
		const before = await usernames();
		const post = (body, headers) => s.api('POST', '/api/v1/users',
			body, admin, headers);
		let r = await post('{"username": "x2", ');
		assert.equal(r.status, 400);
		assert.equal(r.json.code, 'invalid_json');
		r = await post({ username: 42, password: 'Xx@2026xx',
			role: 'agent' });
		assert.equal(r.json.code, 'validation_failed');
		assert.ok(r.json.errors.some((e) => e.field === 'username'));
		r = await post({ password: 'Xx@2026xx', role: 'agent' });
		assert.ok(r.json.errors.some((e) => e.field === 'username'));
		r = await post({ username: 'x3', password: 'Xx@2026xx',
			role: 'agent', is_superuser: true });
		assert.equal(r.status, 400);
		assert.ok(r.json.errors.some((e) => e.field === 'is_superuser'));
		r = await post({ username: 'x4', password: 'Xx@2026xx',
			role: 'king' });
		assert.ok(r.json.errors.some((e) => e.field === 'role'));
		r = await post({ username: 'x5', password: 'short', role:
			'agent' });
		assert.equal(r.status, 400);
		r = await post({ username: "a'; DROP TABLE users;--", password:
			'Xx@2026xx', role: 'agent' });
		assert.equal(r.status, 400);
		r = await post('[1,2]');
		assert.equal(r.status, 400);
		r = await post('username=x6', { 'content-type': 'text/plain' });
		assert.equal(r.status, 415);
		assert.equal(r.json.code, 'unsupported_media_type');
		r = await oversized(JSON.stringify({ username: 'x7', password:
			'Xx@2026xx', role: 'agent', display_name: 'z'.repeat(2 << 20)
		}));
		assert.equal(r.status, 413);
		assert.equal(r.json.code, 'body_too_large');
		assert.deepEqual(await usernames(), before);
	});

test('SQL-looking text is stored verbatim', async () => {
	const evil = "Robert'); DROP TABLE users;-- \\' \" $1 %s";
	const r = await s.api('POST', '/api/v1/users', { username: 'bobby',
		password: 'Bobby@2026', role: 'agent', display_name: evil,
		email: 'x@example.com' }, admin);
	assert.equal(r.status, 201, r.text);
	const g = await s.api('GET', `/api/v1/users/${r.json.user_id}`, null,
		admin);
	assert.equal(g.json.display_name, evil);
	const q = await s.api('GET',
		`/api/v1/users?role=${encodeURIComponent("agent' OR '1'='1")}`,
		null, admin);
	assert.equal(q.status, 400);
	assert.ok((await usernames()).includes('bobby'));
});

test('malformed ids in paths answer 404', async () => {
	for (const id of ['nope', '1', "' OR 1=1 --", '00000000-0000-0000-' +
		'0000-000000000000'])
		assert.equal((await s.api('GET',
			`/api/v1/users/${encodeURIComponent(id)}`, null, admin))
			.status, 404, id);
});

test('Idempotency-Key: one effect, replayed answer, mismatch refused',
	async () => {
		const body = { username: 'idem1', password: 'Idem@2026x',
			role: 'agent' };
		const h = { 'idempotency-key': 'k-123' };
		const a = await s.api('POST', '/api/v1/users', body, admin, h);
		assert.equal(a.status, 201);
		const b = await s.api('POST', '/api/v1/users', body, admin, h);
		assert.equal(b.status, 201);
		assert.equal(b.headers.get('idempotent-replayed'), 'true');
		assert.equal(b.json.user_id, a.json.user_id);
		assert.equal((await usernames()).filter((u) => u === 'idem1')
			.length, 1);
		const c = await s.api('POST', '/api/v1/users', { ...body,
			role: 'admin' }, admin, h);
		assert.equal(c.status, 422);
		assert.equal(c.json.code, 'idempotency_mismatch');
		const long = await s.api('POST', '/api/v1/users', body, admin,
			{ 'idempotency-key': 'k'.repeat(200) });
		assert.equal(long.status, 400);
	});

test('tenants: operator only; quota, suspend and resume', async () => {
	const mk = (body, tok = op) => s.api('POST', '/api/v1/tenants', body,
		tok);
	assert.equal((await mk({ code: 'gamma', name: 'G' }, admin)).status,
		403);
	const t = await mk({ code: 'gamma', name: 'Gamma 公司', seat_quota: 3,
		admin: { username: 'root', password: 'Gamma@2026' } });
	assert.equal(t.status, 201, t.text);
	assert.equal((await mk({ code: 'gamma', name: 'again' })).status, 409);
	assert.equal((await mk({ code: 'Bad Code!', name: 'x' })).status, 400);
	assert.equal((await mk({ code: 'delta', name: 'x', seat_quota: -1 }))
		.status, 400);
	const id = t.json.tenant_id;
	const gtok = await s.token({ tenant: 'gamma', username: 'root',
		password: 'Gamma@2026' });
	const q = await s.api('PATCH', `/api/v1/tenants/${id}`,
		{ seat_quota: 30 }, op);
	assert.equal(q.json.seat_quota, 30);
	const sus = await s.api('PATCH', `/api/v1/tenants/${id}`,
		{ status: 'suspended' }, op);
	assert.equal(sus.json.status, 'suspended');
	const l = await s.api('POST', '/api/v1/auth/login', { tenant: 'gamma',
		username: 'root', password: 'Gamma@2026' });
	assert.equal(l.status, 403);
	assert.equal(l.json.code, 'tenant_suspended');
	const me = await s.api('GET', '/api/v1/me', null, gtok);
	assert.equal(me.status, 403);
	assert.equal(me.json.code, 'tenant_suspended');
	await s.api('PATCH', `/api/v1/tenants/${id}`, { status: 'active' },
		op);
	assert.equal((await s.api('GET', '/api/v1/me', null, gtok)).status,
		200);
	const list = await s.api('GET', '/api/v1/tenants', null, op);
	assert.ok(list.json.items.some((x) => x.code === 'gamma'));
});

test('every change leaves an audit entry, newest first', async () => {
	const r = await s.api('GET', '/api/v1/audit?limit=200', null, admin);
	assert.equal(r.status, 200);
	const acts = new Set(r.json.items.map((a) => a.action));
	for (const a of ['user.create', 'user.update', 'user.delete',
		'user.password_reset', 'auth.login'])
		assert.ok(acts.has(a), a);
	const ids = r.json.items.map((a) => Number(a.audit_id));
	assert.deepEqual(ids, [...ids].sort((x, y) => y - x));
	const one = r.json.items.find((a) => a.action === 'user.create');
	assert.equal(one.actor_name, 'admin');
	assert.ok(one.remote_addr);
	const f = await s.api('GET', '/api/v1/audit?action=user.delete', null,
		admin);
	assert.ok(f.json.items.length >= 1);
	assert.ok(f.json.items.every((a) => a.action === 'user.delete'));
});
