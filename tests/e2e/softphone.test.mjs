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
