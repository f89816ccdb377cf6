// Calls OpenSeat must refuse, and bad input it must survive: unknown
// number and source, a suspended tenant, trunk limits set through the
// API, digest trunks (challenge, credentials, a ban after bad ones),
// garbage and truncated SIP, INVITEs with no, malformed or unsupported
// SDP, RTP from a wrong address, a flood of INVITEs from one source
// while another carrier's caller is still answered, and garbage on TCP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startStack } from '../lib/stack.mjs';
import { RtpPeer, SipUdp, demoCalls, ended, playFlow, rerouted, sipCall,
	sipOk, waitCall } from '../lib/sip.mjs';

let s;
let d;
let beepFlow;
let digest;        /* the digest trunk */

const SECRET = 'S3cret-carrier2';

before(async () => {
	s = await startStack({ env: { OPENSEAT_SIP_AUTH_MAX_FAILURES: '3' } });
	d = await demoCalls(s);
	beepFlow = await d.flow('嘀', playFlow('builtin/beep'));
	await d.number('4001000400', { flow_id: beepFlow });
	digest = (await rerouted(s, () => s.api('POST', '/api/v1/trunks', {
		name: 'digest carrier', auth_user: 'carrier2',
		auth_secret: SECRET }, d.op))).json;
	await d.number('4001000500', { flow_id: beepFlow },
		{ trunkId: digest.trunk_id });
});
after(async () => { await s?.stop(); });

const calls = (caller) => Number(s.db.psql(
	`SELECT count(*) FROM calls WHERE caller = '${caller}'`, true));

async function refused(service, expect, opts = {}) {
	const c = await sipCall(s, { service, expect, scenario:
		opts.scenario || 'uac_refused.xml', ...opts });
	const r = await c.done;
	assert.equal(r.code, 0, `${service} → ${expect}: ${r.stderr}`);
}

/* A call that is answered: sipp's call ends when OpenSeat hangs up after
 * the beep flow, or (demo flow) when the test hangs up after audio. */
async function answered(service, caller, opts = {}, token = d.sup) {
	const rtp = await RtpPeer.open();
	try {
		const c = await sipCall(s, { service, caller, rtp, ...opts });
		await rtp.heard();
		if (service === '4001000100')
			await c.hangup();
		await sipOk(c);
	} finally {
		rtp.close();
	}
	return waitCall(s, token, caller, ended);
}

const viaDigest = { localIp: '127.0.0.2', scenario: 'uac_auth.xml',
	auth: ['carrier2', SECRET] };

const trunkPatch = (id, body) => rerouted(s, async () => {
	const r = await s.api('PATCH', `/api/v1/trunks/${id}`, body, d.op);
	assert.equal(r.status, 200, r.text);
});

test('unknown number 404; unknown source challenged, then 403; no call ' +
	'recorded', async () => {
	await refused('4009999999', 404, { caller: '13600000001' });
	await refused('4001000100', 401, { caller: '13600000002',
		localIp: '127.0.0.4' });
	await refused('4001000100', 403, { caller: '13600000003',
		localIp: '127.0.0.4', scenario: 'uac_auth_refused.xml',
		auth: ['nobody', 'guess'] });
	/* with no trunk known by credentials alone there is nothing to
	 * challenge for: an unknown source is refused outright */
	const trunk = (on) => rerouted(s, async () => {
		const r = await s.api('PATCH', `/api/v1/trunks/${digest.trunk_id}`,
			{ enabled: on }, d.op);
		assert.equal(r.status, 200, r.text);
	});
	await trunk(false);
	await refused('4001000100', 403, { caller: '13600000004',
		localIp: '127.0.0.4' });
	await trunk(true);
	for (const caller of ['13600000001', '13600000002', '13600000003',
		'13600000004'])
		assert.equal(calls(caller), 0);
});

