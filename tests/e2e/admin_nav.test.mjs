// Browser test of the admin console's side navigation against the real
// server: the tenant admin's pages grouped by task, the operator's and
// the supervisor's few; the page in the URL hash across a reload, a
// shared link and the back button; the keyboard; the English switch; the
// menu button on a narrow screen. Screenshots go to tests/artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { consoleSession, signIn } from '../lib/browser.mjs';
import { ROOT, startStack } from '../lib/stack.mjs';

const WAIT = 15000;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');

const ADMIN_GROUPS = {
	team: ['users', 'agents', 'skills', 'queues', 'reasons', 'dispositions',
		'vip'],
	ivr: ['numbers', 'flows', 'schedules', 'prompts', 'voicemail'],
	calls: ['calls', 'recordings', 'qaforms', 'recsettings'],
	crm: ['customers', 'customfields', 'custimport', 'crmsettings'],
	service: ['tickets', 'tickettypes', 'announcements'],
	system: ['apikeys', 'webhooks', 'audit'],
};

let stack;
const sessions = [];
const problems = [];

before(async () => {
	stack = await startStack({});
});

after(async () => {
	for (const s of sessions) {
		await s.ctx.close();
		fs.rmSync(s.profile, { recursive: true, force: true });
	}
	await stack?.stop();
});

function shot(page, name) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	return page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/* A browser signed in as who, on the admin console (a supervisor lands
 * on the wallboard first). */
async function sessionAs(who, landing, options) {
	const s = await consoleSession(stack, who, landing, problems, WAIT,
		options);
	sessions.push(s);
	if (!s.page.url().includes('/admin/')) {
		await s.page.goto(`${stack.baseUrl}/admin/`);
		await s.page.waitForSelector('body[data-ready="1"]');
	}
	return s.page;
}

/* The navigation as drawn: [group or null when flat, [pages]] in order. */
function drawn(page) {
	return page.$$eval('#tabs > *', (blocks) => blocks.map((b) => [
		b.dataset.group || null,
		[...b.querySelectorAll('[data-tab]')].map((a) => a.dataset.tab)]));
}

const titles = (page) => page.$$eval('#tabs .nav-group-title',
	(ts) => ts.map((x) => x.textContent));

/* The page shown: the entry marked current, the section, the hash. */
async function shown(page, name) {
	await page.waitForSelector(`#tab-${name}:not([hidden])`);
	const current = await page.$$eval('#tabs [aria-current="page"]',
		(as) => as.map((a) => a.dataset.tab));
	assert.deepEqual(current, [name]);
	assert.equal(new URL(page.url()).hash, `#${name}`);
	assert.equal(await page.locator('main > section:not([hidden])').count(),
		1);
}

test('the tenant admin: every page in its task group, zh-CN', async () => {
	const page = await sessionAs(stack.admin, '**/admin/**');
	assert.deepEqual(await drawn(page), Object.entries(ADMIN_GROUPS));
	assert.deepEqual(await titles(page), ['用户与坐席', '号码与语音导航',
		'通话与录音', '客户资料', '业务记录与公告', '系统与集成']);
	/* no hash: the first page, written into the URL */
	await shown(page, 'users');
	await page.waitForSelector('#tab-users[data-loaded]');
	assert.equal(await page.innerText('#tabs [data-tab="queues"]'), '队列');
	assert.equal(await page.getAttribute('#sidenav', 'aria-label'),
		'管理导航');
	assert.ok(await page.isHidden('#nav-toggle'));
	assert.deepEqual(problems, []);
});

test('keyboard: entries are links in Tab order, Enter opens', async () => {
	const page = sessions[0].page;
	await page.focus('#tabs [data-tab="users"]');
	await page.keyboard.press('Tab');
	assert.equal(await page.evaluate(() => document.activeElement.dataset
		.tab), 'agents');
	await page.keyboard.press('Enter');
	await shown(page, 'agents');
	await page.waitForSelector('#tab-agents[data-loaded]');
	assert.equal(await page.title(), '坐席 · 管理控制台 · OpenSeat');
});

test('the hash: reload, a shared link, back and forward', async () => {
	const page = sessions[0].page;
	await page.click('#tabs [data-tab="queues"]');
	await shown(page, 'queues');
	await page.reload();
	await page.waitForSelector('body[data-ready="1"]');
	await shown(page, 'queues');
	await page.waitForSelector('#queues-table tr[data-name="support"]');
	await shot(page, 'admin_nav');

	await page.click('#tabs [data-tab="prompts"]');
	await shown(page, 'prompts');
	await page.goBack();
	await shown(page, 'queues');
	await page.goForward();
	await shown(page, 'prompts');

	/* a shared link, opened in a new tab (a session is per tab): sign
	 * in, and it is the page shown */
	const other = await sessions[0].ctx.newPage();
	await other.goto(`${stack.baseUrl}/admin/#vip`);
	await other.waitForURL((u) => u.pathname === '/' &&
		u.searchParams.get('next') === '/admin/#vip');
	await signIn(other, stack.admin, '**/admin/#vip');
	await shown(other, 'vip');
	await other.waitForSelector('#tab-vip[data-loaded]');
	/* a hash naming no page of the role leaves the page as it is */
	await other.evaluate(() => {
		window.location.hash = '#tenants';
	});
	await other.waitForURL((u) => u.hash === '#vip');
	await shown(other, 'vip');
	await other.close();
	assert.deepEqual(problems, []);
});

