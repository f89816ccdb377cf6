// A CRM's click-to-dial reaching a browser agent, in headless Chromium
// against the real server, PostgreSQL and sipp: the tenant admin creates
// an API key with its own rate limit in the admin console (the key shown
// once, with a copy button), the CRM posts /api/v1/calls with it for
// agent6, and agent6's console dials by itself — the browser's leg
// first, then the customer through the trunk — until both talk.
// Screenshots go to tests/artifacts/.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { queueStack } from '../lib/acd_calls.mjs';
import { launch, poll } from '../lib/browser.mjs';

const WAIT = 20000;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');

let t;
let browser;
let admin;          // the admin console's page
let agent;          // agent6's console
let key;            // the key as the admin console showed it
const problems = [];

async function shot(page, name) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await page.screenshot({ path: path.join(ARTIFACTS,
		`rest_dial_${name}.png`), fullPage: true });
}

async function signIn(who, landing) {
	const page = await browser.ctx.newPage();
	page.on('pageerror', (e) => problems.push(`${who.username}: ${
		e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error')
			problems.push(`${who.username} console: ${m.text()}`);
	});
	await page.setViewportSize({ width: 1280, height: 900 });
	await page.goto(`${t.s.baseUrl}/`);
	await page.waitForSelector('body[data-ready="1"]');
	await page.fill('#tenant', who.tenant);
	await page.fill('#username', who.username);
	await page.fill('#password', who.password);
	await page.click('#login-submit');
	await page.waitForURL(`**/${landing}/**`);
	await page.waitForSelector('body[data-ready="1"]').catch(async (e) => {
		await shot(page, `signin_${landing}`).catch(() => {});
		throw new Error(`${landing}: ${e.message}; ${problems.join('; ')}`);
	});
	return page;
}

before(async () => {
	t = await queueStack({ env: { OPENSEAT_CLOCK_OFFSET: '' } });
	const tr = await t.s.api('PATCH', `/api/v1/trunks/${t.d.trunkId}`,
		{ codecs: 'PCMU' }, t.d.op);
	assert.equal(tr.status, 200, tr.text);
	browser = await launch();
});

afterEach(async () => {
	for (const [name, page] of [['admin', admin], ['agent', agent]]) {
		if (page && !page.isClosed())
			await shot(page, `last_${name}`).catch(() => {});
	}
});

after(async () => {
	await browser?.close();
	await t?.stop();
});

test('the admin creates a key with its own rate limit; it is shown once ' +
	'with a copy button', async () => {
	admin = await signIn(t.s.admin, 'admin');
	await admin.click('#tabs [data-tab="apikeys"]');
	await admin.click('#apikeys-new');
	await admin.fill('#kf-name', 'CRM 外呼');
	await admin.selectOption('#kf-role', 'supervisor');
	assert.ok(await admin.isHidden('#kf-agent-field'));
	await admin.fill('#kf-rate', '5');
	await admin.fill('#kf-burst', '10');
	await admin.click('#apikey-form [type=submit]');
	await admin.waitForSelector('#key-dialog[open]');
	key = await admin.inputValue('#key-value');
	assert.match(key, /^osk_/);
	await admin.click('#key-copy');
	await poll(async () => /已复制|Copied/.test(
		await admin.innerText('#key-copy')), 'copied', WAIT);
	await shot(admin, '1_key');
	await admin.click('#key-close');
	assert.equal(await admin.inputValue('#key-value'), '');
	const row = admin.locator('#apikeys-table tbody tr',
		{ hasText: 'CRM 外呼' });
	await row.waitFor();
	assert.match(await row.innerText(), /5\/秒，突发 10/);

	/* an agent key offers the agents to bind */
	await admin.click('#apikeys-new');
	await admin.selectOption('#kf-role', 'agent');
	await admin.waitForSelector('#kf-agent-field:not([hidden])');
	await poll(async () => (await admin.locator('#kf-agent option')
		.count()) > 1, 'agents listed', WAIT);
	await admin.click('#apikey-form [data-cancel]');

	const r = await t.s.api('GET', '/api/v1/live/queues', null, key);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.headers.get('ratelimit-limit'), '10');
});

test('POST /api/v1/calls for a browser agent: its console dials the ' +
	'customer by itself', async () => {
	assert.ok(key, 'the first test made the key');
	agent = await signIn({ tenant: 'demo', username: 'agent6',
		password: 'Agent@2026' }, 'agent');
	await agent.click('#btn-ready');
	await agent.waitForSelector('#statebar[data-state="ready"]');
	await agent.waitForSelector('#phone-status[data-state="registered"]');
	await t.withFarEnd(async () => {
		const from = t.mark();
		const r = await t.s.api('POST', '/api/v1/calls', { work_no: '1006',
			to: '138-0000-0010' }, key,
		{ 'idempotency-key': `e2e-${Date.now()}` });
		assert.equal(r.status, 202, r.text);
		assert.equal(r.json.status, 'requested');
		await agent.waitForSelector('#call-card[data-phase="talking"]',
			{ timeout: WAIT });
		assert.equal(await agent.innerText('#call-title'), '13800000010');
		const created = await t.waitEvent((m) => m.type === 'call.created' &&
			m.data.request_id === r.json.request_id, from, WAIT);
		assert.equal(created.data.origin, 'api');
		assert.equal(created.data.agent_id, t.agents['1006'].agent_id);
		await poll(async () => {
			const s = await agent.evaluate(() =>
				window.openseat.phone.stats());
			return s.packetsReceived > 20;
		}, 'the customer\'s echo', WAIT);
		await shot(agent, '2_talking');
		await agent.click('#btn-hangup');
		await t.waitEvent((m) => m.type === 'call.ended' &&
			m.data.call_id === created.data.call_id, from, WAIT);
		const c = await t.s.api('GET',
			`/api/v1/calls/${created.data.call_id}`, null, key);
		assert.equal(c.json.direction, 'outbound');
		assert.equal(c.json.agent_id, t.agents['1006'].agent_id);
	});
	assert.deepEqual(problems, []);
});