test('a suspended tenant\'s number answers 480; resumed, it answers',
	async () => {
		const t = await s.api('POST', '/api/v1/tenants', { code: 'acme',
			name: 'Acme', admin: { username: 'root',
				password: 'Acme@20261' } }, d.op);
		assert.equal(t.status, 201, t.text);
		const root = (await s.login('acme', 'root', 'Acme@20261'))
			.access_token;
		const f = await s.api('POST', '/api/v1/flows', { name: 'beep',
			graph: playFlow('builtin/beep') }, root);
		assert.equal(f.status, 201, f.text);
		/* the demo trunk is the demo tenant's own: acme's number comes
		 * through the shared digest carrier */
		const n = await s.api('POST', '/api/v1/numbers', { number:
			'4002000100', tenant_id: t.json.tenant_id,
			trunk_id: digest.trunk_id }, d.op);
		assert.equal(n.status, 201, n.text);
		await rerouted(s, () => s.api('PATCH',
			`/api/v1/numbers/${n.json.number_id}`,
			{ flow_id: f.json.flow_id }, root));
		const status = (v) => rerouted(s, async () => {
			const r = await s.api('PATCH',
				`/api/v1/tenants/${t.json.tenant_id}`, { status: v }, d.op);
			assert.equal(r.status, 200, r.text);
		});
		const acme = await s.token({ tenant: 'acme', username: 'root',
			password: 'Acme@20261' });
		await answered('4002000100', '13600000101', viaDigest, acme);
		await status('suspended');
		await refused('4002000100', 480, { caller: '13600000102',
			...viaDigest, scenario: 'uac_auth_refused.xml' });
		assert.equal(calls('13600000102'), 0, 'refused before a call');
		await status('active');
		await answered('4002000100', '13600000103', viaDigest, acme);
	});

test('trunk max_calls set through the API: one more call gets 503',
	async () => {
		await trunkPatch(d.trunkId, { max_calls: 1 });
		const rtp = await RtpPeer.open();
		try {
			const c = await sipCall(s, { service: '4001000100', rtp,
				caller: '13600000201' });
			await rtp.heard();
			await refused('4001000100', 503, { caller: '13600000202' });
			await c.hangup();
			await sipOk(c);
		} finally {
			rtp.close();
		}
		await waitCall(s, d.sup, '13600000201', ended);
		await trunkPatch(d.trunkId, { max_calls: 0 });
		await answered('4001000400', '13600000203');
	});

test('trunk max_cps: a burst beyond it gets 503', async () => {
	await trunkPatch(d.trunkId, { max_cps: 2 });
	const u = await SipUdp.open(s);
	try {
		const burst = await Promise.all([1, 2, 3, 4, 5].map((i) =>
			u.invite('4001000100', { caller: `1360000030${i}` })));
		const codes = burst.map((b) => b.status).sort();
		assert.deepEqual(codes, [200, 200, 503, 503, 503]);
		for (const b of burst.filter((x) => x.status === 200))
			assert.equal((await u.bye(b)).status, 200);
	} finally {
		u.close();
	}
	await trunkPatch(d.trunkId, { max_cps: 0 });
});

test('digest trunk: 401 without credentials, answered with them',
	async () => {
		await refused('4001000500', 401, { localIp: '127.0.0.2',
			caller: '13600000401' });
		const call = await answered('4001000500', '13600000402',
			viaDigest);
		assert.equal(call.trunk_id, digest.trunk_id);
		assert.equal(call.number, '4001000500');
	});

test('bad credentials three times: the source is banned (403)',
	async () => {
		const bad = { localIp: '127.0.0.3', scenario: 'uac_auth_refused.xml',
			auth: ['carrier2', 'wrong'] };
		for (let i = 0; i < 3; i++)
			await refused('4001000500', 403, { ...bad, caller: '13600000501' });
		/* now even the right secret is refused, without a challenge */
		await refused('4001000500', 403, { localIp: '127.0.0.3',
			caller: '13600000502' });
		assert.equal(calls('13600000501') + calls('13600000502'), 0);
		/* other sources are not: the same trunk elsewhere, and 127.0.0.1 */
		await answered('4001000500', '13600000503', viaDigest);
		await answered('4001000400', '13600000504');
	});

