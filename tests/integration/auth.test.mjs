// Sign-in, tokens, refresh rotation, logout and the failure limit.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startStack } from '../lib/stack.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });

const LOGIN = '/api/v1/auth/login';
const REFRESH = '/api/v1/auth/refresh';
const LOGOUT = '/api/v1/auth/logout';

const b64u = (v) => Buffer.from(typeof v === 'string' ? v :
	JSON.stringify(v)).toString('base64url');

/** A compact JWT signed with HMAC (alg: node:crypto digest name). */
function craft(header, payload, { secret = s.jwtSecret, alg = 'sha256' } =
	{}) {
	const h = b64u(header);
	const p = b64u(payload);
	const sig = createHmac(alg, secret).update(`${h}.${p}`)
		.digest('base64url');
	return `${h}.${p}.${sig}`;
}

function claimsOf(jwt) {
	return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url')
		.toString());
}

function assertProblem(r, status, code, what = '') {
	assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
	assert.match(r.headers.get('content-type') || '',
		/application\/problem\+json/, what);
	assert.equal(r.json?.code, code, `${what}: ${r.text}`);
	assert.equal(r.json.status, status, what);
}

async function me(token, headers) {
	return s.api('GET', '/api/v1/me', null, token, headers);
}

test('login succeeds with the token pair and the caller', async () => {
	const r = await s.api('POST', LOGIN, { tenant: 'demo',
		username: 'admin', password: 'Admin@2026' });
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.token_type, 'Bearer');
	assert.equal(r.json.expires_in, 900);
	assert.match(r.json.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
	assert.equal(typeof r.json.refresh_token, 'string');
	assert.ok(r.json.refresh_token.length >= 20);
	assert.equal(r.json.user.kind, 'user');
	assert.equal(r.json.user.username, 'admin');
	assert.equal(r.json.user.role, 'admin');
	assert.equal(r.json.user.tenant_code, 'demo');
	assert.doesNotMatch(r.text, /argon2|password/i);
	const c = claimsOf(r.json.access_token);
	assert.equal(c.sub, r.json.user.user_id);
	assert.equal(c.tid, r.json.user.tenant_id);
	assert.ok(c.exp - Math.floor(Date.now() / 1000) <= 900);
	assert.ok(c.exp - Math.floor(Date.now() / 1000) > 800);
	const m = await me(r.json.access_token);
	assert.equal(m.status, 200);
	assert.deepEqual(m.json, r.json.user);
});

test('wrong password, unknown user and unknown tenant answer alike',
	async () => {
		const cases = {
			'bad password': { tenant: 'demo', username: 'supervisor',
				password: 'Wrong@2026' },
			'unknown user': { tenant: 'demo', username: 'nobody',
				password: 'Super@2026' },
			'unknown tenant': { tenant: 'nosuch', username: 'supervisor',
				password: 'Super@2026' },
			'operator with a tenant user': { username: 'supervisor',
				password: 'Super@2026' },
			'operator bad password': { username: 'operator',
				password: 'Operator@2027' },
		};
		let first = null;
		for (const [what, body] of Object.entries(cases)) {
			const r = await s.api('POST', LOGIN, body);
			assertProblem(r, 401, 'invalid_credentials', what);
			assert.equal(r.headers.get('retry-after'), null, what);
			if (first === null)
				first = r.text;
			assert.equal(r.text, first, `${what}: body differs`);
		}
		// failures did not lock the right password out
		await s.login('demo', 'supervisor', 'Super@2026');
	});

test('login body is validated', async () => {
	for (const body of [{ tenant: 'demo', username: 'admin' },
		{ tenant: 'demo', password: 'Admin@2026' },
		{ tenant: 'demo', username: 'admin', password: 'Admin@2026',
			extra: 1 },
		{ tenant: 5, username: 'admin', password: 'Admin@2026' }]) {
		const r = await s.api('POST', LOGIN, body);
		assertProblem(r, 400, 'validation_failed', JSON.stringify(body));
		assert.ok(Array.isArray(r.json.errors) && r.json.errors.length);
	}
});

