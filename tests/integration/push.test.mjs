// The WebSocket push: authentication by first message, topics by role,
// bad messages, keepalive, and a client that never reads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { startStack, wsAuthed, wsConnect } from '../lib/stack.mjs';

let s;
let admin;
before(async () => {
	s = await startStack({ env: { OPENSEAT_WS_AUTH_TIMEOUT_MS: '800',
		OPENSEAT_WS_MAX_QUEUE: '32', OPENSEAT_WS_PING_INTERVAL: '1' } });
	admin = await s.token(s.admin);
});
after(async () => { await s?.stop(); });

test('first message authenticates; events carry the envelope', async () => {
	const c = await wsAuthed(s, admin, ['user']);
	const r = await s.api('POST', '/api/v1/users', { username: 'pushed',
		password: 'Push@2026x', role: 'agent' }, admin);
	assert.equal(r.status, 201);
	const ev = await c.next('user.created');
	assert.match(ev.id, /^[0-9a-f-]{36}$/);
	assert.match(ev.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
	assert.equal(ev.tenant, r.json.tenant_id);
	assert.equal(ev.data.user_id, r.json.user_id);
	assert.deepEqual(Object.keys(ev).sort(), ['data', 'id', 'tenant', 'ts',
		'type']);
	c.close();
});

test('a bad token is refused and the socket closed', async () => {
	const c = await wsConnect(s.wsUrl);
	c.send({ type: 'auth', token: 'eyJhbGciOiJub25lIn0.e30.' });
	const e = await c.next('error');
	assert.equal(e.code, 'unauthorized');
	assert.equal((await c.closed()).code, 4401);
});

test('a token in the URL does not count', async () => {
	const c = await wsConnect(`${s.wsUrl}?token=${admin}`);
	c.send({ type: 'ping' });
	const e = await c.next('error');
	assert.equal(e.code, 'unauthorized');
	assert.equal((await c.closed()).code, 4401);
});

test('no auth message in time: closed 4401', async () => {
	const c = await wsConnect(s.wsUrl);
	const t0 = Date.now();
	assert.equal((await c.closed()).code, 4401);
	assert.ok(Date.now() - t0 >= 700, 'not before the timeout');
});

test('only /ws upgrades', async () => {
	await assert.rejects(wsConnect(s.wsUrl.replace('/ws', '/api/v1/me')));
});

test('topics not allowed for the role are refused', async () => {
	const agent = await s.token(s.agent);
	const c = await wsAuthed(s, agent);
	c.send({ type: 'subscribe', topics: ['tenant'] });
	const e = await c.next('error');
	assert.equal(e.code, 'forbidden');
	c.close();
});

test('bad messages get an error and the socket stays usable', async () => {
	const c = await wsAuthed(s, admin);
	c.send('{not json');
	assert.equal((await c.next('error')).code, 'invalid_json');
	c.send({ type: 'teleport' });
	assert.equal((await c.next('error')).code, 'unknown_type');
	c.send({ type: 'ping' });
	await c.next('pong');
	c.close();
});

test('oversized messages close the socket with 1009', async () => {
	const c = await wsAuthed(s, admin);
	c.send({ type: 'ping', pad: 'x'.repeat(100 * 1024) });
	assert.equal((await c.closed()).code, 1009);
});

test('an open socket ends when its user is disabled or key revoked',
	async () => {
		const u = await s.api('POST', '/api/v1/users', { username:
			'leaver', password: 'Leave@2026', role: 'supervisor' }, admin);
		assert.equal(u.status, 201);
		const tok = await s.token({ tenant: 'demo', username: 'leaver',
			password: 'Leave@2026' });
		const c = await wsAuthed(s, tok, ['user']);
		const k = await s.api('POST', '/api/v1/api-keys', { name: 'wsk',
			role: 'admin' }, admin);
		const ck = await wsAuthed(s, k.json.key, ['user']);

		await s.api('PATCH', `/api/v1/users/${u.json.user_id}`,
			{ disabled: true }, admin);
		await s.api('DELETE', `/api/v1/api-keys/${k.json.api_key_id}`,
			null, admin);
		const within = (p) => Promise.race([p, new Promise((_, rej) =>
			setTimeout(() => rej(new Error('socket left open')), 15000))]);
		assert.equal((await within(c.closed())).code, 4403);
		assert.equal((await within(ck.closed())).code, 4401);
	});

/* A WebSocket by hand, so it can stop reading at the TCP level. */
function rawClient() {
	return new Promise((resolve, reject) => {
		const sock = net.connect(s.port, '127.0.0.1');
		let buf = Buffer.alloc(0);
		const waiters = [];
		sock.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			for (const w of waiters.splice(0))
				w();
		});
		sock.on('error', () => {});
		const until = (re) => new Promise((res) => {
			const check = () => (re.test(buf.toString('latin1')) ? res() :
				waiters.push(check));
			check();
		});
		const send = (obj) => {
			const p = Buffer.from(JSON.stringify(obj));
			assert.ok(p.length < 65536);
			const mask = crypto.randomBytes(4);
			const head = p.length < 126 ? Buffer.from([0x81,
				0x80 | p.length]) : Buffer.from([0x81, 0x80 | 126,
				p.length >> 8, p.length & 255]);
			const f = Buffer.concat([head, mask,
				p.map((b, i) => b ^ mask[i & 3])]);
			sock.write(f);
		};
		sock.on('connect', async () => {
			sock.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
				'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
				`Sec-WebSocket-Key: ${crypto.randomBytes(16)
					.toString('base64')}\r\n` +
				'Sec-WebSocket-Version: 13\r\n\r\n');
			await until(/^HTTP\/1\.1 101/);
			resolve({ sock, until, send });
		});
		sock.on('error', reject);
	});
}

async function dropped() {
	const m = await s.api('GET', '/metrics');
	const v = /^openseat_ws_dropped_clients_total(?:\{[^}]*\})? (\d+)/m
		.exec(m.text);
	return v ? Number(v[1]) : 0;
}

test('a client that never reads is dropped; others keep receiving',
	async () => {
		const base = await dropped();
		const raw = await rawClient();
		raw.send({ type: 'auth', token: admin });
		await raw.until(/auth\.ok/);
		raw.send({ type: 'subscribe', topics: ['user'] });
		await raw.until(/subscribed/);
		raw.sock.pause();     /* from now on nothing is read */

		const good = await wsAuthed(s, admin, ['user']);
		const list = await s.api('GET', '/api/v1/users?limit=1', null,
			admin);
		const id = list.json.items[0].user_id;
		let n = 0;
		while (await dropped() === base) {
			assert.ok(n < 40000, 'slow client never dropped');
			const names = Array.from({ length: 24 }, () =>
				`慢客户端测试 ${n++} ${'扩'.repeat(80)}`);
			const rs = await Promise.all(names.map((dn) => s.api('PATCH',
				`/api/v1/users/${id}`, { display_name: dn }, admin)));
			/* the good client reads each burst before the next, and a
			 * burst stays under the queue limit (32): a burst of 50 could
			 * pile up between two writes to it and drop it as well */
			for (const [i, dn] of names.entries()) {
				if (rs[i].status === 200)
					await good.next((m) => m.type === 'user.updated' &&
						m.data.display_name === dn, 10000);
			}
		}
		const name = 'after the drop';
		await s.api('PATCH', `/api/v1/users/${id}`,
			{ display_name: name }, admin);
		await good.next((m) => m.type === 'user.updated' &&
			m.data.display_name === name, 10000);
		assert.equal((await s.api('GET', '/api/v1/me', null, admin))
			.status, 200);
		good.close();
		raw.sock.destroy();
	});
