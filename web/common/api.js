// fetch wrapper for /api/v1: Bearer token, JSON, problem+json errors,
// one transparent refresh on 401, and the session kept in sessionStorage.
const BASE = '/api/v1';
const K_ACCESS = 'openseat.access_token';
const K_REFRESH = 'openseat.refresh_token';
const K_ME = 'openseat.me';

/** An API failure: code from problem+json (or network_error), status. */
export class ApiError extends Error {
	constructor({ status = 0, code = 'internal_error', detail = '',
		errors = [], retryAfter = 0, title = '' } = {}) {
		super(detail || title || code);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
		this.detail = detail;
		this.errors = Array.isArray(errors) ? errors : [];
		this.retryAfter = retryAfter;
	}
}

function store() {
	return window.sessionStorage;
}

/** The stored session: {accessToken, refreshToken, me} or null. */
export function getSession() {
	const accessToken = store().getItem(K_ACCESS);
	if (!accessToken)
		return null;
	let me = null;
	try {
		me = JSON.parse(store().getItem(K_ME) || 'null');
	} catch {
		me = null;
	}
	return { accessToken, refreshToken: store().getItem(K_REFRESH), me };
}

function saveTokens(json) {
	store().setItem(K_ACCESS, json.access_token);
	if (json.refresh_token)
		store().setItem(K_REFRESH, json.refresh_token);
	if (json.user)
		store().setItem(K_ME, JSON.stringify(json.user));
}

/** Forget the session locally (no request). */
export function clearSession() {
	store().removeItem(K_ACCESS);
	store().removeItem(K_REFRESH);
	store().removeItem(K_ME);
}

function retryAfterSeconds(res) {
	const v = res.headers.get('retry-after');
	if (!v)
		return 0;
	const n = Number(v);
	if (Number.isFinite(n))
		return Math.max(0, Math.ceil(n));
	const at = Date.parse(v);
	return Number.isNaN(at) ? 0 :
		Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

async function toError(res) {
	let p = {};
	const type = res.headers.get('content-type') || '';
	if (type.includes('json')) {
		try {
			p = await res.json();
		} catch {
			p = {};
		}
	}
	return new ApiError({
		status: res.status,
		code: p.code || (res.status >= 500 ? 'internal_error' :
			`http_${res.status}`),
		title: p.title, detail: p.detail, errors: p.errors,
		retryAfter: retryAfterSeconds(res),
	});
}

async function send(method, path, body, token, headers) {
	const h = { Accept: 'application/json', ...headers };
	if (token)
		h.Authorization = `Bearer ${token}`;
	const init = { method, headers: h, credentials: 'same-origin',
		cache: 'no-store' };
	if (body !== undefined && body !== null) {
		h['Content-Type'] = 'application/json';
		init.body = JSON.stringify(body);
	}
	try {
		return await fetch(BASE + path, init);
	} catch (e) {
		throw new ApiError({ code: 'network_error',
			detail: String(e?.message || e) });
	}
}

async function parse(res) {
	if (!res.ok)
		throw await toError(res);
	if (res.status === 204)
		return null;
	const type = res.headers.get('content-type') || '';
	return type.includes('json') ? res.json() : res.text();
}

let refreshing = null;

/* One refresh at a time: parallel 401s wait for the same answer. */
function refreshOnce() {
	if (!refreshing) {
		const rt = store().getItem(K_REFRESH);
		refreshing = (async () => {
			if (!rt)
				return false;
			const res = await send('POST', '/auth/refresh',
				{ refresh_token: rt });
			if (!res.ok)
				return false;
			saveTokens(await res.json());
			return true;
		})().catch(() => false).finally(() => {
			refreshing = null;
		});
	}
	return refreshing;
}

const authListeners = new Set();

/** Call fn() when the session is gone (refresh failed). */
export function onSessionLost(fn) {
	authListeners.add(fn);
}

/**
 * Call the API. path is below /api/v1 (e.g. '/users?limit=50').
 * Resolves with the parsed JSON (null for 204), rejects with ApiError.
 * A 401 triggers one refresh with the stored refresh token and a retry.
 */
export async function api(method, path, body, opts = {}) {
	const session = getSession();
	const token = opts.auth === false ? null : session?.accessToken;
	let res = await send(method, path, body, token, opts.headers);
	if (res.status === 401 && token && opts.retry !== false) {
		if (await refreshOnce()) {
			res = await send(method, path, body,
				getSession()?.accessToken, opts.headers);
		}
		if (res.status === 401) {
			clearSession();
			for (const fn of authListeners)
				fn();
		}
	}
	return parse(res);
}

/**
 * Sign in; tenant '' or null means the platform operator.
 * @return the login response; tokens and user are stored.
 */
export async function login(tenant, username, password) {
	const body = { username, password };
	if (tenant)
		body.tenant = tenant;
	const res = await send('POST', '/auth/login', body, null);
	const json = await parse(res);
	saveTokens(json);
	return json;
}

/** Fetch /me and remember it. */
export async function fetchMe() {
	const me = await api('GET', '/me');
	store().setItem(K_ME, JSON.stringify(me));
	return me;
}

/** Revoke the refresh token family on the server and forget the session. */
export async function logout() {
	const s = getSession();
	try {
		if (s?.refreshToken) {
			await api('POST', '/auth/logout',
				{ refresh_token: s.refreshToken }, { retry: false });
		}
	} catch {
		/* the local session goes anyway */
	}
	clearSession();
}

/** True for the platform operator (no tenant). */
export function isOperator(me) {
	return me?.kind === 'operator' || me?.role === 'operator';
}

/** The console path for a principal. */
export function consoleFor(me) {
	if (isOperator(me))
		return '/admin/';
	switch (me?.role) {
	case 'admin': return '/admin/';
	case 'supervisor': return '/supervisor/';
	default: return '/agent/';
	}
}

/** A fresh Idempotency-Key for a POST the user may resubmit. */
export function newIdempotencyKey() {
	if (window.crypto?.randomUUID)
		return window.crypto.randomUUID();
	return `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
