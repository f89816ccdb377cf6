// Process lifecycle: bad configuration, failing migrations, PostgreSQL
// stopped and restarted under a running server, graceful shutdown.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { RECORDING_KEY, ROOT, cli, freePort, startDb, startStack,
	udpFree } from '../lib/stack.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });

test('an out-of-range config value stops start-up naming the key',
	async () => {
		const r = await cli(['serve'], { OPENSEAT_HTTP_PORT: '70000',
			OPENSEAT_JWT_SECRET: s.jwtSecret });
		assert.equal(r.status, 1);
		assert.match(r.stderr, /http_port/);
	});

test('an HTTP port already taken stops start-up with a clear error',
	async () => {
		let sip = await freePort();
		while (!await udpFree(sip))
			sip = await freePort();
		const r = await cli(['serve'], {
			OPENSEAT_HTTP_ADDR: '127.0.0.1',
			OPENSEAT_HTTP_PORT: String(s.port),
			OPENSEAT_SIP_ADDR: '127.0.0.1',
			OPENSEAT_SIP_PORT: String(sip),
			OPENSEAT_DATABASE_URL: s.db.url,
			OPENSEAT_JWT_SECRET: s.jwtSecret,
			OPENSEAT_MIGRATIONS_DIR: path.join(ROOT, 'migrations'),
			OPENSEAT_PROMPTS_DIR: path.join(ROOT, 'build/prompts'),
			OPENSEAT_VAR_DIR: s.db.dir,
			OPENSEAT_RECORDING_MASTER_KEY: RECORDING_KEY });
		assert.equal(r.status, 1, r.stderr);
		assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0` +
			`\\.1:${s.port}`));
		assert.doesNotMatch(r.stderr, /ready: serving|Sanitizer/);
		/* the running server did not notice */
		assert.equal((await s.api('GET', '/healthz')).status, 200);
	});

test('a bad value in the config file names the key; unknown keys warn',
	async () => {
		const f = path.join(s.db.dir, 'bad.conf');
		fs.writeFileSync(f, 'log_level chatty\n');
		const bad = await cli(['-c', f, 'migrate'], {});
		assert.equal(bad.status, 1);
		assert.match(bad.stderr, /log_level/);

		fs.writeFileSync(f, 'no_such_key 1\n');
		const ok = await cli(['-c', f, 'migrate'], {
			OPENSEAT_DATABASE_ADMIN_URL: s.db.adminUrl });
		assert.equal(ok.status, 0, ok.stderr);
		assert.match(ok.stderr, /no_such_key/);
	});

test('a failing migration rolls back and names the file', async () => {
	const db = await startDb();
	try {
		const dir = path.join(db.dir, 'migrations');
		fs.mkdirSync(dir);
		for (const f of fs.readdirSync(path.join(ROOT, 'migrations')))
			fs.copyFileSync(path.join(ROOT, 'migrations', f),
				path.join(dir, f));
		fs.writeFileSync(path.join(dir, '9000_broken.sql'),
			'CREATE TABLE half_done (x int);\n' +
			'SELECT no_such_column FROM tenants;\n');
		const env = { OPENSEAT_DATABASE_ADMIN_URL: db.adminUrl,
			OPENSEAT_MIGRATIONS_DIR: dir };
		const r = await cli(['migrate'], env);
		assert.equal(r.status, 1);
		assert.match(r.stderr, /9000_broken\.sql/);
		assert.match(r.stderr, /no_such_column/);
		assert.equal(db.psql("SELECT to_regclass('half_done') IS NULL",
			true), 't');
		assert.equal(db.psql('SELECT count(*) FROM schema_migrations ' +
			"WHERE name LIKE '9000%'", true), '0');
		/* the good ones stayed applied; fixing the file completes it */
		assert.equal(db.psql("SELECT to_regclass('users') IS NOT NULL",
			true), 't');
		fs.writeFileSync(path.join(dir, '9000_broken.sql'),
			'CREATE TABLE half_done (x int);\n');
		assert.equal((await cli(['migrate'], env)).status, 0);
		assert.equal(db.psql("SELECT to_regclass('half_done') IS NOT " +
			'NULL', true), 't');
	} finally {
		db.destroy();
	}
});

test('migrate twice changes nothing', async () => {
	const before = s.db.psql('SELECT count(*) FROM schema_migrations',
		true);
	const r = await cli(['migrate'], {
		OPENSEAT_DATABASE_ADMIN_URL: s.db.adminUrl,
		OPENSEAT_MIGRATIONS_DIR: path.join(ROOT, 'migrations') });
	assert.equal(r.status, 0, r.stderr);
	assert.equal(s.db.psql('SELECT count(*) FROM schema_migrations',
		true), before);
});

async function until(fn, timeoutMs) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error('condition not reached in time');
		await new Promise((r) => setTimeout(r, 50));
	}
}

test('PostgreSQL stopped: clean 503s; restarted: recovery in place',
	async () => {
		const tok = await s.token(s.admin);
		assert.equal((await s.api('GET', '/api/v1/users', null, tok))
			.status, 200);
		s.pgStop();
		const t0 = Date.now();
		const r = await s.api('GET', '/api/v1/users', null, tok);
		assert.equal(r.status, 503);
		assert.equal(r.json.code, 'service_unavailable');
		assert.ok(r.headers.get('retry-after'));
		assert.ok(Date.now() - t0 < 3000, 'answered without hanging');
		const rz = await s.api('GET', '/readyz');
		assert.equal(rz.status, 503);
		assert.equal((await s.api('GET', '/healthz')).status, 200);
		const w = await s.api('POST', '/api/v1/users', { username:
			'while_down', password: 'Down@20261', role: 'agent' }, tok);
		assert.equal(w.status, 503);

		s.pgStart();
		await until(async () => (await s.api('GET', '/readyz'))
			.status === 200, 15000);
		const ok = await s.api('GET', '/api/v1/users?limit=200', null,
			tok);
		assert.equal(ok.status, 200);
		assert.ok(!ok.json.items.some((u) => u.username === 'while_down'));
		assert.equal(s.proc.exitCode, null, 'same process throughout');
	});
