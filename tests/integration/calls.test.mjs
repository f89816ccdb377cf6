// Call log API: list newest first with filters and cursor pages, detail
// with the event timeline in order, roles, and tenant isolation of calls
// and their events (rows are written here with psql, as the call engine
// would write them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';

let s;
let op;
let sup;
let acmeSup;
let demo;
let acme;

const id = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/* 12 demo calls a minute apart (call 1 oldest), 2 acme calls. */
function seed() {
	const rows = [];
	for (let i = 1; i <= 12; i++) {
		const disp = ['completed', 'abandoned', 'voicemail'][i % 3];
		const dir = i % 4 === 0 ? 'outbound' : 'inbound';
		const caller = i % 2 ? '13800138000' : '13900139000';
		rows.push(`('${id(i)}', '${demo}', '${dir}', '4001000100',
			'${caller}', '4001000100', timestamptz '2026-11-01 08:00:00+00'
			+ interval '${i} minutes', '${disp}', ${i * 1000})`);
	}
	rows.push(`('${id(101)}', '${acme}', 'inbound', '4002000200',
		'13800138000', '4002000200', timestamptz '2026-11-01 08:30:00+00',
		'completed', 5000)`);
	rows.push(`('${id(102)}', '${acme}', 'inbound', '4002000200',
		'13700137000', '4002000200', timestamptz '2026-11-01 08:31:00+00',
		NULL, NULL)`);
	s.db.psql(`INSERT INTO calls (call_id, tenant_id, direction, number,
		caller, callee, started_at, disposition, duration_ms) VALUES
		${rows.join(',')};
		INSERT INTO call_events (tenant_id, call_id, seq, type, data) VALUES
		('${demo}', '${id(5)}', 3, 'call.ended', '{"cause":"normal"}'),
		('${demo}', '${id(5)}', 1, 'call.created', '{}'),
		('${demo}', '${id(5)}', 2, 'ivr.entered', '{"node":"menu"}'),
		('${acme}', '${id(101)}', 1, 'call.created', '{}'),
		('${acme}', '${id(5)}', 9, 'acme.secret', '{"leak":true}')`, true);
}

before(async () => {
	s = await startStack();
	op = await s.token(s.operator);
	sup = await s.token(s.supervisor);
	demo = s.db.psql("SELECT tenant_id FROM tenants WHERE code = 'demo'",
		true);
	const t = await s.api('POST', '/api/v1/tenants', { code: 'acme',
		name: 'Acme', admin: { username: 'root',
			password: 'Acme@20261' } }, op);
	assert.equal(t.status, 201, t.text);
	acme = t.json.tenant_id;
	const root = (await s.login('acme', 'root', 'Acme@20261')).access_token;
	const u = await s.api('POST', '/api/v1/users', { username: 'boss',
		password: 'Boss@20261', role: 'supervisor' }, root);
	assert.equal(u.status, 201, u.text);
	acmeSup = (await s.login('acme', 'boss', 'Boss@20261')).access_token;
	seed();
});
after(async () => { await s?.stop(); });

async function list(q, token = sup) {
	const r = await s.api('GET', `/api/v1/calls${q}`, null, token);
	assert.equal(r.status, 200, r.text);
	return r.json;
}

const ids = (page) => page.items.map((c) => c.call_id);

test('newest first, paged with a cursor, every call once', async () => {
	const seen = [];
	let cursor = null;
	let pages = 0;
	do {
		const page = await list(`?limit=5${cursor ? `&cursor=${cursor}` :
			''}`);
		seen.push(...ids(page));
		cursor = page.next_cursor;
		pages++;
	} while (cursor);
	assert.equal(pages, 3);
	assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => id(12 - i)));
	const first = (await list('?limit=1')).items[0];
	assert.equal(first.call_id, id(12));
	assert.equal(first.number, '4001000100');
	assert.equal(first.duration_ms, 12000);
	assert.equal(first.direction, 'outbound');
	assert.ok(first.started_at.startsWith('2026-11-01T08:12:00'));
	assert.deepEqual(first.ivr_path, []);
});

