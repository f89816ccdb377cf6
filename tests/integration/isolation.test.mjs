// Tenant isolation end to end: tenant B's admin cannot see or touch the
// demo tenant through the API or the WebSocket, and the database itself
// (Row Level Security on the runtime role) hides other tenants' rows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, wsAuthed } from '../lib/stack.mjs';

let s;
let demo;        /* demo admin token */
let demoTid;     /* demo tenant id */
let B;           /* { tenant, token } */
let demoKeyId;   /* a demo API key B tried to revoke */

before(async () => {
	s = await startStack();
	demo = await s.token(s.admin);
	demoTid = (await s.api('GET', '/api/v1/me', null, demo)).json.tenant_id;
	const op = await s.token(s.operator);
	const r = await s.api('POST', '/api/v1/tenants', { code: 'tenant-b',
		name: 'B 公司', seat_quota: 5, admin: { username: 'badmin',
			password: 'Bbbb@20261', display_name: 'B 管理员' } }, op);
	assert.equal(r.status, 201, r.text);
	B = { tenant: r.json, token: await s.token({ tenant: 'tenant-b',
		username: 'badmin', password: 'Bbbb@20261' }) };
});
after(async () => { await s?.stop(); });

async function demoUsers() {
	const r = await s.api('GET', '/api/v1/users?limit=200', null, demo);
	assert.equal(r.status, 200);
	return r.json.items;
}

test("B's admin gets 404 for demo's user ids and changes nothing",
	async () => {
		const before = await demoUsers();
		assert.ok(before.length >= 7);
		for (const u of before) {
			const id = u.user_id;
			const calls = [
				['GET', `/api/v1/users/${id}`],
				['PATCH', `/api/v1/users/${id}`, { display_name: 'owned',
					role: 'agent', disabled: true }],
				['POST', `/api/v1/users/${id}/password`,
					{ password: 'Owned@20261' }],
				['DELETE', `/api/v1/users/${id}`],
			];
			for (const [m, p, body] of calls) {
				const r = await s.api(m, p, body, B.token);
				assert.equal(r.status, 404, `${m} ${u.username}: ${r.text}`);
				assert.equal(r.json.code, 'not_found');
				assert.ok(!r.text.includes(u.username), r.text);
			}
		}
		/* seen by demo's admin: nothing changed at all */
		assert.deepEqual(await demoUsers(), before);
		for (const [who, pw] of [['admin', 'Admin@2026'],
			['agent1', 'Agent@2026']])
			await s.login('demo', who, pw);
		const old = await s.api('POST', '/api/v1/auth/login', { tenant:
			'demo', username: 'agent2', password: 'Owned@20261' });
		assert.equal(old.status, 401);
	});

test("B's lists show only B's users, API keys and audit", async () => {
	const k = await s.api('POST', '/api/v1/api-keys', { name: 'demo-crm',
		role: 'admin' }, demo);
	assert.equal(k.status, 201);
	const bk = await s.api('POST', '/api/v1/api-keys', { name: 'b-crm',
		role: 'agent' }, B.token);
	assert.equal(bk.status, 201);
	/* demo's key cannot be revoked by B, and still works */
	const rv = await s.api('DELETE', `/api/v1/api-keys/${k.json.api_key_id}`,
		null, B.token);
	assert.equal(rv.status, 404);
	assert.equal((await s.api('GET', '/api/v1/me', null, k.json.key))
		.status, 200);

	const users = await s.api('GET', '/api/v1/users?limit=200', null,
		B.token);
	assert.equal(users.status, 200);
	assert.deepEqual(users.json.items.map((u) => u.username), ['badmin']);
	assert.equal(users.json.items[0].tenant_id, B.tenant.tenant_id);

	const keys = await s.api('GET', '/api/v1/api-keys?limit=200', null,
		B.token);
	assert.equal(keys.status, 200);
	assert.deepEqual(keys.json.items.map((x) => x.name), ['b-crm']);
	const dkeys = await s.api('GET', '/api/v1/api-keys?limit=200', null,
		demo);
	assert.ok(dkeys.json.items.some((x) => x.name === 'demo-crm'));
	assert.ok(!dkeys.json.items.some((x) => x.name === 'b-crm'));

	const audit = await s.api('GET', '/api/v1/audit?limit=200', null,
		B.token);
	assert.equal(audit.status, 200);
	const acts = audit.json.items.map((a) => a.action);
	assert.ok(acts.includes('api_key.create'), acts);
	assert.ok(acts.includes('auth.login'), acts);
	const demoIds = new Set((await demoUsers()).map((u) => u.user_id));
	for (const a of audit.json.items)
		assert.ok(!demoIds.has(a.actor_id), JSON.stringify(a));
	assert.ok(!audit.json.items.some((a) => a.action === 'api_key.create' &&
		a.target_id === k.json.api_key_id));
	/* the demo admin's own audit has demo's key and not B's */
	const da = await s.api('GET', '/api/v1/audit?limit=200', null, demo);
	const targets = da.json.items.map((a) => a.target_id);
	assert.ok(targets.includes(k.json.api_key_id));
	assert.ok(!targets.includes(bk.json.api_key_id));
	for (const a of da.json.items)
		assert.notEqual(a.actor_name, 'badmin', JSON.stringify(a));
	demoKeyId = k.json.api_key_id;
});

test("B's refused attempts on demo's ids leave no audit entry", async () => {
	/* they changed nothing, so there is nothing to record */
	const demoIds = new Set((await demoUsers()).map((u) => u.user_id));
	demoIds.add(demoKeyId);
	const audit = await s.api('GET', '/api/v1/audit?limit=200', null,
		B.token);
	const bogus = audit.json.items.filter((a) => demoIds.has(a.target_id));
	assert.deepEqual(bogus.map((a) => `${a.action} ${a.target_id}`), []);
});

