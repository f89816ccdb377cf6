// The browser softphone against the real server, without the console:
// headless Chromium (fake microphone) is the agent's device, sipp the
// caller. The protocol of docs/WEBSOCKET.md is driven from the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { queueStack, until } from '../lib/acd_calls.mjs';
import { wsAuthed } from '../lib/stack.mjs';
import { launch, poll, rtcPage } from '../lib/browser.mjs';
import { talkPhone } from '../lib/talkphone.mjs';

const AGENT6 = { tenant: 'demo', username: 'agent6', password: 'Agent@2026' };
const WAIT = 20000;

let t;
let browser;

before(async () => {
	t = await queueStack({ env: { OPENSEAT_WEBRTC_GRACE: '6' } });
	browser = await launch();
});

after(async () => {
	await browser?.close();
	await t?.stop();
});

/* agent6's console socket with its softphone registered, ready. */
async function readyAgent() {
	const tok = await t.s.token(AGENT6);
	const ws = await wsAuthed(t.s, tok);
	ws.send({ type: 'softphone.register', id: 1 });
	const ok = await ws.next('softphone.ok', WAIT);
	assert.equal(ok.id, 1);
	/* a softphone coming back may have made the agent ready already */
	ws.send({ type: 'agent.state', state: 'ready' });
	await ws.next((m) => m.type === 'agent.ok' || m.type === 'error', WAIT);
	await t.waitAgent('1006', (x) => x.state === 'ready');
	return { ws, tok };
}

/* Answer the offer in a fresh page: the rtc page, once connected. */
async function answer(ws, callId) {
	const rtc = await rtcPage(browser, t.s.baseUrl);
	ws.send({ type: 'call.answer', call_id: callId, sdp: await rtc.offer() });
	const ans = await ws.next('rtc.answer', WAIT);
	await rtc.accept(ans.sdp);
	await ws.next((m) => m.type === 'call.connected' &&
		m.call_id === callId, WAIT);
	return rtc;
}

test('an agent answers in the browser: the screen pop, audio both ways, hang-up, disposition', async () => {
	const { ws, tok } = await readyAgent();
	const c = await t.call('13900139001');
	try {
		const offer = await ws.next('call.offer', WAIT);
		assert.equal(offer.caller, '13900139001');
		assert.equal(offer.number, '4001000500');
		assert.equal(offer.queue.name, 'support');
		assert.deepEqual(offer.ivr_path, ['q']);
		assert.equal(offer.vars.caller, '13900139001');
		assert.equal(offer.vip, false);
		assert.equal(offer.ring_timeout_s, 5);   /* queueStack's */

		const rtc = await answer(ws, offer.call_id);
		/* the caller hears the fake microphone's beeps */
		await c.rtp.heard(300, WAIT);
		/* the browser hears the caller */
		c.rtp.speak(700, 4000);
		const got = await poll(async () => {
			const s = await rtc.inbound();
			return s.packets > 20 && s.level > 0.01 && s;
		}, 'audio in the browser', WAIT);
		assert.match(got.codec, /opus/i);
		const m = (await t.s.api('GET', '/metrics')).text;
		assert.match(m, /^openseat_softphones 1$/m);
		assert.ok(Number(/^openseat_webrtc_packets\{dir="rx"\} (\d+)/m
			.exec(m)?.[1]) > 0, 'SRTP counted');

		ws.send({ type: 'call.hangup', call_id: offer.call_id, id: 'h' });
		assert.equal((await ws.next('call.ok', WAIT)).id, 'h');
		const end = await ws.next('call.ended', WAIT);
		assert.equal(end.cause, 'agent_hangup');
		await t.waitAgent('1006', (x) => x.state === 'wrap_up' ||
			x.state === 'ready');

		ws.send({ type: 'call.disposition', call_id: offer.call_id,
			code: '已解决', notes: '客户咨询退货流程' });
		await ws.next('call.ok', WAIT);
		const row = await until(async () => {
			const r = await t.s.api('GET', `/api/v1/calls/${offer.call_id}`,
				null, t.d.sup);
			return r.json?.ended_at && r.json;
		}, 'the call ended', WAIT);
		assert.equal(row.wrap_code, '已解决');
		assert.equal(row.wrap_notes, '客户咨询退货流程');
		assert.equal(row.agent_id, t.agents['1006'].agent_id);
		await rtc.page.close();
	} finally {
		c.close();
		ws.send({ type: 'agent.state', state: 'logged_out' });
		await ws.next('agent.ok', WAIT).catch(() => {});
		ws.ws.close();
		void tok;
	}
});