test('operator signs in without a tenant; /me for user and operator',
	async () => {
		const op = await s.login(null, 'operator', 'Operator@2026');
		assert.equal(op.user.kind, 'operator');
		assert.equal(op.user.role, 'operator');
		const c = claimsOf(op.access_token);
		assert.equal(c.tid, undefined);
		const m = await me(op.access_token);
		assert.equal(m.status, 200);
		assert.equal(m.json.kind, 'operator');
		assert.equal(m.json.username, 'operator');
		assert.equal(m.json.role, 'operator');
		assert.equal(m.json.tenant_id ?? null, null);

		const ag = await me(await s.token(s.agent));
		assert.equal(ag.status, 200);
		assert.equal(ag.json.kind, 'user');
		assert.equal(ag.json.username, 'agent1');
		assert.equal(ag.json.role, 'agent');
		assert.equal(ag.json.display_name, '坐席1');
		assert.equal(ag.json.tenant_code, 'demo');
		assert.equal(ag.json.tenant_name, '演示企业');
		assert.match(ag.json.user_id, /^[0-9a-f-]{36}$/);
		assert.ok(ag.json.locale);

		const none = await me();
		assertProblem(none, 401, 'unauthorized', 'no token');
		assert.match(none.headers.get('www-authenticate') || '', /Bearer/);
	});

test('/me for an API key', async () => {
	const admin = await s.login('demo', 'admin', 'Admin@2026');
	const k = await s.api('POST', '/api/v1/api-keys',
		{ name: 'auth-me', role: 'supervisor' }, admin.access_token);
	assert.equal(k.status, 201, k.text);
	const m = await me(k.json.key);
	assert.equal(m.status, 200, m.text);
	assert.equal(m.json.kind, 'api_key');
	assert.equal(m.json.api_key_id, k.json.api_key_id);
	assert.equal(m.json.name, 'auth-me');
	assert.equal(m.json.role, 'supervisor');
	assert.equal(m.json.tenant_id, admin.user.tenant_id);
	assertProblem(await me('osk_' + 'x'.repeat(40)), 401, 'unauthorized',
		'unknown key');
});

test('refresh rotates; reusing an old token revokes the family',
	async () => {
		const a = await s.login('demo', 'agent2', 'Agent@2026');
		const other = await s.login('demo', 'agent2', 'Agent@2026');

		const r1 = await s.api('POST', REFRESH,
			{ refresh_token: a.refresh_token });
		assert.equal(r1.status, 200, r1.text);
		assert.notEqual(r1.json.refresh_token, a.refresh_token);
		assert.equal(r1.json.token_type, 'Bearer');
		assert.equal(r1.json.user.username, 'agent2');
		const m = await me(r1.json.access_token);
		assert.equal(m.status, 200);
		assert.equal(m.json.username, 'agent2');

		const r2 = await s.api('POST', REFRESH,
			{ refresh_token: r1.json.refresh_token });
		assert.equal(r2.status, 200, r2.text);
		assert.notEqual(r2.json.refresh_token, r1.json.refresh_token);

		// replay of the first (used) token
		const bad = await s.api('POST', REFRESH,
			{ refresh_token: a.refresh_token });
		assertProblem(bad, 401, 'unauthorized', 'reused token');

		// the newest token of that family is dead too
		const newest = await s.api('POST', REFRESH,
			{ refresh_token: r2.json.refresh_token });
		assertProblem(newest, 401, 'unauthorized', 'newest after reuse');

		// a separate sign-in of the same user is another family
		const o = await s.api('POST', REFRESH,
			{ refresh_token: other.refresh_token });
		assert.equal(o.status, 200, o.text);
	});

test('refresh rejects unknown and malformed tokens', async () => {
	assertProblem(await s.api('POST', REFRESH,
		{ refresh_token: 'not-a-token' }), 401, 'unauthorized', 'unknown');
	assertProblem(await s.api('POST', REFRESH, {}), 400,
		'validation_failed', 'missing');
	assertProblem(await s.api('POST', REFRESH, { refresh_token: 7 }), 400,
		'validation_failed', 'number');
	assertProblem(await s.api('POST', REFRESH,
		{ refresh_token: 'x'.repeat(257) }), 400, 'validation_failed',
	'too long');
	// a well-shaped token nobody issued
	const a = await s.login('demo', 'agent3', 'Agent@2026');
	const fake = Buffer.from(a.refresh_token).reverse().toString();
	assertProblem(await s.api('POST', REFRESH, { refresh_token: fake }),
		401, 'unauthorized', 'never issued');
	// that miss revoked nothing of the real family
	const ok = await s.api('POST', REFRESH,
		{ refresh_token: a.refresh_token });
	assert.equal(ok.status, 200, ok.text);
});

