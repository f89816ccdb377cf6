// An agent's SIP phone that answers, talks and hangs up itself, played
// by one sipp process: it registers (agent_register.xml) and answers
// INVITEs as tests/sipp/agent_talk.xml, echoing the RTP it receives
// (-rtp_echo), so a caller bridged to it hears itself. What sipp saw is
// read from its log file, so a test waits for the event itself.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort } from './stack.mjs';

const SIPP_DIR = path.join(ROOT, 'tests/sipp');

function udpFree(port) {
	return new Promise((resolve) => {
		const u = dgram.createSocket('udp4');
		u.once('error', () => resolve(false));
		u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
	});
}

async function freeUdp(count = 1) {
	for (;;) {
		const base = count === 1 ? await freePort() :
			10000 + 4 * Math.floor(Math.random() * 2500);
		let ok = true;
		for (let i = 0; i < count && ok; i++)
			ok = await udpFree(base + i);
		if (ok)
			return base;
	}
}

/**
 * Register user with OpenSeat (sipPort) and answer every INVITE after
 * ringMs; hang up talkMs after the answer (a BYE from OpenSeat first is
 * answered). Returns {invited(n), answered(n), stop(), count(what)}.
 */
export async function talkPhone({ sipPort, user, secret, ringMs = 200,
	talkMs = 3000 }) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-talk-'));
	const log = path.join(dir, 'sipp.log');
	const scen = path.join(dir, 'agent_talk.xml');
	fs.writeFileSync(scen, fs.readFileSync(path.join(SIPP_DIR,
		'agent_talk.xml'), 'utf8').replaceAll('@TALK_MS@',
		String(talkMs)));
	const port = await freeUdp();
	const args = [`127.0.0.1:${sipPort}`,
		'-sf', path.join(SIPP_DIR, 'agent_register.xml'),
		'-oocsf', scen, '-m', '1', '-i', '127.0.0.1', '-p', String(port),
		'-t', 'u1', '-mp', String(await freeUdp(4)), '-rtp_echo',
		'-cid_str', `talk-${user}-${port}@openseat-test`,
		'-au', user, '-ap', secret, '-set', 'user', user,
		'-set', 'chost', '127.0.0.1', '-set', 'cport', String(port),
		'-set', 'expires', '3600', '-set', 'ring_ms', String(ringMs),
		'-timeout', '900s', '-log_file', log, '-trace_logs', '-nostdin',
		'-nr'];
	const p = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let out = '';
	p.stdout.on('data', (d) => { out += d; });
	p.stderr.on('data', (d) => { out += d; });
	const exited = new Promise((r) => p.on('close', r));
	const lines = () => {
		try {
			return fs.readFileSync(log, 'utf8').split('\n');
		} catch {
			return [];
		}
	};
	const count = (re) => lines().filter((l) => re.test(l)).length;
	const wait = async (re, n = 1, timeoutMs = 15000) => {
		const until = Date.now() + timeoutMs;
		while (count(re) < n) {
			if (p.exitCode !== null || Date.now() > until) {
				throw new Error(`phone ${user}: no ${re} (${count(re)}/` +
					`${n}); sipp ${p.exitCode}: ${out.slice(-1500)}` +
					lines().slice(-20).join('\n'));
			}
			await new Promise((r) => setTimeout(r, 25));
		}
	};
	return {
		port,
		registered: (n = 1, ms) => wait(/REGISTERED/, n, ms),
		invited: (n = 1, ms) => wait(/INVITE /, n, ms),
		answered: (n = 1, ms) => wait(/ANSWERED /, n, ms),
		count: (what) => count({ invite: /INVITE /,
			answered: /ANSWERED / }[what]),
		async stop() {
			if (p.exitCode === null && p.signalCode === null)
				p.kill('SIGKILL');
			await exited;
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}
