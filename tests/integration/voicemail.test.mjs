// Voicemail through the API: boxes (admin CRUD, validation, audit) and
// the inbox (list, filters, pages, audio download, mark read, delete),
// and tenant isolation. Messages are put in place the way the store
// leaves them — a row and <var_dir>/voicemail/<tenant>/<id>.mp3 — until
// the call engine can leave one through a real call.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startStack } from '../lib/stack.mjs';

let s;
let admin;       /* demo admin token */
let sup;         /* demo supervisor token */
let agent;       /* demo agent token */
let demoTid;
let B;           /* tenant B's admin token */
let bTid;

before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
	sup = await s.token(s.supervisor);
	agent = await s.token(s.agent);
	demoTid = (await s.api('GET', '/api/v1/me', null, admin)).json.tenant_id;
	const op = await s.token(s.operator);
	const r = await s.api('POST', '/api/v1/tenants', { code: 'vm-b',
		name: 'B 公司', seat_quota: 5, admin: { username: 'badmin',
			password: 'Bbbb@20261' } }, op);
	assert.equal(r.status, 201, r.text);
	bTid = r.json.tenant_id;
	B = await s.token({ tenant: 'vm-b', username: 'badmin',
		password: 'Bbbb@20261' });
});
after(async () => { await s?.stop(); });

const BOXES = '/api/v1/voicemail/boxes';
const MSGS = '/api/v1/voicemail/messages';

function audioPath(tid, id) {
	return path.join(s.db.dir, 'voicemail', tid, `${id}.mp3`);
}

/** A message as voicemail_keep leaves it: row and file. */
function putMessage(tid, boxId, { caller = '13800138000', ago = 0,
	status = 'unread', bytes = crypto.randomBytes(3000) } = {}) {
	const id = crypto.randomUUID();
	fs.mkdirSync(path.join(s.db.dir, 'voicemail', tid), { recursive: true });
	fs.writeFileSync(audioPath(tid, id), bytes);
	s.db.psql(`INSERT INTO voicemail_messages (message_id, tenant_id,
		box_id, caller, number, duration_ms, size_bytes, status, read_at,
		created_at) VALUES ('${id}', '${tid}', '${boxId}', '${caller}',
		'4008001234', 5000, ${bytes.length}, '${status}',
		${status === 'read' ? 'now()' : 'NULL'},
		now() - interval '${ago} minutes')`, true);
	return { id, bytes };
}

async function makeBox(token, body, status = 201) {
	const r = await s.api('POST', BOXES, body, token);
	assert.equal(r.status, status, r.text);
	return r.json;
}

async function waitGone(file) {
	/* the file is removed on the worker pool after the reply: seconds
	 * when the machine is loaded */
	const end = Date.now() + 15000;
	while (fs.existsSync(file) && Date.now() < end)
		await new Promise((res) => setTimeout(res, 20));
	assert.equal(fs.existsSync(file), false, `${file} still there`);
}

test('the demo tenant has a box named default', async () => {
	const r = await s.api('GET', BOXES, null, sup);
	assert.equal(r.status, 200, r.text);
	const d = r.json.items.find((b) => b.name === 'default');
	assert.ok(d, r.text);
	assert.equal(d.greeting, null);
	assert.equal(d.max_seconds, null);
	assert.equal(d.message_count, 0);
	assert.equal((await s.api('GET', BOXES, null, agent)).status, 403);
});

