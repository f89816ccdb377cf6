// ACD configuration API: queues (every setting, overflow targets,
// prompts, routes, skills) and VIP callers (one by one and CSV import).
// Bad input names its field and changes nothing; tenants stay apart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';

let s;
let admin;
let sup;
let B;
let skill;
let sched;
let support;

before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
	sup = await s.token(s.supervisor);
	const op = await s.token(s.operator);
	let r = await s.api('POST', '/api/v1/tenants', { code: 'acdq-b',
		name: 'B', admin: { username: 'badmin', password: 'Bbbb@20261' } },
	op);
	assert.equal(r.status, 201, r.text);
	B = (await s.login('acdq-b', 'badmin', 'Bbbb@20261')).access_token;
	r = await s.api('POST', '/api/v1/skills', { name: '英语' }, admin);
	skill = r.json;
	r = await s.api('POST', '/api/v1/schedules', { name: '白天',
		timezone: 'Asia/Shanghai', weekly: [{ days: [1, 2, 3, 4, 5],
			from: '09:00', to: '18:00' }] }, admin);
	assert.equal(r.status, 201, r.text);
	sched = r.json;
	support = (await s.api('GET', '/api/v1/queues', null, admin)).json.items
		.find((x) => x.name === 'support');
});
after(async () => { await s?.stop(); });

const q = (sql) => s.db.psql(sql, true);
const unknown = '00000000-0000-4000-8000-000000000002';

function fieldError(r, status, field, code) {
	assert.equal(r.status, status, r.text);
	assert.ok(r.json.errors?.some((e) => e.field === field &&
		(!code || e.code === code)), `${field}/${code}: ${r.text}`);
}

function snapshot() {
	return q("SELECT concat_ws(';', (SELECT string_agg(to_jsonb(x)::text," +
		" ',' ORDER BY queue_id) FROM queues x), (SELECT count(*) FROM" +
		' queue_skills), (SELECT string_agg(number || priority || note,' +
		" ',' ORDER BY number) FROM vip_callers), (SELECT count(*) FROM" +
		" audit_log WHERE action NOT LIKE 'auth.%'))");
}

const full = () => ({
	name: 'english', label: '英语服务', strategy: 'ring_all', priority: 5,
	ring_timeout_s: 15, wrapup_s: 30, max_wait_s: 600, max_length: 50,
	overflow_action: 'queue', overflow_target: support.queue_id,
	overflow_prompt: 'builtin/queue_unavailable', join_empty: 'always',
	leave_empty: true, sl_threshold_s: 30, hold_music: 'builtin/hold',
	announce_every_s: 60, announce_position: false, announce_wait: false,
	announce_work_no: false, survey: true, sticky_days: 7,
	sticky_wait_s: 15, miss_limit: 3, skills: [skill.skill_id],
	routes: [{ schedule_id: sched.schedule_id, queue_id: support.queue_id },
		{ regions: ['北京市', '上海市'], queue_id: support.queue_id }],
});

let eng;

