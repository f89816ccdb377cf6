// Recording keys and storage at start: the master key missing,
// malformed or wrong and an unwritable directory refuse to serve; the
// master key rotates (old + new rewraps, then new alone); the operator
// rotates a tenant's key and lists keys without key material.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, startServer, request, RECORDING_KEY }
	from '../lib/stack.mjs';

const KEY_A = RECORDING_KEY;
const KEY_B = 'b0b0b0b0' + '0123456789abcdef'.repeat(3) + '01234567';
let s;          // the stack: its database outlives the servers below
let srv;        // the server running now
let op;
let tenantId;

async function stopServer() {
	if (!srv)
		return;
	const { code } = await srv.stop();
	assert.equal(code, 0, srv.logs().slice(-3000));
	srv = null;
}

/** Start with env over the stack's; the server must refuse, saying re. */
async function refuses(env, re) {
	await assert.rejects(startServer(s.db, { env }), (e) => {
		assert.match(e.message, /openseat exited \(1\)/);
		assert.match(e.message, re);
		return true;
	});
}

async function starts(env) {
	srv = await startServer(s.db, { env });
	return srv;
}

const api = (method, p, body, token) =>
	request(srv.baseUrl, method, p, body, token);

async function opToken() {
	const r = await api('POST', '/api/v1/auth/login',
		{ username: s.operator.username, password: s.operator.password });
	assert.equal(r.status, 200, r.text);
	return r.json.access_token;
}

before(async () => {
	s = await startStack();
	srv = s;
	op = await opToken();
	tenantId = s.db.psql("SELECT tenant_id FROM tenants WHERE code = 'demo'",
		true);
});

after(async () => {
	if (srv && srv !== s)
		await srv.stop();
	else if (srv)
		await s.proc.kill('SIGTERM');
	s?.db.destroy();
});

test('the operator rotates a tenant key and lists keys without material',
	async () => {
		const r1 = await api('POST',
			`/api/v1/tenants/${tenantId}/recording-keys`, null, op);
		assert.equal(r1.status, 201, r1.text);
		assert.ok(r1.json.key_no >= 1);
		assert.match(r1.json.created_at, /^\d{4}-\d\d-\d\dT/);
		const r2 = await api('POST',
			`/api/v1/tenants/${tenantId}/recording-keys`, null, op);
		assert.equal(r2.status, 201, r2.text);
		assert.equal(r2.json.key_no, r1.json.key_no + 1);

		const l = await api('GET',
			`/api/v1/tenants/${tenantId}/recording-keys`, null, op);
		assert.equal(l.status, 200, l.text);
		const nos = l.json.items.map((k) => k.key_no);
		assert.deepEqual(nos.slice(-2), [r1.json.key_no, r2.json.key_no]);
		for (const k of l.json.items) {
			assert.deepEqual(Object.keys(k).sort(),
				['created_at', 'key_no', 'master_id']);
			assert.match(k.master_id, /^[0-9a-f]{16}$/);
		}
		assert.doesNotMatch(l.text, /\\\\x|wrapped/);

		/* stored wrapped, never as the 32 raw bytes */
		const w = s.db.psql('SELECT length(wrapped) FROM recording_keys'
			+ ` WHERE tenant_id = '${tenantId}' LIMIT 1`, true);
		assert.equal(Number(w), 24 + 16 + 32);

		const audit = s.db.psql('SELECT count(*) FROM audit_log WHERE'
			+ " action = 'recording.key_rotated'"
			+ ` AND tenant_id = '${tenantId}'`, true);
		assert.equal(Number(audit), 2);
	});

test('tenant key rotation: bad ids, other roles', async () => {
	for (const id of ['nope', '00000000-0000-4000-8000-000000000000',
		"x'; DROP TABLE recordings; --"]) {
		const p = `/api/v1/tenants/${encodeURIComponent(id)}`
			+ '/recording-keys';
		assert.equal((await api('POST', p, null, op)).status, 404, id);
		assert.equal((await api('GET', p, null, op)).status, 404, id);
	}
	const admin = (await api('POST', '/api/v1/auth/login',
		{ tenant: 'demo', username: s.admin.username,
			password: s.admin.password })).json.access_token;
	const p = `/api/v1/tenants/${tenantId}/recording-keys`;
	assert.equal((await api('POST', p, null, admin)).status, 403);
	assert.equal((await api('GET', p, null, admin)).status, 403);
	assert.equal((await api('GET', p)).status, 401);
});

