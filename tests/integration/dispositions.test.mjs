// A tenant's disposition codes: the demo seed, CRUD by the admin (audited),
// the list agents read in order (position, then code) and page through,
// every bad input refused by name with nothing changed, roles, tenant
// isolation; and a call's disposition: with a list only an enabled code
// of it is accepted (REST and WebSocket), without one free text is.
// One real call through the queue: 1001's phone answers, talks, hangs up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ended, waitCall } from '../lib/sip.mjs';
import { queueStack } from '../lib/acd_calls.mjs';
import { wsAuthed } from '../lib/stack.mjs';

const CALLER = '13900000222';
const BASE = '/api/v1/disposition-codes';
const SEED = ['咨询', '投诉', '售后', '已解决', '回访'];
let t;
let call;
let agent1;
let B;            /* { token } of a second tenant's admin */

before(async () => {
	t = await queueStack();
	agent1 = await t.s.token({ tenant: 'demo', username: 'agent1',
		password: 'Agent@2026' });
	const r = await t.s.api('POST', '/api/v1/tenants', { code: 'disp-b',
		name: 'B 公司', seat_quota: 2, admin: { username: 'badmin',
			password: 'Bbbb@20261' } }, t.d.op);
	assert.equal(r.status, 201, r.text);
	B = { token: (await t.s.login('disp-b', 'badmin', 'Bbbb@20261'))
		.access_token };
	await t.phone('1001', { ringMs: 200, talkMs: 1000 });
	await t.readyAll('1001');
	const c = await t.call(CALLER);
	try {
		call = await waitCall(t.s, t.d.sup, CALLER, ended, 30000);
	} finally {
		c.close();
	}
	assert.equal(call.agent_id, t.agents['1001'].agent_id);
});

after(async () => { await t?.stop(); });

const api = (m, p, body, tok = t.d.admin) => t.s.api(m, p, body, tok);
const q = (sql) => t.s.db.psql(sql, true);
const rows = () => q('SELECT count(*) || \',\' || (SELECT count(*) FROM' +
	' audit_log WHERE action LIKE \'disposition_code.%\') FROM' +
	' disposition_codes');

async function list(tok = agent1, query = '') {
	const r = await api('GET', `${BASE}${query}`, null, tok);
	assert.equal(r.status, 200, r.text);
	return r.json;
}

function fieldError(r, status, field, code) {
	assert.equal(r.status, status, r.text);
	assert.ok(r.json.errors?.some((e) => e.field === field &&
		(!code || e.code === code)), `${field}/${code}: ${r.text}`);
}

async function dispose(code, tok = agent1) {
	return api('POST', `/api/v1/calls/${call.call_id}/disposition`,
		{ code, notes: '备注' }, tok);
}

test('the demo tenant is seeded with five codes, in order', async () => {
	const l = await list();
	assert.deepEqual(l.items.map((c) => c.code), SEED);
	assert.deepEqual(l.items.map((c) => c.position), [1, 2, 3, 4, 5]);
	assert.ok(l.items.every((c) => c.enabled));
	assert.equal(l.next_cursor, null);
});

