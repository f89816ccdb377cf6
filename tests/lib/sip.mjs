// Calls for the tests: sipp plays the carrier's signalling, and an RTP
// peer in this process is the caller's media (it hears what OpenSeat
// plays and sends RFC 4733 DTMF from the address the SDP names).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort } from './stack.mjs';

const SIPP_DIR = path.join(ROOT, 'tests/sipp');

/* G.711 decoders (ITU-T G.711), table-free. */
function ulaw(u) {
	u = ~u & 0xff;
	const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
	return (u & 0x80) ? 0x84 - t : t - 0x84;
}

function alaw(a) {
	a ^= 0x55;
	let t = (a & 0x0f) << 4;
	const seg = (a & 0x70) >> 4;
	if (seg === 0)
		t += 8;
	else if (seg === 1)
		t += 0x108;
	else
		t = (t + 0x108) << (seg - 1);
	return (a & 0x80) ? t : -t;
}

const SILENCE = { 0: 0xff, 8: 0xd5 };

/** RMS of Int16-range samples. */
export function rms(samples) {
	if (!samples.length)
		return 0;
	let s = 0;
	for (const v of samples)
		s += v * v;
	return Math.sqrt(s / samples.length);
}

/**
 * The caller's media: a UDP socket that receives OpenSeat's RTP (G.711
 * decoded to samples) and answers with silence once it knows where from,
 * as a real phone would, so strict RTP sees the SDP's address.
 */
export class RtpPeer {
	static async open() {
		const peer = new RtpPeer();
		await new Promise((resolve, reject) => {
			peer.sock.once('error', reject);
			peer.sock.bind(0, '127.0.0.1', resolve);
		});
		peer.port = peer.sock.address().port;
		return peer;
	}

	constructor() {
		this.sock = dgram.createSocket('udp4');
		this.samples = [];
		this.packets = 0;
		this.pt = null;
		this.remote = null;
		this.seq = Math.floor(Math.random() * 60000);
		this.ts = Math.floor(Math.random() * 1e9);
		this.ssrc = Math.floor(Math.random() * 0xffffffff);
		this.waiters = [];
		this.sock.on('message', (m, rinfo) => this.onPacket(m, rinfo));
	}

	onPacket(m, rinfo) {
		if (m.length < 12 || (m[0] >> 6) !== 2)
			return;
		const cc = m[0] & 0x0f;
		let off = 12 + 4 * cc;
		if (m[0] & 0x10)
			off += 4 + 4 * m.readUInt16BE(off + 2);
		const pt = m[1] & 0x7f;
		if (pt !== 0 && pt !== 8)
			return;
		this.pt = pt;
		if (!this.remote) {
			this.remote = { address: rinfo.address, port: rinfo.port };
			this.timer = setInterval(() => this.sendSilence(), 20);
		}
		this.packets++;
		const dec = pt === 0 ? ulaw : alaw;
		for (let i = off; i < m.length; i++)
			this.samples.push(dec(m[i]));
		this.waiters = this.waiters.filter((w) => !w());
	}

	/** Resolves once pred() is true (checked on every packet). */
	until(pred, timeoutMs = 15000, what = 'media') {
		return new Promise((resolve, reject) => {
			if (pred())
				return resolve();
			const t = setTimeout(() => reject(new Error(
				`no ${what} within ${timeoutMs} ms`)), timeoutMs);
			this.waiters.push(() => {
				if (!pred())
					return false;
				clearTimeout(t);
				resolve();
				return true;
			});
		});
	}

	/** Wait for audible audio (a 20 ms frame above the level). */
	async heard(level = 300, timeoutMs = 15000) {
		const from = this.samples.length;
		await this.until(() => {
			for (let i = Math.max(from, this.samples.length - 160);
				i + 160 <= this.samples.length; i += 160) {
				if (rms(this.samples.slice(i, i + 160)) > level)
					return true;
			}
			return false;
		}, timeoutMs, 'audible audio');
	}

	header(pt, marker, ts) {
		const h = Buffer.alloc(12);
		h[0] = 0x80;
		h[1] = (marker ? 0x80 : 0) | pt;
		h.writeUInt16BE(this.seq, 2);
		this.seq = (this.seq + 1) & 0xffff;
		h.writeUInt32BE(ts >>> 0, 4);
		h.writeUInt32BE(this.ssrc >>> 0, 8);
		return h;
	}

