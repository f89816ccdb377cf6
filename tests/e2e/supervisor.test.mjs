// Browser test of the supervisor's wallboard against the real server
// with sipp phones and callers: the demo supervisor signs in and sees
// the queues and agents; an agent's state change and a call joining show
// within a second; the filters narrow tiles and agents; forcing an agent
// not ready from the page works; the monitoring buttons are enabled only
// for an agent on a call, and listening then whispering connects the
// browser's audio; a second supervisor's page monitoring the same call
// is shown on both wallboards. Screenshots go to tests/artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { sipOk } from '../lib/sip.mjs';
import { queueStack } from '../lib/acd_calls.mjs';
import { ROOT } from '../lib/stack.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 15000;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');

let t;
let ctx;
let profile;
let page;
let vip;            /* {skill_id, queue_id}: a second queue and skill */
const problems = [];
let qa;             /* a second supervisor's browser: {ctx, page} */

const card = (workNo) => `.agent[data-work-no="${workNo}"]`;
const tile = (queueId) => `.tile[data-queue="${queueId}"]`;

before(async () => {
	t = await queueStack();
	/* a VIP skill only 1005 has, and a queue that needs it */
	const sk = await t.adminApi('POST', '/api/v1/skills', { name: 'VIP' },
		201);
	const a5 = t.agents['1005'];
	await t.patchAgent('1005', { skills: [...t.support.skills.map((s) =>
		({ skill_id: s.skill_id })), { skill_id: sk.skill_id }] });
	const q = await t.newQueue({ name: 'vip', label: '贵宾专线',
		skills: [{ skill_id: sk.skill_id }] });
	vip = { skill_id: sk.skill_id, queue_id: q.queue_id, agent: a5 };

	({ ctx, page, profile } = await signIn(t.s.supervisor));
});

/* A browser of its own signed in as who, on the wallboard. */
async function signIn(who) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-e2e-'));
	const c = await chromium.launchPersistentContext(dir, {
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			'--use-fake-ui-for-media-stream',
			'--use-fake-device-for-media-stream'],
		ignoreHTTPSErrors: true,
		viewport: { width: 1440, height: 1000 },
	});
	c.setDefaultTimeout(WAIT);
	const pg = await c.newPage();
	pg.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
	pg.on('console', (m) => {
		if (/Content Security Policy|Uncaught|Failed to load/i
			.test(m.text()))
			problems.push(`console: ${m.text()}`);
	});
	pg.on('dialog', (d) => d.accept());
	await pg.goto(`${t.s.baseUrl}/`);
	await pg.waitForSelector('body[data-ready="1"]');
	await pg.fill('#tenant', who.tenant);
	await pg.fill('#username', who.username);
	await pg.fill('#password', who.password);
	await pg.click('#login-submit');
	await pg.waitForURL('**/supervisor/');
	await pg.waitForSelector('body[data-ready="1"]');
	await pg.waitForSelector('#live-status[data-state="online"]');
	return { ctx: c, page: pg, profile: dir };
}

after(async () => {
	await ctx?.close();
	await qa?.ctx.close();
	await t?.stop();
	for (const dir of [profile, qa?.profile].filter(Boolean))
		fs.rmSync(dir, { recursive: true, force: true });
});

/* How long until the page shows what pred checks (polled every frame). */
async function shown(fn, arg) {
	const t0 = Date.now();
	await page.waitForFunction(fn, arg, { polling: 'raf', timeout: 5000 });
	return Date.now() - t0;
}

const text = (sel) => page.locator(sel).innerText();

