// Tenants API (platform operator only): create with an admin, list, get,
// update, bad codes, duplicates, suspend and resume.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';

let s;
let op;
let admin;
before(async () => {
	s = await startStack();
	op = await s.token(s.operator);
	admin = await s.token(s.admin);
});
after(async () => { await s?.stop(); });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function allTenants() {
	const r = await s.api('GET', '/api/v1/tenants?limit=200', null, op);
	assert.equal(r.status, 200, r.text);
	return r.json.items;
}

function login(tenant, username, password) {
	return s.api('POST', '/api/v1/auth/login', { tenant, username,
		password });
}

let acme;   /* the tenant created below */

test('only the operator may use /tenants; a tenant admin gets 403',
	async () => {
		const before = await allTenants();
		const demo = before.find((t) => t.code === 'demo');
		const body = { code: 'evil', name: 'Evil' };
		for (const tok of [admin, await s.token(s.supervisor)]) {
			const calls = [['GET', '/api/v1/tenants'],
				['POST', '/api/v1/tenants', body],
				['GET', `/api/v1/tenants/${demo.tenant_id}`],
				['PATCH', `/api/v1/tenants/${demo.tenant_id}`,
					{ seat_quota: 999 }]];
			for (const [m, p, b] of calls) {
				const r = await s.api(m, p, b, tok);
				assert.equal(r.status, 403, `${m} ${p}`);
				assert.equal(r.json.code, 'forbidden');
			}
		}
		assert.equal((await s.api('GET', '/api/v1/tenants')).status, 401);
		assert.deepEqual(await allTenants(), before);
		assert.ok(!before.some((t) => t.code === 'evil'));
	});

test('create a tenant with its admin; that admin signs in', async () => {
	const r = await s.api('POST', '/api/v1/tenants', { code: 'acme',
		name: 'Acme 公司', seat_quota: 20, admin: { username: 'root',
			password: 'Acme@20261', display_name: '管理员' } }, op);
	assert.equal(r.status, 201, r.text);
	acme = r.json;
	assert.match(acme.tenant_id, UUID);
	assert.equal(acme.code, 'acme');
	assert.equal(acme.name, 'Acme 公司');
	assert.equal(acme.seat_quota, 20);
	assert.equal(acme.status, 'active');
	assert.equal(acme.user_count, 1);
	assert.ok(acme.created_at && acme.updated_at);

	const l = await s.login('acme', 'root', 'Acme@20261');
	assert.equal(l.user.role, 'admin');
	assert.equal(l.user.tenant_id, acme.tenant_id);
	assert.equal(l.user.display_name, '管理员');
	const me = await s.api('GET', '/api/v1/me', null, l.access_token);
	assert.equal(me.json.tenant_code, 'acme');
	assert.equal(me.json.tenant_name, 'Acme 公司');
	const users = await s.api('GET', '/api/v1/users', null,
		l.access_token);
	assert.deepEqual(users.json.items.map((u) => u.username), ['root']);
	/* not a demo user */
	assert.equal((await login('demo', 'root', 'Acme@20261')).status, 401);

	/* without an admin, the default quota */
	const bare = await s.api('POST', '/api/v1/tenants', { code: 'bare-1',
		name: 'Bare' }, op);
	assert.equal(bare.status, 201, bare.text);
	assert.equal(bare.json.user_count, 0);
	assert.equal(typeof bare.json.seat_quota, 'number');
});

test('list pages through every tenant; get one', async () => {
	const all = await allTenants();
	const codes = all.map((t) => t.code);
	assert.ok(codes.includes('demo') && codes.includes('acme'), codes);
	const seen = [];
	let cursor = null;
	let pages = 0;
	do {
		const r = await s.api('GET', '/api/v1/tenants?limit=1' + (cursor ?
			`&cursor=${encodeURIComponent(cursor)}` : ''), null, op);
		assert.equal(r.status, 200);
		assert.ok(r.json.items.length === 1);
		seen.push(r.json.items[0].tenant_id);
		cursor = r.json.next_cursor;
		assert.ok(++pages <= all.length);
	} while (cursor);
	assert.deepEqual(seen, all.map((t) => t.tenant_id));

	const g = await s.api('GET', `/api/v1/tenants/${acme.tenant_id}`, null,
		op);
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, acme);
	const demo = all.find((t) => t.code === 'demo');
	assert.equal(demo.name, '演示企业');
	assert.equal(demo.seat_quota, 20);
	assert.equal(demo.user_count, 8);   /* admin, supervisor, agent1-6 */

	for (const id of ['nope', '00000000-0000-4000-8000-000000000000']) {
		const n = await s.api('GET', `/api/v1/tenants/${id}`, null, op);
		assert.equal(n.status, 404, id);
		assert.equal(n.json.code, 'not_found');
	}
});

