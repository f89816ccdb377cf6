// An agent's SIP phone that answers, talks and hangs up itself, played
// by one sipp process: it registers (agent_register.xml) and answers
// INVITEs as tests/sipp/agent_talk.xml, echoing the RTP it receives
// (-rtp_echo), so a caller bridged to it hears itself. What sipp saw is
// read from its log file, so a test waits for the event itself.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './stack.mjs';
import { mediaPorts, runSipp, sipPort } from './agentphone.mjs';

const SIPP_DIR = path.join(ROOT, 'tests/sipp');

/**
 * Register user with OpenSeat (sipPort) and answer every INVITE after
 * ringMs; hang up talkMs after the answer (a BYE from OpenSeat first is
 * answered). Returns {invited(n), answered(n), stop(), count(what)}.
 */
export async function talkPhone({ sipPort: serverPort, user, secret,
	ringMs = 200, talkMs = 3000 }) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-talk-'));
	const scen = path.join(dir, 'agent_talk.xml');
	fs.writeFileSync(scen, fs.readFileSync(path.join(SIPP_DIR,
		'agent_talk.xml'), 'utf8').replaceAll('@TALK_MS@',
		String(talkMs)));
	const port = await sipPort('127.0.0.1');
	const s = runSipp([`127.0.0.1:${serverPort}`,
		'-sf', path.join(SIPP_DIR, 'agent_register.xml'),
		'-oocsf', scen, '-m', '1', '-i', '127.0.0.1', '-p', String(port),
		'-t', 'u1', '-mp', String(await mediaPorts('127.0.0.1')),
		'-rtp_echo', '-cid_str', `talk-${user}-${port}@openseat-test`,
		'-au', user, '-ap', secret, '-set', 'user', user,
		'-set', 'chost', '127.0.0.1', '-set', 'cport', String(port),
		'-set', 'expires', '3600', '-set', 'ring_ms', String(ringMs),
		'-timeout', '900s'], `phone ${user}`);
	return {
		port,
		registered: (n = 1, ms = 15000) => s.wait(/REGISTERED/, n, ms),
		invited: (n = 1, ms = 15000) => s.wait(/INVITE /, n, ms),
		answered: (n = 1, ms = 15000) => s.wait(/ANSWERED /, n, ms),
		count: (what) => s.count({ invite: /INVITE /,
			answered: /ANSWERED / }[what]),
		async stop() {
			await s.stop();
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}
