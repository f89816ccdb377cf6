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

/* G.711 encoders (ITU-T G.711), for the caller's voice. */
function ulawEnc(v) {
	const sign = v < 0 ? 0x80 : 0;
	let m = Math.min(Math.abs(v), 32635) + 0x84;
	let e = 7;
	for (let mask = 0x4000; !(m & mask) && e > 0; mask >>= 1)
		e--;
	m = (m >> (e + 3)) & 0x0f;
	return ~(sign | (e << 4) | m) & 0xff;
}

function alawEnc(v) {
	const sign = v >= 0 ? 0x80 : 0;
	const a = Math.min(Math.abs(v), 32767) >> 3;
	let e = 0;
	if (a >= 32) {
		e = 1;
		while (e < 7 && a >= (32 << e))
			e++;
	}
	const m = e === 0 ? a >> 1 : (a >> e) & 0x0f;
	return ((sign | (e << 4) | m) ^ 0x55) & 0xff;
}

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

	/* Every 20 ms: silence, or the tone speak() asked for. */
	sendSilence() {
		if (this.dtmfBusy)
			return;
		const pt = this.pt ?? 8;
		let frame = Buffer.alloc(160, SILENCE[pt]);
		if (this.tone && this.tone.left > 0) {
			const enc = pt === 0 ? ulawEnc : alawEnc;
			for (let i = 0; i < 160; i++, this.tone.n++) {
				frame[i] = enc(Math.round(this.tone.amp * Math.sin(2 *
					Math.PI * this.tone.freq * this.tone.n / 8000)));
			}
			if (--this.tone.left === 0)
				this.tone.done();
		}
		this.send(Buffer.concat([this.header(pt, false, this.ts), frame]));
		this.ts += 160;
	}

	/**
	 * Speak into the call: a sine tone of freq Hz for ms in place of
	 * silence; resolves once the last frame is sent.
	 */
	speak(freq = 1000, ms = 2000, amp = 8000) {
		if (!this.remote)
			throw new Error('no media from OpenSeat yet');
		return new Promise((resolve) => {
			this.tone = { freq, amp, n: 0, left: Math.round(ms / 20),
				done: resolve };
		});
	}

	/** Wait until audio was heard and then ms of quiet (a play ended). */
	async quiet(ms = 600, level = 300, timeoutMs = 20000) {
		const from = this.samples.length;
		const need = ms * 8;
		await this.until(() => {
			let run = 0;
			let loud = false;
			for (let i = from; i + 160 <= this.samples.length; i += 160) {
				if (rms(this.samples.slice(i, i + 160)) > level) {
					loud = true;
					run = 0;
				} else if (loud) {
					run += 160;
				}
			}
			return loud && run >= need;
		}, timeoutMs, `${ms} ms of quiet after audio`);
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

/* A UDP port is free to bind now. */
function udpFree(port) {
	return new Promise((resolve) => {
		const u = dgram.createSocket('udp4');
		u.once('error', () => resolve(false));
		u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
	});
}

/*
 * sipp binds four media ports from -mp up (audio, RTCP, video, RTCP):
 * take four free ones below the ephemeral range and OpenSeat's RTP
 * ranges (20000 up), where the next test's ephemeral ports cannot land.
 */
async function mediaPorts() {
	for (;;) {
		const base = 10000 + 4 * Math.floor(Math.random() * 2500);
		let ok = true;
		for (let i = 0; i < 4 && ok; i++)
			ok = await udpFree(base + i);
		if (ok)
			return base;
	}
}

/**
 * Place one call with sipp against the stack. Resolves when sipp exits:
 * {code, stdout, stderr, callId}. opts: scenario (file in tests/sipp),
 * service (dialed number), caller, rtp (an RtpPeer), expect (final
 * status for uac_refused.xml), transport ('u1' or 't1'), localIp
 * (sipp's own address, e.g. 127.0.0.2 for a source no trunk trusts),
 * args (more sipp arguments), auth ([user, secret] for the digest
 * scenarios), pcap (the RTP pcap uac_pcap.xml plays).
 */
export async function sipCall(stack, opts) {
	/* free for TCP and UDP: OpenSeat's RTP ports share the range */
	let localPort = await freePort();
	while (!await udpFree(localPort))
		localPort = await freePort();
	let sf = path.join(SIPP_DIR, opts.scenario || 'uac.xml');
	let tmp = null;
	if (opts.expect || opts.pcap) {
		tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-sipp-'));
		const f = path.join(tmp, 'scenario.xml');
		fs.writeFileSync(f, fs.readFileSync(sf, 'utf8')
			.replaceAll('@EXPECT@', String(opts.expect))
			.replaceAll('@PCAP@', String(opts.pcap)));
		sf = f;
	}
	const args = [`127.0.0.1:${stack.sipPort}`, '-sf', sf, '-m', '1',
		'-s', opts.service, '-i', opts.localIp || '127.0.0.1',
		'-p', String(localPort), '-mp', String(await mediaPorts()),
		'-t', opts.transport || 'u1',
		'-set', 'caller', opts.caller || '13800138000',
		/* only scenarios that name the test's media take it */
		...(!fs.readFileSync(sf, 'utf8').includes('[$rtpip]') ? [] :
			['-set', 'rtpip', '127.0.0.1', '-set', 'rtpport',
				String(opts.rtp ? opts.rtp.port : 9)]),
		'-cid_str', '%u-%p@openseat-test',
		'-timeout', `${opts.timeoutS || 60}s`, '-timeout_error',
		'-nostdin', '-nr', ...(opts.args || [])];
	/* digest: sipp's own default uri is remote_ip:port, but OpenSeat
	 * wants the Request-URI there, as phones and carriers send it */
	if (opts.auth) {
		args.push('-au', opts.auth[0], '-ap', opts.auth[1], '-auth_uri',
			`${opts.service}@127.0.0.1:${stack.sipPort}`);
	}
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
		hangup: () => sendInfo(opts.localIp || '127.0.0.1', localPort,
			callId),
	};
}

