// Blind transfer of the call in progress to a colleague, a queue or a
// number; the pickers come from the agent directory and the live queues.
import { t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { el, toast } from '../common/shell.js';

const $ = (id) => document.getElementById(id);

export class Transfer {
	constructor(ctx, currentCall) {
		this.ctx = ctx;
		this.currentCall = currentCall;
		this.form = $('transfer-form');
		$('xfer-type').addEventListener('change', () => this.showType());
		this.form.querySelector('[data-cancel]').addEventListener('click',
			() => this.close());
		this.form.addEventListener('submit', (e) => {
			e.preventDefault();
			this.submit();
		});
	}

	toggle() {
		if (this.form.hidden)
			this.open();
		else
			this.close();
	}

	async open() {
		this.form.hidden = false;
		$('btn-transfer').setAttribute('aria-expanded', 'true');
		$('xfer-error').textContent = '';
		this.showType();
		await this.load();
	}

	close() {
		this.form.hidden = true;
		$('btn-transfer').setAttribute('aria-expanded', 'false');
	}

	showType() {
		const type = $('xfer-type').value;
		for (const f of this.form.querySelectorAll('[data-for]'))
			f.hidden = f.dataset.for !== type;
	}

	/* Colleagues (not oneself, not disabled) and the tenant's queues. */
	async load() {
		const [agents, queues] = await Promise.all([
			api('GET', '/agents?limit=200').catch(() => ({ items: [] })),
			api('GET', '/live/queues').catch(() => ({ items: [] })),
		]);
		const people = (agents.items || []).filter((a) =>
			a.agent_id !== this.ctx.agentId && !a.disabled)
			.sort((a, b) => String(a.work_no).localeCompare(
				String(b.work_no), undefined, { numeric: true }));
		$('xfer-agent').replaceChildren(...people.map((a) =>
			el('option', { value: a.agent_id, dataset: { workNo:
				a.work_no } }, `${a.work_no} ${a.display_name ||
				a.username}`)));
		$('xfer-queue').replaceChildren(...(queues.items || []).map((q) =>
			el('option', { value: q.queue_id, dataset: { name: q.name } },
				q.label ? `${q.label} (${q.name})` : q.name)));
		this.ctx.setQueues(queues.items || []);
	}

	target() {
		const type = $('xfer-type').value;
		if (type === 'number') {
			const n = $('xfer-number').value.replace(/[\s-]/g, '');
			return /^\+?\d{3,20}$/.test(n) ? { type, number: n } : null;
		}
		const id = $(`xfer-${type}`).value;
		return id ? { type, id } : null;
	}

	async submit() {
		const c = this.currentCall();
		const to = this.target();
		$('xfer-error').textContent = to ? '' :
			t(`agent.xfer.pick_${$('xfer-type').value}`);
		if (!c || !to)
			return;
		const btn = this.form.querySelector('[type=submit]');
		btn.disabled = true;
		try {
			await this.ctx.rpc('call.transfer', { call_id: c.id, to });
			c.transferred = true;
			this.close();
			toast(t('agent.xfer.done'));
		} catch (err) {
			$('xfer-error').textContent = this.ctx.errorText(err);
		}
		btn.disabled = false;
	}
}
