// Telephony benchmark: (a) call setup rate — sipp calls a number whose
// flow plays a beep and hangs up, at rising rates; (b) concurrency —
// calls held in an IVR prompt loop with RTP both ways, at rising counts.
// sipp and openseat run on this same machine. Prints a Markdown section
// for docs/PERFORMANCE.md.
//
// Environment: BENCH_RATES (calls/s, comma separated), BENCH_RATE_SECS
// (seconds of calls per rate step), BENCH_RUNS (runs per rate, median),
// BENCH_CALLS (concurrent counts), BENCH_HOLD_MS (hold per call).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'build/release/openseat');
process.env.OPENSEAT_BIN = bin;
const { startStack, freePort, ROOT } = await import('../tests/lib/stack.mjs');

const list = (v, d) => (v || d).split(',').map(Number);
const RATES = list(process.env.BENCH_RATES, '100,200,300,400,500,600');
const RATE_SECS = Number(process.env.BENCH_RATE_SECS || 10);
const RUNS = Number(process.env.BENCH_RUNS || 3);
const COUNTS = list(process.env.BENCH_CALLS, '250,500,1000,1500');
const HOLD_MS = Number(process.env.BENCH_HOLD_MS || 60000);
/* concurrent calls are set up at this rate, so the ramp stays far below
 * the setup limit and the hold, not the ramp, is measured */
const RAMP_CPS = 100;
const SIPP_DIR = path.join(ROOT, 'bench/sipp');
const SETUP_NUMBER = '4001000201';
const HOLD_NUMBER = '4001000202';
/* openseat's RTP ports stay below sipp's (-mp) */
const RTP_MIN = 20000;
const RTP_MAX = 40000;
const SIPP_MEDIA_PORT = 45000;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* (a) play a beep and hang up */
const SETUP_FLOW = {
	start: 'beep',
	nodes: {
		beep: { kind: 'play', prompts: ['builtin/beep'], next: 'end' },
		end: { kind: 'hangup' },
	},
};

/* (b) a prompt that never ends: a menu whose timeout feedback is the
 * same prompt, 9 retries, then back to itself. A loop through a menu is
 * one the validator accepts; the silence is 200 ms per ~10 s. */
const HOLD_FLOW = {
	start: 'loop',
	nodes: {
		loop: { kind: 'menu', prompts: ['builtin/hold'], choices: {
			9: 'end' }, timeout_ms: 200, retries: 9,
		timeout_prompt: 'builtin/hold', fail: 'loop' },
		end: { kind: 'hangup' },
	},
};

async function ok(r, what) {
	if (r.status < 200 || r.status > 299)
		throw new Error(`${what}: ${r.status} ${r.text}`);
	return r.json;
}

/** A flow on its own number for the demo tenant. */
async function provision(stack, op, admin, tenantId, name, graph, number) {
	const flow = await ok(await stack.api('POST', '/api/v1/flows',
		{ name, graph }, admin), `flow ${name}`);
	const num = await ok(await stack.api('POST', '/api/v1/numbers',
		{ number, tenant_id: tenantId }, op), `number ${number}`);
	await ok(await stack.api('PATCH', `/api/v1/numbers/${num.number_id}`,
		{ flow_id: flow.flow_id }, admin), `number ${number} flow`);
}