test('the login page follows ?next= only into the user\'s console',
	async () => {
		const page = sessions[0].page;
		/* signed in already: the login page passes straight on */
		for (const [next, to] of [['/admin/#skills', '/admin/#skills'],
			['//evil.example/admin/', '/admin/#users'],
			['https://evil.example/admin/', '/admin/#users'],
			['/supervisor/', '/admin/#users'],
			['admin/#vip', '/admin/#users'], ['', '/admin/#users']]) {
			await page.goto(`${stack.baseUrl}/?next=${
				encodeURIComponent(next)}`);
			await page.waitForURL((u) => u.pathname === '/admin/');
			await page.waitForSelector('body[data-ready="1"]');
			const u = new URL(page.url());
			assert.equal(u.origin, stack.baseUrl);
			assert.equal(u.pathname + u.hash, to, next);
		}
		assert.deepEqual(problems, []);
	});

test('the English switch renames the groups and the pages', async () => {
	const page = sessions[0].page;
	await page.click('#tabs [data-tab="prompts"]');
	await shown(page, 'prompts');
	await page.click('#lang-switch');
	await page.waitForFunction(() => document.documentElement.lang === 'en');
	assert.deepEqual(await titles(page), ['Users & agents', 'Numbers & IVR',
		'Calls & recordings', 'Customers', 'Records & notices',
		'System & integrations']);
	assert.equal(await page.innerText('#tabs [data-tab="queues"]'),
		'Queues');
	assert.equal(await page.getAttribute('#sidenav', 'aria-label'),
		'Admin navigation');
	assert.equal(await page.title(), 'Prompts · Administration · OpenSeat');
	await page.click('#lang-switch');
	await page.waitForFunction(() => document.documentElement.lang ===
		'zh-CN');
	assert.equal(await page.title(), '语音文件 · 管理控制台 · OpenSeat');
});

test('a narrow screen: a menu button opens the list and picks', async () => {
	const page = await sessionAs(stack.admin, '**/admin/**',
		{ viewport: { width: 800, height: 900 } });
	await shown(page, 'users');
	assert.ok(await page.isHidden('#tabs'));
	assert.equal(await page.getAttribute('#nav-toggle', 'aria-expanded'),
		'false');
	assert.match(await page.innerText('#nav-toggle'), /菜单[\s\S]*用户/);
	/* Escape closes it and gives the focus back */
	await page.click('#nav-toggle');
	await page.waitForSelector('#tabs [data-tab="flows"]',
		{ state: 'visible' });
	await page.keyboard.press('Escape');
	await page.waitForSelector('#tabs', { state: 'hidden' });
	assert.equal(await page.evaluate(() => document.activeElement.id),
		'nav-toggle');
	/* picking an entry closes the menu and focuses the page's heading */
	await page.click('#nav-toggle');
	await page.locator('#tabs [data-tab="flows"]').waitFor();
	await shot(page, 'admin_nav_narrow');
	await page.click('#tabs [data-tab="flows"]');
	await shown(page, 'flows');
	await page.waitForSelector('#tabs', { state: 'hidden' });
	assert.equal(await page.getAttribute('#nav-toggle', 'aria-expanded'),
		'false');
	assert.match(await page.innerText('#nav-toggle'), /流程/);
	assert.equal(await page.evaluate(() => document.activeElement.closest(
		'section')?.id), 'tab-flows');
	assert.deepEqual(problems, []);
});

test('the operator sees its three pages', async () => {
	const page = await sessionAs({ tenant: '', ...stack.operator },
		'**/admin/**');
	/* tenants alone is flat; trunks and numbers share a group */
	assert.deepEqual(await drawn(page), [[null, ['tenants']],
		['carrier', ['trunks', 'numbers']]]);
	assert.deepEqual(await titles(page), ['中继与号码']);
	await shown(page, 'tenants');
	await page.click('#tabs [data-tab="numbers"]');
	await shown(page, 'numbers');
	await page.waitForSelector('#tab-numbers[data-loaded]');
	assert.deepEqual(problems, []);
});

test('the supervisor sees its two pages', async () => {
	const page = await sessionAs(stack.supervisor, '**/supervisor/**');
	assert.deepEqual(await drawn(page), [['service', ['tickets',
		'announcements']]]);
	assert.deepEqual(await titles(page), ['业务记录与公告']);
	await shown(page, 'tickets');
	await page.click('#tabs [data-tab="announcements"]');
	await shown(page, 'announcements');
	await page.goBack();
	await shown(page, 'tickets');
	assert.deepEqual(problems, []);
});

test('an agent who opens the admin console is sent to its own', async () => {
	const s = await consoleSession(stack, stack.agent, '**/agent/**',
		problems, WAIT);
	sessions.push(s);
	await s.page.goto(`${stack.baseUrl}/admin/#queues`);
	await s.page.waitForURL('**/agent/**');
	await s.page.waitForSelector('body[data-ready="1"]');
	assert.equal(await s.page.locator('#tabs').count(), 0);
	assert.deepEqual(problems, []);
});