/* An in-dialog INFO to sipp: its cue to send BYE (see uac.xml). */
function sendInfo(ip, port, callId) {
	const s = dgram.createSocket('udp4');
	const msg = [
		`INFO sip:caller@${ip}:${port} SIP/2.0`,
		`Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-${Date.now()}`,
		'From: <sip:test@127.0.0.1>;tag=test',
		'To: <sip:caller@127.0.0.1>',
		`Call-ID: ${callId}`,
		'CSeq: 100 INFO',
		'Max-Forwards: 70',
		'Content-Length: 0', '', ''].join('\r\n');
	return new Promise((resolve) => {
		s.send(msg, port, ip, () => {
			s.close();
			resolve();
		});
	});
}

/** Int16 samples of a 16-bit mono PCM WAV (the built prompts). */
export function readWav(file) {
	const b = fs.readFileSync(file);
	let off = 12;
	while (off + 8 <= b.length) {
		const id = b.toString('ascii', off, off + 4);
		const len = b.readUInt32LE(off + 4);
		if (id === 'data') {
			const n = Math.min(len, b.length - off - 8) >> 1;
			const out = new Array(n);
			for (let i = 0; i < n; i++)
				out[i] = b.readInt16LE(off + 8 + 2 * i);
			return out;
		}
		off += 8 + len + (len & 1);
	}
	throw new Error(`${file}: no data chunk`);
}

/* The span from the first to the last 20 ms frame above level. */
export function audible(samples, level = 300) {
	let first = -1;
	let last = -1;
	for (let i = 0; i + 160 <= samples.length; i += 160) {
		if (rms(samples.slice(i, i + 160)) > level) {
			if (first < 0)
				first = i;
			last = i + 160;
		}
	}
	return first < 0 ? [] : samples.slice(first, last);
}

/**
 * How audio heard compares with the prompt played: RMS ratio, duration
 * ratio (audible spans) and the normalized correlation of the two at
 * the best alignment within ±40 ms (G.711 keeps the waveform).
 */
export function compareAudio(heard, prompt) {
	const h = audible(heard);
	const p = audible(prompt);
	const n = Math.min(h.length, p.length, 8000);
	let best = 0;
	for (let lag = -320; lag <= 320; lag += 1) {
		let xy = 0;
		let xx = 0;
		let yy = 0;
		for (let i = Math.max(0, -lag); i < n && i + lag < h.length; i++) {
			const x = p[i];
			const y = h[i + lag];
			xy += x * y;
			xx += x * x;
			yy += y * y;
		}
		if (xx && yy)
			best = Math.max(best, xy / Math.sqrt(xx * yy));
	}
	return { rms: rms(h) / rms(p), duration: h.length / p.length,
		corr: best };
}

/** The dominant frequency of a tone, from its zero crossings. */
export function toneHz(samples, rate = 8000) {
	let zc = 0;
	for (let i = 1; i < samples.length; i++) {
		if ((samples[i - 1] < 0) !== (samples[i] < 0))
			zc++;
	}
	return samples.length ? zc / 2 / (samples.length / rate) : 0;
}

