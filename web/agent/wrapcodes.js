// The tenant's disposition codes for the wrap-up form: a select of them
// when the tenant keeps a list (the server then accepts only those), the
// free-text field with suggestions when it keeps none.
import { t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { el } from '../common/shell.js';

const $ = (id) => document.getElementById(id);

/* Pages of 200; a tenant with more than this many codes is a mistake we
 * do not want to loop on. */
const MAX_PAGES = 5;

export class WrapCodes {
	constructor() {
		this.codes = [];
		/* a code picked answers the "pick one" error at once */
		$('wrap-select').addEventListener('change', (e) => {
			const err = document.querySelector('[data-error-for="code"]');
			if (e.target.value) {
				err.textContent = '';
				e.target.setAttribute('aria-invalid', 'false');
			}
		});
	}

	/** Read the list (at sign-in and on each reconnect). A failed read
	 * keeps the last list: free text might be refused by the server. */
	async load() {
		const codes = [];
		let cursor = '';
		try {
			for (let i = 0; i < MAX_PAGES; i++) {
				const r = await api('GET', `/disposition-codes?limit=200${
					cursor}`);
				codes.push(...(r.items || []).filter((c) => c.enabled));
				if (!r.next_cursor)
					break;
				cursor = `&cursor=${encodeURIComponent(r.next_cursor)}`;
			}
		} catch {
			return;
		}
		this.codes = codes.map((c) => c.code);
		this.paint();
	}

	/** The control the agent fills: the select or the text field. */
	control() {
		return this.codes.length ? $('wrap-select') : $('wrap-code');
	}

	/** Show the control that fits the list; the select starts empty. */
	paint() {
		const list = this.codes.length > 0;
		const sel = $('wrap-select');
		const keep = sel.value;
		sel.replaceChildren(el('option', { value: '' },
			t('agent.wrap.pick')), ...this.codes.map((c) =>
			el('option', { value: c }, c)));
		sel.value = this.codes.includes(keep) ? keep : '';
		sel.hidden = !list;
		$('wrap-code').hidden = list;
		$('wrap-code-label').htmlFor = list ? 'wrap-select' : 'wrap-code';
		$('wrap-codes').replaceChildren(...(list ? [] :
			t('agent.wrap.codes').split(',').map((x) =>
				el('option', { value: x }))));
	}

	value() {
		return this.control().value.trim();
	}
}
