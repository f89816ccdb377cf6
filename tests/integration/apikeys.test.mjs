// API keys: created by admins, shown once, usable as Bearer with their
// role's rights, revoked at once, audited.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';

let s;
let admin;          // admin access token
let adminId;
before(async () => {
	s = await startStack();
	const a = await s.login('demo', 'admin', 'Admin@2026');
	admin = a.access_token;
	adminId = a.user.user_id;
});
after(async () => { await s?.stop(); });

const KEYS = '/api/v1/api-keys';

function assertProblem(r, status, code, what = '') {
	assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
	assert.match(r.headers.get('content-type') || '',
		/application\/problem\+json/, what);
	assert.equal(r.json?.code, code, `${what}: ${r.text}`);
}

async function listKeys(token = admin) {
	const r = await s.api('GET', `${KEYS}?limit=200`, null, token);
	assert.equal(r.status, 200, r.text);
	return r;
}

async function audit(action) {
	const r = await s.api('GET', `/api/v1/audit?action=${action}&limit=200`,
		null, admin);
	assert.equal(r.status, 200, r.text);
	return r.json.items;
}

async function create(name, role, token = admin) {
	const r = await s.api('POST', KEYS, { name, role }, token);
	assert.equal(r.status, 201, r.text);
	return r.json;
}

test('create shows the key once; the list never does', async () => {
	const before = (await listKeys()).json.items.length;
	const r = await s.api('POST', KEYS, { name: 'CRM 集成', role: 'admin' },
		admin);
	assert.equal(r.status, 201, r.text);
	const k = r.json;
	assert.match(k.api_key_id, /^[0-9a-f]{8}-[0-9a-f-]{27}$/);
	assert.equal(k.name, 'CRM 集成');
	assert.equal(k.role, 'admin');
	assert.match(k.key, /^osk_[A-Za-z0-9_-]{20,}$/);
	assert.ok(k.key.startsWith(k.prefix), `${k.prefix} vs key`);
	assert.ok(k.prefix.length < k.key.length - 16, 'prefix too long');
	assert.ok(k.created_at);

	const l = await listKeys();
	assert.equal(l.json.items.length, before + 1);
	const item = l.json.items.find((i) => i.api_key_id === k.api_key_id);
	assert.ok(item, l.text);
	assert.equal(item.key, undefined);
	assert.equal(item.key_hash, undefined);
	assert.equal(item.prefix, k.prefix);
	assert.equal(item.revoked_at, null);
	assert.ok('last_used_at' in item);
	assert.ok(!l.text.includes(k.key), 'list leaks the key');
	assert.ok(!l.text.includes(k.key.slice(k.prefix.length)),
		'list leaks the secret part');

	// nor does the database keep it in clear
	const dump = s.db.psql(`SELECT row_to_json(k)::text FROM api_keys k
		WHERE api_key_id = '${k.api_key_id}'`, true);
	assert.ok(dump.length > 0);
	assert.ok(!dump.includes(k.key.slice(k.prefix.length)),
		'key stored in clear');

	// two keys are never the same
	const k2 = await create('second', 'agent');
	assert.notEqual(k2.key, k.key);
});

