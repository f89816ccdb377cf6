// Browser test of the ACD admin pages against the real server: the demo
// admin creates a skill, an agent with a SIP phone and that skill, and a
// queue requiring it through the pages, sees each listed, sees a field
// error from the server next to its field, and checks a VIP list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { adminSession } from '../lib/browser.mjs';
import { ROOT, startStack } from '../lib/stack.mjs';

const WAIT = 15000;

let stack;
let ctx;
let profile;
let page;
const problems = [];

before(async () => {
	stack = await startStack({});
	const admin = await stack.token(stack.admin);
	const r = await stack.api('POST', '/api/v1/users', { username: 'li.lei',
		display_name: '李雷', role: 'agent', password: 'Agent@20261' }, admin);
	assert.equal(r.status, 201, r.text);
	({ ctx, page, profile } = await adminSession(stack, problems, WAIT));
});

after(async () => {
	await ctx?.close();
	await stack?.stop();
	if (profile)
		fs.rmSync(profile, { recursive: true, force: true });
});

async function openTab(name) {
	const gen = await page.getAttribute(`#tab-${name}`, 'data-loaded');
	await page.click(`#tabs [data-tab="${name}"]`);
	if (gen === null)
		await page.waitForSelector(`#tab-${name}[data-loaded]`);
}

async function reloaded(name, fn) {
	const gen = Number(await page.getAttribute(`#tab-${name}`,
		'data-loaded'));
	await fn();
	await page.waitForSelector(`#tab-${name}[data-loaded="${gen + 1}"]`);
}

test('the ACD tabs are there in Chinese, with the demo data', async () => {
	for (const [tab, label] of [['agents', '坐席'], ['skills', '技能'],
		['queues', '队列'], ['reasons', '示忙原因'], ['vip', 'VIP 客户']])
		assert.equal(await page.innerText(`#tabs [data-tab="${tab}"]`), label);
	await openTab('agents');
	await page.locator('#agents-table tr[data-work-no="1001"]').waitFor();
	assert.match(await page.innerText('#agents-table tr[data-work-no="1001"]'),
		/agent1[\s\S]*SIP 话机[\s\S]*demo1001[\s\S]*售后·1/);
	await openTab('reasons');
	await page.locator('#reasons-table tr[data-name="就餐"]').waitFor();
	await openTab('queues');
	await page.locator('#queues-table tr[data-name="support"]').waitFor();
	assert.deepEqual(problems, []);
	/* the admin console beside the agent's and the supervisor's */
	const dir = path.join(ROOT, 'tests/artifacts');
	fs.mkdirSync(dir, { recursive: true });
	await page.screenshot({ path: path.join(dir, 'admin.png'),
		fullPage: true });
});