/* A caller waiting for agent6 and its offer on the agent's socket. */
async function offered(ws, caller) {
	const c = await t.call(caller);
	const offer = await ws.next((m) => m.type === 'call.offer' &&
		m.caller === caller, WAIT);
	return { c, offer };
}

/* The caller hangs up; the queue is empty again. */
async function hungUp(c) {
	await c.hangup();
	await c.done;
	c.close();
	await until(async () => (await t.liveQueue(t.support.queue_id))
		.waiting === 0, 'queue empty', WAIT);
}

async function backReady(ws) {
	ws.send({ type: 'agent.state', state: 'ready' });
	await ws.next((m) => m.type === 'agent.ok' && m.state === 'ready', WAIT);
}

async function loggedOut(a) {
	a.ws.send({ type: 'agent.state', state: 'logged_out' });
	await a.ws.next('agent.ok', WAIT).catch(() => {});
	a.ws.ws.close();
}

const lines = (sdp) => sdp.split('\r\n').filter((l) => l);
const rebuild = (ls) => `${ls.join('\r\n')}\r\n`;

test('unusable offers are refused and the call keeps ringing; a wrong fingerprint carries no audio', async () => {
	const a = await readyAgent();
	const { c, offer } = await offered(a.ws, '13900139002');
	try {
		const rtc = await rtcPage(browser, t.s.baseUrl);
		const sdp = await rtc.offer();
		const bad = {
			'no audio': rebuild(lines(sdp).map((l) => l.startsWith('m=audio') ?
				l.replace('m=audio', 'm=video') : l)),
			'no fingerprint': rebuild(lines(sdp).filter((l) =>
				!l.startsWith('a=fingerprint'))),
			'no common codec': rebuild(lines(sdp).map((l) => l.startsWith(
				'm=audio') ? l.split(' ').slice(0, 3).concat('97').join(' ') :
				l).filter((l) => !/^a=(rtpmap|fmtp|rtcp-fb):(?!97 )/.test(l))),
			'not sdp': 'hello',
		};
		for (const [what, s] of Object.entries(bad)) {
			a.ws.send({ type: 'call.answer', call_id: offer.call_id, sdp: s,
				id: what });
			const e = await a.ws.next((m) => m.id === what, WAIT);
			assert.equal(e.type, 'error', what);
			assert.equal(e.code, 'not_acceptable', `${what}: ${e.code}`);
		}
		assert.equal((await t.live('1006')).state, 'ringing');

		/* another certificate than the offer names: DTLS must fail */
		const wrong = rebuild(lines(sdp).map((l) => l.startsWith(
			'a=fingerprint:sha-256 ') ? `a=fingerprint:sha-256 ${
			Array(32).fill('AB').join(':')}` : l));
		a.ws.send({ type: 'call.answer', call_id: offer.call_id, sdp: wrong });
		const ans = await a.ws.next('rtc.answer', WAIT);
		await rtc.accept(ans.sdp);
		const failed = await a.ws.next('call.media_failed', WAIT);
		assert.equal(failed.call_id, offer.call_id);
		const gone = await a.ws.next('call.cancel', WAIT);
		assert.equal(gone.reason, 'media_failed');
		const inb = await rtc.inbound();
		assert.equal(inb.packets, 0, 'no audio reached the browser');
		/* the miss counts like a phone's; the caller still waits */
		await t.waitAgent('1006', (x) => x.state === 'not_ready');
		const q = await t.liveQueue(t.support.queue_id);
		assert.ok(q.waiting >= 1, JSON.stringify(q));
		await rtc.page.close();
	} finally {
		await hungUp(c);
		await loggedOut(a);
	}
});

