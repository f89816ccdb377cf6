// The agent console in headless Chromium (fake microphone) against the
// real server, PostgreSQL and sipp: agent6 signs in, goes ready, a
// caller's call rings the page with the screen pop (number, region, the
// line, queue, VIP, the IVR path and what a CRM lookup found), the agent
// answers with Ctrl+Enter and both hear each other, holds and resumes,
// transfers to agent5 in a second page; agent5 reloads mid-call and is
// back in the call, hangs up, saves the disposition; the call is in both
// agents' recent calls and today's figures. Another tab taking the
// device over is shown. Screenshots go to tests/artifacts/.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { rms } from '../lib/sip.mjs';
import { queueStack, until } from '../lib/acd_calls.mjs';
import { launch, poll } from '../lib/browser.mjs';

const NUMBER = '4001000600';
const CALLER = '13900139001';
const WAIT = 20000;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const AGENT = (n) => ({ tenant: 'demo', username: `agent${n}`,
	password: 'Agent@2026' });

let t;
let browser;
let crm;
let a;
let b;
let caller;
let callId;
const problems = [];

/* A CRM the IVR's lookup node asks about the caller. */
function startCrm() {
	return new Promise((resolve) => {
		const srv = http.createServer((req, res) => {
			res.setHeader('content-type', 'application/json');
			res.end(JSON.stringify({ name: '张三', level: '金卡' }));
		});
		srv.listen(0, '127.0.0.1', () => resolve(srv));
	});
}

async function shot(page, name) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await page.screenshot({ path: path.join(ARTIFACTS,
		`agent_console_${name}.png`), fullPage: true });
}

/* A page signed in as the agent, on its console. */
async function consolePage(who) {
	const page = await browser.ctx.newPage();
	page.on('pageerror', (e) => problems.push(`${who.username}: ${
		e.message}`));
	await page.setViewportSize({ width: 1280, height: 900 });
	await page.goto(`${t.s.baseUrl}/`);
	await page.waitForSelector('body[data-ready="1"]');
	await page.fill('#tenant', who.tenant);
	await page.fill('#username', who.username);
	await page.fill('#password', who.password);
	await page.click('#login-submit');
	await page.waitForURL('**/agent/**');
	await page.waitForSelector('body[data-ready="1"]');
	return page;
}

const text = (page, sel) => page.locator(sel).innerText();

/* The softphone's getStats, polled until pred holds. */
const statsUntil = (page, pred, what) => poll(async () => {
	const s = await page.evaluate(() => window.openseat.phone.stats());
	return pred(s) && s;
}, what, WAIT);

before(async () => {
	/* real time, so that "today" is today; the caller on PCMU: PCMA's
	 * encoder reads out of bounds for a -32768 sample (media/codec.c
	 * passes it to g711_pcm2alaw as is), which a loud beep decoded
	 * from Opus can be */
	t = await queueStack({ env: { OPENSEAT_WEBRTC_GRACE: '10',
		OPENSEAT_CLOCK_OFFSET: '', OPENSEAT_EGRESS_ALLOW: '127.0.0.1/32' } });
	const tr = await t.s.api('PATCH', `/api/v1/trunks/${t.d.trunkId}`,
		{ codecs: 'PCMU' }, t.d.op);
	assert.equal(tr.status, 200, tr.text);
	crm = await startCrm();
	const flow = await t.d.flow('坐席台演示', { start: 'hello', nodes: {
		hello: { kind: 'set', vars: { channel: '热线' }, next: 'crm' },
		crm: { kind: 'lookup', url: `http://127.0.0.1:${
			crm.address().port}/customer`, fields: { customer: 'name',
			level: 'level' }, next: 'q', fail: 'q' },
		q: { kind: 'queue', queue: 'support', fail: 'h' },
		h: { kind: 'hangup' },
	} });
	await t.d.number(NUMBER, { flow_id: flow, label: '售后热线' });
	await t.adminApi('POST', '/api/v1/vip-callers', { number: CALLER,
		priority: 50, note: '金卡客户' }, 201);
	await t.patchAgent('1005', { device: 'webrtc' });
	/* wrap-up long enough to save the disposition in it, then end it */
	await t.patchQueue(t.support.queue_id, { wrapup_s: 120 });
	browser = await launch();
});

