// Headless Chromium with a fake microphone (it beeps), and a bare
// WebRTC peer in a page of the server's origin: the browser side of the
// softphone without the console, so tests can drive the protocol.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu',
	'--disable-quic', '--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
	'--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
	'--autoplay-policy=no-user-gesture-required'];

/** A browser context of its own (profile in a temp dir). */
export async function launch() {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-rtc-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM, headless: true, args: BROWSER_ARGS,
		ignoreHTTPSErrors: true, permissions: ['microphone'],
	});
	ctx.setDefaultTimeout(20000);
	return {
		ctx,
		async close() {
			await ctx.close();
			fs.rmSync(profile, { recursive: true, force: true });
		},
	};
}

/* Runs in the page: one RTCPeerConnection with the fake microphone. */
function pageOffer() {
	return (async () => {
		const pc = new RTCPeerConnection({ iceServers: [] });
		const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
		for (const t of mic.getTracks())
			pc.addTrack(t, mic);
		pc.ontrack = (e) => {
			const a = new Audio();
			a.srcObject = e.streams[0];
			a.play();
			window.rtcAudio = a;
		};
		window.rtc = { pc, mic };
		await pc.setLocalDescription(await pc.createOffer());
		if (pc.iceGatheringState !== 'complete') {
			await new Promise((res) => pc.addEventListener(
				'icegatheringstatechange', () => {
					if (pc.iceGatheringState === 'complete')
						res();
				}));
		}
		return pc.localDescription.sdp;
	})();
}

/** A page at origin with a WebRTC peer: offer(), accept(), stats(). */
export async function rtcPage(browser, origin) {
	const page = await browser.ctx.newPage();
	await page.goto(`${origin}/`);
	return {
		page,
		offer: () => page.evaluate(pageOffer),
		accept: (sdp) => page.evaluate((s) => window.rtc.pc
			.setRemoteDescription({ type: 'answer', sdp: s }), sdp),
		state: () => page.evaluate(() => window.rtc.pc.connectionState),
		/** Mute (or unmute) the fake microphone. */
		mute: (on) => page.evaluate((m) => {
			for (const t of window.rtc.mic.getTracks())
				t.enabled = !m;
		}, on),
		/** Inbound audio: {packets, level, energy, codec}. */
		inbound: () => page.evaluate(async () => {
			const r = { packets: 0, level: 0, energy: 0, codec: '' };
			const st = await window.rtc.pc.getStats();
			st.forEach((s) => {
				if (s.type === 'inbound-rtp' && s.kind === 'audio') {
					r.packets = s.packetsReceived || 0;
					r.level = s.audioLevel || 0;
					r.energy = s.totalAudioEnergy || 0;
					const c = st.get(s.codecId);
					r.codec = c ? c.mimeType : '';
				}
			});
			return r;
		}),
		close: () => page.evaluate(() => window.rtc?.pc.close()),
	};
}

/** Poll fn until truthy (the browser's stats are state, not events). */
export async function poll(fn, what, timeoutMs = 15000) {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const v = await fn();
		if (v)
			return v;
		if (Date.now() > end)
			throw new Error(`not in ${timeoutMs} ms: ${what}`);
		await new Promise((res) => setTimeout(res, 50));
	}
}

/**
 * A browser (profile in a temp dir) signed in as who ({tenant, username,
 * password}) on the console the login leads to (landing, a URL glob):
 * {ctx, page, profile}. Page errors, and console lines about the CSP or
 * uncaught errors, go to problems.
 * @param options  more of Playwright's context options
 */
export async function consoleSession(stack, who, landing, problems,
	timeoutMs, options = {}) {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-e2e-'));
	const ctx = await chromium.launchPersistentContext(profile, {
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync'],
		ignoreHTTPSErrors: true,
		viewport: { width: 1280, height: 900 },
		...options,
	});
	ctx.setDefaultTimeout(timeoutMs);
	const page = await ctx.newPage();
	page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
	page.on('console', (m) => {
		if (/Content Security Policy|Uncaught/i.test(m.text()))
			problems.push(`console: ${m.text()}`);
	});
	await page.goto(`${stack.baseUrl}/`);
	await signIn(page, who, landing);
	return { ctx, page, profile };
}

/**
 * On the login page open in page, sign in as who ({tenant, username,
 * password}) and wait for the console at landing (a URL glob) to be ready.
 */
export async function signIn(page, who, landing) {
	await page.waitForSelector('body[data-ready="1"]');
	await page.fill('#tenant', who.tenant || '');
	await page.fill('#username', who.username);
	await page.fill('#password', who.password);
	await page.click('#login-submit');
	await page.waitForURL(landing);
	await page.waitForSelector('body[data-ready="1"]');
}

/**
 * A browser signed in as the stack's tenant admin on the admin console,
 * as consoleSession.
 */
export function adminSession(stack, problems, timeoutMs, options = {}) {
	return consoleSession(stack, stack.admin, '**/admin/**', problems,
		timeoutMs, options);
}
