// Users API: CRUD as the tenant admin, pagination, roles, duplicate
// usernames and the password policy (bad input changes nothing).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';

let s;
let admin;
before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
});
after(async () => { await s?.stop(); });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function allUsers(token = admin) {
	const r = await s.api('GET', '/api/v1/users?limit=200', null, token);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.next_cursor, null);
	return r.json.items;
}

function loginStatus(username, password) {
	return s.api('POST', '/api/v1/auth/login', { tenant: 'demo', username,
		password }).then((r) => r.status);
}

test('create, get, patch a user; the hash is never shown', async () => {
	const c = await s.api('POST', '/api/v1/users', { username: 'u_crud',
		password: 'Crud@2026x', role: 'agent', display_name: '李雷',
		email: 'lilei@example.com', locale: 'zh-CN' }, admin);
	assert.equal(c.status, 201, c.text);
	const u = c.json;
	assert.match(u.user_id, UUID);
	assert.equal(u.username, 'u_crud');
	assert.equal(u.display_name, '李雷');
	assert.equal(u.email, 'lilei@example.com');
	assert.equal(u.role, 'agent');
	assert.equal(u.disabled, false);
	assert.equal(u.locale, 'zh-CN');
	assert.equal(u.last_login_at, null);
	assert.ok(u.created_at && u.updated_at);
	assert.ok(!/password|hash/.test(Object.keys(u).join()), c.text);
	assert.ok(!/\$argon2|\$2[aby]\$|scrypt/.test(c.text));

	const me = await s.api('GET', '/api/v1/me', null, admin);
	assert.equal(u.tenant_id, me.json.tenant_id);

	const g = await s.api('GET', `/api/v1/users/${u.user_id}`, null, admin);
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, u);

	const p = await s.api('PATCH', `/api/v1/users/${u.user_id}`,
		{ display_name: '韩梅梅', role: 'supervisor', email: null }, admin);
	assert.equal(p.status, 200, p.text);
	assert.equal(p.json.display_name, '韩梅梅');
	assert.equal(p.json.role, 'supervisor');
	assert.equal(p.json.username, 'u_crud');
	assert.equal(p.json.created_at, u.created_at);
	assert.ok(p.json.updated_at >= u.updated_at);
	const g2 = await s.api('GET', `/api/v1/users/${u.user_id}`, null,
		admin);
	assert.equal(g2.json.display_name, '韩梅梅');
	assert.equal(g2.json.role, 'supervisor');

	/* the new role is what the user gets at sign-in */
	const l = await s.login('demo', 'u_crud', 'Crud@2026x');
	assert.equal(l.user.role, 'supervisor');
	assert.ok((await allUsers()).some((x) => x.user_id === u.user_id));
});