test('queues: create with every setting, get, list, patch, the ' +
	'defaults', async () => {
	const body = full();
	let r = await s.api('POST', '/api/v1/queues', body, admin);
	assert.equal(r.status, 201, r.text);
	eng = r.json;
	for (const [k, v] of Object.entries(body)) {
		if (k !== 'skills')
			assert.deepEqual(eng[k], v, k);
	}
	assert.deepEqual(eng.skills, [{ skill_id: skill.skill_id, name: '英语' }]);
	assert.ok(!('tenant_id' in eng));

	r = await s.api('GET', `/api/v1/queues/${eng.queue_id}`, null, sup);
	assert.equal(r.status, 200);
	assert.deepEqual(r.json, eng);
	r = await s.api('GET', '/api/v1/queues', null, sup);
	assert.deepEqual(r.json.items.map((x) => x.name).sort(),
		['english', 'support']);

	r = await s.api('POST', '/api/v1/queues', { name: '默认' }, admin);
	assert.equal(r.status, 201, r.text);
	assert.deepEqual([r.json.strategy, r.json.ring_timeout_s,
		r.json.wrapup_s, r.json.overflow_action, r.json.overflow_target,
		r.json.hold_music, r.json.miss_limit, r.json.routes,
		r.json.skills], ['longest_idle', 20, 10, 'hangup', '', null, 1, [],
		[]]);
	const dflt = r.json;

	r = await s.api('PATCH', `/api/v1/queues/${eng.queue_id}`, {
		wrapup_s: 0, hold_music: null, routes: [], skills: [],
		overflow_action: 'voicemail', overflow_target: 'default' }, admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.wrapup_s, 0);
	assert.equal(r.json.hold_music, null);
	assert.deepEqual(r.json.routes, []);
	assert.deepEqual(r.json.skills, []);
	assert.equal(r.json.strategy, 'ring_all', 'left alone');
	assert.equal(r.json.overflow_target, 'default');
	/* what a GET returns can be sent back as it is */
	const back = { ...r.json };
	for (const k of ['queue_id', 'created_at', 'updated_at'])
		delete back[k];
	r = await s.api('PATCH', `/api/v1/queues/${eng.queue_id}`, back, admin);
	assert.equal(r.status, 200, r.text);

	r = await s.api('PATCH', `/api/v1/queues/${eng.queue_id}`, {
		overflow_action: 'ivr', overflow_target: 'goodbye' }, admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('PATCH', `/api/v1/queues/${eng.queue_id}`, {
		overflow_action: 'hangup', overflow_target: '' }, admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('DELETE', `/api/v1/queues/${dflt.queue_id}`, null,
		admin);
	assert.equal(r.status, 204);
	assert.equal(q("SELECT string_agg(action, ',' ORDER BY created_at)" +
		` FROM audit_log WHERE target_id = '${eng.queue_id}'`),
	'queue.create,queue.update,queue.update,queue.update,queue.update');
});

test('bad queues name the field; nothing is changed', async () => {
	const self = eng.queue_id;
	const cases = [
		[{ name: eng.queue_id }, 'name', 'format'],
		[{ name: 'support' }, 'name', 'taken', 409],
		[{ name: '' }, 'name'],
		[{ ring_timeout_s: 4 }, 'ring_timeout_s', 'range'],
		[{ ring_timeout_s: 301 }, 'ring_timeout_s', 'range'],
		[{ wrapup_s: -1 }, 'wrapup_s', 'range'],
		[{ priority: 101 }, 'priority', 'range'],
		[{ miss_limit: 11 }, 'miss_limit', 'range'],
		[{ sticky_days: 366 }, 'sticky_days', 'range'],
		[{ announce_every_s: 5 }, 'announce_every_s', 'range'],
		[{ strategy: 'random' }, 'strategy', 'enum'],
		[{ join_empty: 'never' }, 'join_empty', 'enum'],
		[{ survey: 'yes' }, 'survey', 'type'],
		[{ overflow_action: 'queue', overflow_target: unknown },
			'overflow_target', 'not_found'],
		[{ overflow_action: 'queue', overflow_target: 'support' },
			'overflow_target', 'not_found'],
		[{ overflow_action: 'queue', overflow_target: self },
			'overflow_target', 'self'],
		[{ overflow_action: 'voicemail', overflow_target: 'nobox' },
			'overflow_target', 'not_found'],
		[{ overflow_action: 'voicemail', overflow_target: '' },
			'overflow_target', 'required'],
		[{ overflow_action: 'ivr', overflow_target: 'nonode' },
			'overflow_target', 'not_found'],
		[{ overflow_action: 'ivr', overflow_target: '' },
			'overflow_target', 'required'],
		[{ overflow_action: 'hangup', overflow_target: 'x' },
			'overflow_target', 'not_allowed'],
		[{ hold_music: 'builtin/nope' }, 'hold_music', 'format'],
		[{ hold_music: 'music.wav' }, 'hold_music', 'format'],
		[{ hold_music: unknown }, 'hold_music', 'not_found'],
		[{ overflow_prompt: unknown }, 'overflow_prompt', 'not_found'],
		[{ skills: [unknown] }, 'skills[0]', 'not_found'],
		[{ skills: ['x'] }, 'skills[0]', 'format'],
		[{ skills: [skill.skill_id, skill.skill_id] }, 'skills',
			'duplicate'],
		[{ routes: [7] }, 'routes[0]', 'type'],
		[{ routes: [{ regions: ['北京市'] }] }, 'routes[0].queue_id',
			'required'],
		[{ routes: [{ queue_id: support.queue_id }] }, 'routes[0]',
			'required'],
		[{ routes: [{ regions: [], queue_id: support.queue_id }] },
			'routes[0].regions'],
		[{ routes: [{ regions: [''], queue_id: support.queue_id }] },
			'routes[0].regions[0]', 'format'],
		[{ routes: [{ regions: [3], queue_id: support.queue_id }] },
			'routes[0].regions[0]', 'format'],
		[{ routes: [{ schedule_id: unknown, queue_id: support.queue_id }] },
			'routes[0].schedule_id', 'not_found'],
		[{ routes: [{ regions: ['北京市'], queue_id: support.queue_id },
			{ regions: ['北京市'], queue_id: unknown }] },
		'routes[1].queue_id', 'not_found'],
		[{ routes: [{ regions: ['北京市'], queue_id: self }] },
			'routes[0].queue_id', 'self'],
		[{ routes: [{ regions: ['x'], queue_id: support.queue_id,
			weight: 1 }] }, 'routes[0].weight', 'unknown'],
		[{ routes: Array(33).fill({ regions: ['x'], queue_id:
			support.queue_id }) }, 'routes'],
		[{ tenant_id: unknown }, 'tenant_id', 'unknown'],
	];
	const snap = snapshot();
	for (const [body, field, code, status = 400] of cases) {
		let r = await s.api('PATCH', `/api/v1/queues/${self}`, body, admin);
		fieldError(r, status, field, code);
		if (!body.routes?.some((x) => x?.queue_id === self) &&
		    body.overflow_target !== self) {
			r = await s.api('POST', '/api/v1/queues', { name: 'new1',
				...body }, admin);
			fieldError(r, status, field, code);
		}
	}
	assert.equal(snapshot(), snap);
});

test('a queue another queue sends calls to cannot be deleted', async () => {
	let r = await s.api('PATCH', `/api/v1/queues/${eng.queue_id}`,
		{ routes: [{ regions: ['北京市'], queue_id: support.queue_id }] },
		admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('DELETE', `/api/v1/queues/${support.queue_id}`, null,
		admin);
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.code, 'queue_in_use');
	r = await s.api('GET', `/api/v1/queues/${support.queue_id}`, null, admin);
	assert.equal(r.status, 200);
	r = await s.api('DELETE', `/api/v1/queues/${unknown}`, null, admin);
	assert.equal(r.status, 404);
});

test('queues: roles and tenant isolation', async () => {
	const snap = snapshot();
	for (const [m, p, body] of [
		['POST', '/api/v1/queues', { name: 'x' }],
		['PATCH', `/api/v1/queues/${eng.queue_id}`, { label: 'x' }],
		['DELETE', `/api/v1/queues/${eng.queue_id}`],
	]) {
		const r = await s.api(m, p, body, sup);
		assert.equal(r.status, 403, `${m} ${p}`);
	}
	for (const [m, p, body] of [
		['GET', `/api/v1/queues/${eng.queue_id}`],
		['PATCH', `/api/v1/queues/${eng.queue_id}`, { label: 'owned' }],
		['DELETE', `/api/v1/queues/${eng.queue_id}`],
	]) {
		const r = await s.api(m, p, body, B);
		assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
	}
	let r = await s.api('GET', '/api/v1/queues', null, B);
	assert.deepEqual(r.json.items, []);
	/* B cannot point at A's queue, skill, schedule or flow */
	for (const [body, field] of [
		[{ overflow_action: 'queue', overflow_target: eng.queue_id },
			'overflow_target'],
		[{ overflow_action: 'ivr', overflow_target: 'goodbye' },
			'overflow_target'],
		[{ skills: [skill.skill_id] }, 'skills[0]'],
		[{ routes: [{ schedule_id: sched.schedule_id, queue_id:
			eng.queue_id }] }, 'routes[0].schedule_id'],
	]) {
		r = await s.api('POST', '/api/v1/queues', { name: 'b', ...body }, B);
		fieldError(r, 400, field, 'not_found');
	}
	assert.equal(snapshot(), snap);
});

test('VIP callers: create normalized, get by any spelling, patch, ' +
	'list, delete', async () => {
	let r = await s.api('POST', '/api/v1/vip-callers', { number:
		'+86 138-0013-8000', priority: 80, note: '钻石客户' }, admin);
	assert.equal(r.status, 201, r.text);
	const num = r.json.number;
	assert.match(num, /^\d+$/);
	assert.deepEqual([r.json.priority, r.json.note], [80, '钻石客户']);
	r = await s.api('GET', '/api/v1/vip-callers/13800138000', null, sup);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.number, num);
	r = await s.api('PATCH', `/api/v1/vip-callers/${num}`, { priority: 90 },
		admin);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual([r.json.priority, r.json.note], [90, '钻石客户']);
	r = await s.api('POST', '/api/v1/vip-callers', { number: '13900139000' },
		admin);
	assert.equal(r.json.priority, 10);
	r = await s.api('GET', '/api/v1/vip-callers?q=139', null, sup);
	assert.deepEqual(r.json.items.map((v) => v.number), ['13900139000']);

	const snap = snapshot();
	fieldError(await s.api('POST', '/api/v1/vip-callers', { number:
		'13900139000' }, admin), 409, 'number', 'taken');
	for (const [body, field] of [[{ number: '12' }, 'number'],
		[{ number: 'abc' }, 'number'], [{ number: '1'.repeat(21) }, 'number'],
		[{ number: '13700137000', priority: 0 }, 'priority'],
		[{ number: '13700137000', priority: 101 }, 'priority'],
		[{ number: '13700137000', note: 'x'.repeat(201) }, 'note']]) {
		fieldError(await s.api('POST', '/api/v1/vip-callers', body, admin),
			400, field);
	}
	fieldError(await s.api('GET', '/api/v1/vip-callers?q=1a', null, sup),
		400, 'q');
	assert.equal((await s.api('PATCH', '/api/v1/vip-callers/1', { priority:
		5 }, admin)).status, 404);
	assert.equal((await s.api('POST', '/api/v1/vip-callers', { number:
		'13700137000' }, sup)).status, 403);
	assert.equal((await s.api('GET', `/api/v1/vip-callers/${num}`, null, B))
		.status, 404);
	assert.equal((await s.api('DELETE', `/api/v1/vip-callers/${num}`, null,
		B)).status, 404);
	assert.equal(snapshot(), snap);

	r = await s.api('DELETE', '/api/v1/vip-callers/13900139000', null, admin);
	assert.equal(r.status, 204);
	assert.equal(q("SELECT string_agg(action, ',' ORDER BY created_at) FROM" +
		" audit_log WHERE target_type = 'vip_caller'"),
	'vip_caller.create,vip_caller.update,vip_caller.create,' +
		'vip_caller.delete');
});

const csv = (text) => ({ 'content-type': 'text/csv' });

async function imp(body, qs = '', token = admin) {
	return s.api('POST', `/api/v1/vip-callers/import${qs}`, body, token,
		csv());
}

test('VIP import: header, quotes, BOM, CRLF; dry run; upsert', async () => {
	const list = '\ufeffnumber,priority,note\r\n' +
		'13800138000,50,"老客户, 北京"\r\n' +
		'\r\n' +
		'010-6552 9988,,\r\n' +
		'4001234567,100,"说 ""加急"""\r\n' +
		'13600136000\n';
	const snap = snapshot();
	let r = await imp(list, '?dry_run=true');
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { dry_run: true, total: 4, created: 3,
		updated: 1 });
	assert.equal(snapshot(), snap);

	r = await imp(list);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { dry_run: false, total: 4, created: 3,
		updated: 1 });
	const rows = (await s.api('GET', '/api/v1/vip-callers?limit=200', null,
		sup)).json.items;
	const by = Object.fromEntries(rows.map((v) => [v.number, v]));
	assert.equal(by['13800138000'].priority, 50);
	assert.equal(by['13800138000'].note, '老客户, 北京');
	assert.equal(by['4001234567'].note, '说 "加急"');
	assert.equal(by['13600136000'].priority, 10);
	assert.equal(rows.length, 4);
	assert.equal(q("SELECT detail->>'rows' FROM audit_log WHERE action =" +
		" 'vip_caller.import'"), '4');
});

