// Idempotency-Key: a POST runs once per (principal, key).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startStack } from '../lib/stack.mjs';

let s;
let admin;
before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
});
after(async () => { await s?.stop(); });

const USERS = '/api/v1/users';

function assertProblem(r, status, code, what = '') {
	assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
	assert.equal(r.json?.code, code, `${what}: ${r.text}`);
}

const post = (body, key, token = admin) => s.api('POST', USERS, body, token,
	key === undefined ? {} : { 'idempotency-key': key });

/** Rows (deleted or not) with this username in the demo tenant. */
function dbCount(username) {
	return Number(s.db.psql(`SELECT count(*) FROM users WHERE username =
		'${username}'`, true));
}

async function listCount() {
	const r = await s.api('GET', `${USERS}?limit=200`, null, admin);
	assert.equal(r.status, 200, r.text);
	return r.json.items.length;
}

const body = (username, extra = {}) => ({ username, password: 'Idem@2026x',
	role: 'agent', ...extra });

test('same key and body twice: one user, the second is a replay',
	async () => {
		const before = await listCount();
		const key = randomUUID();
		const a = await post(body('idem1'), key);
		assert.equal(a.status, 201, a.text);
		assert.equal(a.headers.get('idempotent-replayed'), null);

		const b = await post(body('idem1'), key);
		assert.equal(b.status, 201, b.text);
		assert.equal(b.headers.get('idempotent-replayed'), 'true');
		assert.deepEqual(b.json, a.json);
		assert.match(b.headers.get('content-type') || '',
			/application\/json/);

		// a third time, from a new sign-in of the same user: still a replay
		const c = await post(body('idem1'), key, await s.token(s.admin));
		assert.equal(c.status, 201, c.text);
		assert.equal(c.headers.get('idempotent-replayed'), 'true');
		assert.equal(c.json.user_id, a.json.user_id);

		assert.equal(dbCount('idem1'), 1);
		assert.equal(await listCount(), before + 1);
		const au = await s.api('GET', '/api/v1/audit?action=user.create' +
			'&limit=200', null, admin);
		assert.equal(au.json.items.filter((e) => e.target_id ===
			a.json.user_id).length, 1, 'audited more than once');
	});

test('without a key the same request runs again', async () => {
	const a = await post(body('idem-nokey'));
	assert.equal(a.status, 201, a.text);
	const b = await post(body('idem-nokey'));
	assertProblem(b, 409, 'conflict', 'second create without key');
	assert.equal(b.headers.get('idempotent-replayed'), null);
});

test('same key, different body: 422 idempotency_mismatch', async () => {
	const before = await listCount();
	const key = randomUUID();
	const a = await post(body('idem2'), key);
	assert.equal(a.status, 201, a.text);
	for (const other of [body('idem2b'), body('idem2', { role: 'admin' }),
		body('idem2', { display_name: 'x' })]) {
		const r = await post(other, key);
		assertProblem(r, 422, 'idempotency_mismatch', JSON.stringify(other));
		assert.equal(r.headers.get('idempotent-replayed'), null);
	}
	assert.equal(dbCount('idem2b'), 0);
	const u = await s.api('GET', `${USERS}/${a.json.user_id}`, null, admin);
	assert.equal(u.json.role, 'agent');
	assert.equal(await listCount(), before + 1);
	// the original still replays
	const again = await post(body('idem2'), key);
	assert.equal(again.status, 201);
	assert.equal(again.headers.get('idempotent-replayed'), 'true');
});

test('the same key on another route is a mismatch, not a replay',
	async () => {
		const key = randomUUID();
		const a = await post(body('idem3'), key);
		assert.equal(a.status, 201, a.text);
		const k = await s.api('POST', '/api/v1/api-keys',
			{ name: 'idem3', role: 'agent' }, admin,
			{ 'idempotency-key': key });
		assert.notEqual(k.status, 201, 'ran as a new request: ' + k.text);
		assertProblem(k, 422, 'idempotency_mismatch', 'other route');
	});

test('different principals with the same key are independent', async () => {
	const key = 'shared-key-' + randomUUID();
	const a = await post(body('idem4a'), key);
	assert.equal(a.status, 201, a.text);

	// a second admin of the same tenant
	const mk = await post({ username: 'admin2', password: 'Admin2@2026',
		role: 'admin' });
	assert.equal(mk.status, 201, mk.text);
	const admin2 = await s.token({ tenant: 'demo', username: 'admin2',
		password: 'Admin2@2026' });

	// different body: runs (no mismatch with the other principal's key)
	const b = await post(body('idem4b'), key, admin2);
	assert.equal(b.status, 201, b.text);
	assert.equal(b.headers.get('idempotent-replayed'), null);
	assert.notEqual(b.json.user_id, a.json.user_id);

	// an API key is a principal of its own: the first principal's body
	// under the same key is not replayed to it but runs, and so meets
	// the existing username
	const k = await s.api('POST', '/api/v1/api-keys',
		{ name: 'idem-key', role: 'admin' }, admin);
	assert.equal(k.status, 201, k.text);
	const c = await post(body('idem4a'), key, k.json.key);
	assertProblem(c, 409, 'conflict', 'same body, other principal');
	assert.equal(c.headers.get('idempotent-replayed'), null);
	const d = await post(body('idem4d'), 'other-' + key, k.json.key);
	assert.equal(d.status, 201, d.text);

	// and the first principal still gets its own replay
	const e = await post(body('idem4a'), key);
	assert.equal(e.status, 201, e.text);
	assert.equal(e.headers.get('idempotent-replayed'), 'true');
	assert.equal(e.json.user_id, a.json.user_id);
	for (const u of ['idem4a', 'idem4b', 'idem4d'])
		assert.equal(dbCount(u), 1, u);
});

