// Customers and their custom fields: CRUD, search by a part of a Chinese
// name, phone numbers in every spelling (+86, 0086, dashes) stored as one,
// a number owned by another customer (409 naming it), custom values of
// the wrong type, unknown or missing, lookup by phone, a customer's calls
// after a real SIP call from its number, its change history, agent and
// admin rights, another tenant's ids (404 everywhere), Idempotency-Key
// replays, customer.* events on the WebSocket, a CRM system with an API
// key.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, wsAuthed } from '../lib/stack.mjs';
import { demoCalls, playFlow, sipCall, sipOk } from '../lib/sip.mjs';

const BASE = '/api/v1/customers';
const FIELDS = '/api/v1/customer-fields';
let s;
let d;
let agent;
let B;          /* the other tenant's admin token */

before(async () => {
	s = await startStack();
	d = await demoCalls(s);
	agent = await s.token(s.agent);
	const r = await s.api('POST', '/api/v1/tenants', { code: 'cust-b',
		name: 'B 公司', admin: { username: 'badmin',
			password: 'Bbbb@20261' } }, d.op);
	assert.equal(r.status, 201, r.text);
	B = (await s.login('cust-b', 'badmin', 'Bbbb@20261')).access_token;
});

after(async () => { await s?.stop(); });

const api = (m, p, body, tok = d.admin, h) => s.api(m, p, body, tok, h);

function fieldError(r, status, field, code) {
	assert.equal(r.status, status, r.text);
	assert.ok(r.json.errors?.some((e) => e.field === field &&
		(!code || e.code === code)), `${field}/${code}: ${r.text}`);
}

async function create(body, tok = d.admin) {
	const r = await api('POST', BASE, body, tok);
	assert.equal(r.status, 201, r.text);
	return r.json;
}

async function defineFields() {
	const defs = [
		{ key: 'level', label: '等级', type: 'select',
			options: ['金卡', '银卡'], required: true, position: 1 },
		{ key: 'score', label: '积分', type: 'number', position: 2 },
		{ key: 'born', label: '生日', type: 'date', position: 3 },
		{ key: 'vip', label: '贵宾', type: 'boolean', position: 4 },
		{ key: 'nick', label: '昵称', type: 'text', max_length: 4,
			position: 5 },
	];
	const out = {};
	for (const f of defs) {
		const r = await api('POST', FIELDS, f);
		assert.equal(r.status, 201, r.text);
		out[f.key] = r.json;
	}
	return out;
}

let fields;

test('custom field definitions: admin CRUD, key and type immutable',
	async () => {
		fields = await defineFields();
		assert.equal(fields.level.type, 'select');
		assert.deepEqual(fields.level.options, ['金卡', '银卡']);
		assert.equal(fields.nick.max_length, 4);

		const l = await api('GET', FIELDS, null, agent);
		assert.equal(l.status, 200, l.text);
		assert.deepEqual(l.json.items.map((f) => f.key),
			['grade', 'level', 'score', 'born', 'vip', 'nick']);

		fieldError(await api('POST', FIELDS, { key: 'level', label: 'x',
			type: 'text' }), 409, 'key', 'taken');
		fieldError(await api('POST', FIELDS, { key: 'Bad-Key', label: 'x',
			type: 'text' }), 400, 'key', 'format');
		fieldError(await api('POST', FIELDS, { key: 'k', label: 'x',
			type: 'colour' }), 400, 'type');
		fieldError(await api('POST', FIELDS, { key: 'k', label: 'x',
			type: 'select' }), 400, 'options', 'required');
		fieldError(await api('POST', FIELDS, { key: 'k', label: 'x',
			type: 'select', options: ['a', 'a'] }), 400, 'options[1]',
		'duplicate');
		fieldError(await api('POST', FIELDS, { key: 'k', label: 'x',
			type: 'text', options: ['a'] }), 400, 'options', 'required');
		fieldError(await api('POST', FIELDS, { key: 'k', label: 'x\ny',
			type: 'text' }), 400, 'label', 'format');
		fieldError(await api('PATCH', `${FIELDS}/${fields.nick.field_id}`,
			{ key: 'nick2' }), 400, 'key', 'immutable');
		fieldError(await api('PATCH', `${FIELDS}/${fields.nick.field_id}`,
			{ type: 'number' }), 400, 'type', 'immutable');

		/* agents and supervisors read definitions but change none */
		const sup = await s.token(s.supervisor);
		for (const tok of [agent, sup]) {
			assert.equal((await api('POST', FIELDS, { key: 'k', label: 'x',
				type: 'text' }, tok)).status, 403);
			assert.equal((await api('PATCH',
				`${FIELDS}/${fields.nick.field_id}`, { label: 'y' }, tok))
				.status, 403);
		}

		const r = await api('PATCH', `${FIELDS}/${fields.nick.field_id}`,
			{ label: '小名' });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.label, '小名');
		assert.equal(r.json.key, 'nick');
	});