test('every call message refuses missing, extra and wrong fields', async () => {
	const a = await readyAgent();
	const id = '00000000-0000-4000-8000-000000000000';
	const cases = [
		[{ type: 'call.answer', call_id: id }, 'sdp'],
		[{ type: 'call.answer', sdp: 'v=0' }, 'call_id'],
		[{ type: 'call.answer', call_id: 'x', sdp: 'v=0' }, 'call_id'],
		[{ type: 'call.answer', call_id: id, sdp: 5 }, 'sdp'],
		[{ type: 'call.answer', call_id: id, sdp: 'x'.repeat(17000) }, 'sdp'],
		[{ type: 'call.reconnect', call_id: id }, 'sdp'],
		[{ type: 'call.reject' }, 'call_id'],
		[{ type: 'call.reject', call_id: id, extra: 1 }, 'extra'],
		[{ type: 'call.hangup', call_id: 7 }, 'call_id'],
		[{ type: 'call.hold', call_id: id }, 'hold'],
		[{ type: 'call.dtmf', call_id: id }, 'digits'],
		[{ type: 'call.hold', call_id: id, hold: 'yes' }, 'hold'],
		[{ type: 'call.transfer', call_id: id }, 'to'],
		[{ type: 'call.transfer', call_id: id, to: 'queue' }, 'to'],
		[{ type: 'call.transfer', call_id: id, to: { type: 'moon' } }, 'to'],
		[{ type: 'call.disposition', call_id: id }, 'code'],
		[{ type: 'call.disposition', call_id: id, code: '' }, 'code'],
		[{ type: 'call.disposition', call_id: id, code: 'x'.repeat(65) },
			'code'],
		[{ type: 'call.disposition', call_id: id, code: 'ok',
			notes: '长'.repeat(2001) }, 'code'],
		[{ type: 'monitor.start', call_id: id, sdp: 'v=0' }, 'mode'],
		[{ type: 'monitor.mode', call_id: id }, 'mode'],
		[{ type: 'monitor.stop' }, 'call_id'],
		[{ type: 'softphone.register', agent_id: id }, 'agent_id'],
	];
	try {
		for (const [msg, field] of cases) {
			a.ws.send({ ...msg, id: JSON.stringify(msg).slice(0, 80) });
			const e = await a.ws.next((m) => m.id ===
				JSON.stringify(msg).slice(0, 80), WAIT);
			assert.equal(e.type, 'error', JSON.stringify(msg).slice(0, 80));
			assert.equal(e.code, 'validation_failed', JSON.stringify(e));
			if (field !== 'code' || msg.code !== 'ok')
				assert.equal(e.field, field, JSON.stringify(e));
		}
		/* well-formed, but no such call for this agent */
		for (const type of ['call.reject', 'call.hangup']) {
			a.ws.send({ type, call_id: id, id: type });
			const e = await a.ws.next((m) => m.id === type, WAIT);
			assert.equal(e.code, 'not_found', JSON.stringify(e));
		}
		a.ws.send({ type: 'call.flyaway', id: 'u' });
		assert.equal((await a.ws.next((m) => m.id === 'u', WAIT)).code,
			'unknown_type');
		/* the socket survived it all */
		a.ws.send({ type: 'ping' });
		await a.ws.next('pong', WAIT);
	} finally {
		await loggedOut(a);
	}
});

/* Frames of 20 ms the RTP peer heard above level since sample from. */
const loud = (peer, from, level = 300) => {
	let n = 0;
	for (let i = from; i + 160 <= peer.samples.length; i += 160) {
		let s = 0;
		for (let k = i; k < i + 160; k++)
			s += peer.samples[k] * peer.samples[k];
		if (Math.sqrt(s / 160) > level)
			n++;
	}
	return n;
};

const pause = (ms) => new Promise((res) => setTimeout(res, ms));

