// Consulting a colleague from the browser console (headless Chromium,
// fake microphone): agent6 answers a caller, opens 咨询, picks agent5
// from the colleagues' live states; agent5's page rings with 咨询来电 and
// who consults; agent5 answers, agent6 completes; agent5 owns the call
// (the caller hears its microphone), agent6 wraps up, the call log names
// agent5. Then a consultation of a queue where nobody is ready waits,
// shown with its time, and is cancelled. Screenshots go to
// tests/artifacts/.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { ended, waitCall } from '../lib/sip.mjs';
import { queueStack } from '../lib/acd_calls.mjs';
import { launch } from '../lib/browser.mjs';

const CALLER = '13900139501';
const WAIT = 20000;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const AGENT = (n) => ({ tenant: 'demo', username: `agent${n}`,
	password: 'Agent@2026' });

let t;
let browser;
let a;
let b;
let caller;
const problems = [];

async function shot(page, name) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await page.screenshot({ path: path.join(ARTIFACTS,
		`consult_agent_${name}.png`), fullPage: true });
}

/* A page signed in as the agent, on its console, ready. */
async function readyConsole(who) {
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
	await page.click('#btn-ready');
	await page.waitForSelector('#statebar[data-state="ready"]');
	await page.waitForSelector('#phone-status[data-state="registered"]');
	return page;
}

const text = (page, sel) => page.locator(sel).innerText();

before(async () => {
	t = await queueStack({ env: { OPENSEAT_CLOCK_OFFSET: '' } });
	const tr = await t.s.api('PATCH', `/api/v1/trunks/${t.d.trunkId}`,
		{ codecs: 'PCMU' }, t.d.op);
	assert.equal(tr.status, 200, tr.text);
	await t.patchAgent('1005', { device: 'webrtc' });
	await t.patchQueue(t.support.queue_id, { wrapup_s: 120,
		announce_work_no: false });
	browser = await launch();
});

afterEach(async () => {
	for (const [name, page] of [['a', a], ['b', b]]) {
		if (page && !page.isClosed())
			await shot(page, `last_${name}`).catch(() => {});
	}
});

after(async () => {
	caller?.close();
	await browser?.close();
	await t?.stop();
	assert.deepEqual(problems, []);
});

test('agent6 consults agent5 in another page, who answers; agent6 ' +
	'completes and agent5 has the call', async () => {
	a = await readyConsole(AGENT(6));
	caller = await t.call(CALLER);
	await a.waitForSelector('#ring-card:not([hidden])', { timeout: WAIT });
	await a.click('#btn-answer');
	await a.waitForSelector('#call-card[data-phase="talking"]',
		{ timeout: WAIT });
	const callId = await a.getAttribute('#call-cti', 'data-call-id');
	b = await readyConsole(AGENT(5));

	/* the picker: colleagues with their states, only ready ones */
	await a.click('#btn-consult');
	await a.selectOption('#consult-type', 'agent');
	const opt = a.locator('#consult-agent option', { hasText: '1005' });
	await opt.waitFor({ state: 'attached' });
	await a.locator('#consult-agent').focus();
	await a.waitForSelector('#consult-agent option[data-state="ready"]' +
		':not([disabled])', { state: 'attached', timeout: WAIT });
	assert.match(await opt.innerText(), /1005 坐席5 · 就绪/);
	await a.selectOption('#consult-agent', { label: await opt.innerText() });
	await shot(a, '1_pick');
	await a.click('#consult-form [type=submit]');

	await b.waitForSelector('#ring-card:not([hidden])', { timeout: WAIT });
	assert.equal(await text(b, '#ring-card h2'), '咨询来电');
	assert.match(await text(b, '#ring-consult'), /1006/);
	assert.equal(await text(b, '#cti-caller'), CALLER);
	assert.equal(await text(b, '#state-reason'), '咨询中');
	await shot(b, '2_ringing');
	await b.click('#btn-answer');
	await b.waitForSelector('#call-card[data-phase="talking"]',
		{ timeout: WAIT });
	assert.match(await text(b, '#call-consult'), /1006.*正在咨询您/);
	await a.waitForSelector('#consult-state[data-state="answered"]',
		{ timeout: WAIT });
	assert.match(await text(a, '#consult-with'), /1005/);
	await shot(a, '3_consulting');

	await a.click('#consult-complete');
	await a.waitForSelector('#wrap-card:not([hidden])', { timeout: WAIT });
	await b.waitForSelector('#call-consult[hidden]', { state: 'attached',
		timeout: WAIT });
	await t.waitAgent('1006', (x) => x.state === 'wrap_up');
	await t.waitAgent('1005', (x) => x.state === 'on_call');
	/* the caller hears agent5's fake microphone */
	await caller.rtp.heard(300, WAIT);
	await shot(b, '4_owned');

	await b.click('#btn-hangup');
	await b.waitForSelector('#wrap-card:not([hidden])', { timeout: WAIT });
	const rec = await waitCall(t.s, t.d.sup, CALLER, ended);
	assert.equal(rec.call_id, callId);
	assert.equal(rec.agent_id, t.agents['1005'].agent_id);
});

test('agent6 consults a queue where nobody is ready: the console shows ' +
	'the wait in the queue with its time, then cancels', async () => {
	const CALLER2 = '13900139502';
	const from = t.mark();
	assert.equal((await t.setState('1006', 'ready')).status, 200);
	await a.waitForSelector('#statebar[data-state="ready"]',
		{ timeout: WAIT });
	const c2 = await t.call(CALLER2);
	try {
		await a.waitForSelector('#ring-card:not([hidden])',
			{ timeout: WAIT });
		await a.click('#btn-answer');
		await a.waitForSelector('#call-card[data-phase="talking"]',
			{ timeout: WAIT });
		/* agent5 is still in its wrap-up: logged in, not ready */
		await a.click('#btn-consult');
		await a.selectOption('#consult-type', 'queue');
		await a.locator(`#consult-queue option[value="${
			t.support.queue_id}"]`).waitFor({ state: 'attached' });
		await a.selectOption('#consult-queue', t.support.queue_id);
		await a.click('#consult-form [type=submit]');

		await a.waitForSelector('#consult-state[data-state="queued"]',
			{ timeout: WAIT });
		assert.equal(await text(a, '#consult-state'), '等待队列坐席…');
		const first = await text(a, '#consult-with');
		assert.match(first, /^队列 support · 已等待 \d\d:\d\d$/);
		/* the time runs */
		await a.waitForFunction((was) => document.getElementById(
			'consult-with').innerText !== was, first, { timeout: WAIT });
		assert.equal(await a.locator('#consult-complete').isDisabled(),
			true);
		await shot(a, '5_queued');

		await a.click('#consult-cancel');
		await a.waitForSelector('#consult-live[hidden]',
			{ state: 'attached', timeout: WAIT });
		await t.waitEvent((m) => m.type === 'call.consult' &&
			m.data.state === 'cancelled', from);
		assert.deepEqual(t.since(from, (m) => m.type === 'call.consult')
			.map((m) => m.data.state), ['queued', 'cancelled']);
		assert.equal((await t.live('1005')).state, 'wrap_up');
	} finally {
		c2.hangup();
		await c2.done;
		c2.close();
	}
	await a.waitForSelector('#wrap-card:not([hidden])', { timeout: WAIT });
});