test('garbage and truncated SIP: ignored; OPTIONS and calls still work',
	async () => {
		const u = await SipUdp.open(s);
		try {
			const inv = u.request('INVITE', '4001000100', { callId:
				'mangled@openseat-test', caller: '13600000600',
				body: SipUdp.sdp(9) });
			const junk = [
				Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0x80]),
				Buffer.alloc(1400, 0x41),
				'\r\n\r\n',
				'INVITE',
				'INVITE sip:4001000100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP',
				inv.slice(0, inv.length / 2),
				inv.replace(/Content-Length: \d+/, 'Content-Length: 9999'),
				inv.replace(/Content-Length: \d+/, 'Content-Length: -5'),
				inv.replace(/CSeq: 1 INVITE/, 'CSeq: banana'),
				inv.replace(/Via: .*\r\n/, ''),
				inv.replace(/From: .*\r\n/, 'From: <<<>>>\r\n'),
				inv.replace(/Call-ID: .*\r\n/, ''),
				inv.replace('SIP/2.0\r\n', 'SIP/9.9\r\n'),
				inv.replace(/\r\n/g, '\n'),
				'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 1.2.3.4\r\n\r\n',
				`${inv.split('\r\n')[0]}\r\n${'X-Long: '.padEnd(60000, 'y')}` +
					'\r\n\r\n',
			];
			for (const j of junk)
				await u.raw(j);
			const o = await u.options();
			assert.equal(o.status, 200);
			/* what it still took as a call (bare LF lines, say) ends */
			if (await u.hangupStray('4001000100'))
				await waitCall(s, d.sup, '13600000600', ended);
		} finally {
			u.close();
		}
		await answered('4001000100', '13600000601');
	});

test('INVITE with no, malformed or unsupported SDP: 488, nothing left',
	async () => {
		const u = await SipUdp.open(s);
		try {
			const bad = {
				13600000701: 'v=0\r\nm=audio banana RTP/AVP 8\r\n',
				13600000702: 'hello, not SDP',
				13600000703: SipUdp.sdp(4000).replace(/m=audio .*/,
					'm=audio 4000 RTP/AVP 18').replace(/a=rtpmap:.*\r\n/g,
					'') + 'a=rtpmap:18 G729/8000\r\n',
				13600000704: SipUdp.sdp(4000).replace('m=audio',
					'm=video'),
			};
			for (const [caller, sdp] of Object.entries(bad)) {
				const r = await u.invite('4001000100', { caller, sdp });
				assert.equal(r.status, 488, `${caller}: ${r.res.first}`);
				const call = await waitCall(s, d.sup, caller, ended);
				assert.equal(call.disposition, 'failed');
				assert.equal(call.hangup_cause, 'bad_sdp');
			}
			/* no offer at all: refused as well, or answered with one */
			const r = await u.invite('4001000100', { caller: '13600000705',
				sdp: null });
			if (r.status === 200) {
				assert.match(r.res.body, /m=audio/);
				assert.equal((await u.bye(r)).status, 200);
			} else {
				assert.ok(r.status >= 400, r.res.first);
			}
			await waitCall(s, d.sup, '13600000705', ended);
		} finally {
			u.close();
		}
		await answered('4001000100', '13600000706');
	});

async function rtpRejected() {
	const r = await fetch(`${s.baseUrl}/metrics`);
	const m = /^openseat_rtp_rejected_packets (\d+)/m.exec(await r.text());
	return Number(m[1]);
}

