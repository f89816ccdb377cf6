// ACD end to end: callers at a given rate into one queue served by 100
// agents whose phones (one sipp) answer after 1 s and talk 10 s, plus a
// probe agent whose phone is a SIP endpoint in this process: it is set
// ready again and again while calls wait, and the time until its
// INVITE arrives is the offer latency seen from outside. The server's
// own histogram (openseat_acd_offer_latency_seconds) is read as well.
// Prints a Markdown section for docs/PERFORMANCE.md.
//
// Environment: BENCH_ACD_RATE (calls/s, default 100), BENCH_ACD_SECS
// (seconds of calls, default 60), BENCH_ACD_AGENTS (default 100),
// BENCH_ACD_TALK_MS (default 10000), BENCH_ACD_RING_MS (default 1000),
// BENCH_ACD_SAMPLES (probe attempts, spread over the load, default 600),
// BENCH_ACD_MAX_LENGTH (the queue's max_length, overflow: a prompt and
// hang up; default 0 = no limit, the queue grows by ~90 calls/s),
// BENCH_ACD_PERF=S (perf record openseat for 5 s from S s into the load;
// BENCH_ACD_PERF_DWARF=1 for dwarf call graphs).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'build/release/openseat');
process.env.OPENSEAT_BIN = bin;
const { startStack, freePort, ROOT } = await import('../tests/lib/stack.mjs');
const { histogram, bucketPct } = await import('./metrics.mjs');

const RATE = Number(process.env.BENCH_ACD_RATE || 100);
const SECS = Number(process.env.BENCH_ACD_SECS || 60);
const AGENTS = Number(process.env.BENCH_ACD_AGENTS || 100);
const TALK_MS = Number(process.env.BENCH_ACD_TALK_MS || 10000);
const RING_MS = Number(process.env.BENCH_ACD_RING_MS || 1000);
const SAMPLES = Number(process.env.BENCH_ACD_SAMPLES || 600);
const MAX_LENGTH = Number(process.env.BENCH_ACD_MAX_LENGTH || 0);
const NUMBER = '4001000301';
const SECRET = 'Bench@2026';
const SIPP_DIR = path.join(ROOT, 'bench/sipp');
const RTP_MIN = 20000;
const RTP_MAX = 44000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');

function pct(xs, p) {
	if (!xs.length)
		return NaN;
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))];
}

async function ok(r, what) {
	if (r.status < 200 || r.status > 299)
		throw new Error(`${what}: ${r.status} ${r.text}`);
	return r.json;
}

/* sipp's working directories, removed at the end */
const dirs = [];

function tmpDir() {
	const d = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-bench-acd-'));
	dirs.push(d);
	return d;
}

/* ---- provisioning through the API --------------------------------------- */

async function provision(stack) {
	const op = await stack.token(stack.operator);
	const admin = await stack.token(stack.admin);
	const sup = await stack.token(stack.supervisor);
	const tenantId = stack.db.psql(
		"SELECT tenant_id FROM tenants WHERE code = 'demo'", true);
	await ok(await stack.api('PATCH', `/api/v1/tenants/${tenantId}`,
		{ seat_quota: AGENTS + 20 }, op), 'seat quota');
	const skill = await ok(await stack.api('POST', '/api/v1/skills',
		{ name: 'bench' }, admin), 'skill');
	const agents = [];
	/* work numbers 5001…: the probe is the last */
	for (let i = 0; i <= AGENTS; i++) {
		const workNo = String(5001 + i);
		const u = await ok(await stack.api('POST', '/api/v1/users', {
			username: `bench${workNo}`, role: 'agent',
			password: 'User@20261' }, admin), `user ${workNo}`);
		await ok(await stack.api('POST', '/api/v1/agents', {
			user_id: u.user_id, work_no: workNo, device: 'sip',
			sip_user: `bench${workNo}`, sip_secret: SECRET,
			skills: [{ skill_id: skill.skill_id }] }, admin),
		`agent ${workNo}`);
		agents.push({ id: u.user_id, workNo, sipUser: `bench${workNo}` });
	}
	const queue = await ok(await stack.api('POST', '/api/v1/queues', {
		name: 'bench', strategy: 'longest_idle', wrapup_s: 0,
		ring_timeout_s: 20, announce_work_no: false, announce_every_s: 0,
		join_empty: 'always', max_length: MAX_LENGTH, max_wait_s: 0,
		overflow_action: 'hangup',
		miss_limit: 1, sticky_days: 0, survey: false,
		skills: [skill.skill_id] }, admin), 'queue');
	const flow = await ok(await stack.api('POST', '/api/v1/flows', {
		name: 'bench-queue', graph: { start: 'q', nodes: {
			q: { kind: 'queue', queue: 'bench', fail: 'h' },
			h: { kind: 'hangup' } } } }, admin), 'flow');
	const num = await ok(await stack.api('POST', '/api/v1/numbers',
		{ number: NUMBER, tenant_id: tenantId }, op), 'number');
	await ok(await stack.api('PATCH', `/api/v1/numbers/${num.number_id}`,
		{ flow_id: flow.flow_id }, admin), 'number flow');
	return { sup, admin, queue, agents: agents.slice(0, AGENTS),
		probe: agents[AGENTS] };
}

