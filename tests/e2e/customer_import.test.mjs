// Browser test of the admin console's 客户导入 tab against the real
// server: the demo admin picks a GBK file, sees its header previewed and
// mapped, checks it (a bad line listed, nothing written), imports it
// with the progress bar filled by the events, and exports the customers
// as CSV.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { adminSession } from '../lib/browser.mjs';
import { startStack } from '../lib/stack.mjs';

const WAIT = 15000;

let stack;
let ctx;
let profile;
let page;
const problems = [];

const psql = (sql) => stack.db.psql(sql, true);

before(async () => {
	stack = await startStack({});
	({ ctx, page, profile } = await adminSession(stack, problems, WAIT, { acceptDownloads: true }));
});

after(async () => {
	await ctx?.close();
	await stack?.stop();
	if (profile)
		fs.rmSync(profile, { recursive: true, force: true });
});

test('pick a GBK file, check it, import it, export', async () => {
	const csv = '客户姓名,手机,单位,内部编号\r\n' +
		'欧阳娜娜,13911110001,北京小米科技,A1\r\n' +
		'司马光,13911110002,,A2\r\n' +
		'诸葛亮,不是号码,,A3\r\n';
	const file = path.join(profile, '客户.csv');
	fs.writeFileSync(file, execFileSync('iconv', ['-f', 'UTF-8', '-t',
		'GBK'], { input: Buffer.from(csv) }));

	await page.click('#tabs [data-tab="custimport"]');
	assert.equal(await page.innerText('#tab-custimport h2'), '客户导入');
	await page.setInputFiles('#cimp-file', file);
	await page.waitForSelector('#custimport-mapping tbody tr');
	const cols = await page.$$eval('#custimport-mapping tbody tr',
		(trs) => trs.map((tr) => [tr.cells[0].textContent,
			tr.cells[1].textContent, tr.querySelector('select').value]));
	assert.deepEqual(cols, [['客户姓名', '欧阳娜娜', 'name'],
		['手机', '13911110001', 'phone'], ['单位', '北京小米科技', 'company'],
		['内部编号', 'A1', 'ignore']]);

	await page.click('#custimport-check');
	await page.waitForSelector('[data-import-summary="finished"]');
	assert.match(await page.innerText('#custimport-result'),
		/检查完成（未写入）：共 3 行，将新建 2/);
	assert.deepEqual(await page.$$eval('#custimport-errors tbody tr',
		(trs) => trs.map((tr) => [tr.cells[0].textContent,
			tr.cells[1].textContent, tr.cells[2].textContent])),
	[['4', '手机', '格式不对']]);
	assert.equal(psql("SELECT count(*) FROM customers WHERE name =" +
		" '欧阳娜娜'"), '0');

	await page.click('#custimport-run');
	await page.waitForSelector('[data-import-summary="finished"]' +
		':not(:empty)');
	await page.waitForFunction(() => /导入完成/.test(document.querySelector(
		'#custimport-result')?.textContent || ''));
	assert.equal(await page.$eval('#custimport-progress progress',
		(p) => p.value), 3);
	assert.equal(psql("SELECT company FROM customers WHERE name =" +
		" '欧阳娜娜'"), '北京小米科技');

	const [download] = await Promise.all([page.waitForEvent('download'),
		page.click('#custimport-export')]);
	const text = fs.readFileSync(await download.path(), 'utf8');
	assert.match(text, /^\ufeff姓名,电话,邮箱,公司/);
	assert.match(text, /司马光,13911110002/);
	assert.deepEqual(problems, []);
});