test('a supervisor listens, whispers (the agent hears, the caller does not) and barges, audited', async () => {
	const a = await readyAgent();
	const { c, offer } = await offered(a.ws, '13900139003');
	const sws = await wsAuthed(t.s, t.d.sup, ['monitor']);
	try {
		const rtc = await answer(a.ws, offer.call_id);
		await c.rtp.heard(300, WAIT);
		await rtc.mute(true);
		await pause(500);   /* what was in flight has arrived */

		const srtc = await rtcPage(browser, t.s.baseUrl);
		sws.send({ type: 'monitor.start', call_id: offer.call_id,
			mode: 'whisper', sdp: await srtc.offer() });
		await srtc.accept((await sws.next('rtc.answer', WAIT)).sdp);
		const started = await sws.next('monitor.started', WAIT);
		assert.equal(started.data.mode, 'whisper');
		assert.equal(started.data.agent_id, t.agents['1006'].agent_id);

		/* the supervisor hears the caller */
		const spoken = c.rtp.speak(600, 2000);
		await poll(async () => (await srtc.inbound()).level > 0.01,
			'the supervisor hears the caller', WAIT);
		/* the caller is quiet again: its last frame sent (later than
		 * 2 s when the machine is loaded) and arrived */
		await spoken;
		await pause(200);
		/* the agent hears the (beeping) supervisor; the caller not */
		const from = c.rtp.samples.length;
		const before = (await rtc.inbound()).energy;
		await pause(3000);
		assert.ok((await rtc.inbound()).energy > before + 0.001,
			'the agent hears the supervisor');
		assert.equal(loud(c.rtp, from), 0, 'the caller hears nothing');

		sws.send({ type: 'monitor.mode', call_id: offer.call_id,
			mode: 'barge', id: 'b' });
		assert.equal((await sws.next((m) => m.id === 'b', WAIT)).type,
			'monitor.ok');
		await c.rtp.heard(300, WAIT);   /* now the caller hears it too */

		sws.send({ type: 'monitor.stop', call_id: offer.call_id, id: 's' });
		assert.equal((await sws.next((m) => m.id === 's', WAIT)).type,
			'monitor.ok');
		assert.equal((await sws.next('monitor.stopped', WAIT)).data.mode,
			'barge');
		const audit = await until(async () => {
			const r = await t.s.api('GET', '/api/v1/audit?limit=50', null,
				t.d.admin);
			const mine = (r.json?.items || []).filter((x) =>
				x.target_id === offer.call_id).map((x) => x.action);
			return mine.length >= 3 && mine;
		}, 'monitoring audited', WAIT);
		for (const act of ['monitor.started', 'monitor.changed',
			'monitor.stopped'])
			assert.ok(audit.includes(act), `${act} in ${audit}`);
		await srtc.page.close();
		await rtc.page.close();
	} finally {
		sws.ws.close();
		await hungUp(c);
		await loggedOut(a);
	}
});

test('another agent and another tenant cannot touch the call', async () => {
	const a = await readyAgent();
	const { c, offer } = await offered(a.ws, '13900139004');
	const other = await wsAuthed(t.s, await t.s.token({ tenant: 'demo',
		username: 'agent1', password: 'Agent@2026' }));
	const op = await t.s.token(t.s.operator);
	const r = await t.s.api('POST', '/api/v1/tenants', { code: 'tenant-b',
		name: 'B 公司', seat_quota: 5, admin: { username: 'badmin',
			password: 'Bbbb@20261', display_name: 'B 管理员' } }, op);
	assert.equal(r.status, 201, r.text);
	const b = await wsAuthed(t.s, await t.s.token({ tenant: 'tenant-b',
		username: 'badmin', password: 'Bbbb@20261' }));
	const ask = async (ws, msg) => {
		const id = `${msg.type}-${Math.random()}`;
		ws.send({ ...msg, id });
		return ws.next((m) => m.id === id, WAIT);
	};
	try {
		const rtc = await answer(a.ws, offer.call_id);
		const call = { call_id: offer.call_id };
		const sdp = await (await rtcPage(browser, t.s.baseUrl)).offer();
		/* agent1's calls ring on its SIP phone: no softphone here */
		assert.equal((await ask(other, { type: 'call.answer', ...call, sdp }))
			.code, 'conflict');
		assert.equal((await ask(other, { type: 'call.hangup', ...call }))
			.code, 'forbidden');
		assert.equal((await ask(other, { type: 'call.hold', ...call,
			hold: true })).code, 'forbidden');
		assert.equal((await ask(other, { type: 'call.transfer', ...call,
			to: { type: 'number', number: '13800000000' } })).code,
		'forbidden');
		assert.equal((await ask(other, { type: 'monitor.start', ...call,
			mode: 'listen', sdp })).code, 'forbidden');
		assert.equal((await ask(other, { type: 'call.disposition', ...call,
			code: 'x' })).code, 'not_found');
		for (const type of ['monitor.start', 'call.hangup', 'call.hold']) {
			const e = await ask(b, { type, ...call, mode: type ===
				'monitor.start' ? 'listen' : undefined, sdp: type ===
				'monitor.start' ? sdp : undefined, hold: type ===
				'call.hold' ? true : undefined });
			assert.equal(e.code, 'not_found', `${type}: ${JSON.stringify(e)}`);
		}
		/* nothing happened to the call */
		assert.equal((await t.live('1006')).state, 'on_call');
		c.rtp.speak(700, 1500);
		await poll(async () => (await rtc.inbound()).level > 0.01,
			'the call still carries audio', WAIT);
		await rtc.page.close();
	} finally {
		other.ws.close();
		b.ws.close();
		await hungUp(c);
		await loggedOut(a);
	}
});

