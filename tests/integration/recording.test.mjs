// Every call recorded by policy: a stereo MP3 written while the call
// goes on (the caller left, the agent right), encrypted on disk, paused
// for a card number, and the tenant's, number's and queue's policies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEMO, wsAuthed } from '../lib/stack.mjs';
import { rerouted } from '../lib/sip.mjs';
import { QUEUE_NUMBER } from '../lib/acd_calls.mjs';
import { AGENT_HZ, CALLER_HZ, aloneFrames, decodeMp3, fetchBytes,
	medianHz, recordedCall, recordingStack, recordingsOf, rmsAt } from
	'../lib/recording.mjs';

let t;

before(async () => {
	t = await recordingStack();
});

after(async () => {
	await t?.stop();
});

const LOUD = 1000;    // a tone at amplitude 8000 has RMS ~5600
const QUIET = 200;

async function settings(body, status = 200) {
	const r = await t.s.api('PUT', '/api/v1/recording/settings', body,
		t.d.admin);
	assert.equal(r.status, status, r.text);
	return r.json;
}

function findFile(dir, name) {
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		if (e.isDirectory()) {
			const f = findFile(p, name);
			if (f)
				return f;
		}
		else if (e.name === name)
			return p;
	}
	return null;
}

async function mp3Of(rec) {
	const a = await fetchBytes(t, `/api/v1/recordings/${rec.recording_id}` +
		'/audio', t.d.sup);
	assert.equal(a.status, 200, a.body.toString().slice(0, 300));
	assert.equal(a.headers.get('content-type'), 'audio/mpeg');
	return a.body;
}

/*
 * fn() timed from before its request to after its answer: the change it
 * makes took effect somewhere in [t0, t1]. A span between two such
 * changes is bounded by their times, not by the sleep between them,
 * which a loaded machine stretches.
 */
async function timed(fn) {
	const t0 = Date.now();
	const v = await fn();
	return { t0, t1: Date.now(), v };
}

/* A span the server measured lies between two timed changes (a frame
 * or two either side: it takes effect on the media loop), less the
 * media time a stalled server skipped (lostMs, from recordedCall). */
function within(ms, a, b, lostMs, what) {
	const lo = b.t0 - a.t1 - lostMs - 100;
	const hi = b.t1 - a.t0 + 100;
	assert.ok(ms >= lo && ms <= hi, `${what} ${ms} ms, not in ${lo}-` +
		`${hi} (${lostMs} ms skipped)`);
}

/* A recording is as long as what it records: the media time a stalled
 * server skipped is silence in it (rectap.c), not missing. */
function lasts(fileMs, ms, lostMs, what) {
	assert.ok(fileMs < ms + 500 && fileMs > ms - 500,
		`recording ${fileMs} ms, ${what} ${ms} ms, ${lostMs} ms skipped`);
}

test('a call answered by an agent is recorded in stereo: the caller ' +
	'left, the agent right, as long as the call, encrypted on disk',
async () => {
	const { callId, ready, lostMs } = await recordedCall(t, {
		talkMs: 5000, callerMs: 1500, agentLeadMs: 2000, agentMs: 1500 });
	assert.equal(ready.data.status, 'ready');
	const [rec] = await recordingsOf(t, callId);
	assert.equal(rec.status, 'ready');
	assert.equal(rec.channels, 2);
	assert.equal(rec.recording_id, ready.data.recording_id);

	const mp3 = await mp3Of(rec);
	const wav = decodeMp3(mp3);
	assert.equal(wav.channels, 2);
	assert.equal(wav.rate, 8000);
	const [left, right] = wav.ch;

	/* as long as the talk: from the answer to the agent's BYE */
	const c = await t.s.api('GET', `/api/v1/calls/${callId}`, null,
		t.d.sup);
	const talkMs = Date.parse(c.json.ended_at) -
		Date.parse(c.json.connected_at);
	const fileMs = left.length / 8;
	lasts(fileMs, talkMs, lostMs, 'talk');
	assert.ok(Math.abs(rec.duration_ms - fileMs) < 500,
		`row ${rec.duration_ms} ms, file ${fileMs} ms`);

	/*
	 * The caller's tone on the left alone, then the agent's on the right
	 * alone, each at its pitch and most of its 1.5 s (75 frames) there.
	 * Found where they are, not in fixed windows: under load a tone
	 * starts late and has gaps. Swapped or mixed channels fail, as does
	 * a wrong tone.
	 */
	const caller = aloneFrames(left, right, LOUD, QUIET);
	const agent = aloneFrames(right, left, LOUD, QUIET);
	assert.ok(caller.length >= 50, `caller alone left: ${caller.length}`);
	assert.ok(agent.length >= 50, `agent alone right: ${agent.length}`);
	assert.ok(caller[0] < agent[0], 'the caller spoke first');
	const hz = [medianHz(left, caller), medianHz(right, agent)];
	assert.ok(Math.abs(hz[0] - CALLER_HZ) < 50, `caller ${hz[0]} Hz`);
	assert.ok(Math.abs(hz[1] - AGENT_HZ) < 30, `agent ${hz[1]} Hz`);

	/* on disk: our encrypted format, not the MP3 */
	const file = findFile(path.join(t.s.db.dir, 'recordings'),
		`${rec.recording_id}.osrec`);
	assert.ok(file, 'the file is under <dir>/<tenant>/<date>/');
	assert.ok(file.includes(t.d.tenantId), file);
	const disk = fs.readFileSync(file);
	assert.equal(disk.subarray(0, 6).toString(), 'OSREC1');
	assert.equal(disk.indexOf(mp3.subarray(1000, 1064)), -1,
		'MP3 bytes in the clear on disk');
	assert.equal(rec.size_bytes, disk.length, 'the size on disk in the row');
	assert.ok(disk.length > mp3.length, 'the file is the MP3 sealed');
});

