// The audit log: every change leaves one entry naming who, what, which
// and from where; newest first; filters; pagination; admins only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';

let s;
let admin;
let adminId;
before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
	adminId = (await s.api('GET', '/api/v1/me', null, admin)).json.user_id;
});
after(async () => { await s?.stop(); });

async function audit(query = '', token = admin) {
	const r = await s.api('GET', `/api/v1/audit?limit=200${query}`, null,
		token);
	assert.equal(r.status, 200, r.text);
	return r.json.items;
}

/* The newest entry, which must be the one the last call wrote. */
async function newest() {
	return (await audit())[0];
}

function checkEntry(e, action, targetType, targetId, actor = 'admin') {
	assert.equal(e.action, action, JSON.stringify(e));
	assert.equal(e.target_type, targetType);
	assert.equal(e.target_id, targetId);
	assert.equal(e.actor_name, actor);
	assert.ok(e.actor_kind, 'actor_kind');
	assert.match(e.remote_addr, /127\.0\.0\.1/);
	assert.ok(Number.isInteger(e.audit_id) || typeof e.audit_id === 'string');
	assert.ok(!Number.isNaN(Date.parse(e.created_at)), e.created_at);
	assert.equal(typeof e.detail, 'object');
}

test('each change writes one entry with actor, action, target, address',
	async () => {
		const start = (await audit()).length;
		const c = await s.api('POST', '/api/v1/users', { username: 'aud1',
			password: 'Audit@2026', role: 'agent' }, admin);
		assert.equal(c.status, 201);
		const uid = c.json.user_id;
		let e = await newest();
		checkEntry(e, 'user.create', 'user', uid);
		assert.equal(e.actor_kind, 'user');
		assert.equal(e.actor_id, adminId);

		assert.equal((await s.api('PATCH', `/api/v1/users/${uid}`,
			{ display_name: '审计' }, admin)).status, 200);
		e = await newest();
		checkEntry(e, 'user.update', 'user', uid);
		assert.equal(e.detail.display_name, '审计');

		assert.equal((await s.api('POST', `/api/v1/users/${uid}/password`,
			{ password: 'Secret@2026zz' }, admin)).status, 204);
		e = await newest();
		checkEntry(e, 'user.password_reset', 'user', uid);
		assert.ok(!JSON.stringify(e).includes('Secret@2026zz'),
			'the password is never recorded');

		const l = await s.login('demo', 'aud1', 'Secret@2026zz');
		e = await newest();
		checkEntry(e, 'auth.login', 'user', uid, 'aud1');
		assert.equal(e.actor_id, uid);
		assert.ok(!JSON.stringify(e).includes('Secret@2026zz'));

		assert.equal((await s.api('POST', '/api/v1/auth/logout',
			{ refresh_token: l.refresh_token }, l.access_token)).status,
		204);
		e = await newest();
		assert.equal(e.action, 'auth.logout');
		assert.equal(e.actor_id, uid);

		assert.equal((await s.api('DELETE', `/api/v1/users/${uid}`, null,
			admin)).status, 204);
		e = await newest();
		checkEntry(e, 'user.delete', 'user', uid);

		const k = await s.api('POST', '/api/v1/api-keys', { name: 'audk',
			role: 'admin' }, admin);
		assert.equal(k.status, 201);
		e = await newest();
		checkEntry(e, 'api_key.create', 'api_key', k.json.api_key_id);
		assert.ok(!JSON.stringify(e).includes(k.json.key),
			'the key is never recorded');

		/* a change made with the key names the key as the actor */
		const viaKey = await s.api('POST', '/api/v1/users', { username:
			'aud2', password: 'Audit@2026', role: 'agent' }, k.json.key);
		assert.equal(viaKey.status, 201);
		e = await newest();
		assert.equal(e.action, 'user.create');
		assert.equal(e.target_id, viaKey.json.user_id);
		assert.equal(e.actor_kind, 'api_key');
		assert.equal(e.actor_id, k.json.api_key_id);

		assert.equal((await s.api('DELETE',
			`/api/v1/api-keys/${k.json.api_key_id}`, null, admin)).status,
		204);
		e = await newest();
		checkEntry(e, 'api_key.revoke', 'api_key', k.json.api_key_id);

		/* exactly one entry per change: 9 changes above */
		assert.equal((await audit()).length - start, 9);
	});