test('VIP import: every bad line is named; nothing is imported',
	async () => {
		const snap = snapshot();
		const r = await imp('number,priority,note\n' +
			'13800138000,5,ok\n' +
			'12,5,too short\n' +
			'13700137000,0,zero\n' +
			'13700137001,abc,\n' +
			'13700137002,5,a,b\n' +
			'13700137003,5,"open quote\n' +
			'13800138000,7,again\n' +
			`13700137004,5,${'x'.repeat(201)}\n` +
			'13700137005,5,"ctl\u0001"\n');
		assert.equal(r.status, 400, r.text);
		assert.equal(r.json.code, 'validation_failed');
		assert.deepEqual(r.json.errors.map((e) => [e.line, e.field, e.code]),
			[[3, 'number', 'format'], [4, 'priority', 'range'],
				[5, 'priority', 'range'], [6, 'line', 'columns'],
				[7, 'line', 'quote'], [8, 'number', 'duplicate'],
				[9, 'note', 'length'], [10, 'note', 'format']]);
		assert.match(r.json.errors[5].message, /line 2/);
		for (const bad of ['', '\n\n', 'number,priority,note\n']) {
			const e = await imp(bad);
			assert.equal(e.status, 400, e.text);
			assert.equal(e.json.errors[0].code, 'empty');
		}
		const big = Array.from({ length: 10001 }, (_, i) =>
			`1380000${String(i).padStart(4, '0')}`).join('\n');
		const e = await imp(big);
		assert.equal(e.status, 400);
		assert.equal(e.json.errors[0].code, 'too_many');
		/* a full list with long notes is over 1 MiB, under 4 */
		const note = '备注'.repeat(50);
		const full = Array.from({ length: 10000 }, (_, i) =>
			`1390000${String(i).padStart(4, '0')},5,${note}`).join('\n');
		assert.ok(Buffer.byteLength(full) > (1 << 20));
		const d = await imp(full, '?dry_run=true');
		assert.equal(d.status, 200, d.text);
		assert.equal(d.json.total, 10000);
		const huge = await imp('x'.repeat(5 << 20));
		assert.equal(huge.status, 413);
		assert.equal(huge.json.code, 'body_too_large');
		assert.equal((await imp('13800138000', '?dry_run=maybe')).status, 400);
		assert.equal((await imp('13800138000', '', sup)).status, 403);
		assert.equal(snapshot(), snap);
	});