async function live(stack, sup, what) {
	return (await ok(await stack.api('GET', `/api/v1/live/${what}`, null,
		sup), what)).items;
}

async function waitFor(what, fn, timeoutMs = 60000, everyMs = 100) {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > until)
			throw new Error(`timed out: ${what}`);
		await sleep(everyMs);
	}
}

/* ---- sipp --------------------------------------------------------------- */

/* every sipp started, killed however the run ends */
const sipps = [];

function sipp(args, dir) {
	const p = spawn('sipp', [...args, '-nostdin'], { cwd: dir,
		stdio: ['ignore', 'pipe', 'pipe'] });
	sipps.push(p);
	let out = '';
	p.stdout.on('data', (d) => { out = (out + d).slice(-4000); });
	p.stderr.on('data', (d) => { out = (out + d).slice(-4000); });
	const exited = new Promise((r) => p.on('close', (code) => r(code)));
	return { p, exited, out: () => out, dir,
		async kill() {
			if (p.exitCode === null && p.signalCode === null)
				p.kill('SIGKILL');
			await exited;
		} };
}

/* All agents' phones in one sipp: registrations from an -inf file, one
 * out-of-call scenario answering every INVITE after RING_MS and
 * hanging up TALK_MS after the answer. */
async function agentPhones(stack, agents) {
	const dir = tmpDir();
	fs.writeFileSync(path.join(dir, 'users.csv'), ['SEQUENTIAL',
		...agents.map((a) => `${a.sipUser};[authentication ` +
			`username=${a.sipUser} password=${SECRET}]`)].join('\n') + '\n');
	fs.writeFileSync(path.join(dir, 'talk.xml'), fs.readFileSync(
		path.join(ROOT, 'tests/sipp/agent_talk.xml'), 'utf8')
		.replaceAll('@TALK_MS@', String(TALK_MS)));
	const s = sipp([`127.0.0.1:${stack.sipPort}`,
		'-sf', path.join(SIPP_DIR, 'acd_agents.xml'),
		'-inf', path.join(dir, 'users.csv'),
		'-oocsf', path.join(dir, 'talk.xml'),
		'-set', 'ring_ms', String(RING_MS),
		'-m', String(agents.length), '-r', '50', '-l', '100000',
		'-i', '127.0.0.1', '-p', String(await freePort()),
		'-mp', '46000', '-rtp_echo', '-t', 'u1',
		'-timeout', '3600s', '-trace_stat', '-stf', 'stat.csv',
		'-fd', '1', ...(process.env.BENCH_ACD_TRACE ? ['-trace_msg'] : [])],
	dir);
	if (process.env.BENCH_ACD_TRACE)
		console.error(`agent phones: ${dir}`);
	return s;
}

/* Callers: RATE calls/s for SECS s; each waits for OpenSeat's BYE. */
async function callers(stack) {
	const dir = tmpDir();
	return sipp([`127.0.0.1:${stack.sipPort}`,
		'-sf', path.join(SIPP_DIR, 'acd_caller.xml'), '-s', NUMBER,
		'-r', String(RATE), '-rp', '1000', '-m', String(RATE * SECS),
		'-l', String(RATE * SECS), '-i', '127.0.0.1',
		'-p', String(await freePort()), '-mp', '48000', '-t', 'u1',
		'-timeout', '3600s', '-trace_stat', '-stf', 'stat.csv',
		'-fd', '1'], dir);
}

