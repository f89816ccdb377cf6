// Browser test of the web consoles against the real server: login page in
// Chinese, login errors, the admin console (users list, create, live
// update), the English switch and the operator's tenants list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startStack } from '../lib/stack.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 15000;

let stack;
let ctx;
let profile;

before(async () => {
	stack = await startStack({});
	profile = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-e2e-'));
	ctx = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
		ignoreHTTPSErrors: true,
		viewport: { width: 1280, height: 900 },
	});
	ctx.setDefaultTimeout(WAIT);
});

after(async () => {
	await ctx?.close();
	await stack?.stop();
	if (profile)
		fs.rmSync(profile, { recursive: true, force: true });
});

/*
 * A fresh tab on the login page with the default language. Script errors
 * and CSP violations are collected; check() fails the test on any.
 */
async function openLogin(t) {
	const page = await ctx.newPage();
	const problems = [];
	page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
	page.on('console', (m) => {
		if (/Content Security Policy|Uncaught/i.test(m.text()))
			problems.push(`console: ${m.text()}`);
	});
	t.after(() => page.close());
	await page.goto(`${stack.baseUrl}/`);
	await page.evaluate(() => {
		localStorage.clear();
		sessionStorage.clear();
	});
	await page.reload();
	await page.waitForSelector('body[data-ready="1"]');
	page.check = () => assert.deepEqual(problems, []);
	return page;
}

async function signIn(page, tenant, username, password) {
	await page.fill('#tenant', tenant);
	await page.fill('#username', username);
	await page.fill('#password', password);
	await page.click('#login-submit');
}

async function adminConsole(t) {
	const page = await openLogin(t);
	const a = stack.admin;
	await signIn(page, a.tenant, a.username, a.password);
	await page.waitForURL('**/admin/**');
	await page.waitForSelector('body[data-ready="1"]');
	await page.waitForSelector('#tab-users[data-loaded]');
	return page;
}

const text = (page, sel) => page.locator(sel).first().innerText();

test('the login page is in Chinese by default', async (t) => {
	const page = await openLogin(t);
	assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
	assert.equal(await text(page, 'label[for=tenant]'), '企业编号');
	assert.equal(await text(page, 'label[for=username]'), '用户名');
	assert.equal(await text(page, 'label[for=password]'), '密码');
	assert.equal(await text(page, '#login-submit'), '登录');
	assert.equal(await page.isHidden('#login-error'), true);
	page.check();
});

test('a wrong password shows the Chinese error and stays', async (t) => {
	const page = await openLogin(t);
	await signIn(page, 'demo', 'admin', 'Wrong-password-1');
	const box = page.locator('#login-error');
	await box.waitFor({ state: 'visible' });
	assert.equal(await box.innerText(), '用户名或密码错误');
	assert.equal(new URL(page.url()).pathname, '/');
	assert.equal(await page.inputValue('#password'), '');
	assert.equal(await page.evaluate(() =>
		sessionStorage.getItem('openseat.access_token')), null);
	page.check();
});

test('the demo admin lands on /admin/ and sees the demo users',
	async (t) => {
		const page = await adminConsole(t);
		assert.equal(new URL(page.url()).pathname, '/admin/');
		const names = await page.locator('#users-table tbody tr')
			.evaluateAll((rows) => rows.map((r) => r.dataset.username));
		for (const u of ['admin', 'supervisor', 'agent1', 'agent2',
			'agent3', 'agent4', 'agent5'])
			assert.ok(names.includes(u), `${u} listed in ${names}`);
		assert.match(await text(page, '#topbar'), /演示企业/);
		assert.match(await text(page, '#topbar'), /管理员/);
		await page.waitForSelector('#live-status[data-state="online"]');
		page.check();
	});