test('paused for a card number: silence for the span, the span in ' +
	'the row, the call goes on', async () => {
	const from = t.mark();
	/* signed in before the call: a sign-in inside the timed pause made
	 * it run long on a loaded machine */
	const agentToken = await t.s.token(DEMO.agent);
	let paused;
	let resumed;
	const { callId, lostMs } = await recordedCall(t, { talkMs: 6000,
		callerMs: 5000, agentMs: 200, during: async ({ callId: id }) => {
			await new Promise((r) => setTimeout(r, 1500));
			const ws = await wsAuthed(t.s, agentToken);
			paused = await timed(() => t.s.api('POST',
				`/api/v1/calls/${id}/recording`, { action: 'pause' },
				t.d.sup));
			assert.equal(paused.v.status, 200, paused.v.text);
			const r = await t.s.api('POST', `/api/v1/calls/${id}/recording`,
				{ action: 'pause' }, t.d.sup);
			assert.equal(r.status, 409, r.text);
			await new Promise((r2) => setTimeout(r2, 1500));
			/* the agent resumes from the console */
			ws.send({ type: 'call.record', call_id: id, action: 'rewind',
				id: 1 });
			const bad = await ws.next((m) => m.id === 1);
			assert.equal(bad.code, 'validation_failed');
			assert.equal(bad.field, 'action');
			resumed = await timed(() => {
				ws.send({ type: 'call.record', call_id: id,
					action: 'resume', id: 2 });
				return ws.next((m) => m.id === 2);
			});
			assert.equal(resumed.v.type, 'call.ok');
			ws.close();
		} });
	const [rec] = await recordingsOf(t, callId);
	assert.equal(rec.pauses.length, 1, JSON.stringify(rec.pauses));
	const { at_ms: at, ms } = rec.pauses[0];
	within(ms, paused, resumed, lostMs, 'paused');
	const [left] = decodeMp3(await mp3Of(rec)).ch;
	assert.ok(rmsAt(left, 8000, at / 1000 - 0.8, at / 1000 - 0.2) > LOUD,
		'before the pause');
	assert.ok(rmsAt(left, 8000, at / 1000 + 0.2, (at + ms) / 1000 - 0.2) <
		QUIET, 'during the pause');
	assert.ok(rmsAt(left, 8000, (at + ms) / 1000 + 0.2,
		(at + ms) / 1000 + 0.8) > LOUD, 'after the pause');
	/* the timeline has each step */
	const steps = t.since(from, (m) => m.type === 'call.recording' &&
		m.data.call_id === callId).map((m) => m.data.action);
	assert.deepEqual(steps, ['started', 'paused', 'resumed']);
});

async function numberRecording(mode) {
	const n = await t.s.api('GET', `/api/v1/numbers?number=${QUEUE_NUMBER}`,
		null, t.d.op);
	await rerouted(t.s, async () => {
		const r = await t.s.api('PATCH', `/api/v1/numbers/` +
			`${n.json.items[0].number_id}`, { recording: mode }, t.d.admin);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.recording, mode);
	});
}

