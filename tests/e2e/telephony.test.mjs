// Browser test of the admin console's telephony pages against the real
// server: every page opens, a schedule is created, a WAV prompt uploaded
// (listed with its duration, played back, a non-audio file refused in
// Chinese), a flow's validator error names its node, and the call log
// shows a call with its timeline. The operator manages trunks.
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
let token;
const routes = {};

/* A route is there when the server does not answer "No such endpoint". */
async function probe(p) {
	const r = await stack.api('GET', `/api/v1${p}`, null, token);
	return !(r.status === 404 && /No such endpoint/.test(r.text));
}

before(async () => {
	stack = await startStack({});
	token = await stack.token(stack.admin);
	for (const p of ['/numbers', '/flows', '/schedules', '/prompts',
		'/voicemail/messages', '/calls'])
		routes[p] = await probe(p);
	profile = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-e2e-'));
	ctx = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			'--autoplay-policy=no-user-gesture-required'],
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

function needs(t, p) {
	if (routes[p])
		return false;
	t.skip(`${p} is not served yet`);
	return true;
}

/* Signed in as tenant (or operator when tenant is ''), on the console. */
async function signedIn(t, tenant, username, password) {
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
	await page.fill('#tenant', tenant);
	await page.fill('#username', username);
	await page.fill('#password', password);
	await page.click('#login-submit');
	await page.waitForURL('**/admin/**');
	await page.waitForSelector('body[data-ready="1"]');
	page.check = () => assert.deepEqual(problems, []);
	return page;
}

function admin(t) {
	const a = stack.admin;
	return signedIn(t, a.tenant, a.username, a.password);
}

async function openTab(page, name) {
	await page.click(`[data-tab=${name}]`);
	await page.waitForSelector(`#tab-${name}[data-loaded]`);
}

/* One second of a 440 Hz tone: 16 kHz mono 16-bit PCM WAV. */
function toneWav(seconds = 1, rate = 16000) {
	const n = seconds * rate;
	const b = Buffer.alloc(44 + n * 2);
	b.write('RIFF', 0);
	b.writeUInt32LE(36 + n * 2, 4);
	b.write('WAVEfmt ', 8);
	b.writeUInt32LE(16, 16);
	b.writeUInt16LE(1, 20);
	b.writeUInt16LE(1, 22);
	b.writeUInt32LE(rate, 24);
	b.writeUInt32LE(rate * 2, 28);
	b.writeUInt16LE(2, 32);
	b.writeUInt16LE(16, 34);
	b.write('data', 36);
	b.writeUInt32LE(n * 2, 40);
	for (let i = 0; i < n; i++) {
		b.writeInt16LE(Math.round(8000 * Math.sin(2 * Math.PI * 440 *
			i / rate)), 44 + i * 2);
	}
	return b;
}

test('every telephony page with an API opens without errors',
	async (t) => {
		const page = await admin(t);
		for (const [tab, p] of [['numbers', '/numbers'],
			['flows', '/flows'], ['schedules', '/schedules'],
			['prompts', '/prompts'], ['voicemail', '/voicemail/messages'],
			['calls', '/calls']]) {
			assert.equal(await page.isVisible(`[data-tab=${tab}]`), true);
			if (!routes[p])
				continue;
			await openTab(page, tab);
			assert.equal(await page.isHidden('#page-error'), true,
				`${tab}: ${await page.locator('#page-error').innerText()}`);
		}
		assert.equal(await page.locator('[data-tab=schedules]').innerText(),
			'时间表');
		assert.equal(await page.locator('[data-tab=calls]').innerText(),
			'通话记录');
		/* no key shown untranslated, in either language */
		const rawKeys = () => page.evaluate(() => [...document.querySelectorAll(
			'[data-i18n]')].filter((e) => e.textContent === e.dataset.i18n)
			.map((e) => e.dataset.i18n));
		assert.deepEqual(await rawKeys(), []);
		await page.click('#lang-switch');
		await page.waitForFunction(() => document.documentElement.lang ===
			'en');
		assert.equal(await page.locator('[data-tab=calls]').innerText(),
			'Call log');
		assert.deepEqual(await rawKeys(), []);
		await page.click('#lang-switch');
		page.check();
	});

test('creating a schedule with hours and a holiday', async (t) => {
	if (needs(t, '/schedules'))
		return;
	const page = await admin(t);
	await openTab(page, 'schedules');
	await page.click('#schedules-new');
	assert.equal(await page.inputValue('#sf-timezone'), 'Asia/Shanghai');
	await page.fill('#sf-name', '工作时间');
	/* the default range is Mon-Fri 09:00-18:00; add Saturday morning */
	await page.click('[data-add=weekly]');
	const sat = page.locator('#schedule-form .weekly li').nth(1);
	for (const d of [1, 2, 3, 4, 5])
		await sat.locator(`input[value="${d}"]`).uncheck();
	await sat.locator('input[value="6"]').check();
	await sat.locator('.from').fill('10:00');
	await sat.locator('.to').fill('12:00');
	await page.click('[data-add=exceptions]');
	await page.fill('#schedule-form .exceptions .date', '2026-10-01');
	await page.click('#schedule-form [type=submit]');
	const row = page.locator('#schedules-table tr[data-name="工作时间"]');
	await row.waitFor();
	assert.match(await row.innerText(), /一二三四五 09:00–18:00/);
	assert.match(await row.innerText(), /2026-10-01 全天休息/);
	assert.equal(await page.isHidden('#schedule-form'), true);

	const list = await stack.api('GET', '/api/v1/schedules', null, token);
	const s = list.json.items.find((x) => x.name === '工作时间');
	assert.equal(s.timezone, 'Asia/Shanghai');
	assert.deepEqual(s.weekly, [
		{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' },
		{ days: [6], from: '10:00', to: '12:00' }]);
	assert.deepEqual(s.exceptions, [{ date: '2026-10-01', closed: true }]);

	/* edit: the form comes back filled; a rename is saved in place */
	await row.getByText('编辑').click();
	assert.equal(await page.inputValue('#sf-name'), '工作时间');
	assert.equal(await page.locator('#schedule-form .weekly li').count(), 2);
	await page.fill('#sf-name', '客服时间');
	await page.click('#schedule-form [type=submit]');
	await page.locator('#schedules-table tr[data-name="客服时间"]').waitFor();
	assert.equal(await page.locator('#schedules-table tbody tr').count(), 1);
	page.check();
});

test('uploading a WAV prompt, its duration, playback; junk refused',
	async (t) => {
		if (needs(t, '/prompts'))
			return;
		const page = await admin(t);
		await openTab(page, 'prompts');
		await page.setInputFiles('#pf-file', { name: 'greeting.wav',
			mimeType: 'audio/wav', buffer: toneWav(1) });
		assert.equal(await page.inputValue('#pf-name'), 'greeting');
		await page.fill('#pf-name', '欢迎语');
		await page.click('#prompt-form [type=submit]');
		const row = page.locator('#prompts-table tr[data-name="欢迎语"]');
		await row.waitFor();
		assert.equal(await row.locator('td.duration').innerText(), '0:01');

		await row.locator('button.play').click();
		await page.waitForFunction(() => {
			const a = document.getElementById('prompt-audio');
			return a.src.startsWith('blob:') && a.duration > 0.9;
		});

		await page.setInputFiles('#pf-file', { name: 'notes.wav',
			mimeType: 'audio/wav', buffer: Buffer.from('just some text\n') });
		await page.click('#prompt-form [type=submit]');
		const box = page.locator('#prompt-form [data-form-error]');
		await box.waitFor({ state: 'visible' });
		assert.match(await box.innerText(), /不是可识别的音频文件|已损坏/);
		assert.equal(await page.locator('#prompts-table tbody tr').count(),
			1);

		/* rename */
		page.once('dialog', (d) => d.accept('问候语'));
		await row.getByText('重命名').click();
		await page.locator('#prompts-table tr[data-name="问候语"]').waitFor();

		/* a built-in prompt plays in English */
		await page.click('details.builtin-box summary');
		const hold = page.locator('#builtin-prompts li[data-name="hold"]');
		await hold.getByText('English').click();
		await page.waitForFunction(() => document.getElementById(
			'prompt-audio').dataset.src ===
			'/prompts/builtin/en/hold/audio');
		page.check();
	});

test('a flow with a dangling edge: the error names the node', async (t) => {
	if (needs(t, '/flows'))
		return;
	const page = await admin(t);
	await openTab(page, 'flows');
	await page.click('#flows-new');
	/* the new flow's template, with its first edge pointing nowhere */
	const graph = JSON.parse(await page.inputValue('#flow-json'));
	const first = graph.start;
	graph.nodes[first] = { ...graph.nodes[first], next: 'nowhere' };
	await page.fill('#ff-name', '测试流程');
	await page.fill('#flow-json', JSON.stringify(graph, null, 2));
	await page.click('#flow-validate');
	const err = page.locator(`#flow-errors li[data-node="${first}"]`);
	await err.first().waitFor();
	assert.match(await err.first().innerText(),
		new RegExp(`^节点「${first}」：指向了不存在的节点`));
	assert.equal(await page.locator('#flow-check').getAttribute(
		'data-state'), 'bad');

	/* saving it is refused and nothing is stored */
	await page.click('#flow-save');
	await page.locator('#flow-editor [data-form-error]').waitFor();
	const list = await stack.api('GET', '/api/v1/flows', null, token);
	assert.ok(!list.json.items.some((f) => f.name === '测试流程'));
	page.check();
});

test('the call log lists a call and shows its timeline', async (t) => {
	if (needs(t, '/calls'))
		return;
	const tid = stack.db.psql("SELECT tenant_id FROM tenants WHERE code = " +
		"'demo'", true);
	stack.db.psql(`INSERT INTO calls (call_id, tenant_id, direction, number,
		caller, callee, started_at, answered_at, ended_at, disposition,
		hangup_side, duration_ms, ivr_path) VALUES
		('00000000-0000-4000-8000-00000000c001', '${tid}', 'inbound',
		'4001000100', '13800138000', '4001000100',
		now() - interval '5 minutes', now() - interval '4 minutes',
		now() - interval '3 minutes', 'completed', 'caller', 120000,
		'["welcome", "menu", "voicemail"]');
		INSERT INTO call_events (tenant_id, call_id, seq, type, data)
		VALUES ('${tid}', '00000000-0000-4000-8000-00000000c001', 1,
		'call.created', '{}'), ('${tid}',
		'00000000-0000-4000-8000-00000000c001', 2, 'ivr.entered',
		'{"flow":"demo"}')`, true);
	const page = await admin(t);
	await openTab(page, 'calls');
	const row = page.locator('#calls-table tr[data-call-id=' +
		'"00000000-0000-4000-8000-00000000c001"]');
	await row.waitFor();
	assert.match(await row.innerText(), /13800138000/);
	assert.match(await row.innerText(), /已完成/);
	assert.match(await row.innerText(), /2:00/);

	await page.fill('#cf-caller', '13900000000');
	await page.click('#calls-filters [type=submit]');
	await page.locator('#tab-calls [data-empty]').waitFor();

	await page.click('#calls-filters [type=reset]');
	await row.waitFor();
	await row.locator('button').click();
	const tl = page.locator('#call-timeline li');
	await tl.nth(1).waitFor();
	assert.deepEqual(await tl.evaluateAll((li) => li.map((x) =>
		x.dataset.type)), ['call.created', 'ivr.entered']);
	assert.match(await page.locator('#call-detail').innerText(),
		/welcome → menu → voicemail/);
	page.check();
});

test('the operator sees the trunks page', async (t) => {
	const op = stack.operator;
	const page = await signedIn(t, '', op.username, op.password);
	assert.equal(await page.isVisible('[data-tab=trunks]'), true);
	assert.equal(await page.isVisible('[data-tab=numbers]'), true);
	page.check();
	const opTok = await stack.token(op);
	const r = await stack.api('GET', '/api/v1/trunks', null, opTok);
	if (r.status === 404 && /No such endpoint/.test(r.text)) {
		t.skip('/trunks is not served yet');
		return;
	}
	await openTab(page, 'trunks');
	await page.click('#trunks-new');
	await page.fill('#trf-name', '测试中继');
	await page.fill('#trf-allow_addrs', '192.0.2.10\n198.51.100.0/24');
	await page.fill('#trf-max_calls', '30');
	await page.click('#trunk-form [type=submit]');
	const row = page.locator('#trunks-table tr[data-name="测试中继"]');
	await row.waitFor();
	assert.match(await row.innerText(), /198\.51\.100\.0\/24/);
	assert.match(await row.innerText(), /并发 30/);

	/* edit: the secret is never shown; limits change */
	await row.getByText('编辑').click();
	assert.equal(await page.inputValue('#trf-auth_secret'), '');
	assert.equal(await page.inputValue('#trf-max_calls'), '30');
	await page.fill('#trf-max_cps', '5');
	await page.click('#trunk-form [type=submit]');
	await page.locator('#trunks-table tr[data-name="测试中继"]')
		.getByText('并发 30，每秒 5').waitFor();
	page.check();
});

test('the operator assigns a number with a label; the admin disables ' +
	'it and renames the hotline', async (t) => {
	if (needs(t, '/numbers'))
		return;
	const op = stack.operator;
	const opPage = await signedIn(t, '', op.username, op.password);
	await openTab(opPage, 'numbers');
	await opPage.click('#numbers-assign');
	await opPage.fill('#af-number', '+86 400-100-0199');
	await opPage.selectOption('#af-tenant', { label: '演示企业 (demo)' });
	await opPage.fill('#af-label', '投诉热线');
	await opPage.click('#assign-form [type=submit]');
	const opRow = opPage.locator('#numbers-table tr[data-number=' +
		'"4001000199"]');
	await opRow.waitFor();
	assert.match(await opRow.innerText(), /演示企业/);
	assert.match(await opRow.innerText(), /投诉热线/);
	opPage.check();

	const page = await admin(t);
	await openTab(page, 'numbers');
	const row = page.locator('#numbers-table tr[data-number="4001000199"]');
	await row.waitFor();
	assert.match(await row.innerText(), /正常/);
	await row.getByText('停用', { exact: true }).click();
	await page.locator('#numbers-table tr[data-number="4001000199"]')
		.getByText('已停用').waitFor();
	const list = await stack.api('GET', '/api/v1/numbers', null, token);
	assert.equal(list.json.items.find((n) => n.number === '4001000199')
		.enabled, false);

	/* the edit form saves the label, the default flow and routes (none
	 * here) */
	await row.getByText('编辑').click();
	await page.locator('#number-form').waitFor();
	assert.equal(await page.isChecked('#nf-enabled'), false);
	assert.equal(await page.inputValue('#nf-label'), '投诉热线');
	await page.fill('#nf-label', ' 售后热线 ');
	await page.locator('#nf-enabled').check();
	await page.click('#number-form [type=submit]');
	await page.locator('#number-form').waitFor({ state: 'hidden' });
	await page.locator('#numbers-table tr[data-number="4001000199"]')
		.getByText('正常').waitFor();
	await page.locator('#numbers-table tr[data-number="4001000199"]')
		.getByText('售后热线', { exact: true }).waitFor();
	const saved = await stack.api('GET', '/api/v1/numbers?number=4001000199',
		null, token);
	assert.equal(saved.json.items[0].label, '售后热线');
	page.check();
});

test('voicemail inbox: unread first, play marks read, download, delete',
	async (t) => {
		if (needs(t, '/voicemail/messages'))
			return;
		const tid = stack.db.psql('SELECT tenant_id FROM tenants ' +
			"WHERE code = 'demo'", true);
		const ids = ['00000000-0000-4000-8000-0000000a0001',
			'00000000-0000-4000-8000-0000000a0002'];
		stack.db.psql(`INSERT INTO voicemail_boxes (tenant_id, name)
			VALUES ('${tid}', 'e2e-box') ON CONFLICT DO NOTHING;
			INSERT INTO voicemail_messages (message_id, tenant_id, box_id,
			caller, number, duration_ms, size_bytes, status, created_at)
			SELECT v.id::uuid, '${tid}', b.box_id, v.caller, '4001000100',
			v.ms, 4, v.st, now() - v.age FROM voicemail_boxes b,
			(VALUES ('${ids[0]}', '13800000001', 3000, 'read',
			interval '1 minute'), ('${ids[1]}', '13800000002', 5000,
			'unread', interval '1 hour')) v(id, caller, ms, st, age)
			WHERE b.tenant_id = '${tid}' AND b.name = 'e2e-box'`, true);
		const dir = path.join(stack.db.dir, 'voicemail', tid);
		fs.mkdirSync(dir, { recursive: true });
		for (const id of ids)
			fs.writeFileSync(path.join(dir, `${id}.mp3`), 'ID3\x03');

		const page = await admin(t);
		await openTab(page, 'voicemail');
		const rows = page.locator('#voicemail-table tbody tr');
		await rows.nth(1).waitFor();
		/* the older unread message comes before the newer read one */
		assert.deepEqual(await rows.evaluateAll((r) => r.map((x) =>
			x.dataset.status)), ['unread', 'read']);
		const unread = page.locator(`tr[data-message-id="${ids[1]}"]`);
		assert.match(await unread.innerText(), /13800000002/);

		const dl = page.waitForEvent('download');
		await unread.getByText('下载').click();
		assert.match((await dl).suggestedFilename(), /\.mp3$/);

		await unread.locator('button.play').click();
		await page.waitForFunction(() => document.getElementById(
			'voicemail-audio').src.startsWith('blob:'));
		await page.locator(`tr[data-message-id="${ids[1]}"]` +
			'[data-status="read"]').waitFor();

		page.on('dialog', (d) => d.accept());
		await page.locator(`tr[data-message-id="${ids[0]}"]`)
			.getByText('删除').click();
		await page.locator(`tr[data-message-id="${ids[0]}"]`)
			.waitFor({ state: 'detached' });
		const r = await stack.api('GET', `/api/v1/voicemail/messages/${ids[0]}`,
			null, token);
		assert.equal(r.status, 404);
		page.check();
	});

test('a flow saved twice, its versions, its prompt kept, its number routed',
	async (t) => {
		if (needs(t, '/flows') || needs(t, '/schedules') ||
			needs(t, '/prompts') || needs(t, '/numbers'))
			return;
		const sched = await stack.api('POST', '/api/v1/schedules', {
			name: '全天', timezone: 'Asia/Shanghai',
			weekly: [{ days: [1, 2, 3, 4, 5, 6, 7], from: '00:00',
				to: '24:00' }] }, token, { 'idempotency-key': 'e2e-s1' });
		assert.equal(sched.status, 201, sched.text);
		const up = await fetch(`${stack.baseUrl}/api/v1/prompts?name=` +
			encodeURIComponent('开场白'), { method: 'POST',
			headers: { authorization: `Bearer ${token}`,
				'content-type': 'audio/wav', 'idempotency-key': 'e2e-p1' },
			body: toneWav(1) });
		assert.equal(up.status, 201);
		const promptId = (await up.json()).prompt_id;
		const opTok = await stack.token(stack.operator);
		const tid = stack.db.psql('SELECT tenant_id FROM tenants ' +
			"WHERE code = 'demo'", true);
		const num = await stack.api('POST', '/api/v1/numbers', {
			number: '4001000177', tenant_id: tid }, opTok,
		{ 'idempotency-key': 'e2e-n1' });
		assert.equal(num.status, 201, num.text);

		const page = await admin(t);
		await openTab(page, 'flows');
		await page.click('#flows-new');
		const graph = JSON.parse(await page.inputValue('#flow-json'));
		graph.nodes[graph.start].prompts = [promptId];
		await page.fill('#ff-name', '工作日流程');
		await page.fill('#flow-json', JSON.stringify(graph, null, 2));
		await page.click('#flow-save');
		const row = page.locator('#flows-table tr[data-name="工作日流程"]');
		await row.waitFor();
		assert.equal(await page.locator('#flow-check').getAttribute(
			'data-state'), 'ok');
		graph.nodes[graph.start].prompts.push('builtin/beep');
		await page.fill('#flow-json', JSON.stringify(graph, null, 2));
		await page.click('#flow-save');
		await page.locator('#flow-versions li').nth(1).waitFor();
		assert.match(await row.innerText(), /工作日流程\s+2/);
		await page.locator('#flow-versions li[data-version="1"] button')
			.click();
		await page.waitForFunction(() => !document.getElementById(
			'flow-json').value.includes('builtin/beep'));

		/* the prompt the flow plays cannot be deleted; the flow is named */
		await openTab(page, 'prompts');
		page.on('dialog', (d) => d.accept());
		await page.locator('#prompts-table tr[data-name="开场白"]')
			.getByText('删除').click();
		await page.locator('#toast').getByText(/工作日流程/).waitFor();

		/* the number answers with the flow, by schedule first */
		await openTab(page, 'numbers');
		const nrow = page.locator('#numbers-table tr[data-number=' +
			'"4001000177"]');
		await nrow.getByText('编辑').click();
		await page.selectOption('#nf-flow', { label: '工作日流程' });
		await page.click('#number-form [data-add]');
		await page.selectOption('#number-form .routes .schedule',
			{ label: '全天' });
		await page.selectOption('#number-form .routes .flow',
			{ label: '工作日流程' });
		await page.click('#number-form [type=submit]');
		await nrow.getByText('全天 → 工作日流程').waitFor();
		const n = await stack.api('GET', '/api/v1/numbers/' +
			num.json.number_id, null, token);
		assert.equal(n.json.routes.length, 1);
		assert.equal(n.json.routes[0].schedule_id, sched.json.schedule_id);

		/* the schedule a number routes by cannot be deleted */
		await openTab(page, 'schedules');
		await page.locator('#schedules-table tr[data-name="全天"]')
			.getByText('删除').click();
		await page.locator('#toast').getByText('号码 4001000177 的路由使用了' +
			'该时间表，请先在「号码」中移除这些路由').waitFor();

		/* so can the flow it answers with */
		await openTab(page, 'flows');
		await page.locator('#flows-table tr[data-name="工作日流程"]')
			.getByText('删除').click();
		await page.locator('#toast').getByText('号码 4001000177 正在使用' +
			'该流程，请先在「号码」中改用其他流程').waitFor();
		page.check();
	});
