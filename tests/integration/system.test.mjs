// Health, readiness, metrics, security headers, static files, routing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';

let s;
before(async () => { s = await startStack(); });
after(async () => { await s?.stop(); });

test('healthz and readyz answer with JSON', async () => {
	const h = await s.api('GET', '/healthz');
	assert.equal(h.status, 200);
	assert.equal(h.json.status, 'ok');
	const r = await s.api('GET', '/readyz');
	assert.equal(r.status, 200);
	assert.equal(r.json.database, 'up');
});

test('security headers on API, static and error responses', async () => {
	for (const p of ['/api/v1/me', '/', '/healthz', '/api/v1/nowhere']) {
		const r = await s.api('GET', p);
		const h = r.headers;
		assert.match(h.get('strict-transport-security') || '', /max-age=/,
			p);
		assert.match(h.get('content-security-policy') || '',
			/frame-ancestors 'none'/, p);
		assert.equal(h.get('x-content-type-options'), 'nosniff', p);
		assert.equal(h.get('referrer-policy'), 'no-referrer', p);
	}
});

test('unknown route is 404 problem+json, wrong method 405 with Allow',
	async () => {
		const tok = await s.token(s.admin);
		const r = await s.api('GET', '/api/v1/nowhere', null, tok);
		assert.equal(r.status, 404);
		assert.match(r.headers.get('content-type'),
			/application\/problem\+json/);
		assert.equal(r.json.code, 'not_found');
		const m = await s.api('DELETE', '/api/v1/me', null, tok);
		assert.equal(m.status, 405);
		assert.equal(m.json.code, 'method_not_allowed');
		assert.match(m.headers.get('allow') || '', /GET/);
	});

test('metrics expose HTTP, DB pool, WS and loop figures', async () => {
	await s.api('GET', '/healthz');
	const r = await s.api('GET', '/metrics');
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /text\/plain/);
	for (const name of ['openseat_http_requests_total',
		'openseat_http_request_duration_seconds_bucket',
		'openseat_db_pool_connections', 'openseat_ws_clients',
		'openseat_loop_lag_seconds'])
		assert.match(r.text, new RegExp(`^${name}`, 'm'), name);
	assert.match(r.text, /route="\/healthz"/);
	/* the first scrape's loop lag is the loop's, not the time since an
	 * epoch (the start-up tick has nothing to be late for) */
	const lag = Number(/^openseat_loop_lag_seconds (\S+)$/m.exec(r.text)[1]);
	assert.ok(lag >= 0 && lag < 10, `loop lag ${lag} s`);
	for (const name of ['openseat_calls_active',
		'openseat_media_tick_lateness_bucket', 'openseat_rtp_packets'])
		assert.match(r.text, new RegExp(`^${name}`, 'm'), name);
	/* every bucket bound is a number, so series do not collapse */
	const bounds = [...r.text.matchAll(/le="([^"]*)"/g)].map((m) => m[1]);
	assert.ok(bounds.length > 8);
	for (const b of bounds)
		assert.match(b, /^(\d+(\.\d+)?(e-?\d+)?|\+Inf)$/, `le="${b}"`);
	const tick = r.text.split('\n').filter((l) =>
		l.startsWith('openseat_media_tick_lateness_bucket'));
	assert.equal(new Set(tick.map((l) => l.split(' ')[0])).size, 8);
});

test('the consoles are served with cache headers', async () => {
	const r = await s.api('GET', '/');
	assert.equal(r.status, 200);
	assert.match(r.text, /<html lang="zh-CN"/);
	const js = await s.api('GET', '/common/api.js');
	assert.equal(js.status, 200);
	assert.ok(js.headers.get('cache-control'));
});