test('policies: the number over the tenant, the queue over the number',
	async () => {
		await settings({ mode: 'outbound' });
		let { callId } = await recordedCall(t, { talkMs: 1500,
			expect: 'call.ended', during: async ({ callId: id }) => {
				const r = await t.s.api('POST',
					`/api/v1/calls/${id}/recording`, { action: 'pause' },
					t.d.sup);
				assert.equal(r.status, 409, r.text);
				assert.equal(r.json.code, 'not_recorded', r.text);
			} });
		assert.deepEqual(await recordingsOf(t, callId), [],
			'tenant outbound only: an inbound call is not recorded');

		await numberRecording('inbound');
		({ callId } = await recordedCall(t, { talkMs: 1500 }));
		assert.equal((await recordingsOf(t, callId)).length, 1,
			'the number records inbound calls');

		await t.patchQueue(t.support.queue_id, { recording: 'none' });
		({ callId } = await recordedCall(t, { talkMs: 1500,
			expect: 'call.ended' }));
		assert.deepEqual(await recordingsOf(t, callId), [],
			'the queue records none');

		await t.patchQueue(t.support.queue_id, { recording: null });
		await numberRecording(null);
		await settings({ mode: 'all' });
	});

test('settings: defaults, bad input named, admins only', async () => {
	let r = await t.s.api('GET', '/api/v1/recording/settings', null,
		t.d.sup);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.mode, 'all');
	const before = r.json;
	for (const [body, field] of [[{ mode: 'sometimes' }, 'mode'],
		[{ retention_days: 0 }, 'retention_days'],
		[{ channels: 3 }, 'channels'], [{ notice: 'yes' }, 'notice'],
		[{ colour: 'red' }, 'colour']]) {
		r = await t.s.api('PUT', '/api/v1/recording/settings', body,
			t.d.admin);
		assert.equal(r.status, 400, r.text);
		assert.ok(r.text.includes(field), r.text);
	}
	r = await t.s.api('PUT', '/api/v1/recording/settings', { mode: 'none' },
		t.d.sup);
	assert.equal(r.status, 403, r.text);
	r = await t.s.api('GET', '/api/v1/recording/settings', null, t.d.sup);
	assert.deepEqual(r.json, before, 'nothing changed');
});

test('from the call\'s start with the notice: the caller hears that the ' +
	'call is recorded, and the IVR and queue are in the recording',
async () => {
	await settings({ start_at: 'call', notice: true, channels: 'mono' });
	try {
		const from = t.mark();
		const { callId, lostMs } = await recordedCall(t, { talkMs: 2000,
			callerMs: 1000 });
		const started = t.since(from, (m) => m.type === 'call.recording' &&
			m.data.call_id === callId && m.data.action === 'started');
		const answered = t.since(from, (m) => m.type === 'call.answered' &&
			m.data.call_id === callId);
		assert.ok(t.events.indexOf(started[0]) <
			t.events.indexOf(answered[0]), 'recorded before the answer');

		const [rec] = await recordingsOf(t, callId);
		assert.equal(rec.channels, 1);
		const [mono] = decodeMp3(await mp3Of(rec)).ch;
		const c = await t.s.api('GET', `/api/v1/calls/${callId}`, null,
			t.d.sup);
		const callMs = Date.parse(c.json.ended_at) -
			Date.parse(c.json.answered_at);
		lasts(mono.length / 8, callMs, lostMs, 'call');
		/* the notice is the first thing in it */
		assert.ok(rmsAt(mono, 8000, 0.1, 0.9) > 300, 'the notice');
	} finally {
		await settings({ start_at: 'answer', notice: false,
			channels: 'stereo' });
	}
});

test('the QA flags: hold spans, the longest silence, talk-over',
	async () => {
		const hold = (id, held) => timed(() => t.s.api('POST',
			`/api/v1/calls/${id}/hold`, { held }, t.d.sup));
		let held;
		let unheld;
		/* the agent's 0.6 s lies inside the caller's 1.6 s even when one
		 * of them starts late; the hold begins once the caller is quiet
		 * (a loaded machine stretches the tone: talking over the hold
		 * music would count) */
		const { callId, lostMs } = await recordedCall(t, { talkMs: 6000,
			callerMs: 1600, agentLeadMs: 500, agentMs: 600,
			during: async ({ callId: id, spoken }) => {
				await spoken;
				await new Promise((r) => setTimeout(r, 300));
				held = await hold(id, true);
				assert.equal(held.v.status, 200, held.v.text);
				await new Promise((r2) => setTimeout(r2, 1000));
				unheld = await hold(id, false);
				assert.equal(unheld.v.status, 200, unheld.v.text);
			} });
		const [rec] = await recordingsOf(t, callId);
		const f = rec.flags;
		within(f.hold_ms, held, unheld, lostMs, 'held');
		assert.equal(f.longest_hold_ms, f.hold_ms);
		/* both spoke while the agent did: its 0.6 s, and what a jitter
		 * buffer conceals around a late packet, never the caller's
		 * whole 1.6 s */
		assert.ok(f.talkover_ms > 300 && f.talkover_ms < 1000,
			JSON.stringify(f));
		assert.ok(f.longest_silence_ms > 1000, JSON.stringify(f));
		assert.equal(f.overflow, false);
	});
