// Helpers for the recording tests: calls with known audio on each side,
// answered by an agent's phone, and what their recordings hold.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rms } from './sip.mjs';
import { queueStack } from './acd_calls.mjs';
import { SECRET } from './acd.mjs';
import { AgentUa } from './agentua.mjs';

export const CALLER_HZ = 1000;   // the caller speaks this tone
export const AGENT_HZ = 400;     // the agent's phone plays this one

/** Decode an MP3 (Buffer) with Debian's mpg123: {rate, channels, ch[]}. */
export function decodeMp3(mp3) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-mp3-'));
	try {
		fs.writeFileSync(path.join(dir, 'a.mp3'), mp3);
		execFileSync('mpg123', ['-q', '-w', path.join(dir, 'a.wav'),
			path.join(dir, 'a.mp3')]);
		return readWavChannels(fs.readFileSync(path.join(dir, 'a.wav')));
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/** A 16-bit PCM WAV split into its channels. */
export function readWavChannels(b) {
	let off = 12;
	let channels = 1;
	let rate = 8000;
	while (off + 8 <= b.length) {
		const id = b.toString('ascii', off, off + 4);
		let len = b.readUInt32LE(off + 4);
		if (id === 'fmt ') {
			channels = b.readUInt16LE(off + 10);
			rate = b.readUInt32LE(off + 12);
		}
		if (id === 'data') {
			len = Math.min(len, b.length - off - 8);
			const n = Math.floor(len / 2 / channels);
			const ch = Array.from({ length: channels },
				() => new Int16Array(n));
			for (let i = 0; i < n; i++) {
				for (let c = 0; c < channels; c++)
					ch[c][i] = b.readInt16LE(off + 8 +
						2 * (i * channels + c));
			}
			return { rate, channels, ch };
		}
		off += 8 + len + (len & 1);
	}
	throw new Error('no data chunk in the WAV');
}

/** RMS of samples [fromS, toS) seconds of one channel. */
export function rmsAt(samples, rate, fromS, toS) {
	const a = Math.max(0, Math.floor(fromS * rate));
	const b = Math.min(samples.length, Math.floor(toS * rate));
	return rms(Array.from(samples.subarray(a, b)));
}

/**
 * The queue stack for recording tests (queueStack: its events include
 * recording.* and alert.*); the queue announces no work number.
 */
export async function recordingStack(opts = {}) {
	const t = await queueStack(opts);
	/* the agent's work number would be announced over the first seconds */
	await t.patchQueue(t.support.queue_id, { announce_work_no: false });
	/** The event of type about callId, once it arrived. */
	t.waitRecording = (callId, type = 'recording.ready', from = 0,
		timeoutMs = 20000) => t.waitEvent((m) => m.type === type &&
		m.data?.call_id === callId, from, timeoutMs);
	return t;
}

/**
 * A recorded call: the agent workNo's phone (AgentUa) answers after
 * ringMs, speaks AGENT_HZ for agentMs starting agentLeadMs after the
 * answer and hangs up talkMs after it; the caller speaks CALLER_HZ for
 * callerMs once connected. Resolves {call, callId, ready} when the event
 * o.expect (recording.ready) about the call arrived. o.during({c,
 * callId, ua}) runs while the call is up.
 */
export async function recordedCall(t, o = {}) {
	const workNo = o.workNo ?? '1001';
	const agentMs = o.agentMs ?? 1500;
	const ua = await AgentUa.open(t, { user: `demo${workNo}`,
		secret: SECRET, ringMs: o.ringMs ?? 100, talkMs: o.talkMs ?? 4000,
		onAnswer: (rtp) => {
			rtp.until(() => rtp.remote, 5000, 'media').then(() =>
				setTimeout(() => rtp.remote && agentMs &&
					rtp.speak(AGENT_HZ, agentMs), o.agentLeadMs ?? 2000),
			() => {});
		} });
	try {
		await ua.registered();
		await t.waitAgent(workNo, (x) => x.device_reachable);
		await t.readyAll(workNo);
		const from = t.mark();
		const c = await t.call(o.caller ?? `1390000${String(Date.now())
			.slice(-4)}`);
		const answered = await t.waitEvent((m) => m.type ===
			'call.answered', from, 15000);
		const callId = answered.data.call_id;
		await c.rtp.until(() => c.rtp.remote, 5000, 'media from OpenSeat');
		const spoken = c.rtp.speak(CALLER_HZ, o.callerMs ?? 1500);
		if (o.during)
			await o.during({ c, callId, ua });
		await spoken;
		const ready = await t.waitEvent((m) => m.type === (o.expect ??
			'recording.ready') && m.data?.call_id === callId, from, 30000);
		await t.waitEvent((m) => m.type === 'call.ended' &&
			m.data.call_id === callId, from, 30000);
		c.close();
		return { call: c, callId, ready };
	} finally {
		await ua.stop();
		await t.setState(workNo, 'logged_out');
	}
}

/** GET an audio URL as bytes: {status, headers, body (Buffer)}. */
export async function fetchBytes(t, p, token, headers = {}) {
	const res = await fetch(t.s.baseUrl + p, { headers: {
		authorization: `Bearer ${token}`, ...headers } });
	return { status: res.status, headers: res.headers,
		body: Buffer.from(await res.arrayBuffer()) };
}

/** The recording rows of a call (supervisor's view of the search). */
export async function recordingsOf(t, callId) {
	const r = await t.s.api('GET', `/api/v1/recordings?call_id=${callId}`,
		null, t.d.sup);
	assert.equal(r.status, 200, r.text);
	return r.json.items;
}