/** Run sipp to the end; resolves {code, out, dir}. */
function sipp(stack, scenario, number, args, dir) {
	return new Promise((resolve) => {
		const all = [`127.0.0.1:${stack.sipPort}`, '-sf',
			path.join(SIPP_DIR, scenario), '-s', number,
			'-i', '127.0.0.1', '-mi', '127.0.0.1', '-t', 'u1',
			'-nostdin', '-trace_stat', '-stf', 'stat.csv',
			'-trace_rtt', '-rtt_freq', '1', ...args];
		const p = spawn('sipp', all, { cwd: dir,
			stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		p.stdout.on('data', (d) => { out += d; });
		p.stderr.on('data', (d) => { out += d; });
		p.on('close', (code) => resolve({ code, out, dir, args: all }));
	});
}

/** Successful/failed calls from sipp's last statistics line. */
function sippCounts(dir) {
	const lines = fs.readFileSync(path.join(dir, 'stat.csv'), 'utf8')
		.trim().split('\n');
	const head = lines[0].split(';');
	const last = lines[lines.length - 1].split(';');
	const col = (n) => Number(last[head.indexOf(n)]);
	return { ok: col('SuccessfulCall(C)'), failed: col('FailedCall(C)'),
		created: col('TotalCallCreated') };
}

/** Response times (ms) of every call from the -trace_rtt file. */
function sippRtts(dir) {
	const f = fs.readdirSync(dir).find((n) => n.endsWith('_rtt.csv'));
	if (!f)
		return [];
	return fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n')
		.slice(1).map((l) => Number(l.split(';')[1]))
		.filter((v) => Number.isFinite(v));
}

function pct(xs, p) {
	if (!xs.length)
		return NaN;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))];
}

function tmpDir() {
	return fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-bench-'));
}

/* One step of (a): RATE_SECS seconds of calls at rate. */
async function setupRun(stack, rate) {
	const dir = tmpDir();
	const total = rate * RATE_SECS;
	const r = await sipp(stack, 'setup.xml', SETUP_NUMBER, ['-p',
		String(await freePort()), '-mp', String(SIPP_MEDIA_PORT),
		'-r', String(rate), '-rp', '1000', '-m', String(total),
		'-l', String(rate * 20), '-timeout', `${RATE_SECS + 60}s`], dir);
	const c = sippCounts(dir);
	const rtt = sippRtts(dir);
	fs.rmSync(dir, { recursive: true, force: true });
	return { rate, total, ...c, failPct: 100 * (total - c.ok) / total,
		p50: pct(rtt, 50), p99: pct(rtt, 99), code: r.code };
}

async function setupSeries(stack) {
	const steps = [];
	for (const rate of RATES) {
		const runs = [];
		for (let i = 0; i < RUNS; i++) {
			runs.push(await setupRun(stack, rate));
			await waitIdle(stack);
		}
		const step = { rate, runs,
			failPct: median(runs.map((x) => x.failPct)),
			p50: median(runs.map((x) => x.p50)),
			p99: median(runs.map((x) => x.p99)) };
		steps.push(step);
		console.error(`setup ${rate}/s: failed ${step.failPct.toFixed(3)} %,` +
			` p50 ${step.p50} ms, p99 ${step.p99} ms ` +
			`(runs ${runs.map((x) => `${x.ok}/${x.total}`).join(' ')})`);
		/* one step past the limit is enough to show it */
		if (step.failPct >= 0.1)
			break;
	}
	return steps;
}

/* ---- /metrics and /proc ------------------------------------------------ */

async function metrics(stack) {
	const r = await stack.api('GET', '/metrics');
	const m = {};
	for (const line of r.text.split('\n')) {
		const x = /^(\w+)(\{[^}]*\})?\s+(\S+)/.exec(line);
		if (x)
			m[x[1] + (x[2] || '')] = Number(x[3]);
	}
	return m;
}

const BOUNDS = ['0.0005', '0.001', '0.002', '0.005', '0.01', '0.02', '0.05',
	'+Inf'];

function addBuckets(acc, m) {
	BOUNDS.forEach((b, i) => {
		const k = `openseat_media_tick_lateness_bucket{le="${b}"}`;
		acc[i] += m[k] || 0;
	});
}

/** The bucket bound (ms) below which p % of ticks fell. */
function bucketPct(acc, p) {
	const total = acc.reduce((a, b) => a + b, 0);
	let run = 0;
	for (let i = 0; i < acc.length; i++) {
		run += acc[i];
		if (run >= total * p / 100)
			return i === acc.length - 1 ? Infinity : Number(BOUNDS[i]) * 1000;
	}
	return NaN;
}

