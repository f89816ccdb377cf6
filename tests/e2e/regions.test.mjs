// Browser test of number attribution on the admin numbers tab against the
// real server with the real data: the demo admin looks a number up, checks
// a CSV of prefixes with a bad line (listed by line, nothing imported),
// imports it, sees the prefixes listed, and a lookup answered by them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { adminSession } from '../lib/browser.mjs';
import { ROOT, cli, startStack } from '../lib/stack.mjs';

const WAIT = 15000;

let stack;
let ctx;
let profile;
let page;
const problems = [];

before(async () => {
	stack = await startStack({});
	const r = await cli(['import-regions'], {
		OPENSEAT_DATABASE_URL: stack.db.url,
		OPENSEAT_DATABASE_ADMIN_URL: stack.db.adminUrl,
		OPENSEAT_MIGRATIONS_DIR: path.join(ROOT, 'migrations') });
	assert.equal(r.status, 0, r.stderr);
	({ ctx, page, profile } = await adminSession(stack, problems, WAIT));
});

after(async () => {
	await ctx?.close();
	await stack?.stop();
	if (profile)
		fs.rmSync(profile, { recursive: true, force: true });
});

async function lookup(number) {
	await page.fill('#regions-q', number);
	await page.click('#regions-lookup');
	await page.waitForFunction((n) => document.querySelector(
		'#regions-lookup-out .mono')?.textContent === n,
	number.replace(/\D/g, '').replace(/^0/, ''));
	return page.innerText('#regions-lookup-out');
}

test('look up, check, import, list, and the tenant\'s prefix answers',
	async () => {
		await page.click('#tabs [data-tab="numbers"]');
		await page.waitForSelector('#regions[data-loaded]');
		assert.equal(await page.innerText('#regions h2'), '号码归属地');
		assert.match(await lookup('13810001234'),
			/北京市 · 中国移动 \(平台数据\)/);

		await page.click('#regions-import-open');
		await page.fill('#rgi-csv', 'prefix,region\n0755,深圳南山\nabc,x\n');
		await page.click('#regions-import-check');
		const errs = page.locator('[data-regions-errors] li');
		await errs.first().waitFor();
		assert.match(await errs.first().innerText(), /^第 3 行：号段应为/);
		assert.match(await page.innerText('[data-regions-ok]'),
			/1 行有效，1 行有误；将新增 1 个.*尚未导入/);
		assert.equal(await page.locator('#regions-table tbody tr').count(),
			0);

		await page.click('#regions-import-run');
		await page.locator('#regions-table tr[data-prefix="755"]').waitFor();
		assert.match(await page.innerText('[data-regions-ok]'), /^已导入/);
		assert.match(await lookup('0755 8888 0000'),
			/深圳南山 \(本企业号段\)/);
		assert.deepEqual(problems, []);
	});
