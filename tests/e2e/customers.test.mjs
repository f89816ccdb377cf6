// Browser test of the customers pages in zh-CN against the real server:
// the demo admin defines a select field, creates a customer with two
// numbers and that field in the shared customer form (a wrong value is
// refused next to its field first), finds it by a part of its Chinese
// name and by a number, edits it, and reads its change history.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { adminSession } from '../lib/browser.mjs';
import { startStack } from '../lib/stack.mjs';

const WAIT = 15000;

let stack;
let ctx;
let profile;
let page;
const problems = [];

before(async () => {
	stack = await startStack({});
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

/* A save reloads the list, and so may its customer.* event after it:
 * wait for a load after fn that is not followed by another one. */
async function reloaded(name, fn) {
	const sel = `#tab-${name}`;
	const gen = Number(await page.getAttribute(sel, 'data-loaded'));
	await fn();
	await page.waitForFunction(([s, g]) => {
		const e = document.querySelector(s);
		return Number(e.dataset.loaded) > g && !e.dataset.loading;
	}, [sel, gen]);
}

const rows = (name) => page.$$eval(`#${name}-table tbody tr`,
	(trs) => trs.map((tr) => tr.dataset.name || tr.dataset.key));

test('the tabs are there in Chinese', async () => {
	assert.equal(await page.innerText('#tabs [data-tab="customers"]'),
		'客户');
	assert.equal(await page.innerText('#tabs [data-tab="customfields"]'),
		'自定义字段');
});

test('the admin defines a select field', async () => {
	await openTab('customfields');
	await page.click('#customfields-new');
	await page.fill('#cff-key', 'level');
	await page.fill('#cff-label', '会员等级');
	await page.selectOption('#cff-type', 'select');
	await page.fill('#cff-options', '金卡\n银卡');
	await page.check('#cff-required');
	await reloaded('customfields', () =>
		page.click('#customfield-form [type=submit]'));
	/* the demo tenant's own field (grade) comes after it */
	assert.deepEqual(await rows('customfields'), ['level', 'grade']);
	assert.match(await page.innerText('#customfields-table tbody tr'),
		/会员等级\s+下拉选择\s+金卡 \/ 银卡\s+是/);
});

test('create a customer with the field; a bad number is refused first',
	async () => {
		await openTab('customers');
		await page.click('#customers-new');
		await page.waitForSelector('#customer-dialog[open]');
		assert.equal(await page.innerText('#customer-form h2'), '新建客户');
		await page.fill('#cf-name', '慕容复');
		await page.fill('#cf-company', '燕子坞');
		await page.fill('#cf-phone-0', '+86 138-1111-2222');
		await page.click('#cf-add-phone');
		await page.fill('#cf-phone-1', '12');
		await page.selectOption('#cf-f-level', '金卡');
		await page.fill('#cf-tags', '江南, 贵宾');
		await page.click('#customer-form [type=submit]');
		await page.waitForFunction(() => document.querySelector(
			'[data-error-for="phones[1]"]').textContent !== '');
		assert.equal(await page.innerText('[data-error-for="phones[1]"]'),
			'格式不正确');

		await page.fill('#cf-phone-1', '0571-8888 1234');
		await reloaded('customers', () =>
			page.click('#customer-form [type=submit]'));
		await page.waitForSelector('#customer-dialog', { state: 'detached' });
		assert.equal((await rows('customers'))[0], '慕容复');
		const text = await page.innerText('#customers-table tbody tr');
		assert.match(text, /13811112222 \/ 057188881234/);
		assert.match(text, /燕子坞/);
		assert.match(text, /江南/);
	});

test('search by a part of the name and by a number', async () => {
	const r = await stack.api('POST', '/api/v1/customers', { name: '王语嫣',
		phones: ['13900001111'], fields: { level: '银卡' } },
	await stack.token(stack.admin));
	assert.equal(r.status, 201, r.text);
	await reloaded('customers', async () => {
		await page.fill('#customers-q', '容复');
		await page.click('#customers-search [type=submit]');
	});
	assert.deepEqual(await rows('customers'), ['慕容复']);
	await reloaded('customers', async () => {
		await page.fill('#customers-q', '139 0000 1111');
		await page.click('#customers-search [type=submit]');
	});
	assert.deepEqual(await rows('customers'), ['王语嫣']);
	await reloaded('customers', async () => {
		await page.fill('#customers-q', '');
		await page.click('#customers-search [type=submit]');
	});
	assert.deepEqual((await rows('customers')).slice(0, 2),
		['王语嫣', '慕容复']);
});

test('edit the customer and read its history', async () => {
	await page.click('#customers-table tr[data-name="慕容复"] ' +
		'button:has-text("编辑")');
	await page.waitForSelector('#customer-dialog[open]');
	assert.equal(await page.inputValue('#cf-name'), '慕容复');
	assert.equal(await page.inputValue('#cf-f-level'), '金卡');
	await page.selectOption('#cf-f-level', '银卡');
	await page.fill('#cf-region', '浙江省杭州市');
	await page.click('#customer-form [type=submit]');
	await page.waitForSelector('#customer-dialog', { state: 'detached' });
	await page.waitForFunction(() => /浙江省杭州市/.test(document
		.querySelector('#customers-table tr[data-name="慕容复"]').innerText));

	await page.click('#customers-table tr[data-name="慕容复"] ' +
		'button:has-text("详情")');
	await page.waitForSelector('#customer-detail[data-loaded]');
	assert.match(await page.innerText('#customer-detail h3'),
		/慕容复 的通话与变更记录/);
	const hist = await page.$$eval('#cust-history tr',
		(trs) => trs.map((tr) => tr.innerText));
	assert.equal(hist.length, 2, hist.join('\n'));
	assert.match(hist[0], /admin\s+修改/);
	assert.match(hist[0], /fields\.level = 银卡/);
	assert.match(hist[1], /创建/);
	assert.equal(await page.isVisible('#customer-detail [data-no-calls]'),
		true);
	assert.deepEqual(problems, []);
});