function sippStat(dir, col) {
	try {
		const lines = fs.readFileSync(path.join(dir, 'stat.csv'), 'utf8')
			.trim().split('\n');
		const head = lines[0].split(';');
		return Number(lines[lines.length - 1].split(';')[head.indexOf(col)]);
	} catch {
		return NaN;
	}
}

/* ---- the probe agent's phone -------------------------------------------- */

/*
 * A SIP phone over UDP in this process: registers with digest, answers
 * OPTIONS 200, and on an INVITE notes performance.now() and answers 486
 * (busy: the queue's miss_limit 1 makes the agent not ready, and the
 * call goes back to the head of the queue).
 */
class ProbePhone {
	static async open(stack, user) {
		const p = new ProbePhone(stack, user);
		await new Promise((resolve) => p.sock.bind(0, '127.0.0.1', resolve));
		p.port = p.sock.address().port;
		return p;
	}

	constructor(stack, user) {
		this.stack = stack;
		this.user = user;
		this.sock = dgram.createSocket({ type: 'udp4',
			recvBufferSize: 1 << 20 });
		this.waiters = new Map();
		this.invites = new Map();   /* call-id -> time of first INVITE */
		this.onInvite = null;
		this.onAck = null;
		this.sock.on('message', (m) => this.message(m.toString(),
			performance.now()));
	}

	static parse(text) {
		const head = text.split('\r\n\r\n')[0].split('\r\n');
		const h = {};
		const vias = [];
		for (const l of head.slice(1)) {
			const k = l.indexOf(':');
			if (k <= 0)
				continue;
			const name = l.slice(0, k).trim().toLowerCase();
			const v = l.slice(k + 1).trim();
			if (name === 'via' || name === 'v')
				vias.push(v);
			h[name] = h[name] || v;
		}
		const m = /^SIP\/2\.0 (\d{3})/.exec(head[0]);
		return { first: head[0], status: m ? Number(m[1]) : 0, h, vias };
	}

	send(text) {
		return new Promise((r) => this.sock.send(text, this.stack.sipPort,
			'127.0.0.1', () => r()));
	}

	reply(req, code, reason, tag) {
		const to = tag && !/;tag=/.test(req.h.to) ? `${req.h.to};tag=${tag}` :
			req.h.to;
		return this.send([`SIP/2.0 ${code} ${reason}`,
			...req.vias.map((v) => `Via: ${v}`), `From: ${req.h.from}`,
			`To: ${to}`, `Call-ID: ${req.h['call-id']}`,
			`CSeq: ${req.h.cseq}`, 'Content-Length: 0', '', ''].join('\r\n'));
	}

	message(text, at) {
		const msg = ProbePhone.parse(text);
		if (msg.status) {
			const key = `${msg.h['call-id']} ${msg.h.cseq}`;
			const w = this.waiters.get(key);
			if (w && msg.status >= 200) {
				this.waiters.delete(key);
				w(msg);
			}
			return;
		}
		const method = msg.first.split(' ')[0];
		const id = msg.h['call-id'];
		if (method === 'INVITE') {
			/* a retransmission gets the same answer, not a new sample */
			if (!this.invites.has(id)) {
				this.invites.set(id, at);
				this.onInvite?.(at, id);
			}
			void this.reply(msg, 486, 'Busy Here', 'probe');
		} else if (method === 'ACK') {
			this.onAck?.(id);
		} else if (method === 'OPTIONS' || method === 'BYE' ||
			method === 'CANCEL') {
			void this.reply(msg, 200, 'OK');
		}
	}

	response(callId, cseq, timeoutMs = 5000) {
		return new Promise((resolve, reject) => {
			const key = `${callId} ${cseq}`;
			const t = setTimeout(() => {
				this.waiters.delete(key);
				reject(new Error(`probe: no answer to ${key}`));
			}, timeoutMs);
			this.waiters.set(key, (m) => {
				clearTimeout(t);
				resolve(m);
			});
		});
	}