test('the wallboard shows the queues and the agents', async () => {
	assert.equal(await text('main h1'), '班长监控台');
	await page.waitForSelector(tile(t.support.queue_id));
	await page.waitForSelector(tile(vip.queue_id));
	assert.match(await text(tile(t.support.queue_id)), /售后服务/);
	assert.match(await text(tile(vip.queue_id)), /贵宾专线/);
	for (const w of ['1001', '1002', '1003', '1004', '1005']) {
		await page.waitForSelector(`${card(w)}[data-state="logged_out"]`);
		assert.match(await text(card(w)), new RegExp(w));
		assert.match(await text(card(w)), /已签出/);
	}
	/* two charts drawn by uPlot */
	assert.equal(await page.locator('#chart-calls canvas').count(), 1);
	assert.equal(await page.locator('#chart-waiting canvas').count(), 1);
	assert.deepEqual(problems, []);
});

test('an agent state change shows within a second', async () => {
	await t.phone('1001');
	const from = t.mark();
	const r = await t.setState('1001', 'ready');
	assert.equal(r.status, 200, r.text);
	/* from the server's push to the supervisor socket of the test */
	await t.waitState('1001', 'ready', from, 5000);
	const ms = await shown((sel) => !!document.querySelector(sel),
		`${card('1001')}[data-state="ready"]`);
	assert.ok(ms < 1000, `${ms} ms`);
	assert.match(await text(card('1001')), /空闲/);
	/* time in state ticks on the page's own clock */
	await shown((sel) => /^00:0[1-9]$/.test(document.querySelector(sel)
		?.textContent), `${card('1001')} [data-k="in_state"]`);
	/* the queue tile counts the ready agent */
	await shown(([sel]) => document.querySelector(sel)
		?.textContent === '1', [`${tile(t.support.queue_id)} ` +
		'[data-k="a_ready"]']);
});

test('a call joining shows within a second; the caller leaving too',
	async () => {
		const from = t.mark();
		const r = await t.setState('1001', 'not_ready', '休息');
		assert.equal(r.status, 200, r.text);
		await t.waitState('1001', 'not_ready', from, 5000);
		await page.waitForSelector(`${card('1001')}[data-state="not_ready"]`);
		assert.match(await text(card('1001')), /休息/);
		const c = await t.call('13900008001', { rtp: false });
		await t.waitEvent((m) => m.type === 'queue.joined', from, 10000);
		const ms = await shown((sel) => document.querySelector(sel)
			?.textContent === '1', `${tile(t.support.queue_id)} ` +
			'[data-k="waiting"]');
		assert.ok(ms < 1000, `${ms} ms`);
		/* the longest wait ticks on the page itself */
		await shown((sel) => /^00:0[1-9]$/.test(document.querySelector(sel)
			?.textContent), `${tile(t.support.queue_id)} [data-k="longest"]`);
		await c.hangup();
		await sipOk(c);
		await shown((sel) => document.querySelector(sel)?.textContent ===
			'0', `${tile(t.support.queue_id)} [data-k="waiting"]`);
		assert.ok(Number(await text(`${tile(t.support.queue_id)} ` +
			'[data-k="abandoned"]')) >= 1);
	});

test('the English switch relabels the wallboard and back', async () => {
	await page.click('#lang-switch');
	await page.waitForFunction(() => document.title.startsWith(
		'Supervisor console'));
	assert.match(await text('#legend'), /Ready/);
	assert.match(await text('#summary'), /Waiting/);
	assert.match(await text(tile(t.support.queue_id)), /Abandoned/);
	assert.match(await text(`${card('1003')} .agent-state`), /Logged out/);
	assert.match(await text(`${card('1003')} .agent-actions`), /Listen/);
	assert.match(await text('#f-queue'), /All queues/);
	await page.click('#lang-switch');
	await page.waitForFunction(() => document.title.startsWith('班长'));
	assert.match(await text(`${card('1003')} .agent-state`), /已签出/);
	assert.deepEqual(problems, []);
});

