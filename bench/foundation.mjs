// Foundation benchmark: /api/v1/me and a DB-backed list under wrk over
// HTTPS keep-alive, latency at half load, and a WebSocket broadcast to
// 1,000 idle clients. Prints a Markdown section for docs/PERFORMANCE.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'build/release/openseat');
process.env.OPENSEAT_BIN = bin;
const { startStack, wsConnect } = await import('../tests/lib/stack.mjs');

const RUNS = Number(process.env.BENCH_RUNS || 3);
const SECS = Number(process.env.BENCH_SECS || 10);
const CONNS = 64;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function toMs(s) {
	const m = /([\d.]+)(us|ms|s)/.exec(s);
	if (!m) return NaN;
	const v = Number(m[1]);
	return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

function wrk(url, token, delayMs = 0) {
	const out = execFileSync('wrk', ['-t2', `-c${CONNS}`, `-d${SECS}s`,
		'--latency', '-s', 'bench/wrk/auth.lua', url], {
		env: { ...process.env, TOKEN: token, DELAY_MS: String(delayMs) },
		encoding: 'utf8',
	});
	const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
	const p50 = toMs(/\n\s+50%\s+(\S+)/.exec(out)[1]);
	const p99 = toMs(/\n\s+99%\s+(\S+)/.exec(out)[1]);
	const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
	return { rps, p50, p99, errors: non2xx ? Number(non2xx[1]) : 0 };
}

function series(url, token, delayMs) {
	const runs = [];
	for (let i = 0; i < RUNS; i++) runs.push(wrk(url, token, delayMs));
	return {
		rps: median(runs.map((r) => r.rps)),
		p50: median(runs.map((r) => r.p50)),
		p99: median(runs.map((r) => r.p99)),
		errors: runs.reduce((a, r) => a + r.errors, 0),
	};
}

function rssKb(pid) {
	const s = readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
}

async function broadcast(stack, token, n) {
	const before = rssKb(stack.pid);
	const clients = [];
	for (let i = 0; i < n; i++) {
		const c = await wsConnect(stack.wsUrl);
		c.send({ type: 'auth', token });
		await c.next((m) => m.type === 'auth.ok', 10000);
		c.send({ type: 'subscribe', topics: ['user'] });
		await c.next((m) => m.type === 'subscribed', 10000);
		clients.push(c);
	}
	const after = rssKb(stack.pid);
	const users = await stack.api('GET', '/api/v1/users?limit=1', null,
		token);
	const uid = users.json.items[0].user_id;
	const times = [];
	for (let round = 0; round < 5; round++) {
		const name = `bench-${round}`;
		const waits = clients.map((c) => c.next((m) =>
			m.type === 'user.updated' && m.data.display_name === name,
			30000));
		const t0 = performance.now();
		await stack.api('PATCH', `/api/v1/users/${uid}`,
			{ display_name: name }, token);
		await Promise.all(waits);
		times.push(performance.now() - t0);
	}
	for (const c of clients) c.close();
	return { n, ms: median(times), perClientKb: (after - before) / n };
}

function machine() {
	const cpu = os.cpus()[0].model;
	return `${os.cpus().length} cores (${cpu}), ` +
		`${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
		`${spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout.trim()}`;
}

const stack = await startStack();
try {
	const login = await stack.login('demo', 'admin', 'Admin@2026');
	const token = login.access_token;
	const base = stack.httpsUrl;

	const me = series(`${base}/api/v1/me`, token, 0);
	const list = series(`${base}/api/v1/users?limit=50`, token, 0);
	/* pace to half the flat-out rate: calibrate the per-request pause
	 * with one run (rate = CONNS / (pause + latency)) */
	const target = me.rps / 2;
	const guess = Math.round(CONNS * 1000 / target);
	const probe = wrk(`${base}/api/v1/me`, token, guess);
	const latMs = CONNS * 1000 / probe.rps - guess;
	const halfDelay = Math.max(1, Math.round(CONNS * 1000 / target -
		latMs));
	const half = series(`${base}/api/v1/me`, token, halfDelay);
	const ws = await broadcast(stack, token, 1000);

	const f = (x) => x.toFixed(2);
	console.log(`## Foundation (${new Date().toISOString().slice(0, 10)})

Machine: ${machine()}. Command: \`bench/run.sh\` (wrk -t2 -c${CONNS}
-d${SECS}s --latency over HTTPS keep-alive, median of ${RUNS} runs; openseat
release build, embedded PostgreSQL on a unix socket; wrk,
openseat and PostgreSQL share the 2 cores).

| measurement | result |
| --- | --- |
| GET /api/v1/me, flat out | ${Math.round(me.rps)} req/s, p50 ${f(me.p50)} ms, p99 ${f(me.p99)} ms, non-2xx ${me.errors} |
| GET /api/v1/users?limit=50 (PostgreSQL per request) | ${Math.round(list.rps)} req/s, p50 ${f(list.p50)} ms, p99 ${f(list.p99)} ms, non-2xx ${list.errors} |
| GET /api/v1/me at half load (paced, ${halfDelay} ms per connection) | ${Math.round(half.rps)} req/s, p50 ${f(half.p50)} ms, p99 ${f(half.p99)} ms |
| WebSocket broadcast to ${ws.n} idle clients (median of 5) | last client has it ${f(ws.ms)} ms after the PATCH was sent |
| openseat RSS per idle WebSocket client | ${f(ws.perClientKb)} KB |
`);
} finally {
	await stack.stop();
}