let zhang;

test('create and read a customer; numbers in every spelling are one',
	async () => {
		zhang = await create({ name: '张三丰', company: '武当山贸易有限公司',
			email: 'zsf@wudang.cn', region: '湖北省十堰市',
			tags: ['VIP', '老客户'], notes: '喜欢太极',
			phones: ['+86 139-1234-5678', '010-8888 6666'],
			fields: { level: '金卡', score: 3.5, born: '1990-02-28',
				vip: true, nick: '张真人' } }, agent);
		assert.deepEqual(zhang.phones, ['13912345678', '01088886666']);
		assert.deepEqual(zhang.tags, ['VIP', '老客户']);
		assert.deepEqual(zhang.fields, { level: '金卡', score: 3.5,
			born: '1990-02-28', vip: true, nick: '张真人' });
		for (const k of ['customer_id', 'name', 'company', 'email',
			'region', 'notes', 'created_at', 'updated_at'])
			assert.ok(k in zhang, k);

		const g = await api('GET', `${BASE}/${zhang.customer_id}`, null,
			agent);
		assert.equal(g.status, 200, g.text);
		assert.deepEqual(g.json, zhang);
		const upper = await api('GET',
			`${BASE}/${zhang.customer_id.toUpperCase()}`, null, agent);
		assert.equal(upper.status, 200, upper.text);

		for (const spelling of ['0086 139 1234 5678', '+8613912345678',
			'139-1234-5678', '86 139 1234 5678', '(010) 88886666']) {
			const l = await api('GET', `${BASE}/lookup?phone=` +
				encodeURIComponent(spelling), null, agent);
			assert.equal(l.status, 200, `${spelling}: ${l.text}`);
			assert.equal(l.json.customer_id, zhang.customer_id);
		}
	});

test('the demo tenant has customers; one calls from 13800138000',
	async () => {
		const r = await api('GET', `${BASE}/lookup?phone=+86%2013800138000`,
			null, agent);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.name, '刘洋');
		assert.deepEqual(r.json.fields, { grade: '金卡' });
		const all = await api('GET', BASE);
		assert.deepEqual(all.json.items.map((c) => c.name).sort(),
			['刘洋', '张三丰', '杨帆', '陈静'].sort());
	});

test('lookup: unknown 404, not a number 400', async () => {
	assert.equal((await api('GET', `${BASE}/lookup?phone=13000000000`,
		null, agent)).status, 404);
	fieldError(await api('GET', `${BASE}/lookup?phone=abc`, null, agent),
		400, 'phone', 'format');
	fieldError(await api('GET', `${BASE}/lookup`, null, agent), 400,
		'phone', 'required');
	fieldError(await api('GET', `${BASE}/lookup?phone=` +
		'1'.repeat(30), null, agent), 400, 'phone', 'format');
});

test('a number of another customer is 409 naming it and its owner',
	async () => {
		const before = await api('GET', `${BASE}?limit=200`);
		let r = await api('POST', BASE, { name: '李四',
			phones: ['13700000001', '0086-139-1234-5678'],
			fields: { level: '银卡' } });
		assert.equal(r.status, 409, r.text);
		assert.equal(r.json.code, 'phone_taken');
		assert.equal(r.json.phone, '13912345678');
		assert.equal(r.json.customer_id, zhang.customer_id);
		assert.match(r.json.detail, /13912345678/);
		assert.match(r.json.detail, new RegExp(zhang.customer_id));

		/* duplicates inside one request */
		fieldError(await api('POST', BASE, { name: '李四',
			phones: ['13700000001', '+86 137 0000 0001'],
			fields: { level: '银卡' } }), 400, 'phones[1]', 'duplicate');
		const after = await api('GET', `${BASE}?limit=200`);
		assert.equal(after.json.items.length, before.json.items.length);

		/* a PATCH may keep its own numbers, not take another's */
		const li = await create({ name: '李四', phones: ['13700000001'],
			fields: { level: '银卡' } });
		r = await api('PATCH', `${BASE}/${li.customer_id}`,
			{ phones: ['13700000001', '13912345678'] });
		assert.equal(r.status, 409, r.text);
		assert.equal(r.json.customer_id, zhang.customer_id);
		r = await api('PATCH', `${BASE}/${zhang.customer_id}`,
			{ phones: ['010-88886666', '13912345678'] });
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json.phones, ['01088886666', '13912345678']);
	});