test('a key authenticates as itself with its role\'s rights', async () => {
	const sup = await create('sup-key', 'supervisor');
	const agent = await create('agent-key', 'agent');
	const adm = await create('admin-key', 'admin');

	const m = await s.api('GET', '/api/v1/me', null, agent.key);
	assert.equal(m.status, 200, m.text);
	assert.equal(m.json.kind, 'api_key');
	assert.equal(m.json.api_key_id, agent.api_key_id);
	assert.equal(m.json.role, 'agent');
	assert.equal(m.json.name, 'agent-key');

	// supervisors may read users, agents may not
	const su = await s.api('GET', '/api/v1/users', null, sup.key);
	assert.equal(su.status, 200, su.text);
	assert.ok(su.json.items.some((u) => u.username === 'agent1'));
	assertProblem(await s.api('GET', '/api/v1/users', null, agent.key),
		403, 'forbidden', 'agent key on /users');
	assertProblem(await s.api('GET', '/api/v1/audit', null, sup.key),
		403, 'forbidden', 'supervisor key on /audit');
	assertProblem(await s.api('POST', '/api/v1/users', { username: 'viakey',
		password: 'Viakey@2026', role: 'agent' }, sup.key), 403,
	'forbidden', 'supervisor key creates a user');
	assertProblem(await s.api('GET', '/api/v1/tenants', null, adm.key),
		403, 'forbidden', 'admin key on operator route');

	// an admin key can do admin work
	const au = await s.api('GET', '/api/v1/users', null, adm.key);
	assert.equal(au.status, 200, au.text);
	const cu = await s.api('POST', '/api/v1/users', { username: 'viakey',
		password: 'Viakey@2026', role: 'agent' }, adm.key);
	assert.equal(cu.status, 201, cu.text);

	// use is recorded
	const item = (await listKeys()).json.items
		.find((i) => i.api_key_id === agent.api_key_id);
	assert.ok(item.last_used_at, 'last_used_at not set after use');
});

test('a key whose secret is altered is refused', async () => {
	const k = await create('alter', 'agent');
	const last = k.key.at(-1) === 'A' ? 'B' : 'A';
	for (const bad of [k.key.slice(0, -1) + last, k.key.slice(0, -1),
		k.key + 'A', k.prefix, k.key.toUpperCase().replace('OSK_', 'osk_')]) {
		if (bad === k.key)
			continue;
		assertProblem(await s.api('GET', '/api/v1/me', null, bad), 401,
			'unauthorized', bad);
	}
	assert.equal((await s.api('GET', '/api/v1/me', null, k.key)).status,
		200);
});

test('revoke: 204, the key stops working at once, audit entries', async () => {
	const k = await create('to-revoke', 'supervisor');
	// warm whatever cache there is
	assert.equal((await s.api('GET', '/api/v1/users', null, k.key)).status,
		200);

	const d = await s.api('DELETE', `${KEYS}/${k.api_key_id}`, null, admin);
	assert.equal(d.status, 204, d.text);
	assertProblem(await s.api('GET', '/api/v1/me', null, k.key), 401,
		'unauthorized', 'revoked key on /me');
	assertProblem(await s.api('GET', '/api/v1/users', null, k.key), 401,
		'unauthorized', 'revoked key on /users');

	const item = (await listKeys()).json.items
		.find((i) => i.api_key_id === k.api_key_id);
	assert.ok(item.revoked_at, 'revoked_at not set');

	const created = (await audit('api_key.create'))
		.filter((e) => e.target_id === k.api_key_id);
	assert.equal(created.length, 1, 'one api_key.create entry');
	assert.equal(created[0].actor_id, adminId);
	assert.equal(created[0].actor_kind, 'user');
	assert.equal(created[0].target_type, 'api_key');
	const revoked = (await audit('api_key.revoke'))
		.filter((e) => e.target_id === k.api_key_id);
	assert.equal(revoked.length, 1, 'one api_key.revoke entry');
	assert.equal(revoked[0].actor_id, adminId);

	// no audit entry anywhere holds the key
	const all = await s.api('GET', '/api/v1/audit?limit=200', null, admin);
	assert.ok(!all.text.includes(k.key));

	// revoking again changes nothing and is not a second revocation
	const again = await s.api('DELETE', `${KEYS}/${k.api_key_id}`, null,
		admin);
	assertProblem(again, 404, 'not_found', 'second revoke');
	const revoked2 = (await audit('api_key.revoke'))
		.filter((e) => e.target_id === k.api_key_id);
	assert.equal(revoked2.length, 1, 'a failed revoke wrote an audit entry');
});

