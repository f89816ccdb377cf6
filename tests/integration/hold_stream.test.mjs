// Hold music is one shared stream per tenant, music and language: the
// callers waiting in a queue hear the very same frames from one stream
// (openseat_hold_streams / _listeners on /metrics), and the caller an
// agent answers leaves the stream at once. The tick's packets leave
// through the RTP sender thread (openseat_rtp_sender).
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rms, sipOk } from '../lib/sip.mjs';
import { queueStack, until } from '../lib/acd_calls.mjs';

let t;

before(async () => {
	t = await queueStack();
});

afterEach(async () => {
	await t.reset();
});

after(async () => {
	await t?.stop();
});

async function hold() {
	const r = await t.s.api('GET', '/metrics');
	assert.equal(r.status, 200);
	const v = (name) => Number((r.text.match(new RegExp(
		`^${name} (\\S+)$`, 'm')) || [])[1]);
	const sender = (what) => v(`openseat_rtp_sender\\{what="${what}"\\}`);
	return { streams: v('openseat_hold_streams'),
		listeners: v('openseat_hold_listeners'),
		sent: sender('sent'), failed: sender('failed') };
}

/* Where the 160 samples of a's frame at i occur in b, or -1. */
function frameIn(a, i, b) {
	const f = a.slice(i, i + 160);
	for (let j = 0; j + 160 <= b.length; j++) {
		let k = 0;
		while (k < 160 && b[j + k] === f[k])
			k++;
		if (k === 160)
			return j;
	}
	return -1;
}

/* A loud frame (music, not a pause) of samples, from the end. */
function loudFrame(s) {
	for (let i = s.length - 320; i >= 0; i -= 160) {
		if (rms(s.slice(i, i + 160)) > 300)
			return i;
	}
	return -1;
}

test('two waiting callers hear one shared stream; the one answered ' +
	'leaves it at once, the other still hears the music', async () => {
	const was = await t.adminApi('GET',
		`/api/v1/queues/${t.support.queue_id}`);
	await t.patchQueue(t.support.queue_id, { join_empty: 'always' });
	const a = await t.call('13900007001');
	const b = await t.call('13900007002');
	try {
		await a.rtp.heard();
		await b.rtp.heard();
		await until(async () => {
			const h = await hold();
			return h.streams === 1 && h.listeners === 2;
		}, 'one stream, two listeners');
		/* the tick's RTP left through the sender thread, none refused */
		const sent = await hold();
		assert.ok(sent.sent > 0, `sender sent ${sent.sent}`);
		assert.equal(sent.failed, 0);

		/* b joined later, mid-song: a's frames are b's frames */
		await a.rtp.until(() => a.rtp.samples.length > 16000);
		await b.rtp.until(() => b.rtp.samples.length > 16000);
		const i = loudFrame(a.rtp.samples);
		assert.ok(i >= 0, 'a hears music');
		assert.ok(frameIn(a.rtp.samples, i, b.rtp.samples) >= 0,
			'b hears the frame a heard');

		/* an agent takes a (the longest waiting): a leaves the stream */
		const from = t.mark();
		await t.phone('1001', { talkMs: 4000 });
		/* the offer is made inside the request: it answers ringing */
		const r = await t.setState('1001', 'ready');
		assert.equal(r.status, 200, r.text);
		await t.waitEvent((m) => m.type === 'call.answered', from, 10000);
		const h = await hold();
		assert.equal(h.listeners, 1, 'answered: out of the stream');
		assert.equal(h.streams, 1);
		const n = b.rtp.samples.length;
		await b.rtp.heard();
		assert.ok(b.rtp.samples.length > n, 'b still hears music');
		await sipOk(a);
	} finally {
		await b.hangup().catch(() => {});
		a.close();
		b.close();
		await t.patchQueue(t.support.queue_id,
			{ join_empty: was.join_empty });
	}
	await until(async () => (await hold()).listeners === 0,
		'nobody listens');
});