test('boxes: create, read, change, delete, with audit', async () => {
	const b = await makeBox(admin, { name: '销售部', description: '售前',
		greeting: 'builtin/voicemail_greeting', max_seconds: 60 });
	assert.match(b.box_id, /^[0-9a-f-]{36}$/);
	assert.equal(b.name, '销售部');
	assert.equal(b.greeting, 'builtin/voicemail_greeting');
	assert.equal(b.max_seconds, 60);
	assert.equal(b.unread_count, 0);

	const g = await s.api('GET', `${BOXES}/${b.box_id}`, null, sup);
	assert.equal(g.status, 200);
	assert.deepEqual(g.json, b);

	const pid = crypto.randomUUID();
	const p = await s.api('PATCH', `${BOXES}/${b.box_id}`, { name: 'sales',
		greeting: pid, max_seconds: null }, admin);
	assert.equal(p.status, 200, p.text);
	assert.equal(p.json.name, 'sales');
	assert.equal(p.json.greeting, pid);
	assert.equal(p.json.max_seconds, null);
	assert.equal(p.json.description, '售前');
	/* a prompt id in capitals is the same prompt */
	const p1 = await s.api('PATCH', `${BOXES}/${b.box_id}`,
		{ greeting: pid.toUpperCase() }, admin);
	assert.equal(p1.status, 200, p1.text);
	assert.equal(p1.json.greeting, pid);
	const p2 = await s.api('PATCH', `${BOXES}/${b.box_id}`,
		{ greeting: null }, admin);
	assert.equal(p2.json.greeting, null);
	assert.equal(p2.json.name, 'sales');

	assert.equal((await s.api('PATCH', `${BOXES}/${b.box_id}`,
		{ name: 'x' }, sup)).status, 403);
	assert.equal((await s.api('DELETE', `${BOXES}/${b.box_id}`, null,
		sup)).status, 403);

	const d = await s.api('DELETE', `${BOXES}/${b.box_id}`, null, admin);
	assert.equal(d.status, 204, d.text);
	assert.equal((await s.api('GET', `${BOXES}/${b.box_id}`, null, admin))
		.status, 404);
	assert.equal((await s.api('DELETE', `${BOXES}/${b.box_id}`, null,
		admin)).status, 404);

	const a = await s.api('GET', '/api/v1/audit?limit=200', null, admin);
	const acts = a.json.items.filter((e) => e.target_id === b.box_id)
		.map((e) => e.action).sort();
	assert.deepEqual(acts, ['voicemail_box.create', 'voicemail_box.delete',
		'voicemail_box.update', 'voicemail_box.update',
		'voicemail_box.update']);
});

test('boxes: bad input is refused with the field named', async () => {
	const before = (await s.api('GET', BOXES, null, admin)).json.items;
	const cases = [
		[{}, 'name', 'required'],
		[{ name: '' }, 'name', 'length'],
		[{ name: 'x'.repeat(65) }, 'name', 'length'],
		[{ name: ' padded' }, 'name', 'format'],
		[{ name: crypto.randomUUID() }, 'name', 'format'],
		[{ name: 'a\u0001b' }, 'name', 'format'],
		[{ name: 7 }, 'name', 'type'],
		[{ name: 'ok', greeting: 'hello.wav' }, 'greeting', 'format'],
		[{ name: 'ok', greeting: 'builtin/../x' }, 'greeting', 'format'],
		[{ name: 'ok', greeting: 'builtin/' }, 'greeting', 'format'],
		[{ name: 'ok', max_seconds: 4 }, 'max_seconds', 'range'],
		[{ name: 'ok', max_seconds: 3601 }, 'max_seconds', 'range'],
		[{ name: 'ok', max_seconds: '60' }, 'max_seconds', 'type'],
		[{ name: 'ok', owner: 'x' }, 'owner', 'unknown'],
	];
	for (const [body, field, code] of cases) {
		const r = await s.api('POST', BOXES, body, admin);
		assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
		assert.equal(r.json.code, 'validation_failed');
		assert.ok(r.json.errors.some((e) => e.field === field &&
			e.code === code), `${JSON.stringify(body)}: ${r.text}`);
	}
	const dup = await s.api('POST', BOXES, { name: 'default' }, admin);
	assert.equal(dup.status, 409);
	assert.equal(dup.json.code, 'conflict');
	assert.equal((await s.api('POST', BOXES, { name: 'x' }, sup)).status,
		403);
	assert.equal((await s.api('GET', `${BOXES}/nope`, null, admin)).status,
		404);
	const bad = await s.api('PATCH', `${BOXES}/${before[0].box_id}`,
		{ max_seconds: 0 }, admin);
	assert.equal(bad.status, 400);
	const after = (await s.api('GET', BOXES, null, admin)).json.items;
	assert.deepEqual(after, before);
});