test('revoking an unknown or malformed id is 404 and changes nothing',
	async () => {
		const before = (await audit('api_key.revoke')).length;
		const keysBefore = (await listKeys()).text;
		for (const id of ['00000000-0000-4000-8000-000000000000',
			'not-a-uuid', '1', '00000000-0000-4000-8000-00000000000g']) {
			assertProblem(await s.api('DELETE', `${KEYS}/${id}`, null, admin),
				404, 'not_found', id);
		}
		assert.equal((await audit('api_key.revoke')).length, before,
			'404 revocations were audited');
		assert.equal((await listKeys()).text, keysBefore);
	});

test('only admins create, list and revoke keys', async () => {
	const k = await create('keep', 'agent');
	const before = (await listKeys()).json.items.length;
	const sup = await s.token(s.supervisor);
	const ag = await s.token(s.agent);
	const supKey = await create('sup-escalate', 'supervisor');
	for (const [who, tok] of [['supervisor', sup], ['agent', ag],
		['supervisor key', supKey.key]]) {
		assertProblem(await s.api('POST', KEYS, { name: 'mine',
			role: 'admin' }, tok), 403, 'forbidden', `${who} create`);
		assertProblem(await s.api('GET', KEYS, null, tok), 403, 'forbidden',
			`${who} list`);
		assertProblem(await s.api('DELETE', `${KEYS}/${k.api_key_id}`, null,
			tok), 403, 'forbidden', `${who} revoke`);
	}
	assertProblem(await s.api('POST', KEYS, { name: 'anon', role: 'agent' }),
		401, 'unauthorized', 'anonymous');
	const after = await listKeys();
	assert.equal(after.json.items.length, before + 1);  // + sup-escalate
	assert.ok(!after.json.items.some((i) => i.name === 'mine'));
	assert.equal(after.json.items.find((i) => i.api_key_id ===
		k.api_key_id).revoked_at, null);
	assert.equal((await s.api('GET', '/api/v1/me', null, k.key)).status,
		200);
});

test('create validates name and role', async () => {
	const before = (await listKeys()).json.items.length;
	const cases = [
		[{ role: 'agent' }, 'name'],
		[{ name: 'x' }, 'role'],
		[{ name: '', role: 'agent' }, 'name'],
		[{ name: 'x'.repeat(101), role: 'agent' }, 'name'],
		[{ name: 'x', role: 'operator' }, 'role'],
		[{ name: 5, role: 'agent' }, 'name'],
		[{ name: 'x', role: 'agent', key: 'osk_mine' }, 'key'],
	];
	for (const [body, field] of cases) {
		const r = await s.api('POST', KEYS, body, admin);
		assertProblem(r, 400, 'validation_failed', JSON.stringify(body));
		assert.ok(r.json.errors.some((e) => e.field === field),
			`${JSON.stringify(body)}: ${r.text}`);
	}
	assert.equal((await listKeys()).json.items.length, before);
});

test('keys belong to their tenant', async () => {
	const demoKey = await create('demo-only', 'admin');
	const op = await s.token(s.operator);
	const t = await s.api('POST', '/api/v1/tenants', { code: 'keyco',
		name: 'Key Co', seat_quota: 5, admin: { username: 'boss',
			password: 'Boss@2026x' } }, op);
	assert.equal(t.status, 201, t.text);
	const other = await s.token({ tenant: 'keyco', username: 'boss',
		password: 'Boss@2026x' });

	const ol = await listKeys(other);
	assert.ok(!ol.json.items.some((i) => i.api_key_id ===
		demoKey.api_key_id), 'other tenant sees demo keys');
	assertProblem(await s.api('DELETE', `${KEYS}/${demoKey.api_key_id}`,
		null, other), 404, 'not_found', 'cross-tenant revoke');
	assert.equal((await s.api('GET', '/api/v1/me', null, demoKey.key))
		.status, 200, 'cross-tenant revoke took effect');

	// demo's admin key reads demo users only
	const u = await s.api('GET', '/api/v1/users?limit=200', null,
		demoKey.key);
	assert.equal(u.status, 200);
	assert.ok(!u.json.items.some((x) => x.username === 'boss'));
	assert.ok(u.json.items.every((x) => x.tenant_id ===
		u.json.items[0].tenant_id));
});