test('RTP from a wrong address is not heard (no DTMF from it)',
	async () => {
		const caller = '13600000801';
		const rtp = await RtpPeer.open();
		const intruder = await RtpPeer.open();
		try {
			const c = await sipCall(s, { service: '4001000100', caller,
				rtp });
			await rtp.heard();
			const nodes = (x) => x.events.filter((e) =>
				e.type === 'ivr.node').map((e) => e.data.node);
			await waitCall(s, d.sup, caller, (x) =>
				nodes(x).includes('menu'));
			/* the intruder presses 2 at OpenSeat's RTP port */
			intruder.remote = rtp.remote;
			intruder.pt = rtp.pt;
			const before = await rtpRejected();
			await intruder.dtmf('2');
			await rtp.dtmf('0');
			await waitCall(s, d.sup, caller, (x) =>
				nodes(x).filter((n) => n === 'menu').length === 2);
			await c.hangup();
			await sipOk(c);
			const call = await waitCall(s, d.sup, caller, ended);
			assert.deepEqual(call.ivr_path, ['welcome', 'menu', 'menu']);
			assert.ok(await rtpRejected() >= before + 4, 'counted');
			assert.deepEqual(call.events.filter((e) =>
				e.type === 'dtmf.received').map((e) => e.data.digit), ['0']);
		} finally {
			rtp.close();
			intruder.close();
		}
	});

test('a flood of INVITEs from one source: the limit holds, another ' +
	'carrier\'s caller is answered', async () => {
	await trunkPatch(d.trunkId, { max_calls: 5 });
	const u = await SipUdp.open(s);
	try {
		const flood = await Promise.all(Array.from({ length: 200 }, (_, i) =>
			u.invite('4001000100', { caller: '13700000000', timeoutMs: 20000,
				callId: `flood-${i}@openseat-test` })));
		const ok = flood.filter((f) => f.status === 200);
		assert.equal(ok.length, 5);
		assert.ok(flood.every((f) => f.status === 200 || f.status === 503));
		/* while the five are up, the digest carrier's caller gets in */
		await answered('4001000500', '13600000901', viaDigest);
		for (const f of ok)
			assert.equal((await u.bye(f)).status, 200);
		assert.equal(calls('13700000000'), 5);
	} finally {
		u.close();
	}
	await trunkPatch(d.trunkId, { max_calls: 0 });
	await answered('4001000400', '13600000902');
});

/* Write chunks to OpenSeat's SIP port over one TCP connection; resolves
 * when OpenSeat closes it or after it read everything (a reply, or
 * nothing, then the test closes). */
function tcpJunk(chunks) {
	return new Promise((resolve, reject) => {
		const c = net.connect(s.sipPort, '127.0.0.1');
		let got = '';
		c.on('data', (b) => { got += b; });
		c.on('error', (e) => (e.code === 'ECONNRESET' ? resolve(got) :
			reject(e)));
		c.on('close', () => resolve(got));
		c.on('connect', async () => {
			for (const ch of chunks)
				await new Promise((r) => c.write(ch, r));
			c.end();
		});
	});
}

test('over TCP: calls are answered; garbage and truncated streams are ' +
	'survived', async () => {
	await answered('4001000400', '13600001001', { transport: 't1' });
	const u = await SipUdp.open(s);
	const inv = u.request('INVITE', '4001000100', { callId:
		'tcp-trunc@openseat-test', caller: '13600001002',
		body: SipUdp.sdp(9) }).replace('SIP/2.0/UDP', 'SIP/2.0/TCP');
	await tcpJunk([Buffer.from([0, 0xff, 0x13, 0x37]), '\r\n\r\n']);
	await tcpJunk([inv.slice(0, 120)]);                /* cut in headers */
	await tcpJunk([inv.replace(/Content-Length: \d+/,
		'Content-Length: 5000')]);                      /* body never comes */
	await tcpJunk(['INVITE sip:x SIP/2.0\r\n', 'X: '.padEnd(200000, 'z')]);
	await tcpJunk([inv.slice(0, 300), inv.slice(300)]); /* split: fine */
	try {
		assert.equal((await u.options()).status, 200);
	} finally {
		u.close();
	}
	await answered('4001000400', '13600001003', { transport: 't1' });
});
