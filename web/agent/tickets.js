// The agent console's business records (业务记录): "my tickets" (assigned
// to the agent or their queues), moved along their workflow, kept live by
// ticket.* events; and "新建业务记录" during or after a call, prefilled
// with the call and the customer the screen pop found — or a customer
// picked by phone number.
import { errorText, onLocaleChange, t } from '../common/i18n.js';
import { api, newIdempotencyKey } from '../common/api.js';
import { el, toast } from '../common/shell.js';

const MINE = 20;

function when(iso) {
	const d = new Date(iso);
	return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

function input(name, props = {}) {
	return el('input', { name, id: `tkf-${name}`, autocomplete: 'off',
		...props });
}

function labelled(key, control) {
	return el('div', { class: 'field' },
		el('label', { for: control.id, 'data-i18n': key }, t(key)), control);
}

/* The next states of a ticket along its type's workflow. */
function nextStates(type, state) {
	if (!type)
		return [];
	const label = (k) => type.states.find((s) => s.key === k)?.label || k;
	return type.transitions.filter((x) => x.from === state)
		.map((x) => [x.to, label(x.to)]);
}

export class Tickets {
	constructor(ctx, live) {
		this.ctx = ctx;
		this.items = [];
		this.types = [];
		this.lastCallId = null;
		this.customer = null;       /* {customer_id, name} picked */
		this.buildPanel();
		this.buildForm();
		live.on('call.offer', (m) => { this.lastCallId = m.call_id; });
		live.on('call.dialing', (m) => { this.lastCallId = m.call_id; });
		live.on('call.ended', (m) => {
			this.lastCallId = m.call_id || this.lastCallId;
		});
		live.on('ticket.*', (m) => this.onEvent(m));
		live.onStatus((s) => {
			if (s === 'online')
				this.load();
		});
		onLocaleChange(() => this.paint());
		this.paint();
	}

	buildPanel() {
		this.newBtn = el('button', { type: 'button', class: 'primary',
			id: 'ticket-new', onclick: () => this.open() });
		this.title = el('h2', {});
		this.list = el('ul', { class: 'ticket-list', id: 'my-tickets' });
		this.empty = el('p', { class: 'hint', hidden: true });
		this.box = el('section', { class: 'panel tickets', id: 'tickets' },
			el('div', { class: 'panel-head' }, this.title, this.newBtn),
			this.list, this.empty);
		const side = document.querySelector('.agent-side');
		const ann = document.getElementById('announcements');
		if (ann)
			ann.after(this.box);
		else
			side?.prepend(this.box);
	}

	buildForm() {
		const f = {
			type: el('select', { name: 'type_id', id: 'tkf-type',
				required: true }),
			title: input('title', { required: true, maxlength: '200' }),
			desc: el('textarea', { name: 'description', id: 'tkf-desc',
				rows: '3', maxlength: '10000' }),
			prio: el('select', { name: 'priority', id: 'tkf-priority' }),
			due: input('due_at', { type: 'datetime-local' }),
			assign: el('select', { name: 'assignee', id: 'tkf-assign' }),
			phone: input('phone', { inputmode: 'tel', maxlength: '32' }),
			found: el('select', { name: 'customer_id', id: 'tkf-customer' }),
		};
		this.f = f;
		this.callLine = el('div', { class: 'hint', id: 'tkf-call' });
		this.custLine = el('div', { class: 'hint', id: 'tkf-cust' });
		this.err = el('div', { class: 'alert', id: 'tkf-error', role: 'alert',
			hidden: true });
		f.search = el('button', { type: 'button', id: 'tkf-search',
			onclick: () => this.search() });
		this.pick = el('div', { class: 'field', id: 'tkf-pick' },
			labelled('tickets.phone', f.phone), f.search, f.found);
		this.submitBtn = el('button', { type: 'submit', class: 'primary',
			id: 'tkf-save' });
		this.cancelBtn = el('button', { type: 'button',
			onclick: () => this.close() });
		this.form = el('form', { class: 'panel ticket-form', id: 'ticket-form',
			novalidate: true, hidden: true },
		el('h2', { 'data-i18n': 'tickets.new' }, t('tickets.new')),
		this.err, this.callLine, this.custLine, this.pick,
		labelled('tickets.type', f.type), labelled('tickets.title', f.title),
		labelled('tickets.description', f.desc),
		labelled('tickets.priority', f.prio), labelled('tickets.due', f.due),
		labelled('tickets.assignee', f.assign),
		el('div', { class: 'form-actions' }, this.cancelBtn, this.submitBtn));
		this.form.addEventListener('submit', (e) => {
			e.preventDefault();
			this.save();
		});
		const main = document.querySelector('.agent-main');
		main?.append(this.form);
	}

	async load() {
		try {
			const [mine, types] = await Promise.all([
				api('GET', `/tickets?assignee=me&limit=${MINE}`),
				this.types.length ? null :
					api('GET', '/ticket-types?enabled=true&limit=200')]);
			this.items = mine.items || [];
			if (types)
				this.types = types.items || [];
		} catch (err) {
			this.ctx.showError(err);
		}
		this.paint();
	}

	onEvent(m) {
		const me = this.ctx.agentId;
		const d = m.data || {};
		if (m.type === 'ticket.assigned' && d.assignee_user_id === me)
			toast(t('tickets.assigned_to_you', { title: d.title }));
		else if (m.type === 'ticket.escalated')
			toast(t('tickets.escalated', { title: d.title }));
		clearTimeout(this.timer);
		this.timer = setTimeout(() => this.load(), 200);
	}

	async move(tk, state) {
		try {
			await api('PATCH', `/tickets/${encodeURIComponent(tk.ticket_id)}`,
				{ state });
			await this.load();
		} catch (err) {
			this.ctx.showError(err);
		}
	}

	item(tk) {
		const type = this.types.find((x) => x.type_id === tk.type_id);
		const moves = nextStates(type, tk.state).map(([k, label]) =>
			el('button', { type: 'button', class: 'link',
				dataset: { state: k }, onclick: () => this.move(tk, k) },
			label));
		return el('li', { dataset: { id: tk.ticket_id },
			class: tk.overdue ? 'overdue' : '' },
		el('div', {}, el('strong', {}, tk.title), ' ',
			el('span', { class: `badge prio-${tk.priority}` },
				t(`tickets.priority.${tk.priority}`)), ' ',
			el('span', { class: 'badge', dataset: { state: tk.state } },
				tk.state_label)),
		el('div', { class: 'hint' }, tk.customer_name || '',
			tk.due_at ? ` · ${t('tickets.due')} ${when(tk.due_at)}` : ''),
		moves.length ? el('div', { class: 'moves' }, moves) : null);
	}

	paint() {
		this.title.textContent = t('tickets.mine');
		this.newBtn.textContent = t('tickets.new');
		this.submitBtn.textContent = t('common.save');
		this.cancelBtn.textContent = t('common.cancel');
		this.f.search.textContent = t('tickets.search');
		this.list.replaceChildren(...this.items.map((x) => this.item(x)));
		this.empty.textContent = t('tickets.mine_empty');
		this.empty.hidden = this.items.length > 0;
		const prio = this.f.prio.value || 'normal';
		this.f.prio.replaceChildren(...['low', 'normal', 'high', 'urgent']
			.map((p) => el('option', { value: p },
				t(`tickets.priority.${p}`))));
		this.f.prio.value = prio;
	}

	/* The call of the page: ringing or talking, in wrap-up, or the last. */
	currentCall() {
		const c = this.ctx.calls;
		return c?.call?.id || c?.wrap?.id || this.ctx.customer?.callId ||
			this.lastCallId;
	}

	async open() {
		if (!this.types.length)
			await this.load();
		const f = this.f;
		this.form.reset();
		this.err.hidden = true;
		this.callId = this.currentCall() || null;
		/* the screen pop's result: {found, source, customer} */
		const pop = this.ctx.customer?.customer;
		const cu = pop?.found && pop.source === 'builtin' ? pop.customer :
			null;
		this.customer = cu?.customer_id ?
			{ customer_id: cu.customer_id, name: cu.name } : null;
		this.callLine.textContent = this.callId ?
			t('tickets.from_call') : t('tickets.no_call');
		this.callLine.dataset.callId = this.callId || '';
		this.paintCustomer();
		f.type.replaceChildren(...this.types.map((x) =>
			el('option', { value: x.type_id }, x.name)));
		f.assign.replaceChildren(
			el('option', { value: 'me' }, t('tickets.assign_me')),
			el('option', { value: '' }, t('tickets.assign_none')),
			...[...(this.ctx.queues || new Map())].map(([id, name]) =>
				el('option', { value: `q:${id}` }, name)));
		f.prio.value = 'normal';
		this.form.hidden = false;
		f.title.focus();
	}

	close() {
		this.form.hidden = true;
	}

	paintCustomer() {
		const c = this.customer;
		this.custLine.textContent = c ?
			t('tickets.customer_is', { name: c.name }) :
			t('tickets.customer_pick');
		this.custLine.dataset.customerId = c?.customer_id || '';
		this.pick.hidden = !!c;
	}

	async search() {
		const phone = this.f.phone.value.trim();
		if (!phone)
			return;
		try {
			const r = await api('GET', `/customers?phone=${encodeURIComponent(
				phone)}&limit=20`);
			const items = r.items || [];
			this.f.found.replaceChildren(...items.map((c) =>
				el('option', { value: c.customer_id }, `${c.name}` +
					(c.company ? ` · ${c.company}` : ''))));
			if (!items.length)
				toast(t('tickets.no_customer'));
		} catch (err) {
			this.showErr(err);
		}
	}

	showErr(err) {
		this.err.textContent = typeof err === 'string' ? err :
			[errorText(err), ...(err?.errors || []).map((e) =>
				`${e.field}: ${e.message}`)].join('；');
		this.err.hidden = false;
	}

	body() {
		const f = this.f;
		const b = { type_id: f.type.value, title: f.title.value.trim(),
			priority: f.prio.value,
			customer_id: this.customer?.customer_id || f.found.value };
		if (f.desc.value.trim())
			b.description = f.desc.value.trim();
		if (this.callId)
			b.call_id = this.callId;
		if (f.due.value)
			b.due_at = new Date(f.due.value).toISOString();
		if (f.assign.value === 'me')
			b.assignee_user_id = this.ctx.agentId;
		else if (f.assign.value.startsWith('q:'))
			b.assignee_queue_id = f.assign.value.slice(2);
		return b;
	}

	async save() {
		const b = this.body();
		if (!b.customer_id || !b.title || !b.type_id) {
			this.showErr(t('tickets.fill_required'));
			return;
		}
		this.submitBtn.disabled = true;
		try {
			await api('POST', '/tickets', b, { headers:
				{ 'Idempotency-Key': newIdempotencyKey() } });
			this.close();
			toast(t('tickets.created'));
			await this.load();
		} catch (err) {
			this.showErr(err);
		} finally {
			this.submitBtn.disabled = false;
		}
	}
}
