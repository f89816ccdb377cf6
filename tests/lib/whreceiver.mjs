// A real HTTP receiver for webhooks: records every request, answers as
// each path's behaviour says, and verifies signatures exactly as
// docs/WEBHOOKS.md tells a receiver to.
import crypto from 'node:crypto';
import http from 'node:http';

/**
 * Verify a Standard Webhooks signature: HMAC-SHA256 keyed with the
 * base64-decoded secret (after "whsec_") over "id.timestamp.body",
 * base64, compared with each "v1,<sig>" of the header.
 * Returns the index of the matching signature, or -1.
 */
export function verify(secret, headers, body, toleranceS = 300) {
	const id = headers['webhook-id'];
	const ts = headers['webhook-timestamp'];
	const sigs = (headers['webhook-signature'] || '').split(' ');
	if (!id || !/^\d+$/.test(ts || ''))
		return -1;
	if (Math.abs(Date.now() / 1000 - Number(ts)) > toleranceS)
		return -1;
	const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
	const expected = crypto.createHmac('sha256', key)
		.update(`${id}.${ts}.${body}`).digest();
	return sigs.findIndex((s) => {
		const [v, b64] = s.split(',');
		const got = Buffer.from(b64 || '', 'base64');
		return v === 'v1' && got.length === expected.length &&
			crypto.timingSafeEqual(got, expected);
	});
}

/**
 * Start a receiver on host (127.0.0.2 in tests: the egress allow list
 * names it, so 127.0.0.1 stays refused). behave[path] = (req, body, n)
 * => {status, headers, body} | 'hang' | 'huge', n counting that path's
 * requests from 1; default 200 "ok".
 */
export function startReceiver(host = '127.0.0.2', port = 0) {
	const got = [];
	const waiters = [];
	const behave = {};
	const hanging = [];
	const counts = {};
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks).toString('utf8');
			const path = req.url;
			counts[path] = (counts[path] || 0) + 1;
			const r = { path, headers: req.headers, body,
				at: Date.now(), json: null };
			try { r.json = JSON.parse(body); } catch { /* not JSON */ }
			got.push(r);
			for (let i = 0; i < waiters.length; i++) {
				if (waiters[i].pred(r)) {
					waiters[i].resolve(r);
					clearTimeout(waiters[i].timer);
					waiters.splice(i--, 1);
				}
			}
			const b = behave[path] ? behave[path](req, body,
				counts[path]) : null;
			if (b === 'hang') {
				hanging.push(res);
				return;
			}
			if (b === 'huge') {
				const chunk = Buffer.alloc(65536, 'x');
				const total = 64 * 1024 * 1024;
				res.writeHead(200, { 'content-length': String(total) });
				let sent = 0;
				const pump = () => {
					while (sent < total) {
						sent += chunk.length;
						if (!res.write(chunk))
							return res.once('drain', pump);
					}
					res.end();
				};
				res.on('error', () => {});
				res.socket.on('error', () => {});
				pump();
				return;
			}
			const out = b || { status: 200, body: 'ok' };
			res.writeHead(out.status, out.headers || {});
			res.end(out.body || '');
		});
	});
	server.keepAliveTimeout = 60000;
	return new Promise((resolve) => {
		server.listen(port, host, () => {
			const rcv = {
				host, port: server.address().port, got, behave, counts,
				url: (p) => `http://${host}:${server.address().port}${p}`,
				/** the next (or an already received) matching request */
				next(pred, timeoutMs = 10000) {
					const seen = got.find(pred);
					if (seen)
						return Promise.resolve(seen);
					return new Promise((res, rej) => {
						const w = { pred, resolve: res };
						w.timer = setTimeout(() => {
							waiters.splice(waiters.indexOf(w), 1);
							rej(new Error('receiver: nothing matching in ' +
								`${timeoutMs} ms`));
						}, timeoutMs);
						waiters.push(w);
					});
				},
				close() {
					for (const r of hanging)
						r.destroy();
					server.closeAllConnections();
					return new Promise((res) => server.close(res));
				},
			};
			resolve(rcv);
		});
	});
}