test('bad numbers, tags and contact fields are refused by name',
	async () => {
		const ok = { name: '王五', fields: { level: '金卡' } };
		const cases = [
			[{ ...ok }, 'phones', 'required'],
			[{ ...ok, phones: [] }, 'phones'],
			[{ ...ok, phones: Array.from({ length: 21 },
				(_, i) => `1380000${String(i).padStart(4, '0')}`) },
			'phones'],
			[{ ...ok, phones: ['12'] }, 'phones[0]', 'format'],
			[{ ...ok, phones: [13800000000] }, 'phones[0]', 'format'],
			[{ ...ok, phones: ['1'.repeat(21)] }, 'phones[0]', 'format'],
			[{ ...ok, phones: ['13800000099'], tags: ['a', 'a'] },
				'tags[1]', 'duplicate'],
			[{ ...ok, phones: ['13800000099'], tags: [''] }, 'tags[0]',
				'length'],
			[{ ...ok, phones: ['13800000099'], tags: [7] }, 'tags[0]',
				'type'],
			[{ ...ok, phones: ['13800000099'], email: 'not-mail' },
				'email', 'format'],
			[{ ...ok, phones: ['13800000099'], name: '   ' }, 'name'],
			[{ ...ok, phones: ['13800000099'], name: 'a\u0001' }, 'name',
				'format'],
			[{ ...ok, phones: ['13800000099'], name: 'x'.repeat(101) },
				'name'],
			[{ ...ok, phones: ['13800000099'], extra: 1 }, 'extra'],
		];
		for (const [body, field, code] of cases)
			fieldError(await api('POST', BASE, body), 400, field, code);
		const r = await api('POST', BASE, '{"name":', d.admin);
		assert.equal(r.status, 400, r.text);
		assert.equal((await api('GET', `${BASE}?phone=13800000099`)).json
			.items.length, 0);
	});

test('custom values: wrong type, unknown, required, outside options',
	async () => {
		const base = { name: '赵六', phones: ['13600000006'] };
		const cases = [
			[{ level: '金卡', score: '3.5' }, 'fields.score', 'type'],
			[{ level: '金卡', born: '1990/01/01' }, 'fields.born', 'type'],
			[{ level: '金卡', born: '2023-02-29' }, 'fields.born', 'type'],
			[{ level: '金卡', vip: 'yes' }, 'fields.vip', 'type'],
			[{ level: '金卡', nick: '一二三四五' }, 'fields.nick',
				'length'],
			[{ level: '金卡', colour: '红' }, 'fields.colour', 'unknown'],
			[{}, 'fields.level', 'required'],
			[{ level: '铜卡' }, 'fields.level', 'enum'],
		];
		for (const [f, field, code] of cases) {
			const r = await api('POST', BASE, { ...base, fields: f });
			fieldError(r, 400, field, code);
			assert.ok(/[\u4e00-\u9fff]/.test(r.json.errors[0].message),
				r.text);
		}
		fieldError(await api('POST', BASE, { ...base }), 400,
			'fields.level', 'required');
		fieldError(await api('POST', BASE, { ...base, fields: [] }), 400,
			'fields', 'type');
		fieldError(await api('PATCH', `${BASE}/${zhang.customer_id}`,
			{ fields: { level: null } }), 400, 'fields.level', 'required');
		fieldError(await api('PATCH', `${BASE}/${zhang.customer_id}`,
			{ fields: { score: true } }), 400, 'fields.score', 'type');
		assert.equal((await api('GET', `${BASE}?phone=13600000006`)).json
			.items.length, 0);
	});

