// Browser test of the Webhook tab against the real server and a real
// receiver: the demo admin adds an endpoint with two topics, copies the
// secret shown once, sends a test event, and reads its delivery (the
// request signed with that secret) in the log; a bad URL is refused next
// to its field.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { adminSession } from '../lib/browser.mjs';
import { startStack } from '../lib/stack.mjs';
import { startReceiver, verify } from '../lib/whreceiver.mjs';

const WAIT = 15000;

let stack;
let ctx;
let profile;
let page;
let rcv;
const problems = [];

before(async () => {
	rcv = await startReceiver();
	stack = await startStack({ env: { OPENSEAT_EGRESS_ALLOW:
		'127.0.0.2/32' } });
	({ ctx, page, profile } = await adminSession(stack, problems, WAIT));
});

after(async () => {
	await ctx?.close();
	await stack?.stop();
	await rcv?.close();
	if (profile)
		fs.rmSync(profile, { recursive: true, force: true });
});

test('add an endpoint, keep its secret, send a test event, read the log',
	async () => {
		await page.click('#tabs [data-tab="webhooks"]');
		await page.waitForSelector('#tab-webhooks[data-loaded]');
		assert.equal(await page.textContent('#tab-webhooks h2'), 'Webhook');

		/* refused by the server, shown next to the field */
		await page.click('#webhooks-new');
		await page.fill('#wh-url', 'https://user:pw@crm.example.com/x');
		await page.check('#wh-topics input[value="call.*"]');
		await page.click('#webhook-form [type=submit]');
		await page.waitForSelector('[data-error-for="url"]:not(:empty)');

		await page.fill('#wh-url', rcv.url('/e2e'));
		await page.fill('#wh-description', 'CRM 测试');
		await page.check('#wh-topics input[value="webhook.*"]');
		await page.fill('#wh-exact', 'recording.ready');
		await page.click('#webhook-form [type=submit]');
		await page.waitForSelector('#wh-secret-dialog[open]');
		const secret = await page.inputValue('#wh-secret');
		assert.match(secret, /^whsec_/);
		await page.click('#wh-secret-dialog .primary');

		const row = page.locator('#webhooks-table tbody tr').first();
		await row.waitFor();
		assert.match(await row.textContent(),
			/call\.\*, webhook\.\*, recording\.ready/);
		/* which secret signs, never the secret */
		assert.equal(await row.locator('.wh-hint').textContent(),
			'whsec_…' + secret.slice(-4));
		assert.ok(!(await row.textContent()).includes(secret));
		await row.getByText('发送测试事件').click();
		const req = await rcv.next((r) => r.path === '/e2e');
		assert.equal(verify(secret, req.headers, req.body), 0);

		await row.getByText('投递记录').click();
		const d = page.locator('#wh-deliveries tbody tr').first();
		await d.waitFor();
		await page.waitForFunction(() => {
			const r = document.querySelector('#wh-deliveries tbody tr');
			return r && r.textContent.includes('webhook.test');
		});
		/* the state may still be "sending": reload the log until sent */
		for (let i = 0; i < 50; i++) {
			if ((await d.textContent()).includes('已送达'))
				break;
			await page.click('#tabs [data-tab="webhooks"]');
			await row.getByText('投递记录').click();
			await page.waitForTimeout(100);
		}
		assert.match(await d.textContent(), /已送达/);
		await d.getByText('查看尝试').click();
		const pre = page.locator('#wh-deliveries pre').first();
		await pre.waitFor();
		assert.match(await pre.textContent(), /webhook-signature: v1,/);
		assert.deepEqual(problems, []);
	});
