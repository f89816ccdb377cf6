// Agents' SIP phones for the tests, played by sipp: a phone that
// registers (tests/sipp/agent_register.xml) and, in the same process or
// another one, answers OPTIONS and INVITEs (tests/sipp/agent_phone.xml).
// What sipp saw is read from its log file (<log> actions), so a test
// waits for the event itself, not for a while.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort } from './stack.mjs';

const SIPP_DIR = path.join(ROOT, 'tests/sipp');

export function udpFree(port, ip = '127.0.0.1') {
	return new Promise((resolve) => {
		const u = dgram.createSocket('udp4');
		u.once('error', () => resolve(false));
		u.bind(port, ip, () => u.close(() => resolve(true)));
	});
}

/* A port free for TCP and UDP (OpenSeat's RTP shares the range). */
export async function sipPort(ip) {
	let p = await freePort();
	while (!await udpFree(p, ip))
		p = await freePort();
	return p;
}

/* sipp's four media ports, below OpenSeat's RTP ranges. */
export async function mediaPorts(ip) {
	for (;;) {
		const base = 10000 + 4 * Math.floor(Math.random() * 2500);
		let ok = true;
		for (let i = 0; i < 4 && ok; i++)
			ok = await udpFree(base + i, ip);
		if (ok)
			return base;
	}
}

/*
 * One sipp process; lines its scenario logs are collected, and wait()
 * resolves when a line matching re appears (counting from `from`).
 */
export function runSipp(args, what) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-phone-'));
	const log = path.join(dir, 'sipp.log');
	const p = spawn('sipp', [...args, '-log_file', log, '-trace_logs',
		'-nostdin', '-nr'], { stdio: ['ignore', 'pipe', 'pipe'] });
	let stderr = '';
	let stdout = '';
	p.stdout.on('data', (d) => { stdout += d; });
	p.stderr.on('data', (d) => { stderr += d; });
	const exited = new Promise((resolve) => p.on('close', (code) =>
		resolve(code)));
	const lines = () => {
		try {
			return fs.readFileSync(log, 'utf8').split('\n');
		} catch {
			return [];
		}
	};
	return {
		proc: p,
		exited,
		lines,
		stderr: () => stderr,
		/** Resolves with the n-th line matching re (n counts from 1). */
		async wait(re, n = 1, timeoutMs = 10000) {
			const until = Date.now() + timeoutMs;
			for (;;) {
				const hits = lines().filter((l) => re.test(l));
				if (hits.length >= n)
					return hits[n - 1];
				if (p.exitCode !== null || Date.now() > until) {
					throw new Error(`${what}: no ${re} (${hits.length}/` +
						`${n}); sipp ${p.exitCode}: ${stderr.slice(-1500)}` +
						stdout.slice(-500) + lines().slice(-20).join('\n'));
				}
				await new Promise((r) => setTimeout(r, 25));
			}
		},
		count: (re) => lines().filter((l) => re.test(l)).length,
		async stop() {
			if (p.exitCode === null && p.signalCode === null)
				p.kill('SIGKILL');
			await exited;
			fs.rmSync(dir, { recursive: true, force: true });
		},
		cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
	};
}

/* A request inside the registration's dialog: sipp's cue (see
 * agent_register.xml): INFO registers again, NOTIFY unregisters. */
function cue(method, ip, port, callId) {
	const s = dgram.createSocket('udp4');
	const msg = [
		`${method} sip:phone@${ip}:${port} SIP/2.0`,
		`Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-${Date.now()}`,
		'From: <sip:test@127.0.0.1>;tag=test',
		'To: <sip:phone@127.0.0.1>',
		`Call-ID: ${callId}`,
		`CSeq: ${Math.floor(Math.random() * 1000) + 100} ${method}`,
		'Max-Forwards: 70',
		...(method === 'NOTIFY' ? ['Event: test',
			'Subscription-State: terminated'] : []),
		'Content-Length: 0', '', ''].join('\r\n');
	return new Promise((resolve) => {
		s.send(msg, port, ip, () => {
			s.close();
			resolve();
		});
	});
}