test('inbox: list newest first, filters and pages', async () => {
	const box = await makeBox(admin, { name: 'inbox' });
	const other = await makeBox(admin, { name: 'other' });
	const m = [];
	for (let i = 0; i < 5; i++)
		m.push(putMessage(demoTid, box.box_id, { caller: `1390000000${i}`,
			ago: 50 - i * 10, status: i % 2 ? 'read' : 'unread' }));
	const o = putMessage(demoTid, other.box_id, { ago: 1 });

	const r = await s.api('GET', `${MSGS}?box_id=${box.box_id}`, null, sup);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.items.map((x) => x.message_id),
		m.map((x) => x.id).reverse());
	const first = r.json.items[0];
	assert.equal(first.box_name, 'inbox');
	assert.equal(first.caller, '13900000004');
	assert.equal(first.number, '4008001234');
	assert.equal(first.duration_ms, 5000);
	assert.equal(first.size_bytes, 3000);
	assert.equal(first.status, 'unread');

	const unread = await s.api('GET',
		`${MSGS}?status=unread&box_id=${box.box_id}`, null, sup);
	assert.deepEqual(unread.json.items.map((x) => x.message_id),
		[m[4].id, m[2].id, m[0].id]);

	const all = await s.api('GET', MSGS, null, sup);
	assert.ok(all.json.items.some((x) => x.message_id === o.id));

	const from = new Date(Date.now() - 35 * 60000).toISOString();
	const to = new Date(Date.now() - 15 * 60000).toISOString();
	const win = await s.api('GET', `${MSGS}?from=${from}&to=${to}`, null,
		sup);
	assert.deepEqual(win.json.items.map((x) => x.message_id),
		[m[3].id, m[2].id]);

	/* pages of two, no message twice, none missed */
	const seen = [];
	let cursor = null;
	for (let i = 0; i < 5; i++) {
		const q = `${MSGS}?box_id=${box.box_id}&limit=2` +
			(cursor ? `&cursor=${cursor}` : '');
		const p = await s.api('GET', q, null, sup);
		assert.equal(p.status, 200, p.text);
		seen.push(...p.json.items.map((x) => x.message_id));
		cursor = p.json.next_cursor;
		if (!cursor)
			break;
	}
	assert.deepEqual(seen, m.map((x) => x.id).reverse());

	for (const q of ['box_id=xyz', 'status=new', 'from=yesterday',
		'to=2026-13', 'limit=0', 'limit=201', 'cursor=junk']) {
		const b = await s.api('GET', `${MSGS}?${q}`, null, sup);
		assert.equal(b.status, 400, `${q}: ${b.text}`);
		assert.equal(b.json.code, 'validation_failed');
	}
	assert.equal((await s.api('GET', MSGS, null, agent)).status, 403);

	const one = await s.api('GET', `${MSGS}/${m[1].id}`, null, sup);
	assert.equal(one.status, 200);
	assert.equal(one.json.status, 'read');
	assert.ok(one.json.read_at);
	assert.equal((await s.api('GET', `${MSGS}/${crypto.randomUUID()}`,
		null, sup)).status, 404);
	assert.equal((await s.api('GET', `${MSGS}/not-an-id`, null, sup))
		.status, 404);

	const counts = await s.api('GET', `${BOXES}/${box.box_id}`, null, sup);
	assert.equal(counts.json.message_count, 5);
	assert.equal(counts.json.unread_count, 3);
});

async function download(id, token) {
	return fetch(`${s.baseUrl}${MSGS}/${id}/audio`,
		{ headers: { authorization: `Bearer ${token}` } });
}

test('audio downloads as an MP3 attachment', async () => {
	const box = await makeBox(admin, { name: 'audio' });
	const m = putMessage(demoTid, box.box_id, { caller: '+86 138"00;13' });
	const r = await download(m.id, sup);
	assert.equal(r.status, 200);
	assert.equal(r.headers.get('content-type'), 'audio/mpeg');
	assert.match(r.headers.get('content-disposition'),
		/^attachment; filename="voicemail-\+861380013-\d{8}T\d{6}Z\.mp3"$/);
	assert.ok(Buffer.from(await r.arrayBuffer()).equals(m.bytes));

	assert.equal((await download(m.id, agent)).status, 403);
	assert.equal((await download(crypto.randomUUID(), sup)).status, 404);

	/* the row without its file: a clear 404, not a crash */
	fs.unlinkSync(audioPath(demoTid, m.id));
	const gone = await download(m.id, sup);
	assert.equal(gone.status, 404);
	assert.equal((await gone.json()).code, 'audio_missing');
});

test('mark read and unread, with audit', async () => {
	const box = await makeBox(admin, { name: 'marks' });
	const m = putMessage(demoTid, box.box_id);
	const r = await s.api('PATCH', `${MSGS}/${m.id}`, { status: 'read' },
		sup);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.status, 'read');
	assert.ok(r.json.read_at);
	const u = await s.api('PATCH', `${MSGS}/${m.id}`, { status: 'unread' },
		sup);
	assert.equal(u.json.status, 'unread');
	assert.equal(u.json.read_at, null);

	for (const body of [{}, { status: 'heard' }, { status: 'read', x: 1 }]) {
		const b = await s.api('PATCH', `${MSGS}/${m.id}`, body, sup);
		assert.equal(b.status, 400, b.text);
	}
	assert.equal((await s.api('PATCH', `${MSGS}/${m.id}`,
		{ status: 'read' }, agent)).status, 403);
	assert.equal((await s.api('PATCH', `${MSGS}/${crypto.randomUUID()}`,
		{ status: 'read' }, sup)).status, 404);

	const a = await s.api('GET', '/api/v1/audit?action=' +
		'voicemail_message.update&limit=200', null, admin);
	const mine = a.json.items.filter((e) => e.target_id === m.id);
	assert.deepEqual(mine.map((e) => e.detail.status).sort(),
		['read', 'unread']);
});