test('logout answers 204 and kills the refresh token', async () => {
	const a = await s.login('demo', 'agent4', 'Agent@2026');
	const noauth = await s.api('POST', LOGOUT,
		{ refresh_token: a.refresh_token });
	assertProblem(noauth, 401, 'unauthorized', 'logout without bearer');
	// not logged out by that
	const r1 = await s.api('POST', REFRESH,
		{ refresh_token: a.refresh_token });
	assert.equal(r1.status, 200, r1.text);

	const out = await s.api('POST', LOGOUT,
		{ refresh_token: r1.json.refresh_token }, r1.json.access_token);
	assert.equal(out.status, 204, out.text);
	assert.equal(out.text, '');
	const after = await s.api('POST', REFRESH,
		{ refresh_token: r1.json.refresh_token });
	assertProblem(after, 401, 'unauthorized', 'refresh after logout');

	const admin = await s.token(s.admin);
	const au = await s.api('GET', '/api/v1/audit?action=auth.logout',
		null, admin);
	assert.equal(au.status, 200, au.text);
	assert.ok(au.json.items.some((e) => e.actor_name === 'agent4'),
		au.text);
});

test('logout of another user\'s refresh token changes nothing', async () => {
	const victim = await s.login('demo', 'agent5', 'Agent@2026');
	const attacker = await s.token(s.agent);
	const out = await s.api('POST', LOGOUT,
		{ refresh_token: victim.refresh_token }, attacker);
	assert.ok(out.status === 204 || out.status === 404 ||
		out.status === 403, out.text);
	const r = await s.api('POST', REFRESH,
		{ refresh_token: victim.refresh_token });
	assert.equal(r.status, 200, 'victim family survived: ' + r.text);
});

test('crafted access tokens: only a valid HS256 token passes', async () => {
	const real = await s.login('demo', 'agent1', 'Agent@2026');
	const c = claimsOf(real.access_token);
	const now = Math.floor(Date.now() / 1000);
	const hdr = { alg: 'HS256', typ: 'JWT' };
	const base = { sub: c.sub, tid: c.tid, role: 'agent', iat: now,
		exp: now + 300 };

	// control: our crafting is right, so the failures below mean something
	const good = await me(craft(hdr, base));
	assert.equal(good.status, 200, good.text);
	assert.equal(good.json.username, 'agent1');

	const drop = (k) => {
		const o = { ...base };
		delete o[k];
		return o;
	};
	const [h0, p0] = real.access_token.split('.');
	const tampered = b64u({ ...claimsOf(real.access_token),
		role: 'admin' });
	const bad = {
		'expired': craft(hdr, { ...base, iat: now - 1000, exp: now - 10 }),
		'tampered payload': `${h0}.${tampered}.` +
			real.access_token.split('.')[2],
		'signature of another token': `${h0}.${p0}.` +
			craft(hdr, base).split('.')[2],
		'alg none': `${b64u({ alg: 'none', typ: 'JWT' })}.${b64u(base)}.`,
		'alg none, HS256 signature': craft({ alg: 'none' }, base),
		'alg NONE lowercase hs256': craft({ alg: 'hs256' }, base),
		'HS512': craft({ alg: 'HS512', typ: 'JWT' }, base,
			{ alg: 'sha512' }),
		'HS384': craft({ alg: 'HS384', typ: 'JWT' }, base,
			{ alg: 'sha384' }),
		'wrong secret': craft(hdr, base, { secret: 'x'.repeat(44) }),
		'no sub': craft(hdr, drop('sub')),
		'no tid': craft(hdr, drop('tid')),
		'no role': craft(hdr, drop('role')),
		'no exp': craft(hdr, drop('exp')),
		'exp as string': craft(hdr, { ...base, exp: String(now + 300) }),
		'unknown role': craft(hdr, { ...base, role: 'root' }),
		'sub not a uuid': craft(hdr, { ...base, sub: 'agent1' }),
		'sub unknown': craft(hdr, { ...base,
			sub: '00000000-0000-4000-8000-000000000000' }),
		'tid of another tenant': craft(hdr, { ...base,
			tid: '00000000-0000-4000-8000-000000000000' }),
		'operator role with a user sub': craft(hdr, { sub: c.sub,
			role: 'operator', iat: now, exp: now + 300 }),
		'payload not an object': craft(hdr, [1, 2]),
		'two segments': real.access_token.split('.').slice(0, 2).join('.'),
		'four segments': real.access_token + '.AAAA',
		'not base64': '!!!.@@@.###',
	};
	for (const [what, tok] of Object.entries(bad)) {
		const r = await me(tok);
		assertProblem(r, 401, 'unauthorized', what);
	}
	// also on a role-guarded route: 401, not 403 or 200
	const esc = await s.api('GET', '/api/v1/users', null,
		bad['tampered payload']);
	assertProblem(esc, 401, 'unauthorized', 'tampered on /users');
});