test('PATCH merges custom values; a disabled field keeps its value',
	async () => {
		let r = await api('PATCH', `${BASE}/${zhang.customer_id}`,
			{ notes: '练剑', fields: { score: 10, nick: null } }, agent);
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json.fields, { level: '金卡', score: 10,
			born: '1990-02-28', vip: true });
		assert.equal(r.json.notes, '练剑');
		assert.equal(r.json.name, '张三丰');
		assert.ok(r.json.updated_at > zhang.updated_at);

		r = await api('PATCH', `${FIELDS}/${fields.born.field_id}`,
			{ enabled: false });
		assert.equal(r.status, 200, r.text);
		r = await api('PATCH', `${BASE}/${zhang.customer_id}`,
			{ fields: { born: 'not checked, not stored' } });
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.fields.born, '1990-02-28');
		r = await api('PATCH', `${FIELDS}/${fields.born.field_id}`,
			{ enabled: true });
		assert.equal(r.status, 200, r.text);

		/* deleting a definition removes its values */
		r = await api('DELETE', `${FIELDS}/${fields.vip.field_id}`);
		assert.equal(r.status, 204, r.text);
		r = await api('GET', `${BASE}/${zhang.customer_id}`);
		assert.equal(r.json.fields.vip, undefined);
		assert.equal((await api('DELETE',
			`${FIELDS}/${fields.vip.field_id}`)).status, 404);
	});

test('search by a part of a Chinese name or company, tag, phone',
	async () => {
		await create({ name: '欧阳锋', company: '白驼山庄',
			phones: ['13500000005'], tags: ['西域'],
			fields: { level: '银卡' } });
		const ids = async (query) => {
			const r = await api('GET', `${BASE}?${query}`, null, agent);
			assert.equal(r.status, 200, r.text);
			return r.json.items.map((c) => c.name).sort();
		};
		assert.deepEqual(await ids('q=' + encodeURIComponent('三丰')),
			['张三丰']);
		assert.deepEqual(await ids('q=' + encodeURIComponent('张')),
			['张三丰']);
		assert.deepEqual(await ids('q=' + encodeURIComponent('武当')),
			['张三丰']);
		assert.deepEqual(await ids('q=' + encodeURIComponent('白驼山')),
			['欧阳锋']);
		assert.deepEqual(await ids('q=zsf%40wudang.cn'), ['张三丰']);
		assert.deepEqual(await ids('q=' + encodeURIComponent('%')), []);
		assert.deepEqual(await ids('tag=' + encodeURIComponent('西域')),
			['欧阳锋']);
		assert.deepEqual(await ids('phone=' +
			encodeURIComponent('+86 135 0000 0005')), ['欧阳锋']);
		assert.deepEqual(await ids('q=' + encodeURIComponent('欧阳') +
			'&tag=VIP'), []);
		fieldError(await api('GET', `${BASE}?q=${'x'.repeat(101)}`), 400,
			'q', 'length');
		assert.equal((await api('GET', `${BASE}?limit=0`)).status, 400);
	});

test('the list pages newest first with a cursor', async () => {
	for (let i = 0; i < 5; i++) {
		await create({ name: `翻页${i}`, phones: [`1330000000${i}`],
			tags: ['page'], fields: { level: '银卡' } });
	}
	const seen = [];
	let cursor = null;
	do {
		const r = await api('GET', `${BASE}?tag=page&limit=2` +
			(cursor ? `&cursor=${cursor}` : ''));
		assert.equal(r.status, 200, r.text);
		seen.push(...r.json.items.map((c) => c.name));
		cursor = r.json.next_cursor;
	} while (cursor);
	assert.deepEqual(seen, ['翻页4', '翻页3', '翻页2', '翻页1', '翻页0']);
	assert.equal((await api('GET', `${BASE}?cursor=garbage`)).status, 400);
});

test('a real call from the customer\'s number is in its calls',
	async () => {
		await d.number('4001000300', { flow_id: await d.flow('嘟一声',
			playFlow('builtin/beep')) });
		/* the caller ID carries the country code: 86 139 1234 5678;
		 * the call log keeps the number as the engine spells it */
		const c = await sipCall(s, { service: '4001000300',
			caller: '8613912345678' });
		await sipOk(c);
		let calls;
		for (let i = 0; i < 100; i++) {
			const r = await api('GET',
				`${BASE}/${zhang.customer_id}/calls`, null, agent);
			assert.equal(r.status, 200, r.text);
			calls = r.json.items;
			if (calls.length && calls[0].ended_at)
				break;
			await new Promise((res) => setTimeout(res, 100));
		}
		assert.equal(calls.length, 1, JSON.stringify(calls));
		assert.equal(calls[0].caller, '13912345678');
		assert.equal(calls[0].number, '4001000300');
		assert.ok(calls[0].ended_at);

		/* another customer has none */
		const o = await api('GET', `${BASE}?q=` +
			encodeURIComponent('欧阳锋'));
		const r = await api('GET',
			`${BASE}/${o.json.items[0].customer_id}/calls`);
		assert.deepEqual(r.json.items, []);
	});