test('CRUD by the admin, audited; the list pages by position then code',
	async () => {
		let r = await api('POST', BASE, { code: '  转人工 ', position: 0,
			enabled: false });
		assert.equal(r.status, 201, r.text);
		const c = r.json;
		assert.deepEqual([c.code, c.position, c.enabled],
			['转人工', 0, false]);
		r = await api('GET', `${BASE}/${c.code_id}`, null, agent1);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.code, '转人工');
		r = await api('PATCH', `${BASE}/${c.code_id}`, { code: '转接',
			position: 3, enabled: true });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual([r.json.code, r.json.position, r.json.enabled],
			['转接', 3, true]);
		/* position 3 holds 售后 too: the code orders them */
		const seen = [];
		let cursor = '';
		for (let i = 0; i < 10; i++) {
			const l = await list(agent1, `?limit=2${cursor}`);
			assert.ok(l.items.length <= 2);
			seen.push(...l.items.map((x) => x.code));
			if (!l.next_cursor)
				break;
			cursor = `&cursor=${l.next_cursor}`;
		}
		const all = (await list(agent1, '?limit=200')).items;
		assert.deepEqual(seen, all.map((x) => x.code));
		assert.equal(all.length, 6);
		assert.deepEqual(all.map((x) => x.position),
			[...all.map((x) => x.position)].sort((a, b) => a - b));
		const at3 = all.filter((x) => x.position === 3).map((x) => x.code);
		assert.deepEqual(at3, [...at3].sort());
		r = await api('DELETE', `${BASE}/${c.code_id}`);
		assert.equal(r.status, 204, r.text);
		r = await api('GET', `${BASE}/${c.code_id}`);
		assert.equal(r.status, 404);
		assert.equal(q('SELECT string_agg(action, \',\' ORDER BY' +
			` created_at) FROM audit_log WHERE target_id = '${c.code_id}'`),
		'disposition_code.create,disposition_code.update,' +
			'disposition_code.delete');
	});

test('bad input is refused by name and changes nothing', async () => {
	const id = (await list()).items[0].code_id;
	const before = rows();
	fieldError(await api('POST', BASE, {}), 400, 'code', 'required');
	fieldError(await api('POST', BASE, { code: '' }), 400, 'code');
	fieldError(await api('POST', BASE, { code: '   ' }), 400, 'code');
	fieldError(await api('POST', BASE, { code: '长'.repeat(65) }), 400,
		'code');
	fieldError(await api('POST', BASE, { code: 'a\u0007b' }), 400,
		'code');
	fieldError(await api('POST', BASE, { code: 'a\nb' }), 400, 'code',
		'format');
	fieldError(await api('POST', BASE, { code: 'a\tb' }), 400, 'code',
		'format');
	fieldError(await api('POST', BASE, { code: 7 }), 400, 'code', 'type');
	fieldError(await api('POST', BASE, { code: '咨询' }), 409, 'code',
		'taken');
	fieldError(await api('POST', BASE, { code: ' 咨询 ' }), 409, 'code',
		'taken');
	fieldError(await api('POST', BASE, { code: 'x', position: 1001 }),
		400, 'position', 'range');
	fieldError(await api('POST', BASE, { code: 'x', position: -1 }),
		400, 'position', 'range');
	fieldError(await api('POST', BASE, { code: 'x', enabled: 'yes' }),
		400, 'enabled', 'type');
	fieldError(await api('POST', BASE, { code: 'x', colour: 'red' }),
		400, 'colour');
	fieldError(await api('PATCH', `${BASE}/${id}`, { code: '投诉' }),
		409, 'code', 'taken');
	fieldError(await api('PATCH', `${BASE}/${id}`, { code: '' }), 400,
		'code');
	let r = await api('PATCH', `${BASE}/nope`, { code: 'x' });
	assert.equal(r.status, 404, r.text);
	r = await api('DELETE', `${BASE}/00000000-0000-4000-8000-000000000000`);
	assert.equal(r.status, 404, r.text);
	for (const c of ['x', 'YWJj', 'MTAwMXx4', 'OXx6eno', '____'])
		assert.equal((await api('GET', `${BASE}?cursor=${c}`)).status, 400,
			c);
	assert.equal((await api('GET', `${BASE}?limit=0`)).status, 400);
	assert.equal(rows(), before);
});

test('roles: agents and supervisors read the list, only admins write',
	async () => {
		const id = (await list()).items[0].code_id;
		const before = rows();
		for (const tok of [agent1, t.d.sup]) {
			for (const [m, p, body] of [['POST', BASE, { code: '越权' }],
				['PATCH', `${BASE}/${id}`, { code: '越权' }],
				['DELETE', `${BASE}/${id}`]]) {
				const r = await api(m, p, body, tok);
				assert.equal(r.status, 403, `${m} ${p}: ${r.text}`);
			}
			assert.equal((await list(tok)).items.length, SEED.length);
		}
		assert.equal((await api('GET', BASE, null, null)).status, 401);
		assert.equal(rows(), before);
	});

