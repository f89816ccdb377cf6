// Who hears whom on a call, told apart by frequency: each party (an
// RtpPeer: a caller, an AgentUa's phone) speaks its own tone, and what
// each listener received is searched for every tone (Goertzel per
// 20 ms frame). Shared by the monitoring tests.
import assert from 'node:assert/strict';

/* Amplitude of hz in one 20 ms frame at 8 kHz (Goertzel). */
function level(x, hz) {
	const w = 2 * Math.PI * hz / 8000;
	const k = 2 * Math.cos(w);
	let s1 = 0;
	let s2 = 0;
	for (const v of x) {
		const s0 = v + k * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	const p = s1 * s1 + s2 * s2 - k * s1 * s2;
	return 2 * Math.sqrt(Math.max(p, 0)) / x.length;
}

/* Frames of samples[from..] carrying hz at half the amplitude a
 * speaker uses (6000): a held caller's music does not. */
function frames(samples, from, hz) {
	let n = 0;
	for (let i = from; i + 160 <= samples.length; i += 160) {
		if (level(samples.slice(i, i + 160), hz) > 3000)
			n++;
	}
	return n;
}

/**
 * Each of speakers (names in peers and hz) says its tone for 1.5 s at
 * once; then, for each listener, which tones it heard:
 * {listener: {speaker: bool}}. A tone counts as heard in 30 or more of
 * its ~75 frames, as not heard in at most 3; anything between fails.
 */
export async function hearing(peers, hz, speakers, listeners) {
	const marks = Object.fromEntries(listeners.map((l) =>
		[l, peers[l].samples.length]));
	await Promise.all(speakers.map((s) => peers[s].speak(hz[s], 1500,
		6000)));
	/* what was said has been mixed and sent: 2 s of frames each */
	for (const l of listeners)
		await peers[l].until(() => peers[l].samples.length >= marks[l] +
			16000, 5000, `${l}'s audio`);
	const out = {};
	for (const l of listeners) {
		out[l] = {};
		for (const s of speakers) {
			if (s === l)
				continue;
			const n = frames(peers[l].samples, marks[l], hz[s]);
			assert.ok(n >= 30 || n <= 3, `${l} hears ${s}: ${n} frames`);
			out[l][s] = n >= 30;
		}
	}
	return out;
}