test('a flow whose queue node names a queue the tenant lacks fails ' +
	'validation at that node', async () => {
	const graph = (queue) => ({ start: 'q', nodes: {
		q: { kind: 'queue', queue, fail: 'h' }, h: { kind: 'hangup' } } });
	const before = q('SELECT count(*) FROM flow_versions');
	let r = await s.api('POST', '/api/v1/flows', { name: '错误队列',
		graph: graph('sales') }, admin);
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.code, 'invalid_flow');
	assert.deepEqual(r.json.errors.map((e) => [e.node, e.field, e.code]),
		[['q', 'queue', 'unknown_queue']]);
	assert.match(r.json.errors[0].message, /sales/);
	r = await s.api('POST', '/api/v1/flows/validate', graph('sales'), admin);
	assert.equal(r.status, 200);
	assert.equal(r.json.valid, false);
	/* another tenant's queue is unknown too */
	r = await s.api('POST', '/api/v1/flows', { name: 'b', graph:
		graph('english') }, B);
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.errors[0].code, 'unknown_queue');
	assert.equal(q('SELECT count(*) FROM flow_versions'), before);

	for (const name of ['support', support.queue_id,
		support.queue_id.toUpperCase()]) {
		r = await s.api('POST', '/api/v1/flows/validate', graph(name), admin);
		assert.equal(r.json.valid, true, `${name}: ${r.text}`);
	}
	r = await s.api('POST', '/api/v1/flows', { name: '售后排队', graph:
		graph('support') }, admin);
	assert.equal(r.status, 201, r.text);
	assert.equal(q('SELECT count(*) FROM flow_prompts fp JOIN flows f' +
		` USING (flow_id) WHERE f.name = '售后排队'`), '0',
	'a queue is not a prompt');

	/* a queue flows name by name keeps it; other changes are fine */
	const snap = snapshot();
	r = await s.api('PATCH', `/api/v1/queues/${support.queue_id}`,
		{ name: 'support2' }, admin);
	fieldError(r, 409, 'name', 'queue_in_use');
	assert.equal(r.json.code, 'queue_in_use');
	assert.match(r.json.detail, /售后排队/);
	assert.match(r.json.detail, /演示导航/);
	assert.equal(snapshot(), snap);
	r = await s.api('PATCH', `/api/v1/queues/${support.queue_id}`,
		{ name: 'support', label: '售后' }, admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('PATCH', `/api/v1/queues/${eng.queue_id}`,
		{ name: 'english2' }, admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('PATCH', `/api/v1/queues/${eng.queue_id}`,
		{ name: 'english' }, admin);
	assert.equal(r.status, 200, r.text);

	/* an IVR overflow names a node of one of the tenant's flows */
	r = await s.api('PATCH', `/api/v1/queues/${eng.queue_id}`,
		{ overflow_action: 'ivr', overflow_target: 'h' }, admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('PATCH', `/api/v1/queues/${eng.queue_id}`,
		{ overflow_action: 'ivr', overflow_target: 'nonode' }, admin);
	fieldError(r, 400, 'overflow_target', 'not_found');
});

test('ids are stored as PostgreSQL prints them', async () => {
	const up = support.queue_id.toUpperCase();
	const r = await s.api('PATCH', `/api/v1/queues/${eng.queue_id}`, {
		overflow_action: 'queue', overflow_target: up, routes: [{
			schedule_id: sched.schedule_id.toUpperCase(), queue_id: up }] },
	admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.overflow_target, support.queue_id);
	assert.deepEqual(r.json.routes, [{ schedule_id: sched.schedule_id,
		queue_id: support.queue_id }]);
});