/* the pages as they were when each test ended (a failure's picture) */
afterEach(async () => {
	for (const [name, page] of [['a', a], ['b', b]]) {
		if (page && !page.isClosed())
			await shot(page, `last_${name}`).catch(() => {});
	}
});

after(async () => {
	caller?.close();
	await browser?.close();
	crm?.close();
	await t?.stop();
});

test('agent6 signs in, takes a break, switches language, goes ready', async () => {
	a = await consolePage(AGENT(6));
	assert.equal(await text(a, '#state-label'), '已签出');
	assert.match(await text(a, '#work-no'), /1006/);
	assert.match(await text(a, '#shortcuts'), /Ctrl\+Enter[\s\S]*接听/);
	/* a break with a reason from the tenant's list */
	await a.selectOption('#reason-select', '休息');
	await a.click('#btn-notready');
	await a.waitForSelector('#statebar[data-state="not_ready"]');
	assert.equal(await text(a, '#state-reason'), '休息');
	/* the English switch relabels the console, and back */
	await a.click('#lang-switch');
	assert.equal(await text(a, '#state-label'), 'Not ready');
	assert.equal(await text(a, '#idle-title'), 'Not ready');
	await shot(a, '0_english');
	await a.click('#lang-switch');
	assert.equal(await text(a, '#state-label'), '示忙');
	await a.click('#btn-ready');
	await a.waitForSelector('#statebar[data-state="ready"]');
	await a.waitForSelector('#phone-status[data-state="registered"]');
	assert.equal(await text(a, '#state-label'), '就绪');
	assert.equal(await text(a, '#idle-title'), '等待来电…');
	await shot(a, '1_ready');
	await t.waitAgent('1006', (x) => x.state === 'ready' &&
		x.device_reachable);
});

test('a call rings the page with the screen pop; Ctrl+Enter answers; ' +
	'audio flows both ways; mute', async () => {
	caller = await t.call(CALLER, { service: NUMBER });
	await a.waitForSelector('#ring-card:not([hidden])', { timeout: WAIT });
	assert.equal(await text(a, '#cti-caller'), CALLER);
	/* the hotline's name, then its digits */
	assert.equal(await text(a, '#cti-number'), `售后热线 ${NUMBER}`);
	assert.match(await text(a, '#cti-queue'), /售后服务/);
	assert.ok(await a.isVisible('#ring-vip'));
	assert.match(await text(a, '#cti-path'), /hello[\s\S]*crm[\s\S]*q/);
	assert.equal(await text(a, '#cti-vars tr[data-var="customer"] td'),
		'张三');
	assert.equal(await text(a, '#cti-vars tr[data-var="level"] td'),
		'金卡');
	assert.match(await a.title(), new RegExp(CALLER));
	await shot(a, '2_ringing');

	await a.keyboard.press('Control+Enter');
	await a.waitForSelector('#call-card[data-phase="talking"]',
		{ timeout: WAIT });
	assert.equal(await text(a, '#call-title'), CALLER);
	callId = await a.getAttribute('#call-cti', 'data-call-id');
	assert.match(callId, /^[0-9a-f-]{36}$/);
	/* the caller hears the fake microphone's beeps */
	await caller.rtp.heard(300, WAIT);
	/* the browser hears the caller, with a level */
	caller.rtp.speak(700, 6000);
	const s = await statsUntil(a, (x) => x.packetsReceived > 50 &&
		x.audioLevel > 0.01 && x.bytesSent > 0, 'audio in the browser');
	assert.ok(s.audioLevel > 0.01, JSON.stringify(s));
	await a.waitForSelector('#call-quality[data-q="good"]',
		{ timeout: WAIT });
	/* mute (Ctrl+Shift+M) stops what the caller hears, and back */
	await a.keyboard.press('Control+Shift+M');
	await a.waitForSelector('#btn-mute[aria-pressed="true"]');
	/* past what was in flight, two seconds without a loud frame */
	const r = caller.rtp;
	let from = r.samples.length;
	await r.until(() => r.samples.length - from >= 4000, WAIT, 'media');
	from = r.samples.length;
	await r.until(() => r.samples.length - from >= 16000, WAIT, 'media');
	for (let i = from; i + 160 <= from + 16000; i += 160)
		assert.ok(rms(r.samples.slice(i, i + 160)) < 300, 'muted');
	await a.keyboard.press('Control+Shift+M');
	await a.waitForSelector('#btn-mute[aria-pressed="false"]');
	await caller.rtp.heard(300, WAIT);
	/* another microphone mid-call: the caller goes on hearing it */
	await a.click('#devices summary');
	await a.locator('#mic-select option', { hasText: 'Fake Audio Input 2' })
		.waitFor({ state: 'attached' });
	await a.selectOption('#mic-select', { label: 'Fake Audio Input 2' });
	await poll(() => a.evaluate(() => /2$/.test(window.openseat.phone
		.stream?.getAudioTracks()[0]?.label || '')), 'the second mic', WAIT);
	await caller.rtp.heard(300, WAIT);
	await a.click('#devices summary');
	await shot(a, '3_talking');
});