test('creating a user: field errors, then the new row', async (t) => {
	const page = await adminConsole(t);
	await page.click('#users-new');
	await page.fill('#uf-username', 'bad name!');
	await page.fill('#uf-password', 'Newuser@2026');
	await page.click('#user-form [type=submit]');
	const err = page.locator('[data-error-for="username"]');
	await page.waitForFunction((el) => el.textContent.length > 0,
		await err.elementHandle());
	assert.equal(await err.innerText(), '格式不正确');
	assert.equal(await page.getAttribute('#uf-username',
		'aria-invalid'), 'true');

	await page.fill('#uf-username', 'e2e.agent');
	await page.fill('#uf-display', '测试坐席');
	await page.selectOption('#uf-role', 'agent');
	await page.click('#user-form [type=submit]');
	const row = page.locator('tr[data-username="e2e.agent"]');
	await row.waitFor();
	const cells = await row.locator('td').allInnerTexts();
	assert.deepEqual(cells.slice(0, 3), ['e2e.agent', '测试坐席', '坐席']);
	assert.equal(await page.isHidden('#user-form'), true);

	/* The server has it too, and the new user can sign in. */
	const a = stack.admin;
	const tok = (await stack.login(a.tenant, a.username, a.password))
		.access_token;
	const list = await stack.api('GET', '/api/v1/users?limit=200', null,
		tok);
	assert.equal(list.status, 200);
	assert.ok(list.json.items.some((u) => u.username === 'e2e.agent' &&
		u.role === 'agent' && u.display_name === '测试坐席'));

	/* A user created elsewhere appears through the live connection. */
	await page.waitForSelector('#live-status[data-state="online"]');
	const made = await stack.api('POST', '/api/v1/users', {
		username: 'e2e.live', password: 'Livelive@2026', role: 'agent',
	}, tok);
	assert.equal(made.status, 201);
	await page.locator('tr[data-username="e2e.live"]').waitFor();
	page.check();
});

test('the English switch changes labels and is remembered', async (t) => {
	const page = await adminConsole(t);
	assert.equal(await text(page, '[data-tab=users]'), '用户');
	await page.click('#lang-switch');
	await page.waitForFunction(() => document.documentElement.lang === 'en');
	assert.equal(await text(page, '[data-tab=users]'), 'Users');
	assert.equal(await text(page, '[data-tab=apikeys]'), 'API keys');
	assert.equal(await text(page, '[data-tab=audit]'), 'Audit log');
	assert.equal(await text(page, '#logout'), 'Sign out');
	assert.match(await text(page, '#users-table thead'), /Username/);

	await page.reload();
	await page.waitForSelector('body[data-ready="1"]');
	assert.equal(await page.getAttribute('html', 'lang'), 'en');
	assert.equal(await text(page, '[data-tab=users]'), 'Users');

	await page.click('#logout');
	await page.waitForURL((u) => u.pathname === '/');
	await page.waitForSelector('body[data-ready="1"]');
	assert.equal(await text(page, 'label[for=username]'), 'Username');
	assert.equal(await text(page, '#login-submit'), 'Sign in');
	page.check();
});

test('the platform operator sees the tenants', async (t) => {
	const page = await openLogin(t);
	await signIn(page, '', 'operator', 'Operator@2026');
	await page.waitForURL('**/admin/**');
	await page.waitForSelector('#tab-tenants[data-loaded]');
	assert.equal(await page.isVisible('[data-tab=tenants]'), true);
	assert.equal(await page.isHidden('[data-tab=users]'), true);
	const row = page.locator('#tenants-table tr[data-code="demo"]');
	await row.waitFor();
	assert.match(await row.innerText(), /演示企业/);
	assert.match(await row.innerText(), /20/);
	/* each tenant's recordings and their storage, from the usage */
	const heads = await page.locator('#tenants-table th').allInnerTexts();
	assert.deepEqual(heads.slice(4, 6), ['录音数', '录音存储']);
	await page.waitForFunction(() => document.querySelector(
		'#tenants-table tr[data-code="demo"] td:nth-child(6)')
		?.textContent === '0 B');
	assert.equal(await row.locator('td:nth-child(5)').innerText(), '0');
	page.check();
});

for (const [who, password, where, title] of [
	['agent1', 'Agent@2026', '/agent/', '坐席工作台'],
	['supervisor', 'Super@2026', '/supervisor/', '班长监控台'],
]) {
	test(`${who} lands on ${where} with a live connection`, async (t) => {
		const page = await openLogin(t);
		await signIn(page, 'demo', who, password);
		await page.waitForURL(`**${where}`);
		await page.waitForSelector('body[data-ready="1"]');
		assert.equal(await text(page, 'main h1'), title);
		assert.match(await text(page, '#topbar'), /演示企业/);
		await page.waitForSelector('#live-status[data-state="online"]');
		assert.equal(await text(page, '#live-status'), '实时连接正常');
		page.check();
	});
}
