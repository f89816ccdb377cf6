// Announcements (公告): supervisors publish to all agents or to queues; an
// agent hears only those addressed to them (WebSocket and /mine), reads
// them (idempotent receipts the supervisor sees with who has not read),
// a future start is published when due, edits only before the start,
// withdrawal, bad input refused by field, another tenant's ids 404.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startStack, wsAuthed } from '../lib/stack.mjs';

const BASE = '/api/v1/announcements';
let s;
let admin;
let sup;
let ag = {};                   /* username → {token, user_id} */
let complaints;                /* a queue only agent2 serves */
let B;                         /* another tenant's admin token */

const q = (sql) => s.db.psql(sql, true);
const api = (m, p, body, tok = sup) => s.api(m, p, body, tok);

async function ok(m, p, body, tok = sup, status = 200) {
	const r = await api(m, p, body, tok);
	assert.equal(r.status, status, `${m} ${p}: ${r.text}`);
	return r.json;
}

function fieldError(r, status, field, code) {
	assert.equal(r.status, status, r.text);
	assert.ok(r.json.errors?.some((e) => e.field === field &&
		(!code || e.code === code)), `${field}/${code}: ${r.text}`);
}

const publish = (body, tok = sup) => api('POST', BASE, { title: '通知',
	body: '今晚系统升级', audience: 'all', ...body }, tok);
const mine = async (who) => (await ok('GET', `${BASE}/mine`, null,
	ag[who].token));

before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
	sup = await s.token(s.supervisor);
	const users = (await ok('GET', '/api/v1/users?limit=200', null, admin))
		.items;
	for (const n of ['agent1', 'agent2', 'agent3']) {
		ag[n] = { token: await s.token({ tenant: 'demo', username: n,
			password: 'Agent@2026' }),
		user_id: users.find((u) => u.username === n).user_id };
	}
	const skill = await ok('POST', '/api/v1/skills', { name: '投诉' },
		admin, 201);
	complaints = await ok('POST', '/api/v1/queues', { name: 'complaints',
		skills: [skill.skill_id] }, admin, 201);
	await ok('PATCH', `/api/v1/agents/${ag.agent2.user_id}`,
		{ skills: [{ skill_id: skill.skill_id }] }, admin);
	const op = await s.token(s.operator);
	const r = await s.api('POST', '/api/v1/tenants', { code: 'ann-b',
		name: 'B 公司', seat_quota: 2, admin: { username: 'badmin',
			password: 'Bbbb@20261' } }, op);
	assert.equal(r.status, 201, r.text);
	B = await s.token({ tenant: 'ann-b', username: 'badmin',
		password: 'Bbbb@20261' });
});

after(async () => { await s?.stop(); });

test('to all: every agent hears it live, reads it once, the supervisor ' +
	'sees who has not', async () => {
	const w1 = await wsAuthed(s, ag.agent1.token, ['announcement']);
	const w2 = await wsAuthed(s, ag.agent2.token, ['announcement']);
	try {
		const a = (await publish({ title: '系统升级' })).json;
		assert.equal(a.status, 'active');
		assert.equal(a.audience, 'all');
		for (const w of [w1, w2]) {
			const m = await w.next('announcement.published');
			assert.equal(m.data.announcement_id, a.announcement_id);
			assert.equal(m.data.title, '系统升级');
		}
		let m1 = await mine('agent1');
		const it = m1.items.find((x) => x.announcement_id ===
			a.announcement_id);
		assert.equal(it.read, false);
		assert.equal(m1.unread, m1.items.filter((x) => !x.read).length);
		const r1 = await ok('POST', `${BASE}/${a.announcement_id}/read`, null,
			ag.agent1.token);
		const r2 = await ok('POST', `${BASE}/${a.announcement_id}/read`, null,
			ag.agent1.token);
		assert.equal(r2.read_at, r1.read_at);
		m1 = await mine('agent1');
		assert.equal(m1.items.find((x) => x.announcement_id ===
			a.announcement_id).read, true);
		const reads = await ok('GET', `${BASE}/${a.announcement_id}/reads`);
		assert.deepEqual(reads.read.map((x) => x.username), ['agent1']);
		const unread = reads.unread.map((x) => x.username);
		for (const n of ['agent2', 'agent3', 'agent6'])
			assert.ok(unread.includes(n), n);
		assert.ok(!unread.includes('agent1') && !unread.includes('supervisor'));
		assert.equal((await ok('GET', `${BASE}/${a.announcement_id}`))
			.read_count, 1);
		/* agents do not publish or see the receipts */
		assert.equal((await publish({}, ag.agent1.token)).status, 403);
		assert.equal((await api('GET', `${BASE}/${a.announcement_id}/reads`,
			null, ag.agent1.token)).status, 403);
		assert.equal(q('SELECT count(*) FROM audit_log WHERE action =' +
			` 'announcement.create' AND target_id = '${a.announcement_id}'`),
		'1');
	} finally {
		w1.close();
		w2.close();
	}
});

