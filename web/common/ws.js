// Live events over /ws: auth as the first message, subscribe, reconnect
// with backoff, and dispatch events to listeners by type.
import { api, getSession } from './api.js';

const PING_MS = 25000;
const MAX_BACKOFF_MS = 30000;

function wsUrl() {
	const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
	return `${proto}//${window.location.host}/ws`;
}

/**
 * A live connection. Status is one of 'connecting', 'online', 'offline'
 * or 'denied' (no valid session). Listeners: on(type, fn) with an event
 * type such as 'user.created', a prefix such as 'user.*', or '*'.
 */
export class Live {
	constructor(topics = []) {
		this.topics = topics;
		this.status = 'connecting';
		this.listeners = new Map();
		this.statusListeners = new Set();
		this.sock = null;
		this.closed = false;
		this.attempt = 0;
		this.retryTimer = null;
		this.pingTimer = null;
		this.authFailures = 0;
	}

	/** Call fn(event) for matching events. Returns an unsubscriber. */
	on(type, fn) {
		if (!this.listeners.has(type))
			this.listeners.set(type, new Set());
		this.listeners.get(type).add(fn);
		return () => this.listeners.get(type)?.delete(fn);
	}

	/** Call fn(status) now and on every status change. */
	onStatus(fn) {
		this.statusListeners.add(fn);
		fn(this.status);
		return () => this.statusListeners.delete(fn);
	}

	setStatus(s) {
		if (s === this.status)
			return;
		this.status = s;
		for (const fn of this.statusListeners)
			fn(s);
	}

	dispatch(ev) {
		const type = String(ev.type || '');
		const dot = type.indexOf('.');
		const keys = [type, '*'];
		if (dot > 0)
			keys.push(`${type.slice(0, dot)}.*`);
		for (const k of keys) {
			for (const fn of this.listeners.get(k) || [])
				fn(ev);
		}
	}

	/** Open the connection (again). */
	connect() {
		this.closed = false;
		clearTimeout(this.retryTimer);
		const token = getSession()?.accessToken;
		if (!token) {
			this.setStatus('denied');
			return;
		}
		this.setStatus('connecting');
		let sock;
		try {
			sock = new WebSocket(wsUrl());
		} catch {
			this.scheduleRetry();
			return;
		}
		this.sock = sock;
		sock.addEventListener('open', () => {
			sock.send(JSON.stringify({ type: 'auth', token }));
		});
		sock.addEventListener('message', (m) => this.onMessage(sock, m));
		sock.addEventListener('close', (c) => this.onClose(sock, c));
	}

	onMessage(sock, m) {
		let msg;
		try {
			msg = JSON.parse(m.data);
		} catch {
			return;
		}
		switch (msg.type) {
		case 'auth.ok':
			this.attempt = 0;
			this.authFailures = 0;
			if (this.topics.length) {
				sock.send(JSON.stringify({ type: 'subscribe',
					topics: this.topics }));
			}
			this.setStatus('online');
			this.startPing(sock);
			break;
		case 'error':
			if (msg.code === 'unauthorized')
				this.authFailures++;
			this.dispatch(msg);
			break;
		case 'pong':
		case 'subscribed':
			this.dispatch(msg);
			break;
		default:
			this.dispatch(msg);
		}
	}

	startPing(sock) {
		clearInterval(this.pingTimer);
		this.pingTimer = setInterval(() => {
			if (sock.readyState === WebSocket.OPEN)
				sock.send(JSON.stringify({ type: 'ping' }));
		}, PING_MS);
	}

	async onClose(sock, c) {
		if (sock !== this.sock)
			return;
		clearInterval(this.pingTimer);
		this.sock = null;
		if (this.closed)
			return;
		/* 4401: the token was refused; an API call refreshes it. */
		if (c.code === 4401 || this.authFailures) {
			try {
				await api('GET', '/me');
			} catch {
				if (!getSession()) {
					this.setStatus('denied');
					return;
				}
			}
		}
		this.setStatus('offline');
		this.scheduleRetry();
	}

	scheduleRetry() {
		const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt);
		this.attempt = Math.min(this.attempt + 1, 10);
		const delay = base / 2 + Math.random() * base / 2;
		clearTimeout(this.retryTimer);
		this.retryTimer = setTimeout(() => this.connect(), delay);
	}

	/** Close for good (no reconnect). */
	close() {
		this.closed = true;
		clearTimeout(this.retryTimer);
		clearInterval(this.pingTimer);
		if (this.sock)
			this.sock.close(1000);
		this.sock = null;
	}
}

/** Open a live connection subscribed to topics. */
export function connectLive(topics = []) {
	const live = new Live(topics);
	live.connect();
	return live;
}