/**
 * A phone that answers: sipp as a UAS on its own port (give its port as
 * registerPhone's contactPort). mode: 'answer' (after ringMs), 'busy'
 * (486 after ringMs) or 'silent' (rings until cancelled).
 * Returns {port, invited(n), answered(n), options(n), stop()}.
 */
export async function agentPhone({ mode = 'answer', ringMs = 200,
	localIp = '127.0.0.1' } = {}) {
	const port = await sipPort(localIp);
	const s = runSipp(['-sf', path.join(SIPP_DIR, 'agent_phone.xml'),
		'-i', localIp, '-p', String(port), '-mp',
		String(await mediaPorts(localIp)), '-t', 'u1',
		'-set', 'mode', mode, '-set', 'ring_ms', String(ringMs)],
	'agent phone');
	return phoneApi(s, { port });
}

function phoneApi(s, extra) {
	return {
		...extra,
		sipp: s,
		invited: (n = 1, ms) => s.wait(/INVITE .* mode/, n, ms),
		answered: (n = 1, ms) => s.wait(/ANSWERED /, n, ms),
		options: (n = 1, ms) => s.wait(/OPTIONS /, n, ms),
		count: (what) => s.count({ invite: /INVITE .* mode/,
			answered: /ANSWERED /, options: /OPTIONS / }[what]),
		stop: () => s.stop(),
	};
}

/**
 * Register a phone with OpenSeat (sipp with agent_register.xml).
 * opts: sipPort (OpenSeat's), user, secret, expires (s), contactHost and
 * contactPort (the Contact; default: sipp's own address), answer (the
 * same process answers OPTIONS and INVITEs on its own port as
 * agent_phone.xml with mode and ringMs; default: when the Contact names
 * no other port), localIp.
 * Returns {port, callId, registered(n), refresh(), unregister(),
 * invited(n), answered(n), options(n), stop()}; registered(n) resolves
 * when the n-th REGISTER got its 200.
 */
export async function registerPhone({ sipPort: serverPort, user, secret,
	expires = 3600, contactHost, contactPort, mode = 'answer',
	ringMs = 200, localIp = '127.0.0.1', answer }) {
	const port = await sipPort(localIp);
	const callId = `reg-${user}-${port}@openseat-test`;
	const own = answer ?? !contactPort;
	const args = [`127.0.0.1:${serverPort}`,
		'-sf', path.join(SIPP_DIR, 'agent_register.xml'),
		'-m', '1', '-i', localIp, '-p', String(port), '-t', 'u1',
		'-mp', String(await mediaPorts(localIp)),
		'-cid_str', callId,
		'-au', user, '-ap', secret,
		'-set', 'user', user,
		'-set', 'chost', contactHost || localIp,
		'-set', 'cport', String(contactPort || port),
		'-set', 'expires', String(expires),
		'-timeout', '900s'];
	if (own) {
		args.push('-oocsf', path.join(SIPP_DIR, 'agent_phone.xml'),
			'-set', 'mode', mode, '-set', 'ring_ms', String(ringMs));
	}
	const s = runSipp(args, `phone ${user}`);
	let regs = 1;
	return {
		...phoneApi(s, { port, callId }),
		registered: (n = 1, ms) => s.wait(/REGISTERED/, n, ms),
		/** REGISTER again; resolves when it got its 200. */
		async refresh() {
			await cue('INFO', localIp, port, callId);
			return s.wait(/REGISTERED/, ++regs);
		},
		/** Expires: 0; resolves when sipp got the 200 and ended. */
		async unregister() {
			await cue('NOTIFY', localIp, port, callId);
			await s.wait(/UNREGISTERED/);
			return s.exited;
		},
	};
}
