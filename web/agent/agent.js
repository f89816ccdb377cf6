// The agent console: one live connection, the softphone registered when
// the agent's device is the browser, and the parts of the page wired to
// them (state bar, call cards, today's figures). docs/WEBSOCKET.md is the
// protocol.
import { errorText as apiErrorText, hasKey, onLocaleChange, t }
	from '../common/i18n.js';
import { api } from '../common/api.js';
import { bindLiveStatus, initShell } from '../common/shell.js';
import { connectLive } from '../common/ws.js';
import { Softphone, micErrorKey } from '../common/rtc.js';
import { rpcFor } from './rpc.js';
import { StateBar, showLevel } from './statebar.js';
import { CallUi } from './callui.js';
import { Dialer } from './consult.js';
import { bindDialRequests } from './dialreq.js';
import { History } from './history.js';
import { WrapCodes } from './wrapcodes.js';
import { CustomerPanel } from './customer.js';
import { Tickets } from './tickets.js';
import { Announcements } from './announcements.js';

const $ = (id) => document.getElementById(id);

const ctx = {
	me: null,
	agentId: '',
	agent: null,
	phone: null,
	rpc: null,
	queues: new Map(),
	phoneState: 'off',
};

/* --- errors: one box, a sentence that says what to do --- */

ctx.errorText = (err) => {
	if (typeof err === 'string')
		return err;
	if (err?.i18n)
		return t(err.i18n);
	const code = err?.code;
	if (code && hasKey(`agent.err.${code}`))
		return t(`agent.err.${code}`);
	return apiErrorText(err);
};

ctx.showError = (err) => {
	const box = $('agent-error');
	box.textContent = ctx.errorText(err);
	box.hidden = false;
};

ctx.clearError = () => {
	$('agent-error').hidden = true;
};

ctx.isWebrtc = () => ctx.agent?.device === 'webrtc';

ctx.setQueues = (items) => {
	for (const q of items)
		ctx.queues.set(q.queue_id, q.label || q.name);
};

ctx.queueName = (id) => ctx.queues.get(id) || '';

/** The microphone, or an error whose text says how to allow it. */
ctx.ensureMic = async () => {
	try {
		return await ctx.phone.ensureMic();
	} catch (err) {
		const e = new Error(err?.message || 'microphone');
		e.i18n = micErrorKey(err);
		throw e;
	}
};

function paintPhone() {
	const s = ctx.isWebrtc() ? ctx.phoneState : 'sip';
	const badge = $('phone-status');
	badge.dataset.state = s;
	badge.textContent = t(`agent.phone.${s}`);
	$('devices').hidden = !ctx.isWebrtc();
	$('mic-level').parentElement.hidden = !ctx.isWebrtc();
	$('replaced').hidden = s !== 'replaced';
}

function setPhoneState(s) {
	ctx.phoneState = s;
	paintPhone();
}

/**
 * Register this tab's softphone (it takes the device from another tab).
 * @return the server's softphone.ok: {agent_id, state, call_id}
 */
ctx.registerPhone = async () => {
	try {
		const ok = await ctx.rpc('softphone.register');
		setPhoneState('registered');
		return ok;
	} catch (err) {
		setPhoneState('error');
		throw err;
	}
};

/* After (re)connecting: the device back, and a call we were in. */
async function online() {
	/* read at sign-in; they may have changed while we were away */
	if (ctx.wasOnline)
		ctx.wrapCodes.load();
	ctx.wasOnline = true;
	try {
		await ctx.statebar.load();
		if (!ctx.isWebrtc())
			return;
		const ok = await ctx.registerPhone();
		const calls = ctx.calls;
		if (ok.call_id && ok.state === 'on_call' && !calls.call)
			await calls.reconnect(ok.call_id);
		else if (ok.call_id && ok.state === 'wrap_up' && !calls.wrap)
			calls.openWrap({ id: ok.call_id });
	} catch (err) {
		ctx.showError(err);
	}
}

ctx.renderIdle = () => {
	const st = ctx.statebar?.state.state || 'logged_out';
	const key = ctx.agent ? `agent.idle.${st}` : 'agent.idle.no_agent';
	const k = hasKey(`${key}.title`) ? key : 'agent.idle.other';
	$('idle-title').textContent = t(`${k}.title`);
	$('idle-body').textContent = t(`${k}.body${ctx.agent &&
		!ctx.isWebrtc() && hasKey(`${k}.body_sip`) ? '_sip' : ''}`);
};

/* --- keyboard: shown in the page, ignored while typing --- */

function typing(ev) {
	const tag = ev.target?.tagName;
	return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT';
}

