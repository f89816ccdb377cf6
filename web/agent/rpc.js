// Requests over the console's WebSocket (docs/WEBSOCKET.md): each gets
// an "id" the answer echoes; an "error" answer rejects with its code.

const TIMEOUT_MS = 15000;

/** A refused request: code as in docs/WEBSOCKET.md. */
export class WsError extends Error {
	constructor(code, message) {
		super(message || code);
		this.name = 'WsError';
		this.code = code || 'failed';
	}
}

/**
 * Bind to a Live connection (common/ws.js): request(type, fields)
 * resolves with the answer message or rejects with a WsError
 * ('network_error' while the socket is not open).
 */
export function rpcFor(live) {
	let next = 1;
	const pending = new Map();
	live.on('*', (m) => {
		if (m.id === undefined || !pending.has(m.id))
			return;
		const p = pending.get(m.id);
		pending.delete(m.id);
		clearTimeout(p.timer);
		if (m.type === 'error')
			p.reject(new WsError(m.code, m.message));
		else
			p.resolve(m);
	});
	live.onStatus((s) => {
		if (s === 'online')
			return;
		for (const [id, p] of pending) {
			pending.delete(id);
			clearTimeout(p.timer);
			p.reject(new WsError('network_error'));
		}
	});
	return function request(type, fields = {}) {
		const sock = live.sock;
		if (!sock || sock.readyState !== WebSocket.OPEN ||
			live.status !== 'online')
			return Promise.reject(new WsError('network_error'));
		const id = `a${next++}`;
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				pending.delete(id);
				reject(new WsError('timeout'));
			}, TIMEOUT_MS);
			pending.set(id, { resolve, reject, timer });
			sock.send(JSON.stringify({ ...fields, type, id }));
		});
	};
}