	/* REGISTER, 401, REGISTER with the digest (qop auth), 200. */
	async register(secret) {
		const ruri = `sip:127.0.0.1:${this.stack.sipPort}`;
		const callId = `probe-${this.port}@openseat-bench`;
		const text = (cseq, auth) => [`REGISTER ${ruri} SIP/2.0`,
			`Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bKprobe` +
				`${cseq}${Date.now()};rport`,
			`From: <sip:${this.user}@openseat>;tag=probe`,
			`To: <sip:${this.user}@openseat>`, `Call-ID: ${callId}`,
			`CSeq: ${cseq} REGISTER`,
			`Contact: <sip:${this.user}@127.0.0.1:${this.port}>`,
			'Expires: 3600', 'Max-Forwards: 70', ...(auth ? [auth] : []),
			'Content-Length: 0', '', ''].join('\r\n');
		const first = this.response(callId, '1 REGISTER');
		await this.send(text(1));
		const r1 = await first;
		if (r1.status !== 401)
			throw new Error(`probe REGISTER: ${r1.status}`);
		const nonce = /nonce="([^"]+)"/.exec(r1.h['www-authenticate'])[1];
		const ha1 = md5(`${this.user}:openseat:${secret}`);
		const ha2 = md5(`REGISTER:${ruri}`);
		const resp = md5(`${ha1}:${nonce}:00000001:0bench:auth:${ha2}`);
		const auth = `Authorization: Digest username="${this.user}", ` +
			`realm="openseat", nonce="${nonce}", uri="${ruri}", ` +
			`response="${resp}", algorithm=MD5, cnonce="0bench", ` +
			'qop=auth, nc=00000001';
		const second = this.response(callId, '2 REGISTER');
		await this.send(text(2, auth));
		const r2 = await second;
		if (r2.status !== 200)
			throw new Error(`probe REGISTER with digest: ${r2.status}`);
	}

	/* The next INVITE's arrival time, and a promise for its ACK. */
	nextInvite(timeoutMs) {
		return new Promise((resolve, reject) => {
			const t = setTimeout(() => {
				this.onInvite = null;
				reject(new Error('probe: no INVITE'));
			}, timeoutMs);
			this.onInvite = (at, id) => {
				clearTimeout(t);
				this.onInvite = null;
				const acked = new Promise((r) => {
					const ta = setTimeout(() => r(false), 5000);
					this.onAck = (aid) => {
						if (aid === id) {
							clearTimeout(ta);
							this.onAck = null;
							r(true);
						}
					};
				});
				resolve({ at, acked });
			};
		});
	}

	close() {
		this.sock.close();
	}
}

/*
 * While calls wait: set the probe agent ready (PUT state), wait for the
 * INVITE; the phone answers 486, the agent goes not ready (no_answer)
 * and the call keeps its place. sent: just before the PUT is written;
 * replied: when its response arrived.
 */
async function probeLoop(stack, sup, probe, phone, stopAt, waiting) {
	const fromSend = [];
	const fromReply = [];
	const at = [];
	const why = {};
	let errors = 0;
	/* spread over the load, so the samples see the queue at every size */
	const every = Math.max(0, (stopAt - performance.now()) / SAMPLES);
	let next = performance.now();
	while (fromSend.length < SAMPLES && performance.now() < stopAt) {
		await sleep(Math.max(0, next - performance.now()));
		next += every;
		if (!waiting()) {
			await sleep(50);
			continue;
		}
		const inv = phone.nextInvite(10000);
		inv.catch(() => {});
		const sent = performance.now();
		const r = await stack.api('PUT', `/api/v1/agents/${probe.id}/state`,
			{ state: 'ready' }, sup);
		const replied = performance.now();
		if (r.status !== 200) {
			errors++;
			why[`PUT ${r.status} ${r.text.slice(0, 80)}`] =
				(why[`PUT ${r.status} ${r.text.slice(0, 80)}`] || 0) + 1;
			await sleep(20);
			continue;
		}
		let got;
		try {
			got = await inv;
		} catch {
			errors++;
			why['no INVITE in 10 s'] = (why['no INVITE in 10 s'] || 0) + 1;
			continue;
		}
		fromSend.push(got.at - sent);
		fromReply.push(got.at - replied);
		at.push({ t: sent, waiting: waiting() });
		/* the ACK of the 486: OpenSeat has taken the miss */
		await got.acked;
		await waitFor('probe not ready', async () => {
			const a = (await live(stack, sup, 'agents')).find((x) =>
				x.agent_id === probe.id);
			return a && a.state === 'not_ready';
		}, 30000, 5).catch(() => {
			errors++;
			why['not ready 30 s after the 486'] =
				(why['not ready 30 s after the 486'] || 0) + 1;
		});
	}
	if (errors)
		console.error(`probe: ${JSON.stringify(why)}`);
	return { fromSend, fromReply, at, errors, why };
}

