// The agent's second line in a call (call.consult): an outside number,
// a colleague (picked with their live states: only a ready one) or a
// queue's ready agent (with nobody ready, the consultation waits in the
// queue: shown with its time), with the caller on hold; then hand the
// caller over, make it a three-way call, or cancel; the consulted colleague's
// side (its ring card says who consults); and click to dial from the
// idle console (call.dial). Both follow the server's events, not the
// clicks.
import { hasKey, onLocaleChange, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { el, toast } from '../common/shell.js';
import { clock } from './statebar.js';

const $ = (id) => document.getElementById(id);
const NUMBER_RE = /^\+?\d{3,20}$/;
const LIVE = ['queued', 'ringing', 'answered', 'conference'];

const digits = (v) => v.replace(/[\s-]/g, '');
const ready = (a) => a.state === 'ready' && a.device_reachable;

/* Who a call.consult event names: a colleague (from a queue), or "". */
function whoOf(m) {
	if (!m.target_work_no)
		return '';
	const who = `${m.target_work_no} ${m.target_name || ''}`.trim();
	return m.queue ? t('agent.consult.queue_pick', { queue: m.queue, who }) :
		who;
}

export class Consult {
	constructor(ctx, currentCall, render) {
		this.ctx = ctx;
		this.currentCall = currentCall;
		this.render = render;
		$('btn-consult').addEventListener('click', () => this.toggle());
		$('consult-type').addEventListener('change', () => this.showType());
		$('consult-agent').addEventListener('focus', () => this.load());
		$('consult-form').addEventListener('submit', (e) => {
			e.preventDefault();
			this.start();
		});
		for (const action of ['complete', 'conference', 'cancel']) {
			$(`consult-${action}`).addEventListener('click', () =>
				this.act(action));
		}
		onLocaleChange(() => this.paint());
		setInterval(() => this.tick(), 1000);
	}

	/* How long the consultation waits in its queue. */
	tick() {
		const k = this.currentCall()?.consult;
		if (k?.state === 'queued')
			$('consult-with').textContent = t('agent.consult.queued_in', {
				queue: k.queue || '', t: clock(Date.now() - k.since) });
	}

	toggle() {
		const box = $('consult-box');
		box.hidden = !box.hidden;
		$('btn-consult').setAttribute('aria-expanded', String(!box.hidden));
		$('consult-error').textContent = '';
		if (!box.hidden && !this.live()) {
			this.showType();
			this.load();
			$('consult-type').focus();
		}
	}

	showType() {
		const type = $('consult-type').value;
		for (const f of $('consult-form').querySelectorAll('[data-for]'))
			f.hidden = f.dataset.for !== type;
	}

	/* Colleagues with their states now (only ready ones selectable),
	 * and the tenant's queues. */
	async load() {
		const [people, queues] = await Promise.all([
			api('GET', '/live/colleagues').catch(() => ({ items: [] })),
			api('GET', '/live/queues').catch(() => ({ items: [] })),
		]);
		const pick = $('consult-agent').value;
		const others = (people.items || []).filter((a) =>
			a.agent_id !== this.ctx.agentId);
		$('consult-agent').replaceChildren(
			el('option', { value: '' }, t('agent.consult.pick_agent')),
			...others.map((a) => el('option', { value: a.agent_id,
				disabled: !ready(a), dataset: { state: a.state } },
			`${a.work_no} ${a.name} · ${t(`agent.state.${a.state}`)}`)));
		if (others.some((a) => a.agent_id === pick && ready(a)))
			$('consult-agent').value = pick;
		$('consult-queue').replaceChildren(...(queues.items || []).map((q) =>
			el('option', { value: q.queue_id }, q.label ?
				`${q.label} (${q.name})` : q.name)));
	}

	live() {
		const c = this.currentCall();
		return c?.consult && LIVE.includes(c.consult.state) ? c.consult :
			null;
	}

	/* What start sends for the chosen kind, or an error key. */
	target() {
		const type = $('consult-type').value;
		if (type === 'number') {
			const number = digits($('consult-number').value);
			return NUMBER_RE.test(number) ? { body: { number }, who: number } :
				{ bad: 'agent.xfer.pick_number' };
		}
		const sel = $(`consult-${type}`);
		const opt = sel.selectedOptions[0];
		if (!sel.value)
			return { bad: `agent.consult.pick_${type}` };
		return { body: { [type]: sel.value }, who: opt.textContent
			.split(' · ')[0] };
	}

	errorText(err) {
		const k = `agent.consult.err.${err?.code}`;
		return hasKey(k) ? t(k) : this.ctx.errorText(err);
	}

	async start() {
		const c = this.currentCall();
		const to = this.target();
		$('consult-error').textContent = to.bad ? t(to.bad) : '';
		if (!c || to.bad)
			return;
		try {
			c.consult = { state: 'starting', number: to.body.number || '',
				who: to.body.number ? '' : to.who };
			this.paint();
			await this.ctx.rpc('call.consult', { call_id: c.id,
				action: 'start', ...to.body });
		} catch (err) {
			c.consult = null;
			$('consult-error').textContent = this.errorText(err);
			if (!to.body.number)
				this.load();
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
			$('consult-error').textContent = this.errorText(err);
		}
	}

	/** call.consult {call_id, state, number, code, to, target_*} from
	 * the server; role "consulted": the call we were consulted on is
	 * ours now. */
	onEvent(m) {
		const c = this.currentCall();
		if (c?.id !== m.call_id)
			return;
		if (m.role === 'consulted') {
			if (c.info)
				c.info.consult = null;
			toast(t('agent.consult.s.yours'));
			this.render();
			return;
		}
		const done = !LIVE.includes(m.state);
		c.consult = done ? null : { state: m.state,
			number: m.number || c.consult?.number,
			who: whoOf(m) || c.consult?.who,
			queue: m.queue || c.consult?.queue,
			since: m.state === 'queued' ? Date.now() : c.consult?.since };
		/* the caller waits on hold while the agent consults and hears
		 * everyone in a conference; a consult that ends leaves it as
		 * it was (held after a consult, talking after a conference) */
		if (['queued', 'ringing', 'answered'].includes(m.state))
			c.held = true;
		else if (m.state === 'conference')
			c.held = false;
		if (done) {
			const k = m.state !== 'failed' ? `agent.consult.s.${m.state}` :
				m.to === 'queue' && !m.target_work_no ?
					'agent.consult.s.failed_queue' : m.to && m.to !== 'number' ?
						'agent.consult.s.failed_agent' : 'agent.consult.s.failed';
			toast(hasKey(k) ? t(k, { code: m.code || '' }) :
				t('agent.consult.s.ended'));
			if (m.state === 'transferred')
				c.transferred = true;
		}
		this.render();
	}

	/* The consulted colleague's side: who consults, on the ring card and
	 * on the call until the call is handed over. */
	paintConsulted(c) {
		const by = c?.info?.consult;
		const who = by ? `${by.by_work_no} ${by.by_name || ''}`.trim() : '';
		$('ring-consult').hidden = !by;
		$('call-consult').hidden = !by;
		$('ring-card').querySelector('h2').textContent =
			t(by ? 'agent.consult.incoming' : 'agent.incoming');
		if (by) {
			$('ring-consult').textContent = t('agent.consult.from', { who });
			$('call-consult').textContent = t('agent.consult.by', { who });
		}
		return !!by;
	}

	paint() {
		const c = this.currentCall();
		const k = c?.consult;
		const live = !!k && k.state !== 'starting';
		const consulted = this.paintConsulted(c);
		$('consult-form').hidden = !!k;
		$('consult-live').hidden = !live;
		if (live) {
			$('consult-state').textContent = t(
				`agent.consult.s.${k.state}`);
			$('consult-state').dataset.state = k.state;
			$('consult-with').textContent = k.who || k.number || '';
			this.tick();
			$('consult-complete').disabled = k.state === 'ringing' ||
				k.state === 'queued';
			$('consult-conference').disabled = k.state !== 'answered';
		}
		if (k && $('consult-box').hidden)
			this.toggle();
		$('btn-consult').disabled = c?.phase !== 'talking' || !!c?.info
			?.outbound || consulted;
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