test('garbage Authorization headers are 401', async () => {
	const tok = await s.token(s.agent);
	const headers = {
		'no scheme': tok,
		'Basic': 'Basic ' + Buffer.from('admin:Admin@2026')
			.toString('base64'),
		'Token scheme': 'Token ' + tok,
		'empty': '',
		'Bearer only': 'Bearer',
		'Bearer space': 'Bearer ',
		'Bearer spaces': 'Bearer    ',
		'two tokens': `Bearer ${tok} ${tok}`,
		'10 KB': 'Bearer ' + 'a'.repeat(10 * 1024),
		'10 KB key': 'Bearer osk_' + 'a'.repeat(10 * 1024),
		'control chars': 'Bearer \u0001\u0002',
	};
	for (const [what, v] of Object.entries(headers)) {
		let r;
		try {
			r = await me(null, { authorization: v });
		} catch (e) {
			// the client refused to send the header at all
			if (what === 'control chars')
				continue;
			throw e;
		}
		assertProblem(r, 401, 'unauthorized', what);
	}
	// the server is still fine afterwards
	assert.equal((await me(tok)).status, 200);
});

test('a disabled user cannot sign in, use tokens or refresh', async () => {
	const admin = await s.token(s.admin);
	const u = await s.api('POST', '/api/v1/users', { username: 'gone1',
		password: 'Gone@2026x', role: 'agent' }, admin);
	assert.equal(u.status, 201, u.text);
	const session = await s.login('demo', 'gone1', 'Gone@2026x');

	const p = await s.api('PATCH', `/api/v1/users/${u.json.user_id}`,
		{ disabled: true }, admin);
	assert.equal(p.status, 200, p.text);
	assert.equal(p.json.disabled, true);

	const r = await s.api('POST', LOGIN, { tenant: 'demo',
		username: 'gone1', password: 'Gone@2026x' });
	assertProblem(r, 403, 'account_disabled', 'login');
	// a wrong password does not reveal that the account exists
	const w = await s.api('POST', LOGIN, { tenant: 'demo',
		username: 'gone1', password: 'Nope@2026x' });
	assertProblem(w, 401, 'invalid_credentials', 'wrong password');

	assertProblem(await me(session.access_token), 403, 'account_disabled',
		'old access token');
	assertProblem(await s.api('POST', REFRESH,
		{ refresh_token: session.refresh_token }), 401, 'unauthorized',
	'refresh');

	const en = await s.api('PATCH', `/api/v1/users/${u.json.user_id}`,
		{ disabled: false }, admin);
	assert.equal(en.status, 200, en.text);
	await s.login('demo', 'gone1', 'Gone@2026x');
});

test('failure limit: 429 with Retry-After, even for the right password',
	async () => {
		const t = await startStack({ env:
			{ OPENSEAT_LOGIN_MAX_FAILURES: '3' } });
		try {
			const bad = { tenant: 'demo', username: 'supervisor',
				password: 'Wrong@2026' };
			for (let i = 0; i < 3; i++) {
				const r = await t.api('POST', LOGIN, bad);
				assertProblem(r, 401, 'invalid_credentials', `try ${i}`);
			}
			const r = await t.api('POST', LOGIN, bad);
			assertProblem(r, 429, 'too_many_requests', 'after 3');
			const ra = Number(r.headers.get('retry-after'));
			assert.ok(Number.isInteger(ra) && ra > 0 && ra <= 300,
				`Retry-After ${r.headers.get('retry-after')}`);

			const right = await t.api('POST', LOGIN, { tenant: 'demo',
				username: 'supervisor', password: 'Super@2026' });
			assertProblem(right, 429, 'too_many_requests', 'right password');
			assert.ok(Number(right.headers.get('retry-after')) > 0);

			// the ban is for that account, not for everybody
			const other = await t.api('POST', LOGIN, { tenant: 'demo',
				username: 'agent1', password: 'Agent@2026' });
			assert.equal(other.status, 200, other.text);
		} finally {
			await t.stop();
		}
	});

test('failure limit per source address', async () => {
	const t = await startStack({ env: { OPENSEAT_LOGIN_MAX_FAILURES: '2' } });
	try {
		// 2 x 4 = 8 failures per address, spread over accounts so that
		// no single account reaches its own limit
		for (let i = 0; i < 8; i++) {
			const r = await t.api('POST', LOGIN, { tenant: 'demo',
				username: `spray${i}`, password: 'Wrong@2026' });
			assertProblem(r, 401, 'invalid_credentials', `spray ${i}`);
		}
		const r = await t.api('POST', LOGIN, { tenant: 'demo',
			username: 'agent1', password: 'Agent@2026' });
		assertProblem(r, 429, 'too_many_requests', 'address banned');
		assert.ok(Number(r.headers.get('retry-after')) > 0);
	} finally {
		await t.stop();
	}
});
