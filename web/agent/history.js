// Today's figures (answered, missed, average handle time) and the agent's
// recent calls, from GET /calls/summary and GET /calls (its own only).
import { getLocale, hasKey, onLocaleChange, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { el } from '../common/shell.js';
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
		this.timer = null;
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
			this.paint();
			document.body.dataset.history = String(
				Number(document.body.dataset.history || 0) + 1);
		} catch (err) {
			if (err.code !== 'network_error')
				this.ctx.showError(err);
		}
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
				el('span', { class: 'when' }, when(c.started_at)),
				el('span', { class: 'what', dataset: { code:
					c.wrap_code || '' } }, disp));
		}));
	}
}