test('to a queue: only its agents hear it, see it and may read it',
	async () => {
		const w2 = await wsAuthed(s, ag.agent2.token, ['announcement']);
		const w3 = await wsAuthed(s, ag.agent3.token, ['announcement']);
		try {
			const a = (await publish({ title: '投诉组例会',
				audience: 'queues', queue_ids: [complaints.queue_id] })).json;
			assert.deepEqual(a.queue_ids, [complaints.queue_id]);
			const m = await w2.next('announcement.published');
			assert.equal(m.data.announcement_id, a.announcement_id);
			/* a fence: the next announcement agent3 may have comes after
			 * the queue's; the queue's never reached agent3 */
			const all = (await publish({ title: '全员' })).json;
			const first = await w3.next('announcement.published');
			assert.equal(first.data.announcement_id, all.announcement_id);
			assert.ok(!(await mine('agent3')).items.some((x) =>
				x.announcement_id === a.announcement_id));
			assert.ok((await mine('agent2')).items.some((x) =>
				x.announcement_id === a.announcement_id));
			assert.equal((await api('POST', `${BASE}/${a.announcement_id}/read`,
				null, ag.agent3.token)).status, 404);
			const reads = await ok('GET', `${BASE}/${a.announcement_id}/reads`);
			assert.deepEqual(reads.unread.map((x) => x.username), ['agent2']);
			/* a supervisor hears every announcement */
			assert.ok((await ok('GET', `${BASE}/mine`)).items.some((x) =>
				x.announcement_id === a.announcement_id));
		} finally {
			w2.close();
			w3.close();
		}
	});

test('a future start: editable until then, published when due', async () => {
	const w1 = await wsAuthed(s, ag.agent1.token, ['announcement']);
	try {
		/* the create, the check and the edit must all land before the
		 * start: 2.5 s was tight for three requests on a loaded machine */
		const starts = new Date(Date.now() + 4000).toISOString();
		const a = (await publish({ title: '明天放假', starts_at: starts,
			ends_at: new Date(Date.now() + 3600e3).toISOString() })).json;
		assert.equal(a.status, 'scheduled');
		assert.ok(!(await mine('agent1')).items.some((x) =>
			x.announcement_id === a.announcement_id));
		const e = await ok('PATCH', `${BASE}/${a.announcement_id}`,
			{ title: '后天放假' });
		assert.equal(e.title, '后天放假');
		const m = await w1.next('announcement.published', 10000);
		assert.equal(m.data.announcement_id, a.announcement_id);
		assert.equal(m.data.title, '后天放假');
		assert.ok(Date.now() >= Date.parse(starts) - 50);
		assert.ok((await mine('agent1')).items.some((x) =>
			x.announcement_id === a.announcement_id));
		fieldError(await api('PATCH', `${BASE}/${a.announcement_id}`,
			{ title: '改' }), 409, 'starts_at', 'already_started');
		/* published once */
		assert.equal(q('SELECT count(*) FROM announcements WHERE' +
			` announcement_id = '${a.announcement_id}' AND published_at` +
			' IS NOT NULL'), '1');
	} finally {
		w1.close();
	}
});

test('withdrawn: gone from consoles, no more receipts', async () => {
	const w1 = await wsAuthed(s, ag.agent1.token, ['announcement']);
	try {
		const a = (await publish({ title: '撤回我' })).json;
		await w1.next('announcement.published');
		const r = await ok('POST', `${BASE}/${a.announcement_id}/withdraw`);
		assert.equal(r.status, 'withdrawn');
		const m = await w1.next('announcement.withdrawn');
		assert.equal(m.data.announcement_id, a.announcement_id);
		assert.ok(!(await mine('agent1')).items.some((x) =>
			x.announcement_id === a.announcement_id));
		assert.equal((await api('POST', `${BASE}/${a.announcement_id}/read`,
			null, ag.agent1.token)).status, 404);
		const list = await ok('GET', `${BASE}?limit=2`);
		assert.equal(list.items.length, 2);
		assert.ok(list.next_cursor);
	} finally {
		w1.close();
	}
});

test('bad input is refused by field and saves nothing', async () => {
	const n = q('SELECT count(*) FROM announcements');
	fieldError(await publish({ title: '' }), 400, 'title');
	fieldError(await publish({ title: 'a\nb' }), 400, 'title', 'format');
	fieldError(await publish({ body: 'x'.repeat(4001) }), 400, 'body');
	fieldError(await publish({ audience: 'everyone' }), 400, 'audience');
	fieldError(await publish({ audience: 'queues' }), 400, 'queue_ids',
		'required');
	fieldError(await publish({ audience: 'queues', queue_ids: ['x'] }), 400,
		'queue_ids[0]', 'format');
	fieldError(await publish({ queue_ids: [complaints.queue_id] }), 400,
		'queue_ids', 'conflict');
	fieldError(await publish({ audience: 'queues',
		queue_ids: [crypto.randomUUID()] }), 404, 'queue_ids', 'not_found');
	fieldError(await publish({ starts_at: 'tomorrow' }), 400, 'starts_at',
		'format');
	fieldError(await publish({ starts_at: '2030-01-02T00:00:00Z',
		ends_at: '2030-01-01T00:00:00Z' }), 400, 'ends_at', 'range');
	fieldError(await publish({ pinned: true }), 400, 'pinned');
	const bad = await s.api('POST', BASE, '{"title":', sup);
	assert.equal(bad.status, 400);
	assert.equal(q('SELECT count(*) FROM announcements'), n);
});

test("another tenant's ids are not found everywhere", async () => {
	const a = (await publish({ title: 'A 的公告' })).json;
	const P = `${BASE}/${a.announcement_id}`;
	for (const [m, p, body] of [['GET', P], ['PATCH', P, { title: 'x' }],
		['POST', `${P}/withdraw`], ['GET', `${P}/reads`],
		['POST', `${P}/read`]]) {
		const r = await api(m, p, body, B);
		assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
	}
	fieldError(await publish({ audience: 'queues',
		queue_ids: [complaints.queue_id] }, B), 404, 'queue_ids', 'not_found');
	assert.deepEqual((await ok('GET', BASE, null, B)).items, []);
	assert.ok(!(await ok('GET', `${BASE}/mine`, null, B)).items.length);
	assert.equal((await ok('GET', P)).status, 'active');
});
