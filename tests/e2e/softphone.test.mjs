// The browser softphone against the real server, without the console:
// headless Chromium (fake microphone) is the agent's device, sipp the
// caller. The protocol of docs/WEBSOCKET.md is driven from the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { queueStack, until } from '../lib/acd_calls.mjs';
import { wsAuthed } from '../lib/stack.mjs';
import { launch, poll, rtcPage } from '../lib/browser.mjs';

const AGENT6 = { tenant: 'demo', username: 'agent6', password: 'Agent@2026' };
const WAIT = 20000;

let t;
let browser;

before(async () => {
	t = await queueStack({ env: { OPENSEAT_WEBRTC_GRACE: '3' } });
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
	ws.send({ type: 'agent.state', state: 'ready' });
	const st = await ws.next('agent.ok', WAIT);
	assert.equal(st.state, 'ready', JSON.stringify(st));
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
