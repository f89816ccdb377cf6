// Real calls into the IVR: sipp plays the carrier, an RTP peer in the
// test is the caller's media. The server's clock is Monday 2026-11-23
// 10:00 in Shanghai (OPENSEAT_CLOCK_OFFSET), so working hours are open.
// Checked: the flow per number and time of day, what the caller hears
// against the prompt itself, menus by RFC 4733 from the caller and from
// sipp's pcap, hanging up mid-prompt, a DTMF storm, and the CDR and the
// timeline of each call through the API.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { RtpPeer, compareAudio, demoCalls, ended, hoursFixture, playFlow,
	readWav, sipCall, sipOk, waitCall } from '../lib/sip.mjs';

let s;
let d;
let hours;
let welcomeOnly;

before(async () => {
	s = await startStack({ env: {
		OPENSEAT_CLOCK_OFFSET: '@2026-11-23T02:00:00Z' } });
	d = await demoCalls(s);
	hours = await hoursFixture(d);
	welcomeOnly = await d.flow('只有欢迎', playFlow('builtin/welcome'));
	await d.number('4001000300', { flow_id: welcomeOnly });
});
after(async () => { await s?.stop(); });

const nodes = (c) => c.events.filter((e) => e.type === 'ivr.node')
	.map((e) => e.data.node);
const digits = (c) => c.events.filter((e) => e.type === 'dtmf.received')
	.map((e) => e.data.digit);
const reached = (node) => (c) => nodes(c).includes(node);
const reachedTwice = (node) => (c) =>
	nodes(c).filter((n) => n === node).length >= 2;

/* The CDR row and timeline every finished call must have. */
function checkRecord(c, { caller, side, cause, disposition, flowId }) {
	assert.equal(c.direction, 'inbound');
	assert.equal(c.caller, caller);
	assert.equal(c.trunk_id, d.trunkId);
	assert.equal(c.hangup_side, side);
	assert.equal(c.hangup_cause, cause);
	assert.equal(c.disposition, disposition);
	if (flowId)
		assert.equal(c.flow_id, flowId);
	assert.ok(c.flow_version >= 1);
	for (const k of ['started_at', 'ivr_at', 'answered_at', 'ended_at'])
		assert.ok(c[k], `${k} set`);
	assert.ok(Date.parse(c.answered_at) >= Date.parse(c.started_at));
	assert.ok(Date.parse(c.ended_at) >= Date.parse(c.answered_at));
	assert.ok(c.duration_ms >= 0);
	/* the timeline: seq 1..n in order, entered first, ended last */
	assert.deepEqual(c.events.map((e) => e.seq),
		c.events.map((_, i) => i + 1));
	assert.equal(c.events[0].type, 'ivr.entered');
	const end = c.events.at(-1);
	assert.equal(end.type, 'call.ended');
	assert.equal(end.data.hangup_side, side);
	assert.equal(end.data.hangup_cause, cause);
	assert.equal(end.data.disposition, disposition);
	for (const e of c.events)
		assert.equal(e.data.call_id, c.call_id);
	assert.deepEqual(c.ivr_path, nodes(c));
	/* the engine's clock: Monday morning in Shanghai */
	assert.match(c.started_at, /^2026-11-23T0[23]:/);
}

test('the caller hears the prompt as recorded, then OpenSeat hangs up',
	async () => {
		const rtp = await RtpPeer.open();
		try {
			const c = await sipCall(s, { service: '4001000300',
				caller: '13800000301', rtp });
			await sipOk(c);
			const prompt = readWav(path.join(ROOT,
				'build/prompts/zh-CN/welcome.wav'));
			const cmp = compareAudio(rtp.samples, prompt);
			assert.ok(cmp.rms > 0.85 && cmp.rms < 1.15, `rms ${cmp.rms}`);
			assert.ok(cmp.duration > 0.95 && cmp.duration < 1.05,
				`duration ${cmp.duration}`);
			assert.ok(cmp.corr > 0.95, `correlation ${cmp.corr}`);
			const call = await waitCall(s, d.sup, '13800000301', ended);
			checkRecord(call, { caller: '13800000301', side: 'system',
				cause: 'ivr_hangup', disposition: 'completed',
				flowId: welcomeOnly });
			assert.deepEqual(call.ivr_path, ['p', 'h']);
		} finally {
			rtp.close();
		}
	});

test('a lookup node never reaches the loopback address: the flow takes ' +
	'its fail branch, nothing is sent', async () => {
	let asked = 0;
	const crm = http.createServer((req, res) => {
		++asked;
		res.setHeader('content-type', 'application/json');
		res.end('{"name":"张三"}');
	});
	await new Promise((r) => crm.listen(0, '127.0.0.1', r));
	const rtp = await RtpPeer.open();
	try {
		const flow = await d.flow('查询本机', { start: 'crm', nodes: {
			crm: { kind: 'lookup', url: `http://127.0.0.1:${
				crm.address().port}/c?tel={caller}`,
			fields: { customer: 'name' }, next: 'h', fail: 'h' },
			h: { kind: 'hangup' },
		} });
		await d.number('4001000302', { flow_id: flow });
		const c = await sipCall(s, { service: '4001000302',
			caller: '13800000302', rtp });
		await sipOk(c);
		const call = await waitCall(s, d.sup, '13800000302', ended);
		const look = call.events.find((e) => e.type === 'ivr.lookup');
		assert.equal(look.data.ok, false);
		assert.equal(look.data.error, 'refused');
		assert.equal(asked, 0);
	} finally {
		rtp.close();
		crm.close();
	}
});