/* ---- /metrics and /proc ------------------------------------------------- */

const latencyBuckets = (stack) => histogram(stack,
	'openseat_acd_offer_latency_seconds');

const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })
	.stdout.trim() || 100);

function cpuTicks(pid) {
	const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
	const after = f.slice(f.lastIndexOf(')') + 2).split(' ');
	return Number(after[11]) + Number(after[12]);
}

/* ---- the run ------------------------------------------------------------ */

async function run(stack) {
	const x = await provision(stack);
	const { sup } = x;
	const qid = x.queue.queue_id;
	const queueLive = async () => (await live(stack, sup, 'queues'))
		.find((q) => q.queue_id === qid);

	const phones = await agentPhones(stack, x.agents);
	const probe = await ProbePhone.open(stack, x.probe.sipUser);
	await probe.register(SECRET);
	const ids = new Set([...x.agents.map((a) => a.id), x.probe.id]);
	await waitFor('every phone reachable', async () => {
		const l = (await live(stack, sup, 'agents')).filter((a) =>
			ids.has(a.agent_id));
		return l.length === ids.size && l.every((a) => a.device_reachable);
	}, 60000).catch((e) => {
		throw new Error(`${e.message}; sipp: ${phones.out()}`);
	});
	for (const a of x.agents) {
		await ok(await stack.api('PUT', `/api/v1/agents/${a.id}/state`,
			{ state: 'ready' }, sup), `ready ${a.workNo}`);
	}
	const q0 = await queueLive();
	if (q0.agents.ready !== AGENTS)
		throw new Error(`ready: ${JSON.stringify(q0.agents)}`);
	console.error(`${AGENTS} agents ready, probe registered; ` +
		`${RATE} calls/s for ${SECS} s`);

	const m0 = await latencyBuckets(stack);
	const cpu0 = cpuTicks(stack.pid);
	const t0 = performance.now();
	const load = await callers(stack);
	const series = [];
	let waitingNow = 0;
	let sampling = true;
	const sampler = (async () => {
		let next = t0 + 1000;
		let cpuPrev = cpu0;
		let tPrev = t0;
		while (sampling && stack.proc.exitCode === null &&
			!stack.proc.signalCode) {
			await sleep(Math.max(0, next - performance.now()));
			next += 1000;
			const q = await queueLive().catch(() => null);
			if (!q)
				continue;
			const now = performance.now();
			const cpu = cpuTicks(stack.pid);
			series.push({ t: (now - t0) / 1000, waiting: q.waiting,
				offered: q.offered, answered: q.answered,
				onCall: q.agents.on_call, ringing: q.agents.ringing,
				cpuPct: 100 * (cpu - cpuPrev) / HZ / ((now - tPrev) / 1000),
				calls: sippStat(load.dir, 'TotalCallCreated') });
			cpuPrev = cpu;
			tPrev = now;
			waitingNow = q.waiting;
			const s = series[series.length - 1];
			console.error(`t=${s.t.toFixed(0)}s created ${s.calls} waiting ` +
				`${s.waiting} offered ${s.offered} answered ${s.answered} ` +
				`on call ${s.onCall} cpu ${s.cpuPct.toFixed(0)} %`);
		}
	})();
	/* BENCH_ACD_PERF=S: perf record openseat for 5 s from S s in */
	const perfAt = Number(process.env.BENCH_ACD_PERF || 0);
	const perf = perfAt ? sleep(perfAt * 1000).then(() => new Promise((r) => {
		const f = path.join(os.tmpdir(), `openseat-bench-acd-${perfAt}s` +
			'.perf');
		spawn('perf', ['record', '-F', '499', ...(process.env
			.BENCH_ACD_PERF_DWARF ? ['--call-graph', 'dwarf'] : ['-g']),
		'-p', String(stack.pid),
			'-o', f, '--', 'sleep', '5'], { stdio: 'ignore' })
			.on('close', () => {
				console.error(`perf: ${f}`);
				r();
			});
	})) : null;
	/* probe while calls are waiting, from 5 s in to the end of the load */
	await sleep(5000);
	const pr = await probeLoop(stack, sup, x.probe, probe,
		t0 + SECS * 1000, () => waitingNow);
	const left = t0 + SECS * 1000 - performance.now();
	if (left > 0)
		await sleep(left);
	await perf;
	const secs = (performance.now() - t0) / 1000;
	const cpu = 100 * (cpuTicks(stack.pid) - cpu0) / HZ / secs;
	const m1 = await latencyBuckets(stack);
	sampling = false;
	await sampler;
	const qEnd = await queueLive();
	const created = sippStat(load.dir, 'TotalCallCreated');
	const failed = sippStat(load.dir, 'FailedCall(C)');
	await load.kill();
	await phones.kill();
	probe.close();
	const loadAvg = os.loadavg();
	return { series, pr, secs, cpu, q0, qEnd, created, failed,
		srv50: bucketPct(m1, m0, 50), srv99: bucketPct(m1, m0, 99),
		loadAvg };
}

