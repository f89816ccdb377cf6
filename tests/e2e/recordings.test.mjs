// Browser test of the recordings page against the real server: a call
// answered by a sipp agent is recorded; the demo supervisor finds it by
// the caller's number, plays it (the player reports playing and its time
// advances), sees the call's events as markers on the waveform and in
// the timeline beside it (and the span the agent paused the recording,
// shaded), scores it with a QA form, and downloads the MP3. An agent
// plays its own call back from the console, unless the tenant says no. The admin changes the recording settings and edits a QA form
// with a bad weight first. Screenshots go to tests/artifacts/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BROWSER_ARGS } from '../lib/browser.mjs';
import { recordedCall, recordingStack } from '../lib/recording.mjs';
import { ROOT } from '../lib/stack.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT = 20000;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const CALLER = '13912345678';

let t;
let ctx;
let profile;
let form;
let callId;
const problems = [];

async function signIn(who, consolePath) {
	const page = await ctx.newPage();
	page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
	/* 4xx answers are part of the story (a bad score is refused) */
	page.on('console', (m) => {
		if (/Uncaught|Content Security Policy/i.test(m.text()))
			problems.push(`console: ${m.text()}`);
	});
	page.on('response', (r) => {
		if (r.status() >= 500)
			problems.push(`${r.status()} ${r.url()}`);
	});
	page.on('dialog', (d) => d.accept());
	await page.goto(`${t.s.baseUrl}/`);
	await page.waitForSelector('body[data-ready="1"]');
	await page.fill('#tenant', who.tenant);
	await page.fill('#username', who.username);
	await page.fill('#password', who.password);
	await page.click('#login-submit');
	await page.waitForURL(`**${consolePath}`);
	await page.waitForSelector('body[data-ready="1"]');
	return page;
}

before(async () => {
	t = await recordingStack();
	const r = await t.s.api('POST', '/api/v1/qa/forms', { name: '通话质检',
		criteria: [{ name: '开场白', weight: 40, max_score: 5 },
			{ name: '解决问题', weight: 60, max_score: 10 }] }, t.d.sup);
	assert.equal(r.status, 201, r.text);
	form = r.json;
	/* paused for a second mid-call: a span of time is the point here */
	const step = async (id, action) => {
		const r = await t.s.api('POST', `/api/v1/calls/${id}/recording`,
			{ action }, t.d.sup);
		assert.equal(r.status, 200, r.text);
	};
	const span = (ms) => new Promise((res) => setTimeout(res, ms));
	({ callId } = await recordedCall(t, { caller: CALLER, talkMs: 5000,
		callerMs: 4000, during: async ({ callId: id }) => {
			await span(1000);
			await step(id, 'pause');
			/* 0.8 s and the two requests read as "1 秒" (rounded): a
			 * full second left a loaded machine 0.5 s for them */
			await span(800);
			await step(id, 'resume');
		} }));
	profile = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-e2e-'));
	ctx = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM, headless: true, args: BROWSER_ARGS,
		ignoreHTTPSErrors: true, acceptDownloads: true,
		viewport: { width: 1440, height: 1100 } });
	ctx.setDefaultTimeout(WAIT);
	fs.mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
	await ctx?.close();
	await t?.stop();
	if (profile)
		fs.rmSync(profile, { recursive: true, force: true });
});