	send(buf) {
		if (this.remote)
			this.sock.send(buf, this.remote.port, this.remote.address);
	}

	sendSilence() {
		if (this.dtmfBusy)
			return;
		const pt = this.pt ?? 8;
		this.send(Buffer.concat([this.header(pt, false, this.ts),
			Buffer.alloc(160, SILENCE[pt])]));
		this.ts += 160;
	}

	/** Send one RFC 4733 digit (event packets then 3 end packets). */
	async dtmf(digit, ms = 120) {
		const code = '0123456789*#ABCD'.indexOf(String(digit));
		if (code < 0)
			throw new Error(`not a DTMF digit: ${digit}`);
		if (!this.remote)
			throw new Error('no media from OpenSeat yet');
		this.dtmfBusy = true;
		const start = this.ts;
		const n = Math.max(1, Math.round(ms / 20));
		for (let i = 1; i <= n + 3; i++) {
			const end = i > n;
			const dur = Math.min(i, n) * 160;
			const p = Buffer.from([code, (end ? 0x80 : 0) | 10,
				dur >> 8, dur & 0xff]);
			this.send(Buffer.concat([this.header(101, i === 1, start),
				p]));
			await new Promise((r) => setTimeout(r, end ? 5 : 20));
		}
		this.ts = start + n * 160;
		this.dtmfBusy = false;
	}

	close() {
		clearInterval(this.timer);
		this.sock.close();
	}
}

/**
 * Place one call with sipp against the stack. Resolves when sipp exits:
 * {code, stdout, stderr, callId}. opts: scenario (file in tests/sipp),
 * service (dialed number), caller, rtp (an RtpPeer), expect (final
 * status for uac_refused.xml), transport ('u1' or 't1').
 */
export async function sipCall(stack, opts) {
	const localPort = await freePort();
	let sf = path.join(SIPP_DIR, opts.scenario || 'uac.xml');
	let tmp = null;
	if (opts.expect) {
		tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-sipp-'));
		const f = path.join(tmp, 'scenario.xml');
		fs.writeFileSync(f, fs.readFileSync(sf, 'utf8')
			.replaceAll('@EXPECT@', String(opts.expect)));
		sf = f;
	}
	const args = [`127.0.0.1:${stack.sipPort}`, '-sf', sf, '-m', '1',
		'-s', opts.service, '-i', '127.0.0.1', '-p', String(localPort),
		'-t', opts.transport || 'u1',
		'-set', 'caller', opts.caller || '13800138000',
		'-set', 'rtpip', '127.0.0.1',
		'-set', 'rtpport', String(opts.rtp ? opts.rtp.port : 9),
		'-cid_str', '%u-%p@openseat-test',
		'-timeout', `${opts.timeoutS || 60}s`, '-timeout_error',
		'-nostdin', '-nr'];
	const p = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let stdout = '';
	let stderr = '';
	p.stdout.on('data', (d) => { stdout += d; });
	p.stderr.on('data', (d) => { stderr += d; });
	const callId = `1-${p.pid}@openseat-test`;
	const done = new Promise((resolve) => {
		p.on('close', (code) => {
			if (tmp)
				fs.rmSync(tmp, { recursive: true, force: true });
			resolve({ code, stdout, stderr, callId });
		});
	});
	return {
		callId, localPort, done, proc: p,
		/** Make the caller hang up now (uac.xml waits for an INFO). */
		hangup: () => sendInfo(localPort, callId),
	};
}

/* An in-dialog INFO to sipp: its cue to send BYE (see uac.xml). */
function sendInfo(port, callId) {
	const s = dgram.createSocket('udp4');
	const msg = [
		`INFO sip:caller@127.0.0.1:${port} SIP/2.0`,
		`Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-${Date.now()}`,
		'From: <sip:test@127.0.0.1>;tag=test',
		'To: <sip:caller@127.0.0.1>',
		`Call-ID: ${callId}`,
		'CSeq: 100 INFO',
		'Max-Forwards: 70',
		'Content-Length: 0', '', ''].join('\r\n');
	return new Promise((resolve) => {
		s.send(msg, port, '127.0.0.1', () => {
			s.close();
			resolve();
		});
	});
}
