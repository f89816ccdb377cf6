// The browser softphone shared by the agent and supervisor consoles: the
// microphone (asked for once, kept), device pickers, one
// RTCPeerConnection per call whose SDP goes over the console's WebSocket
// (docs/WEBSOCKET.md), a microphone level meter, call statistics and a
// ringing tone made with WebAudio.

/* How long an offer waits for ICE gathering; host candidates on a LAN
 * come in milliseconds, so this only bounds a broken network stack. */
const GATHER_MS = 3000;
const LEVEL_MS = 100;

/* The Chinese ringback cadence: 450 Hz, one second on, four off. */
const RING_HZ = 450;
const RING_ON_S = 1;
const RING_PERIOD_S = 5;

/**
 * A quality hint from the server's call.quality numbers and/or getStats:
 * 'good', 'fair' or 'poor' (ITU-T G.114 and the usual loss limits).
 */
export function qualityOf({ loss_pct: loss = 0, jitter_ms: jitter = 0,
	rtt_ms: rtt = 0 } = {}) {
	if (loss >= 5 || jitter >= 60 || rtt >= 400)
		return 'poor';
	if (loss >= 1 || jitter >= 30 || rtt >= 250)
		return 'fair';
	return 'good';
}

/** A user-facing reason for a getUserMedia failure (an i18n key). */
export function micErrorKey(err) {
	switch (err?.name) {
	case 'NotAllowedError':
	case 'SecurityError':
		return 'rtc.mic_denied';
	case 'NotFoundError':
	case 'OverconstrainedError':
		return 'rtc.mic_missing';
	case 'NotReadableError':
	case 'AbortError':
		return 'rtc.mic_busy';
	default:
		return window.isSecureContext ? 'rtc.mic_failed' :
			'rtc.insecure';
	}
}

export class Softphone {
	/**
	 * onState(state): 'idle', 'connecting', 'connected', 'failed',
	 * 'closed' (the RTCPeerConnection's), onLevel(0..1): the microphone
	 * level about ten times a second, onQuality(hint, numbers).
	 */
	constructor({ onState, onLevel, onQuality, audio } = {}) {
		this.onState = onState || (() => {});
		this.onLevel = onLevel || (() => {});
		this.onQuality = onQuality || (() => {});
		this.stream = null;
		this.pc = null;
		this.micId = '';
		this.speakerId = '';
		this.muted = false;
		this.state = 'idle';
		this.ctx = null;
		this.meter = null;
		this.ring = null;
		/* Chromium decodes received audio only for a playing element */
		this.audio = audio || document.createElement('audio');
		this.audio.autoplay = true;
		if (!this.audio.isConnected) {
			this.audio.hidden = true;
			document.body.append(this.audio);
		}
	}

	setState(s) {
		if (s === this.state)
			return;
		this.state = s;
		this.onState(s);
	}

	/* One AudioContext for the meter and the ring; browsers start it
	 * suspended until a user gesture, so unlock() is called on clicks. */
	audioContext() {
		if (!this.ctx) {
			const Ctx = window.AudioContext || window.webkitAudioContext;
			this.ctx = Ctx ? new Ctx() : null;
		}
		return this.ctx;
	}

	/** Resume audio after a user gesture (ring and meter need it). */
	unlock() {
		const ctx = this.audioContext();
		if (ctx && ctx.state === 'suspended')
			ctx.resume().catch(() => {});
		if (this.audio.srcObject)
			this.audio.play().catch(() => {});
	}

	/**
	 * The microphone, asked for once and kept for the session.
	 * @return the MediaStream; rejects with the browser's error.
	 */
	async ensureMic() {
		const live = this.stream?.getAudioTracks()
			.some((t) => t.readyState === 'live');
		if (live)
			return this.stream;
		if (!navigator.mediaDevices?.getUserMedia) {
			const e = new Error('getUserMedia unavailable');
			e.name = 'SecurityError';
			throw e;
		}
		const audio = { echoCancellation: true, noiseSuppression: true,
			autoGainControl: true };
		if (this.micId)
			audio.deviceId = { exact: this.micId };
		this.stream = await navigator.mediaDevices.getUserMedia({ audio });
		this.applyMute();
		this.startMeter();
		return this.stream;
	}

