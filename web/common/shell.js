// The console frame: top bar (product, tenant, user and role, language,
// sign-out), session guard, live-status badge and a small toast.
import { applyI18n, onLocaleChange, roleText, t, toggleLocale }
	from './i18n.js';
import { fetchMe, getSession, isOperator, logout, onSessionLost }
	from './api.js';

function el(tag, props = {}, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(props)) {
		if (k === 'class')
			e.className = v;
		else if (k === 'dataset')
			Object.assign(e.dataset, v);
		else if (k.startsWith('on'))
			e.addEventListener(k.slice(2), v);
		else if (v !== undefined && v !== null && v !== false)
			e.setAttribute(k, v === true ? '' : v);
	}
	for (const c of children.flat()) {
		if (c !== null && c !== undefined && c !== false)
			e.append(c instanceof Node ? c : String(c));
	}
	return e;
}

export { el };

/* Signed out or never in: the login page, which brings the user back
 * here (page and hash: a shared link) unless they signed out. */
function goLogin(expired, back = true) {
	const q = new URLSearchParams();
	if (expired)
		q.set('expired', '1');
	if (back)
		q.set('next', window.location.pathname + window.location.hash);
	const qs = String(q);
	window.location.replace(qs ? `/?${qs}` : '/');
}

function renderWho(me, who) {
	const name = me.display_name || me.username || me.name || '';
	const role = me.kind === 'api_key' ? t('kind.api_key') :
		roleText(isOperator(me) ? 'operator' : me.role);
	who.replaceChildren(el('span', { class: 'name' }, name),
		el('span', { class: 'role' }, role));
}

function renderTopbar(me) {
	const bar = document.getElementById('topbar');
	bar.classList.add('topbar');
	const tenant = el('span', { class: 'tenant' });
	const who = el('div', { class: 'who', id: 'who' });
	const status = el('span', { class: 'status', id: 'live-status',
		dataset: { state: 'connecting' }, hidden: true });
	const lang = el('button', { type: 'button', class: 'link',
		id: 'lang-switch', onclick: () => toggleLocale() });
	const out = el('button', { type: 'button', id: 'logout',
		onclick: async () => {
			await logout();
			goLogin(false, false);
		} });
	bar.replaceChildren(el('span', { class: 'brand-name' }, 'OpenSeat'),
		tenant, el('span', { class: 'spacer' }), status, who, lang, out);
	const paint = () => {
		tenant.textContent = isOperator(me) ? t('shell.platform') :
			(me.tenant_name || me.tenant_code || '');
		lang.textContent = t('lang.switch');
		out.textContent = t('shell.logout');
		renderWho(me, who);
	};
	paint();
	onLocaleChange(paint);
}

/**
 * Guard the page and draw the top bar.
 * @return the principal (/me); redirects to the login page without one.
 */
export async function initShell() {
	applyI18n();
	const s = getSession();
	if (!s) {
		goLogin(false);
		return new Promise(() => {});
	}
	onSessionLost(() => goLogin(true));
	let me = s.me;
	try {
		me = await fetchMe();
	} catch (err) {
		if (err.code === 'unauthorized' || !getSession()) {
			goLogin(true);
			return new Promise(() => {});
		}
		/* offline: draw with what we had */
	}
	renderTopbar(me || {});
	return me || {};
}

/** Show a Live connection's state in the top bar. */
export function bindLiveStatus(live) {
	const badge = document.getElementById('live-status');
	if (!badge)
		return;
	badge.hidden = false;
	const paint = () => {
		badge.dataset.state = live.status;
		badge.textContent = t(`ws.${live.status}`);
	};
	live.onStatus(paint);
	onLocaleChange(paint);
}

let toastTimer = null;

/** A short message at the bottom of the screen. */
export function toast(text) {
	let box = document.getElementById('toast');
	if (!box) {
		box = el('div', { id: 'toast', class: 'toast', role: 'status' });
		document.body.append(box);
	}
	box.textContent = text;
	box.hidden = false;
	clearTimeout(toastTimer);
	toastTimer = setTimeout(() => {
		box.hidden = true;
	}, 4000);
}