test('history: who changed what, when, newest first', async () => {
	const r = await api('GET', `${BASE}/${zhang.customer_id}/history`,
		null, agent);
	assert.equal(r.status, 200, r.text);
	const h = r.json.items;
	assert.deepEqual(h.map((x) => x.action), ['customer.update',
		'customer.update', 'customer.update', 'customer.create']);
	assert.equal(h[3].actor_name, 'agent1');
	assert.equal(h[3].actor_kind, 'user');
	assert.ok(h[3].changed.includes('fields.level'));
	assert.ok(h[3].changed.includes('phones'));
	assert.deepEqual(h[3].values.phones, ['13912345678', '01088886666']);
	assert.deepEqual(h[2].changed, ['phones']);
	assert.deepEqual(h[1].changed.sort(), ['fields.nick', 'fields.score',
		'notes']);
	assert.equal(h[1].actor_name, 'agent1');
	assert.equal(h[0].actor_name, 'admin');
	for (const x of h)
		assert.ok(x.created_at, JSON.stringify(x));
	const p = await api('GET',
		`${BASE}/${zhang.customer_id}/history?limit=3`);
	assert.equal(p.json.items.length, 3);
	const p2 = await api('GET', `${BASE}/${zhang.customer_id}/history` +
		`?limit=3&cursor=${p.json.next_cursor}`);
	assert.deepEqual(p2.json.items.map((x) => x.action),
		['customer.create']);
});

test('agents create and update, only admins delete', async () => {
	const c = await create({ name: '删我', phones: ['13100000001'],
		fields: { level: '银卡' } }, agent);
	const sup = await s.token(s.supervisor);
	for (const tok of [agent, sup]) {
		assert.equal((await api('DELETE', `${BASE}/${c.customer_id}`,
			null, tok)).status, 403);
	}
	const r = await api('PATCH', `${BASE}/${c.customer_id}`,
		{ name: '删我吧' }, sup);
	assert.equal(r.status, 200, r.text);
	assert.equal((await api('DELETE', `${BASE}/${c.customer_id}`))
		.status, 204);
	assert.equal((await api('GET', `${BASE}/${c.customer_id}`)).status,
		404);
	assert.equal((await api('GET', `${BASE}/lookup?phone=13100000001`))
		.status, 404);
	assert.equal((await api('DELETE', `${BASE}/${c.customer_id}`))
		.status, 404);
	assert.equal((await api('GET', `${BASE}/${c.customer_id}/history`))
		.status, 404);
	assert.equal(s.db.psql('SELECT count(*) FROM audit_log WHERE' +
		` target_id = '${c.customer_id}' AND action =` +
		' \'customer.delete\'', true), '1');
	/* the number is free again */
	await create({ name: '新主人', phones: ['13100000001'],
		fields: { level: '银卡' } });
});

test('another tenant\'s ids are 404 everywhere, its lists empty',
	async () => {
		const id = zhang.customer_id;
		for (const [m, p, body] of [
			['GET', `${BASE}/${id}`],
			['PATCH', `${BASE}/${id}`, { name: '偷改' }],
			['PATCH', `${BASE}/${id}`, { phones: ['13900000000'] }],
			['DELETE', `${BASE}/${id}`],
			['GET', `${BASE}/${id}/calls`],
			['GET', `${BASE}/${id}/history`],
			['GET', `${BASE}/lookup?phone=13912345678`],
			['GET', `${FIELDS}/${fields.level.field_id}`],
			['PATCH', `${FIELDS}/${fields.level.field_id}`,
				{ label: '偷改' }],
			['DELETE', `${FIELDS}/${fields.level.field_id}`],
		]) {
			const r = await api(m, p, body, B);
			assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
		}
		for (const p of [BASE, `${BASE}?q=${encodeURIComponent('张三丰')}`,
			FIELDS]) {
			const r = await api('GET', p, null, B);
			assert.deepEqual(r.json.items, [], p);
		}
		/* B may have the same number for its own customer */
		const r = await api('POST', BASE, { name: 'B 的张三',
			phones: ['13912345678'] }, B);
		assert.equal(r.status, 201, r.text);
		/* ... whose calls are B's only: the demo tenant's call from it
		 * is not, nor do B's searches see the demo tenant's 张三丰 */
		const bc = await api('GET', `${BASE}/${r.json.customer_id}/calls`,
			null, B);
		assert.equal(bc.status, 200, bc.text);
		assert.deepEqual(bc.json.items, []);
		const bq = await api('GET', `${BASE}?q=` +
			encodeURIComponent('张三'), null, B);
		assert.deepEqual(bq.json.items.map((c) => c.name), ['B 的张三']);
		const bp = await api('GET', `${BASE}?phone=13912345678`, null, B);
		assert.deepEqual(bp.json.items.map((c) => c.name), ['B 的张三']);
		const g = await api('GET', `${BASE}/${id}`);
		assert.equal(g.json.name, '张三丰');
		assert.equal((await api('GET', `${BASE}/lookup?phone=13912345678`))
			.json.customer_id, id);
	});

