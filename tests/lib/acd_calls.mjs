// More for the ACD call tests, on top of acd.mjs: every WebSocket event
// kept in order (an agent's states as pushed, offers, waits for an
// event rather than for a while), callers, a reset between tests and a
// restart of the server on the same database.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort, request, startServer, wsAuthed } from
	'./stack.mjs';
import { RtpPeer, rerouted, sipCall } from './sip.mjs';
import { registerPhone } from './agentphone.mjs';
import { talkPhone } from './talkphone.mjs';
import { SECRET, acdStack, queueFlow } from './acd.mjs';

export const WORK_NOS = ['1001', '1002', '1003', '1004', '1005'];
export const QUEUE_NUMBER = '4001000500';

const pause = (ms) => new Promise((res) => setTimeout(res, ms));

/* Poll fn until it returns something truthy (an outside state: the
 * API, a log line, sipp's log). */
export async function until(fn, what, timeoutMs = 15000) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`not in ${timeoutMs} ms: ${what}`);
		await pause(25);
	}
}

function checkLogs(log) {
	if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(log))
		throw new Error(`sanitizer report:\n${log.slice(-6000)}`);
}

/**
 * acdStack plus: QUEUE_NUMBER into queue support, support with wrap-up
 * 1 s, ring timeout 5 s and no announcements, events (every message of
 * the supervisor's WebSocket) and the helpers below. Helpers use t.s, so
 * they follow a restart.
 */
