// Secrets sealed at rest: webhook signing secrets and CRM tokens are
// never in the database readable (the whole dump is searched), yet
// deliveries verify with the secret the API gave, through rotation and
// a restart; rows stored readable before are sealed once at start; a
// box moved to another row does not open; a wrong master key refuses
// the start; the master key's rotation reseals every secret.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request, startStack, startServer, RECORDING_KEY }
	from '../lib/stack.mjs';
import { startReceiver, verify } from '../lib/whreceiver.mjs';

const KEY_A = RECORDING_KEY;
const KEY_B = 'b0b0b0b0' + '0123456789abcdef'.repeat(3) + '01234567';
const ENV = { OPENSEAT_EGRESS_ALLOW: '127.0.0.2/32' };
const CRM_TOKEN = 'Bearer crm-t0ken-QmVhcmVyU2VjcmV0';
const LEGACY = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
const LEGACY_TOKEN = 'legacy-crm-token-readable-1234';

let s;          /* the stack: its database outlives the servers below */
let srv;        /* the server running now */
let rcv;
let admin;
let tenantId;
const secrets = [];     /* every secret and token the API took or gave */

/* to the server running now, as the demo tenant's admin */
const api = (method, p, body) =>
	request(srv.baseUrl, method, p, body, admin);
const sql = (q) => s.db.psql(q, true);

before(async () => {
	rcv = await startReceiver();
	s = await startStack({ env: ENV });
	srv = s;
	admin = await s.token(s.admin);
	tenantId = sql("SELECT tenant_id FROM tenants WHERE code = 'demo'");
});

after(async () => {
	await rcv?.close();
	try {
		await stopServer();
	} finally {
		s?.db.destroy();
	}
});