test('delete removes the message and its file', async () => {
	const box = await makeBox(admin, { name: 'deletes' });
	const m = putMessage(demoTid, box.box_id);
	const file = audioPath(demoTid, m.id);
	assert.equal((await s.api('DELETE', `${MSGS}/${m.id}`, null, agent))
		.status, 403);
	const d = await s.api('DELETE', `${MSGS}/${m.id}`, null, sup);
	assert.equal(d.status, 204, d.text);
	await waitGone(file);
	assert.equal((await s.api('GET', `${MSGS}/${m.id}`, null, sup)).status,
		404);
	assert.equal((await download(m.id, sup)).status, 404);
	assert.equal((await s.api('DELETE', `${MSGS}/${m.id}`, null, sup))
		.status, 404);
	const l = await s.api('GET', `${MSGS}?box_id=${box.box_id}`, null, sup);
	assert.deepEqual(l.json.items, []);
	assert.equal(s.db.psql(`SELECT deleted_at IS NOT NULL FROM
		voicemail_messages WHERE message_id = '${m.id}'`, true), 't');
});

test('a box with messages is deleted only when forced', async () => {
	const box = await makeBox(admin, { name: 'full' });
	const m = [putMessage(demoTid, box.box_id),
		putMessage(demoTid, box.box_id)];
	const r = await s.api('DELETE', `${BOXES}/${box.box_id}`, null, admin);
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.code, 'box_not_empty');
	const bad = await s.api('DELETE', `${BOXES}/${box.box_id}?force=yes`,
		null, admin);
	assert.equal(bad.status, 400);
	assert.equal((await s.api('GET', `${MSGS}?box_id=${box.box_id}`, null,
		sup)).json.items.length, 2);

	const f = await s.api('DELETE', `${BOXES}/${box.box_id}?force=true`,
		null, admin);
	assert.equal(f.status, 204, f.text);
	for (const x of m)
		await waitGone(audioPath(demoTid, x.id));
	assert.equal(s.db.psql(`SELECT count(*) FROM voicemail_messages
		WHERE box_id = '${box.box_id}'`, true), '0');
});

test("tenant B cannot see or touch the demo tenant's voicemail",
	async () => {
		const box = await makeBox(admin, { name: 'private' });
		const m = putMessage(demoTid, box.box_id);
		const mine = await makeBox(B, { name: 'default' });
		assert.notEqual(mine.box_id, box.box_id);

		const lb = await s.api('GET', BOXES, null, B);
		assert.deepEqual(lb.json.items.map((b) => b.box_id), [mine.box_id]);
		const lm = await s.api('GET', MSGS, null, B);
		assert.deepEqual(lm.json.items, []);
		const lf = await s.api('GET', `${MSGS}?box_id=${box.box_id}`, null,
			B);
		assert.deepEqual(lf.json.items, []);

		const calls = [
			['GET', `${BOXES}/${box.box_id}`],
			['PATCH', `${BOXES}/${box.box_id}`, { name: 'owned' }],
			['DELETE', `${BOXES}/${box.box_id}?force=true`],
			['GET', `${MSGS}/${m.id}`],
			['PATCH', `${MSGS}/${m.id}`, { status: 'read' }],
			['DELETE', `${MSGS}/${m.id}`],
		];
		for (const [method, p, body] of calls) {
			const r = await s.api(method, p, body, B);
			assert.equal(r.status, 404, `${method} ${p}: ${r.text}`);
		}
		assert.equal((await download(m.id, B)).status, 404);

		/* a row B's tenant cannot reach: its file is not B's path */
		assert.equal(fs.existsSync(audioPath(bTid, m.id)), false);

		const still = await s.api('GET', `${MSGS}/${m.id}`, null, sup);
		assert.equal(still.status, 200);
		assert.equal(still.json.status, 'unread');
		assert.equal(still.json.box_name, 'private');
		assert.ok(fs.existsSync(audioPath(demoTid, m.id)));
		assert.equal((await download(m.id, sup)).status, 200);
	});
