// Voicemail through real calls: the caller presses 2, hears the greeting
// and the beep, speaks (a 1 kHz tone from the test's RTP peer) and the
// message is in the API, its audio the caller's; a caller hanging up
// during the menu, the greeting or the recording. The server's clock is
// Monday 2026-11-23 22:00 in Shanghai, so the night flow answers a
// number routed by working hours (calls_ivr runs it in the morning).
// rtp_timeout is 3 s here: a caller whose media stops is hung up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';
import { RtpPeer, audible, demoCalls, ended, hoursFixture, sipCall,
	sipOk, toneHz, waitCall } from '../lib/sip.mjs';

let s;
let d;
let hours;

before(async () => {
	s = await startStack({ env: {
		OPENSEAT_CLOCK_OFFSET: '@2026-11-23T14:00:00Z',
		OPENSEAT_RTP_TIMEOUT: '3' } });
	d = await demoCalls(s);
	hours = await hoursFixture(d);
});
after(async () => { await s?.stop(); });

const nodes = (c) => c.events.filter((e) => e.type === 'ivr.node')
	.map((e) => e.data.node);
const reached = (node) => (c) => nodes(c).includes(node);

async function messagesOf(callId) {
	const r = await s.api('GET', '/api/v1/voicemail/messages', null,
		d.admin);
	assert.equal(r.status, 200, r.text);
	return r.json.items.filter((m) => m.call_id === callId);
}

async function binary(method, p, body, ctype) {
	const res = await fetch(s.baseUrl + p, { method, body, headers: {
		authorization: `Bearer ${d.admin}`,
		...(ctype ? { 'content-type': ctype } : {}) } });
	return { status: res.status, type: res.headers.get('content-type'),
		buf: Buffer.from(await res.arrayBuffer()) };
}

/* 16-bit PCM samples of a WAV body. */
function wavSamples(buf) {
	const at = buf.indexOf('data');
	const out = [];
	for (let i = at + 8; i + 1 < buf.length; i += 2)
		out.push(buf.readInt16LE(i));
	return out;
}

/* Call the demo number as caller, press 2, wait for the voicemail node. */
async function toVoicemail(caller) {
	const rtp = await RtpPeer.open();
	const c = await sipCall(s, { service: '4001000100', caller, rtp });
	await rtp.heard();
	await waitCall(s, d.sup, caller, reached('menu'));
	await rtp.dtmf('2');
	await waitCall(s, d.sup, caller, reached('voicemail'));
	return { rtp, c };
}

test('a message spoken after the beep is kept and sounds as spoken',
	async () => {
		const caller = '13900000501';
		const { rtp, c } = await toVoicemail(caller);
		try {
			await rtp.quiet(600);        /* greeting and beep are over */
			await rtp.speak(1000, 2000);
			await rtp.dtmf('#');         /* ends the message */
			await sipOk(c);      /* goodbye, then OpenSeat's BYE */
		} finally {
			rtp.close();
		}
		const call = await waitCall(s, d.sup, caller, ended);
		assert.equal(call.disposition, 'voicemail');
		assert.equal(call.hangup_side, 'system');
		assert.deepEqual(call.ivr_path,
			['welcome', 'menu', 'voicemail', 'goodbye', 'hangup']);
		const [m] = await messagesOf(call.call_id);
		assert.ok(m, 'message listed');
		assert.equal(m.caller, caller);
		assert.equal(m.number, '4001000100');
		assert.equal(m.box_name, 'default');
		assert.equal(m.status, 'unread');
		assert.ok(m.duration_ms >= 1900 && m.duration_ms <= 4000,
			`duration ${m.duration_ms}`);
		/* the audio: an MP3 that decodes (as a prompt upload) to 1 kHz */
		const a = await binary('GET',
			`/api/v1/voicemail/messages/${m.message_id}/audio`);
		assert.equal(a.status, 200);
		assert.match(a.type, /audio\/mpeg/);
		assert.equal(a.buf.length, m.size_bytes);
		const up = await binary('POST', '/api/v1/prompts?name=vm-check',
			a.buf, 'audio/mpeg');
		assert.equal(up.status, 201, up.buf.toString());
		const prompt = JSON.parse(up.buf.toString());
		const wav = await binary('GET',
			`/api/v1/prompts/${prompt.prompt_id}/audio?format=wav`);
		assert.equal(wav.status, 200);
		const tone = audible(wavSamples(wav.buf));
		assert.ok(tone.length / 8 >= 1800 && tone.length / 8 <= 2400,
			`tone ${tone.length / 8} ms`);
		const hz = toneHz(tone);
		assert.ok(Math.abs(hz - 1000) < 30, `tone at ${hz} Hz`);
	});

