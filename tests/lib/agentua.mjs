// An agent's phone in the test itself: a SIP UA on UDP that answers
// OpenSeat's INVITE with an RtpPeer of its own, so a test decides what
// the agent says (RtpPeer.speak) and hears. It registers through sipp
// (registerPhone with contactPort: this UA's port).
import dgram from 'node:dgram';
import { RtpPeer } from './sip.mjs';
import { registerPhone } from './agentphone.mjs';

const hdr = (msg, name) => {
	const m = msg.match(new RegExp(`^${name}:\\s*(.*)$`, 'mi'));
	return m ? m[1].trim() : '';
};

export class AgentUa {
	/**
	 * Register user and answer INVITEs after ringMs; hang up talkMs
	 * after the answer (0: never). onAnswer(rtp) runs once the call is
	 * up.
	 */
	static async open(t, { user, secret, ringMs = 100, talkMs = 0,
		onAnswer = null }) {
		const ua = await AgentUa.unregistered({ ringMs, talkMs });
		ua.onAnswer = onAnswer;
		ua.reg = await registerPhone({ sipPort: t.s.sipPort, user, secret,
			contactPort: ua.port });
		return ua;
	}

	/** A phone reached by its address alone (an outside number the
	 * trunk dials): answers as open()'s does, registers nowhere. */
	static async unregistered({ ringMs = 100, talkMs = 0 } = {}) {
		const ua = new AgentUa();
		await new Promise((res, rej) => {
			ua.sock.once('error', rej);
			ua.sock.bind(0, '127.0.0.1', res);
		});
		ua.port = ua.sock.address().port;
		ua.ringMs = ringMs;
		ua.talkMs = talkMs;
		ua.onAnswer = null;
		return ua;
	}

	constructor() {
		this.sock = dgram.createSocket('udp4');
		this.sock.on('message', (m, r) => this.onMessage(m.toString(), r));
		this.calls = 0;
		this.dialog = null;
		this.rtp = null;
		this.waiters = [];
	}

	registered() {
		return this.reg.registered();
	}

	send(text, r) {
		this.sock.send(Buffer.from(text), r.port, r.address);
	}

	response(req, code, reason, extra = '', body = '') {
		const lines = ['Via', 'From', 'Call-ID', 'CSeq'].map((h) =>
			`${h}: ${hdr(req, h)}`);
		let to = hdr(req, 'To');
		if (!/;tag=/.test(to))
			to += ';tag=agentua';
		return `SIP/2.0 ${code} ${reason}\r\n${lines.join('\r\n')}\r\n` +
			`To: ${to}\r\nContact: <sip:agent@127.0.0.1:${this.port}>\r\n` +
			`${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
	}

	async onMessage(msg, r) {
		const method = msg.split(' ', 1)[0];
		if (method === 'INVITE')
			return this.onInvite(msg, r);
		if (method === 'ACK' && this.dialog && !this.dialog.up) {
			this.dialog.up = true;
			this.onAnswer?.(this.rtp);
			if (this.talkMs)
				this.dialog.tmr = setTimeout(() => this.hangup(), this.talkMs);
			this.wake();
			return undefined;
		}
		if (method === 'BYE') {
			this.send(this.response(msg, 200, 'OK'), r);
			this.end();
			return undefined;
		}
		if (method === 'OPTIONS' || method === 'CANCEL')
			this.send(this.response(msg, 200, 'OK'), r);
		return undefined;
	}

	async onInvite(msg, r) {
		if (this.dialog) {
			this.send(this.response(msg, 486, 'Busy Here'), r);
			return;
		}
		this.calls++;
		this.rtp = await RtpPeer.open();
		this.dialog = { req: msg, r, up: false, contact:
			hdr(msg, 'Contact').replace(/^.*<|>.*$/g, '') };
		this.send(this.response(msg, 180, 'Ringing'), r);
		await new Promise((res) => setTimeout(res, this.ringMs));
		const sdp = 'v=0\r\no=agent 1 1 IN IP4 127.0.0.1\r\ns=-\r\n' +
			'c=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
			`m=audio ${this.rtp.port} RTP/AVP 0 101\r\n` +
			'a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n';
		this.send(this.response(msg, 200, 'OK',
			'Content-Type: application/sdp\r\n', sdp), r);
	}

	/** The agent hangs up (BYE to OpenSeat). */
	hangup() {
		const d = this.dialog;
		if (!d)
			return;
		const [, host, port] = d.contact.match(/@?([\d.]+):(\d+)/) ?? [];
		const bye = `BYE ${d.contact} SIP/2.0\r\n` +
			`Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK-${
				Date.now()}\r\n` +
			`From: ${hdr(d.req, 'To')};tag=agentua\r\n` +
			`To: ${hdr(d.req, 'From')}\r\nCall-ID: ${hdr(d.req, 'Call-ID')}\r\n` +
			'CSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
		this.send(bye, { address: host ?? d.r.address,
			port: Number(port ?? d.r.port) });
		this.end();
	}

	end() {
		if (!this.dialog)
			return;
		clearTimeout(this.dialog.tmr);
		this.dialog = null;
		this.rtp?.close();
		this.wake();
	}

	wake() {
		this.waiters = this.waiters.filter((w) => !w());
	}

	/** Resolves once pred() holds (checked on each dialog change). */
	until(pred, timeoutMs = 15000) {
		return new Promise((resolve, reject) => {
			if (pred())
				return resolve();
			const tm = setTimeout(() => reject(new Error('agent UA: ' +
				`not in ${timeoutMs} ms`)), timeoutMs);
			this.waiters.push(() => {
				if (!pred())
					return false;
				clearTimeout(tm);
				resolve();
				return true;
			});
			return undefined;
		});
	}

	async stop() {
		this.end();
		await this.reg?.stop();
		this.sock.close();
	}
}