function cpuTicks(pid) {
	const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const after = f.slice(f.lastIndexOf(')') + 2).split(' ');
	return Number(after[11]) + Number(after[12]);
}

function rssKb(pid) {
	const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
	return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
}

async function waitIdle(stack, timeoutMs = 60000) {
	const t0 = Date.now();
	while (Date.now() - t0 < timeoutMs) {
		const m = await metrics(stack);
		if (!m.openseat_calls_active)
			return;
		await sleep(250);
	}
	throw new Error('calls still active after the run');
}

async function waitActive(stack, n, timeoutMs) {
	const t0 = Date.now();
	while (Date.now() - t0 < timeoutMs) {
		const m = await metrics(stack);
		if (m.openseat_calls_active >= n)
			return true;
		await sleep(200);
	}
	return false;
}

/* ---- (b) concurrency --------------------------------------------------- */

const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
	.stdout.trim() || 100);

/* Scrapes during the hold, every SCRAPE_MS. Each scrape resets the
 * lateness buckets and the worst tick, so a window whose worst tick is
 * under 5 ms had every tick under 5 ms: the share of windows with a
 * tick >= 5 ms bounds the share of such ticks from above. */
const SCRAPE_MS = 250;

async function observe(stack, ms) {
	const acc = BOUNDS.map(() => 0);
	const maxima = [];
	let skipped = 0;
	const t0 = Date.now();
	while (Date.now() - t0 < ms) {
		await sleep(Math.min(SCRAPE_MS, ms - (Date.now() - t0)));
		const m = await metrics(stack);
		addBuckets(acc, m);
		maxima.push(1000 * (m.openseat_media_tick_lateness_max_seconds ||
			0));
		skipped = m.openseat_media_ticks_skipped || 0;
	}
	return { acc, maxMs: Math.max(...maxima), medMaxMs: median(maxima),
		badWindows: maxima.filter((x) => x >= 5).length,
		windows: maxima.length, skipped,
		labelled: acc.some((x) => x > 0) };
}

async function holdRun(stack, n) {
	const dir = tmpDir();
	/* the caller's audio: 1 s of a 440 Hz tone as raw A-law */
	spawnSync('sox', ['-n', '-r', '8000', '-c', '1', '-e', 'a-law', '-t',
		'raw', path.join(dir, 'caller.alaw'), 'synth', '1', 'sine', '440',
		'vol', '0.3']);
	const before = await metrics(stack);
	const run = sipp(stack, 'hold.xml', HOLD_NUMBER, ['-p',
		String(await freePort()), '-mp', String(SIPP_MEDIA_PORT),
		'-r', String(RAMP_CPS), '-rp', '1000', '-m', String(n),
		'-l', String(n), '-d', String(HOLD_MS),
		'-timeout', `${Math.ceil(HOLD_MS / 1000) + 120}s`], dir);
	const rampMs = n / RAMP_CPS * 1000;
	const up = await waitActive(stack, n, rampMs + 20000);
	/* the window: every call up, none yet hung up; a scrape resets the
	 * lateness buckets first */
	const m0 = await metrics(stack);
	const cpu0 = cpuTicks(stack.pid);
	const t0 = performance.now();
	const rss1 = rssKb(stack.pid);
	const windowMs = Math.max(5000, HOLD_MS - rampMs - 5000);
	const obs = await observe(stack, windowMs);
	const secs = (performance.now() - t0) / 1000;
	const cpu = (cpuTicks(stack.pid) - cpu0) / HZ / secs;
	const m1 = await metrics(stack);
	const active = m1.openseat_calls_active;
	await run;
	const c = sippCounts(dir);
	fs.rmSync(dir, { recursive: true, force: true });
	await waitIdle(stack, 120000);
	const rx = 'openseat_rtp_packets{dir="rx"}';
	const tx = 'openseat_rtp_packets{dir="tx"}';
	const res = { n, up, active, secs, labelled: obs.labelled,
		p99: obs.labelled ? bucketPct(obs.acc, 99) : NaN,
		p50: obs.labelled ? bucketPct(obs.acc, 50) : NaN,
		badWindows: obs.badWindows, windows: obs.windows,
		maxMs: obs.maxMs, medMaxMs: obs.medMaxMs,
		skipped: obs.skipped - (m0.openseat_media_ticks_skipped || 0),
		lost: m1.openseat_rtp_lost_packets - m0.openseat_rtp_lost_packets,
		lostAll: m1.openseat_rtp_lost_packets -
			before.openseat_rtp_lost_packets,
		rxRate: (m1[rx] - m0[rx]) / secs, txRate: (m1[tx] - m0[tx]) / secs,
		cpuPct: cpu * 100, rssKb: rss1 - rssFresh, rss: rss1, ...c,
		failed: n - c.ok };
	console.error(`hold ${n}: up ${up} active ${active}, tick p50 ` +
		`<= ${res.p50} ms p99 <= ${res.p99} ms, windows with a tick >= 5` +
		` ms ${obs.badWindows}/${obs.windows}, max ${obs.maxMs.toFixed(2)}` +
		` ms, lost ${res.lost} (whole run ${res.lostAll}), rx ` +
		`${res.rxRate.toFixed(0)}/s tx ${res.txRate.toFixed(0)}/s, cpu ` +
		`${res.cpuPct.toFixed(1)} %, rss +${res.rssKb} KB, calls ok ` +
		`${c.ok}/${n}`);
	return res;
}