test('create a skill, an agent with it, a queue requiring it', async () => {
	await openTab('skills');
	await page.click('#skills-new');
	await page.fill('#skf-name', '英语');
	await reloaded('skills', () => page.click('#skill-form [type=submit]'));
	await page.locator('#skills-table tr[data-name="英语"]').waitFor();

	await openTab('agents');
	await page.click('#agents-new');
	await page.locator('#agf-user_id option', { hasText: '李雷' }).waitFor({
		state: 'attached' });
	await page.selectOption('#agf-user_id', { label: '李雷 (li.lei)' });
	/* a work number in use: the server's 409 shows at the field */
	await page.fill('#agf-work_no', '1001');
	await page.fill('#agf-sip_user', 'lilei2001');
	await page.fill('#agf-sip_secret', 'Secret#2001');
	await page.locator('.skill-pick', { hasText: '英语' })
		.locator('[data-skill]').check();
	await page.locator('.skill-pick', { hasText: '英语' })
		.locator('[data-level]').selectOption('2');
	await page.click('#agent-form [type=submit]');
	const err = page.locator('#agent-form [data-error-for="work_no"]');
	await err.filter({ hasText: /./ }).waitFor();
	assert.equal(await err.innerText(), '已被占用');
	await page.fill('#agf-work_no', '2001');
	await reloaded('agents', () => page.click('#agent-form [type=submit]'));
	const row = page.locator('#agents-table tr[data-work-no="2001"]');
	await row.waitFor();
	assert.match(await row.innerText(), /李雷[\s\S]*lilei2001[\s\S]*英语·2/);
	await row.locator('button', { hasText: '注册状态' }).click();
	await page.locator('#toast', { hasText: '话机未注册' }).waitFor();

	await openTab('queues');
	await page.click('#queues-new');
	await page.fill('#qf-name', 'english');
	await page.fill('#qf-label', '英语服务');
	await page.selectOption('#qf-strategy', 'ring_all');
	await page.fill('#qf-wrapup_s', '30');
	await page.selectOption('#qf-overflow_action', 'queue');
	await page.selectOption('#qf-overflow_target', { label:
		'support (售后服务)' });
	await page.selectOption('#qf-hold_music', 'builtin/hold');
	await page.locator('#queue-form label.check', { hasText: '英语' })
		.locator('input').check();
	await page.click('#queue-route-add');
	await page.fill('[data-route-regions]', '北京市，上海市');
	await page.selectOption('[data-route-queue]', { label: 'support' });
	await reloaded('queues', () => page.click('#queue-form [type=submit]'));
	const q = page.locator('#queues-table tr[data-name="english"]');
	await q.waitFor();
	assert.match(await q.innerText(),
		/英语服务[\s\S]*同时振铃[\s\S]*英语[\s\S]*转其他队列 → support/);

	const admin = await stack.token(stack.admin);
	const api = (await stack.api('GET', '/api/v1/queues', null, admin)).json
		.items.find((x) => x.name === 'english');
	assert.equal(api.wrapup_s, 30);
	assert.equal(api.hold_music, 'builtin/hold');
	assert.deepEqual(api.routes[0].regions, ['北京市', '上海市']);
	assert.deepEqual(problems, []);
});

test('a VIP list with a bad line is refused line by line', async () => {
	await openTab('vip');
	await page.click('#vip-import-open');
	await page.fill('#vpi-csv', 'number,priority,note\n13800138000,50,老客户\n' +
		'12,5,短号\n');
	await page.click('#vip-import-run');
	const errs = page.locator('[data-import-errors] li');
	await errs.first().waitFor();
	assert.match(await errs.first().innerText(), /第 3 行 号码/);
	await page.fill('#vpi-csv', 'number,priority,note\n13800138000,50,老客户\n');
	await reloaded('vip', () => page.click('#vip-import-run'));
	await page.locator('#vip-table tr[data-number="13800138000"]').waitFor();
	assert.deepEqual(problems, []);
});

test('处理结果: the demo codes in order; a duplicate refused at the field; ' +
	'a new code added and disabled', async () => {
	assert.equal(await page.innerText('#tabs [data-tab="dispositions"]'),
		'处理结果');
	await openTab('dispositions');
	await page.locator('#dispositions-table tr[data-code="回访"]').waitFor();
	assert.deepEqual(await page.$$eval('#dispositions-table tbody tr',
		(rs) => rs.map((r) => r.dataset.code)),
	['咨询', '投诉', '售后', '已解决', '回访']);
	await page.click('#dispositions-new');
	await page.fill('#dcf-code', '咨询');
	await page.click('#disposition-form [type=submit]');
	const err = page.locator('#disposition-form [data-error-for="code"]');
	await err.filter({ hasText: /./ }).waitFor();
	assert.equal(await err.innerText(), '已被占用');
	await page.fill('#dcf-code', '报修');
	await page.fill('#dcf-position', '6');
	await reloaded('dispositions', () =>
		page.click('#disposition-form [type=submit]'));
	const row = page.locator('#dispositions-table tr[data-code="报修"]');
	await row.waitFor();
	await row.locator('button', { hasText: '停用' }).click();
	await row.locator('.badge', { hasText: '已停用' }).waitFor();
	const admin = await stack.token(stack.admin);
	const items = (await stack.api('GET', '/api/v1/disposition-codes', null,
		admin)).json.items;
	assert.deepEqual(items.map((c) => [c.code, c.position, c.enabled]).at(-1),
		['报修', 6, false]);
	assert.deepEqual(problems, []);
});