test('a second tab takes the softphone over; the first is told', async () => {
	const a = await readyAgent();
	const second = await wsAuthed(t.s, a.tok);
	try {
		second.send({ type: 'softphone.register' });
		await second.next('softphone.ok', WAIT);
		await a.ws.next('softphone.replaced', WAIT);
		const c = await t.call('13900139005');
		const offer = await second.next('call.offer', WAIT);
		assert.equal(offer.caller, '13900139005');
		/* the old tab cannot take the call's media */
		const sdp = await (await rtcPage(browser, t.s.baseUrl)).offer();
		a.ws.send({ type: 'call.answer', call_id: offer.call_id, sdp,
			id: 'a' });
		assert.equal((await a.ws.next((m) => m.id === 'a', WAIT)).code,
			'conflict');
		/* the agent may still decline from either tab */
		a.ws.send({ type: 'call.reject', call_id: offer.call_id, id: 'r' });
		assert.equal((await a.ws.next((m) => m.id === 'r', WAIT)).type,
			'call.ok');
		await second.next((m) => m.type === 'call.cancel' &&
			m.reason === 'rejected', WAIT);
		await hungUp(c);
	} finally {
		second.ws.close();
		await loggedOut(a);
	}
});

test('a reload during a call: the console reconnects its media and the call goes on', async () => {
	const a = await readyAgent();
	const { c, offer } = await offered(a.ws, '13900139006');
	try {
		const rtc = await answer(a.ws, offer.call_id);
		await c.rtp.heard(300, WAIT);
		/* the page goes away with its socket */
		await rtc.page.close();
		a.ws.ws.close();
		const ws = await wsAuthed(t.s, a.tok);
		a.ws = ws;
		ws.send({ type: 'softphone.register' });
		const ok = await ws.next('softphone.ok', WAIT);
		assert.equal(ok.call_id, offer.call_id);
		const again = await rtcPage(browser, t.s.baseUrl);
		ws.send({ type: 'call.reconnect', call_id: offer.call_id,
			sdp: await again.offer() });
		await again.accept((await ws.next('rtc.answer', WAIT)).sdp);
		await c.rtp.heard(300, WAIT);
		c.rtp.speak(700, 2000);
		await poll(async () => (await again.inbound()).level > 0.01,
			'the new page hears the caller', WAIT);
		assert.equal((await t.live('1006')).state, 'on_call');
		await again.page.close();
	} finally {
		await hungUp(c);
		await loggedOut(a);
	}
});

test('a browser that closes mid-ring misses the offer; mid-call its media times out and the agent goes offline', async () => {
	let a = await readyAgent();
	const first = await offered(a.ws, '13900139007');
	a.ws.ws.close();      /* the tab closes while it rings */
	await t.waitAgent('1006', (x) => x.state === 'not_ready', WAIT);
	assert.ok((await t.liveQueue(t.support.queue_id)).waiting >= 1);
	await hungUp(first.c);

	a = await readyAgent();
	const { c, offer } = await offered(a.ws, '13900139008');
	try {
		const rtc = await answer(a.ws, offer.call_id);
		await c.rtp.heard(300, WAIT);
		await rtc.page.close();
		a.ws.ws.close();     /* and never comes back */
		const row = await until(async () => {
			const r = await t.s.api('GET', `/api/v1/calls/${offer.call_id}`,
				null, t.d.sup);
			return r.json?.ended_at && r.json;
		}, 'the call ended', WAIT);
		assert.equal(row.hangup_cause, 'media_timeout', JSON.stringify(row));
		await t.waitAgent('1006', (x) => x.state === 'not_ready' &&
			x.reason === 'device_offline', WAIT);
		await c.done;
	} finally {
		c.close();
	}
});