test("isolation: tenant B neither sees nor changes A's codes", async () => {
	const a = (await list()).items[0];
	assert.deepEqual((await list(B.token)).items, []);
	let r = await api('GET', `${BASE}/${a.code_id}`, null, B.token);
	assert.equal(r.status, 404, r.text);
	r = await api('PATCH', `${BASE}/${a.code_id}`, { code: 'x' }, B.token);
	assert.equal(r.status, 404, r.text);
	r = await api('DELETE', `${BASE}/${a.code_id}`, null, B.token);
	assert.equal(r.status, 404, r.text);
	/* B may use the same code: the list is per tenant */
	r = await api('POST', BASE, { code: '咨询' }, B.token);
	assert.equal(r.status, 201, r.text);
	assert.deepEqual((await list(B.token)).items.map((c) => c.code),
		['咨询']);
	assert.equal((await list()).items.length, SEED.length);
});

test('a call takes only an enabled code of the list (REST)', async () => {
	const saved = () => q('SELECT coalesce(wrap_code, \'-\') FROM calls' +
		` WHERE call_id = '${call.call_id}'`);
	fieldError(await dispose('随便写'), 400, 'code', 'not_listed');
	assert.equal(saved(), '-');
	let r = await dispose('投诉');
	assert.equal(r.status, 200, r.text);
	assert.equal(saved(), '投诉');
	/* a disabled code is no longer offered, nor accepted */
	const c = (await list()).items.find((x) => x.code === '回访');
	r = await api('PATCH', `${BASE}/${c.code_id}`, { enabled: false });
	assert.equal(r.status, 200, r.text);
	fieldError(await dispose('回访'), 400, 'code', 'not_listed');
	assert.equal(saved(), '投诉');
	r = await api('PATCH', `${BASE}/${c.code_id}`, { enabled: true });
	assert.equal((await dispose('回访')).status, 200);
	/* another agent's call is still not found, whatever the code */
	const agent2 = await t.s.token({ tenant: 'demo', username: 'agent2',
		password: 'Agent@2026' });
	assert.equal((await dispose('咨询', agent2)).status, 404);
	assert.equal((await dispose('随便写', agent2)).status, 404);
});

test('call.disposition over the WebSocket names the field code',
	async () => {
		const ws = await wsAuthed(t.s, agent1);
		try {
			ws.send({ type: 'call.disposition', id: 'bad',
				call_id: call.call_id, code: 'free text' });
			const e = await ws.next('error', 10000);
			assert.equal(e.id, 'bad');
			assert.equal(e.code, 'validation_failed');
			assert.equal(e.field, 'code');
			ws.send({ type: 'call.disposition', id: 'ok',
				call_id: call.call_id, code: '已解决' });
			assert.equal((await ws.next('call.ok', 10000)).id, 'ok');
		} finally {
			ws.close();
		}
		assert.equal(q('SELECT wrap_code FROM calls WHERE call_id =' +
			` '${call.call_id}'`), '已解决');
	});

test('a tenant whose codes are all disabled or gone keeps free text',
	async () => {
		const items = (await list(agent1, '?limit=200')).items;
		for (const c of items) {
			const r = await api('PATCH', `${BASE}/${c.code_id}`,
				{ enabled: false });
			assert.equal(r.status, 200, r.text);
		}
		let r = await dispose('客户要求回电');
		assert.equal(r.status, 200, r.text);
		for (const c of items) {
			r = await api('DELETE', `${BASE}/${c.code_id}`);
			assert.equal(r.status, 204, r.text);
		}
		r = await dispose('任意');
		assert.equal(r.status, 200, r.text);
		assert.equal(q('SELECT wrap_code FROM calls WHERE call_id =' +
			` '${call.call_id}'`), '任意');
	});