test('update seat_quota and name; bad values change nothing', async () => {
	const u = await s.api('PATCH', `/api/v1/tenants/${acme.tenant_id}`,
		{ seat_quota: 35 }, op);
	assert.equal(u.status, 200, u.text);
	assert.equal(u.json.seat_quota, 35);
	assert.equal(u.json.name, 'Acme 公司');
	assert.equal(u.json.code, 'acme');
	const g = await s.api('GET', `/api/v1/tenants/${acme.tenant_id}`, null,
		op);
	assert.equal(g.json.seat_quota, 35);
	const n = await s.api('PATCH', `/api/v1/tenants/${acme.tenant_id}`,
		{ name: 'Acme 集团' }, op);
	assert.equal(n.status, 200);
	assert.equal(n.json.name, 'Acme 集团');
	assert.equal(n.json.seat_quota, 35, 'an absent field is kept');
	acme = n.json;

	for (const body of [{ seat_quota: -1 }, { seat_quota: 'many' },
		{ seat_quota: 100001 }, { status: 'deleted' }, { name: '' },
		{ code: 'renamed' }]) {
		const r = await s.api('PATCH', `/api/v1/tenants/${acme.tenant_id}`,
			body, op);
		assert.equal(r.status, 400, JSON.stringify(body));
		assert.equal(r.json.code, 'validation_failed');
		assert.ok(r.json.errors.length > 0);
	}
	const after = await s.api('GET', `/api/v1/tenants/${acme.tenant_id}`,
		null, op);
	assert.deepEqual(after.json, acme);

	const missing = await s.api('PATCH',
		'/api/v1/tenants/00000000-0000-4000-8000-000000000000',
		{ seat_quota: 3 }, op);
	assert.equal(missing.status, 404);
});

test('a bad code pattern is 400 and creates nothing', async () => {
	const before = await allTenants();
	for (const code of ['Acme', 'a', '-lead', 'sp ace', 'dot.ted', '租户',
		'x'.repeat(33), 'under_score', '']) {
		const r = await s.api('POST', '/api/v1/tenants', { code, name:
			'Bad' }, op);
		assert.equal(r.status, 400, `${code}: ${r.text}`);
		assert.equal(r.json.code, 'validation_failed');
		assert.ok(r.json.errors.some((e) => e.field === 'code'), r.text);
	}
	/* a bad admin password fails the whole create */
	const weak = await s.api('POST', '/api/v1/tenants', { code: 'weakling',
		name: 'Weak', admin: { username: 'root', password: 'weak' } }, op);
	assert.equal(weak.status, 400);
	assert.equal(weak.json.errors[0].field, 'admin.password');
	assert.deepEqual(await allTenants(), before);
});

test('a duplicate code is 409 conflict and changes nothing', async () => {
	const before = await allTenants();
	const r = await s.api('POST', '/api/v1/tenants', { code: 'acme', name:
		'Other', seat_quota: 1, admin: { username: 'other', password:
			'Other@2026' } }, op);
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.code, 'conflict');
	const d = await s.api('POST', '/api/v1/tenants', { code: 'demo', name:
		'Demo 2' }, op);
	assert.equal(d.status, 409);
	assert.deepEqual(await allTenants(), before);
	assert.equal((await login('acme', 'other', 'Other@2026')).status, 401);
});

test('suspend: sign-in 403 tenant_suspended, tokens refused; resume',
	async () => {
		const held = await s.login('acme', 'root', 'Acme@20261');
		const key = await s.api('POST', '/api/v1/api-keys', { name: 'crm',
			role: 'admin' }, held.access_token);
		assert.equal(key.status, 201);
		assert.equal((await s.api('GET', '/api/v1/me', null,
			held.access_token)).status, 200);

		const p = await s.api('PATCH', `/api/v1/tenants/${acme.tenant_id}`,
			{ status: 'suspended' }, op);
		assert.equal(p.status, 200, p.text);
		assert.equal(p.json.status, 'suspended');

		const l = await login('acme', 'root', 'Acme@20261');
		assert.equal(l.status, 403);
		assert.equal(l.json.code, 'tenant_suspended');
		assert.equal(l.json.access_token, undefined);
		/* wrong password still reveals nothing more */
		assert.equal((await login('acme', 'root', 'Wrong@2026')).status,
			401);
		for (const tok of [held.access_token, key.json.key]) {
			const r = await s.api('GET', '/api/v1/me', null, tok);
			assert.equal(r.status, 403, tok.slice(0, 4));
			assert.equal(r.json.code, 'tenant_suspended');
			const w = await s.api('POST', '/api/v1/users', { username:
				'during', password: 'During@2026', role: 'agent' }, tok);
			assert.equal(w.status, 403);
		}
		const rf = await s.api('POST', '/api/v1/auth/refresh',
			{ refresh_token: held.refresh_token });
		assert.notEqual(rf.status, 200, 'refresh while suspended');
		assert.equal(rf.json.access_token, undefined);

		/* other tenants are untouched */
		assert.equal((await s.api('GET', '/api/v1/me', null, admin)).status,
			200);

		const r = await s.api('PATCH', `/api/v1/tenants/${acme.tenant_id}`,
			{ status: 'active' }, op);
		assert.equal(r.status, 200);
		assert.equal(r.json.status, 'active');
		const again = await s.login('acme', 'root', 'Acme@20261');
		const users = await s.api('GET', '/api/v1/users', null,
			again.access_token);
		assert.equal(users.status, 200);
		assert.ok(!users.json.items.some((u) => u.username === 'during'));
		assert.equal((await s.api('GET', '/api/v1/me', null,
			held.access_token)).status, 200);
		assert.equal((await s.api('GET', '/api/v1/me', null,
			key.json.key)).status, 200);
	});