test('pagination with limit=2 walks every user exactly once', async () => {
	for (let i = 0; i < 3; i++) {
		const r = await s.api('POST', '/api/v1/users', { username:
			`page${i}`, password: 'Page@2026x', role: 'agent' }, admin);
		assert.equal(r.status, 201, r.text);
	}
	const all = await allUsers();
	assert.ok(all.length >= 10, `only ${all.length} users`);
	const seen = [];
	let cursor = null;
	let pages = 0;
	do {
		const q = '/api/v1/users?limit=2' +
			(cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
		const r = await s.api('GET', q, null, admin);
		assert.equal(r.status, 200, r.text);
		assert.ok(r.json.items.length <= 2);
		assert.ok(r.json.items.length > 0, 'an empty page');
		seen.push(...r.json.items.map((u) => u.user_id));
		cursor = r.json.next_cursor;
		assert.ok(++pages <= all.length, 'the cursor never ends');
	} while (cursor);
	assert.equal(new Set(seen).size, seen.length, 'a duplicate');
	assert.deepEqual(seen, all.map((u) => u.user_id),
		'same users in creation order');

	const bad = await s.api('GET', '/api/v1/users?limit=0', null, admin);
	assert.equal(bad.status, 400);
	assert.equal(bad.json.code, 'validation_failed');
	const bad2 = await s.api('GET', '/api/v1/users?limit=201', null, admin);
	assert.equal(bad2.status, 400);
	const bad3 = await s.api('GET', '/api/v1/users?cursor=%21%21garbage',
		null, admin);
	assert.equal(bad3.status, 400);
});

test('role filter lists only that role', async () => {
	const r = await s.api('GET', '/api/v1/users?role=agent&limit=200', null,
		admin);
	assert.equal(r.status, 200);
	assert.ok(r.json.items.length >= 5);
	for (const u of r.json.items)
		assert.equal(u.role, 'agent', u.username);
});

test('admin password reset: the new password works, the old not',
	async () => {
		const c = await s.api('POST', '/api/v1/users', { username:
			'u_reset', password: 'Old@2026xx', role: 'agent' }, admin);
		assert.equal(c.status, 201);
		const before = await s.login('demo', 'u_reset', 'Old@2026xx');
		const r = await s.api('POST',
			`/api/v1/users/${c.json.user_id}/password`,
			{ password: 'New@2026xx' }, admin);
		assert.equal(r.status, 204, r.text);
		assert.equal(r.text, '');
		assert.equal(await loginStatus('u_reset', 'Old@2026xx'), 401);
		assert.equal(await loginStatus('u_reset', 'New@2026xx'), 200);
		/* the refresh tokens issued before the reset are revoked */
		const rf = await s.api('POST', '/api/v1/auth/refresh',
			{ refresh_token: before.refresh_token });
		assert.equal(rf.status, 401);
	});

test('delete: then 404, sign-in refused, username reusable', async () => {
	const c = await s.api('POST', '/api/v1/users', { username: 'u_del',
		password: 'Del@2026xx', role: 'agent' }, admin);
	assert.equal(c.status, 201);
	const id = c.json.user_id;
	const d = await s.api('DELETE', `/api/v1/users/${id}`, null, admin);
	assert.equal(d.status, 204);
	const g = await s.api('GET', `/api/v1/users/${id}`, null, admin);
	assert.equal(g.status, 404);
	assert.equal(g.json.code, 'not_found');
	assert.equal((await s.api('DELETE', `/api/v1/users/${id}`, null,
		admin)).status, 404);
	assert.equal((await s.api('PATCH', `/api/v1/users/${id}`,
		{ display_name: 'ghost' }, admin)).status, 404);
	assert.ok(!(await allUsers()).some((u) => u.user_id === id));
	assert.equal(await loginStatus('u_del', 'Del@2026xx'), 401);

	const again = await s.api('POST', '/api/v1/users', { username: 'u_del',
		password: 'Del@2026yy', role: 'supervisor' }, admin);
	assert.equal(again.status, 201, again.text);
	assert.notEqual(again.json.user_id, id);
	assert.equal(await loginStatus('u_del', 'Del@2026yy'), 200);
});

test('malformed and unknown ids answer 404', async () => {
	for (const id of ['not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
		const r = await s.api('GET', `/api/v1/users/${id}`, null, admin);
		assert.equal(r.status, 404, id);
		assert.equal(r.json.code, 'not_found');
	}
});

test('agents get 403; supervisors may read but not write', async () => {
	const agent = await s.token(s.agent);
	const sup = await s.token(s.supervisor);
	const count = (await allUsers()).length;
	const target = (await allUsers()).find((u) => u.username === 'agent2');

	const a = await s.api('GET', '/api/v1/users', null, agent);
	assert.equal(a.status, 403);
	assert.equal(a.json.code, 'forbidden');
	assert.equal((await s.api('GET', `/api/v1/users/${target.user_id}`,
		null, agent)).status, 403);

	const g = await s.api('GET', '/api/v1/users?limit=200', null, sup);
	assert.equal(g.status, 200);
	assert.equal(g.json.items.length, count);
	assert.equal((await s.api('GET', `/api/v1/users/${target.user_id}`,
		null, sup)).status, 200);

	const body = { username: 'sneaky', password: 'Sneak@2026', role:
		'admin' };
	for (const tok of [sup, agent]) {
		const p = await s.api('POST', '/api/v1/users', body, tok);
		assert.equal(p.status, 403);
		assert.equal(p.json.code, 'forbidden');
		assert.equal((await s.api('PATCH',
			`/api/v1/users/${target.user_id}`, { role: 'admin' }, tok))
			.status, 403);
		assert.equal((await s.api('POST',
			`/api/v1/users/${target.user_id}/password`,
			{ password: 'Taken@2026' }, tok)).status, 403);
		assert.equal((await s.api('DELETE',
			`/api/v1/users/${target.user_id}`, null, tok)).status, 403);
	}
	const users = await allUsers();
	assert.equal(users.length, count);
	assert.ok(!users.some((u) => u.username === 'sneaky'));
	assert.deepEqual(users.find((u) => u.username === 'agent2'), target);
	assert.equal(await loginStatus('agent2', 'Agent@2026'), 200);

	const none = await s.api('GET', '/api/v1/users');
	assert.equal(none.status, 401);
	assert.equal(none.json.code, 'unauthorized');
});

test('a duplicate username is 409 conflict and changes nothing',
	async () => {
		const before = await allUsers();
		const agent1 = before.find((u) => u.username === 'agent1');
		const r = await s.api('POST', '/api/v1/users', { username: 'agent1',
			password: 'Other@2026', role: 'admin', display_name: 'dup' },
		admin);
		assert.equal(r.status, 409, r.text);
		assert.equal(r.json.code, 'conflict');
		assert.match(r.headers.get('content-type'),
			/application\/problem\+json/);
		assert.equal(r.json.status, 409);
		assert.ok(r.json.detail);
		assert.deepEqual(await allUsers(), before);
		assert.deepEqual(agent1, before.find((u) => u.username ===
			'agent1'));
		assert.equal(await loginStatus('agent1', 'Agent@2026'), 200);
		assert.equal(await loginStatus('agent1', 'Other@2026'), 401);
	});

test('password policy violations are 400 and create nothing', async () => {
	const before = await allUsers();
	const bad = ['short1A', 'nodigitsatall', '1234567890', 'x'.repeat(256) +
		'1', 'tab\there12'];
	for (const pw of bad) {
		const r = await s.api('POST', '/api/v1/users', { username:
			'u_policy', password: pw, role: 'agent' }, admin);
		assert.equal(r.status, 400, `${pw}: ${r.text}`);
		assert.equal(r.json.code, 'validation_failed');
		assert.ok(Array.isArray(r.json.errors));
		assert.equal(r.json.errors[0].field, 'password');
		assert.ok(r.json.errors[0].message);
	}
	assert.deepEqual(await allUsers(), before);
	assert.equal(await loginStatus('u_policy', 'short1A'), 401);

	/* the same policy on an admin reset; the old password stays */
	const agent3 = before.find((u) => u.username === 'agent3');
	const r = await s.api('POST', `/api/v1/users/${agent3.user_id}/password`,
		{ password: 'weak' }, admin);
	assert.equal(r.status, 400);
	assert.equal(r.json.code, 'validation_failed');
	assert.equal(await loginStatus('agent3', 'Agent@2026'), 200);
	assert.equal(await loginStatus('agent3', 'weak'), 401);
});

test('other bad bodies are 400 with the field named', async () => {
	const before = await allUsers();
	const cases = [
		[{ username: 'u_bad', password: 'Good@2026', role: 'boss' },
			'role'],
		[{ username: 'bad name', password: 'Good@2026', role: 'agent' },
			'username'],
		[{ password: 'Good@2026', role: 'agent' }, 'username'],
		[{ username: 'u_bad', password: 'Good@2026', role: 'agent',
			is_root: true }, 'is_root'],
	];
	for (const [body, field] of cases) {
		const r = await s.api('POST', '/api/v1/users', body, admin);
		assert.equal(r.status, 400, JSON.stringify(body));
		assert.equal(r.json.code, 'validation_failed');
		assert.ok(r.json.errors.some((e) => e.field === field),
			`${field}: ${r.text}`);
	}
	assert.deepEqual(await allUsers(), before);
});