/* ---- report ------------------------------------------------------------- */

function machine() {
	const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout;
	const model = /Model name:\s+(.*)/.exec(lscpu)?.[1] || os.cpus()[0].model;
	return `${os.cpus().length} cores (nproc; ${model}), ` +
		`${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
		`${spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout.trim()}`;
}

const f1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const le = (v) => (Number.isNaN(v) ? 'n/a' : Number.isFinite(v) ?
	`≤ ${v} ms` : '> 1 s');

function report(r) {
	const s = r.series;
	const last = s[s.length - 1] || { offered: 0, answered: 0 };
	const rows = s.filter((x, i) => i % 5 === 4 || i === s.length - 1)
		.map((x) => `| ${x.t.toFixed(0)} | ${x.calls} | ${x.waiting} | ` +
			`${x.offered} | ${x.answered} | ${x.onCall} | ` +
			`${f1(x.cpuPct)} % |`);
	/* the agents start together, so they answer in waves: the rate is
	 * over whole cycles, up to the last sample with all of them busy */
	const cycle = (RING_MS + TALK_MS) / 1000;
	const busy = s.filter((x) => x.onCall + x.ringing >= AGENTS);
	const until = busy.length ? busy[busy.length - 1] : null;
	const waves = until ? Math.floor(until.t / cycle) : 0;
	const rate = waves ? s.filter((x) => x.t <= waves * cycle)
		.pop().answered / (waves * cycle) : NaN;
	const cap = AGENTS / ((RING_MS + TALK_MS) / 1000);
	const p = r.pr;
	/* the probe's samples by the number of calls waiting then */
	const bands = [[0, 500], [500, 1000], [1000, 1500], [1500, 2000],
		[2000, 3000], [3000, Infinity]];
	const byBand = bands.map(([lo, hi]) => {
		const v = p.fromSend.filter((x, i) => p.at[i].waiting >= lo &&
			p.at[i].waiting < hi);
		return `| ${lo}–${Number.isFinite(hi) ? hi - 1 : ''} | ${v.length} | ` +
			`${f1(pct(v, 50))} | ${f1(pct(v, 99))} | ${f1(v.length ?
				Math.max(...v) : NaN)} |`;
	}).filter((l) => !/\| 0 \|/.test(l));
	console.log(`## ACD end to end, run of ${new Date().toISOString()
		.slice(0, 10)}

Machine: ${machine()}; load average ${r.loadAvg.map((v) =>
		v.toFixed(2)).join(' / ')} at the end of the run. Command:
