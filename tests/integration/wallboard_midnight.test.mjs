// The wallboard's counters are today's: the server's clock starts a
// little before midnight in Shanghai, a caller joins and hangs up, and
// after midnight the supervisor's socket gets the queue tile with the
// counters back at zero — pushed by the server on its own, with nothing
// happening in the queue.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sipOk } from '../lib/sip.mjs';
import { queueStack } from '../lib/acd_calls.mjs';

/* 23:59:25 in Shanghai: the stack takes a few seconds to set up */
const START = Date.parse('2026-11-23T15:59:25Z');
const MIDNIGHT = Date.parse('2026-11-23T16:00:00Z');

let t;

before(async () => {
	t = await queueStack({ env: { OPENSEAT_CLOCK_OFFSET:
		'@2026-11-23T15:59:25Z' } });
});

after(async () => {
	await t?.stop();
});

test('the counters go back to zero at local midnight', async () => {
	const qid = t.support.queue_id;
	const isTile = (pred) => (m) => m.type === 'queue.live' &&
		m.data.queue_id === qid && pred(m.data);
	await t.phone('1001', { mode: 'silent' });
	const r = await t.setState('1001', 'not_ready', '休息');
	assert.equal(r.status, 200, r.text);
	const from = t.mark();
	const c = await t.call('13900009001', { rtp: false });
	const joined = await t.waitEvent(isTile((d) => d.waiting === 1), from,
		10000);
	assert.ok(joined.data.at_ms < MIDNIGHT, 'joined before midnight: ' +
		`${new Date(joined.data.at_ms).toISOString()}`);
	await c.hangup();
	await sipOk(c);
	const left = await t.waitEvent(isTile((d) => d.abandoned === 1), from,
		10000);
	assert.equal(left.data.offered, 1);
	assert.ok(left.data.at_ms < MIDNIGHT);

	/* nothing else happens; midnight comes (and a 10 s sample after) */
	const quiet = t.mark();
	const reset = await t.waitEvent(isTile((d) => d.offered === 0),
		quiet, MIDNIGHT - START + 20000);
	assert.ok(reset.data.at_ms >= MIDNIGHT, new Date(reset.data.at_ms)
		.toISOString());
	assert.ok(reset.data.at_ms < MIDNIGHT + 11000);
	assert.equal(reset.data.abandoned, 0);
	assert.equal(reset.data.service_level, null);
	const q = await t.liveQueue(qid);
	assert.equal(q.offered, 0);
	assert.equal(q.abandoned, 0);
	/* the charts keep the last hour across midnight */
	const h = await t.s.api('GET', `/api/v1/live/history?queue_id=${qid}`,
		null, t.d.sup);
	assert.equal(h.status, 200, h.text);
	assert.equal(h.json.items[0].calls.reduce((n, b) => n + b.offered, 0),
		1);
});