/**
 * The call a test placed, found by its (unique) caller number, once
 * pred(detail) holds: polls the call log API until then.
 */
export async function waitCall(stack, token, caller, pred = () => true,
	timeoutMs = 15000) {
	const until = Date.now() + timeoutMs;
	let last = null;
	for (;;) {
		const l = await stack.api('GET', `/api/v1/calls?caller=${caller}`,
			null, token);
		if (l.status === 200 && l.json.items.length) {
			const d = await stack.api('GET',
				`/api/v1/calls/${l.json.items[0].call_id}`, null, token);
			last = d.json;
			if (d.status === 200 && pred(d.json))
				return d.json;
		}
		if (Date.now() > until) {
			throw new Error(`call from ${caller} not as expected in ` +
				`${timeoutMs} ms: ${JSON.stringify(last)}`);
		}
		await new Promise((r) => setTimeout(r, 100));
	}
}

/** A call in the API has ended (its CDR row is complete). */
export const ended = (c) => !!c.ended_at && c.events.some((e) =>
	e.type === 'call.ended');

/**
 * A raw SIP endpoint over UDP for what sipp cannot send: garbage,
 * truncated requests, INVITEs with odd SDP, floods. Answers BYE and
 * OPTIONS from OpenSeat with 200.
 */
export class SipUdp {
	static async open(stack, ip = '127.0.0.1') {
		const u = new SipUdp(stack);
		await new Promise((resolve, reject) => {
			u.sock.once('error', reject);
			u.sock.bind(0, ip, resolve);
		});
		u.ip = ip;
		u.port = u.sock.address().port;
		return u;
	}

	constructor(stack) {
		this.stack = stack;
		/* a flood's answers arrive at once: room for them all */
		this.sock = dgram.createSocket({ type: 'udp4',
			recvBufferSize: 4 << 20 });
		this.waiters = new Map();
		this.received = [];
		this.answered = new Set();
		this.n = 0;
		this.sock.on('message', (m) => this.onMessage(m.toString()));
	}

	static parse(text) {
		const [head, body = ''] = text.split('\r\n\r\n');
		const lines = head.split('\r\n');
		const h = {};
		for (const l of lines.slice(1)) {
			const k = l.indexOf(':');
			if (k > 0) {
				const name = l.slice(0, k).trim().toLowerCase();
				h[name] = h[name] || l.slice(k + 1).trim();
			}
		}
		const m = /^SIP\/2\.0 (\d{3})/.exec(lines[0]);
		return { first: lines[0], status: m ? Number(m[1]) : 0, h, body,
			text };
	}

	onMessage(text) {
		const msg = SipUdp.parse(text);
		this.received.push(msg);
		if (!msg.status) {
			this.reply(msg);
			return;
		}
		this.answered.add(msg.h['call-id']);
		const w = this.waiters.get(`${msg.h['call-id']} ${msg.h.cseq}`);
		if (w && msg.status >= (w.min || 200)) {
			this.waiters.delete(`${msg.h['call-id']} ${msg.h.cseq}`);
			w.resolve(msg);
		}
	}

	reply(req) {
		const h = req.h;
		if (!h.via || /^ACK /.test(req.first))
			return;
		this.raw(['SIP/2.0 200 OK', `Via: ${h.via}`, `From: ${h.from}`,
			`To: ${h.to}`, `Call-ID: ${h['call-id']}`, `CSeq: ${h.cseq}`,
			'Content-Length: 0', '', ''].join('\r\n'));
	}

	/** Send bytes as they are to OpenSeat's SIP port. */
	raw(data) {
		return new Promise((resolve) => this.sock.send(data,
			this.stack.sipPort, '127.0.0.1', () => resolve()));
	}

	/** The response to (callId, cseq) with status >= min. */
	response(callId, cseq, timeoutMs = 5000, min = 200) {
		return new Promise((resolve, reject) => {
			const key = `${callId} ${cseq}`;
			const t = setTimeout(() => {
				this.waiters.delete(key);
				reject(new Error(`no answer to ${key}`));
			}, timeoutMs);
			this.waiters.set(key, { min, resolve: (m) => {
				clearTimeout(t);
				resolve(m);
			} });
		});
	}