export async function queueStack(opts = {}) {
	const t = await acdStack(opts);
	const env = { OPENSEAT_CLOCK_OFFSET: '@2026-11-23T02:00:00Z',
		...opts.env };
	t.events = [];
	t.setState = (workNo, state, reason) => t.s.api('PUT',
		`/api/v1/agents/${t.agents[workNo].agent_id}/state`,
		{ state, reason }, t.d.sup);
	t.live = async (workNo) => {
		const r = await t.s.api('GET', '/api/v1/live/agents', null, t.d.sup);
		assert.equal(r.status, 200, r.text);
		return r.json.items.find((x) => x.work_no === workNo);
	};
	t.waitAgent = async (workNo, pred, timeoutMs = 15000) => {
		let last;
		try {
			return await until(async () => {
				last = await t.live(workNo);
				return pred(last) && last;
			}, `agent ${workNo}`, timeoutMs);
		} catch {
			throw new Error(`agent ${workNo}: ${JSON.stringify(last)}`);
		}
	};
	t.liveQueue = async (queueId) => {
		const r = await t.s.api('GET', '/api/v1/live/queues', null,
			t.d.sup);
		assert.equal(r.status, 200, r.text);
		return r.json.items.find((x) => x.queue_id === queueId);
	};
	t.reloaded = async (fn) => {
		const from = t.s.logs().length;
		const r = await fn();
		await until(() => /ACD loaded/.test(t.s.logs().slice(from)),
			'ACD reloaded', 10000);
		return r;
	};
	t.adminApi = async (method, p, body, status = 200) => {
		const r = await t.s.api(method, p, body, t.d.admin);
		assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
		return r.json;
	};
	t.patchQueue = (id, body) => t.reloaded(() =>
		t.adminApi('PATCH', `/api/v1/queues/${id}`, body));
	t.patchAgent = (workNo, body) => t.reloaded(() => t.adminApi('PATCH',
		`/api/v1/agents/${t.agents[workNo].agent_id}`, body));
	/** A new queue with support's skills; its row. */
	t.newQueue = (body) => t.reloaded(() => t.adminApi('POST',
		'/api/v1/queues', { skills: t.support.skills, ...body }, 201));
	/** number -> a new flow of nodes starting at 'q'; the flow's id. */
	t.queueNumber = async (number, nodes) => {
		const f = await t.d.flow(`flow ${number}`, { start: 'q', nodes });
		await t.d.number(number, { flow_id: f });
		return f;
	};

	/* --- events --- */
	t.mark = () => t.events.length;
	t.since = (from, pred) => t.events.slice(from).filter(pred);
	/** The n-th event since from matching pred. */
	t.waitEvent = (pred, from = 0, timeoutMs = 15000, n = 1) =>
		until(() => t.since(from, pred)[n - 1], 'event', timeoutMs)
			.catch(() => {
				throw new Error(`no such event in ${timeoutMs} ms: ` +
					`${pred}; since: ${JSON.stringify(t.events.slice(from)
						.slice(-12))}`);
			});
	t.stateEvent = (workNo, state, reason) => (m) =>
		m.type === 'agent.state_changed' && m.data.work_no === workNo &&
		(!state || m.data.state === state) &&
		(reason === undefined || m.data.reason === reason);
	t.waitState = (workNo, state, from = 0, timeoutMs = 15000, reason) =>
		t.waitEvent(t.stateEvent(workNo, state, reason), from, timeoutMs);
	/** workNo's states in order since from ("not_ready:no_answer"). */
	t.states = (workNo, from = 0) => t.since(from, t.stateEvent(workNo))
		.map((m) => m.data.reason ? `${m.data.state}:${m.data.reason}` :
			m.data.state);
	/** Who was offered calls since from, in order (work numbers). */
	t.offered = (from = 0) => t.since(from, (m) => m.type ===
		'agent.offered').map((m) => m.data.work_no);
	t.listen = async () => {
		t.events = [];
		t.ews = await wsAuthed(t.s, t.d.sup, ['agent', 'queue', 'call',
			'survey', 'recording', 'alert']);
		t.ews.ws.on('message', (data) => {
			try {
				t.events.push(JSON.parse(data.toString()));
			} catch { /* not JSON */ }
		});
	};
	await t.listen();

	/** A registered phone for workNo (talkMs: talkPhone, else
	 * registerPhone with mode and ringMs). */
	t.phone = async (workNo, o = {}) => {
		const a = { sipPort: t.s.sipPort, user: `demo${workNo}`,
			secret: SECRET, ...o };
		const p = o.talkMs ? await talkPhone(a) : await registerPhone(a);
		t.phones.push(p);
		await p.registered();
		await t.waitAgent(workNo, (x) => x.device_reachable);
		return p;
	};
	/** A phone for workNo that answers as it is cancelled
	 * (tests/sipp/agent_cross.xml), registered by another process. */
	t.crossPhone = async (workNo) => {
		const ua = await sippUas('agent_cross.xml');
		const reg = await registerPhone({ sipPort: t.s.sipPort,
			user: `demo${workNo}`, secret: SECRET, contactPort: ua.port });
		t.phones.push(ua, reg);
		await reg.registered();
		await t.waitAgent(workNo, (x) => x.device_reachable);
		return ua;
	};
	/** The agents ready one after another (the first idle longest). */
	t.readyAll = async (...workNos) => {
		for (const w of workNos) {
			const from = t.mark();
			const r = await t.setState(w, 'ready');
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.state, 'ready', r.text);
			await t.waitState(w, 'ready', from, 5000);
		}
	};
	/** Every agent logged out, every phone gone. */
	t.reset = async () => {
		for (const w of WORK_NOS)
			await t.setState(w, 'logged_out');
		for (const p of t.phones.splice(0))
			await p.stop();
		for (const w of WORK_NOS)
			await t.waitAgent(w, (x) => x.state === 'logged_out');
	};
	/** A caller (own RTP peer unless rtp: false) into number. */
	t.call = async (caller, o = {}) => {
		const rtp = o.rtp === false ? null : await RtpPeer.open();
		const c = await sipCall(t.s, { service: o.service || QUEUE_NUMBER,
			caller, ...(rtp ? { rtp } : {}), ...o.sip });
		c.rtp = rtp;
		c.close = () => rtp?.close();
		return c;
	};
	/** Restart on the same database (SIGKILL with kill, else SIGTERM). */
	t.restart = async ({ kill = false } = {}) => {
		t.ews?.close();
		t.ws?.close();
		const old = t.s;
		old.proc.kill(kill ? 'SIGKILL' : 'SIGTERM');
		const { code, signal } = await old.exited;
		if (!kill)
			assert.equal(code, 0, `exit ${code}/${signal}`);
		checkLogs(old.logs());
		/* the phones hold UDP ports a TCP-only check may hand out */
		const sipPort = await sipPortFree();
		const srv = { ...await startServer(old.db, { env: { ...env,
			OPENSEAT_SIP_PORT: String(sipPort) } }), sipPort };
		/* phones may register once the agents are loaded (a REGISTER
		 * before gets 503) */
		await until(() => /agent phones loaded/.test(srv.logs()),
			'agent phones loaded', 10000);
		t.s = { ...old, ...srv,
			api: (m, p, b, tok, h) => request(srv.baseUrl, m, p, b, tok, h),
			async stop() {
				const r = await srv.stop();
				old.db.destroy();
				assert.equal(r.code, 0, `exit ${r.code}/${r.signal}`);
				checkLogs(srv.logs());
			} };
		await t.listen();
	};
	/* The tenant's trunk sends outbound calls to a sipp that answers and
	 * echoes what it hears (a customer, or a number consulted) while
	 * fn(ua) runs; then the trunk goes back as it was. */
	/** fn() while the trunk dials out to 127.0.0.1:port. */
	t.withTrunkTo = async (port, fn) => {
		const trunk = `/api/v1/trunks/${t.d.trunkId}`;
		const before = (await t.s.api('GET', trunk, null, t.d.op)).json;
		await rerouted(t.s, () => t.s.api('PATCH', trunk, {
			outbound_uri: `sip:127.0.0.1:${port}` }, t.d.op));
		try {
			await fn();
		} finally {
			await rerouted(t.s, () => t.s.api('PATCH', trunk, {
				outbound_uri: before.outbound_uri }, t.d.op));
		}
	};
	t.withFarEnd = async (fn) => {
		const ua = await sippUas('uas_answer.xml', ['-rtp_echo', '-m', '1']);
		try {
			await t.withTrunkTo(ua.port, () => fn(ua));
		} finally {
			await ua.stop();
		}
	};
	t.stop = async () => {
		t.ews?.close();
		t.ws?.close();
		for (const p of t.phones.splice(0))
			await p.stop();
		await t.s?.stop();
	};

	const flow = await t.d.flow('排队', queueFlow('support'));
	await t.d.number(QUEUE_NUMBER, { flow_id: flow });
	await t.patchQueue(t.support.queue_id, { wrapup_s: 1,
		ring_timeout_s: 5, announce_every_s: 0 });
	return t;
}

