// The sign-in page: tenant code, username, password → the role's console.
import { applyI18n, errorText, t, toggleLocale } from './i18n.js';
import { consoleFor, getSession, login } from './api.js';

const form = document.getElementById('login-form');
const errorBox = document.getElementById('login-error');
const submit = document.getElementById('login-submit');
const TENANT_KEY = 'openseat.last_tenant';

let lastError = null;

/*
 * Where a user goes once signed in: back to the page that sent them here
 * (?next=, from a shared link or an expired session) when it is on their
 * own console, else to that console. Only a path under the console's is
 * followed, never another site.
 */
function destination(user) {
	const home = consoleFor(user);
	const next = new URLSearchParams(window.location.search).get('next');
	return next?.startsWith(home) ? next : home;
}

function showError(text) {
	errorBox.textContent = text;
	errorBox.hidden = !text;
}

function renderError() {
	if (!lastError)
		return showError('');
	showError(typeof lastError === 'string' ? t(lastError) :
		errorText(lastError));
}

async function onSubmit(ev) {
	ev.preventDefault();
	const tenant = form.tenant.value.trim();
	const username = form.username.value.trim();
	const password = form.password.value;
	if (!username || !password) {
		lastError = 'login.required';
		renderError();
		return;
	}
	submit.disabled = true;
	submit.textContent = t('login.busy');
	lastError = null;
	renderError();
	try {
		const res = await login(tenant, username, password);
		try {
			localStorage.setItem(TENANT_KEY, tenant);
		} catch {
			/* not remembered */
		}
		window.location.assign(destination(res.user));
		return;
	} catch (err) {
		lastError = err;
		renderError();
		form.password.value = '';
		form.password.focus();
	} finally {
		submit.disabled = false;
		submit.textContent = t('login.submit');
	}
}

function init() {
	applyI18n();
	document.getElementById('lang-switch').addEventListener('click', () => {
		toggleLocale();
		renderError();
	});
	const params = new URLSearchParams(window.location.search);
	if (params.get('expired')) {
		lastError = 'login.expired';
		renderError();
	}
	const s = getSession();
	if (s?.me && !params.get('expired')) {
		window.location.replace(destination(s.me));
		return;
	}
	try {
		form.tenant.value = localStorage.getItem(TENANT_KEY) ?? '';
	} catch {
		form.tenant.value = '';
	}
	form.addEventListener('submit', onSubmit);
	(form.tenant.value ? form.username : form.tenant).focus();
	document.body.dataset.ready = '1';
}

init();
