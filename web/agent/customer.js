// The customer panel of the screen pop: who is calling (or whom the agent
// dialled) as the server found them — in OpenSeat's customers, in the
// tenant's CRM, or the CRM's own page — with the customer's last calls,
// an edit link, and for an unknown number a one-click form prefilled with
// the number and region. The offer carries the result when the lookup
// was quicker than the ACD; otherwise call.customer brings it.
import { t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { el } from '../common/shell.js';

const CALLS_SHOWN = 5;

function row(key, value, id) {
	if (value === undefined || value === null || value === '')
		return null;
	return el('div', { class: 'item' }, el('div', { class: 'k' }, t(key)),
		el('div', { class: 'v', id }, value));
}

function tagList(tags) {
	if (!tags?.length)
		return null;
	return el('div', { class: 'tags', id: 'pop-tags' }, tags.map((x) =>
		el('span', { class: 'badge' }, x)));
}

function when(iso) {
	const d = new Date(iso);
	return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(
		document.documentElement.lang || 'zh-CN', { hour12: false });
}

/* The form module belongs to the customer pages: loaded when needed, so
 * that a console without it still rings. */
async function customerForm(opts) {
	const m = await import('../common/customer_form.js');
	return m.openCustomerForm(opts);
}

export class CustomerPanel {
	constructor(ctx) {
		this.ctx = ctx;
		this.callId = null;
		this.customer = null;    /* the screen pop result, or null */
		this.fieldDefs = null;   /* custom fields' labels, read once */
		this.box = el('section', { class: 'panel customer-card',
			id: 'customer-card', hidden: true, 'aria-live': 'polite' });
		const after = document.getElementById('call-card');
		after.after(this.box);
	}

	/** An offer: its customer, or "looking up" until call.customer. */
	offer(m) {
		if (this.callId !== m.call_id)
			this.customer = null;
		this.callId = m.call_id;
		this.phone = m.caller;
		this.region = m.caller_region?.name || '';
		this.show(m.customer || this.customer);
	}

	/** Click-to-dial: the dialled number is looked up too. */
	dialing(m) {
		if (this.callId !== m.call_id) {
			this.callId = m.call_id;
			this.customer = null;
			this.phone = m.number;
			this.region = '';
			this.show(null);
		}
	}

	/* a late result; an outbound call's may come before call.dialing */
	update(m) {
		const cur = this.ctx.calls?.call?.id;
		if (cur && cur !== m.call_id && this.callId === cur)
			return;
		this.callId = m.call_id;
		this.show(m.customer);
	}

	/**
	 * A call the console did not see offered (a reload, a SIP phone's
	 * call): the server keeps its screen pop.
	 */
	async adopt(callId) {
		if (!callId || callId === this.callId)
			return;
		this.callId = callId;
		this.customer = null;
		this.show(null);
		try {
			const r = await api('GET', `/calls/${encodeURIComponent(
				callId)}/customer`);
			if (this.callId === callId && r.customer)
				this.show(r.customer);
		} catch {
			if (this.callId === callId)
				this.clear();
		}
	}

	cancel(m) {
		if (m.call_id === this.callId)
			this.clear();
	}

	clear() {
		this.callId = null;
		this.customer = null;
		this.box.hidden = true;
		this.box.replaceChildren();
	}

	show(c) {
		this.customer = c || null;
		if (c?.source === 'none') {
			this.box.hidden = true;
			return;
		}
		this.box.hidden = false;
		this.box.dataset.state = !c ? 'pending' : c.source === 'page' ?
			'page' : c.found ? 'found' : c.error ? 'error' : 'unknown';
		this.box.replaceChildren(el('div', { class: 'panel-head' },
			el('h2', {}, t('pop.title'))), ...this.body(c));
	}

	body(c) {
		if (!c)
			return [el('p', { class: 'hint', id: 'pop-pending' },
				t('pop.looking_up'))];
		if (c.source === 'page')
			return this.page(c);
		if (c.found && c.source === 'builtin')
			return this.ours(c.customer);
		if (c.found)
			return this.theirs(c.customer);
		return this.unknown(c);
	}

	ours(cu) {
		const calls = el('ul', { class: 'pop-calls', id: 'pop-calls' });
		this.loadCalls(cu.customer_id, calls);
		const fields = el('div', { class: 'cti', id: 'pop-fields' });
		this.paintFields(cu.fields || {}, fields);
		return [
			el('div', { class: 'cti' },
				row('pop.name', el('strong', {}, cu.name), 'pop-name'),
				row('pop.company', cu.company, 'pop-company'),
				row('pop.phones', (cu.phones || []).join(' · ')),
				row('pop.region', cu.region),
				row('pop.tags', tagList(cu.tags))),
			fields,
			el('h3', {}, t('pop.last_calls')), calls,
			el('div', { class: 'call-actions' },
				el('button', { type: 'button', id: 'pop-edit',
					onclick: () => this.edit(cu) }, t('pop.edit'))),
		];
	}

	theirs(cu) {
		return [
			el('div', { class: 'cti' },
				row('pop.name', el('strong', {}, cu.name || '—'), 'pop-name'),
				row('pop.company', cu.company, 'pop-company'),
				row('pop.level', cu.level, 'pop-level'),
				row('pop.tags', tagList(cu.tags)),
				...(cu.extra || []).map((x) => el('div', { class: 'item',
					dataset: { extra: x.label } },
				el('div', { class: 'k' }, x.label),
				el('div', { class: 'v' }, x.value)))),
			cu.url && /^https?:\/\//.test(cu.url) ? el('a', { href: cu.url,
				target: '_blank', rel: 'noopener noreferrer',
				id: 'pop-crm-link' }, t('pop.open_crm')) : null,
		].filter(Boolean);
	}

	unknown(c) {
		const phone = c.phone || this.phone || '';
		const region = c.region || this.region || '';
		const out = [];
		if (c.error) {
			const k = `pop.error.${c.error}`;
			const text = t(k) === k ? t('pop.error.other') : t(k);
			out.push(el('p', { class: 'warning', id: 'pop-error' },
				t('pop.unavailable', { reason: text })));
		}
		out.push(el('div', { class: 'cti' },
			row('pop.phone', phone, 'pop-phone'),
			row('pop.region', region, 'pop-region')));
		if (c.source === 'builtin' && !c.error && phone) {
			out.push(el('p', { class: 'hint' }, t('pop.unknown')));
			out.push(el('div', { class: 'call-actions' },
				el('button', { type: 'button', class: 'primary',
					id: 'pop-new', onclick: () => this.create(phone,
						region) }, t('pop.new_customer'))));
		}
		return out;
	}

	page(c) {
		if (!/^https?:\/\//.test(c.url || ''))
			return [];
		const link = el('a', { href: c.url, target: '_blank',
			rel: 'noopener noreferrer', id: 'pop-page-link' },
		t('pop.open_page'));
		if (c.target === 'tab')
			return [el('p', {}, link)];
		return [el('iframe', { class: 'pop-frame', id: 'pop-frame',
			src: c.url, title: t('pop.title'),
			sandbox: 'allow-scripts allow-same-origin allow-forms ' +
				'allow-popups', referrerpolicy: 'no-referrer' }),
		el('p', { class: 'hint' }, link)];
	}

	async loadCalls(customerId, list) {
		try {
			const r = await api('GET', `/customers/${encodeURIComponent(
				customerId)}/calls?limit=${CALLS_SHOWN}`);
			const items = (r.items || []).slice(0, CALLS_SHOWN);
			list.replaceChildren(...(items.length ? items.map((x) =>
				el('li', {}, el('span', { class: 'mono' }, when(x.started_at)),
					' ', x.direction === 'outbound' ? t('pop.outbound') :
					t('pop.inbound'), x.agent_name ? ` · ${x.agent_name}` : '',
					x.disposition ? ` · ${x.disposition}` : '')) :
				[el('li', { class: 'hint' }, t('pop.no_calls'))]));
		} catch {
			list.replaceChildren(el('li', { class: 'hint' },
				t('pop.calls_unavailable')));
		}
	}

	async paintFields(values, box) {
		const keys = Object.keys(values);
		if (!keys.length)
			return;
		if (!this.fieldDefs) {
			try {
				this.fieldDefs = (await api('GET', '/customer-fields'))
					.items || [];
			} catch {
				this.fieldDefs = [];
			}
		}
		const label = (k) => this.fieldDefs.find((d) => d.key === k)
			?.label || k;
		box.replaceChildren(...keys.map((k) => el('div', { class: 'item',
			dataset: { field: k } }, el('div', { class: 'k' }, label(k)),
		el('div', { class: 'v' }, String(values[k])))));
	}

	async create(phone, region) {
		const cu = await customerForm({ prefill: { phones: [phone],
			region } }).catch((err) => this.ctx.showError(err));
		if (cu)
			this.show({ found: true, source: 'builtin', customer: cu });
	}

	async edit(cu) {
		const next = await customerForm({ customer: cu })
			.catch((err) => this.ctx.showError(err));
		if (next)
			this.show({ ...this.customer, customer: next });
	}
}
