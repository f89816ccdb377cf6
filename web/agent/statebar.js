// The state bar: the agent's state and time in it, ready / not ready with
// a reason, sign-out of the shift, and the softphone's devices and meter.
import { getLocale, hasKey, onLocaleChange, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { el } from '../common/shell.js';
import { micErrorKey } from '../common/rtc.js';

const $ = (id) => document.getElementById(id);

/* A server time more than a day off is a clock we cannot trust. */
const DAY_MS = 864e5;

export function clock(ms) {
	const s = Math.max(0, Math.floor(ms / 1000));
	const h = Math.floor(s / 3600);
	const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
	const ss = String(s % 60).padStart(2, '0');
	return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export const stateText = (s) => (hasKey(`agent.state.${s}`) ?
	t(`agent.state.${s}`) : s);

export const reasonText = (r) => (r && hasKey(`agent.reason.${r}`) ?
	t(`agent.reason.${r}`) : r || '');

export class StateBar {
	constructor(ctx) {
		this.ctx = ctx;
		this.state = { state: 'logged_out', reason: '', since: Date.now(),
			callId: null };
		this.listeners = new Set();
		this.reasons = [];
		$('btn-ready').addEventListener('click', () => this.set('ready'));
		$('btn-notready').addEventListener('click', () =>
			this.set('not_ready', $('reason-select').value || undefined));
		$('btn-signout').addEventListener('click', () =>
			this.set('logged_out'));
		$('mic-select').addEventListener('change', (e) =>
			this.pickMic(e.target.value));
		$('speaker-select').addEventListener('change', (e) =>
			this.pickSpeaker(e.target.value));
		$('mic-test').addEventListener('click', () => this.allowMic());
		$('devices').addEventListener('toggle', () => {
			if ($('devices').open)
				this.fillDevices();
		});
		setInterval(() => this.tick(), 1000);
		onLocaleChange(() => this.paint());
	}

	/** Call fn(state) on every change of the agent's state. */
	onChange(fn) {
		this.listeners.add(fn);
	}

	/** Take a state from the server (REST answer, event, softphone.ok). */
	apply({ state, reason, since_ms: sinceMs, at_ms: atMs, call_id:
		callId }) {
		const prev = this.state;
		const server = atMs || sinceMs;
		let since = Date.now();
		if (state === prev.state && reason === prev.reason && !server)
			since = prev.since;
		else if (server && Math.abs(Date.now() - server) < DAY_MS)
			since = Math.min(server, Date.now());
		this.state = { state, reason: reason || '', since,
			callId: callId || null };
		this.paint();
		for (const fn of this.listeners)
			fn(this.state, prev);
	}

	async load() {
		const r = await api('GET', `/agents/${this.ctx.agentId}/state`);
		this.apply(r);
		return r;
	}

	async loadReasons() {
		try {
			const r = await api('GET', '/notready-reasons?limit=100');
			this.reasons = (r.items || []).sort((a, b) =>
				(a.position ?? 0) - (b.position ?? 0));
		} catch {
			this.reasons = [];
		}
		this.paintReasons();
	}

	paintReasons() {
		const sel = $('reason-select');
		const keep = sel.value;
		sel.replaceChildren(el('option', { value: '' },
			t('agent.reason.none')), ...this.reasons.map((r) =>
			el('option', { value: r.name }, r.name)));
		sel.value = keep;
	}

	/** Change state through the REST twin (its errors name a fix). */
	async set(state, reason) {
		this.ctx.phone?.unlock();
		this.ctx.clearError();
		const busy = ['btn-ready', 'btn-notready', 'btn-signout'];
		for (const id of busy)
			$(id).disabled = true;
		try {
			if (state === 'ready' && this.ctx.isWebrtc()) {
				/* a call ringing behind other windows says so */
				if (window.Notification?.permission === 'default')
					Notification.requestPermission().catch(() => {});
				await this.ctx.ensureMic();
				await this.ctx.registerPhone();
			}
			const body = reason ? { state, reason } : { state };
			this.apply(await api('PUT', `/agents/${this.ctx.agentId}/state`,
				body));
		} catch (err) {
			this.ctx.showError(err);
		} finally {
			this.paintButtons();
		}
	}

	tick() {
		$('state-time').textContent = clock(Date.now() - this.state.since);
	}

	paintButtons() {
		const s = this.state.state;
		const inCall = ['ringing', 'on_call', 'outbound'].includes(s);
		$('btn-ready').disabled = s === 'ready' || inCall;
		$('btn-notready').disabled = inCall ||
			(s === 'not_ready' && !$('reason-select').value);
		$('btn-signout').disabled = s === 'logged_out' || inCall;
	}

	paint() {
		const { state, reason } = this.state;
		$('statebar').dataset.state = state;
		$('state-label').textContent = stateText(state);
		$('state-reason').textContent = reasonText(reason);
		$('work-no').textContent = this.ctx.agent ?
			t('agent.work_no', { no: this.ctx.agent.work_no }) : '';
		this.paintReasons();
		this.paintButtons();
		this.tick();
	}

	/* --- the softphone's devices --- */

	async allowMic() {
		try {
			await this.ctx.ensureMic();
			await this.fillDevices();
		} catch (err) {
			this.ctx.showError(err);
		}
	}

	async fillDevices() {
		const phone = this.ctx.phone;
		if (!phone)
			return;
		let d;
		try {
			d = await phone.listDevices();
		} catch {
			return;
		}
		const fill = (sel, list, cur) => {
			sel.replaceChildren(...list.map((x) => el('option',
				{ value: x.deviceId }, x.label)));
			if (cur)
				sel.value = cur;
		};
		fill($('mic-select'), d.mics, phone.micId);
		fill($('speaker-select'), d.speakers, phone.speakerId);
		$('speaker-select').disabled = !d.canPickSpeaker;
		$('mic-test').hidden = d.mics.some((m) => m.label &&
			!/^audioinput \d+$/.test(m.label)) && !!phone.stream;
	}

	async pickMic(id) {
		try {
			await this.ctx.phone.setMic(id);
		} catch (err) {
			this.ctx.showError(t(micErrorKey(err)));
		}
	}

	async pickSpeaker(id) {
		try {
			await this.ctx.phone.setSpeaker(id);
		} catch {
			this.ctx.showError(t('rtc.speaker_failed'));
		}
	}
}

/** Level 0..1 into the meter. */
export function showLevel(v) {
	$('mic-level').style.width = `${Math.round(v * 100)}%`;
}

/** The locale for Intl formatting. */
export const locale = () => getLocale();