test('filters: time range, number, caller, disposition, direction',
	async () => {
		let p = await list('?from=2026-11-01T08:03:00Z' +
			'&to=2026-11-01T08:06:00Z');
		assert.deepEqual(ids(p), [id(5), id(4), id(3)]);
		p = await list('?from=2026-11-01T16:03:00%2B08:00&limit=200');
		assert.equal(p.items.length, 10);
		p = await list('?caller=%2B86%20139-0013-9000');
		assert.deepEqual(ids(p), [12, 10, 8, 6, 4, 2].map(id));
		p = await list('?number=400-100-0100&disposition=voicemail');
		assert.deepEqual(ids(p), [11, 8, 5, 2].map(id));
		p = await list('?direction=outbound');
		assert.deepEqual(ids(p), [12, 8, 4].map(id));
		p = await list('?direction=outbound&disposition=completed');
		assert.deepEqual(ids(p), [id(12)]);
		p = await list('?caller=anonymous');
		assert.deepEqual(p.items, []);
		p = await list('?number=4002000200');
		assert.deepEqual(p.items, []);
	});

test('bad filters are refused with the field named', async () => {
	for (const [q, field] of [['?from=yesterday', 'from'],
		['?to=2026-13', 'to'], ['?disposition=lost', 'disposition'],
		['?direction=sideways', 'direction'], ['?number=abc', 'number'],
		['?caller=' + 'x'.repeat(40), 'caller']]) {
		const r = await s.api('GET', `/api/v1/calls${q}`, null, sup);
		assert.equal(r.status, 400, `${q}: ${r.text}`);
		assert.equal(r.json.errors[0].field, field, q);
	}
	for (const q of ['?limit=0', '?limit=201', '?cursor=garbage',
		'?from=2026-02-31T00:00:00Z']) {
		const r = await s.api('GET', `/api/v1/calls${q}`, null, sup);
		assert.equal(r.status, 400, `${q}: ${r.text}`);
	}
});

test('detail carries the timeline in sequence order', async () => {
	const r = await s.api('GET', `/api/v1/calls/${id(5)}`, null, sup);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.call_id, id(5));
	assert.equal(r.json.caller, '13800138000');
	assert.deepEqual(r.json.events.map((e) => [e.seq, e.type]),
		[[1, 'call.created'], [2, 'ivr.entered'], [3, 'call.ended']]);
	assert.deepEqual(r.json.events[1].data, { node: 'menu' });
	assert.ok(r.json.events[0].created_at);
	const none = await s.api('GET', `/api/v1/calls/${id(1)}`, null, sup);
	assert.deepEqual(none.json.events, []);
	assert.equal((await s.api('GET', '/api/v1/calls/not-a-uuid', null,
		sup)).status, 404);
	assert.equal((await s.api('GET', `/api/v1/calls/${id(999)}`, null,
		sup)).status, 404);
});

test('each tenant sees only its own calls and events', async () => {
	const p = await list('?limit=200', acmeSup);
	assert.deepEqual(ids(p), [id(102), id(101)]);
	assert.equal(p.items[0].disposition, null);
	let r = await s.api('GET', `/api/v1/calls/${id(5)}`, null, acmeSup);
	assert.equal(r.status, 404);
	r = await s.api('GET', `/api/v1/calls/${id(101)}`, null, sup);
	assert.equal(r.status, 404);
	/* an event row of acme's never joins demo's timeline */
	r = await s.api('GET', `/api/v1/calls/${id(5)}`, null, sup);
	assert.ok(!r.text.includes('acme.secret'));
	const all = await list('?limit=200');
	assert.ok(!ids(all).includes(id(101)));

	/* and in the database itself, for the runtime role */
	assert.equal(s.db.psql('SELECT count(*) FROM calls'), '0');
	assert.equal(s.db.psql('SELECT count(*) FROM call_events'), '0');
	assert.equal(s.db.psql('SELECT count(*) FROM trunks'), '0');
	assert.equal(s.db.psql("SELECT set_config('openseat.tenant_id', " +
		`'${acme}', false); SELECT count(*) FROM call_events`)
		.split('\n').pop(), '2');
});

test('supervisors and admins read the log; an agent only its own ' +
	'calls (none here); the operator not', async () => {
	assert.equal((await s.api('GET', '/api/v1/calls', null,
		await s.token(s.admin))).status, 200);
	const agent = await s.token(s.agent);
	const mine = await s.api('GET', '/api/v1/calls', null, agent);
	assert.equal(mine.status, 200, mine.text);
	assert.deepEqual(mine.json.items, []);
	assert.equal((await s.api('GET', `/api/v1/calls/${id(5)}`, null,
		agent)).status, 404);
	const r = await s.api('GET', '/api/v1/calls', null, op);
	assert.equal(r.status, 403);
	const d = await s.api('GET', `/api/v1/calls/${id(5)}`, null, op);
	assert.equal(d.status, 403);
	assert.equal((await s.api('GET', '/api/v1/calls')).status, 401);
});
