// Customer lookup benchmark: the demo tenant gets 1,000,000 customers
// (one INSERT ... SELECT generate_series, a number each, the indexes of
// migration 0014 built after the load), then wrk asks
// GET /api/v1/customers/lookup?phone= for random numbers in varying
// spellings at a fixed concurrency over HTTPS keep-alive. The database
// alone is measured with pgbench running the lookup's SQL (tenant scope
// and the query, one transaction as openseat sends it) at the same
// concurrency. Prints a Markdown section for docs/PERFORMANCE.md.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'build/release/openseat');
process.env.OPENSEAT_BIN = bin;
const { startStack } = await import('../tests/lib/stack.mjs');

const N = Number(process.env.BENCH_CUSTOMERS || 1000000);
const RUNS = Number(process.env.BENCH_RUNS || 3);
const SECS = Number(process.env.BENCH_SECS || 10);
/* concurrency levels: one client, a few, and more than the cores */
const LEVELS = (process.env.BENCH_CONNS || '1,4,16').split(',')
	.map(Number);
const PGBIN = process.env.PGBIN || '/usr/lib/postgresql/15/bin';

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1,
	Math.floor(sorted.length * p))];

function toMs(s) {
	const m = /([\d.]+)(us|ms|s)/.exec(s);
	if (!m) return NaN;
	const v = Number(m[1]);
	return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/* The load: names and companies Chinese, every number 137xxxxxxxx (the
 * demo's own are 138… and 139…). The secondary indexes are dropped for
 * the load and built after it, as a bulk import would; the phone's
 * primary key stays. */
const LOAD_SQL = (tenant) => `
SET maintenance_work_mem = '256MB';
DROP INDEX customers_search, customers_name_trgm, customers_company_trgm,
	customers_tags;
INSERT INTO customers (customer_id, tenant_id, name, company, region, tags,
	fields)
SELECT ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
	'${tenant}', '客户' || i, '公司' || (i % 5000), '北京市',
	CASE WHEN i % 10 = 0 THEN '{VIP}'::text[] ELSE '{}' END,
	jsonb_build_object('grade', '普通')
FROM generate_series(1, ${N}) AS i;
INSERT INTO customer_phones (tenant_id, phone, customer_id, position)
SELECT '${tenant}', '137' || lpad(i::text, 8, '0'),
	('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 0
FROM generate_series(1, ${N}) AS i;
CREATE INDEX customers_search ON customers USING gin (search);
CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops);
CREATE INDEX customers_company_trgm
	ON customers USING gin (company gin_trgm_ops);
CREATE INDEX customers_tags ON customers USING gin (tags);`;

function wrk(url, token, conns, script = 'bench/wrk/lookup.lua') {
	const out = execFileSync('wrk', [`-t${Math.min(2, conns)}`,
		`-c${conns}`, `-d${SECS}s`, '--latency', '-s', script, url], {
		env: { ...process.env, TOKEN: token, N: String(N), DELAY_MS: '0' },
		encoding: 'utf8',
	});
	const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
	const p50 = toMs(/\n\s+50%\s+(\S+)/.exec(out)[1]);
	const p99 = toMs(/\n\s+99%\s+(\S+)/.exec(out)[1]);
	const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
	return { rps, p50, p99, errors: non2xx ? Number(non2xx[1]) : 0 };
}

/* libpq "key=value ..." → pgbench's -h -p -U and database. */
function pgArgs(url) {
	const kv = Object.fromEntries(url.split(/\s+/).map((p) => p.split('=')));
	return ['-h', kv.host, '-p', kv.port, '-U', kv.user, kv.dbname];
}

/* The lookup's SQL as openseat sends it: the tenant scope, then the
 * query (crm/customer_api.c), in one transaction. */
function pgbench(db, tenant, dir, conns) {
	const script = path.join(dir, 'lookup.sql');
	fs.writeFileSync(script, `\\set i random(1, ${N})
BEGIN;
SELECT set_config('openseat.tenant_id', '${tenant}', true);
SELECT json_build_object('customer_id', c.customer_id, 'name', c.name,
 'company', c.company, 'email', c.email, 'region', c.region,
 'tags', to_json(c.tags), 'fields', c.fields, 'notes', c.notes,
 'phones', COALESCE((SELECT json_agg(cp.phone ORDER BY cp.position)
 FROM customer_phones cp WHERE cp.customer_id = c.customer_id), '[]'::json),
 'created_at', c.created_at, 'updated_at', c.updated_at)
 FROM customer_phones p JOIN customers c ON c.customer_id = p.customer_id
 WHERE p.tenant_id = '${tenant}'::uuid
 AND p.phone = '137' || lpad(:i::text, 8, '0');
END;
`);
	const prefix = path.join(dir, 'pgb');
	execFileSync(path.join(PGBIN, 'pgbench'), ['-n', '-M', 'extended',
		'-c', String(conns), '-j', String(Math.min(2, conns)),
		'-T', String(SECS), '-f', script,
		'-l', '--log-prefix', prefix, ...pgArgs(db.url)],
	{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	const lat = [];
	const logs = fs.readdirSync(dir).filter((x) => x.startsWith('pgb'));
	for (const name of logs) {
		for (const line of fs.readFileSync(path.join(dir, name), 'utf8')
			.split('\n')) {
			const cols = line.split(' ');
			if (cols.length > 2)
				lat.push(Number(cols[2]) / 1000);
		}
		fs.rmSync(path.join(dir, name));
	}
	lat.sort((a, b) => a - b);
	return { tps: lat.length / SECS, p50: pct(lat, 0.5),
		p99: pct(lat, 0.99) };
}

const f = (x) => x.toFixed(2);

/* The median of each figure over runs; errors summed. */
function medians(runs) {
	const m = {};
	for (const k of Object.keys(runs[0]))
		m[k] = k === 'errors' ? runs.reduce((a, r) => a + r.errors, 0) :
			median(runs.map((r) => r[k]));
	return m;
}

/* One table row: a concurrency, the API, the database alone. */
function row(r) {
	return `| ${r.c} | ${f(r.me.p50)} / ${f(r.me.p99)} ms | ` +
		`${Math.round(r.api.rps)} req/s, p50 ` +
		`${f(r.api.p50)} ms, p99 ${f(r.api.p99)} ms, non-2xx ` +
		`${r.api.errors} | ${Math.round(r.db.tps)} lookups/s, p50 ` +
		`${f(r.db.p50)} ms, p99 ${f(r.db.p99)} ms |`;
}

function machine() {
	const cpu = os.cpus()[0].model;
	return `${os.cpus().length} cores (${cpu}), ` +
		`${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
		`${spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout.trim()}` +
		`, load average ${os.loadavg()[0].toFixed(1)} when it ended`;
}

const stack = await startStack();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-bench-'));
try {
	const token = (await stack.login('demo', 'admin', 'Admin@2026'))
		.access_token;
	const tenant = stack.db.psql(
		"SELECT tenant_id FROM tenants WHERE code = 'demo'", true);
	const t0 = performance.now();
	stack.db.psql(LOAD_SQL(tenant), true);
	/* VACUUM runs outside a transaction: one psql each */
	stack.db.psql('VACUUM ANALYZE customers', true);
	stack.db.psql('VACUUM ANALYZE customer_phones', true);
	const loadS = (performance.now() - t0) / 1000;
	const probe = await stack.api('GET',
		'/api/v1/customers/lookup?phone=%2B86%20137-0000-0042', null, token);
	if (probe.status !== 200 || probe.json.name !== '客户42')
		throw new Error(`lookup: ${probe.status} ${probe.text}`);

	const rows = [];
	for (const c of LEVELS) {
		const runs = [];
		const mes = [];
		for (let i = 0; i < RUNS; i++) {
			runs.push(wrk(stack.httpsUrl, token, c));
			mes.push(wrk(`${stack.httpsUrl}/api/v1/me`, token, c,
				'bench/wrk/auth.lua'));
		}
		const dbs = [];
		for (let i = 0; i < RUNS; i++)
			dbs.push(pgbench(stack.db, tenant, tmp, c));
		rows.push({ c, me: medians(mes), api: medians(runs),
			db: medians(dbs) });
	}
	console.log(`## Customers: lookup by phone (${new Date().toISOString()
		.slice(0, 10)})

Machine: ${machine()}. Command: \`BENCH=customer-lookup bench/run.sh\`
(${N.toLocaleString('en')} customers of the demo tenant loaded in
${loadS.toFixed(0)} s with one INSERT … SELECT generate_series each for
customers and numbers, indexes built after; wrk -t2 (-t1 for one) -cN
-d${SECS}s --latency over HTTPS keep-alive, a random customer's number per
request in one of three spellings; the database alone: pgbench -M
extended (parsed and planned each time, as openseat sends it) with the
same SQL in the tenant's scope, one transaction per lookup; median of
${RUNS} runs each; openseat release build, embedded PostgreSQL on a unix
socket; wrk, openseat and PostgreSQL share the cores).

| connections | GET /api/v1/me p50 / p99 (no database) | \
GET /api/v1/customers/lookup | the database alone (pgbench) |
| --- | --- | --- | --- |
${rows.map(row).join('\n')}
`);
} finally {
	fs.rmSync(tmp, { recursive: true, force: true });
	await stack.stop();
}