	/** A request's text; override any header with hdr, body as given. */
	request(method, number, { callId, cseq = 1, caller = '13800000000',
		body, ctype = 'application/sdp', tag, toTag, branch } = {}) {
		const me = `${this.ip}:${this.port}`;
		const dst = `127.0.0.1:${this.stack.sipPort}`;
		const lines = [
			`${method} sip:${number}@${dst} SIP/2.0`,
			`Via: SIP/2.0/UDP ${me};branch=${branch ||
				`z9hG4bK${++this.n}x${Date.now()}`};rport`,
			`From: <sip:${caller}@${me}>;tag=${tag || 'f' + this.n}`,
			`To: <sip:${number}@${dst}>${toTag ? `;tag=${toTag}` : ''}`,
			`Call-ID: ${callId}`,
			`CSeq: ${cseq} ${method}`,
			`Contact: <sip:${caller}@${me}>`,
			'Max-Forwards: 70',
		];
		if (body !== undefined && body !== null)
			lines.push(`Content-Type: ${ctype}`);
		lines.push(`Content-Length: ${Buffer.byteLength(body || '')}`, '',
			body || '');
		return lines.join('\r\n');
	}

	/**
	 * Send an INVITE and resolve with its final response; a 200 is
	 * ACKed (and the dialog kept for bye()), anything else is ACKed by
	 * the transaction. opts: caller, sdp (null: none), callId.
	 */
	async invite(number, opts = {}) {
		const k = ++this.n;
		const callId = opts.callId || `raw-${this.port}-${k}@openseat-test`;
		const tag = `t${k}`;
		const branch = `z9hG4bK${k}i${Date.now()}`;
		const sdp = opts.sdp === undefined ? SipUdp.sdp(9) : opts.sdp;
		const got = this.response(callId, '1 INVITE', opts.timeoutMs);
		const req = this.request('INVITE', number, { callId, tag, branch,
			caller: opts.caller, body: sdp });
		/* Timer A: resend until anything comes back, as a UAC must */
		let wait = 500;
		let timer;
		const resend = () => {
			if (this.answered.has(callId))
				return;
			void this.raw(req);
			timer = setTimeout(resend, wait);
			wait = Math.min(wait * 2, 4000);
		};
		resend();
		const r = await got.finally(() => clearTimeout(timer));
		const toTag = /tag=([^;>\s]+)/.exec(r.h.to)?.[1];
		const dlg = { number, callId, tag, toTag, caller: opts.caller,
			status: r.status, res: r };
		if (r.status >= 300) {
			await this.raw(this.request('ACK', number, { callId, tag,
				toTag, branch, caller: opts.caller }));
		} else {
			await this.raw(this.request('ACK', number, { callId, tag,
				toTag, caller: opts.caller }));
		}
		return dlg;
	}

	/** Hang up a dialog invite() answered with 200. */
	async bye(dlg) {
		const got = this.response(dlg.callId, '2 BYE');
		await this.raw(this.request('BYE', dlg.number, { callId:
			dlg.callId, cseq: 2, tag: dlg.tag, toTag: dlg.toTag,
			caller: dlg.caller }));
		return got;
	}

	/**
	 * ACK and hang up every INVITE OpenSeat answered 200 that no
	 * invite() holds (e.g. a mangled one it still took); returns how
	 * many.
	 */
	async hangupStray(number) {
		const seen = new Set();
		for (const m of this.received) {
			const id = m.h['call-id'];
			if (m.status !== 200 || !/INVITE$/.test(m.h.cseq || '') ||
				seen.has(id))
				continue;
			seen.add(id);
			const dlg = { number, callId: id,
				tag: /tag=([^;>\s]+)/.exec(m.h.from)?.[1],
				toTag: /tag=([^;>\s]+)/.exec(m.h.to)?.[1],
				caller: /sip:([^@]+)@/.exec(m.h.from)?.[1] };
			await this.raw(this.request('ACK', number, dlg));
			await this.bye(dlg);
		}
		return seen.size;
	}

	/** OPTIONS to OpenSeat; resolves with the response. */
	async options() {
		const callId = `opt-${this.port}-${++this.n}@openseat-test`;
		const got = this.response(callId, '1 OPTIONS');
		await this.raw(this.request('OPTIONS', 'openseat', { callId }));
		return got;
	}

	/** An ordinary audio offer from port (G.711 and telephone-event). */
	static sdp(port, ip = '127.0.0.1') {
		return ['v=0', `o=carrier 1 1 IN IP4 ${ip}`, 's=-',
			`c=IN IP4 ${ip}`, 't=0 0', `m=audio ${port} RTP/AVP 8 0 101`,
			'a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000',
			'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''].join(
			'\r\n');
	}

	close() {
		this.sock.close();
	}
}

/**
 * Run fn (an API change to trunks, numbers or tenants) and wait until
 * the server's SIP routing tables were loaded again after it.
 */