test('filters: by queue, skill, state and work number', async () => {
	const visible = () => page.$$eval('#agent-grid .agent',
		(v) => v.map((n) => n.dataset.workNo));
	const tiles = () => page.$$eval('#queue-tiles .tile',
		(v) => v.map((n) => n.dataset.queue));
	await page.selectOption('#f-skill', vip.skill_id);
	assert.deepEqual(await visible(), ['1005']);
	assert.deepEqual(await tiles(), [vip.queue_id]);
	await page.selectOption('#f-skill', '');
	await page.selectOption('#f-queue', vip.queue_id);
	assert.deepEqual(await visible(), ['1005']);
	assert.deepEqual(await tiles(), [vip.queue_id]);
	await page.selectOption('#f-queue', t.support.queue_id);
	const sup = await visible();
	for (const w of ['1001', '1002', '1003', '1004', '1005'])
		assert.ok(sup.includes(w), `${w} in ${sup}`);
	assert.deepEqual(await tiles(), [t.support.queue_id]);
	await page.selectOption('#f-queue', '');
	await page.selectOption('#f-state', 'not_ready');
	assert.deepEqual(await visible(), ['1001']);
	await page.selectOption('#f-state', '');
	await page.fill('#f-text', '1003');
	assert.deepEqual(await visible(), ['1003']);
	await page.fill('#f-text', '');
	assert.ok((await visible()).length >= 5);
	assert.equal((await tiles()).length, 2);
});

test('forcing an agent not ready from the page, with a reason',
	async () => {
		const from = t.mark();
		const r = await t.setState('1001', 'ready');
		assert.equal(r.status, 200, r.text);
		await page.waitForSelector(`${card('1001')}[data-state="ready"]`);
		await page.click(`${card('1001')} button[data-act="not_ready"]`);
		await page.waitForSelector('#reason-dialog[open]');
		await page.selectOption('#reason-select', '会议');
		await page.click('#reason-dialog button[value="ok"]');
		const ev = await t.waitState('1001', 'not_ready', from, 5000);
		assert.equal(ev.data.reason, '会议');
		assert.ok(ev.data.forced_by, JSON.stringify(ev.data));
		await page.waitForSelector(`${card('1001')}[data-state="not_ready"]`);
		assert.match(await text(card('1001')), /会议/);
	});

test('monitoring buttons only for an agent on a call; the call shows ' +
	'caller, queue and duration', async () => {
	const p = await t.phone('1002', { ringMs: 300, talkMs: 15000 });
	await t.readyAll('1002');
	const from = t.mark();
	const c = await t.call('13900008002', { rtp: false });
	await t.waitState('1002', 'on_call', from, 10000);
	await page.waitForSelector(`${card('1002')}[data-state="on_call"]`);
	const call = await text(`${card('1002')} .agent-call`);
	assert.match(call, /13900008002/);
	assert.match(call, /售后服务/);
	assert.match(call, /\d\d:\d\d/);
	for (const act of ['listen', 'whisper', 'barge']) {
		assert.equal(await page.isEnabled(`${card('1002')} ` +
			`button[data-act="${act}"]`), true, act);
		assert.equal(await page.isEnabled(`${card('1001')} ` +
			`button[data-act="${act}"]`), false, act);
	}
	assert.equal(await page.isEnabled(`${card('1002')} ` +
		'button[data-act="stop"]'), false);

	/* listen through the browser's softphone, then whisper */
	await page.click(`${card('1002')} button[data-act="listen"]`);
	await page.waitForSelector('#monitor-bar:not([hidden])');
	await page.waitForFunction(() => /已接通/.test(document
		.getElementById('monitor-detail').textContent), null,
	{ timeout: WAIT });
	assert.match(await text('#monitor-title'), /正在监听 1002/);
	assert.equal(await page.isEnabled(`${card('1002')} ` +
		'button[data-act="stop"]'), true);
	await page.click('#monitor-modes button[data-mode="whisper"]');
	await page.waitForSelector('#monitor-modes ' +
		'button[data-mode="whisper"][aria-pressed="true"]');
	assert.match(await text('#monitor-title'), /耳语/);
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await page.screenshot({ path: path.join(ARTIFACTS, 'supervisor.png'),
		fullPage: true });
	await page.click('#monitor-stop');
	await page.waitForSelector('#monitor-bar', { state: 'hidden' });
	await sipOk(c);
	await page.waitForSelector(`${card('1002')}:not([data-state="on_call"])`);
	assert.equal(await page.isEnabled(`${card('1002')} ` +
		'button[data-act="listen"]'), false);
	await p.stop();
	assert.deepEqual(problems, []);
});