test('a supervisor finds a recorded call, plays it, scores it, downloads it',
	async () => {
		const page = await signIn(t.s.supervisor, '/supervisor/');
		await page.click('#nav-recordings');
		await page.waitForURL('**/supervisor/recordings.html');
		await page.waitForSelector('body[data-ready="1"]');
		assert.equal(await page.locator('main h1').innerText(), '录音');

		/* found by the caller's number */
		await page.fill('#rf-caller', CALLER);
		await page.click('#rf-search');
		const row = page.locator('#rec-table tbody tr');
		await page.waitForFunction(() => {
			const rows = document.querySelectorAll('#rec-table tbody tr');
			return rows.length === 1;
		});
		assert.match(await row.innerText(), new RegExp(CALLER));
		await row.locator('.rec-open').click();

		/* the waveform is drawn, then it plays and time advances */
		const player = page.locator('#rec-player');
		await page.waitForSelector('#rec-player[data-state="ready"]');
		await page.click('#rec-play');
		await page.waitForSelector('#rec-player[data-state="playing"]');
		await page.waitForFunction(() => Number(document.querySelector(
			'#rec-player').dataset.time) > 0.5);
		assert.match(await page.locator('#rec-time').innerText(),
			/^0:0\d \/ 0:0\d$/);

		/* the call's events: markers on the waveform, a list beside */
		await page.waitForSelector(
			'#rec-timeline li[data-type="call.answered"]');
		await page.waitForFunction(() => Number(document.querySelector(
			'#rec-player').dataset.markers) >= 1);
		assert.ok(await player.locator('[part~="marker"]').count() >= 1,
			'markers in the waveform');
		/* the pause: shaded on the waveform, named in the timeline */
		assert.equal(await player.locator('[part~="region"]').count(), 1);
		await page.waitForSelector('#rec-timeline ' +
			'li[data-type="recording.paused"][data-marked="1"]');
		assert.match(await page.locator('.rec-flags').innerText(),
			/录音暂停 1 秒/);
		await page.screenshot({ path: path.join(ARTIFACTS,
			'recordings.png'), fullPage: true });
		await page.click('#rec-play');
		await page.waitForSelector('#rec-player[data-state="paused"]');

		/* scored with the form: 40·4/5 + 60·10/10 = 92 */
		await page.selectOption('#qa-form', form.form_id);
		await page.click('#qa-save');
		assert.match(await page.locator('#qa-score [data-form-error]')
			.innerText(), /请为每一项打分/);
		await page.fill('#qa-c0', '4');
		await page.fill('#qa-c1', '11');
		await page.click('#qa-save');
		await page.waitForFunction(() => document.querySelector(
			'#qa-score [data-form-error]')?.hidden === false);
		assert.match(await page.locator('[data-error-for="scores[1]"]')
			.innerText(), /超出允许范围/);
		await page.fill('#qa-c1', '10');
		assert.equal(await page.locator('#qa-total').innerText(), '92');
		await page.fill('#qa-comment', '开场白可以更简短');
		/* a language switch keeps what was typed */
		await page.click('#lang-switch');
		assert.equal(await page.locator('#qa-save').innerText(),
			'Save score');
		assert.equal(await page.inputValue('#qa-c0'), '4');
		assert.equal(await page.locator('#qa-total').innerText(), '92');
		await page.click('#lang-switch');
		await page.click('#qa-save');
		await page.waitForSelector('#qa-saved');
		assert.equal(await page.locator('#qa-reviews li').count(), 1);
		assert.match(await page.locator('#qa-reviews li').innerText(), /92/);
		const recs = await t.s.api('GET',
			`/api/v1/recordings?call_id=${callId}`, null, t.d.sup);
		const rv = await t.s.api('GET', `/api/v1/recordings/${
			recs.json.items[0].recording_id}/reviews`, null, t.d.sup);
		assert.equal(Number(rv.json.items[0].total), 92);
		assert.equal(rv.json.items[0].comment, '开场白可以更简短');

		/* the MP3 as a download */
		const [dl] = await Promise.all([page.waitForEvent('download'),
			page.click('#rec-dl-mp3')]);
		assert.match(dl.suggestedFilename(), /\.mp3$/);
		const bytes = fs.readFileSync(await dl.path());
		assert.ok(bytes.length > 1000, `${bytes.length} bytes`);
		assert.ok(bytes.subarray(0, 3).toString('latin1') === 'ID3' ||
			(bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0),
		`MP3 starts ${bytes.subarray(0, 4).toString('hex')}`);
		const [wav] = await Promise.all([page.waitForEvent('download'),
			page.click('#rec-dl-wav')]);
		assert.match(wav.suggestedFilename(), /\.wav$/);
		const riff = fs.readFileSync(await wav.path());
		assert.equal(riff.subarray(0, 4).toString('latin1'), 'RIFF');
		assert.equal(riff.subarray(8, 12).toString('latin1'), 'WAVE');

		/* English labels after the switch; the player stays */
		await page.click('#lang-switch');
		assert.equal(await page.locator('#rec-dl-mp3').innerText(),
			'Download MP3');
		await page.click('#lang-switch');
		assert.deepEqual(problems, []);
		await page.close();
	});