test("demo's event never reaches B's WebSocket; B's own does", async () => {
	const wd = await wsAuthed(s, demo, ['user']);
	const wb = await wsAuthed(s, B.token, ['user']);
	const rd = await s.api('POST', '/api/v1/users', { username: 'demo_only',
		password: 'Demo@20261', role: 'agent' }, demo);
	assert.equal(rd.status, 201);
	const evD = await wd.next('user.created');
	assert.equal(evD.data.username, 'demo_only');
	assert.equal(evD.tenant, demoTid);

	const rb = await s.api('POST', '/api/v1/users', { username: 'b_only',
		password: 'Bbbb@20262', role: 'agent' }, B.token);
	assert.equal(rb.status, 201);
	/* events go out in order: B's first user event is its own */
	const evB = await wb.next('user.created');
	assert.equal(evB.data.username, 'b_only');
	assert.equal(evB.tenant, B.tenant.tenant_id);
	await assert.rejects(wb.next((m) => m.tenant === demoTid ||
		JSON.stringify(m).includes('demo_only'), 1));
	/* and demo's socket never saw B's: a pong comes first */
	wd.send({ type: 'ping' });
	const m = await wd.next((x) => x.type === 'pong' ||
		x.data?.username === 'b_only');
	assert.equal(m.type, 'pong');
	wd.close();
	wb.close();
});

test('the runtime role owns no table and has no BYPASSRLS', () => {
	assert.equal(s.db.psql('SELECT current_user'), 'openseat_app');
	assert.equal(s.db.psql('SELECT rolsuper, rolbypassrls, rolcreaterole ' +
		"FROM pg_roles WHERE rolname = 'openseat_app'"), 'f|f|f');
	assert.equal(s.db.psql("SELECT count(*) FROM pg_tables WHERE " +
		"tableowner = 'openseat_app'", true), '0');
	assert.equal(s.db.psql("SELECT count(*) FROM pg_class c JOIN pg_roles " +
		"r ON r.oid = c.relowner WHERE r.rolname = 'openseat_app'", true),
	'0');
	/* every tenant table has RLS on and forced */
	const rows = s.db.psql("SELECT tablename, rowsecurity FROM pg_tables " +
		"WHERE schemaname = 'public' AND tablename IN ('users', " +
		"'api_keys', 'audit_log', 'sessions', 'idempotency_keys') " +
		'ORDER BY 1', true).split('\n');
	assert.equal(rows.length, 5, rows.join());
	for (const r of rows)
		assert.match(r, /\|t$/, r);
	/*
	 * The one BYPASSRLS role the runtime role may switch to is the
	 * operator role (used explicitly for operator-wide queries).
	 */
	assert.equal(s.db.psql('SELECT string_agg(r.rolname, \',\') FROM ' +
		'pg_roles r WHERE r.rolbypassrls AND NOT r.rolsuper AND ' +
		"pg_has_role('openseat_app', r.oid, 'MEMBER')", true),
	'openseat_operator');
});

test('no tenant set: the runtime role counts 0 users, superuser more',
	() => {
		const all = Number(s.db.psql('SELECT count(*) FROM users', true));
		assert.ok(all > 8, `superuser sees ${all}`);
		assert.equal(s.db.psql('SELECT count(*) FROM users'), '0');
		assert.equal(s.db.psql('SELECT count(*) FROM api_keys'), '0');
		assert.equal(s.db.psql('SELECT count(*) FROM audit_log'), '0');
	});

test("scoped to B: only B's rows with no WHERE; no row for demo", () => {
	const bid = B.tenant.tenant_id;
	const scope = `SELECT set_config('openseat.tenant_id','${bid}',false);`;
	const bCount = s.db.psql('SELECT count(*) FROM users WHERE tenant_id ' +
		`= '${bid}'`, true);
	const demoCount = Number(s.db.psql('SELECT count(*) FROM users WHERE ' +
		`tenant_id = '${demoTid}'`, true));
	assert.ok(Number(bCount) >= 2 && demoCount > Number(bCount));
	const out = s.db.psql(`${scope} SELECT count(*) FROM users`)
		.split('\n');
	assert.equal(out[0], bid);
	assert.equal(out.pop(), bCount);
	const names = s.db.psql(`${scope} SELECT string_agg(username, ',' ` +
		'ORDER BY username) FROM users').split('\n').pop();
	assert.equal(names, 'b_only,badmin');

	const before = s.db.psql('SELECT count(*) FROM users', true);
	assert.throws(() => s.db.psql(`${scope} INSERT INTO users (tenant_id, ` +
		"username, role, password_hash) VALUES ('" + demoTid +
		"', 'planted', 'admin', 'x')"), /row-level security/);
	/* demo's rows are invisible to UPDATE/DELETE: nothing happens */
	const upd = s.db.psql(`${scope} UPDATE users SET display_name = ` +
		`'owned' WHERE tenant_id = '${demoTid}'`).split('\n').pop();
	assert.equal(upd, 'UPDATE 0');
	const del = s.db.psql(`${scope} DELETE FROM users WHERE tenant_id = ` +
		`'${demoTid}'`).split('\n').pop();
	assert.equal(del, 'DELETE 0');
	assert.equal(s.db.psql('SELECT count(*) FROM users', true), before);
	assert.equal(s.db.psql("SELECT count(*) FROM users WHERE username = " +
		"'planted' OR display_name = 'owned'", true), '0');
	/* and moving one of B's rows into demo is refused too */
	assert.throws(() => s.db.psql(`${scope} UPDATE users SET tenant_id = ` +
		`'${demoTid}' WHERE username = 'b_only'`), /row-level security/);
});
