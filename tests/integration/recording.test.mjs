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
import { AGENT_HZ, CALLER_HZ, decodeMp3, fetchBytes, recordedCall,
	recordingStack, recordingsOf, rmsAt } from '../lib/recording.mjs';
import { toneHz } from '../lib/sip.mjs';

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

test('a call answered by an agent is recorded in stereo: the caller ' +
	'left, the agent right, as long as the call, encrypted on disk',
async () => {
	const { callId, ready } = await recordedCall(t, { talkMs: 5000,
		callerMs: 1500, agentLeadMs: 2000, agentMs: 1500 });
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
	assert.ok(Math.abs(fileMs - talkMs) < 500,
		`recording ${fileMs} ms, talk ${talkMs} ms`);
	assert.ok(Math.abs(rec.duration_ms - fileMs) < 500,
		`row ${rec.duration_ms} ms, file ${fileMs} ms`);

	/* the caller's tone on the left only, then the agent's on the right */
	assert.ok(rmsAt(left, 8000, 0.5, 1.2) > LOUD, 'caller, left');
	assert.ok(rmsAt(right, 8000, 0.5, 1.2) < QUIET, 'caller not right');
	assert.ok(rmsAt(right, 8000, 2.4, 3.2) > LOUD, 'agent, right');
	assert.ok(rmsAt(left, 8000, 2.4, 3.2) < QUIET, 'agent not left');
	const hz = (s, a, b) => toneHz(Array.from(s.subarray(a * 8000,
		b * 8000)));
	assert.ok(Math.abs(hz(left, 0.5, 1.2) - CALLER_HZ) < 50);
	assert.ok(Math.abs(hz(right, 2.4, 3.2) - AGENT_HZ) < 30);

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
	const { callId } = await recordedCall(t, { talkMs: 6000,
		callerMs: 5000, agentMs: 200, during: async ({ callId: id }) => {
			await new Promise((r) => setTimeout(r, 1500));
			const ws = await wsAuthed(t.s, agentToken);
			let r = await t.s.api('POST', `/api/v1/calls/${id}/recording`,
				{ action: 'pause' }, t.d.sup);
			assert.equal(r.status, 200, r.text);
			r = await t.s.api('POST', `/api/v1/calls/${id}/recording`,
				{ action: 'pause' }, t.d.sup);
			assert.equal(r.status, 409, r.text);
			await new Promise((r2) => setTimeout(r2, 1500));
			/* the agent resumes from the console */
			ws.send({ type: 'call.record', call_id: id, action: 'rewind',
				id: 1 });
			const bad = await ws.next((m) => m.id === 1);
			assert.equal(bad.code, 'validation_failed');
			assert.equal(bad.field, 'action');
			ws.send({ type: 'call.record', call_id: id, action: 'resume',
				id: 2 });
			assert.equal((await ws.next((m) => m.id === 2)).type,
				'call.ok');
			ws.close();
		} });
	const [rec] = await recordingsOf(t, callId);
	assert.equal(rec.pauses.length, 1, JSON.stringify(rec.pauses));
	const { at_ms: at, ms } = rec.pauses[0];
	assert.ok(ms > 1200 && ms < 1800, `paused ${ms} ms`);
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
		const { callId } = await recordedCall(t, { talkMs: 2000,
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
		assert.ok(Math.abs(mono.length / 8 - callMs) < 500,
			`recording ${mono.length / 8} ms, call ${callMs} ms`);
		/* the notice is the first thing in it */
		assert.ok(rmsAt(mono, 8000, 0.1, 0.9) > 300, 'the notice');
	} finally {
		await settings({ start_at: 'answer', notice: false,
			channels: 'stereo' });
	}
});

test('the QA flags: hold spans, the longest silence, talk-over',
	async () => {
		const { callId } = await recordedCall(t, { talkMs: 5000,
			callerMs: 1000, agentLeadMs: 500, agentMs: 1000,
			during: async ({ callId: id }) => {
				await new Promise((r) => setTimeout(r, 1800));
				let r = await t.s.api('POST', `/api/v1/calls/${id}/hold`,
					{ held: true }, t.d.sup);
				assert.equal(r.status, 200, r.text);
				await new Promise((r2) => setTimeout(r2, 1000));
				r = await t.s.api('POST', `/api/v1/calls/${id}/hold`,
					{ held: false }, t.d.sup);
				assert.equal(r.status, 200, r.text);
			} });
		const [rec] = await recordingsOf(t, callId);
		const f = rec.flags;
		assert.ok(f.hold_ms > 800 && f.hold_ms < 1400, JSON.stringify(f));
		assert.equal(f.longest_hold_ms, f.hold_ms);
		/* both spoke from 0.5 s to 1 s */
		assert.ok(f.talkover_ms > 300 && f.talkover_ms < 800,
			JSON.stringify(f));
		assert.ok(f.longest_silence_ms > 1000, JSON.stringify(f));
		assert.equal(f.overflow, false);
	});
