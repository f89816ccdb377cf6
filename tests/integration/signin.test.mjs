// Sign-in: login, refresh rotation and reuse detection, logout, crafted
// and tampered tokens, disabled accounts, API keys, login rate limiting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startStack } from '../lib/stack.mjs';

let s;
let admin;
before(async () => {
	s = await startStack({ env: { OPENSEAT_LOGIN_MAX_FAILURES: '3' } });
	admin = await s.token(s.admin);
});
after(async () => { await s?.stop(); });

const login = (body) => s.api('POST', '/api/v1/auth/login', body);
const b64 = (o) => Buffer.from(typeof o === 'string' ? o :
	JSON.stringify(o)).toString('base64url');

function craft(header, payload, secret = s.jwtSecret) {
	const head = `${b64(header)}.${b64(payload)}`;
	const sig = crypto.createHmac(header.alg === 'HS512' ? 'sha512' :
		'sha256', secret).update(head).digest('base64url');
	return `${head}.${sig}`;
}

function claims(tok) {
	return JSON.parse(Buffer.from(tok.split('.')[1], 'base64url'));
}

test('login answers alike for every kind of wrong credential', async () => {
	const bodies = [
		{ tenant: 'demo', username: 'admin', password: 'Wrong@2026' },
		{ tenant: 'demo', username: 'nobody', password: 'Admin@2026' },
		{ tenant: 'nope', username: 'admin', password: 'Admin@2026' },
		{ username: 'operator', password: 'Wrong@2026' },
	];
	const seen = new Set();
	for (const b of bodies) {
		const r = await login(b);
		assert.equal(r.status, 401, JSON.stringify(b));
		assert.equal(r.json.code, 'invalid_credentials');
		seen.add(r.text.replace(/"instance":"[^"]*"/, ''));
	}
	assert.equal(seen.size, 1, 'one answer for all');
});

test('users and the operator log in; /me describes them', async () => {
	const u = await s.login('demo', 'agent2', 'Agent@2026');
	assert.equal(u.token_type, 'Bearer');
	assert.equal(u.user.role, 'agent');
	const me = await s.api('GET', '/api/v1/me', null, u.access_token);
	assert.equal(me.json.username, 'agent2');
	assert.equal(me.json.tenant_code, 'demo');
	const op = await s.login(null, 'operator', 'Operator@2026');
	const ome = await s.api('GET', '/api/v1/me', null, op.access_token);
	assert.equal(ome.json.kind, 'operator');
	assert.equal(ome.json.tenant_id ?? null, null);
});

test('refresh rotates; a reused refresh token revokes the family',
	async () => {
		const l = await s.login('demo', 'agent3', 'Agent@2026');
		const r1 = await s.api('POST', '/api/v1/auth/refresh',
			{ refresh_token: l.refresh_token });
		assert.equal(r1.status, 200, r1.text);
		assert.notEqual(r1.json.refresh_token, l.refresh_token);
		assert.equal((await s.api('GET', '/api/v1/me', null,
			r1.json.access_token)).status, 200);

		const reuse = await s.api('POST', '/api/v1/auth/refresh',
			{ refresh_token: l.refresh_token });
		assert.equal(reuse.status, 401);
		const newest = await s.api('POST', '/api/v1/auth/refresh',
			{ refresh_token: r1.json.refresh_token });
		assert.equal(newest.status, 401, 'family revoked');
	});

test('logout revokes the refresh token', async () => {
	const l = await s.login('demo', 'agent4', 'Agent@2026');
	const out = await s.api('POST', '/api/v1/auth/logout',
		{ refresh_token: l.refresh_token }, l.access_token);
	assert.equal(out.status, 204);
	const r = await s.api('POST', '/api/v1/auth/refresh',
		{ refresh_token: l.refresh_token });
	assert.equal(r.status, 401);
});

test('expired, tampered, alg:none, HS512 and wrong-key tokens: 401',
	async () => {
		const good = claims(admin);
		const now = Math.floor(Date.now() / 1000);
		const hs = { alg: 'HS256', typ: 'JWT' };
		const bad = {
			expired: craft(hs, { ...good, iat: now - 7200, exp: now - 60 }),
			noexp: craft(hs, { ...good, exp: undefined }),
			none: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(good)}.`,
			hs512: craft({ alg: 'HS512', typ: 'JWT' }, good),
			wrongkey: craft(hs, good, 'another-secret-0123456789abcdef'),
			tampered: (() => {
				const [h, , sig] = admin.split('.');
				return `${h}.${b64({ ...good, role: 'admin',
					sub: crypto.randomUUID() })}.${sig}`;
			})(),
			garbage: 'not.a.token',
			empty: '',
			huge: 'a'.repeat(8000),
		};
		const control = craft(hs, good);
		assert.equal((await s.api('GET', '/api/v1/me', null, control))
			.status, 200, 'a correctly crafted token works');
		for (const [name, tok] of Object.entries(bad)) {
			const r = await s.api('GET', '/api/v1/me', null, null,
				{ authorization: `Bearer ${tok}` });
			assert.equal(r.status, 401, name);
			assert.equal(r.json.code, 'unauthorized', name);
		}
		for (const h of ['Basic YWRtaW46eA==', 'Bearer', 'bearer',
			`Token ${admin}`])
			assert.equal((await s.api('GET', '/api/v1/me', null, null,
				{ authorization: h })).status, 401, h);
		assert.equal((await s.api('GET', '/api/v1/me')).status, 401);

		/* headers beyond the server's limit end that connection only */
		await assert.rejects(s.api('GET', '/api/v1/me', null, null,
			{ authorization: `Bearer ${'a'.repeat(40000)}` }));
		assert.equal((await s.api('GET', '/api/v1/me', null, admin))
			.status, 200);
	});

test('a disabled user can neither log in nor use a token', async () => {
	const l = await s.login('demo', 'agent5', 'Agent@2026');
	const list = await s.api('GET', '/api/v1/users?limit=200', null,
		admin);
	const id = list.json.items.find((u) => u.username === 'agent5')
		.user_id;
	const p = await s.api('PATCH', `/api/v1/users/${id}`,
		{ disabled: true }, admin);
	assert.equal(p.status, 200);
	const r = await login({ tenant: 'demo', username: 'agent5',
		password: 'Agent@2026' });
	assert.equal(r.status, 403);
	assert.equal(r.json.code, 'account_disabled');
	const me = await s.api('GET', '/api/v1/me', null, l.access_token);
	assert.ok([401, 403].includes(me.status), String(me.status));
	await s.api('PATCH', `/api/v1/users/${id}`, { disabled: false },
		admin);
	assert.equal((await login({ tenant: 'demo', username: 'agent5',
		password: 'Agent@2026' })).status, 200);
});

test('API keys: shown once, scoped by role, revoked at once', async () => {
	const k = await s.api('POST', '/api/v1/api-keys', { name: 'crm',
		role: 'agent' }, admin);
	assert.equal(k.status, 201);
	assert.match(k.json.key, /^osk_/);
	const list = await s.api('GET', '/api/v1/api-keys', null, admin);
	const item = list.json.items.find((x) => x.api_key_id ===
		k.json.api_key_id);
	assert.equal(item.key, undefined, 'never listed');
	assert.ok(k.json.key.startsWith(item.prefix));
	const me = await s.api('GET', '/api/v1/me', null, k.json.key);
	assert.equal(me.json.kind, 'api_key');
	assert.equal(me.json.role, 'agent');
	assert.equal((await s.api('GET', '/api/v1/users', null, k.json.key))
		.status, 403, 'agent-role key');
	const agent = await s.token(s.agent);
	assert.equal((await s.api('POST', '/api/v1/api-keys', { name: 'x',
		role: 'admin' }, agent)).status, 403);
	assert.equal((await s.api('DELETE',
		`/api/v1/api-keys/${k.json.api_key_id}`, null, admin)).status, 204);
	assert.equal((await s.api('GET', '/api/v1/me', null, k.json.key))
		.status, 401);
	const audit = await s.api('GET', '/api/v1/audit?limit=20', null, admin);
	const acts = audit.json.items.map((a) => a.action);
	assert.ok(acts.includes('api_key.create'));
	assert.ok(acts.includes('api_key.revoke'));
});

test('repeated failures: 429 with Retry-After, even for the right password',
	async () => {
		const who = { tenant: 'demo', username: 'supervisor' };
		for (let i = 0; i < 3; i++)
			assert.equal((await login({ ...who, password: 'Nope@2026' }))
				.status, 401);
		const r = await login({ ...who, password: 'Super@2026' });
		assert.equal(r.status, 429);
		assert.equal(r.json.code, 'too_many_requests');
		assert.ok(Number(r.headers.get('retry-after')) > 0);
		/* another user from the same address is not locked out yet */
		assert.equal((await login({ tenant: 'demo', username: 'agent1',
			password: 'Agent@2026' })).status, 200);
	});
