// The agent console's announcements (公告): the current ones addressed to
// the agent, unread first with a badge, marked read one by one; a new one
// arrives live (announcement.published), a withdrawn one leaves.
import { onLocaleChange, t } from '../common/i18n.js';
import { api } from '../common/api.js';
import { el, toast } from '../common/shell.js';

function when(iso) {
	const d = new Date(iso);
	return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

export class Announcements {
	constructor(ctx, live) {
		this.ctx = ctx;
		this.items = [];
		this.unread = 0;
		this.badge = el('span', { class: 'badge count', id: 'ann-unread',
			hidden: true });
		this.title = el('h2', {});
		this.list = el('ul', { class: 'ann-list', id: 'ann-list' });
		this.empty = el('p', { class: 'hint', id: 'ann-empty', hidden: true });
		this.box = el('section', { class: 'panel announcements',
			id: 'announcements', 'aria-live': 'polite' },
		el('div', { class: 'panel-head' }, this.title, this.badge),
		this.list, this.empty);
		document.querySelector('.agent-side')?.prepend(this.box);
		live.on('announcement.published', (m) => {
			toast(t('tickets.ann.new', { title: m.data?.title || '' }));
			this.load();
		});
		live.on('announcement.withdrawn', () => this.load());
		live.onStatus((s) => {
			if (s === 'online')
				this.load();
		});
		onLocaleChange(() => this.paint());
		this.paint();
	}

	async load() {
		try {
			const r = await api('GET', '/announcements/mine');
			this.items = r.items || [];
			this.unread = r.unread || 0;
		} catch (err) {
			this.ctx.showError(err);
		}
		this.paint();
	}

	async markRead(a) {
		try {
			await api('POST', `/announcements/${encodeURIComponent(
				a.announcement_id)}/read`);
			await this.load();
		} catch (err) {
			this.ctx.showError(err);
		}
	}

	item(a) {
		const read = a.read ? null : el('button', { type: 'button',
			class: 'link', dataset: { read: a.announcement_id },
			onclick: () => this.markRead(a) }, t('tickets.ann.mark_read'));
		return el('li', { class: a.read ? 'read' : 'unread',
			dataset: { id: a.announcement_id } },
		el('div', { class: 'ann-title' }, a.read ? null :
			el('span', { class: 'dot', 'aria-label': t('tickets.ann.unread') }),
		el('strong', {}, a.title)),
		el('div', { class: 'ann-body' }, a.body),
		el('div', { class: 'hint' }, when(a.starts_at), ' ', read));
	}

	paint() {
		this.title.textContent = t('tickets.ann.title');
		this.badge.textContent = String(this.unread);
		this.badge.hidden = !this.unread;
		this.badge.title = t('tickets.ann.unread_n', { n: this.unread });
		/* unread first, each newest first (as the server sent them) */
		const sorted = [...this.items.filter((a) => !a.read),
			...this.items.filter((a) => a.read)];
		this.list.replaceChildren(...sorted.map((a) => this.item(a)));
		this.empty.textContent = t('tickets.ann.empty');
		this.empty.hidden = this.items.length > 0;
	}
}