test('hold and resume; a key on the keypad; the recording paused and ' +
	'resumed', async () => {
	await a.click('#btn-keypad');
	await a.click('#keys [data-digit="1"]');
	await a.waitForSelector('#dtmf-sent:text("1")');
	assert.ok(await a.isHidden('#agent-error'));
	await a.click('#btn-hold');
	await a.waitForSelector('#btn-hold[aria-pressed="true"]');
	assert.equal(await text(a, '#call-phase'), '已保持');
	await a.click('#btn-hold');
	await a.waitForSelector('#btn-hold[aria-pressed="false"]');
	assert.equal(await text(a, '#call-phase'), '通话中');
	await until(async () => {
		const c = (await t.s.api('GET', `/api/v1/calls/${callId}`, null,
			t.d.sup)).json;
		const types = (c?.events || []).map((e) => e.type);
		return types.includes('call.held') &&
			types.includes('call.resumed');
	}, 'call.held and call.resumed on the timeline', WAIT);

	await a.click('#btn-record');
	await a.waitForSelector('#btn-record[aria-pressed="true"]');
	assert.equal(await text(a, '#btn-record'), '恢复录音');
	await a.click('#btn-record');
	await a.waitForSelector('#btn-record[aria-pressed="false"]');
	assert.ok(await a.isHidden('#agent-error'));
});

test('blind transfer to agent5 in another page; agent5 reloads and is ' +
	'back in the call', async () => {
	b = await consolePage(AGENT(5));
	/* the shortcut shown on the button */
	await b.keyboard.press('Control+Shift+R');
	await b.waitForSelector('#statebar[data-state="ready"]');
	await b.waitForSelector('#phone-status[data-state="registered"]');

	await a.click('#btn-transfer');
	await a.locator('#xfer-agent option', { hasText: '1005' }).waitFor({
		state: 'attached' });
	await a.selectOption('#xfer-agent', { label: '1005 坐席5' });
	await shot(a, '4_transfer');
	await a.click('#transfer-form [type=submit]');
	await a.waitForSelector('#wrap-card:not([hidden])', { timeout: WAIT });

	await b.waitForSelector('#ring-card:not([hidden])', { timeout: WAIT });
	assert.equal(await text(b, '#cti-caller'), CALLER);
	await b.click('#btn-answer');
	await b.waitForSelector('#call-card[data-phase="talking"]',
		{ timeout: WAIT });
	await statsUntil(b, (x) => x.packetsReceived > 20,
		'audio at agent5');
	/* agent6 is done with it: wrap-up ended by hand, ready again */
	assert.equal(await text(a, '#state-label'), '话后处理');
	await a.click('#wrap-end');
	await a.waitForSelector('#statebar[data-state="ready"]');
	await a.waitForSelector('#idle-card:not([hidden])');

	/* a reload mid-call: the console finds its call and reconnects */
	await b.reload();
	await b.waitForSelector('body[data-ready="1"]');
	await b.waitForSelector('#call-card[data-phase="talking"]',
		{ timeout: WAIT });
	assert.equal(await text(b, '#call-title'), CALLER);
	/* read back from the call log: the line keeps its name */
	await b.waitForFunction((want) => document.querySelector(
		'#call-cti #cti-number')?.textContent === want,
	`售后热线 ${NUMBER}`, { timeout: WAIT });
	await statsUntil(b, (x) => x.packetsReceived > 20,
		'audio at agent5 after the reload');
	const from = caller.rtp.samples.length;
	await caller.rtp.until(() => caller.rtp.samples.length - from > 8000,
		WAIT, 'media to the caller after the reload');
	await caller.rtp.heard(300, WAIT);
	await shot(b, '5_reconnected');
});