/* p99 < 5 ms: from the buckets, else from the window bound above */
function p99Under5(h) {
	return h.labelled ? h.p99 < 5 : h.badWindows <= h.windows / 100;
}

function holdOk(h) {
	return p99Under5(h) && !h.lost && !h.failed;
}

async function holdSeries(stack) {
	const steps = [];
	for (const n of COUNTS) {
		const r = await holdRun(stack, n);
		steps.push(r);
		if (!holdOk(r))
			break;
	}
	return steps;
}

/* ---- report ------------------------------------------------------------- */

function machine() {
	const cpu = os.cpus()[0].model;
	return `${os.cpus().length} cores (${cpu}), ` +
		`${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
		`${spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout.trim()}`;
}

const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const ms = (x) => (x === 0 ? '< 1' : String(x));
const le = (x) => (Number.isNaN(x) ? 'n/a' :
	Number.isFinite(x) ? `≤ ${x} ms` : '> 50 ms');

function setupText(setup) {
	if (!setup.length)
		return '';
	const good = setup.filter((s) => s.failPct < 0.1).pop();
	const fast = setup.filter((s) => s.failPct < 0.1 && s.p99 < 20).pop();
	const rows = setup.map((s) => `| ${s.rate} | ` +
		`${s.runs.map((x) => `${x.ok}/${x.total}`).join(', ')} | ` +
		`${f2(s.failPct)} % | ${ms(s.p50)} | ${ms(s.p99)} |`);
	return `(a) Call setup: \`sipp -sf bench/sipp/setup.xml -s ${SETUP_NUMBER}
127.0.0.1:PORT -r RATE -rp 1000 -m RATE×${RATE_SECS} -l RATE×20
-trace_stat -trace_rtt -rtt_freq 1\` (UDP, retransmissions on); the
number's flow plays \`builtin/beep\` then hangs up; a call succeeds when
the 200 and the server's BYE arrive. Latency is INVITE → 200 at sipp for
every call (sipp counts whole milliseconds: 0 is shown as < 1). Median
of ${RUNS} runs per rate; the series stops one step past the limit.

| calls/s | completed per run | failed (median) | INVITE→200 p50 ms | p99 ms |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

Highest rate with < 0.1 % failed calls: ${good ? `**${good.rate} calls/s**` +
		` (p50 ${ms(good.p50)} ms, p99 ${ms(good.p99)} ms)` : 'none tried'}.
Highest rate that also keeps p99 < 20 ms: ${fast ?
		`**${fast.rate} calls/s**` : 'none tried'}.
`;
}

