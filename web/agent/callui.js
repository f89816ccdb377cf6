// The call cards: ringing (screen pop, answer / reject), in a call
// (hang up, hold, mute, keypad, transfer, timer, quality) and after it
// (disposition and wrap-up). Signalling goes over the console's
// WebSocket; media through the shared softphone.
import { hasKey, onLocaleChange, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { toast } from '../common/shell.js';
import { ctiItems } from './cti.js';
import { clock } from './statebar.js';
import { Transfer } from './transfer.js';
import { Consult } from './consult.js';

const $ = (id) => document.getElementById(id);
const QUALITY_STALE_MS = 7000;
const EXTEND_S = 60;

export class CallUi {
	constructor(ctx) {
		this.ctx = ctx;
		this.call = null;
		this.wrap = null;
		this.transfer = new Transfer(ctx, () => this.call);
		this.consult = new Consult(ctx, () => this.call, () =>
			this.render());
		$('btn-answer').addEventListener('click', () => this.answer());
		$('btn-reject').addEventListener('click', () => this.reject());
		$('btn-hangup').addEventListener('click', () => this.hangup());
		$('btn-hold').addEventListener('click', () => this.hold());
		$('btn-mute').addEventListener('click', () => this.mute());
		$('btn-record').addEventListener('click', () => this.record());
		$('btn-keypad').addEventListener('click', () => this.toggleKeypad());
		$('btn-transfer').addEventListener('click', () =>
			this.transfer.toggle());
		$('wrap-form').addEventListener('submit', (e) => {
			e.preventDefault();
			this.saveWrap();
		});
		$('wrap-end').addEventListener('click', () => this.wrapAction('end'));
		$('wrap-extend').addEventListener('click', () =>
			this.wrapAction('extend'));
		$('wrap-notes').addEventListener('input', () => {
			$('wrap-count').textContent = $('wrap-notes').value.length;
		});
		for (const k of '123456789*0#') {
			const b = document.createElement('button');
			b.type = 'button';
			b.textContent = k;
			b.dataset.digit = k;
			b.addEventListener('click', () => this.dtmf(k));
			$('keys').append(b);
		}
		setInterval(() => this.tick(), 1000);
		onLocaleChange(() => this.render());
	}

	get ringing() {
		return this.call?.phase === 'ringing';
	}

	get talking() {
		return !!this.call && this.call.phase !== 'ringing';
	}

	fail(err) {
		this.ctx.showError(err);
	}

	/* --- ringing --- */

	/* A new call starts with the panels of the last one closed. */
	resetPanels() {
		$('keypad').hidden = true;
		$('btn-keypad').setAttribute('aria-expanded', 'false');
		$('dtmf-sent').textContent = '';
		$('consult-box').hidden = true;
		$('btn-consult').setAttribute('aria-expanded', 'false');
		$('consult-number').value = '';
		this.transfer.close();
	}

	onOffer(m) {
		if (this.call && this.call.id !== m.call_id &&
			this.call.phase !== 'ringing')
			return;
		this.closeWrap();
		this.resetPanels();
		this.call = { id: m.call_id, info: m, phase: 'ringing',
			offeredAt: Date.now(), held: false, muted: false };
		this.ctx.clearError();
		this.ctx.phone?.ringStart();
		this.render();
		this.notify(m);
	}

	notify(m) {
		document.title = `☎ ${m.caller || ''} · ${t('agent.incoming')}`;
		if (document.hidden && window.Notification?.permission ===
			'granted') {
			const n = new Notification(t('agent.incoming'), {
				body: m.caller || '', tag: m.call_id });
			n.onclick = () => window.focus();
		}
	}

	async answer() {
		const c = this.call;
		if (!c || c.phase !== 'ringing')
			return;
		c.phase = 'answering';
		this.ctx.phone.ringStop();
		this.render();
		try {
			const sdp = await this.ctx.phone.offer();
			const r = await this.ctx.rpc('call.answer', { call_id: c.id,
				sdp });
			await this.ctx.phone.accept(r.sdp);
			if (this.call === c && c.phase === 'answering')
				c.phase = 'connecting';
		} catch (err) {
			if (this.call === c) {
				this.ctx.phone.close();
				this.call = null;
			}
			this.fail(err);
		}
		this.render();
	}

	async reject() {
		const c = this.call;
		if (!c || c.phase !== 'ringing')
			return;
		this.ctx.phone.ringStop();
		this.call = null;
		this.render();
		try {
			await this.ctx.rpc('call.reject', { call_id: c.id });
		} catch (err) {
			this.fail(err);
		}
	}

	onCancel(m) {
		if (this.call?.id !== m.call_id)
			return;
		this.ctx.phone.ringStop();
		this.ctx.phone.close();
		this.call = null;
		this.render();
		const k = `agent.cancel.${m.reason}`;
		toast(hasKey(k) ? t(k) : t('agent.cancel.other'));
	}

	/* --- in the call --- */

	onConnected(m) {
		const c = this.call;
		if (c?.id !== m.call_id)
			return;
		c.phase = 'talking';
		c.connectedAt = c.connectedAt || Date.now();
		c.codec = m.codec || '';
		this.render();
	}

	/** Click to dial: the customer's phone rings. */
	onDialing(m) {
		if (this.call?.id === m.call_id)
			this.call.phase = 'dialing';
		this.render();
	}

	onMediaFailed(m) {
		if (this.call?.id !== m.call_id)
			return;
		this.ctx.showError(t('agent.err.media_failed'));
		if (this.call.phase !== 'talking') {
			this.ctx.phone.close();
			this.call = null;
		}
		this.render();
	}

	onQuality(m) {
		const c = this.call;
		if (c?.id !== m.call_id)
			return;
		c.qualityAt = Date.now();
		this.ctx.phone.quality(m);
	}

	showQuality(hint, q) {
		const box = $('call-quality');
		box.dataset.q = hint;
		box.textContent = t(`agent.q.${hint}`);
		box.title = t('agent.q.detail', {
			loss: (q.loss_pct ?? 0).toFixed(1),
			jitter: Math.round(q.jitter_ms ?? 0),
			rtt: Math.round(q.rtt_ms ?? 0) });
	}

	async hangup() {
		const c = this.call;
		if (!this.talking)
			return;
		try {
			await this.ctx.rpc('call.hangup', { call_id: c.id });
		} catch (err) {
			this.fail(err);
		}
	}

	async hold() {
		const c = this.call;
		if (!c || c.phase !== 'talking')
			return;
		const on = !c.held;
		$('btn-hold').disabled = true;
		try {
			await this.ctx.rpc('call.hold', { call_id: c.id, hold: on });
			c.held = on;
		} catch (err) {
			this.fail(err);
		}
		$('btn-hold').disabled = false;
		this.render();
	}

	/* Pause the recording while the caller reads out a card number. A
	 * call that is not recorded says so once and loses the button. */
	async record() {
		const c = this.call;
		if (!c || c.phase !== 'talking' || c.unrecorded)
			return;
		const pause = !c.recPaused;
		$('btn-record').disabled = true;
		try {
			await this.ctx.rpc('call.record', { call_id: c.id,
				action: pause ? 'pause' : 'resume' });
			c.recPaused = pause;
		} catch (err) {
			if (err.code === 'not_recorded') {
				c.unrecorded = true;
				toast(t('agent.record_none'));
			} else {
				this.fail(err);
			}
		}
		$('btn-record').disabled = false;
		this.render();
	}

	mute() {
		const c = this.call;
		if (!c || !this.ctx.isWebrtc())
			return;
		c.muted = !c.muted;
		this.ctx.phone.mute(c.muted);
		this.render();
	}

	toggleKeypad() {
		const pad = $('keypad');
		pad.hidden = !pad.hidden;
		$('btn-keypad').setAttribute('aria-expanded', String(!pad.hidden));
	}

	get keypadOpen() {
		return !$('keypad').hidden;
	}

	async dtmf(digit) {
		const c = this.call;
		if (!c || c.phase !== 'talking')
			return;
		try {
			await this.ctx.rpc('call.dtmf', { call_id: c.id,
				digits: digit });
			$('dtmf-sent').textContent = ($('dtmf-sent').textContent +
				digit).slice(-24);
		} catch (err) {
			this.fail(err);
		}
	}

	onEnded(m) {
		const c = this.call;
		if (c?.id !== m.call_id)
			return;
		this.ctx.phone.close();
		this.call = null;
		this.openWrap({ id: c.id, info: c.info, cause: m.cause,
			talkedMs: c.connectedAt ? Date.now() - c.connectedAt : 0 });
		/* the agent knows it hung up; anything else is said */
		const k = `agent.ended.${m.cause}`;
		if (m.cause && m.cause !== 'agent_hangup' && !c.transferred)
			toast(hasKey(k) ? t(k) : t('agent.ended.ended'));
		this.ctx.history.reload();
	}

	/**
	 * Take up a call the server says is ours (after a reload, or a SIP
	 * phone's call): read it from the call log for the screen pop.
	 */
	async adopt(callId, phase) {
		if (this.call?.id === callId)
			return this.call;
		const c = { id: callId, info: { call_id: callId }, phase,
			held: false, muted: false, connectedAt: Date.now() };
		this.resetPanels();
		this.call = c;
		this.render();
		try {
			const d = await this.callFromLog(c);
			const ans = (d.events || []).find((e) =>
				e.type === 'call.answered');
			c.info = { ...c.info, caller: d.caller, number: d.number,
				number_label: d.number_label, ivr_path: d.ivr_path,
				queue: { queue_id: d.queue_id,
					label: this.ctx.queueName(d.queue_id) } };
			if (d.connected_at)
				c.connectedAt = Date.parse(d.connected_at) || c.connectedAt;
			if (ans?.data?.waited_ms !== undefined)
				c.info.waited_ms = ans.data.waited_ms;
		} catch {
			/* the card shows the call without its facts */
		}
		this.render();
		return c;
	}

	/*
	 * The call's row in the call log. It is written as the call starts
	 * but lands asynchronously (later still on a busy server), and a
	 * SIP phone can answer first: a live call not found yet (404) or a
	 * busy server (503) is asked again, for a while, while it is ours.
	 */
	async callFromLog(c) {
		const path = `/calls/${encodeURIComponent(c.id)}`;
		for (let wait = 200; ; wait *= 2) {
			try {
				return await api('GET', path);
			} catch (err) {
				if (wait > 6400 || this.call !== c ||
					![404, 503].includes(err.status))
					throw err;
			}
			await new Promise((r) => setTimeout(r, wait));
		}
	}

	/** After a reload in a call: a new offer replaces the media. */
	async reconnect(callId) {
		const c = await this.adopt(callId, 'connecting');
		try {
			const sdp = await this.ctx.phone.offer();
			const r = await this.ctx.rpc('call.reconnect', { call_id:
				callId, sdp });
			await this.ctx.phone.accept(r.sdp);
			if (this.call === c)
				c.phase = 'talking';
		} catch (err) {
			this.fail(err);
		}
		this.render();
	}

	/** The agent's state changed: a call we did not know of, or gone. */
	onState(st) {
		const c = this.call;
		if (st.state === 'on_call' && st.callId && !c &&
			!this.ctx.isWebrtc())
			this.adopt(st.callId, 'talking');
		else if (c && !this.ctx.isWebrtc() && st.state !== 'on_call' &&
			st.state !== 'ringing')
			this.onEnded({ call_id: c.id });
		if (st.state === 'wrap_up' && !this.wrap && st.callId && !c)
			this.openWrap({ id: st.callId });
		this.paintWrapButtons();
		this.render();
	}

	/* --- after the call --- */

	openWrap(w) {
		this.wrap = { ...w, openedAt: Date.now(), saved: false };
		$('wrap-form').reset();
		$('wrap-count').textContent = '0';
		$('wrap-error').hidden = true;
		$('wrap-saved').hidden = true;
		this.ctx.wrapCodes.paint();
		this.render();
	}

	closeWrap() {
		this.wrap = null;
	}

	async saveWrap() {
		const w = this.wrap;
		const code = this.ctx.wrapCodes.value();
		const notes = $('wrap-notes').value;
		const err = document.querySelector('[data-error-for="code"]');
		err.textContent = code ? '' : t('agent.wrap.code_required');
		this.ctx.wrapCodes.control().setAttribute('aria-invalid',
			String(!code));
		if (!w || !code)
			return;
		$('wrap-save').disabled = true;
		$('wrap-error').hidden = true;
		try {
			await this.ctx.rpc('call.disposition', { call_id: w.id, code,
				...(notes ? { notes } : {}) });
			w.saved = true;
			$('wrap-saved').hidden = false;
			this.ctx.history.reload();
			if (this.ctx.statebar.state.state !== 'wrap_up') {
				this.closeWrap();
				toast(t('agent.wrap.saved'));
			}
		} catch (e) {
			$('wrap-error').textContent = this.ctx.errorText(e);
			$('wrap-error').hidden = false;
		}
		$('wrap-save').disabled = false;
		this.render();
	}

	async wrapAction(action) {
		if (this.ctx.statebar.state.state !== 'wrap_up') {
			/* wrap-up is over: the button only closes the card */
			this.closeWrap();
			this.render();
			return;
		}
		const body = action === 'extend' ? { action, seconds: EXTEND_S } :
			{ action };
		try {
			this.ctx.statebar.apply(await api('POST', `/agents/${
				this.ctx.agentId}/wrap-up`, body));
			/* ending it by hand is done with the call; a wrap-up
			 * that times out keeps the card to save the outcome */
			if (action === 'end')
				this.closeWrap();
		} catch (err) {
			this.fail(err);
		}
		this.render();
	}

	paintWrapButtons() {
		const inWrap = this.ctx.statebar.state.state === 'wrap_up';
		$('wrap-end').textContent = t(inWrap ? 'agent.wrap.end' :
			'agent.wrap.close');
		$('wrap-extend').hidden = !inWrap;
	}

	/* --- drawing --- */

	tick() {
		const c = this.call;
		if (c?.phase === 'talking' && c.connectedAt)
			$('call-timer').textContent = clock(Date.now() - c.connectedAt);
		if (c?.phase === 'ringing') {
			const left = c.info.ring_timeout_s ? Math.max(0, Math.ceil(
				c.info.ring_timeout_s - (Date.now() - c.offeredAt) / 1000)) :
				null;
			$('ring-countdown').textContent = left === null ? '' :
				t(c.info.consult ? 'agent.consult.ring_left' :
					'agent.ring_left', { s: left });
			const waited = $('cti-waited');
			if (waited && c.info.waited_ms !== undefined)
				waited.textContent = clock(c.info.waited_ms + Date.now() -
					c.offeredAt);
		}
		if (c?.phase === 'talking' && this.ctx.isWebrtc() &&
			Date.now() - (c.qualityAt || c.connectedAt) > QUALITY_STALE_MS)
			this.ctx.phone.quality().catch(() => {});
		if (this.wrap && this.ctx.statebar.state.state === 'wrap_up')
			$('wrap-timer').textContent = clock(Date.now() -
				this.ctx.statebar.state.since);
		else
			$('wrap-timer').textContent = '';
	}

	render() {
		const c = this.call;
		const ringing = c?.phase === 'ringing';
		$('ring-card').hidden = !ringing;
		$('call-card').hidden = !c || ringing;
		$('wrap-card').hidden = !this.wrap || (!!c && !ringing);
		$('idle-card').hidden = !!c || !!this.wrap;
		if (!ringing)
			this.ctx.phone?.ringStop();
		if (!c || !ringing)
			document.title = `${t('agent.title')} · ${t('app.name')}`;
		if (ringing) {
			$('ring-vip').hidden = !c.info.vip;
			$('ring-cti').replaceChildren(...ctiItems(c.info,
				c.info.waited_ms));
		} else if (c) {
			this.renderCall(c);
		}
		if (this.wrap)
			this.renderWrap();
		this.consult.paint();
		this.ctx.dialer?.paint();
		this.ctx.renderIdle();
		this.tick();
	}

	renderCall(c) {
		const rtc = this.ctx.isWebrtc();
		$('call-title').textContent = c.info.caller ||
			t('agent.cti.anonymous');
		$('call-vip').hidden = !c.info.vip;
		$('call-phase').textContent = t(c.held ? 'agent.phase.held' :
			`agent.phase.${c.phase}`);
		$('call-phase').dataset.phase = c.held ? 'held' : c.phase;
		$('call-card').dataset.phase = c.phase;
		if ($('call-cti').dataset.callId !== c.id || c.infoChanged !==
			c.info) {
			$('call-cti').dataset.callId = c.id;
			c.infoChanged = c.info;
			$('call-cti').replaceChildren(...ctiItems(c.info,
				c.info.waited_ms));
		}
		const live = c.phase === 'talking';
		$('btn-hold').disabled = !live;
		$('btn-hold').setAttribute('aria-pressed', String(c.held));
		$('btn-hold').textContent = t(c.held ? 'agent.unhold' :
			'agent.hold');
		$('btn-record').hidden = !!c.unrecorded;
		$('btn-record').disabled = !live;
		$('btn-record').setAttribute('aria-pressed', String(!!c.recPaused));
		$('btn-record').textContent = t(c.recPaused ?
			'agent.record_resume' : 'agent.record_pause');
		$('btn-mute').hidden = !rtc;
		$('btn-mute').setAttribute('aria-pressed', String(c.muted));
		$('btn-mute').textContent = t(c.muted ? 'agent.unmute' :
			'agent.mute');
		$('btn-keypad').disabled = !live;
		$('btn-transfer').disabled = !live;
		$('btn-hangup').disabled = c.phase === 'answering';
		$('call-quality').hidden = !rtc || !live;
		if (!live)
			$('call-timer').textContent = '00:00';
	}

	renderWrap() {
		const w = this.wrap;
		const who = w.info?.caller || '';
		$('wrap-call').textContent = t('agent.wrap.call', { caller: who ||
			t('agent.cti.anonymous'), talk: clock(w.talkedMs || 0) });
		this.paintWrapButtons();
	}
}
