// Tenant isolation: through the API (another tenant's ids answer 404 and
// change nothing) and in the database itself (the runtime role sees no
// row of a tenant it is not scoped to, with no WHERE clause at all).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, wsAuthed } from '../lib/stack.mjs';

let s;
let demo;       /* demo admin token */
let b;          /* tenant B: { tenant, token } */
let demoUser;   /* a demo user B will try to reach */

before(async () => {
	s = await startStack();
	demo = await s.token(s.admin);
	const op = await s.token(s.operator);
	const r = await s.api('POST', '/api/v1/tenants', { code: 'beta',
		name: 'Beta 公司', seat_quota: 5, admin: { username: 'boss',
			password: 'Beta@20261' } }, op);
	assert.equal(r.status, 201, r.text);
	b = { tenant: r.json, token: await s.token({ tenant: 'beta',
		username: 'boss', password: 'Beta@20261' }) };
	const u = await s.api('GET', '/api/v1/users?limit=200', null, demo);
	demoUser = u.json.items.find((x) => x.username === 'agent1');
	assert.ok(demoUser);
});
after(async () => { await s?.stop(); });

test("another tenant's user id answers 404 for every method", async () => {
	const id = demoUser.user_id;
	const calls = [
		['GET', `/api/v1/users/${id}`],
		['PATCH', `/api/v1/users/${id}`, { display_name: 'pwned' }],
		['POST', `/api/v1/users/${id}/password`, { password:
			'Pwned@20261' }],
		['DELETE', `/api/v1/users/${id}`],
	];
	for (const [m, p, body] of calls) {
		const r = await s.api(m, p, body, b.token);
		assert.equal(r.status, 404, `${m} ${p}`);
		assert.equal(r.json.code, 'not_found');
	}
	const still = await s.api('GET', `/api/v1/users/${id}`, null, demo);
	assert.equal(still.status, 200);
	assert.equal(still.json.display_name, demoUser.display_name);
	assert.equal(still.json.updated_at, demoUser.updated_at);
	await s.login('demo', 'agent1', 'Agent@2026');
});

test("another tenant's API key id answers 404 and stays usable",
	async () => {
		const k = await s.api('POST', '/api/v1/api-keys', { name: 'crm',
			role: 'admin' }, demo);
		assert.equal(k.status, 201);
		const r = await s.api('DELETE',
			`/api/v1/api-keys/${k.json.api_key_id}`, null, b.token);
		assert.equal(r.status, 404);
		const me = await s.api('GET', '/api/v1/me', null, k.json.key);
		assert.equal(me.status, 200);
		assert.equal(me.json.tenant_id, demoUser.tenant_id);
	});

test('lists and the audit log show only the own tenant', async () => {
	const users = await s.api('GET', '/api/v1/users?limit=200', null,
		b.token);
	assert.equal(users.status, 200);
	assert.deepEqual(users.json.items.map((u) => u.username), ['boss']);
	const keys = await s.api('GET', '/api/v1/api-keys', null, b.token);
	assert.deepEqual(keys.json.items, []);
	const audit = await s.api('GET', '/api/v1/audit?limit=200', null,
		b.token);
	assert.ok(audit.json.items.length > 0);
	for (const a of audit.json.items)
		assert.notEqual(a.actor_name, 'admin', JSON.stringify(a));
	const tenants = await s.api('GET', '/api/v1/tenants', null, b.token);
	assert.equal(tenants.status, 403);
});

test("one tenant's events never reach another tenant's socket",
	async () => {
		const wa = await wsAuthed(s, demo, ['user']);
		const wb = await wsAuthed(s, b.token, ['user']);
		const ra = await s.api('POST', '/api/v1/users', { username:
			'only_demo', password: 'Demo@20261', role: 'agent' }, demo);
		assert.equal(ra.status, 201);
		const rb = await s.api('POST', '/api/v1/users', { username:
			'only_beta', password: 'Beta@20261', role: 'agent' },
		b.token);
		assert.equal(rb.status, 201);
		const evA = await wa.next((m) => m.type === 'user.created');
		assert.equal(evA.data.username, 'only_demo');
		/* B's first user event is its own: demo's was never queued */
		const evB = await wb.next((m) => m.type === 'user.created');
		assert.equal(evB.data.username, 'only_beta');
		assert.equal(evB.tenant, b.tenant.tenant_id);
		wa.close();
		wb.close();
	});

test('the runtime role is no owner and cannot bypass RLS', () => {
	const role = s.db.psql('SELECT rolsuper, rolbypassrls FROM pg_roles ' +
		'WHERE rolname = current_user');
	assert.equal(role, 'f|f');
	const owned = s.db.psql('SELECT count(*) FROM pg_tables WHERE ' +
		"schemaname = 'public' AND tableowner = current_user");
	assert.equal(owned, '0');
	const forced = s.db.psql('SELECT bool_and(relrowsecurity AND ' +
		"relforcerowsecurity) FROM pg_class WHERE relnamespace = " +
		"'public'::regnamespace AND relkind = 'r' AND relname <> " +
		"'schema_migrations'", true);
	assert.equal(forced, 't');
});

test('no tenant set: the runtime role sees 0 rows, no WHERE needed', () => {
	assert.ok(Number(s.db.psql('SELECT count(*) FROM users', true)) > 7);
	for (const t of ['users', 'api_keys', 'audit_log', 'tenants',
		'sessions', 'operators', 'idempotency_keys'])
		assert.equal(s.db.psql(`SELECT count(*) FROM ${t}`), '0', t);
});

test("scoped to B: only B's rows, and no row can be written for A", () => {
	const bid = b.tenant.tenant_id;
	const scope = `SELECT set_config('openseat.tenant_id', '${bid}', ` +
		'false);';
	const seen = s.db.psql(`${scope} SELECT count(*), ` +
		'count(DISTINCT tenant_id) FROM users').split('\n').pop();
	assert.equal(seen, '2|1');
	assert.throws(() => s.db.psql(`${scope} INSERT INTO users ` +
		'(tenant_id, username, role, password_hash) VALUES ' +
		`('${demoUser.tenant_id}', 'sneak', 'admin', 'x')`),
	/row-level security/);
	assert.throws(() => s.db.psql(`${scope} UPDATE users SET ` +
		`tenant_id = '${demoUser.tenant_id}'`), /row-level security/);
	assert.equal(s.db.psql("SELECT count(*) FROM users WHERE username = " +
		"'sneak'", true), '0');
});