test('serve refuses without a usable master key', async () => {
	await s.proc.kill('SIGTERM');
	assert.equal((await s.exited).code, 0);
	srv = null;

	const none = { OPENSEAT_RECORDING_MASTER_KEY: '',
		OPENSEAT_RECORDING_MASTER_KEY_FILE: '' };
	await refuses(none, /no recording master key.*openssl rand -hex 32/);
	await refuses({ OPENSEAT_RECORDING_MASTER_KEY: 'abc' },
		/not 64 hex digits/);
	await refuses({ OPENSEAT_RECORDING_MASTER_KEY: KEY_A.slice(1) },
		/not 64 hex digits/);
	await refuses({ OPENSEAT_RECORDING_MASTER_KEY: 'g' + KEY_A.slice(1) },
		/not 64 hex digits/);
	await refuses({ ...none, OPENSEAT_RECORDING_MASTER_KEY_FILE:
		path.join(s.db.dir, 'no-such.key') },
		/recording_master_key_file .*no-such\.key/);
	await refuses({ OPENSEAT_RECORDING_MASTER_KEY: KEY_B },
		/not the one that encrypted the stored recording keys/);

	/* the key from a file, with its trailing newline */
	const file = path.join(s.db.dir, 'master.key');
	fs.writeFileSync(file, KEY_A + '\n', { mode: 0o600 });
	await starts({ ...none, OPENSEAT_RECORDING_MASTER_KEY_FILE: file });
	await stopServer();
});

test('serve refuses an unwritable recording directory', async () => {
	/* a file where a directory should be: refused even for root */
	const file = path.join(s.db.dir, 'not-a-dir');
	fs.writeFileSync(file, 'x');
	const dir = path.join(file, 'recordings');
	await refuses({ OPENSEAT_RECORDING_DIR: dir },
		new RegExp(`recording directory ${dir} is not writable`));

	if (process.getuid() !== 0) {
		const ro = path.join(s.db.dir, 'ro');
		fs.mkdirSync(ro, { mode: 0o500 });
		await refuses({ OPENSEAT_RECORDING_DIR: ro },
			/recording directory .*ro is not writable/);
	}

	/* created 0700 when missing */
	const fresh = path.join(s.db.dir, 'fresh', 'rec');
	await starts({ OPENSEAT_RECORDING_DIR: fresh });
	assert.equal(fs.statSync(fresh).mode & 0o777, 0o700);
	await stopServer();
});

test('the master key rotates: new + old rewraps, then new alone',
	async () => {
		const before = s.db.psql('SELECT count(*) FROM recording_keys',
			true);
		assert.ok(Number(before) >= 2);

		await refuses({ OPENSEAT_RECORDING_MASTER_KEY: KEY_B },
			/not the one that encrypted/);

		/* a wrong old key is no way in either */
		await refuses({ OPENSEAT_RECORDING_MASTER_KEY: KEY_B,
			OPENSEAT_RECORDING_MASTER_KEY_OLD: KEY_B },
			/not the one that encrypted/);

		await starts({ OPENSEAT_RECORDING_MASTER_KEY: KEY_B,
			OPENSEAT_RECORDING_MASTER_KEY_OLD: KEY_A });
		assert.match(srv.logs(), new RegExp(
			`rotated: ${before} tenant key\\(s\\) rewrapped`));
		const ids = s.db.psql('SELECT DISTINCT master_id FROM'
			+ ' recording_keys UNION SELECT master_id FROM'
			+ ' recording_master', true).split('\n');
		assert.equal(ids.length, 1, 'one master wraps every key');
		op = await opToken();
		const r = await api('POST',
			`/api/v1/tenants/${tenantId}/recording-keys`, null, op);
		assert.equal(r.status, 201, r.text);
		await stopServer();

		/* the old key again as old: nothing left to rewrap */
		await starts({ OPENSEAT_RECORDING_MASTER_KEY: KEY_B,
			OPENSEAT_RECORDING_MASTER_KEY_OLD: KEY_A });
		assert.match(srv.logs(), /no key is wrapped by it: remove it/);
		await stopServer();

		await starts({ OPENSEAT_RECORDING_MASTER_KEY: KEY_B });
		await stopServer();
		await refuses({ OPENSEAT_RECORDING_MASTER_KEY: KEY_A },
			/not the one that encrypted/);
	});
