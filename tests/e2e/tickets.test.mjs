// Announcements and business records in the agent console (headless
// Chromium against the real server): agent6 signs in and goes ready; a
// supervisor's announcement arrives live with the unread badge, agent6
// marks it read (the supervisor sees the receipt); a caller's call rings
// the page, agent6 answers and creates a 业务记录 from the call — the call
// and the customer filled in — which lands in "my records" and can move
// along its workflow. In the admin console a workflow with an unreachable
// state is refused naming it and then saved, the record's detail takes a
// comment, and the announcement's receipts name agent6. Screenshots go to
// tests/artifacts/.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { queueStack, until } from '../lib/acd_calls.mjs';
import { launch } from '../lib/browser.mjs';

const CALLER = '13900139077';
const WAIT = 20000;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');

let t;
let browser;
let page;
let caller;
let customerId;
const problems = [];

async function shot(name) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await page.screenshot({ path: path.join(ARTIFACTS, `tickets_${name}.png`),
		fullPage: true });
}

const text = (sel) => page.locator(sel).innerText();

before(async () => {
	t = await queueStack({ env: { OPENSEAT_CLOCK_OFFSET: '' } });
	const tr = await t.s.api('PATCH', `/api/v1/trunks/${t.d.trunkId}`,
		{ codecs: 'PCMU' }, t.d.op);
	assert.equal(tr.status, 200, tr.text);
	customerId = t.s.db.psql(`WITH c AS (INSERT INTO customers (tenant_id,
		name, company) SELECT tenant_id, '李四', '某某公司' FROM tenants
		WHERE code = 'demo' RETURNING customer_id, tenant_id), p AS
		(INSERT INTO customer_phones (tenant_id, phone, customer_id)
		SELECT tenant_id, '${CALLER}', customer_id FROM c)
		SELECT customer_id FROM c`, true).split('\n')[0];
	browser = await launch();
	page = await browser.ctx.newPage();
	page.on('pageerror', (e) => problems.push(e.message));
	await page.setViewportSize({ width: 1280, height: 1000 });
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

test('agent6 signs in and goes ready; no announcement yet', async () => {
	await page.goto(`${t.s.baseUrl}/`);
	await page.waitForSelector('body[data-ready="1"]');
	await page.fill('#tenant', 'demo');
	await page.fill('#username', 'agent6');
	await page.fill('#password', 'Agent@2026');
	await page.click('#login-submit');
	await page.waitForURL('**/agent/**');
	await page.waitForSelector('body[data-ready="1"]');
	await page.waitForSelector('#announcements #ann-empty:not([hidden])');
	assert.ok(await page.isHidden('#ann-unread'));
	assert.equal(await text('#tickets h2'), '我的业务记录');
	await page.click('#btn-ready');
	await page.waitForSelector('#statebar[data-state="ready"]');
	await page.waitForSelector('#phone-status[data-state="registered"]');
	await t.waitAgent('1006', (x) => x.state === 'ready' &&
		x.device_reachable);
});

test('an announcement arrives live, unread; marked read, the supervisor ' +
	'sees the receipt', async () => {
	const r = await t.s.api('POST', '/api/v1/announcements', { title:
		'今晚系统升级', body: '22:00 起系统升级，请提前保存工作。',
		audience: 'all' }, t.d.sup);
	assert.equal(r.status, 201, r.text);
	const id = r.json.announcement_id;
	const li = `#ann-list li[data-id="${id}"]`;
	await page.waitForSelector(`${li}.unread`, { timeout: WAIT });
	assert.equal(await text('#ann-unread'), '1');
	assert.match(await text(li), /今晚系统升级[\s\S]*22:00 起系统升级/);
	await shot('1_announcement');
	await page.click(`${li} [data-read]`);
	await page.waitForSelector(`${li}.read`);
	assert.ok(await page.isHidden('#ann-unread'));
	const reads = await t.s.api('GET', `/api/v1/announcements/${id}/reads`,
		null, t.d.sup);
	assert.deepEqual(reads.json.read.map((x) => x.username), ['agent6']);
});

test('a call rings; agent6 answers and creates a record from the call',
	async () => {
		caller = await t.call(CALLER);
		await page.waitForSelector('#ring-card:not([hidden])',
			{ timeout: WAIT });
		await page.keyboard.press('Control+Enter');
		await page.waitForSelector('#call-card[data-phase="talking"]',
			{ timeout: WAIT });
		const callId = await page.getAttribute('#call-cti', 'data-call-id');
		assert.match(callId, /^[0-9a-f-]{36}$/);
		await page.click('#ticket-new');
		await page.waitForSelector('#ticket-form:not([hidden])');
		assert.equal(await page.getAttribute('#tkf-call', 'data-call-id'),
			callId);
		/* the screen pop's customer, or one found by the caller's number */
		if (await page.isVisible('#tkf-pick')) {
			await page.fill('#tkf-phone', CALLER);
			await page.click('#tkf-search');
			await page.locator('#tkf-customer option', { hasText: '李四' })
				.waitFor({ state: 'attached' });
		} else {
			assert.equal(await page.getAttribute('#tkf-cust',
				'data-customer-id'), customerId);
		}
		await page.selectOption('#tkf-type', { label: '售后工单' });
		await page.fill('#tkf-title', '空调不制冷');
		await page.fill('#tkf-desc', '客户来电：空调开机十分钟后不出冷风');
		await page.selectOption('#tkf-priority', 'high');
		await shot('2_new_ticket');
		await page.click('#tkf-save');
		await page.waitForSelector('#ticket-form', { state: 'hidden' });
		const l = await t.s.api('GET', `/api/v1/tickets?call_id=${callId}`,
			null, t.d.sup);
		assert.equal(l.json.items.length, 1, l.text);
		const tk = l.json.items[0];
		assert.equal(tk.customer_id, customerId);
		assert.equal(tk.title, '空调不制冷');
		assert.equal(tk.priority, 'high');
		assert.equal(tk.state_label, '新建');
		assert.equal(tk.assignee_user_id, t.agents['1006'].agent_id);
		/* in "my records", and one step along the workflow */
		const li = `#my-tickets li[data-id="${tk.ticket_id}"]`;
		await page.waitForSelector(li, { timeout: WAIT });
		await page.click(`${li} [data-state="doing"]`);
		await page.waitForSelector(`${li} .badge[data-state="doing"]`,
			{ timeout: WAIT });
		assert.equal(await text(`${li} .badge[data-state="doing"]`), '处理中');
		await shot('3_my_tickets');
		await page.click('#btn-hangup');
		await page.waitForSelector('#wrap-card:not([hidden])',
			{ timeout: WAIT });
		await until(async () => (await t.s.api('GET',
			`/api/v1/tickets/${tk.ticket_id}`, null, t.d.sup)).json.state ===
			'doing', 'the ticket moved', WAIT);
	});

test('the admin console: a workflow refused naming the state, then saved; ' +
	'the record and its detail; the announcement read by agent6',
async () => {
	const adm = await browser.ctx.newPage();
	adm.on('pageerror', (e) => problems.push(`admin: ${e.message}`));
	await adm.setViewportSize({ width: 1280, height: 1000 });
	try {
		await adm.goto(`${t.s.baseUrl}/`);
		await adm.waitForSelector('body[data-ready="1"]');
		await adm.fill('#tenant', 'demo');
		await adm.fill('#username', 'admin');
		await adm.fill('#password', 'Admin@2026');
		await adm.click('#login-submit');
		await adm.waitForURL('**/admin/**');
		await adm.waitForSelector('body[data-ready="1"]');
		await adm.click('[data-tab="tickettypes"]');
		await adm.waitForSelector('#tickettypes-table tr[data-name="售后工单"]');
		/* a third state no transition reaches: refused, named */
		await adm.click('#tickettypes-new');
		await adm.fill('#ttf-name', '投诉单');
		await adm.click('#tt-add-state');
		await adm.fill('[name="states[2].key"]', 'wait');
		await adm.fill('[name="states[2].label"]', '等待回复');
		await adm.click('#tickettype-form [type=submit]');
		const err = adm.locator('#tickettype-form [data-form-error]');
		await err.waitFor({ state: 'visible' });
		assert.match(await err.innerText(), /"wait"/);
		await adm.check('[data-from="new"] input[data-to="wait"]');
		await adm.check('[data-from="wait"] input[data-to="closed"]');
		await adm.click('#tickettype-form [type=submit]');
		await adm.waitForSelector('#tickettypes-table tr[data-name="投诉单"]');
		/* the record agent6 made, its detail, a comment */
		await adm.click('[data-tab="tickets"]');
		const row = adm.locator('#tickets-table tbody tr',
			{ hasText: '空调不制冷' });
		await row.waitFor();
		await row.locator('button').click();
		await adm.waitForSelector('#ticket-detail:not([hidden])');
		await adm.fill('#tkd-comment', '已安排师傅明天上门');
		await adm.click('#tkd-comment-add');
		await adm.locator('#tkd-comments li', { hasText: '已安排师傅' })
			.waitFor();
		assert.match(await adm.locator('#tkd-history').innerText(),
			/agent6[\s\S]*admin/);
		/* the announcement: read by agent6 */
		await adm.click('[data-tab="announcements"]');
		const ann = adm.locator('#announcements-table tbody tr',
			{ hasText: '今晚系统升级' });
		await ann.waitFor();
		await ann.locator('button', { hasText: '阅读情况' }).click();
		await adm.locator('#ann-read li', { hasText: 'agent6' }).waitFor();
		assert.ok(!(await adm.locator('#ann-unread-list').innerText())
			.includes('agent6'));
		await adm.screenshot({ path: path.join(ARTIFACTS,
			'tickets_4_admin.png'), fullPage: true });
	} finally {
		await adm.close();
	}
});