test('two supervisors on one call: each wallboard shows both, one ' +
	'stopping leaves the other, the call ending clears both', async () => {
	await t.adminApi('POST', '/api/v1/users', { username: 'qa',
		password: 'Quality@2026', role: 'supervisor' }, 201);
	qa = await signIn({ tenant: 'demo', username: 'qa',
		password: 'Quality@2026' });
	const p2 = qa.page;
	/* 1003 alone takes the call */
	for (const w of ['1001', '1002']) {
		const x = await t.waitAgent(w, (a) => !['wrap_up', 'ringing',
			'on_call'].includes(a.state));
		if (x.state !== 'not_ready')
			assert.equal((await t.setState(w, 'not_ready', '')).status, 200);
	}
	const p = await t.phone('1003', { ringMs: 300, talkMs: 60000 });
	await t.readyAll('1003');
	const from = t.mark();
	const c = await t.call('13900008003', { rtp: false });
	await t.waitState('1003', 'on_call', from, 10000);
	const { call_id: callId } = (await t.waitEvent((m) => m.type ===
		'call.answered', from)).data;
	const on = `${card('1003')}[data-state="on_call"]`;
	await page.waitForSelector(on);
	await p2.waitForSelector(on);

	await page.click(`${card('1003')} button[data-act="listen"]`);
	await p2.click(`${card('1003')} button[data-act="whisper"]`);
	for (const pg of [page, p2]) {
		await pg.waitForFunction(() => /已接通/.test(document
			.getElementById('monitor-detail').textContent));
	}
	assert.match(await text('#monitor-title'), /正在监听 1003/);
	assert.match(await p2.locator('#monitor-title').innerText(),
		/正在对 1003 .*耳语/);
	/* each sees both: who and how */
	for (const pg of [page, p2]) {
		await pg.waitForSelector(`${card('1003')}[data-monitors="2"]`);
		const mons = await pg.locator(`${card('1003')} .agent-mons`)
			.innerText();
		assert.match(mons, /supervisor（监听）/);
		assert.match(mons, /qa（耳语）/);
	}
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await p2.screenshot({ path: path.join(ARTIFACTS,
		'supervisor-two-monitors.png'), fullPage: true });

	/* the first stops, from another console (REST here): its page
	 * follows, the second goes on, and both pages show it */
	const r = await t.s.api('POST', `/api/v1/calls/${callId}/monitor`,
		{ action: 'stop' }, t.d.sup);
	assert.equal(r.status, 200, r.text);
	await page.waitForSelector('#monitor-bar', { state: 'hidden' });
	for (const pg of [page, p2])
		await pg.waitForSelector(`${card('1003')}[data-monitors="1"]`);
	assert.doesNotMatch(await p2.locator(`${card('1003')} .agent-mons`)
		.innerText(), /supervisor/);
	assert.match(await p2.locator('#monitor-detail').innerText(), /已接通/);

	/* the call ends: nothing left on either */
	await c.hangup();
	await sipOk(c);
	await p2.waitForSelector('#monitor-bar', { state: 'hidden' });
	for (const pg of [page, p2]) {
		await pg.waitForSelector(`${card('1003')}:not([data-state=` +
			'"on_call"])');
		assert.equal(await pg.locator(`${card('1003')} .agent-mons`)
			.isHidden(), true);
	}
	await p.stop();
	assert.deepEqual(problems, []);
});