test('an error answer is replayed as well', async () => {
	const key = randomUUID();
	const a = await post(body('admin'), key);     // username taken
	assertProblem(a, 409, 'conflict', 'first');
	const b = await post(body('admin'), key);
	assertProblem(b, 409, 'conflict', 'replay');
	assert.equal(b.headers.get('idempotent-replayed'), 'true');
	assert.equal(b.text, a.text);
});

test('a repeat sent the moment the answer came is a replay', async () => {
	/* the reply leaves once it is stored: a client retrying at once
	 * must not meet "still running" (a 409 seen on a loaded machine).
	 * The database stores slowly here, so an early reply would lose */
	s.db.psql(`CREATE FUNCTION slow_store() RETURNS trigger
		LANGUAGE plpgsql AS $$ BEGIN
		IF current_query() LIKE 'UPDATE idempotency_keys SET status%'
		THEN PERFORM pg_sleep(0.4); END IF; RETURN NULL; END $$;
		CREATE TRIGGER slow_store BEFORE UPDATE ON idempotency_keys
		FOR EACH STATEMENT EXECUTE FUNCTION slow_store()`, true);
	try {
		for (let i = 0; i < 3; i++) {
			const key = randomUUID();
			const skill = () => s.api('POST', '/api/v1/skills', { name:
				`idem-skill-${i}` }, admin, { 'idempotency-key': key });
			const a = await skill();
			assert.equal(a.status, 201, a.text);
			const b = await skill();
			assert.equal(b.status, 201, `repeat ${i}: ${b.text}`);
			assert.equal(b.headers.get('idempotent-replayed'), 'true');
			assert.deepEqual(b.json, a.json);
		}
	} finally {
		s.db.psql('DROP TRIGGER slow_store ON idempotency_keys;' +
			' DROP FUNCTION slow_store()', true);
	}
});

test('concurrent repeats run once', async () => {
	const key = randomUUID();
	const rs = await Promise.all([0, 1, 2, 3].map(() =>
		post(body('idem5'), key)));
	const created = rs.filter((r) => r.status === 201);
	assert.ok(created.length >= 1, rs.map((r) => r.text).join('\n'));
	for (const r of rs) {
		if (r.status === 201) {
			assert.equal(r.json.user_id, created[0].json.user_id);
			continue;
		}
		assertProblem(r, 409, 'idempotency_in_progress', 'concurrent');
	}
	assert.equal(dbCount('idem5'), 1);
});

test('key length: 128 is fine, longer is 400 and runs nothing', async () => {
	const before = await listCount();
	const ok = await post(body('idem6'), 'k'.repeat(128));
	assert.equal(ok.status, 201, ok.text);
	assert.equal(dbCount('idem6'), 1);

	for (const n of [129, 200, 1000, 5000]) {
		const name = `idem7x${n}`;
		const r = await post(body(name), 'k'.repeat(n));
		assertProblem(r, 400, 'validation_failed', `key of ${n}`);
		assert.equal(dbCount(name), 0, `key of ${n} ran the request`);
	}
	assert.equal(await listCount(), before + 1);
});

test('a key without a principal or on invalid input stores nothing',
	async () => {
		const key = randomUUID();
		// invalid body: 400, and the key stays free for a good request
		const bad = await post({ username: 'idem8' }, key);
		assertProblem(bad, 400, 'validation_failed', 'invalid body');
		const good = await post(body('idem8'), key);
		assert.equal(good.status, 201, good.text);
		assert.equal(good.headers.get('idempotent-replayed'), null);
		// login is public: the key is not applied to it
		const l1 = await s.api('POST', '/api/v1/auth/login', { tenant: 'demo',
			username: 'agent1', password: 'Agent@2026' }, null,
		{ 'idempotency-key': key });
		const l2 = await s.api('POST', '/api/v1/auth/login', { tenant: 'demo',
			username: 'agent1', password: 'Agent@2026' }, null,
		{ 'idempotency-key': key });
		assert.equal(l1.status, 200);
		assert.equal(l2.status, 200);
		assert.equal(l2.headers.get('idempotent-replayed'), null);
		assert.notEqual(l1.json.refresh_token, l2.json.refresh_token);
	});