test('each number answers with the flow its schedule opens now',
	async () => {
		const cases = [['4001000201', '13800000201', hours.day],
			['4001000202', '13800000202', hours.night]];
		for (const [number, caller, flowId] of cases) {
			const rtp = await RtpPeer.open();
			try {
				const c = await sipCall(s, { service: number, caller, rtp });
				await sipOk(c);
				const call = await waitCall(s, d.sup, caller, ended);
				checkRecord(call, { caller, side: 'system',
					cause: 'ivr_hangup', disposition: 'completed', flowId });
				assert.equal(call.number, number);
			} finally {
				rtp.close();
			}
		}
	});

test('menu by RFC 4733 from the caller: 0 repeats, 2 leaves a voicemail',
	async () => {
		const caller = '13800000401';
		const rtp = await RtpPeer.open();
		try {
			const c = await sipCall(s, { service: '4001000100', caller,
				rtp });
			await rtp.heard();
			await waitCall(s, d.sup, caller, reached('menu'));
			await rtp.dtmf('0');
			await waitCall(s, d.sup, caller, reachedTwice('menu'));
			await rtp.dtmf('2');
			await waitCall(s, d.sup, caller, reached('voicemail'));
			await c.hangup();
			await sipOk(c);
			const call = await waitCall(s, d.sup, caller, ended);
			checkRecord(call, { caller, side: 'caller', cause: 'bye',
				disposition: 'completed', flowId: d.demoFlowId });
			assert.deepEqual(call.ivr_path,
				['welcome', 'menu', 'menu', 'voicemail']);
			assert.deepEqual(digits(call), ['0', '2']);
		} finally {
			rtp.close();
		}
	});

test('a digit from sipp\'s RFC 2833 pcap, sent from its own media port',
	async () => {
		const caller = '13800000402';
		const c = await sipCall(s, { service: '4001000100', caller,
			scenario: 'uac_pcap.xml',
			pcap: '/usr/share/sip-tester/dtmf_2833_2.pcap' });
		const live = await waitCall(s, d.sup, caller, reached('voicemail'));
		assert.deepEqual(digits(live), ['2']);
		await c.hangup();
		await sipOk(c);
		const call = await waitCall(s, d.sup, caller, ended);
		checkRecord(call, { caller, side: 'caller', cause: 'bye',
			disposition: 'completed' });
		assert.deepEqual(call.ivr_path, ['welcome', 'menu', 'voicemail']);
	});

test('the caller hangs up mid-prompt: the record says where and who',
	async () => {
		const caller = '13800000403';
		const rtp = await RtpPeer.open();
		try {
			const c = await sipCall(s, { service: '4001000100', caller,
				rtp });
			await rtp.heard();
			await c.hangup();
			await sipOk(c);
			const call = await waitCall(s, d.sup, caller, ended);
			checkRecord(call, { caller, side: 'caller', cause: 'bye',
				disposition: 'completed' });
			assert.deepEqual(call.ivr_path, ['welcome']);
		} finally {
			rtp.close();
		}
	});

test('a DTMF storm: the menu gives up, the server goes on', async () => {
	const caller = '13800000405';
	const rtp = await RtpPeer.open();
	try {
		const c = await sipCall(s, { service: '4001000100', caller, rtp });
		await rtp.heard();
		await waitCall(s, d.sup, caller, reached('menu'));
		/* 400 events (digits the menu does not offer) in one burst */
		for (let i = 0; i < 400; i++) {
			const code = [3, 4, 5, 6, 7, 8, 9, 10, 11][i % 9];
			const ts = rtp.ts + i * 160;
			for (let k = 0; k < 2; k++) {
				rtp.send(Buffer.concat([rtp.header(101, k === 0, ts),
					Buffer.from([code, (k ? 0x80 : 0) | 10, 0, 160])]));
			}
		}
		rtp.ts += 400 * 160;
		await sipOk(c);     /* the menu fails: goodbye, hang up */
		const call = await waitCall(s, d.sup, caller, ended);
		checkRecord(call, { caller, side: 'system', cause: 'ivr_hangup',
			disposition: 'completed' });
		assert.deepEqual(call.ivr_path.slice(-2), ['goodbye', 'hangup']);
		assert.ok(digits(call).length <= 400);
		/* and the next caller is answered as usual */
		const rtp2 = await RtpPeer.open();
		const c2 = await sipCall(s, { service: '4001000300',
			caller: '13800000406', rtp: rtp2 });
		await rtp2.heard();
		await c2.hangup();
		await sipOk(c2);
		rtp2.close();
	} finally {
		rtp.close();
	}
});