test('Idempotency-Key: a retried create is one customer, replayed',
	async () => {
		const body = { name: '幂等', phones: ['13200000002'],
			fields: { level: '银卡' } };
		const h = { 'idempotency-key': 'cust-create-1' };
		const a = await api('POST', BASE, body, agent, h);
		assert.equal(a.status, 201, a.text);
		/* the first reply left once stored: a repeat at once replays */
		const b = await api('POST', BASE, body, agent, h);
		assert.equal(b.status, 201, b.text);
		assert.equal(b.headers.get('idempotent-replayed'), 'true');
		assert.equal(b.json.customer_id, a.json.customer_id);
		const l = await api('GET', `${BASE}?phone=13200000002`);
		assert.equal(l.json.items.length, 1);
		const c = await api('POST', BASE, { ...body, name: '不同' }, agent,
			h);
		assert.equal(c.status, 422, c.text);
	});

test('customer.* events carry the id and changed names, no PII',
	async () => {
		const ws = await wsAuthed(s, d.admin, ['customer']);
		try {
			const c = await create({ name: '事件', phones: ['13300009999'],
				fields: { level: '银卡' } });
			const ev = await ws.next((m) => m.type === 'customer.created',
				5000);
			assert.equal(ev.data.customer_id, c.customer_id);
			assert.ok(ev.data.changed.includes('name'));
			assert.ok(!JSON.stringify(ev).includes('13300009999'));
			await api('PATCH', `${BASE}/${c.customer_id}`, { notes: 'x' });
			const up = await ws.next((m) => m.type === 'customer.updated',
				5000);
			assert.deepEqual(up.data.changed, ['notes']);
			await api('DELETE', `${BASE}/${c.customer_id}`);
			const del = await ws.next((m) => m.type === 'customer.deleted',
				5000);
			assert.equal(del.data.customer_id, c.customer_id);
		} finally {
			ws.close();
		}
	});

test('a CRM system with an API key: look up, create, change; revoked 401',
	async () => {
		const k = await api('POST', '/api/v1/api-keys', { name: 'CRM',
			role: 'supervisor' });
		assert.equal(k.status, 201, k.text);
		const key = k.json.key;
		let r = await api('GET', `${BASE}/lookup?phone=13800138000`, null,
			key);
		assert.equal(r.status, 200, r.text);
		r = await api('POST', BASE, { name: '接口客户',
			phones: ['021-5555 0001'], fields: { level: '银卡' } }, key);
		assert.equal(r.status, 201, r.text);
		const c = r.json;
		r = await api('PATCH', `${BASE}/${c.customer_id}`,
			{ tags: ['CRM'] }, key);
		assert.equal(r.status, 200, r.text);
		assert.equal((await api('DELETE', `${BASE}/${c.customer_id}`, null,
			key)).status, 403);
		const h = await api('GET', `${BASE}/${c.customer_id}/history`);
		assert.deepEqual(h.json.items.map((x) => [x.actor_kind,
			x.actor_name]), [['api_key', 'CRM'], ['api_key', 'CRM']]);
		assert.equal((await api('DELETE',
			`/api/v1/api-keys/${k.json.api_key_id}`)).status, 204);
		assert.equal((await api('GET', `${BASE}/lookup?phone=13800138000`,
			null, key)).status, 401);
	});