/** Everything the database holds, as pg_dump writes it. */
function dump() {
	return execFileSync('pg_dump', ['--data-only', '-d', s.db.adminUrl],
		{ encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/* A secret in any form a careless store would leave: as given, its
 * base64 body, its key bytes or its text in hex (a bytea). */
function assertNowhere(text, secret) {
	const forms = [secret, Buffer.from(secret).toString('hex')];
	if (secret.startsWith('whsec_')) {
		const body = secret.slice(6);
		forms.push(body, Buffer.from(body, 'base64').toString('hex'));
	}
	for (const f of forms)
		assert.ok(!text.toLowerCase().includes(f.toLowerCase()),
			`${f} is stored readable`);
}

async function delivered(ep, path) {
	const r = await api('POST', `/api/v1/webhooks/${ep.endpoint_id}/test`);
	assert.equal(r.status, 202, r.text);
	return rcv.next((x) => x.path === path &&
		x.headers['webhook-id'] === r.json.event_id);
}

/* The stack's own server stops without its database; cleanly. */
async function stopServer() {
	if (!srv)
		return;
	if (srv === s)
		s.proc.kill('SIGTERM');
	const { code } = await (srv === s ? s.exited : srv.stop());
	assert.equal(code, 0, srv.logs().slice(-3000));
	assert.doesNotMatch(srv.logs(),
		/ERROR: (Address|Leak)Sanitizer|runtime error:/);
	srv = null;
}

async function restart(env = {}) {
	await stopServer();
	srv = await startServer(s.db, { env: { ...ENV, ...env } });
	admin = (await request(srv.baseUrl, 'POST', '/api/v1/auth/login',
		{ tenant: 'demo', username: s.admin.username,
			password: s.admin.password })).json.access_token;
}

async function refuses(env, re) {
	await assert.rejects(startServer(s.db, { env: { ...ENV, ...env } }),
		(e) => {
			assert.match(e.message, /openseat exited \(1\)/);
			assert.match(e.message, re);
			return true;
		});
}

let ep;         /* the endpoint the tests share */

test('secrets are stored sealed: nothing readable in the whole dump',
	async () => {
		const r = await api('POST', '/api/v1/webhooks', {
			url: rcv.url('/sealed'), event_types: ['*'] });
		assert.equal(r.status, 201, r.text);
		ep = r.json;
		assert.match(ep.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
		assert.equal(ep.secret_hint, 'whsec_…' + ep.secret.slice(-4));
		secrets.push(ep.secret);

		/* reads and lists show the hint, never the secret */
		const g = await api('GET', `/api/v1/webhooks/${ep.endpoint_id}`);
		assert.equal(g.json.secret, undefined);
		assert.equal(g.json.secret_hint, ep.secret_hint);
		const l = await api('GET', '/api/v1/webhooks');
		const item = l.json.items.find((x) =>
			x.endpoint_id === ep.endpoint_id);
		assert.equal(item.secret, undefined);
		assert.equal(item.secret_hint, ep.secret_hint);

		const c = await api('PUT', '/api/v1/crm/settings', { mode: 'http',
			http_url: 'https://crm.example.com/lookup?phone={caller}',
			auth_header: 'Authorization', auth_token: CRM_TOKEN });
		assert.equal(c.status, 200, c.text);
		assert.equal(c.json.auth_token_set, true);
		assert.equal(c.json.auth_token, undefined);
		secrets.push(CRM_TOKEN);

		const row = sql('SELECT secret IS NULL, length(secret_box),'
			+ ' seal_key_id FROM webhook_endpoints'
			+ ` WHERE endpoint_id = '${ep.endpoint_id}'`).split('|');
		assert.equal(row[0], 't');
		assert.equal(Number(row[1]), 24 + ep.secret.length + 16);
		assert.match(row[2], /^[0-9a-f]{16}$/);
		assert.equal(sql('SELECT auth_token = \'\' AND auth_token_box IS'
			+ ` NOT NULL FROM crm_settings WHERE tenant_id = '${tenantId}'`),
		't');

		const d = dump();
		assert.ok(d.includes(ep.endpoint_id), 'the dump has the rows');
		for (const x of secrets)
			assertNowhere(d, x);

		const m = await delivered(ep, '/sealed');
		assert.equal(verify(ep.secret, m.headers, m.body), 0);
	});

test('a create repeated with its Idempotency-Key replays the secret, ' +
	'stored sealed', async () => {
	const body = { url: rcv.url('/idem'), event_types: ['webhook.test'] };
	const hdr = { 'idempotency-key': 'secrets-test-create-1' };
	const r1 = await request(srv.baseUrl, 'POST', '/api/v1/webhooks', body,
		admin, hdr);
	assert.equal(r1.status, 201, r1.text);
	secrets.push(r1.json.secret);
	const r2 = await request(srv.baseUrl, 'POST', '/api/v1/webhooks', body,
		admin, hdr);
	assert.equal(r2.status, 201, r2.text);
	assert.equal(r2.headers.get('idempotent-replayed'), 'true');
	assert.equal(r2.json.endpoint_id, r1.json.endpoint_id);
	assert.equal(r2.json.secret, r1.json.secret);

	const stored = sql('SELECT response FROM idempotency_keys WHERE'
		+ " idem_key = 'secrets-test-create-1'");
	assert.match(stored, /^\\x[0-9a-f]+$/);
	/* the box is the principal's and the key's: moved, it does not
	 * open, and the replay says so instead of answering wrongly */
	sql('INSERT INTO idempotency_keys (principal_id, idem_key, tenant_id,'
		+ ' method, path, body_hash, status, response, content_type)'
		+ ' SELECT principal_id, \'secrets-test-moved\', tenant_id,'
		+ ' method, path, body_hash, status, response, content_type'
		+ " FROM idempotency_keys WHERE idem_key = 'secrets-test-create-1'");
	const r3 = await request(srv.baseUrl, 'POST', '/api/v1/webhooks', body,
		admin, { 'idempotency-key': 'secrets-test-moved' });
	assert.equal(r3.status, 500, r3.text);
	assertNowhere(dump(), r1.json.secret);
	assert.equal((await api('DELETE',
		`/api/v1/webhooks/${r1.json.endpoint_id}`)).status, 204);
});

test('rotation signs with both secrets in the overlap, both sealed',
	async () => {
		const r = await api('POST',
			`/api/v1/webhooks/${ep.endpoint_id}/rotate-secret`,
			{ overlap_s: 3600 });
		assert.equal(r.status, 200, r.text);
		assert.notEqual(r.json.secret, ep.secret);
		assert.equal(r.json.secret_hint, 'whsec_…' + r.json.secret.slice(-4));
		secrets.push(r.json.secret);

		const m = await delivered(ep, '/sealed');
		assert.equal(verify(r.json.secret, m.headers, m.body), 0);
		assert.equal(verify(ep.secret, m.headers, m.body), 1);
		assert.equal(sql('SELECT previous_secret IS NULL AND'
			+ ' previous_secret_box IS NOT NULL FROM webhook_endpoints'
			+ ` WHERE endpoint_id = '${ep.endpoint_id}'`), 't');

		const d = dump();
		for (const x of secrets)
			assertNowhere(d, x);
		ep = { ...ep, prev: ep.secret, secret: r.json.secret };
	});

test('a box moved to another endpoint does not open: nothing is signed',
	async () => {
		const r = await api('POST', '/api/v1/webhooks', {
			url: rcv.url('/moved'), event_types: ['webhook.test'] });
		assert.equal(r.status, 201, r.text);
		const other = r.json;
		s.db.psql('UPDATE webhook_endpoints SET secret_box = (SELECT'
			+ ' secret_box FROM webhook_endpoints WHERE endpoint_id ='
			+ ` '${ep.endpoint_id}') WHERE endpoint_id =`
			+ ` '${other.endpoint_id}'`, true);
		const t = await api('POST',
			`/api/v1/webhooks/${other.endpoint_id}/test`);
		assert.equal(t.status, 202, t.text);
		const end = Date.now() + 10000;
		let log;
		for (;;) {
			const x = await api('GET', `/api/v1/webhooks/${other.endpoint_id}`
				+ `/deliveries/${t.json.delivery_id}`);
			log = x.json.attempt_log || [];
			if (log.length || Date.now() > end)
				break;
			await new Promise((res) => setTimeout(res, 50));
		}
		assert.ok(log.length, 'an attempt is logged');
		assert.match(log[0].error, /not signed/);
		assert.equal(rcv.got.filter((x) => x.path === '/moved').length, 0);
		assert.equal((await api('DELETE',
			`/api/v1/webhooks/${other.endpoint_id}`)).status, 204);
	});

test('readable rows from before are sealed once at start', async () => {
	await stopServer();
	sql('INSERT INTO webhook_endpoints (tenant_id, url, event_types,'
		+ ` secret) VALUES ('${tenantId}', '${rcv.url('/legacy')}',`
		+ ` '{webhook.test}', '${LEGACY}')`);
	sql(`UPDATE crm_settings SET auth_token = '${LEGACY_TOKEN}',`
		+ ' auth_token_box = NULL, seal_key_id = NULL'
		+ ` WHERE tenant_id = '${tenantId}'`);
	srv = await startServer(s.db, { env: ENV });
	assert.match(srv.logs(), /sealed 1 webhook secret\(s\) that were/);
	assert.match(srv.logs(), /sealed 1 CRM token\(s\) that were/);
	await restart();
	assert.doesNotMatch(srv.logs(), /sealed \d+ /, 'once');

	assert.equal(sql('SELECT count(*) FROM webhook_endpoints WHERE'
		+ ' secret IS NOT NULL OR previous_secret IS NOT NULL'), '0');
	assert.equal(sql('SELECT count(*) FROM crm_settings WHERE'
		+ ' auth_token <> \'\''), '0');
	const d = dump();
	for (const x of [...secrets, LEGACY, LEGACY_TOKEN])
		assertNowhere(d, x);

	/* the legacy secret still signs, from its box */
	const id = sql('SELECT endpoint_id FROM webhook_endpoints WHERE'
		+ ` url = '${rcv.url('/legacy')}'`);
	assert.equal((await api('GET', `/api/v1/webhooks/${id}`)).json
		.secret_hint, 'whsec_…' + LEGACY.slice(-4));
	const m = await delivered({ endpoint_id: id }, '/legacy');
	assert.equal(verify(LEGACY, m.headers, m.body), 0);
	const c = await api('GET', '/api/v1/crm/settings');
	assert.equal(c.json.auth_token_set, true);
});

test('a wrong master key refuses the start; rotation reseals all',
	async () => {
		await stopServer();
		await refuses({ OPENSEAT_RECORDING_MASTER_KEY: KEY_B },
			/not the one that encrypted|secret\(s\) are sealed by key/);

		/* no recording key yet (no call was recorded): without the
		 * recordings' check only the secrets can tell the key is
		 * wrong, and they do */
		assert.equal(sql('SELECT count(*) FROM recording_keys'), '0');
		sql('DELETE FROM recording_master');
		await refuses({ OPENSEAT_RECORDING_MASTER_KEY: KEY_B },
			/secret\(s\) are sealed by key [0-9a-f]{16}, which neither/);
		sql('DELETE FROM recording_master');

		const before = sql('SELECT DISTINCT seal_key_id FROM'
			+ ' webhook_endpoints');
		srv = await startServer(s.db, { env: { ...ENV,
			OPENSEAT_RECORDING_MASTER_KEY: KEY_B,
			OPENSEAT_RECORDING_MASTER_KEY_OLD: KEY_A } });
		assert.match(srv.logs(),
			/resealed 2 webhook secret\(s\) from key [0-9a-f]{16} to key/);
		assert.match(srv.logs(), /resealed 1 CRM token\(s\)/);
		const ids = sql('SELECT DISTINCT seal_key_id FROM webhook_endpoints'
			+ ' UNION SELECT seal_key_id FROM crm_settings').split('\n');
		assert.equal(ids.length, 1, 'one key seals every secret');
		assert.notEqual(ids[0], before);

		await restart({ OPENSEAT_RECORDING_MASTER_KEY: KEY_B });
		/* both secrets of the overlap still sign */
		const m = await delivered(ep, '/sealed');
		assert.equal(verify(ep.secret, m.headers, m.body), 0);
		assert.equal(verify(ep.prev, m.headers, m.body), 1);
		const d = dump();
		for (const x of [...secrets, LEGACY, LEGACY_TOKEN])
			assertNowhere(d, x);

		await stopServer();
		await refuses({ OPENSEAT_RECORDING_MASTER_KEY: KEY_A },
			/not the one that encrypted|secret\(s\) are sealed by key/);
		srv = await startServer(s.db, { env: { ...ENV,
			OPENSEAT_RECORDING_MASTER_KEY: KEY_B } });
	});

test('a lost master key: the documented steps start with a new one',
	async () => {
		const KEY_C = 'c0c0c0c0' + '0123456789abcdef'.repeat(3) + '01234567';
		await stopServer();
		/* docs/OPERATIONS.md, "A lost master key" */
		sql('DELETE FROM recording_master');
		sql('UPDATE crm_settings SET auth_token_box = NULL,'
			+ ' seal_key_id = NULL');
		sql("UPDATE webhook_endpoints SET secret = 'whsec_' ||"
			+ " encode(sha256(gen_random_uuid()::text::bytea), 'base64'),"
			+ ' secret_box = NULL, previous_secret_box = NULL,'
			+ ' seal_key_id = NULL');
		const n = sql('SELECT count(*) FROM webhook_endpoints');
		srv = await startServer(s.db, { env: { ...ENV,
			OPENSEAT_RECORDING_MASTER_KEY: KEY_C } });
		assert.match(srv.logs(), new RegExp(
			`sealed ${n} webhook secret\\(s\\) that were stored readable`));
		const r = await api('POST',
			`/api/v1/webhooks/${ep.endpoint_id}/rotate-secret`,
			{ overlap_s: 0 });
		assert.equal(r.status, 200, r.text);
		const m = await delivered(ep, '/sealed');
		assert.equal(verify(r.json.secret, m.headers, m.body), 0);
	});
