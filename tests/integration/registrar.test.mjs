// Agent phones registering: sipp phones register, refresh and
// unregister (rows in sip_registrations follow); wrong password and
// unknown user get the same 403 after the challenge and count toward
// the source's ban; registrations expire; OPTIONS find a silent phone
// unreachable and a recovered one reachable again, one answering late
// stays reachable; a phone behind NAT is reached at the packets'
// source; registrations survive a restart; bad REGISTERs are answered
// and change nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer, startStack } from '../lib/stack.mjs';
import { RtpPeer, SipUdp, demoCalls, sipCall, sipOk } from '../lib/sip.mjs';
import { agentPhone, registerPhone } from '../lib/agentphone.mjs';

let s;
let s2;            /* the server after the restart test */
let tenantId;
const agents = {};  /* sip_user -> agent_id */

const ENV = {
	OPENSEAT_SIP_QUALIFY_INTERVAL: '1',
	OPENSEAT_SIP_REG_MIN_EXPIRES: '2',
	OPENSEAT_SIP_REG_MAX_EXPIRES: '600',
	OPENSEAT_SIP_AUTH_MAX_FAILURES: '3',
};

const SECRET = (u) => `Secret-${u}-0`;

const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');

const until = async (what, fn, timeoutMs = 10000) => {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`not within ${timeoutMs} ms: ${what}`);
		await new Promise((r) => setTimeout(r, 25));
	}
};

/* Resolves once the server logged a line matching re after `from`. */
const logged = (srv, re, from = 0, timeoutMs = 10000) => until(
	`log ${re}`, () => srv.logs().slice(from).split('\n')
		.find((l) => re.test(l)), timeoutMs);

const row = (user) => s.db.psql('SELECT contact, source, user_agent,' +
	' floor(extract(epoch FROM expires_at - now())) FROM' +
	` sip_registrations WHERE agent_id = '${agents[user]}'`, true);

/* A user with a seat and a SIP phone, made as the admin would. */
function addAgent(user, workNo) {
	agents[user] = s.db.psql(`WITH u AS (INSERT INTO users (tenant_id,
		username, role, password_hash) VALUES ('${tenantId}', '${user}',
		'agent', 'x') RETURNING user_id) INSERT INTO agents (agent_id,
		tenant_id, work_no, device, sip_user, sip_secret) SELECT user_id,
		'${tenantId}', '${workNo}', 'sip', '${user}', '${SECRET(user)}'
		FROM u RETURNING agent_id`, true).split('\n')[0];
}

before(async () => {
	s = await startStack({ env: ENV });
	tenantId = s.db.psql("SELECT tenant_id FROM tenants WHERE code =" +
		" 'demo'", true);
	const from = s.logs().length;
	addAgent('ph1', '8801');
	addAgent('ph2', '8802');
	addAgent('ph3', '8803');
	addAgent('ph4', '8804');
	addAgent('ph5', '8805');
	s.db.psql('NOTIFY openseat_acd', true);
	await logged(s, /agent phones loaded: [0-9]+ agents/, from);
});

after(async () => {
	if (s2) {
		const { code } = await s2.stop();
		assert.equal(code, 0);
		assert.doesNotMatch(s2.logs(),
			/ERROR: (Address|Leak)Sanitizer|runtime error:/);
	}
	await s?.stop();
});

/*
 * REGISTER from a raw endpoint u, answering one 401 with the digest of
 * (authUser, secret). hdrs: the Contact, Expires and anything else.
 * Resolves with the final response (parsed by SipUdp) and the time it
 * took after the challenge.
 */