test('agent5 hangs up with Ctrl+Shift+H and saves the disposition',
	async () => {
		await b.keyboard.press('Control+Shift+H');
		await b.waitForSelector('#wrap-card:not([hidden])',
			{ timeout: WAIT });
		await b.click('#wrap-save');
		assert.equal(await text(b, '[data-error-for="code"]'),
			'请选择或填写处理结果');
		/* the demo tenant keeps a list: a select of its codes, no
		 * free text */
		assert.ok(await b.isHidden('#wrap-code'));
		assert.deepEqual(await b.$$eval('#wrap-select option',
			(os) => os.map((o) => o.value)),
		['', '咨询', '投诉', '售后', '已解决', '回访']);
		await b.selectOption('#wrap-select', '咨询');
		await b.fill('#wrap-notes', '客户咨询退货流程，已告知');
		await shot(b, '6_wrapup');
		await b.click('#wrap-save');
		await b.waitForSelector('#wrap-saved:not([hidden])');
		const row = await until(async () => {
			const r = await t.s.api('GET', `/api/v1/calls/${callId}`, null,
				t.d.sup);
			return r.json?.wrap_code && r.json;
		}, 'the disposition saved', WAIT);
		assert.equal(row.wrap_code, '咨询');
		assert.equal(row.wrap_notes, '客户咨询退货流程，已告知');
		assert.equal(row.agent_id, t.agents['1005'].agent_id);
		/* one recording across the transfer, with agent6's pause */
		const rec = await until(async () => {
			const r = await t.s.api('GET',
				`/api/v1/recordings?call_id=${callId}`, null, t.d.sup);
			return r.json?.items?.[0]?.status === 'ready' &&
				r.json.items;
		}, 'the recording ready', WAIT);
		assert.equal(rec.length, 1);
		assert.equal(rec[0].pauses.length, 1);
		await b.click('#wrap-end');
		await b.waitForSelector('#statebar[data-state="ready"]',
			{ timeout: WAIT });
	});

test('the call is in both agents\' recent calls and today\'s figures',
	async () => {
		for (const page of [a, b]) {
			/* this refresh's figures (it runs 0.6 s after the click): the
			 * item may be drawn already, by a load before the CDR landed */
			const n = Number(await page.getAttribute('body',
				'data-history'));
			await page.click('#recent-refresh');
			await page.waitForFunction((k) => Number(document.body.dataset
				.history) > k, n, { timeout: WAIT });
			await page.locator(`#recent-list li[data-call-id="${callId}"]`)
				.waitFor({ timeout: WAIT });
			assert.equal(await text(page, '#today-answered'), '1');
		}
		/* the refresh may land after the item drawn during the call */
		await until(async () => /13900139001[\s\S]*售后热线 ·[\s\S]*咨询/
			.test(await text(b, `#recent-list li[data-call-id="${
				callId}"]`)), 'the call with its line and outcome', WAIT);
		await shot(b, '7_recent');
	});

test('another tab taking agent6\'s device over is shown', async () => {
	const other = await consolePage(AGENT(6));
	await other.waitForSelector('#phone-status[data-state="registered"]');
	await a.waitForSelector('#replaced:not([hidden])', { timeout: WAIT });
	assert.match(await text(a, '#replaced'), /其他窗口或标签页/);
	await shot(a, '8_replaced');
	/* and back */
	await a.click('#take-back');
	await a.waitForSelector('#phone-status[data-state="registered"]');
	await other.waitForSelector('#replaced:not([hidden])', {
		timeout: WAIT });
	await other.close();
	assert.deepEqual(problems, []);
});


