// The agent console in Firefox: Debian's firefox-esr, headless, driven
// over WebDriver BiDi (puppeteer-core), with Firefox's fake microphone.
// agent6 signs in, switches language and back, goes ready; a caller
// from sipp rings the page with the screen pop; the agent answers, both
// hear each other (Opus or PCMU, whatever Firefox chose), hangs up and
// saves a disposition. The Chromium suites cover every control; this
// one proves the console's WebRTC and pages work in the second engine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { ROOT } from '../lib/stack.mjs';
import { queueStack, until } from '../lib/acd_calls.mjs';
import { poll } from '../lib/browser.mjs';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
const CALLER = '13900139077';
const WAIT = 30000;
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');

let t;
let browser;
let page;
let profile;
const problems = [];

before(async () => {
	/* Firefox gathers no loopback candidate (whatever its prefs say):
	 * media on every address, so the server's one candidate is the
	 * machine's own non-loopback address, which Firefox pairs with */
	t = await queueStack({ env: { OPENSEAT_CLOCK_OFFSET: '',
		OPENSEAT_SIP_ADDR: '0.0.0.0' } });
	/* the caller on PCMU, like the Chromium console test */
	const tr = await t.s.api('PATCH', `/api/v1/trunks/${t.d.trunkId}`,
		{ codecs: 'PCMU' }, t.d.op);
	assert.equal(tr.status, 200, tr.text);
	await t.patchQueue(t.support.queue_id, { wrapup_s: 120 });
	profile = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-ff-'));
	browser = await puppeteer.launch({
		browser: 'firefox', executablePath: FIREFOX, headless: true,
		acceptInsecureCerts: true, userDataDir: profile,
		extraPrefsFirefox: {
			'media.navigator.streams.fake': true,
			'media.navigator.permission.disabled': true,
			'media.autoplay.default': 0,
			'media.peerconnection.ice.obfuscate_host_addresses': false,
			'intl.accept_languages': 'zh-CN, zh',
		},
	});
});

after(async () => {
	if (page && !page.isClosed()) {
		fs.mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: path.join(ARTIFACTS,
			'firefox_last.png') }).catch(() => {});
	}
	await browser?.close();
	if (profile)
		fs.rmSync(profile, { recursive: true, force: true });
	await t?.stop();
});

const text = (sel) => page.$eval(sel, (e) => e.innerText.trim());
const visible = (sel) => page.waitForSelector(sel,
	{ visible: true, timeout: WAIT });

test('Firefox: agent6 signs in, switches to English and back, goes ready',
	async () => {
		page = await browser.newPage();
		page.on('pageerror', (e) => problems.push(e.message));
		await page.setViewport({ width: 1280, height: 900 });
		await page.goto(`${t.s.baseUrl}/`);
		await page.waitForSelector('body[data-ready="1"]');
		await page.type('#tenant', 'demo');
		await page.type('#username', 'agent6');
		await page.type('#password', 'Agent@2026');
		await Promise.all([
			page.waitForNavigation(),
			page.click('#login-submit'),
		]);
		assert.match(page.url(), /\/agent\//);
		await page.waitForSelector('body[data-ready="1"]');
		assert.equal(await text('#state-label'), '已签出');
		await page.click('#lang-switch');
		await poll(async () => await text('#state-label') === 'Signed out',
			'English labels', WAIT);
		await page.click('#lang-switch');
		await poll(async () => await text('#state-label') === '已签出',
			'Chinese labels', WAIT);
		await page.click('#btn-ready');
		await page.waitForSelector('#statebar[data-state="ready"]');
		await page.waitForSelector('#phone-status[data-state="registered"]',
			{ timeout: WAIT });
		await t.waitAgent('1006', (x) => x.state === 'ready' &&
			x.device_reachable);
		assert.deepEqual(problems, []);
	});

test('Firefox: a call rings with the screen pop; the agent answers and ' +
	'both hear each other; hang-up and disposition', async () => {
	const caller = await t.call(CALLER);
	try {
		await visible('#ring-card');
		assert.equal(await text('#cti-caller'), CALLER);
		await page.click('#btn-answer');
		await page.waitForSelector('#call-card[data-phase="talking"]',
			{ timeout: WAIT });
		const callId = await page.$eval('#call-cti',
			(e) => e.dataset.callId);
		assert.match(callId, /^[0-9a-f-]{36}$/);
		/* the caller hears Firefox's fake microphone (a tone) */
		await caller.rtp.heard(300, WAIT);
		/* Firefox hears the caller */
		caller.rtp.speak(700, 8000);
		const s = await poll(async () => {
			const x = await page.evaluate(() =>
				window.openseat.phone.stats());
			return x.packetsReceived > 50 && x.bytesSent > 0 && x;
		}, 'audio into Firefox', WAIT);
		assert.ok(s.packetsReceived > 50, JSON.stringify(s));

		await page.click('#btn-hangup');
		await until(async () => {
			const r = await t.s.api('GET', `/api/v1/calls/${callId}`,
				null, t.d.sup);
			return r.json?.ended_at && r.json;
		}, 'the call ended', WAIT);
		await t.waitAgent('1006', (x) => x.state === 'wrap_up');
		await visible('#wrap-card');
		await page.select('#wrap-select', '已解决');
		await page.type('#wrap-notes', '火狐浏览器接听');
		await page.click('#wrap-save');
		await visible('#wrap-saved');
		const row = await until(async () => {
			const r = await t.s.api('GET', `/api/v1/calls/${callId}`,
				null, t.d.sup);
			return r.json?.wrap_code && r.json;
		}, 'the disposition saved', WAIT);
		assert.equal(row.wrap_code, '已解决');
		assert.equal(row.wrap_notes, '火狐浏览器接听');
		assert.equal(row.agent_id, t.agents['1006'].agent_id);
		assert.deepEqual(problems, []);
	} finally {
		caller.close();
	}
});
