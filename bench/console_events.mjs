// Console events: 200 supervisor consoles (WebSocket clients subscribed
// to agent and queue) watch one agent who changes state over its own
// console's WebSocket. The latency of each round is measured from the
// agent's message being written to the moment each supervisor socket
// received the agent.state_changed it caused (all clients in this
// process; a frame is stamped and checked for the round's marker as it
// arrives, nothing is parsed or polled meanwhile). Prints a Markdown
// section for docs/PERFORMANCE.md.
//
// Environment: BENCH_CONSOLES (default 200), BENCH_ROUNDS (state changes
// per run, default 200), BENCH_RUNS (default 5), BENCH_GAP_MS (pause
// between rounds, default 20), BENCH_WARMUP (unmeasured rounds first,
// default 50), BENCH_DEBUG=1 (each round's first and last console on
// stderr).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'build/release/openseat');
process.env.OPENSEAT_BIN = bin;
const { startStack, ROOT } = await import('../tests/lib/stack.mjs');
const require = createRequire(path.join(ROOT, 'tests/package.json'));
const WebSocket = require('ws');

const CONSOLES = Number(process.env.BENCH_CONSOLES || 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS || 200);
const RUNS = Number(process.env.BENCH_RUNS || 5);
const GAP_MS = Number(process.env.BENCH_GAP_MS || 20);
const WARMUP = Number(process.env.BENCH_WARMUP || 50);
const REASONS = ['休息', '会议'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function pct(xs, p) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))];
}

/*
 * A bare client: frames are stamped when they arrive and kept raw, so
 * the 200 sockets cost this process as little as possible while a
 * round is in flight.
 */
function client(url, token, topics) {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { rejectUnauthorized: false });
		const c = { ws, got: [], waiter: null };
		ws.on('message', (data) => {
			const at = performance.now();
			c.got.push([at, data]);
			if (c.counted === false && round.marker &&
				data.includes(round.marker)) {
				c.counted = true;
				c.at = at;
				if (++round.seen === round.want)
					round.done();
			}
			c.waiter?.();
		});
		ws.on('error', reject);
		const next = (type) => new Promise((res) => {
			c.waiter = () => {
				const i = c.got.findIndex(([, d]) =>
					JSON.parse(d.toString()).type === type);
				if (i >= 0) {
					c.got.splice(0, i + 1);
					c.waiter = null;
					res();
				}
			};
			c.waiter();
		});
		ws.on('open', async () => {
			ws.send(JSON.stringify({ type: 'auth', token }));
			await next('auth.ok');
			if (topics.length) {
				ws.send(JSON.stringify({ type: 'subscribe', topics }));
				await next('subscribed');
			}
			c.got = [];
			resolve(c);
		});
	});
}

/*
 * The round in flight: each client stamps the frame carrying its marker
 * as it arrives and counts it, so nothing polls while frames come in.
 */
const round = { marker: null, seen: 0, want: 0, done: null };

function expect(clients, marker, timeoutMs = 5000) {
	for (const c of clients) {
		c.at = NaN;
		c.got = [];
		c.counted = false;
	}
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(
			`${round.want - round.seen} consoles missed ${marker}`)),
		timeoutMs);
		Object.assign(round, { marker, seen: 0, want: clients.length,
			done: () => {
				clearTimeout(timer);
				round.marker = null;
				resolve();
			} });
	});
}

async function run(agent, sups, rounds = ROUNDS) {
	const lat = [];
	const first = [];
	for (let r = 0; r < rounds; r++) {
		const reason = `${REASONS[r % 2]}-${r}`;
		const all = expect(sups, `"reason":"${reason}"`);
		const t0 = performance.now();
		agent.ws.send(JSON.stringify({ type: 'agent.state',
			state: 'not_ready', reason }));
		await all;
		const v = sups.map((c) => c.at - t0);
		lat.push(...v);
		first.push(Math.min(...v));
		if (process.env.BENCH_DEBUG)
			console.error(r, Math.min(...v).toFixed(1),
				Math.max(...v).toFixed(1));
		await sleep(GAP_MS);
	}
	return { p50: pct(lat, 50), p99: pct(lat, 99), max: Math.max(...lat),
		first50: pct(first, 50), n: lat.length };
}

function machine() {
	const cpu = os.cpus()[0].model;
	return `${os.cpus().length} cores (${cpu}), ` +
		`${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
		`${spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout.trim()}`;
}

const stack = await startStack();
const all = [];
try {
	const sup = (await stack.login('demo', 'supervisor', 'Super@2026'))
		.access_token;
	const ag = (await stack.login('demo', 'agent1', 'Agent@2026'))
		.access_token;
	const sups = [];
	for (let i = 0; i < CONSOLES; i++) {
		sups.push(await client(stack.wsUrl, sup, ['agent', 'queue']));
	}
	all.push(...sups);
	const agent = await client(stack.wsUrl, ag, ['agent']);
	all.push(agent);
	/* logged in, not ready: each round is one transition */
	const warm = expect(sups, '"reason":"warm-up"');
	agent.ws.send(JSON.stringify({ type: 'agent.state',
		state: 'not_ready', reason: 'warm-up' }));
	await warm;

	/* unmeasured: the clients' JIT and the server's caches warm up */
	await run(agent, sups, WARMUP);
	const runs = [];
	for (let i = 0; i < RUNS; i++)
		runs.push(await run(agent, sups));
	const f = (x) => x.toFixed(2);
	const p50 = median(runs.map((r) => r.p50));
	const p99 = median(runs.map((r) => r.p99));
	console.log(`## Console events (${new Date().toISOString().slice(0, 10)})

Machine: ${machine()}. Command: \`BENCH=console-events bench/run.sh\`
(\`node bench/console_events.mjs BIN\`): ${CONSOLES} supervisor consoles
subscribed to \`agent\` and \`queue\`, one agent console sending
\`agent.state\` (not ready, a new reason each round) ${ROUNDS} times per run,
${GAP_MS} ms apart, after ${WARMUP} unmeasured rounds; latency from the
agent's message being written to each console's socket receiving
\`agent.state_changed\` (every delivery counts); ${RUNS} runs; openseat
${path.basename(path.dirname(bin))} build, the embedded PostgreSQL, and the
clients share the 2 cores.

| run | deliveries | p50 | p99 | max | first console, p50 |
| --- | --- | --- | --- | --- | --- |
${runs.map((r, i) => `| ${i + 1} | ${r.n} | ${f(r.p50)} ms | ${f(r.p99)} ms | ${f(r.max)} ms | ${f(r.first50)} ms |`).join('\n')}
| **median of runs** | | **${f(p50)} ms** | **${f(p99)} ms** | | |

Target p99 < 20 ms: ${p99 < 20 ? 'met' : 'not met'}.
`);
} finally {
	for (const c of all)
		c.ws.close();
	await stack.stop();
}
