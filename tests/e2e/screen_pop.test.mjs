// The screen pop in the agent console, headless Chromium against the
// real server, PostgreSQL and sipp: agent6 is offered a call from a known
// customer and sees the customer panel (name, company, tags, custom
// field, last calls); then a call from an unknown number, and creates the
// customer from the 新建客户 form prefilled with the number, after which
// the panel shows the new customer. The admin's 来电弹屏 tab refuses a
// bad URL by its field, keeps the CRM's token without showing it, and the
// console then pops from that CRM. Click-to-dial pops the dialled
// customer; a reload in a call brings the panel back. Screenshots go to
// tests/artifacts/.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { queueStack, until } from '../lib/acd_calls.mjs';
import { launch } from '../lib/browser.mjs';

const KNOWN = '13900139700';
const UNKNOWN = '13900139799';
const WAIT = 20000;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const AGENT6 = { tenant: 'demo', username: 'agent6', password: 'Agent@2026' };
const ADMIN = { tenant: 'demo', username: 'admin', password: 'Admin@2026' };

let t;
let browser;
let page;
let caller;
const problems = [];

async function shot(name) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await page.screenshot({ path: path.join(ARTIFACTS,
		`screen_pop_${name}.png`), fullPage: true });
}

const text = (sel) => page.locator(sel).innerText();

async function signIn(p, who, where) {
	await p.fill('#tenant', who.tenant);
	await p.fill('#username', who.username);
	await p.fill('#password', who.password);
	await p.click('#login-submit');
	await p.waitForURL(where);
	await p.waitForSelector('body[data-ready="1"]');
}

async function hangUp() {
	await caller.hangup();
	await caller.done;
	caller.close();
	caller = null;
	await page.waitForSelector('#ring-card', { state: 'hidden',
		timeout: WAIT });
	await until(async () => (await t.liveQueue(t.support.queue_id))
		.waiting === 0, 'queue empty', WAIT);
}

before(async () => {
	t = await queueStack({ env: { OPENSEAT_CLOCK_OFFSET: '',
		OPENSEAT_EGRESS_ALLOW: '127.0.0.1/32' } });
	/* rings long enough to fill a form while it rings */
	await t.patchQueue(t.support.queue_id, { ring_timeout_s: 60 });
	await t.adminApi('POST', '/api/v1/customer-fields', { key: 'level',
		label: '会员等级', type: 'text' }, 201);
	const c = await t.adminApi('POST', '/api/v1/customers', { name: '张三',
		company: '示例公司', tags: ['VIP', '华东'], phones: [KNOWN],
		fields: { level: '金卡' } }, 201);
	t.customerId = c.customer_id;
	browser = await launch();
	page = await browser.ctx.newPage();
	page.on('pageerror', (e) => problems.push(e.message));
	await page.setViewportSize({ width: 1280, height: 1000 });
	await page.goto(`${t.s.baseUrl}/`);
	await page.waitForSelector('body[data-ready="1"]');
	await signIn(page, AGENT6, '**/agent/**');
	await page.click('#btn-ready');
	await page.waitForSelector('#statebar[data-state="ready"]');
	await page.waitForSelector('#phone-status[data-state="registered"]');
	await t.waitAgent('1006', (x) => x.state === 'ready' &&
		x.device_reachable);
});

afterEach(async () => {
	if (page && !page.isClosed())
		await shot('last').catch(() => {});
});

after(async () => {
	caller?.close();
	await browser?.close();
	await t?.stop();
	assert.deepEqual(problems, []);
});

test('a known customer\'s call rings with the customer panel', async () => {
	caller = await t.call(KNOWN);
	await page.waitForSelector('#ring-card:not([hidden])', { timeout: WAIT });
	await page.waitForSelector('#customer-card[data-state="found"]',
		{ timeout: WAIT });
	assert.equal(await text('#pop-name'), '张三');
	assert.equal(await text('#pop-company'), '示例公司');
	assert.match(await text('#pop-tags'), /VIP[\s\S]*华东/);
	await page.waitForSelector('#pop-fields [data-field="level"]');
	assert.match(await text('#pop-fields [data-field="level"]'),
		/会员等级[\s\S]*金卡/);
	/* last calls: read from /customers/{id}/calls (this call is live) */
	await page.waitForSelector('#pop-calls li');
	assert.ok(await page.isVisible('#pop-edit'));
	await shot('1_known');
	await hangUp();
});

test('an unknown number: 新建客户 prefilled, the panel shows the new ' +
	'customer', async () => {
	caller = await t.call(UNKNOWN);
	await page.waitForSelector('#ring-card:not([hidden])', { timeout: WAIT });
	await page.waitForSelector('#customer-card[data-state="unknown"]',
		{ timeout: WAIT });
	assert.equal(await text('#pop-phone'), UNKNOWN);
	await shot('2_unknown');
	await page.click('#pop-new');
	await page.waitForSelector('#customer-dialog[open]');
	assert.equal(await page.inputValue('#cf-phone-0'), UNKNOWN);
	await page.fill('#cf-name', '王五');
	await page.fill('#cf-company', '新客户公司');
	await shot('3_form');
	await page.click('#customer-dialog [type=submit]');
	await page.waitForSelector('#customer-dialog', { state: 'detached',
		timeout: WAIT });
	await page.waitForSelector('#customer-card[data-state="found"]');
	assert.equal(await text('#pop-name'), '王五');
	assert.equal(await text('#pop-company'), '新客户公司');
	await shot('4_created');
	const r = await t.s.api('GET', `/api/v1/customers?phone=${UNKNOWN}`, null,
		t.d.admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.items[0]?.name, '王五', r.text);
	await hangUp();

	/* the next call from that number finds the customer */
	caller = await t.call(UNKNOWN);
	await page.waitForSelector('#customer-card[data-state="found"]',
		{ timeout: WAIT });
	assert.equal(await text('#pop-name'), '王五');
	await hangUp();
});

