// Numbers API: the operator assigns and unassigns numbers; a tenant admin
// sees and routes only the tenant's own; references to flows and
// schedules must exist in the tenant; the routing cache reloads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';

let s;
let op;
let admin;
let demo;
let acme;
let acmeAdmin;
before(async () => {
	s = await startStack();
	/* these tests count rows: start without the demo IVR's line */
	s.db.psql('DELETE FROM numbers; DELETE FROM trunks', true);
	op = await s.token(s.operator);
	admin = await s.token(s.admin);
	demo = s.db.psql("SELECT tenant_id FROM tenants WHERE code = 'demo'",
		true);
	const t = await s.api('POST', '/api/v1/tenants', { code: 'acme',
		name: 'Acme', admin: { username: 'root',
			password: 'Acme@20261' } }, op);
	assert.equal(t.status, 201, t.text);
	acme = t.json.tenant_id;
	acmeAdmin = (await s.login('acme', 'root', 'Acme@20261')).access_token;
});
after(async () => { await s?.stop(); });

const NIL = '00000000-0000-4000-8000-000000000000';

function count() {
	return Number(s.db.psql('SELECT count(*) FROM numbers', true));
}

/* The cache logs every load; wait for one that has n numbers (a
 * reload on NOTIFY takes seconds on a loaded machine). */