test('click to dial a customer from the console; the call is recorded ' +
	'with the notice', async () => {
	let r = await t.s.api('PUT', '/api/v1/recording/settings',
		{ notice: true }, t.d.admin);
	assert.equal(r.status, 200, r.text);
	const mark = t.s.logs().length;
	await t.withFarEnd(async () => {
		assert.ok(await a.isVisible('#dial-form'));
		await a.fill('#dial-number', '138-0000-0009');
		await a.click('#dial-go');
		await a.waitForSelector('#call-card[data-phase="talking"]',
			{ timeout: WAIT });
		assert.equal(await text(a, '#call-title'), '13800000009');
		await statsUntil(a, (x) => x.packetsReceived > 20,
			'the customer\'s echo');
		await shot(a, '9_dialled');
		await a.click('#btn-hangup');
		await a.waitForSelector('#wrap-card:not([hidden])', {
			timeout: WAIT });
		await a.click('#wrap-end');
		await a.waitForSelector('#idle-card:not([hidden])');
		const l = await t.s.api('GET', '/api/v1/calls?direction=outbound',
			null, t.d.sup);
		assert.equal(l.json.items[0]?.callee, '13800000009', l.text);
		const id = l.json.items[0].call_id;
		const rec = await until(async () => {
			const x = await t.s.api('GET',
				`/api/v1/recordings?call_id=${id}`, null, t.d.sup);
			return x.json?.items?.[0]?.status === 'ready' && x.json.items[0];
		}, 'the outbound call\'s recording', WAIT);
		assert.equal(rec.direction, 'outbound');
		assert.equal(rec.callee, '13800000009');
	});
	assert.doesNotMatch(t.s.logs().slice(mark), /notice not played/);
	r = await t.s.api('PUT', '/api/v1/recording/settings',
		{ notice: false }, t.d.admin);
	assert.equal(r.status, 200, r.text);
});

test('consult a colleague\'s number, three-way, cancel, hang up',
	async () => {
		await t.withFarEnd(async () => {
			const c2 = await t.call('13900139002', { service: NUMBER });
			try {
				await a.waitForSelector('#ring-card:not([hidden])',
					{ timeout: WAIT });
				await a.click('#btn-answer');
				await a.waitForSelector('#call-card[data-phase="talking"]',
					{ timeout: WAIT });
				await a.click('#btn-consult');
				await a.fill('#consult-number', '13800000001');
				await a.click('#consult-form [type=submit]');
				await a.waitForSelector(
					'#consult-state[data-state="answered"]', { timeout: WAIT });
				assert.equal(await text(a, '#call-phase'), '已保持');
				await a.click('#consult-conference');
				await a.waitForSelector(
					'#consult-state[data-state="conference"]',
					{ timeout: WAIT });
				await shot(a, '10_conference');
				assert.equal(await text(a, '#call-phase'), '通话中');
				/* back to two: the caller and the agent talk on */
				await a.click('#consult-cancel');
				await a.waitForSelector('#consult-form:not([hidden])',
					{ timeout: WAIT });
				assert.equal(await a.getAttribute('#btn-hold',
					'aria-pressed'), 'false');
				assert.ok(await a.isHidden('#agent-error'));
				await a.click('#btn-hangup');
				await a.waitForSelector('#wrap-card:not([hidden])',
					{ timeout: WAIT });
				await a.click('#wrap-end');
				await a.waitForSelector('#statebar[data-state="ready"]',
					{ timeout: WAIT });
			} finally {
				c2.close();
			}
			assert.deepEqual(problems, []);
		});
	});

test('a SIP phone agent\'s console follows the call its phone answers',
	async () => {
		for (const w of ['1005', '1006'])
			await t.setState(w, 'not_ready');
		await t.phone('1001', { ringMs: 200, talkMs: 4000 });
		const p = await consolePage(AGENT(1));
		assert.equal(await text(p, '#phone-status'), '来电在 SIP 话机振铃');
		assert.ok(await p.isHidden('#dial-form'));
		await p.click('#btn-ready');
		await p.waitForSelector('#statebar[data-state="ready"]');
		const c3 = await t.call('13900139003', { service: NUMBER });
		try {
			await p.waitForSelector('#call-card:not([hidden])',
				{ timeout: WAIT });
			await p.waitForSelector('#call-title:text("13900139003")');
			assert.match(await text(p, '#cti-path'), /hello[\s\S]*q/);
			assert.match(await text(p, '#cti-queue'), /售后服务/);
			assert.ok(await p.isHidden('#btn-mute'));
			await shot(p, '11_sip_agent');
			/* the phone hangs up after talking: wrap-up */
			await p.waitForSelector('#wrap-card:not([hidden])',
				{ timeout: WAIT });
		} finally {
			c3.close();
			await p.close();
		}
		assert.deepEqual(problems, []);
	});
