// Schedules API: CRUD, field errors that name the field, nothing stored
// when bad, tenant isolation, delete refused while a flow or a number
// uses the schedule.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startStack } from '../lib/stack.mjs';

let s;
let admin;
let acmeAdmin;
let op;
let demo;
before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
	op = await s.token(s.operator);
	demo = s.db.psql("SELECT tenant_id FROM tenants WHERE code = 'demo'",
		true);
	const t = await s.api('POST', '/api/v1/tenants', { code: 'acmesch',
		name: 'Acme', admin: { username: 'root',
			password: 'Acme@20261' } }, op);
	assert.equal(t.status, 201, t.text);
	acmeAdmin = (await s.login('acmesch', 'root', 'Acme@20261'))
		.access_token;
});
after(async () => { await s?.stop(); });

const hours = {
	name: '工作时间',
	timezone: 'Asia/Shanghai',
	weekly: [{ days: [1, 2, 3, 4, 5], from: '09:00', to: '18:00' },
		{ days: [6], from: '22:00', to: '06:00' }],
	exceptions: [{ date: '2026-10-01', closed: true },
		{ date: '2026-09-27', from: '09:00', to: '12:00' }],
};

function count() {
	return Number(s.db.psql('SELECT count(*) FROM schedules', true));
}

let sched;

test('create, get, list, replace a schedule', async () => {
	let r = await s.api('POST', '/api/v1/schedules', hours, admin);
	assert.equal(r.status, 201, r.text);
	sched = r.json;
	assert.equal(sched.name, '工作时间');
	assert.deepEqual(sched.weekly, hours.weekly);
	assert.deepEqual(sched.exceptions, hours.exceptions);

	r = await s.api('GET', `/api/v1/schedules/${sched.schedule_id}`, null,
		admin);
	assert.equal(r.status, 200);
	assert.equal(r.json.timezone, 'Asia/Shanghai');

	r = await s.api('GET', '/api/v1/schedules', null, admin);
	assert.equal(r.json.items.length, 1);

	r = await s.api('PUT', `/api/v1/schedules/${sched.schedule_id}`,
		{ name: 'NY', timezone: 'America/New_York' }, admin);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.weekly, []);
	assert.equal(r.json.timezone, 'America/New_York');
	r = await s.api('PUT', `/api/v1/schedules/${sched.schedule_id}`, hours,
		admin);
	assert.equal(r.status, 200, r.text);
	const audit = s.db.psql('SELECT string_agg(action, \',\' ORDER BY ' +
		`created_at) FROM audit_log WHERE target_id = '${sched.schedule_id}'`,
	true);
	assert.equal(audit, 'schedule.create,schedule.update,schedule.update');
});

test('bad schedules name the field; nothing is stored', async () => {
	const before = count();
	const cases = [
		[{ name: 'x' }, 'timezone'],
		[{ name: 'x', timezone: '../../etc/passwd' }, 'timezone'],
		[{ name: 'x', timezone: 'Mars/Base' }, 'timezone'],
		[{ name: 'x', timezone: 'UTC', weekly: [{ days: [8], from: '09:00',
			to: '10:00' }] }, 'weekly[0].days'],
		[{ name: 'x', timezone: 'UTC', weekly: [{ days: [1], from: '9am',
			to: '10:00' }] }, 'weekly[0].from'],
		[{ name: 'x', timezone: 'UTC', exceptions: [{ date: '2026-02-30',
			closed: true }] }, 'exceptions[0].date'],
		[{ name: 'x', timezone: 'UTC', weekly: 'always' }, 'weekly'],
		[{ name: '', timezone: 'UTC' }, 'name'],
		[{ name: 'x', timezone: 'UTC', color: 'red' }, 'color'],
	];
	for (const [body, field] of cases) {
		const r = await s.api('POST', '/api/v1/schedules', body, admin);
		assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
		assert.equal(r.json.errors[0].field, field, r.text);
		assert.ok(r.json.errors[0].message);
	}
	let r = await s.api('POST', '/api/v1/schedules', hours, admin);
	assert.equal(r.status, 409, r.text);
	r = await s.api('POST', '/api/v1/schedules', '{"name": ', admin);
	assert.equal(r.status, 400);
	assert.equal(count(), before);
	r = await s.api('PUT', `/api/v1/schedules/${sched.schedule_id}`,
		{ name: 'x', timezone: 'Nowhere/Else' }, admin);
	assert.equal(r.status, 400);
	r = await s.api('GET', `/api/v1/schedules/${sched.schedule_id}`, null,
		admin);
	assert.equal(r.json.timezone, 'Asia/Shanghai');
});