test('requests that change nothing write nothing', async () => {
	const before = await audit();
	const ghost = '00000000-0000-4000-8000-000000000000';
	/* reads, bad input, refusals */
	await s.api('GET', '/api/v1/users', null, admin);
	await s.api('POST', '/api/v1/users', { username: 'weak', password: 'x',
		role: 'agent' }, admin);
	await s.api('POST', '/api/v1/users', { username: 'agent1', password:
		'Audit@2026', role: 'agent' }, admin);
	await s.api('POST', '/api/v1/auth/login', { tenant: 'demo', username:
		'agent1', password: 'Wrong@2026' });
	const sup = await s.token(s.supervisor);
	const after1 = await audit();
	/* the supervisor's sign-in is the one new entry */
	assert.equal(after1.length, before.length + 1,
		after1.slice(0, 3).map((a) => a.action).join());
	assert.equal(after1[0].action, 'auth.login');
	assert.equal(after1[0].actor_name, 'supervisor');
	await s.api('POST', '/api/v1/users', { username: 'nope', password:
		'Audit@2026', role: 'agent' }, sup);

	/* changes aimed at ids that do not exist (404) */
	for (const [m, p, b] of [
		['PATCH', `/api/v1/users/${ghost}`, { display_name: 'x' }],
		['DELETE', `/api/v1/users/${ghost}`],
		['POST', `/api/v1/users/${ghost}/password`, { password:
			'Ghost@2026' }],
		['DELETE', `/api/v1/api-keys/${ghost}`]]) {
		const r = await s.api(m, p, b, admin);
		assert.equal(r.status, 404, `${m} ${p}`);
	}
	const after2 = await audit();
	assert.deepEqual(after2.slice(0, 4).map((a) => `${a.action} ` +
		`${a.target_id}`).filter((x) => x.includes(ghost)), [],
	'a 404 change was audited');
	assert.equal(after2.length, after1.length);
});

test('entries are newest first; pagination walks them once', async () => {
	const all = await audit();
	assert.ok(all.length >= 5, `${all.length}`);
	for (let i = 1; i < all.length; i++)
		assert.ok(all[i - 1].created_at >= all[i].created_at,
			`${all[i - 1].created_at} before ${all[i].created_at}`);
	const seen = [];
	let cursor = null;
	let pages = 0;
	do {
		const r = await s.api('GET', '/api/v1/audit?limit=2' + (cursor ?
			`&cursor=${encodeURIComponent(cursor)}` : ''), null, admin);
		assert.equal(r.status, 200, r.text);
		assert.ok(r.json.items.length >= 1 && r.json.items.length <= 2);
		seen.push(...r.json.items.map((a) => a.audit_id));
		cursor = r.json.next_cursor;
		assert.ok(++pages <= all.length, 'the cursor never ends');
	} while (cursor);
	assert.equal(new Set(seen).size, seen.length, 'a duplicate');
	assert.deepEqual(seen, all.map((a) => a.audit_id));

	for (const q of ['limit=0', 'limit=201', 'limit=x', 'cursor=not-a-cursor', 'cursor=%25%25%25'])
		assert.equal((await s.api('GET', `/api/v1/audit?${q}`, null, admin))
			.status, 400, q);
});

test('filters: action, actor_id, since and until', async () => {
	const all = await audit();
	const creates = await audit('&action=user.create');
	assert.ok(creates.length >= 2);
	assert.deepEqual(creates, all.filter((a) => a.action ===
		'user.create'));
	assert.deepEqual(await audit('&action=no.such'), []);

	const sup = all.find((a) => a.actor_name === 'supervisor');
	const bySup = await audit(`&actor_id=${sup.actor_id}`);
	assert.ok(bySup.length >= 1);
	assert.deepEqual(bySup, all.filter((a) => a.actor_id === sup.actor_id));
	const both = await audit(`&actor_id=${adminId}&action=user.update`);
	assert.ok(both.length >= 1);
	for (const a of both)
		assert.ok(a.actor_id === adminId && a.action === 'user.update');

	/* a time window around a middle entry */
	const times = [...new Set(all.map((a) => a.created_at))];
	assert.ok(times.length >= 3);
	const mid = times[Math.floor(times.length / 2)];
	const enc = encodeURIComponent(mid);
	const since = await audit(`&since=${enc}`);
	assert.deepEqual(since, all.filter((a) => Date.parse(a.created_at) >=
		Date.parse(mid) && a.created_at >= mid));
	const until = await audit(`&until=${enc}`);
	assert.deepEqual(until, all.filter((a) => a.created_at < mid));
	assert.equal(since.length + until.length, all.length);
	const window = await audit(`&since=${enc}&until=${enc}`);
	assert.deepEqual(window, []);
	const future = await audit('&since=2999-01-01T00:00:00Z');
	assert.deepEqual(future, []);

	for (const q of ['since=yesterday', 'until=2026-13', 'actor_id=admin',
		'since=2026-99-99T00:00:00Z']) {
		const r = await s.api('GET', `/api/v1/audit?${q}`, null, admin);
		assert.equal(r.status, 400, `${q}: ${r.status} ${r.text}`);
		assert.equal(r.json.code, 'validation_failed');
	}
});

test('only admins read the audit log', async () => {
	for (const who of [s.supervisor, s.agent]) {
		const r = await s.api('GET', '/api/v1/audit', null,
			await s.token(who));
		assert.equal(r.status, 403, who.username);
		assert.equal(r.json.code, 'forbidden');
	}
	assert.equal((await s.api('GET', '/api/v1/audit')).status, 401);
});