/* DTMF digits in 8 kHz samples (Goertzel over 20 ms frames). */
function dtmfDigits(samples) {
	const rows = [697, 770, 852, 941];
	const cols = [1209, 1336, 1477, 1633];
	const keys = '123A456B789C*0#D';
	const power = (f, s, i) => {
		const k = 2 * Math.cos(2 * Math.PI * f / 8000);
		let a = 0;
		let b = 0;
		for (let n = i; n < i + 160; n++)
			[a, b] = [samples[n] + k * a - b, a];
		return a * a + b * b - k * a * b;
	};
	let out = '';
	let last = null;
	for (let i = 0; i + 160 <= samples.length; i += 160) {
		const r = rows.map((f) => power(f, samples, i));
		const c = cols.map((f) => power(f, samples, i));
		const ri = r.indexOf(Math.max(...r));
		const ci = c.indexOf(Math.max(...c));
		const key = r[ri] > 1e9 && c[ci] > 1e9 ? keys[ri * 4 + ci] : null;
		if (key && key !== last)
			out += key;
		last = key;
	}
	return out;
}

test('the agent keypad sends DTMF the caller hears', async () => {
	const a = await readyAgent();
	const { c, offer } = await offered(a.ws, '13900139009');
	try {
		const rtc = await answer(a.ws, offer.call_id);
		await c.rtp.heard(300, WAIT);
		await rtc.mute(true);
		await pause(500);
		a.ws.send({ type: 'call.dtmf', call_id: offer.call_id,
			digits: '12x', id: 'bad' });
		const e = await a.ws.next((m) => m.id === 'bad', WAIT);
		assert.equal(e.code, 'validation_failed');
		assert.equal(e.field, 'digits');
		const from = c.rtp.samples.length;
		a.ws.send({ type: 'call.dtmf', call_id: offer.call_id,
			digits: '159#', id: 'd' });
		assert.equal((await a.ws.next((m) => m.id === 'd', WAIT)).type,
			'call.ok');
		const got = await until(() => {
			const d = dtmfDigits(c.rtp.samples.slice(from));
			return d.length >= 4 && d;
		}, 'the digits at the caller', WAIT);
		assert.equal(got, '159#');
		await rtc.page.close();
	} finally {
		await hungUp(c);
		await loggedOut(a);
	}
});

test('a supervisor takes the call over: the agent is let go, the caller talks to the supervisor', async () => {
	const a = await readyAgent();
	const { c, offer } = await offered(a.ws, '13900139010');
	const sws = await wsAuthed(t.s, t.d.sup, ['monitor', 'call']);
	try {
		const rtc = await answer(a.ws, offer.call_id);
		await rtc.mute(true);
		const srtc = await rtcPage(browser, t.s.baseUrl);
		sws.send({ type: 'monitor.start', call_id: offer.call_id,
			mode: 'listen', sdp: await srtc.offer() });
		await srtc.accept((await sws.next('rtc.answer', WAIT)).sdp);
		await sws.next('monitor.started', WAIT);

		sws.send({ type: 'monitor.mode', call_id: offer.call_id,
			mode: 'takeover', id: 'tk' });
		assert.equal((await sws.next((m) => m.id === 'tk', WAIT)).type,
			'monitor.ok');
		const end = await a.ws.next('call.ended', WAIT);
		assert.equal(end.cause, 'taken_over');
		await sws.next((m) => m.type === 'call.taken_over', WAIT);
		await t.waitAgent('1006', (x) => x.state !== 'on_call');
		/* the caller hears the supervisor and the supervisor the caller */
		await c.rtp.heard(300, WAIT);
		c.rtp.speak(500, 2000);
		await poll(async () => (await srtc.inbound()).level > 0.01,
			'the supervisor hears the caller', WAIT);
		/* no way back to listening */
		sws.send({ type: 'monitor.mode', call_id: offer.call_id,
			mode: 'listen', id: 'back' });
		assert.equal((await sws.next((m) => m.id === 'back', WAIT)).code,
			'conflict');
		/* the supervisor leaving ends the call */
		sws.send({ type: 'monitor.stop', call_id: offer.call_id });
		const row = await until(async () => {
			const r = await t.s.api('GET', `/api/v1/calls/${offer.call_id}`,
				null, t.d.sup);
			return r.json?.ended_at && r.json;
		}, 'the call ended', WAIT);
		assert.equal(row.hangup_side, 'supervisor');
		await c.done;
		await srtc.page.close();
		await rtc.page.close();
	} finally {
		sws.ws.close();
		c.close();
		await loggedOut(a);
	}
});