export async function rerouted(stack, fn, timeoutMs = 10000) {
	const from = stack.logs().length;
	const r = await fn();
	const until = Date.now() + timeoutMs;
	while (!/routing tables loaded/.test(stack.logs().slice(from))) {
		if (Date.now() > until)
			throw new Error('routing tables not reloaded');
		await new Promise((res) => setTimeout(res, 20));
	}
	return r;
}

/**
 * The demo tenant as seeded, for call tests: tokens (op, admin, sup),
 * the tenant's id, its trunk (trusting 127.0.0.1), its number's flow,
 * and helpers to add a flow and a routed number (routing reloaded).
 */
export async function demoCalls(stack) {
	const d = { stack };
	d.op = await stack.token(stack.operator);
	d.admin = await stack.token(stack.admin);
	d.sup = await stack.token(stack.supervisor);
	const me = await stack.api('GET', '/api/v1/me', null, d.admin);
	d.tenantId = me.json.tenant_id;
	const n = await stack.api('GET', '/api/v1/numbers?number=4001000100',
		null, d.op);
	d.demoNumber = n.json.items[0];
	const t = await stack.api('GET', '/api/v1/trunks', null, d.op);
	d.trunkId = t.json.items[0].trunk_id;
	d.demoFlowId = d.demoNumber.flow_id;
	d.flow = async (name, graph) => {
		const r = await stack.api('POST', '/api/v1/flows', { name, graph },
			d.admin);
		if (r.status !== 201)
			throw new Error(`flow ${name}: ${r.status} ${r.text}`);
		return r.json.flow_id;
	};
	d.schedule = async (body) => {
		const r = await stack.api('POST', '/api/v1/schedules', body,
			d.admin);
		if (r.status !== 201)
			throw new Error(`schedule: ${r.status} ${r.text}`);
		return r.json.schedule_id;
	};
	/* Assign number (operator) and route it (admin); wait for SIP. */
	d.number = async (number, route, { tenantId = d.tenantId,
		trunkId = null } = {}) => {
		const a = await stack.api('POST', '/api/v1/numbers', { number,
			tenant_id: tenantId, trunk_id: trunkId }, d.op);
		if (a.status !== 201)
			throw new Error(`number ${number}: ${a.status} ${a.text}`);
		if (!route)
			return a.json;
		return rerouted(stack, async () => {
			const r = await stack.api('PATCH',
				`/api/v1/numbers/${a.json.number_id}`, route, d.admin);
			if (r.status !== 200)
				throw new Error(`route ${number}: ${r.status} ${r.text}`);
			return r.json;
		});
	};
	return d;
}

/* A flow that plays prompts and hangs up. */
export const playFlow = (...prompts) => ({ start: 'p', nodes: {
	p: { kind: 'play', prompts, next: 'h' }, h: { kind: 'hangup' } } });

/**
 * Two schedules in Asia/Shanghai (working hours Monday to Friday 09-18,
 * and the weekend) and three flows; 4001000201 is routed weekend →
 * "weekend", working hours → "day", else its own flow "night", so which
 * flow answers depends only on the server's clock. 4001000202 has the
 * weekend route only. Returns the flow ids by name.
 */
export async function hoursFixture(d) {
	const work = await d.schedule({ name: '工作时间',
		timezone: 'Asia/Shanghai', weekly: [{ days: [1, 2, 3, 4, 5],
			from: '09:00', to: '18:00' }] });
	const weekend = await d.schedule({ name: '周末',
		timezone: 'Asia/Shanghai', weekly: [{ days: [6, 7], from: '00:00',
			to: '24:00' }] });
	const f = {
		day: await d.flow('白天', playFlow('builtin/beep')),
		night: await d.flow('夜间', playFlow('builtin/beep')),
		weekend: await d.flow('周末', playFlow('builtin/beep')),
	};
	await d.number('4001000201', { flow_id: f.night, routes: [
		{ schedule_id: weekend, flow_id: f.weekend },
		{ schedule_id: work, flow_id: f.day }] });
	await d.number('4001000202', { flow_id: f.night, routes: [
		{ schedule_id: weekend, flow_id: f.weekend }] });
	return f;
}

/** Wait for sipp to end its scenario successfully (else throw why). */
export async function sipOk(call) {
	const r = await call.done;
	if (r.code !== 0) {
		throw new Error(`sipp exit ${r.code}: ${r.stderr.slice(-2000)}` +
			r.stdout.slice(-1000));
	}
	return r;
}
