// Hang-up to recording.ready, end to end: calls from a carrier (the
// test's SIP caller) answered by an agent's phone, each talking
// BENCH_REC_TALK_MS, one after another. The latency is the server's own
// event times: recording.ready minus call.ended (the recording stops as
// the call ends). Prints a Markdown section for docs/PERFORMANCE.md.
//
// Environment: BENCH_REC_CALLS (default 40), BENCH_REC_TALK_MS (3000).
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'build/release/openseat');
process.env.OPENSEAT_BIN = bin;
const { recordedCall, recordingStack } = await import(
	'../tests/lib/recording.mjs');

const CALLS = Number(process.env.BENCH_REC_CALLS || 40);
const TALK_MS = Number(process.env.BENCH_REC_TALK_MS || 3000);

function pct(xs, p) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))];
}

const t = await recordingStack({ env: { OPENSEAT_ACD_CHECK: '0' } });
const lat = [];
try {
	for (let i = 0; i < CALLS; i++) {
		const from = t.mark();
		const { callId, ready } = await recordedCall(t, {
			talkMs: TALK_MS, callerMs: TALK_MS / 2, agentMs: TALK_MS / 3,
			agentLeadMs: TALK_MS / 2 });
		const ended = t.since(from, (m) => m.type === 'call.ended' &&
			m.data.call_id === callId)[0];
		lat.push(Date.parse(ready.ts) - Date.parse(ended.ts));
	}
} finally {
	await t.stop();
}

console.log(`### Hang-up to recording.ready (${CALLS} calls)\n`);
console.log(`\`BENCH=recording-calls bench/run.sh ${path.relative(
	process.cwd(), bin)}\` on ${os.cpus().length} × ${os.cpus()[0].model}` +
	`, ${new Date().toISOString().slice(0, 10)}; calls of ${TALK_MS} ms ` +
	'in stereo, one at a time.\n');
console.log('| p50 | p99 | max |\n|---|---|---|');
console.log(`| ${pct(lat, 50)} ms | ${pct(lat, 99)} ms | ` +
	`${Math.max(...lat)} ms |`);