	/** {mics, speakers}: [{deviceId, label}] (labels after permission). */
	async listDevices() {
		const all = await navigator.mediaDevices.enumerateDevices();
		const pick = (kind) => all.filter((d) => d.kind === kind)
			.map((d, i) => ({ deviceId: d.deviceId,
				label: d.label || `${kind} ${i + 1}` }));
		return { mics: pick('audioinput'), speakers: pick('audiooutput'),
			canPickSpeaker: typeof this.audio.setSinkId === 'function' };
	}

	/** Use another microphone, also in the call in progress. */
	async setMic(deviceId) {
		this.micId = deviceId || '';
		const old = this.stream;
		this.stream = null;
		await this.ensureMic();
		const track = this.stream.getAudioTracks()[0];
		for (const s of this.pc?.getSenders() || []) {
			if (s.track?.kind === 'audio' || !s.track)
				await s.replaceTrack(track);
		}
		for (const t of old?.getTracks() || [])
			t.stop();
	}

	/** Play the call (and the ring) on another output device. */
	async setSpeaker(deviceId) {
		this.speakerId = deviceId || '';
		if (typeof this.audio.setSinkId === 'function')
			await this.audio.setSinkId(this.speakerId);
		if (this.ctx && typeof this.ctx.setSinkId === 'function')
			await this.ctx.setSinkId(this.speakerId).catch(() => {});
	}

	startMeter() {
		const ctx = this.audioContext();
		if (!ctx || !this.stream)
			return;
		this.stopMeter();
		const src = ctx.createMediaStreamSource(this.stream);
		const an = ctx.createAnalyser();
		an.fftSize = 1024;
		src.connect(an);
		const buf = new Float32Array(an.fftSize);
		const timer = setInterval(() => {
			an.getFloatTimeDomainData(buf);
			let s = 0;
			for (const v of buf)
				s += v * v;
			/* RMS of full scale sine is 0.707: scale so speech fills
			 * the bar without pinning it */
			const rms = Math.sqrt(s / buf.length);
			this.onLevel(this.muted ? 0 : Math.min(1, rms * 4));
		}, LEVEL_MS);
		this.meter = { src, an, timer };
	}

	stopMeter() {
		if (!this.meter)
			return;
		clearInterval(this.meter.timer);
		this.meter.src.disconnect();
		this.meter = null;
	}