test('the admin points the screen pop at the tenant\'s CRM; the next ' +
	'call pops from it', async () => {
	const crm = http.createServer((req, res) => {
		const ok = req.headers.authorization === 'Bearer e2e-token';
		res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ data: { name: '赵六', org: '远方科技',
			vip: 3 } }));
	});
	await new Promise((resolve) => crm.listen(0, '127.0.0.1', resolve));
	const adminBrowser = await launch();
	try {
		const ap = await adminBrowser.ctx.newPage();
		ap.on('pageerror', (e) => problems.push(`admin: ${e.message}`));
		await ap.setViewportSize({ width: 1280, height: 1100 });
		await ap.goto(`${t.s.baseUrl}/`);
		await ap.waitForSelector('body[data-ready="1"]');
		await signIn(ap, ADMIN, '**/admin/**');
		await ap.click('#tabs [data-tab="crmsettings"]');
		await ap.waitForSelector('#crmset-form[data-loaded]');
		assert.equal(await ap.inputValue('#cs-mode'), 'builtin');
		await ap.selectOption('#cs-mode', 'http');
		await ap.fill('#cs-http_url', 'ftp://crm.example.com/{caller}');
		await ap.click('#cs-save');
		await ap.waitForSelector('[data-error-for="http_url"]:not(:empty)');
		const url = `http://127.0.0.1:${crm.address().port}/c?tel={caller}`;
		await ap.fill('#cs-http_url', url);
		await ap.fill('#cs-auth_header', 'Authorization');
		await ap.fill('#cs-auth_token', 'Bearer e2e-token');
		await ap.fill('[name="mapping.name"]', '/data/name');
		await ap.fill('[name="mapping.company"]', '/data/org');
		await ap.fill('#cs-map-extra', '星级 = /data/vip');
		await ap.click('#cs-save');
		await ap.waitForFunction(() => document.querySelector(
			'#cs-auth_token').placeholder !== '');
		assert.equal(await ap.inputValue('#cs-auth_token'), '');
		await ap.screenshot({ path: path.join(ARTIFACTS,
			'screen_pop_admin.png'), fullPage: true });
		const r = await t.s.api('GET', '/api/v1/crm/settings', null,
			t.d.admin);
		assert.equal(r.json.mode, 'http');
		assert.equal(r.json.auth_token_set, true);
		assert.deepEqual(r.json.mapping.extra, [{ label: '星级',
			pointer: '/data/vip' }]);
	} finally {
		await adminBrowser.close();
	}

	/* the CRM answers (with the token) and its customer pops */
	caller = await t.call(KNOWN);
	await page.waitForSelector('#customer-card[data-state="found"]',
		{ timeout: WAIT });
	assert.equal(await text('#pop-name'), '赵六');
	assert.equal(await text('#pop-company'), '远方科技');
	assert.match(await text('#customer-card [data-extra="星级"]'), /3/);
	await shot('5_crm');
	await hangUp();

	/* the CRM gone: the call rings all the same, the panel says why */
	crm.close();
	crm.closeAllConnections();
	caller = await t.call(KNOWN);
	await page.waitForSelector('#customer-card[data-state="error"]',
		{ timeout: WAIT });
	assert.match(await text('#pop-error'), /CRM/);
	await hangUp();
	await t.adminApi('PUT', '/api/v1/crm/settings', { mode: 'builtin' });
});

test('click-to-dial pops the dialled customer', async () => {
	await t.withFarEnd(async () => {
		assert.ok(await page.isVisible('#dial-form'));
		await page.fill('#dial-number', KNOWN);
		await page.click('#dial-go');
		await page.waitForSelector('#customer-card[data-state="found"]',
			{ timeout: WAIT });
		assert.equal(await text('#pop-name'), '张三');
		await page.waitForSelector('#call-card[data-phase="talking"]',
			{ timeout: WAIT });
		await shot('6_dialled');
		await page.click('#btn-hangup');
		await page.waitForSelector('#wrap-card:not([hidden])',
			{ timeout: WAIT });
		await page.click('#wrap-end');
		await page.waitForSelector('#idle-card:not([hidden])');
	});
});

test('a reload during the call: the panel comes back from the call',
	async () => {
		caller = await t.call(KNOWN);
		await page.waitForSelector('#ring-card:not([hidden])',
			{ timeout: WAIT });
		await page.keyboard.press('Control+Enter');
		await page.waitForSelector('#call-card[data-phase="talking"]',
			{ timeout: WAIT });
		await page.reload();
		await page.waitForSelector('body[data-ready="1"]');
		await page.waitForSelector('#call-card[data-phase="talking"]',
			{ timeout: WAIT });
		await page.waitForSelector('#customer-card[data-state="found"]',
			{ timeout: WAIT });
		assert.equal(await text('#pop-name'), '张三');
		await shot('7_reloaded');
		await page.click('#btn-hangup');
		await page.waitForSelector('#wrap-card:not([hidden])',
			{ timeout: WAIT });
		await page.click('#wrap-end');
		await page.waitForSelector('#idle-card:not([hidden])');
		caller.close();
		caller = null;
	});
