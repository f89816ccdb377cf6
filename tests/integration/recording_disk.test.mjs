// The disk fills while a call is recorded: the call goes on, the
// recording is marked failed with the reason, recording.failed and an
// alert are pushed at once, and the next (shorter) call is recorded.
// The server runs under a file size limit (prlimit --fsize), so a write
// past it fails with EFBIG as a full disk fails with ENOSPC.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { recordedCall, recordingStack, recordingsOf } from
	'../lib/recording.mjs';

const LIMIT = 24000;    // bytes: about 5 s of stereo MP3 at 32 kbit/s
let t;
let dir;

before(async () => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-fsize-'));
	const real = path.resolve(ROOT, process.env.OPENSEAT_BIN ||
		'build/release/openseat');
	const wrapper = path.join(dir, 'openseat');
	fs.writeFileSync(wrapper, '#!/bin/sh\n' +
		`exec prlimit --fsize=${LIMIT} -- "${real}" "$@"\n`, { mode: 0o755 });
	process.env.OPENSEAT_BIN = wrapper;
	t = await recordingStack();
});

after(async () => {
	await t?.stop();
	fs.rmSync(dir, { recursive: true, force: true });
});

test('disk full while recording: the call goes on, the recording ' +
	'fails loudly, the next one is recorded', async () => {
	const from = t.mark();
	const { callId, ready } = await recordedCall(t, { talkMs: 9000,
		callerMs: 8000, expect: 'recording.failed' });
	assert.match(ready.data.error, /too large|space/i, ready.data.error);
	const alert = await t.waitEvent((m) => m.type ===
		'alert.recording_failed' && m.data.call_id === callId, from);
	assert.equal(alert.data.recording_id, ready.data.recording_id);

	/* the call went on to the agent's hang-up, its record complete */
	const ended = await t.waitEvent((m) => m.type === 'call.ended' &&
		m.data.call_id === callId, from, 15000);
	assert.equal(ended.data.disposition, 'completed');
	assert.equal(ended.data.hangup_side, 'agent');
	assert.ok(ended.data.duration_ms > 8000, `${ended.data.duration_ms}`);
	assert.ok(t.since(from, (m) => m.type === 'recording.failed' &&
		m.data.call_id === callId).length === 1, 'reported once');

	const [rec] = await recordingsOf(t, callId);
	assert.equal(rec.status, 'failed');
	assert.match(rec.error, /too large|space/i);
	const audio = await t.s.api('GET',
		`/api/v1/recordings/${rec.recording_id}/audio`, null, t.d.sup);
	assert.notEqual(audio.status, 200, 'no audio for a failed recording');

	/* nothing else broke */
	const again = await recordedCall(t, { talkMs: 2000, callerMs: 1000 });
	assert.equal(again.ready.data.status, 'ready');
	const h = await t.s.api('GET', '/healthz');
	assert.equal(h.status, 200);
	/* and the operator's metrics count both */
	const m = (await t.s.api('GET', '/metrics')).text;
	assert.match(m, /openseat_recordings_total\{status="failed"\} 1\b/);
	assert.match(m, /openseat_recordings_total\{status="ready"\} 1\b/);
	assert.match(m, /openseat_recordings_active 0\b/);
});