	/**
	 * A new RTCPeerConnection with the microphone, its offer once ICE
	 * gathering is complete (host candidates only: the server is
	 * ICE-lite on a reachable address).
	 * @return the SDP offer as a string.
	 */
	async offer() {
		await this.ensureMic();
		this.closePc();
		const pc = new RTCPeerConnection({ iceServers: [],
			bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
		this.pc = pc;
		for (const t of this.stream.getAudioTracks())
			pc.addTrack(t, this.stream);
		pc.addEventListener('track', (ev) => {
			this.audio.srcObject = ev.streams[0] ||
				new MediaStream([ev.track]);
			this.audio.play().catch(() => {});
		});
		pc.addEventListener('connectionstatechange', () => {
			if (this.pc !== pc)
				return;
			const s = pc.connectionState;
			if (s === 'connected')
				this.setState('connected');
			else if (s === 'failed')
				this.setState('failed');
			else if (s === 'disconnected' || s === 'closed')
				this.setState(s);
		});
		this.setState('connecting');
		await pc.setLocalDescription(await pc.createOffer());
		await gathered(pc);
		if (this.pc !== pc)
			throw new Error('closed while gathering');
		return pc.localDescription.sdp;
	}

	/** The server's answer to the last offer. */
	async accept(answerSdp) {
		if (!this.pc)
			throw new Error('no offer to answer');
		await this.pc.setRemoteDescription({ type: 'answer',
			sdp: answerSdp });
	}

	/** Mute or unmute the microphone (the call goes on). */
	mute(on) {
		this.muted = !!on;
		this.applyMute();
	}

	applyMute() {
		for (const t of this.stream?.getAudioTracks() || [])
			t.enabled = !this.muted;
	}

	closePc() {
		const pc = this.pc;
		this.pc = null;
		if (pc)
			pc.close();
		this.audio.srcObject = null;
	}

	/** End the call's media; the microphone stays granted. */
	close() {
		this.closePc();
		this.mute(false);
		this.setState('idle');
	}

	/** Release everything (the page goes away). */
	destroy() {
		this.close();
		this.ringStop();
		this.stopMeter();
		for (const t of this.stream?.getTracks() || [])
			t.stop();
		this.stream = null;
		this.ctx?.close().catch(() => {});
		this.ctx = null;
	}

	/**
	 * The call's audio statistics: {packetsReceived, packetsLost,
	 * jitter (s), audioLevel (0..1, received), bytesSent, roundTripTime}.
	 */
	async stats() {
		const out = { packetsReceived: 0, packetsLost: 0, jitter: 0,
			audioLevel: 0, bytesSent: 0, roundTripTime: 0 };
		if (!this.pc)
			return out;
		const report = await this.pc.getStats();
		report.forEach((r) => {
			if (r.type === 'inbound-rtp' && r.kind === 'audio') {
				out.packetsReceived += r.packetsReceived || 0;
				out.packetsLost += r.packetsLost || 0;
				out.jitter = Math.max(out.jitter, r.jitter || 0);
				out.audioLevel = Math.max(out.audioLevel,
					r.audioLevel || 0);
			} else if (r.type === 'outbound-rtp' && r.kind === 'audio') {
				out.bytesSent += r.bytesSent || 0;
			} else if (r.type === 'remote-inbound-rtp' &&
				r.kind === 'audio') {
				out.roundTripTime = r.roundTripTime || 0;
			}
		});
		return out;
	}

	/**
	 * Judge the call from the server's call.quality message, or from
	 * getStats when there is none; onQuality(hint, numbers).
	 */
	async quality(serverMsg) {
		let q = serverMsg;
		if (!q) {
			const s = await this.stats();
			const total = s.packetsReceived + s.packetsLost;
			q = { loss_pct: total ? 100 * s.packetsLost / total : 0,
				jitter_ms: s.jitter * 1000,
				rtt_ms: s.roundTripTime * 1000 };
		}
		const hint = qualityOf(q);
		this.onQuality(hint, q);
		return hint;
	}

	/** Ring (until ringStop): a tone made here, no file to load. */
	ringStart() {
		const ctx = this.audioContext();
		if (!ctx || this.ring)
			return;
		if (ctx.state === 'suspended')
			ctx.resume().catch(() => {});
		const osc = ctx.createOscillator();
		const gain = ctx.createGain();
		osc.frequency.value = RING_HZ;
		gain.gain.value = 0;
		osc.connect(gain).connect(ctx.destination);
		osc.start();
		/* schedule a few cadences ahead, topped up by a timer */
		let next = ctx.currentTime + 0.05;
		const plan = () => {
			while (next < ctx.currentTime + 2 * RING_PERIOD_S) {
				gain.gain.setValueAtTime(0, next);
				gain.gain.linearRampToValueAtTime(0.2, next + 0.02);
				gain.gain.setValueAtTime(0.2, next + RING_ON_S - 0.02);
				gain.gain.linearRampToValueAtTime(0, next + RING_ON_S);
				next += RING_PERIOD_S;
			}
		};
		plan();
		this.ring = { osc, gain, timer: setInterval(plan, 1000) };
	}

	ringStop() {
		if (!this.ring)
			return;
		clearInterval(this.ring.timer);
		try {
			this.ring.osc.stop();
		} catch {
			/* never started */
		}
		this.ring.osc.disconnect();
		this.ring.gain.disconnect();
		this.ring = null;
	}

	/** True while the ring tone plays. */
	get ringing() {
		return !!this.ring;
	}
}

/* Resolves when ICE gathering is complete, or after GATHER_MS with the
 * candidates found so far. */
function gathered(pc) {
	if (pc.iceGatheringState === 'complete')
		return Promise.resolve();
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			pc.removeEventListener('icegatheringstatechange', check);
			resolve();
		};
		const check = () => {
			if (pc.iceGatheringState === 'complete')
				done();
		};
		const timer = setTimeout(done, GATHER_MS);
		pc.addEventListener('icegatheringstatechange', check);
	});
}