const consultState = (state) => (m) => m.type === 'call.consult' &&
	m.state === state;

test('consult an outside number, then hand the caller over (attended transfer)', async () => {
	await t.withFarEnd(async () => {
		const a = await readyAgent();
		const { c, offer } = await offered(a.ws, '13900139011');
		try {
			const rtc = await answer(a.ws, offer.call_id);
			const call = { type: 'call.consult', call_id: offer.call_id };
			a.ws.send({ ...call, action: 'complete', id: 'early' });
			assert.equal((await a.ws.next((m) => m.id === 'early', WAIT))
				.code, 'not_found');
			a.ws.send({ ...call, action: 'start', number: 'abc', id: 'n' });
			assert.equal((await a.ws.next((m) => m.id === 'n', WAIT)).code,
				'validation_failed');
			a.ws.send({ ...call, action: 'start', number: '13800000001' });
			await a.ws.next(consultState('ringing'), WAIT);
			await a.ws.next(consultState('answered'), WAIT);
			assert.equal((await t.live('1006')).state, 'on_call');
			/* the agent talks to the far end: it echoes the agent back */
			const e0 = (await rtc.inbound()).energy;
			await poll(async () => (await rtc.inbound()).energy > e0 + 0.001,
				'the agent hears the far end', WAIT);

			a.ws.send({ ...call, action: 'complete' });
			await a.ws.next(consultState('transferred'), WAIT);
			await a.ws.next('call.ended', WAIT);
			await t.waitAgent('1006', (x) => x.state !== 'on_call');
			/* the caller now hears the far end (its own voice echoed) */
			c.rtp.speak(700, 3000);
			await c.rtp.heard(300, WAIT);
			await hungUp(c);
			const row = await until(async () => {
				const r = await t.s.api('GET',
					`/api/v1/calls/${offer.call_id}`, null, t.d.sup);
				return r.json?.ended_at && r.json;
			}, 'the call ended', WAIT);
			assert.equal(row.disposition, 'transferred');
			await rtc.page.close();
		} finally {
			try {
				c.close();
			} catch { /* closed when it hung up */ }
			await loggedOut(a);
		}
	});
});

test('a three-way conference with an outside number, then back to two', async () => {
	await t.withFarEnd(async () => {
		const a = await readyAgent();
		const { c, offer } = await offered(a.ws, '13900139012');
		try {
			const rtc = await answer(a.ws, offer.call_id);
			await rtc.mute(true);
			const call = { type: 'call.consult', call_id: offer.call_id };
			a.ws.send({ ...call, action: 'conference', id: 'early' });
			assert.equal((await a.ws.next((m) => m.id === 'early', WAIT))
				.code, 'not_found');
			a.ws.send({ ...call, action: 'start', number: '13800000002' });
			await a.ws.next(consultState('answered'), WAIT);
			a.ws.send({ ...call, action: 'conference' });
			await a.ws.next(consultState('conference'), WAIT);
			/* the caller hears the far end: its own voice, echoed */
			await pause(500);
			c.rtp.speak(700, 3000);
			await c.rtp.heard(300, WAIT);
			/* the agent hears the caller */
			await poll(async () => (await rtc.inbound()).level > 0.01,
				'the agent hears the conference', WAIT);
			a.ws.send({ ...call, action: 'cancel' });
			await a.ws.next(consultState('cancelled'), WAIT);
			assert.equal((await t.live('1006')).state, 'on_call');
			await rtc.page.close();
		} finally {
			await hungUp(c);
			await loggedOut(a);
		}
	});
});

