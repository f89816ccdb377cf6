// The browser softphone end to end, with 200 supervisors' consoles
// connected: (1) event latency from a carrier's INVITE leaving this
// process to the agent's console receiving call.offer; (2) WebRTC setup
// time from the console sending its SDP offer (call.answer) to the first
// audio packet received by the browser and the first one it sent
// (getStats, polled every few ms in the page). One agent in headless
// Chromium answers call after call. Prints a Markdown section for
// docs/PERFORMANCE.md.
//
// Environment: BENCH_RTC_CALLS (default 60), BENCH_RTC_CONSOLES (200).
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'build/release/openseat');
process.env.OPENSEAT_BIN = bin;
const { queueStack, QUEUE_NUMBER } = await import('../tests/lib/acd_calls.mjs');
const { wsAuthed } = await import('../tests/lib/stack.mjs');
const { SipUdp, RtpPeer } = await import('../tests/lib/sip.mjs');
const { launch, rtcPage } = await import('../tests/lib/browser.mjs');
const { histogram, bucketPct } = await import('./metrics.mjs');
const OFFER_HIST = 'openseat_acd_offer_latency_seconds';

const CALLS = Number(process.env.BENCH_RTC_CALLS || 60);
const WARMUP = 3;    /* first calls load caches: not counted */
const CONSOLES = Number(process.env.BENCH_RTC_CONSOLES || 200);
const WAIT = 20000;
const step = (what) => process.env.BENCH_DEBUG && console.error(what);

function pct(xs, p) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))];
}

/* In the page: after the answer is set, the wall time of the first
 * inbound and the first outbound audio packet. */
function firstPackets() {
	return new Promise((resolve) => {
		const r = { in: 0, out: 0 };
		const tick = async () => {
			const st = await window.rtc.pc.getStats();
			st.forEach((s) => {
				if (s.kind !== 'audio')
					return;
				if (s.type === 'inbound-rtp' && s.packetsReceived > 0 && !r.in)
					r.in = Date.now();
				if (s.type === 'outbound-rtp' && s.packetsSent > 0 && !r.out)
					r.out = Date.now();
			});
			if (r.in && r.out)
				resolve(r);
			else
				setTimeout(tick, 2);
		};
		tick();
	});
}

const t = await queueStack({ env: { OPENSEAT_ACD_CHECK: '0' } });
const browser = await launch();
const consoles = [];
for (let i = 0; i < CONSOLES; i++)
	consoles.push(await wsAuthed(t.s, t.d.sup, ['agent', 'queue']));
await t.patchQueue(t.support.queue_id, { announce_work_no: false });

const tok = await t.s.token({ tenant: 'demo', username: 'agent6',
	password: 'Agent@2026' });
const ws = await wsAuthed(t.s, tok);
ws.send({ type: 'softphone.register' });
await ws.next('softphone.ok', WAIT);
const sip = await SipUdp.open(t.s);
const offerMs = [];
let hist0 = null;
const inMs = [];
const outMs = [];

for (let i = 0; i < CALLS + WARMUP; i++) {
	/* out of wrap-up at once (the queue's is 1 s) */
	ws.send({ type: 'agent.state', state: 'ready' });
	await ws.next((m) => m.type === 'agent.ok' || m.type === 'error', WAIT);
	await t.waitAgent('1006', (x) => x.state === 'ready');
	const rtp = await RtpPeer.open();
	const caller = `1390000${String(i).padStart(4, '0')}`;
	const t0 = Date.now();
	const dlg = sip.invite(QUEUE_NUMBER, { caller,
		sdp: SipUdp.sdp(rtp.port) });
	step(`call ${i}: invited`);
	const offer = await ws.next((m) => m.type === 'call.offer' &&
		m.caller === caller, WAIT);
	const tOffer = Date.now() - t0;
	const page = await rtcPage(browser, t.s.baseUrl);
	const sdp = await page.offer();
	const t1 = Date.now();
	ws.send({ type: 'call.answer', call_id: offer.call_id, sdp });
	step('answering');
	const ans = await ws.next('rtc.answer', WAIT);
	await page.accept(ans.sdp);
	const first = await page.page.evaluate(firstPackets);
	if (i === WARMUP - 1)
		hist0 = await histogram(t.s, OFFER_HIST);
	if (i >= WARMUP) {
		offerMs.push(tOffer);
		inMs.push(first.in - t1);
		outMs.push(first.out - t1);
	}
	step('talking');
	ws.send({ type: 'call.hangup', call_id: offer.call_id });
	await ws.next('call.ended', WAIT);
	await sip.bye(await dlg);
	await page.page.close();
	rtp.close();
	step('hung up');
}

const row = (name, xs) => `| ${name} | ${pct(xs, 50)} ms | ${pct(xs, 99)} ms |`;
console.log(`### Browser softphone (${CALLS} calls, ${CONSOLES} consoles)`);
console.log('');
console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0].model}; ` +
	`\`BENCH=softphone bench/run.sh ${path.relative(process.cwd(), bin)}\``);
console.log('');
console.log('| measure | p50 | p99 |');
console.log('|---|---|---|');
console.log(row('INVITE sent → call.offer at the agent console', offerMs));
console.log(row('call.answer sent → first audio packet into the browser',
	inMs));
console.log(row('call.answer sent → first audio packet out of the browser',
	outMs));

const hist = await histogram(t.s, OFFER_HIST);
console.log('');
console.log(`Server side, the ACD's join → offer (${OFFER_HIST}): ` +
	`p50 ≤ ${bucketPct(hist, hist0, 50).le} ms, ` +
	`p99 ≤ ${bucketPct(hist, hist0, 99).le} ms.`);

for (const c of consoles)
	c.ws.close();
ws.ws.close();
sip.close();
await browser.close();
await t.stop();