let regN = 0;
async function register(u, { user, secret, hdrs = [], authUser = user,
	to = user, from = user, callId = `r${++regN}-${Date.now()}@test`,
	nonce: forged, qop = true }) {
	const ruri = `sip:127.0.0.1:${u.stack.sipPort}`;
	const text = (cseq, auth) => [
		`REGISTER ${ruri} SIP/2.0`,
		`Via: SIP/2.0/UDP ${u.ip}:${u.port};branch=z9hG4bK${regN}c${cseq}` +
			`${Date.now()};rport`,
		`From: <sip:${from}@openseat>;tag=t${regN}`,
		`To: <sip:${to}@openseat>`,
		`Call-ID: ${callId}`,
		`CSeq: ${cseq} REGISTER`,
		'Max-Forwards: 70',
		...(auth ? [auth] : []),
		...hdrs,
		'Content-Length: 0', '', ''].join('\r\n');
	const first = u.response(callId, '1 REGISTER');
	await u.raw(text(1));
	const r1 = await first;
	if (r1.status !== 401 || secret === undefined)
		return { ...r1, ms: 0 };
	const nonce = forged ||
		/nonce="([^"]+)"/.exec(r1.h['www-authenticate'])[1];
	const ha1 = md5(`${authUser}:openseat:${secret}`);
	const ha2 = md5(`REGISTER:${ruri}`);
	const cnonce = 'c0ffee';
	const resp = qop ?
		md5(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`) :
		md5(`${ha1}:${nonce}:${ha2}`);
	const auth = `Authorization: Digest username="${authUser}", ` +
		`realm="openseat", nonce="${nonce}", uri="${ruri}", ` +
		`response="${resp}", algorithm=MD5` + (qop ? `, cnonce=` +
		`"${cnonce}", qop=auth, nc=00000001` : '');
	const t0 = process.hrtime.bigint();
	const second = u.response(callId, '2 REGISTER');
	await u.raw(text(2, auth));
	const r2 = await second;
	return { ...r2, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

const contactOf = (u, user = 'x') => `Contact: <sip:${user}@${u.ip}:` +
	`${u.port}>`;

test('a phone registers, refreshes and unregisters; the row follows',
	async () => {
		const p = await registerPhone({ sipPort: s.sipPort, user: 'ph1',
			secret: SECRET('ph1'), expires: 120 });
		try {
			await p.registered();
			const r = (await until('row written', () => row('ph1')))
				.split('|');
			assert.equal(r[0], `sip:ph1@127.0.0.1:${p.port};transport=UDP`);
			assert.equal(r[1], `sip:127.0.0.1:${p.port};transport=udp`);
			assert.equal(r[2], 'sipp agent phone');
			assert.ok(Number(r[3]) > 100 && Number(r[3]) <= 120, r[3]);

			/* OPTIONS qualify reach it every second */
			await p.options(2);

			const from = s.logs().length;
			await p.refresh();
			await p.options(3);
			assert.ok(!/phone registered/.test(s.logs().slice(from)),
				'a refresh is no new registration');

			const m = (await s.api('GET', '/metrics')).text;
			assert.match(m, /openseat_sip_registrations\{state="registered"\} [1-9]/);
			assert.match(m, /openseat_sip_registrations\{state="reachable"\} [1-9]/);
			assert.match(m, /openseat_sip_register_answers_total\{code="401"\} [1-9]/);
			assert.match(m, /openseat_sip_register_answers_total\{code="200"\} [1-9]/);

			assert.equal(await p.unregister(), 0);
			await until('row deleted', () => row('ph1') === '');
			await logged(s, new RegExp(`${agents.ph1}.*phone unregistered`));
		} finally {
			await p.stop();
		}
	});

test('wrong password and unknown user: the same 403 after the challenge,' +
	' nothing stored; failures ban the source', async () => {
	const u = await SipUdp.open(s, '127.0.0.3');
	try {
		const wrong = await register(u, { user: 'ph2', secret: 'guess',
			hdrs: [contactOf(u, 'ph2')] });
		const unknown = await register(u, { user: 'nobody',
			secret: 'guess', hdrs: [contactOf(u, 'nobody')] });
		assert.equal(wrong.status, 403);
		assert.equal(unknown.status, 403);
		assert.equal(wrong.first, unknown.first);
		/* both are answered from memory, with the same digest work */
		assert.ok(wrong.ms < 500 && unknown.ms < 500,
			`${wrong.ms} ${unknown.ms}`);
		assert.equal(row('ph2'), '');

		/* the third failure bans 127.0.0.3: now even the right password
		 * is refused, before any challenge */
		assert.equal((await register(u, { user: 'ph2', secret: 'guess2',
			hdrs: [contactOf(u, 'ph2')] })).status, 403);
		const banned = await register(u, { user: 'ph2',
			secret: SECRET('ph2'), hdrs: [contactOf(u, 'ph2')] });
		assert.equal(banned.status, 403);
		assert.equal(banned.ms, 0, 'no challenge for a banned source');
		assert.equal(row('ph2'), '');

		/* other sources are not affected */
		const v = await SipUdp.open(s);
		try {
			const ok = await register(v, { user: 'ph2',
				secret: SECRET('ph2'),
				hdrs: [contactOf(v, 'ph2'), 'Expires: 60'] });
			assert.equal(ok.status, 200, ok.text);
			assert.match(ok.h.contact, /expires=60/);
			/* a phone answering without qop (RFC 2069) too */
			assert.equal((await register(v, { user: 'ph2',
				secret: SECRET('ph2'), qop: false,
				hdrs: [contactOf(v, 'ph2'), 'Expires: 60'] })).status, 200);
			assert.equal((await register(v, { user: 'ph2',
				secret: SECRET('ph2'), hdrs: [contactOf(v, 'ph2'),
					'Expires: 0'] })).status, 200);
			await until('row deleted', () => row('ph2') === '');
		} finally {
			v.close();
		}
	} finally {
		u.close();
	}
});

test('an agent added without a NOTIFY registers at its second try',
	async () => {
		const from = s.logs().length;
		addAgent('ph6', '8806');
		const u = await SipUdp.open(s, '127.0.0.6');
		try {
			const reg = () => register(u, { user: 'ph6',
				secret: SECRET('ph6'), hdrs: [contactOf(u, 'ph6'),
					'Expires: 0'] });
			/* unknown yet: refused, and the agents are loaded again */
			assert.equal((await reg()).status, 403);
			await logged(s, /agent phones loaded/, from);
			assert.equal((await reg()).status, 200);
		} finally {
			u.close();
		}
	});

test('bad REGISTERs get a clear answer and change nothing', async () => {
	/* its own address: two of these count toward a ban */
	const u = await SipUdp.open(s, '127.0.0.4');
	const sec = SECRET('ph3');
	const reg = (hdrs, o = {}) => register(u, { user: 'ph3', secret: sec,
		hdrs, ...o });
	try {
		const cases = [
			[[contactOf(u, 'ph3'), 'Expires: soon'], 400],
			[[contactOf(u, 'ph3'), 'Expires: -5'], 400],
			[[`${contactOf(u, 'ph3')};expires=1x`], 400],
			[['Contact: <mailto:ph3@example.com>'], 400],
			[['Contact: <sip:ph3@127.0.0.1'], 400],
			[['Contact: *'], 400],
			[['Contact: *', 'Expires: 60'], 400],
			[[contactOf(u, 'ph3'), 'Expires: 1'], 423],
		];
		for (const [hdrs, status] of cases) {
			const r = await reg(hdrs);
			assert.equal(r.status, status, `${hdrs.join(' / ')}: ${r.first}`);
			if (status === 423)
				assert.equal(r.h['min-expires'], '2');
		}
		/* third-party registration: From names someone else */
		const tp = await reg([contactOf(u, 'ph3')], { from: 'ph4' });
		assert.equal(tp.status, 403);
		/* credentials of another agent for this AOR */
		const other = await reg([contactOf(u, 'ph3')], { authUser: 'ph4',
			secret: SECRET('ph4') });
		assert.equal(other.status, 403);
		/* right credentials for a nonce not ours (another process's,
		 * or too old) are challenged again, stale; wrong ones are not */
		const nonce = `${Math.floor(Date.now() / 1000).toString(16)}` +
			'0123456789abcdef0123456789abcdef';
		const stale = await reg([contactOf(u, 'ph3')], { nonce });
		assert.equal(stale.status, 401);
		assert.match(stale.h['www-authenticate'], /stale=true/);
		const forged = await register(u, { user: 'ph3', secret: 'guess',
			hdrs: [contactOf(u, 'ph3')], nonce });
		assert.equal(forged.status, 403);

		/* no Contact: a query, answered 200 with nothing bound */
		const q = await reg([]);
		assert.equal(q.status, 200);
		assert.equal(q.h.contact, undefined);
		assert.equal(row('ph3'), '');

		/* the edge says it takes REGISTER now */
		const callId = `opt-${Date.now()}@test`;
		const opt = u.response(callId, '1 OPTIONS');
		await u.raw(u.request('OPTIONS', 'openseat', { callId }));
		assert.match((await opt).h.allow, /REGISTER/);

		/* garbage and a cut REGISTER: no answer needed, no crash */
		await u.raw('REGISTER\r\n\r\n');
		await u.raw('REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ' +
			'127.0.0.1:9;branch=z9hG4bKx\r\nTo: <sip:ph3@openseat>\r\n');

		/* a huge expiry is cut to the maximum, and then it works; a
		 * User-Agent cut inside a UTF-8 character is stored all the same */
		const ok = await reg([contactOf(u, 'ph3'),
			'Expires: 99999999999999999999',
			`User-Agent: ${'x'.repeat(127)}话机`]);
		assert.equal(ok.status, 200, ok.text);
		assert.match(ok.h.contact, /expires=600/);
		const r = (await until('row written', () => row('ph3')))
			.split('|');
		assert.equal(r[2], `${'x'.repeat(127)}?`);
		assert.equal((await reg([contactOf(u, 'ph3'), 'Expires: 0']))
			.status, 200);
		await until('row deleted', () => row('ph3') === '');
	} finally {
		u.close();
	}
});

test('a registration expires; a silent phone is unreachable, and ' +
	'reachable again when it answers', async () => {
	const u = await SipUdp.open(s);
	const reply = u.reply.bind(u);
	try {
		let from = s.logs().length;
		const r = await register(u, { user: 'ph4', secret: SECRET('ph4'),
			hdrs: [contactOf(u, 'ph4'), 'Expires: 60'] });
		assert.equal(r.status, 200);
		await logged(s, new RegExp(`${agents.ph4}.*phone registered`),
			from);

		/* it stops answering OPTIONS */
		from = s.logs().length;
		u.reply = (m) => { if (!/^OPTIONS /.test(m.first)) reply(m); };
		await logged(s, new RegExp(`${agents.ph4}.*phone unreachable`),
			from);
		from = s.logs().length;
		u.reply = reply;
		await logged(s, new RegExp(`${agents.ph4}.*phone reachable`),
			from);

		/* a short registration ends by itself, the row with it */
		from = s.logs().length;
		assert.equal((await register(u, { user: 'ph4',
			secret: SECRET('ph4'), hdrs: [contactOf(u, 'ph4'),
				'Expires: 2'] })).status, 200);
		await logged(s, new RegExp(`${agents.ph4}.*phone expired`), from,
			5000);
		await until('row deleted', () => row('ph4') === '');
	} finally {
		u.reply = reply;
		u.close();
	}
});

test('behind NAT: the Contact names 10.0.0.5, OPTIONS reach the source',
	async () => {
		const p = await registerPhone({ sipPort: s.sipPort, user: 'ph5',
			secret: SECRET('ph5'), contactHost: '10.0.0.5',
			contactPort: 5062, answer: true });
		try {
			await p.registered();
			const r = (await until('row written', () => row('ph5')))
				.split('|');
			assert.equal(r[0], 'sip:ph5@10.0.0.5:5062;transport=UDP');
			assert.equal(r[1], `sip:127.0.0.1:${p.port};transport=udp`);
			/* sipp answers on the port it registered from, not 5062 */
			await p.options(2);
			const line = await p.sipp.wait(/OPTIONS /);
			assert.ok(line);
		} finally {
			await p.stop();
		}
	});

test('a Contact on another port of the same address is where OPTIONS go',
	async () => {
		/* two processes: one registers, the other answers (not NAT: the
		 * address is the one the REGISTER came from) */
		const uas = await agentPhone();
		const p = await registerPhone({ sipPort: s.sipPort, user: 'ph3',
			secret: SECRET('ph3'), contactPort: uas.port, expires: 60 });
		try {
			await p.registered();
			await uas.options(2);
			assert.equal(p.count('options'), 0);
			assert.equal(await p.unregister(), 0);
			await until('row deleted', () => row('ph3') === '');
		} finally {
			await p.stop();
			await uas.stop();
		}
	});

test('behind NAT: a call from the queue rings the phone at the source',
	async () => {
		const d = await demoCalls(s);
		const list = await s.api('GET', '/api/v1/agents?limit=100', null,
			d.admin);
		assert.equal(list.status, 200, list.text);
		const a = list.json.items.find((x) => x.work_no === '1002');
		const flow = await d.flow('排队', { start: 'q', nodes: {
			q: { kind: 'queue', queue: 'support', fail: 'h' },
			h: { kind: 'hangup' } } });
		await d.number('4001000600', { flow_id: flow });

		const p = await registerPhone({ sipPort: s.sipPort,
			user: 'demo1002', secret: 'Phone@2026',
			contactHost: '10.0.0.5', contactPort: 5062, answer: true,
			ringMs: 100 });
		const rtp = await RtpPeer.open();
		try {
			await p.registered();
			const st = await s.api('PUT', `/api/v1/agents/${a.agent_id}` +
				'/state', { state: 'ready' }, d.sup);
			assert.equal(st.status, 200, st.text);

			const c = await sipCall(s, { service: '4001000600',
				caller: '13900000601', rtp });
			/* 10.0.0.5:5062 does not exist: the INVITE came to the port
			 * the phone registered from */
			await p.invited(1, 20000);
			await p.answered(1, 10000);
			await c.hangup();
			await sipOk(c);
		} finally {
			rtp.close();
			await s.api('PUT', `/api/v1/agents/${a.agent_id}/state`,
				{ state: 'logged_out' }, d.sup);
			await p.stop();
		}
	});

test('an agent whose phone is no longer its device loses the ' +
	'registration', async () => {
	const p = await registerPhone({ sipPort: s.sipPort, user: 'ph2',
		secret: SECRET('ph2'), expires: 300 });
	try {
		await p.registered();
		await until('row written', () => row('ph2'));
		const from = s.logs().length;
		s.db.psql("UPDATE agents SET device = 'webrtc' WHERE agent_id =" +
			` '${agents.ph2}'`, true);
		s.db.psql('NOTIFY openseat_acd', true);
		await logged(s, new RegExp(`${agents.ph2}.*phone removed`), from);
		await until('row deleted', () => row('ph2') === '');

		/* and its credentials are those of nobody now */
		const u = await SipUdp.open(s, '127.0.0.5');
		try {
			assert.equal((await register(u, { user: 'ph2',
				secret: SECRET('ph2'), hdrs: [contactOf(u, 'ph2')] }))
				.status, 403);
		} finally {
			u.close();
		}
	} finally {
		await p.stop();
	}
});

test('a phone answering OPTIONS past the timeout stays reachable; ' +
	'silent, it is unreachable as before', async () => {
	let from = s.logs().length;
	addAgent('ph7', '8807');
	s.db.psql('NOTIFY openseat_acd', true);
	await logged(s, /agent phones loaded: [0-9]+ agents/, from);
	const u = await SipUdp.open(s, '127.0.0.7');
	const reply = u.reply.bind(u);
	const rounds = new Set();
	/* each OPTIONS (and each retransmission) answered 1.5 s late: after
	 * its 1 s timeout, within the second; the late 200 counts */
	u.reply = (m) => {
		if (!/^OPTIONS /.test(m.first))
			return reply(m);
		setTimeout(() => {
			reply(m);
			rounds.add(m.h['call-id']);
		}, 1500);
	};
	try {
		from = s.logs().length;
		const r = await register(u, { user: 'ph7', secret: SECRET('ph7'),
			hdrs: [contactOf(u, 'ph7'), 'Expires: 60'] });
		assert.equal(r.status, 200);
		await logged(s, new RegExp(`${agents.ph7}.*phone registered`),
			from);
		await until('three OPTIONS answered late', () => rounds.size >= 3,
			20000);
		assert.doesNotMatch(s.logs().slice(from),
			new RegExp(`${agents.ph7}.*phone unreachable`));

		/* silent now: found out within two timeouts */
		u.reply = (m) => {
			if (!/^OPTIONS /.test(m.first))
				reply(m);
		};
		await logged(s, new RegExp(`${agents.ph7}.*phone unreachable`),
			from);
		assert.equal((await register(u, { user: 'ph7',
			secret: SECRET('ph7'), hdrs: [contactOf(u, 'ph7'),
				'Expires: 0'] })).status, 200);
	} finally {
		u.reply = reply;
		u.close();
	}
});

test('registrations are restored after a restart', async () => {
	/* ph5 registers and is gone without unregistering */
	const gone = await registerPhone({ sipPort: s.sipPort, user: 'ph5',
		secret: SECRET('ph5'), expires: 300 });
	await gone.registered();
	await until('row written', () => row('ph5'));
	await gone.stop();

	const p = await registerPhone({ sipPort: s.sipPort, user: 'ph1',
		secret: SECRET('ph1'), expires: 300 });
	try {
		await p.registered();
		await until('row written', () => row('ph1'));

		/* a row that expires while the server is down */
		s.db.psql('INSERT INTO sip_registrations (agent_id, contact,' +
			` source, expires_at) VALUES ('${agents.ph4}',` +
			" 'sip:ph4@127.0.0.1:9', 'sip:127.0.0.1:9;transport=udp'," +
			" now() + interval '1 second')", true);

		/* stop the server; the phone stays registered */
		const saved = s.db.psql('SELECT count(*) FROM sip_registrations' +
			` WHERE expires_at > now() + interval '10 seconds'`, true);
		assert.ok(Number(saved) >= 2, saved);
		s.proc.kill('SIGTERM');
		assert.equal((await s.exited).code, 0);
		await until('ph4 expired', () => s.db.psql('SELECT count(*) FROM' +
			' sip_registrations WHERE expires_at <= now()', true) === '1');
		const n = p.count('options');

		/* on the same SIP port: the phone refreshes where it did */
		s2 = await startServer(s.db, { env: { ...ENV,
			OPENSEAT_SIP_PORT: String(s.sipPort) } });
		await logged(s2, new RegExp(`agent phones: ${saved} registrations` +
			' restored, 1 expired while stopped'));
		assert.equal(row('ph4'), '');
		await logged(s2, new RegExp(`${agents.ph1}.*phone restored`));
		/* the restored phones are qualified by the new process: ph1
		 * answers, ph5 is gone */
		await p.options(n + 1);
		await logged(s2, new RegExp(`${agents.ph5}.*phone unreachable`));
		assert.doesNotMatch(s2.logs(),
			new RegExp(`${agents.ph1}.*phone unreachable`));
		assert.equal(await p.unregister(), 0);
		await until('row deleted', () => row('ph1') === '');
	} finally {
		await p.stop();
	}
});