async function udpFree(port) {
	return new Promise((resolve) => {
		const u = dgram.createSocket('udp4');
		u.once('error', () => resolve(false));
		u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
	});
}

/** A port free for TCP and UDP. */
export async function sipPortFree() {
	let port = await freePort();
	while (!await udpFree(port))
		port = await freePort();
	return port;
}

/** sipp's four media ports (-mp), below OpenSeat's RTP ranges. */
export async function mediaPortsFree() {
	for (;;) {
		const base = 10000 + 4 * Math.floor(Math.random() * 2500);
		let ok = true;
		for (let i = 0; i < 4 && ok; i++)
			ok = await udpFree(base + i);
		if (ok)
			return base;
	}
}

/**
 * sipp as a UAS running scenario (a file in tests/sipp) on its own
 * port, with more sipp args; wait(re, n) resolves with the n-th line
 * its <log> actions wrote, messages() is its SIP trace.
 */
export async function sippUas(scenario, args = []) {
	const port = await sipPortFree();
	const media = await mediaPortsFree();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-uas-'));
	const log = path.join(dir, 'sipp.log');
	const msgs = path.join(dir, 'msg.log');
	const p = spawn('sipp', ['-sf', path.join(ROOT, 'tests/sipp', scenario),
		'-i', '127.0.0.1', '-p', String(port), '-mp', String(media),
		'-t', 'u1', '-log_file', log, '-trace_logs', '-message_file', msgs,
		'-trace_msg', '-nostdin', '-nr', ...args],
	{ stdio: ['ignore', 'ignore', 'pipe'] });
	let err = '';
	p.stderr.on('data', (d) => { err += d; });
	const exited = new Promise((res) => p.on('close', res));
	const lines = () => {
		try {
			return fs.readFileSync(log, 'utf8').split('\n');
		} catch {
			return [];
		}
	};
	return {
		port,
		/** Every SIP message sipp sent or received, as text. */
		messages: () => {
			try {
				return fs.readFileSync(msgs, 'utf8');
			} catch {
				return '';
			}
		},
		count: (re) => lines().filter((l) => re.test(l)).length,
		wait: (re, n = 1, ms = 10000) => until(() => lines()
			.filter((l) => re.test(l))[n - 1], `${scenario}: ${re} ` +
			`(${err.slice(-300)})`, ms),
		async stop() {
			if (p.exitCode === null && p.signalCode === null)
				p.kill('SIGKILL');
			await exited;
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}

/** The call's timeline event types in order. */
export const types = (call) => call.events.map((e) => e.type);

/** a came before b in the call's timeline. */
export function inOrder(call, ...names) {
	const ty = types(call);
	let at = -1;
	for (const n of names) {
		const i = ty.indexOf(n, at + 1);
		assert.ok(i > at, `${names} in order in ${ty}`);
		at = i;
	}
}

/** sipp's log of phone p has a CANCEL (agent_phone.xml, silent). */
export const cancelled = (p, n = 1, ms) => p.sipp.wait(/CANCELLED /, n, ms);