test('tenant B cannot see or change tenant A\'s schedules', async () => {
	const p = `/api/v1/schedules/${sched.schedule_id}`;
	assert.equal((await s.api('GET', p, null, acmeAdmin)).status, 404);
	assert.equal((await s.api('PUT', p, hours, acmeAdmin)).status, 404);
	assert.equal((await s.api('DELETE', p, null, acmeAdmin)).status, 404);
	const r = await s.api('GET', '/api/v1/schedules', null, acmeAdmin);
	assert.deepEqual(r.json.items, []);
	/* nor use it in a flow */
	const g = { start: 't', nodes: { t: { kind: 'time_switch',
		schedule_id: sched.schedule_id, open: 'h', closed: 'h' },
	h: { kind: 'hangup' } } };
	const v = await s.api('POST', '/api/v1/flows/validate', g, acmeAdmin);
	assert.equal(v.json.errors[0].code, 'unknown_schedule');
	const ok = await s.api('POST', '/api/v1/flows/validate', g, admin);
	assert.deepEqual(ok.json, { valid: true, errors: [] });
});

test('delete is refused while a flow or a number uses it', async () => {
	const p = `/api/v1/schedules/${sched.schedule_id}`;
	const g = { start: 't', nodes: { t: { kind: 'time_switch',
		schedule_id: sched.schedule_id, open: 'h', closed: 'h' },
	h: { kind: 'hangup' } } };
	const f = await s.api('POST', '/api/v1/flows', { name: '分时',
		graph: g }, admin);
	assert.equal(f.status, 201, f.text);
	let r = await s.api('DELETE', p, null, admin);
	assert.equal(r.status, 409, r.text);
	assert.match(r.json.detail, /分时/);

	/* a new version without the time switch frees it from the flow */
	r = await s.api('PUT', `/api/v1/flows/${f.json.flow_id}`, { graph: {
		start: 'h', nodes: { h: { kind: 'hangup' } } } }, admin);
	assert.equal(r.status, 200, r.text);

	const n = await s.api('POST', '/api/v1/numbers', { number:
		'4008885678', tenant_id: demo }, op);
	assert.equal(n.status, 201, n.text);
	r = await s.api('PATCH', `/api/v1/numbers/${n.json.number_id}`,
		{ routes: [{ schedule_id: sched.schedule_id,
			flow_id: f.json.flow_id }] }, admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('DELETE', p, null, admin);
	assert.equal(r.status, 409, r.text);
	assert.match(r.json.detail, /4008885678/);

	r = await s.api('PATCH', `/api/v1/numbers/${n.json.number_id}`,
		{ routes: [] }, admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('DELETE', p, null, admin);
	assert.equal(r.status, 204, r.text);
	assert.equal((await s.api('GET', p, null, admin)).status, 404);
	assert.equal((await s.api('DELETE', p, null, admin)).status, 404);
	assert.equal((await s.api('DELETE', '/api/v1/schedules/x', null,
		admin)).status, 404);
});

test('the clock offset is checked at start, naming the key', async () => {
	for (const bad of ['tomorrow', '@2026-13-01T00:00:00Z', '+1h']) {
		await assert.rejects(startServer(s.db, { env:
			{ OPENSEAT_CLOCK_OFFSET: bad }, readyTimeoutMs: 10000 }),
		/clock_offset/);
	}
	const srv = await startServer(s.db, { env:
		{ OPENSEAT_CLOCK_OFFSET: '@2026-11-23T02:00:00Z' } });
	const r = await fetch(`${srv.baseUrl}/healthz`);
	assert.equal(r.status, 200);
	const { code } = await srv.stop();
	assert.equal(code, 0);
});