test('click-to-dial: the browser leg first, then the customer through the trunk from a tenant number', async () => {
	await t.withFarEnd(async () => {
		const a = await readyAgent();
		const rtc = await rtcPage(browser, t.s.baseUrl);
		try {
			const sdp = await rtc.offer();
			const ask = async (msg) => {
				const id = `dial-${Math.random()}`;
				a.ws.send({ type: 'call.dial', sdp, ...msg, id });
				return a.ws.next((m) => m.id === id, WAIT);
			};
			let e = await ask({ number: 'abc' });
			assert.equal(e.code, 'validation_failed');
			assert.equal(e.field, 'number');
			e = await ask({ number: '13800000009', from: '4009999999' });
			assert.equal(e.code, 'not_found');
			assert.equal((await t.live('1006')).state, 'ready');

			const ans = await ask({ number: '138-0000-0009' });
			assert.equal(ans.type, 'rtc.answer', JSON.stringify(ans));
			await rtc.accept(ans.sdp);
			await a.ws.next('call.dialing', WAIT);
			await t.waitAgent('1006', (x) => x.state === 'outbound');
			await a.ws.next((m) => m.type === 'call.connected' &&
				m.call_id === ans.call_id, WAIT);
			/* the far end echoes the agent: the browser hears it */
			const e0 = (await rtc.inbound()).energy;
			await poll(async () => (await rtc.inbound()).energy > e0 + 0.001,
				'the browser hears the customer', WAIT);
			/* no second call while dialling out */
			e = await ask({ number: '13800000010' });
			assert.equal(e.code, 'conflict');

			a.ws.send({ type: 'call.hangup', call_id: ans.call_id });
			await a.ws.next((m) => m.type === 'call.ended' &&
				m.call_id === ans.call_id, WAIT);
			await t.waitAgent('1006', (x) => x.state === 'ready');
			const row = await until(async () => {
				const r = await t.s.api('GET', `/api/v1/calls/${ans.call_id}`,
					null, t.d.sup);
				return r.json?.ended_at && r.json;
			}, 'the call ended', WAIT);
			assert.equal(row.direction, 'outbound');
			assert.equal(row.callee, '13800000009');
			assert.equal(row.agent_id, t.agents['1006'].agent_id);
			assert.ok(row.answered_at);
			assert.equal(row.disposition, 'completed');
			assert.equal(row.hangup_side, 'agent');
		} finally {
			await rtc.page.close();
			await loggedOut(a);
		}
	});
});


test('a supervisor monitors with a SIP phone through REST: listen, barge, stop', async () => {
	const me = (await t.s.api('GET', '/api/v1/me', null, t.d.sup)).json;
	await t.reloaded(() => t.adminApi('POST', '/api/v1/agents', {
		user_id: me.user_id, work_no: '9001', device: 'sip',
		sip_user: 'sup9001', sip_secret: 'Phone@2026' }, 201));
	await until(() => /agent phones loaded/.test(t.s.logs()),
		'registrar reloaded', WAIT);
	const phone = await talkPhone({ sipPort: t.s.sipPort, user: 'sup9001',
		secret: 'Phone@2026', ringMs: 100, talkMs: 120000 });
	const a = await readyAgent();
	const { c, offer } = await offered(a.ws, '13900139013');
	const sws = await wsAuthed(t.s, t.d.sup, ['monitor']);
	const post = (body, tok = t.d.sup) => t.s.api('POST',
		`/api/v1/calls/${offer.call_id}/monitor`, body, tok);
	try {
		await phone.registered();
		const rtc = await answer(a.ws, offer.call_id);
		await rtc.mute(true);
		let r = await post({ action: 'fly', mode: 'listen' });
		assert.equal(r.status, 400, r.text);
		r = await post({ action: 'start' });
		assert.equal(r.status, 400, r.text);
		r = await post({ action: 'start', mode: 'listen' }, t.d.admin);
		assert.equal(r.status, 409, r.text);
		assert.equal(r.json.code, 'no_phone');

		r = await post({ action: 'start', mode: 'listen' });
		assert.equal(r.status, 200, r.text);
		await phone.answered();
		await sws.next('monitor.started', WAIT);
		/* the phone echoes what it hears; listening, no one hears it */
		await pause(1000);
		const from = c.rtp.samples.length;
		await c.rtp.speak(700, 2000);
		await pause(500);
		assert.equal(loud(c.rtp, from), 0, 'listening is silent');

		r = await post({ action: 'mode', mode: 'barge' });
		assert.equal(r.status, 200, r.text);
		c.rtp.speak(700, 3000);
		await c.rtp.heard(300, WAIT);   /* the supervisor's phone, heard */

		r = await post({ action: 'stop' });
		assert.equal(r.status, 200, r.text);
		assert.equal((await sws.next('monitor.stopped', WAIT)).data.mode,
			'barge');
		r = await post({ action: 'stop' });
		assert.equal(r.status, 404, r.text);
		await rtc.page.close();
	} finally {
		sws.ws.close();
		await hungUp(c);
		await loggedOut(a);
		await phone.stop();
	}
});