\`${Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_ACD_'))
		.map(([k, v]) => `${k}=${v} `).join('')}BENCH=acd-calls bench/run.sh ${
	path.relative(ROOT, bin)}\` (\`bench/acd.mjs\`). sipp, the node harness,
openseat (release build, one thread) and PostgreSQL share the cores.

Callers: ${RATE} calls/s for ${SECS} s (\`bench/sipp/acd_caller.xml\`,
${r.created} calls created, ${r.failed} of them failed at the caller)
into queue \`bench\` (longest idle, wrap-up
0, ring timeout 20 s) served by ${AGENTS} agents whose phones, one sipp
(\`bench/sipp/acd_agents.xml\` + \`tests/sipp/agent_talk.xml\`), answer
after ${RING_MS / 1000} s and hang up ${TALK_MS / 1000} s later. The
agents can take at most ${AGENTS} / ${(RING_MS + TALK_MS) / 1000} s ≈
${cap.toFixed(1)} calls/s${RATE > cap ? `: everything above that waits, so the
queue grows by about ${(RATE - cap).toFixed(0)} calls every second` : ''}.

| s | calls created | waiting | offered | answered | agents on a call | openseat CPU |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Calls into the queue: ${f1((last.waiting + last.answered) / r.secs)}/s
joined (waiting + answered at the end over ${r.secs.toFixed(0)} s).
Answered: ${f1(rate)}/s over the first ${waves} waves of ${cycle} s
(the agents start together and answer in waves; all ${AGENTS} were on a
call or ringing until ${until ? until.t.toFixed(0) : '—'} s; the bound
is ${cap.toFixed(1)}/s); ${last.answered} answered and ${last.offered}
offers in all. openseat used ${f1(r.cpu)} % of one core on average over
the run.

Offer latency:
- Server side, \`openseat_acd_offer_latency_seconds\` over the run
  (${r.srv50.total} offers, from a call being offerable to the device
  rung; buckets of 1, 2, 5, 10, 20, 50 ms …): p50 ${le(r.srv50.le)},
  p99 ${le(r.srv99.le)}.
- Client side, a probe agent (SIP over UDP in the harness, answering
  486 so it goes not ready again) set ready ${p.fromSend.length} times
  while calls waited: from just before the \`PUT
  /api/v1/agents/{id}/state\` is sent to its INVITE arriving, p50
  ${f1(pct(p.fromSend, 50))} ms, p99 ${f1(pct(p.fromSend, 99))} ms, max
  ${f1(Math.max(...p.fromSend))} ms; from the PUT's response, p50
  ${f1(pct(p.fromReply, 50))} ms, p99 ${f1(pct(p.fromReply, 99))} ms
  (${p.errors} attempts without an INVITE or refused).

| calls waiting | probe samples | ready → INVITE p50 ms | p99 ms | max ms |
| --- | --- | --- | --- | --- |
${byBand.join('\n')}
`);
}

const stack = await startStack({ env: {
	OPENSEAT_RTP_PORT_MIN: String(RTP_MIN),
	OPENSEAT_RTP_PORT_MAX: String(RTP_MAX),
	/* the invariant check after every operation is for tests */
	OPENSEAT_ACD_CHECK: '0',
	/* callers send no RTP (thousands of streams would load sipp and the
	 * loop beyond what the queue is measured for): no RTP timeout */
	OPENSEAT_RTP_TIMEOUT: '0',
} });
/* the server's log tells what the figures do not (who went offline) */
const logFile = path.join(os.tmpdir(), `openseat-bench-acd-${stack.pid}.log`);
try {
	report(await run(stack));
} catch (e) {
	console.error(`server exit ${stack.proc.exitCode}/` +
		`${stack.proc.signalCode}`);
	throw e;
} finally {
	fs.writeFileSync(logFile, stack.logs());
	console.error(`server log: ${logFile}`);
	for (const p of sipps) {
		if (p.exitCode === null && p.signalCode === null)
			p.kill('SIGKILL');
	}
	for (const d of dirs)
		fs.rmSync(d, { recursive: true, force: true });
	await stack.stop();
}
