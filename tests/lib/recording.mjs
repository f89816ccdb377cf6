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

const FRAME = 160;      // 20 ms at 8 kHz

function frameRms(s, i) {
	return rmsAt(s, 8000, i * FRAME / 8000, (i + 1) * FRAME / 8000);
}

/**
 * The 20 ms frames (indices) where channel `on` is louder than loud and
 * channel `off` quieter than quiet: one side speaking alone. Found
 * wherever they are, not in a fixed window: on a loaded machine the
 * sender's timer stalls, so a tone starts late and comes with gaps.
 */
export function aloneFrames(on, off, loud, quiet) {
	const out = [];
	for (let i = 0; (i + 1) * FRAME <= on.length; i++) {
		if (frameRms(on, i) > loud && frameRms(off, i) < quiet)
			out.push(i);
	}
	return out;
}

/*
 * The pitch of one 20 ms frame by its zero crossings (25 Hz steps). A
 * frame half tone, half the near-zero noise of a gap reads far too
 * high, so callers take the median over many frames.
 */
function frameHz(s, i) {
	let zc = 0;
	for (let k = Math.max(1, i * FRAME); k < (i + 1) * FRAME; k++) {
		if ((s[k - 1] < 0) !== (s[k] < 0))
			zc++;
	}
	return zc / 2 / (FRAME / 8000);
}

/** The median pitch (Hz) of the given frames of samples. */
export function medianHz(samples, frames) {
	const hz = frames.map((i) => frameHz(samples, i)).sort((a, b) => a - b);
	return hz.length ? hz[hz.length >> 1] : 0;
}

/**
 * The media ticks (20 ms) the server skipped so far, in ms: a loop that
 * stalls skips ahead instead of bursting, and a recording loses that
 * time.
 */
export async function skippedMs(t) {
	const text = await (await fetch(`${t.s.baseUrl}/metrics`)).text();
	const m = text.match(/^openseat_media_ticks_skipped ([0-9.e+]+)$/m);
	assert.ok(m, 'openseat_media_ticks_skipped in /metrics');
	return Number(m[1]) * 20;
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
 * callerMs once connected. Resolves {call, callId, ready, lostMs} when
 * the event o.expect (recording.ready) about the call arrived; lostMs:
 * the media time the server skipped meanwhile. o.during({c, callId,
 * ua, spoken}) runs while the call is up; spoken resolves once the
 * caller's last frame is sent.
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
		const skipped = await skippedMs(t);
		const from = t.mark();
		const c = await t.call(o.caller ?? `1390000${String(Date.now())
			.slice(-4)}`);
		const answered = await t.waitEvent((m) => m.type ===
			'call.answered', from, 15000);
		const callId = answered.data.call_id;
		await c.rtp.until(() => c.rtp.remote, 5000, 'media from OpenSeat');
		const spoken = c.rtp.speak(CALLER_HZ, o.callerMs ?? 1500);
		if (o.during)
			await o.during({ c, callId, ua, spoken });
		await spoken;
		const ready = await t.waitEvent((m) => m.type === (o.expect ??
			'recording.ready') && m.data?.call_id === callId, from, 30000);
		await t.waitEvent((m) => m.type === 'call.ended' &&
			m.data.call_id === callId, from, 30000);
		c.close();
		return { call: c, callId, ready,
			lostMs: await skippedMs(t) - skipped };
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