test('the admin sets the recording policy and edits a QA form',
	async () => {
		const page = await signIn(t.s.admin, '/admin/');
		await page.click('#tabs [data-tab="recsettings"]');
		await page.waitForSelector('#recset-form[data-loaded="1"]');
		assert.equal(await page.inputValue('#rs-mode'), 'all');
		await page.fill('#rs-days', '0');
		await page.click('#rs-save');
		await page.waitForFunction(() => document.querySelector(
			'[data-error-for="retention_days"]').textContent !== '');
		await page.fill('#rs-days', '90');
		await page.selectOption('#rs-channels', 'mono');
		await page.click('#rs-save');
		await page.waitForFunction(async () => true);
		await page.locator('#toast').waitFor({ state: 'visible' });
		const s = await t.s.api('GET', '/api/v1/recording/settings', null,
			t.d.admin);
		assert.equal(s.json.retention_days, 90);
		assert.equal(s.json.channels, 'mono');

		await page.click('#tabs [data-tab="qaforms"]');
		await page.waitForSelector(`#qaf-table tr[data-form-id="${
			form.form_id}"]`);
		await page.click('#qaf-new');
		await page.fill('#qaf-name', '投诉处理');
		const first = page.locator('#qaf-rows li').nth(0);
		await first.locator('[name=name]').fill('安抚情绪');
		await first.locator('[name=weight]').fill('50');
		await page.click('#qaf-add');
		const second = page.locator('#qaf-rows li').nth(1);
		await second.locator('[name=name]').fill('给出方案');
		await second.locator('[name=weight]').fill('40');
		assert.match(await page.locator('#qaf-sum').innerText(), /90%/);
		await page.click('#qaf-form [type=submit]');
		await page.waitForFunction(() => document.querySelector(
			'#qaf-form [data-form-error]')?.hidden === false);
		assert.match(await page.locator('#qaf-form [data-form-error]')
			.innerText(), /权重合计必须为 100/);
		await second.locator('[name=weight]').fill('50');
		await page.click('#qaf-form [type=submit]');
		await page.waitForSelector('#qaf-table tr[data-name="投诉处理"]');
		await page.screenshot({ path: path.join(ARTIFACTS,
			'recordings-admin.png'), fullPage: true });

		/* the shared recordings page is a tab of the admin console too */
		await page.click('#tabs [data-tab="recordings"]');
		await page.waitForSelector('#rec-table tbody tr');
		assert.deepEqual(problems, []);
		await page.close();
	});

test("an agent plays back its own call; not when the tenant says no",
	async () => {
		const who = { tenant: 'demo', username: t.agents['1001'].username,
			password: 'Agent@2026' };
		let page = await signIn(who, '/agent/');
		const item = `#recent-list li[data-call-id="${callId}"]`;
		await page.waitForSelector(`${item} button.play`);
		await page.click(`${item} button.play`);
		await page.waitForFunction((id) => {
			const a = document.querySelector('#recent-audio');
			return a?.dataset.callId === id && a.currentTime > 0.2;
		}, callId);
		await page.close();

		const r = await t.s.api('PUT', '/api/v1/recording/settings', {
			mode: 'all', start_at: 'answer', channels: 'stereo',
			notice: false, retention_days: 180, agent_playback: false },
		t.d.admin);
		assert.equal(r.status, 200, r.text);
		page = await signIn(who, '/agent/');
		await page.waitForSelector(item);
		await page.waitForFunction(() => Number(document.body.dataset
			.history) >= 1);
		assert.equal(await page.locator(`${item} button.play`).count(), 0);
		assert.deepEqual(problems, []);
		await page.close();
	});