function onKey(ev) {
	const calls = ctx.calls;
	const k = ev.key.toLowerCase();
	let done = true;
	if (ev.ctrlKey && !ev.shiftKey && ev.key === 'Enter' && calls.ringing)
		calls.answer();
	else if (ev.ctrlKey && ev.shiftKey && k === 'h' && calls.talking)
		calls.hangup();
	else if (ev.ctrlKey && ev.shiftKey && k === 'r') {
		/* taken from the browser (a hard reload) even in a call */
		if (ctx.agent && !calls.call)
			ctx.statebar.set('ready');
	}
	else if (ev.ctrlKey && ev.shiftKey && k === 'm' && calls.talking)
		calls.mute();
	else if (!ev.ctrlKey && !ev.altKey && !ev.metaKey && !typing(ev) &&
		calls.keypadOpen && /^[0-9*#]$/.test(ev.key))
		calls.dtmf(ev.key);
	else
		done = false;
	if (done)
		ev.preventDefault();
}

/* --- wiring --- */

function listen(live) {
	const calls = ctx.calls;
	live.on('call.offer', (m) => calls.onOffer(m));
	live.on('call.offer', (m) => ctx.customer.offer(m));
	live.on('call.customer', (m) => ctx.customer.update(m));
	live.on('call.cancel', (m) => ctx.customer.cancel(m));
	live.on('call.dialing', (m) => ctx.customer.dialing(m));
	live.on('call.connected', (m) => calls.onConnected(m));
	live.on('call.cancel', (m) => calls.onCancel(m));
	live.on('call.media_failed', (m) => calls.onMediaFailed(m));
	live.on('call.ended', (m) => calls.onEnded(m));
	live.on('call.quality', (m) => calls.onQuality(m));
	live.on('call.dialing', (m) => calls.onDialing(m));
	live.on('call.consult', (m) => calls.consult.onEvent(m));
	bindDialRequests(live, ctx);
	live.on('softphone.replaced', () => {
		setPhoneState('replaced');
		calls.onCancel({ call_id: calls.call?.phase === 'ringing' ?
			calls.call.id : '', reason: 'replaced' });
	});
	live.on('agent.state_changed', (ev) => {
		if (ev.data?.agent_id === ctx.agentId)
			ctx.statebar.apply(ev.data);
	});
	live.onStatus((s) => {
		if (s === 'online')
			online();
		else if (ctx.isWebrtc() && ctx.phoneState === 'registered')
			setPhoneState('off');
	});
}

async function loadAgent() {
	try {
		ctx.agent = await api('GET', `/agents/${ctx.agentId}`);
	} catch (err) {
		ctx.agent = null;
		if (err.code !== 'not_found' && err.status !== 404)
			ctx.showError(err);
	}
	for (const id of ['btn-ready', 'btn-notready', 'btn-signout'])
		$(id).hidden = !ctx.agent;
	$('reason-select').hidden = !ctx.agent;
}

async function main() {
	ctx.me = await initShell();
	ctx.agentId = ctx.me.user_id || ctx.me.id || '';
	ctx.phone = new Softphone({
		onLevel: showLevel,
		onQuality: (hint, q) => ctx.calls.showQuality(hint, q),
		onState: (s) => {
			const c = ctx.calls.call;
			if (s !== 'failed' || !c)
				return;
			/* the network dropped under the call: one new offer per
			 * 10 s while the server keeps the call (webrtc_grace) */
			if (c.phase === 'talking' && Date.now() -
				(c.rejoinedAt || 0) > 10000) {
				c.rejoinedAt = Date.now();
				ctx.calls.reconnect(c.id);
			} else {
				ctx.showError(t('agent.err.media_failed'));
			}
		},
	});
	ctx.statebar = new StateBar(ctx);
	ctx.history = new History(ctx);
	ctx.calls = new CallUi(ctx);
	ctx.customer = new CustomerPanel(ctx);
	ctx.wrapCodes = new WrapCodes();
	onLocaleChange(() => ctx.wrapCodes.paint());
	ctx.dialer = new Dialer(ctx, ctx.calls);
	ctx.statebar.onChange((st) => ctx.calls.onState(st));
	ctx.statebar.onChange((st) => {
		if (st.callId && (st.state === 'on_call' || st.state === 'ringing'))
			ctx.customer.adopt(st.callId);
	});
	await loadAgent();
	paintPhone();
	onLocaleChange(paintPhone);
	document.addEventListener('keydown', onKey);
	document.addEventListener('click', () => ctx.phone.unlock(),
		{ capture: true });
	$('take-back').addEventListener('click', () => {
		ctx.clearError();
		ctx.registerPhone().catch((err) => ctx.showError(err));
	});
	await Promise.all([ctx.statebar.loadReasons(), ctx.wrapCodes.load(),
		ctx.agent ? ctx.statebar.load().catch((e) => ctx.showError(e)) :
			null]);
	ctx.calls.render();
	const live = connectLive(['agent', 'ticket', 'announcement']);
	ctx.rpc = rpcFor(live);
	bindLiveStatus(live);
	listen(live);
	ctx.announcements = new Announcements(ctx, live);
	ctx.tickets = new Tickets(ctx, live);
	if (ctx.agent) {
		ctx.history.load();
		/* queue labels for calls read back from the call log */
		api('GET', '/live/queues').then((r) => ctx.setQueues(r.items ||
			[])).catch(() => {});
	}
	window.addEventListener('pagehide', () => ctx.phone.destroy());
	/* the softphone from the devtools console, for support and tests:
	 * await openseat.phone.stats() */
	window.openseat = { phone: ctx.phone };
	document.body.dataset.ready = '1';
}

main();