function holdText(hold) {
	if (!hold.length)
		return '';
	const good = hold.filter(holdOk).pop();
	const p99 = (h) => (h.labelled ? le(h.p99) : p99Under5(h) ?
		'< 5 ms (bound)' : 'not shown < 5 ms');
	const rows = hold.map((h) => `| ${h.n} | ${h.ok}/${h.n} | ` +
		`${p99(h)} | ${h.badWindows}/${h.windows} | ` +
		`${f2(h.medMaxMs)} / ${f2(h.maxMs)} | ${h.lost} | ` +
		`${Math.round(h.rxRate)} / ${Math.round(h.txRate)} | ` +
		`${f2(h.cpuPct)} % | ${f2(h.cpuPct / h.n * 1000)} % | ` +
		`${f2(h.rssKb / h.n)} |`);
	return `(b) Concurrency: \`sipp -sf bench/sipp/hold.xml -s ${HOLD_NUMBER}
127.0.0.1:PORT -r ${RAMP_CPS} -m N -l N -d ${HOLD_MS} -mp ${SIPP_MEDIA_PORT}\`; the
number's flow loops \`builtin/hold\` in a menu; each caller streams a
440 Hz A-law tone (\`rtp_stream\`, 50 packets/s) while OpenSeat plays
the prompt, and hangs up after ${HOLD_MS / 1000} s. Figures are taken
while all N calls are up: /metrics every ${SCRAPE_MS} ms; lateness p99
from the summed buckets when they are readable, else bounded by the
windows (scrape intervals) whose worst tick reached 5 ms — at most 1 %
of windows means at most 1 % of ticks; "worst tick" is the median and
the highest of the per-window maxima. CPU from /proc/PID/stat, RSS
growth from /proc/PID/status since the server started (hold runs go
first, in rising order, so this is the peak for N calls).

| calls | completed | tick lateness p99 | windows with a tick ≥ 5 ms | worst tick ms (median / max) | lost RTP | RTP rx / tx per s | openseat CPU (one core = 100 %) | CPU per 1,000 calls | RSS per call, KB |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Highest count with lateness p99 < 5 ms${hold.some((h) => !h.labelled) ?
		' (bounded by the windows where the buckets are unreadable)' : ''},
no lost packets and every call completed: ${good ? `**${good.n} calls**` :
		'none of the counts tried'}.
`;
}

function report(setup, hold) {
	console.log(`## Telephony (${new Date().toISOString().slice(0, 10)})

Machine: ${machine()}. Command: \`bench/run.sh\` (\`bench/telephony.mjs\`;
sipp ${sippVersion()} and the openseat release build share the 2 cores with
the embedded PostgreSQL, over loopback UDP).

${setupText(setup)}
${holdText(hold)}`);
}

function sippVersion() {
	const r = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
	const m = /v(\d+\.\d+\.\d+)/.exec(r.stdout + r.stderr);
	return m ? m[1] : '?';
}

let rssFresh = 0;
const stack = await startStack({ env: {
	OPENSEAT_RTP_PORT_MIN: String(RTP_MIN),
	OPENSEAT_RTP_PORT_MAX: String(RTP_MAX),
} });
try {
	const op = await stack.token(stack.operator);
	const admin = await stack.token(stack.admin);
	rssFresh = rssKb(stack.pid);
	const tenantId = stack.db.psql(
		"SELECT tenant_id FROM tenants WHERE code = 'demo'", true);
	await provision(stack, op, admin, tenantId, 'bench-setup', SETUP_FLOW,
		SETUP_NUMBER);
	await provision(stack, op, admin, tenantId, 'bench-hold', HOLD_FLOW,
		HOLD_NUMBER);
	const only = process.env.BENCH_ONLY || '';
	/* concurrency first: its RSS growth is measured from a fresh heap */
	const hold = only === 'setup' ? [] : await holdSeries(stack);
	const setup = only === 'hold' ? [] : await setupSeries(stack);
	report(setup, hold);
} finally {
	await stack.stop();
}
