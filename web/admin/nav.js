// The admin console's side navigation: each role's pages grouped by
// task, the selected page in the URL hash (reload, back and shared links
// work), a menu button in place of the list on narrow screens.
import { onLocaleChange, t } from '../common/i18n.js';
import { el } from '../common/shell.js';
import { tx } from './ui.js';

/*
 * Pages by group, in the order a new tenant is set up: who works here
 * and how calls reach them, then the numbers and voice menus, what calls
 * leave behind, the customers, the records, the system. A group of one
 * page (for a role) shows that page without its heading.
 */
const GROUPS = {
	tenant: [
		['team', ['users', 'agents', 'skills', 'queues', 'reasons',
			'dispositions', 'vip']],
		['ivr', ['numbers', 'flows', 'schedules', 'prompts', 'voicemail']],
		['calls', ['calls', 'recordings', 'qaforms', 'recsettings']],
		['crm', ['customers', 'customfields', 'custimport', 'crmsettings']],
		['service', ['tickets', 'tickettypes', 'announcements']],
		['system', ['apikeys', 'webhooks', 'audit']],
	],
	operator: [
		['platform', ['tenants']],
		['carrier', ['trunks', 'numbers']],
	],
	/* a supervisor here works records and announcements */
	supervisor: [
		['service', ['tickets', 'announcements']],
	],
};

const NARROW = window.matchMedia('(max-width: 900px)');

/** The pages of a role ('tenant', 'operator', 'supervisor'), in order. */
export function navNames(kind) {
	return GROUPS[kind].flatMap(([, names]) => names);
}

function entry(name) {
	return el('li', {}, tx('a', `tab.${name}`, { href: `#${name}`,
		'data-tab': name }));
}

function groupBlock([key, names]) {
	if (names.length === 1)
		return el('ul', { class: 'nav-list' }, entry(names[0]));
	const id = `nav-group-${key}`;
	return el('div', { class: 'nav-group', 'data-group': key },
		tx('div', `adminnav.group.${key}`, { class: 'nav-group-title', id }),
		el('ul', { class: 'nav-list', 'aria-labelledby': id },
			...names.map(entry)));
}

/* The side bar sticks under the top bar, whose height wraps with it. */
function followTopbar() {
	const bar = document.getElementById('topbar');
	const set = () => document.documentElement.style.setProperty(
		'--topbar-h', `${bar.offsetHeight}px`);
	new ResizeObserver(set).observe(bar);
	set();
}

class Nav {
	constructor(kind, onSelect) {
		this.names = navNames(kind);
		this.onSelect = onSelect;
		this.current = null;
		this.list = document.getElementById('tabs');
		this.toggle = document.getElementById('nav-toggle');
		this.list.replaceChildren(...GROUPS[kind].map(groupBlock));
		this.list.addEventListener('click', (e) => this.clicked(e));
		this.toggle.addEventListener('click', () => this.setOpen(
			this.toggle.getAttribute('aria-expanded') !== 'true'));
		document.getElementById('sidenav').addEventListener('keydown',
			(e) => this.key(e));
		document.addEventListener('click', (e) => {
			if (!e.target.closest('#sidenav'))
				this.setOpen(false);
		});
		/* a hash typed in the address bar or linked from a page fires
		 * both; back and forward fire popstate */
		window.addEventListener('popstate', () => this.follow());
		window.addEventListener('hashchange', () => this.follow());
		onLocaleChange(() => this.paint());
		NARROW.addEventListener('change', () => this.setOpen(false));
	}

	hashName() {
		const want = window.location.hash.slice(1);
		return this.names.includes(want) ? want : null;
	}

	/* The URL names the page shown; an unknown hash is replaced. */
	follow() {
		const name = this.hashName();
		if (name)
			this.show(name);
		else if (this.current)
			history.replaceState(null, '', `#${this.current}`);
	}

	show(name) {
		if (name === this.current)
			return;
		this.current = name;
		for (const a of this.list.querySelectorAll('a[data-tab]')) {
			if (a.dataset.tab === name)
				a.setAttribute('aria-current', 'page');
			else
				a.removeAttribute('aria-current');
		}
		this.onSelect(name);
		this.paint();
	}

	/* The page's name in the menu button and the window title, so that
	 * history entries and shared tabs say where they lead. */
	paint() {
		const label = t(`tab.${this.current}`);
		document.getElementById('nav-current').textContent = label;
		document.title = `${label} · ${t('admin.title')} · ${t('app.name')}`;
	}

	/*
	 * A plain click is handled here rather than by the browser's jump
	 * to the fragment: the page switches at once, the window does not
	 * scroll to an element that happens to bear the page's name, and
	 * one history entry is pushed. Modified clicks (new tab) pass.
	 */
	clicked(e) {
		const a = e.target.closest('a[data-tab]');
		if (!a || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey ||
			e.altKey)
			return;
		e.preventDefault();
		const name = a.dataset.tab;
		if (name !== this.current) {
			history.pushState(null, '', `#${name}`);
			this.show(name);
			window.scrollTo(0, 0);
		}
		if (this.isOpen()) {
			this.setOpen(false);
			this.focusPage(name);
		}
	}

	/* From the closed menu, focus goes on to the page it opened. */
	focusPage(name) {
		const h = document.querySelector(`#tab-${name} h2`);
		if (!h)
			return;
		h.setAttribute('tabindex', '-1');
		h.focus();
	}

	key(e) {
		if (e.key !== 'Escape' || !this.isOpen())
			return;
		this.setOpen(false);
		this.toggle.focus();
	}

	isOpen() {
		return NARROW.matches &&
			this.toggle.getAttribute('aria-expanded') === 'true';
	}

	setOpen(open) {
		this.toggle.setAttribute('aria-expanded', String(open));
	}
}

/**
 * Draw the navigation of a role and show the page the URL names, else
 * the role's first.
 * @param kind      'tenant', 'operator' or 'supervisor'
 * @param onSelect  shows a page, given its name; called on every change
 */
export function initNav(kind, onSelect) {
	followTopbar();
	const nav = new Nav(kind, onSelect);
	const name = nav.hashName() || nav.names[0];
	if (window.location.hash !== `#${name}`)
		history.replaceState(null, '', `#${name}`);
	nav.show(name);
}
