// Translation: zh-CN by default, English on request, choice remembered.
import zhCN from './locales/zh-CN.js';
import en from './locales/en.js';
import agentZh from '../agent/locales/zh-CN.js';
import agentEn from '../agent/locales/en.js';
import supervisorZh from '../supervisor/locales/zh-CN.js';
import supervisorEn from '../supervisor/locales/en.js';
import recordingsZh from './locales/recordings.zh-CN.js';
import recordingsEn from './locales/recordings.en.js';
import customersZh from './locales/customers.zh-CN.js';
import customersEn from './locales/customers.en.js';
import custimportZh from './locales/custimport.zh-CN.js';
import custimportEn from './locales/custimport.en.js';
import screenpopZh from './locales/screenpop.zh-CN.js';
import screenpopEn from './locales/screenpop.en.js';
import ticketsZh from './locales/tickets.zh-CN.js';
import ticketsEn from './locales/tickets.en.js';
import webhooksZh from './locales/webhooks.zh-CN.js';
import webhooksEn from './locales/webhooks.en.js';
import restapiZh from './locales/restapi.zh-CN.js';
import restapiEn from './locales/restapi.en.js';
import navZh from './locales/nav.zh-CN.js';
import navEn from './locales/nav.en.js';

/* Each console keeps its own strings beside its pages. */
const DICTS = {
	'zh-CN': { ...zhCN, ...agentZh, ...supervisorZh, ...recordingsZh,
		...customersZh, ...custimportZh, ...screenpopZh, ...ticketsZh,
		...webhooksZh, ...restapiZh, ...navZh },
	en: { ...en, ...agentEn, ...supervisorEn, ...recordingsEn,
		...customersEn, ...custimportEn, ...screenpopEn, ...ticketsEn,
		...webhooksEn, ...restapiEn, ...navEn },
};
const STORE_KEY = 'openseat.locale';
const DEFAULT = 'zh-CN';
const listeners = new Set();

function storedLocale() {
	try {
		const v = localStorage.getItem(STORE_KEY);
		return v && DICTS[v] ? v : DEFAULT;
	} catch {
		return DEFAULT;
	}
}

let current = storedLocale();

/** The active locale code ('zh-CN' or 'en'). */
export function getLocale() {
	return current;
}

/** The locales offered, in display order. */
export function locales() {
	return Object.keys(DICTS);
}

/**
 * Translate key, replacing {name} placeholders from vars. An unknown key
 * falls back to zh-CN, then to the key itself (visible, so it gets fixed).
 */
export function t(key, vars) {
	let s = DICTS[current][key] ?? DICTS[DEFAULT][key] ?? key;
	if (vars) {
		s = s.replace(/\{(\w+)\}/g, (m, name) =>
			name in vars ? String(vars[name]) : m);
	}
	return s;
}

/** True when key exists in the dictionaries. */
export function hasKey(key) {
	return key in DICTS[DEFAULT];
}

/**
 * Fill every element under root marked with data-i18n (text),
 * data-i18n-placeholder, data-i18n-title or data-i18n-aria-label.
 */
export function applyI18n(root = document) {
	for (const el of root.querySelectorAll('[data-i18n]'))
		el.textContent = t(el.dataset.i18n);
	for (const el of root.querySelectorAll('[data-i18n-placeholder]'))
		el.placeholder = t(el.dataset.i18nPlaceholder);
	for (const el of root.querySelectorAll('[data-i18n-title]'))
		el.title = t(el.dataset.i18nTitle);
	for (const el of root.querySelectorAll('[data-i18n-aria-label]'))
		el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
	if (root === document) {
		document.documentElement.lang = current;
		const tk = document.documentElement.dataset.i18nTitle;
		if (tk)
			document.title = `${t(tk)} · ${t('app.name')}`;
	}
}

/** Switch the language, remember it, re-translate the page. */
export function setLocale(loc) {
	if (!DICTS[loc] || loc === current)
		return;
	current = loc;
	try {
		localStorage.setItem(STORE_KEY, loc);
	} catch {
		/* private mode: the choice lasts for this page only */
	}
	applyI18n(document);
	for (const fn of listeners)
		fn(loc);
}

/** Toggle between the two languages. */
export function toggleLocale() {
	setLocale(current === 'en' ? 'zh-CN' : 'en');
}

/** Call fn(locale) after every language switch. Returns an unsubscriber. */
export function onLocaleChange(fn) {
	listeners.add(fn);
	return () => listeners.delete(fn);
}

/** A user-facing sentence for an error thrown by api.js. */
export function errorText(err) {
	const code = err?.code || 'internal_error';
	if (code === 'too_many_requests') {
		return err.retryAfter > 0 ?
			t('error.too_many_requests', { seconds: err.retryAfter }) :
			t('error.too_many_requests.nowait');
	}
	if (hasKey(`error.${code}`))
		return t(`error.${code}`);
	return t('error.unknown', { code });
}

/** A message for one entry of a problem's errors[] (field validation). */
export function fieldErrorText(fe) {
	if (fe?.code && hasKey(`field.${fe.code}`)) {
		const base = t(`field.${fe.code}`);
		/* The server's English detail is precise; show it in English. */
		return current === 'en' && fe.message ?
			`${base}: ${fe.message}` : base;
	}
	return fe?.message || t('field.format');
}

/** An ISO time as local date and time in the active language. */
export function formatTime(iso) {
	if (!iso)
		return '—';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime()))
		return String(iso);
	return d.toLocaleString(current, {
		year: 'numeric', month: '2-digit', day: '2-digit',
		hour: '2-digit', minute: '2-digit', second: '2-digit',
	});
}

/** The translated name of a role ('agent', 'admin', ...). */
export function roleText(role) {
	return hasKey(`role.${role}`) ? t(`role.${role}`) : String(role ?? '');
}
