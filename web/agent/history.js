// Today's figures (answered, missed, average handle time) and the agent's
// recent calls, from GET /calls/summary and GET /calls (its own only),
// with a play button on those that have a recording.
import { getLocale, hasKey, onLocaleChange, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { el } from '../common/shell.js';
import { fetchAudio } from '../common/recordings/audio.js';
import { clock } from './statebar.js';

const $ = (id) => document.getElementById(id);
const RECENT = 10;

function localMidnight() {
	const d = new Date();
	d.setHours(0, 0, 0, 0);
	return d.toISOString();
}

function when(iso) {
	const d = new Date(iso);
	if (Number.isNaN(d.getTime()))
		return '';
	const today = new Date().toDateString() === d.toDateString();
	return d.toLocaleString(getLocale(), today ?
		{ hour: '2-digit', minute: '2-digit' } :
		{ month: '2-digit', day: '2-digit', hour: '2-digit',
			minute: '2-digit' });
}

export class History {
	constructor(ctx) {
		this.ctx = ctx;
		this.items = [];
		this.recs = new Map();
		this.timer = null;
		this.audioUrl = null;
		$('recent-refresh').addEventListener('click', () => this.reload());
		onLocaleChange(() => this.paint());
	}

	/* Calls end and CDR rows land a moment later: reload soon, once. */
	reload() {
		clearTimeout(this.timer);
		this.timer = setTimeout(() => this.load(), 600);
	}

	async load() {
		const from = encodeURIComponent(localMidnight());
		/* named even for an agent: a supervisor who is also an agent
		 * would otherwise get the whole tenant's calls */
		const who = encodeURIComponent(this.ctx.agentId);
		try {
			const [sum, list] = await Promise.all([
				api('GET', `/calls/summary?from=${from}&agent_id=${who}`),
				api('GET', `/calls?limit=${RECENT}&agent_id=${who}`)]);
			this.sum = sum;
			this.items = list.items || [];
			this.recs = await this.recordings(who);
			this.paint();
			document.body.dataset.history = String(
				Number(document.body.dataset.history || 0) + 1);
		} catch (err) {
			if (err.code !== 'network_error')
				this.ctx.showError(err);
		}
	}

	/*
	 * The recordings of the calls shown, by call_id: one search over
	 * their time span rather than one request per call. A 403 means the
	 * tenant does not let agents play their calls back: no buttons.
	 */
	async recordings(who) {
		const starts = this.items.map((c) => c.started_at).filter(Boolean)
			.sort();
		if (!starts.length)
			return new Map();
		try {
			const r = await api('GET', `/recordings?agent_id=${who}&from=${
				encodeURIComponent(starts[0])}&limit=50`);
			return new Map((r.items || []).filter((x) => x.status ===
				'ready' || x.status === 'partial').map((x) => [x.call_id, x]));
		} catch {
			return new Map();
		}
	}

	audio() {
		let a = $('recent-audio');
		if (!a) {
			a = el('audio', { id: 'recent-audio', controls: true,
				preload: 'none' });
			$('recent-list').after(a);
		}
		return a;
	}

	async play(rec, btn) {
		btn.disabled = true;
		try {
			const { blob } = await fetchAudio(`/recordings/${
				encodeURIComponent(rec.recording_id)}/audio`);
			const a = this.audio();
			if (this.audioUrl)
				URL.revokeObjectURL(this.audioUrl);
			this.audioUrl = URL.createObjectURL(blob);
			a.src = this.audioUrl;
			a.dataset.callId = rec.call_id;
			await a.play().catch(() => { /* the controls are there */ });
		} catch (err) {
			this.ctx.showError(err);
		} finally {
			btn.disabled = false;
		}
	}

	playButton(c) {
		const rec = this.recs.get(c.call_id);
		if (!rec)
			return null;
		const b = el('button', { type: 'button', class: 'link play',
			title: t('agent.play_recording'),
			'aria-label': t('agent.play_recording'),
			onclick: () => this.play(rec, b) }, '▶');
		return b;
	}

	paint() {
		const s = this.sum || {};
		$('today-answered').textContent = s.answered ?? 0;
		$('today-missed').textContent = s.missed ?? 0;
		$('today-aht').textContent = s.handle_ms_avg ?
			clock(s.handle_ms_avg) : '—';
		$('recent-empty').hidden = this.items.length > 0;
		$('recent-list').replaceChildren(...this.items.map((c) => {
			const talk = c.connected_at && c.ended_at ?
				Date.parse(c.ended_at) - Date.parse(c.connected_at) : 0;
			const disp = c.wrap_code || (c.disposition && hasKey(
				`disposition.${c.disposition}`) ?
				t(`disposition.${c.disposition}`) : c.disposition || '');
			const out = c.direction === 'outbound';
			return el('li', { dataset: { callId: c.call_id } },
				el('span', { class: 'who', title: t(out ? 'agent.out' :
					'agent.in') }, `${out ? '↗ ' : ''}${(out ? c.callee :
					c.caller) || t('agent.cti.anonymous')}`),
				el('span', { class: 'what' }, talk ? clock(talk) : ''),
				/* which hotline: an agent on several lines asks */
				el('span', { class: 'when' }, c.number_label ?
					`${c.number_label} · ` : '', when(c.started_at), ' ',
					this.playButton(c)),
				el('span', { class: 'what', dataset: { code:
					c.wrap_code || '' } }, disp));
		}));
	}
}