async function cacheHas(n) {
	const re = new RegExp(`routing tables loaded: \\d+ trunks, ${n} numbers`);
	const deadline = Date.now() + 15000;
	while (!re.test(s.logs().split('\n').slice(-20).join('\n'))) {
		assert.ok(Date.now() < deadline, `no load with ${n} numbers`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

let demoNum;
let acmeNum;

test('the operator assigns numbers in any spelling, stored as digits',
	async () => {
		let r = await s.api('POST', '/api/v1/numbers', { number:
			'400-888-0001', tenant_id: demo }, op);
		assert.equal(r.status, 201, r.text);
		demoNum = r.json;
		assert.equal(demoNum.number, '4008880001');
		assert.equal(demoNum.tenant_id, demo);
		assert.equal(demoNum.tenant_code, 'demo');
		assert.equal(demoNum.trunk_id, null);
		assert.equal(demoNum.flow_id, null);
		assert.deepEqual(demoNum.routes, []);
		assert.equal(demoNum.enabled, true);

		r = await s.api('POST', '/api/v1/numbers', { number:
			'+86 (10) 8888-0002', tenant_id: acme }, op);
		assert.equal(r.status, 201, r.text);
		acmeNum = r.json;
		assert.equal(acmeNum.number, '1088880002');
		await cacheHas(2);

		const audit = s.db.psql('SELECT action FROM audit_log WHERE ' +
			`target_id = '${demoNum.number_id}'`, true);
		assert.equal(audit, 'number.assign');
	});

test('one number belongs to one tenant: any spelling of it is 409',
	async () => {
		const before = count();
		for (const number of ['4008880001', '+86 400 888 0001',
			'0086-400-888-0001', '010 8888 0002']) {
			const r = await s.api('POST', '/api/v1/numbers', { number,
				tenant_id: acme }, op);
			assert.equal(r.status, 409, `${number}: ${r.text}`);
		}
		assert.equal(count(), before);
	});

test('bad numbers, tenants and trunks are refused by field', async () => {
	const before = count();
	const other = await s.api('POST', '/api/v1/trunks', { name: 'acme-pbx',
		tenant_id: acme, allow_addrs: ['203.0.113.9'] }, op);
	assert.equal(other.status, 201, other.text);
	const cases = [
		[{ number: 'abc', tenant_id: demo }, 'number'],
		[{ number: '12', tenant_id: demo }, 'number'],
		[{ number: '1'.repeat(33), tenant_id: demo }, 'number'],
		[{ number: '400*1', tenant_id: demo }, 'number'],
		[{ number: 4008880009, tenant_id: demo }, 'number'],
		[{ number: '4008880009' }, 'tenant_id'],
		[{ number: '4008880009', tenant_id: 'x' }, 'tenant_id'],
		[{ number: '4008880009', tenant_id: NIL }, 'tenant_id'],
		[{ number: '4008880009', tenant_id: demo, trunk_id: NIL },
			'trunk_id'],
		/* a tenant's own trunk serves only that tenant */
		[{ number: '4008880009', tenant_id: demo,
			trunk_id: other.json.trunk_id }, 'trunk_id'],
		[{ number: '4008880009', tenant_id: demo, flow_id: NIL },
			'flow_id'],
	];
	for (const [body, field] of cases) {
		const r = await s.api('POST', '/api/v1/numbers', body, op);
		assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
		assert.ok(r.json.errors.some((e) => e.field === field),
			`${field}: ${r.text}`);
	}
	assert.equal(count(), before);
	const ok = await s.api('POST', '/api/v1/numbers', { number:
		'4008880003', tenant_id: acme, trunk_id: other.json.trunk_id }, op);
	assert.equal(ok.status, 201, ok.text);
	assert.equal(ok.json.trunk_id, other.json.trunk_id);
});

test('a tenant admin sees only the tenant\'s own numbers', async () => {
	let r = await s.api('GET', '/api/v1/numbers', null, admin);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.items.map((n) => n.number), ['4008880001']);
	r = await s.api('GET', '/api/v1/numbers', null, acmeAdmin);
	assert.deepEqual(r.json.items.map((n) => n.number).sort(),
		['1088880002', '4008880003']);
	r = await s.api('GET', '/api/v1/numbers?number=%2B86%2010%208888%200002',
		null, acmeAdmin);
	assert.deepEqual(r.json.items.map((n) => n.number), ['1088880002']);
	r = await s.api('GET', `/api/v1/numbers/${acmeNum.number_id}`, null,
		admin);
	assert.equal(r.status, 404);

	/* the operator sees all, and can narrow by tenant */
	r = await s.api('GET', '/api/v1/numbers', null, op);
	assert.equal(r.json.items.length, 3);
	r = await s.api('GET', `/api/v1/numbers?tenant_id=${demo}`, null, op);
	assert.deepEqual(r.json.items.map((n) => n.number), ['4008880001']);
	r = await s.api('GET', '/api/v1/numbers?limit=2', null, op);
	assert.equal(r.json.items.length, 2);
	const next = await s.api('GET', '/api/v1/numbers?limit=2&cursor=' +
		r.json.next_cursor, null, op);
	assert.equal(next.json.items.length, 1);
	assert.equal(next.json.next_cursor, null);

	/* supervisors and agents do not manage numbers */
	const sup = await s.token(s.supervisor);
	assert.equal((await s.api('GET', '/api/v1/numbers', null, sup)).status,
		403);
	assert.equal((await s.api('GET', '/api/v1/numbers')).status, 401);
});

test('tenant admins cannot assign, unassign or change others\' numbers',
	async () => {
		const before = s.db.psql('SELECT count(*), max(updated_at) ' +
			'FROM numbers', true);
		let r = await s.api('POST', '/api/v1/numbers', { number:
			'4008880099', tenant_id: demo }, admin);
		assert.equal(r.status, 403);
		r = await s.api('DELETE', `/api/v1/numbers/${demoNum.number_id}`,
			null, admin);
		assert.equal(r.status, 403);
		r = await s.api('PATCH', `/api/v1/numbers/${acmeNum.number_id}`,
			{ enabled: false }, admin);
		assert.equal(r.status, 404, r.text);
		r = await s.api('PATCH', `/api/v1/numbers/${demoNum.number_id}`,
			{ enabled: false }, op);
		assert.equal(r.status, 403);
		assert.equal(s.db.psql('SELECT count(*), max(updated_at) ' +
			'FROM numbers', true), before);
	});

test('the admin routes the number; bad routes change nothing', async () => {
	const p = `/api/v1/numbers/${demoNum.number_id}`;
	const sid = '11111111-1111-4111-8111-111111111111';
	const cases = [
		[{ routes: {} }, 'routes'],
		[{ routes: [1] }, 'routes[0]'],
		[{ routes: [{ schedule_id: sid }] }, 'routes[0].flow_id'],
		[{ routes: [{ schedule_id: 'x', flow_id: sid }] },
			'routes[0].schedule_id'],
		[{ routes: [{ schedule_id: sid, flow_id: sid, extra: 1 }] },
			'routes[0].extra'],
		[{ routes: Array(33).fill({ schedule_id: sid, flow_id: sid }) },
			'routes'],
		[{ flow_id: 'nope' }, 'flow_id'],
		[{ enabled: 1 }, 'enabled'],
		[{ number: '4008880000' }, 'number'],
		/* ids that do not exist in the tenant */
		[{ flow_id: NIL }, 'flow_id'],
		[{ routes: [{ schedule_id: sid, flow_id: sid }] },
			'routes[0].schedule_id'],
	];
	for (const [body, field] of cases) {
		const r = await s.api('PATCH', p, body, admin);
		assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
		assert.ok(r.json.errors.some((e) => e.field === field),
			`${field}: ${r.text}`);
	}
	let r = await s.api('GET', p, null, admin);
	assert.deepEqual(r.json, demoNum);

	r = await s.api('PATCH', p, { enabled: false, flow_id: null,
		routes: [] }, admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.enabled, false);
	/* a disabled number leaves the routing tables */
	await cacheHas(2);
	r = await s.api('PATCH', p, { enabled: true }, admin);
	assert.equal(r.json.enabled, true);
	await cacheHas(3);
	const audit = s.db.psql("SELECT count(*) FROM audit_log WHERE " +
		`target_id = '${demoNum.number_id}' AND action = 'number.update'` +
		` AND tenant_id = '${demo}'`, true);
	assert.equal(audit, '2');
});

test('a flow or schedule of another tenant is never attached', async (t) => {
	if (!s.db.psql("SELECT to_regclass('public.flows') IS NOT NULL AND " +
		"to_regclass('public.schedules') IS NOT NULL", true).startsWith('t')) {
		/* without the IVR tables no flow exists: every id is refused */
		const r = await s.api('PATCH', `/api/v1/numbers/${demoNum.number_id}`,
			{ flow_id: '22222222-2222-4222-8222-222222222222' }, admin);
		assert.equal(r.status, 400);
		t.skip('flows and schedules tables are not there yet');
		return;
	}
	const flow = '22222222-2222-4222-8222-222222222222';
	const draft = '44444444-4444-4444-8444-444444444444';
	const sched = '33333333-3333-4333-8333-333333333333';
	/* as the IVR API would leave them: a saved flow has a version */
	s.db.psql(`INSERT INTO flows (flow_id, tenant_id, name,
		current_version) VALUES ('${flow}', '${acme}', 'acme flow', 1),
		('${draft}', '${acme}', 'no version yet', 0);
		INSERT INTO schedules (schedule_id, tenant_id, name) VALUES
		('${sched}', '${acme}', 'acme hours')`, true);
	let r = await s.api('PATCH', `/api/v1/numbers/${demoNum.number_id}`,
		{ flow_id: flow }, admin);
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.errors[0].field, 'flow_id');
	r = await s.api('PATCH', `/api/v1/numbers/${demoNum.number_id}`,
		{ routes: [{ schedule_id: sched, flow_id: flow }] }, admin);
	assert.equal(r.status, 400, r.text);
	/* a flow with no stored version is never attached */
	const p = `/api/v1/numbers/${acmeNum.number_id}`;
	r = await s.api('PATCH', p, { flow_id: draft }, acmeAdmin);
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.errors[0].field, 'flow_id');
	r = await s.api('PATCH', p, { routes: [{ schedule_id: sched,
		flow_id: draft }] }, acmeAdmin);
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.errors[0].field, 'routes[0].flow_id');
	r = await s.api('PATCH', p, { routes: [{ schedule_id: flow,
		flow_id: flow }] }, acmeAdmin);
	assert.equal(r.status, 400, r.text);
	assert.equal(r.json.errors[0].field, 'routes[0].schedule_id');
	r = await s.api('PATCH', p,
		{ flow_id: flow, routes: [{ schedule_id: sched, flow_id: flow }] },
		acmeAdmin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.flow_id, flow);
	assert.deepEqual(r.json.routes, [{ schedule_id: sched, flow_id: flow }]);
});

test('the operator unassigns a number', async () => {
	const p = `/api/v1/numbers/${acmeNum.number_id}`;
	let r = await s.api('DELETE', p, null, op);
	assert.equal(r.status, 204, r.text);
	assert.equal((await s.api('GET', p, null, op)).status, 404);
	assert.equal((await s.api('DELETE', p, null, op)).status, 404);
	assert.equal((await s.api('DELETE', '/api/v1/numbers/x', null, op))
		.status, 404);
	await cacheHas(2);
	r = s.db.psql('SELECT tenant_id FROM audit_log WHERE ' +
		`target_id = '${acmeNum.number_id}' AND action = 'number.unassign'`,
	true);
	assert.equal(r, acme);
	/* the number is free again */
	r = await s.api('POST', '/api/v1/numbers', { number: '01088880002',
		tenant_id: demo }, op);
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.number, '1088880002');
});
