// The screen pop in the agent console, headless Chromium against the
// real server, PostgreSQL and sipp: agent6 is offered a call from a known
// customer and sees the customer panel (name, company, tags, custom
// field, last calls); then a call from an unknown number, and creates the
// customer from the 新建客户 form prefilled with the number, after which
// the panel shows the new customer. Screenshots go to tests/artifacts/.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { queueStack, until } from '../lib/acd_calls.mjs';
import { launch } from '../lib/browser.mjs';

const KNOWN = '13900139700';
const UNKNOWN = '13900139799';
const WAIT = 20000;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const AGENT6 = { tenant: 'demo', username: 'agent6', password: 'Agent@2026' };

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
	t = await queueStack({ env: { OPENSEAT_CLOCK_OFFSET: '' } });
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
	await page.fill('#tenant', AGENT6.tenant);
	await page.fill('#username', AGENT6.username);
	await page.fill('#password', AGENT6.password);
	await page.click('#login-submit');
	await page.waitForURL('**/agent/**');
	await page.waitForSelector('body[data-ready="1"]');
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
