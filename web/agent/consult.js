// The agent's second line in a call (call.consult): dial an outside
// number with the caller on hold, then hand the caller over, make it a
// three-way call, or cancel; and click to dial from the idle console
// (call.dial). Both follow the server's events, not the clicks.
import { hasKey, onLocaleChange, t } from '../common/i18n.js';
import { toast } from '../common/shell.js';

const $ = (id) => document.getElementById(id);
const NUMBER_RE = /^\+?\d{3,20}$/;
const LIVE = ['ringing', 'answered', 'conference'];

const digits = (v) => v.replace(/[\s-]/g, '');

export class Consult {
	constructor(ctx, currentCall, render) {
		this.ctx = ctx;
		this.currentCall = currentCall;
		this.render = render;
		$('btn-consult').addEventListener('click', () => this.toggle());
		$('consult-form').addEventListener('submit', (e) => {
			e.preventDefault();
			this.start();
		});
		for (const action of ['complete', 'conference', 'cancel']) {
			$(`consult-${action}`).addEventListener('click', () =>
				this.act(action));
		}
		onLocaleChange(() => this.paint());
	}

	toggle() {
		const box = $('consult-box');
		box.hidden = !box.hidden;
		$('btn-consult').setAttribute('aria-expanded', String(!box.hidden));
		$('consult-error').textContent = '';
		if (!box.hidden && !this.live())
			$('consult-number').focus();
	}

	live() {
		const c = this.currentCall();
		return c?.consult && LIVE.includes(c.consult.state) ? c.consult :
			null;
	}

	async start() {
		const c = this.currentCall();
		const number = digits($('consult-number').value);
		$('consult-error').textContent = NUMBER_RE.test(number) ? '' :
			t('agent.xfer.pick_number');
		if (!c || !NUMBER_RE.test(number))
			return;
		try {
			c.consult = { state: 'starting', number };
			this.paint();
			await this.ctx.rpc('call.consult', { call_id: c.id,
				action: 'start', number });
		} catch (err) {
			c.consult = null;
			$('consult-error').textContent = this.ctx.errorText(err);
		}
		this.paint();
	}

	async act(action) {
		const c = this.currentCall();
		if (!c?.consult)
			return;
		$('consult-error').textContent = '';
		try {
			await this.ctx.rpc('call.consult', { call_id: c.id, action });
		} catch (err) {
			$('consult-error').textContent = this.ctx.errorText(err);
		}
	}

	/** call.consult {call_id, state, number, code} from the server. */
	onEvent(m) {
		const c = this.currentCall();
		if (c?.id !== m.call_id)
			return;
		const done = !LIVE.includes(m.state);
		c.consult = done ? null : { state: m.state,
			number: m.number || c.consult?.number };
		/* the caller waits on hold while the agent consults and hears
		 * everyone in a conference; a consult that ends leaves it as
		 * it was (held after a consult, talking after a conference) */
		if (m.state === 'ringing' || m.state === 'answered')
			c.held = true;
		else if (m.state === 'conference')
			c.held = false;
		if (done) {
			const k = `agent.consult.s.${m.state}`;
			toast(hasKey(k) ? t(k, { code: m.code || '' }) :
				t('agent.consult.s.ended'));
			if (m.state === 'transferred')
				c.transferred = true;
		}
		this.render();
	}

	paint() {
		const c = this.currentCall();
		const k = c?.consult;
		const live = !!k && k.state !== 'starting';
		$('consult-form').hidden = !!k;
		$('consult-live').hidden = !live;
		if (live) {
			$('consult-state').textContent = t(
				`agent.consult.s.${k.state}`);
			$('consult-state').dataset.state = k.state;
			$('consult-with').textContent = k.number || '';
			$('consult-complete').disabled = k.state === 'ringing';
			$('consult-conference').disabled = k.state !== 'answered';
		}
		if (k && $('consult-box').hidden)
			this.toggle();
		$('btn-consult').disabled = c?.phase !== 'talking' || !!c?.info
			?.outbound;
	}
}

/** Click to dial: the browser's leg first, then the customer. */
export class Dialer {
	constructor(ctx, calls) {
		this.ctx = ctx;
		this.calls = calls;
		$('dial-form').addEventListener('submit', (e) => {
			e.preventDefault();
			this.dial();
		});
	}

	/** number: typed (the form), or given by a CRM's request (extra:
	 * from, request_id — web/agent/dialreq.js). */
	async dial(typed = $('dial-number').value, extra = {}) {
		const number = digits(typed);
		$('dial-error').textContent = NUMBER_RE.test(number) ? '' :
			t('agent.xfer.pick_number');
		if (!NUMBER_RE.test(number) || this.calls.call)
			return;
		$('dial-go').disabled = true;
		this.calls.resetPanels();
		this.calls.closeWrap();
		const c = { id: '', phase: 'dialing', held: false, muted: false,
			info: { caller: number, outbound: true } };
		this.calls.call = c;
		this.calls.render();
		try {
			const sdp = await this.ctx.phone.offer();
			const r = await this.ctx.rpc('call.dial', { number, sdp,
				...extra });
			c.id = r.call_id;
			await this.ctx.phone.accept(r.sdp);
			$('dial-number').value = '';
		} catch (err) {
			if (this.calls.call === c) {
				this.ctx.phone.close();
				this.calls.call = null;
			}
			$('dial-error').textContent = this.ctx.errorText(err);
		}
		$('dial-go').disabled = false;
		this.calls.render();
	}

	/** Visible when a browser agent has no call (and is not ringing). */
	paint() {
		const st = this.ctx.statebar?.state.state;
		$('dial-form').hidden = !this.ctx.isWebrtc() || !!this.calls.call ||
			!!this.calls.wrap || st === 'logged_out' || st === 'ringing';
	}
}