test('hanging up while recording keeps the message', async () => {
	const caller = '13900000502';
	const { rtp, c } = await toVoicemail(caller);
	try {
		await rtp.quiet(600);
		await rtp.speak(800, 1500);
		await c.hangup();
		await sipOk(c);
	} finally {
		rtp.close();
	}
	const call = await waitCall(s, d.sup, caller, ended);
	assert.equal(call.disposition, 'voicemail');
	assert.equal(call.hangup_side, 'caller');
	assert.equal(call.hangup_cause, 'bye');
	/* kept after the call ended: wait for it to be listed */
	let m = [];
	for (let i = 0; i < 100 && !m.length; i++) {
		m = await messagesOf(call.call_id);
		if (!m.length)
			await new Promise((r) => setTimeout(r, 50));
	}
	assert.equal(m.length, 1, 'message kept');
	assert.ok(m[0].duration_ms >= 1400, `duration ${m[0].duration_ms}`);
});

test('hanging up during the greeting leaves no message', async () => {
	const caller = '13900000503';
	const { rtp, c } = await toVoicemail(caller);
	try {
		await rtp.heard();             /* the greeting plays */
		await c.hangup();
		await sipOk(c);
	} finally {
		rtp.close();
	}
	const call = await waitCall(s, d.sup, caller, ended);
	assert.equal(call.disposition, 'completed');
	assert.equal(call.hangup_side, 'caller');
	assert.deepEqual(call.ivr_path, ['welcome', 'menu', 'voicemail']);
	assert.deepEqual(await messagesOf(call.call_id), []);
});

test('hanging up during the menu ends the call there', async () => {
	const caller = '13900000504';
	const rtp = await RtpPeer.open();
	try {
		const c = await sipCall(s, { service: '4001000100', caller, rtp });
		await rtp.heard();
		await waitCall(s, d.sup, caller, reached('menu'));
		await c.hangup();
		await sipOk(c);
	} finally {
		rtp.close();
	}
	const call = await waitCall(s, d.sup, caller, ended);
	assert.equal(call.hangup_side, 'caller');
	assert.equal(call.hangup_cause, 'bye');
	assert.deepEqual(call.ivr_path, ['welcome', 'menu']);
	assert.equal(call.events.at(-1).type, 'call.ended');
});

test('at 22:00 the number routed by working hours gets its night flow',
	async () => {
		const caller = '13900000505';
		const rtp = await RtpPeer.open();
		try {
			const c = await sipCall(s, { service: '4001000201', caller,
				rtp });
			await sipOk(c);
		} finally {
			rtp.close();
		}
		const call = await waitCall(s, d.sup, caller, ended);
		assert.equal(call.flow_id, hours.night);
		assert.match(call.started_at, /^2026-11-23T14:/);
	});

test('a caller whose media stops is hung up after rtp_timeout', async () => {
	const caller = '13900000506';
	const rtp = await RtpPeer.open();
	try {
		const c = await sipCall(s, { service: '4001000100', caller, rtp });
		await rtp.heard();
		clearInterval(rtp.timer);      /* the caller's phone goes silent */
		await sipOk(c);                /* OpenSeat's BYE ends sipp */
	} finally {
		rtp.close();
	}
	const call = await waitCall(s, d.sup, caller, ended);
	assert.equal(call.hangup_side, 'caller');
	assert.equal(call.hangup_cause, 'rtp_timeout');
	assert.ok(call.duration_ms >= 3000, `${call.duration_ms} ms`);
});
