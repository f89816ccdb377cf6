// ACD configuration API: skills, agents and not-ready reasons — CRUD,
// every validation error naming its field with nothing changed, the SIP
// secret never returned, roles, tenant isolation, audit rows, the
// openseat_acd NOTIFY the queue runtime reloads on, and the demo seed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { JWT_SECRET, ROOT, cli, startStack } from '../lib/stack.mjs';
import { registerPhone } from '../lib/agentphone.mjs';

let s;
let admin;
let sup;
let agent;
let demoTid;
let B;            /* { tid, token } of a second tenant */
let listener;

/* LISTEN on a psql session; notifications print after each command. */
function listen(db, channel) {
	const p = spawn('psql', ['-X', '-q', '-t', '-A', '-d', db.url],
		{ stdio: ['pipe', 'pipe', 'inherit'] });
	let out = '';
	p.stdout.on('data', (d) => { out += d; });
	p.stdin.write(`LISTEN ${channel};\n`);
	const seen = (payload) => out.split('\n').filter((l) =>
		l.includes(`"${channel}" with payload "${payload}"`)).length;
	let syncs = 0;
	return {
		seen,
		/** Print what arrived so far (psql shows notifications after a
		 * command) and count payload. */
		async sync(payload) {
			const mark = `sync-${++syncs}`;
			p.stdin.write(`SELECT '${mark}';\n`);
			while (!out.includes(mark))
				await new Promise((r) => setTimeout(r, 20));
			return seen(payload);
		},
		/** Wait until payload has been notified n times in all. */
		async wait(payload, n, ms = 10000) {
			const end = Date.now() + ms;
			while (seen(payload) < n) {
				if (Date.now() > end)
					throw new Error(`no NOTIFY ${channel} ${payload}` +
						` #${n}:\n${out.slice(-500)}`);
				p.stdin.write('SELECT 1;\n');
				await new Promise((r) => setTimeout(r, 50));
			}
		},
		close() { p.stdin.end(); },
	};
}

before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
	sup = await s.token(s.supervisor);
	agent = await s.token(s.agent);
	demoTid = (await s.api('GET', '/api/v1/me', null, admin)).json.tenant_id;
	const op = await s.token(s.operator);
	const r = await s.api('POST', '/api/v1/tenants', { code: 'acd-b',
		name: 'B 公司', seat_quota: 2, admin: { username: 'badmin',
			password: 'Bbbb@20261' } }, op);
	assert.equal(r.status, 201, r.text);
	B = { tid: r.json.tenant_id, token: (await s.login('acd-b', 'badmin',
		'Bbbb@20261')).access_token };
	listener = listen(s.db, 'openseat_acd');
});
after(async () => {
	listener?.close();
	await s?.stop();
});

const q = (sql) => s.db.psql(sql, true);
const count = (table) => Number(q(`SELECT count(*) FROM ${table}`));

async function newUser(token, username, role = 'agent') {
	const r = await s.api('POST', '/api/v1/users', { username, role,
		password: 'User@20261' }, token);
	assert.equal(r.status, 201, r.text);
	return r.json.user_id;
}

function fieldError(r, status, field, code) {
	assert.equal(r.status, status, r.text);
	assert.ok(r.json.errors?.some((e) => e.field === field &&
		(!code || e.code === code)), `${field}/${code}: ${r.text}`);
}

/** A snapshot of everything a refused change must leave alone. */
function snapshot() {
	return q('SELECT (SELECT count(*) FROM agents) || \',\' ||' +
		' (SELECT count(*) FROM agent_skills) || \',\' ||' +
		' (SELECT string_agg(work_no || sip_user || device || phone ||' +
		' sip_secret, \';\' ORDER BY agent_id) FROM agents) || \',\' ||' +
		' (SELECT count(*) FROM skills) || \',\' ||' +
		' (SELECT count(*) FROM notready_reasons) || \',\' ||' +
		' (SELECT count(*) FROM audit_log WHERE action NOT LIKE' +
		' \'auth.%\')');
}

const mine6 = (items) => items.find((a) => a.username === 'agent6');

test('seed-demo: skill, agents 1001..1005 with SIP users, agent6 in the ' +
	'browser, reasons, ' +
	'the support queue, the flow; a second run changes nothing',
async () => {
	const r = await s.api('GET', '/api/v1/agents?limit=200', null, admin);
	assert.equal(r.status, 200, r.text);
	const mine = r.json.items.filter((a) => /^agent[1-5]$/.test(a.username))
		.sort((a, b) => a.work_no.localeCompare(b.work_no));
	assert.deepEqual(mine.map((a) => [a.username, a.work_no, a.device,
		a.sip_user, a.has_sip_secret]),
	[1, 2, 3, 4, 5].map((i) => [`agent${i}`, `100${i}`, 'sip',
		`demo100${i}`, true]));
	for (const a of mine)
		assert.deepEqual(a.skills.map((k) => [k.name, k.level]),
			[['售后', 1]]);
	assert.equal(q("SELECT string_agg(sip_secret, ',') FROM agents" +
		" WHERE sip_user LIKE 'demo100%'"), Array(5).fill('Phone@2026')
		.join(','));

	const reasons = (await s.api('GET', '/api/v1/notready-reasons', null,
		admin)).json.items.sort((a, b) => a.position - b.position);
	assert.deepEqual(reasons.map((x) => x.name), ['休息', '会议', '培训',
		'就餐']);

	const queues = (await s.api('GET', '/api/v1/queues', null, admin)).json
		.items;
	const sq = queues.find((x) => x.name === 'support');
	assert.ok(sq, JSON.stringify(queues));
	assert.equal(sq.label, '售后服务');
	assert.equal(sq.strategy, 'longest_idle');
	assert.equal(sq.announce_work_no, true);
	assert.deepEqual(sq.skills.map((k) => k.name), ['售后']);

	assert.equal(q("SELECT v.graph->'nodes'->'agent'->>'queue' FROM" +
		' flow_versions v JOIN flows f USING (flow_id)' +
		" WHERE f.name = '演示导航'"), 'support');

	const counts = () => q('SELECT concat_ws(\',\', (SELECT count(*) FROM' +
		' skills), (SELECT count(*) FROM agents), (SELECT count(*) FROM' +
		' agent_skills), (SELECT count(*) FROM notready_reasons),' +
		' (SELECT count(*) FROM queues), (SELECT count(*) FROM' +
		' queue_skills), (SELECT count(*) FROM flows))');
	const before = counts();
	/* six agents: agent6 answers in the browser (device webrtc) */
	assert.equal(before, '1,6,6,4,1,1,1');
	const web = mine6(r.json.items);
	assert.deepEqual([web.work_no, web.device, web.sip_user,
		web.skills.map((k) => k.name)], ['1006', 'webrtc', null, ['售后']]);
	const again = await cli(['seed-demo'], {
		OPENSEAT_DATABASE_URL: s.db.url,
		OPENSEAT_DATABASE_ADMIN_URL: s.db.adminUrl,
		OPENSEAT_MIGRATIONS_DIR: path.join(ROOT, 'migrations'),
		OPENSEAT_JWT_SECRET: JWT_SECRET });
	assert.equal(again.status, 0, again.stderr);
	assert.equal(counts(), before);
});

let skill;
let skill2;

test('skills: create, get, list, rename, duplicate name 409; audited ' +
	'and notified', async () => {
	const n0 = await listener.sync(demoTid);
	let r = await s.api('POST', '/api/v1/skills', { name: '英语' }, admin);
	assert.equal(r.status, 201, r.text);
	skill = r.json;
	assert.equal(skill.name, '英语');
	assert.equal(skill.agent_count, 0);
	await listener.wait(demoTid, n0 + 1);

	r = await s.api('GET', `/api/v1/skills/${skill.skill_id}`, null, sup);
	assert.equal(r.status, 200);
	assert.deepEqual(r.json, skill);

	r = await s.api('GET', '/api/v1/skills', null, sup);
	assert.ok(r.json.items.some((k) => k.skill_id === skill.skill_id));

	r = await s.api('PATCH', `/api/v1/skills/${skill.skill_id}`,
		{ name: '英语服务' }, admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.name, '英语服务');
	await listener.wait(demoTid, n0 + 2);

	const snap = snapshot();
	r = await s.api('POST', '/api/v1/skills', { name: '售后' }, admin);
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.code, 'name_taken');
	fieldError(r, 409, 'name', 'taken');
	r = await s.api('PATCH', `/api/v1/skills/${skill.skill_id}`,
		{ name: '售后' }, admin);
	fieldError(r, 409, 'name', 'taken');
	for (const bad of [{}, { name: '' }, { name: ' x' }, { name: 7 },
		{ name: 'x'.repeat(65) }, { name: 'ok', extra: 1 }]) {
		r = await s.api('POST', '/api/v1/skills', bad, admin);
		assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.text}`);
		assert.ok(r.json.errors[0].field, r.text);
	}
	assert.equal(snapshot(), snap);

	r = await s.api('POST', '/api/v1/skills', { name: '投诉' }, admin);
	assert.equal(r.status, 201, r.text);
	skill2 = r.json;

	assert.equal(q("SELECT string_agg(action || ':' || actor_name, ','" +
		` ORDER BY created_at) FROM audit_log WHERE target_id =` +
		` '${skill.skill_id}'`), 'skill.create:admin,skill.update:admin');
	/* a refused change commits nothing, so it notifies nothing: the
	 * notices so far are exactly the successful changes */
	await listener.wait(demoTid, n0 + 3);
	assert.equal(await listener.sync(demoTid), n0 + 3);
});

let agentUser;
let created;

test('agents: create for a user, the secret is write-only, get, list ' +
	'with filters, patch replaces skills whole, delete', async () => {
	agentUser = await newUser(admin, 'acd_a1');
	const n0 = await listener.sync(demoTid);
	let r = await s.api('POST', '/api/v1/agents', { user_id: agentUser,
		work_no: '2001', device: 'sip', sip_user: 'acd2001',
		sip_secret: 'Secret#2001', skills: [{ skill_id: skill.skill_id,
			level: 2 }, { skill_id: skill2.skill_id }] }, admin);
	assert.equal(r.status, 201, r.text);
	created = r.json;
	assert.equal(created.agent_id, agentUser);
	assert.equal(created.username, 'acd_a1');
	assert.equal(created.work_no, '2001');
	assert.equal(created.has_sip_secret, true);
	assert.ok(!('sip_secret' in created));
	assert.ok(!r.text.includes('Secret#2001'));
	assert.deepEqual(created.skills.map((k) => [k.skill_id, k.level]).sort(),
		[[skill.skill_id, 2], [skill2.skill_id, 5]].sort());
	await listener.wait(demoTid, n0 + 1);

	r = await s.api('GET', `/api/v1/agents/${agentUser}`, null, sup);
	assert.equal(r.status, 200);
	assert.deepEqual(r.json, created);
	assert.ok(!r.text.includes('Secret#2001'));

	const list = async (qs) => (await s.api('GET', `/api/v1/agents?${qs}`,
		null, sup)).json.items.map((a) => a.work_no).sort();
	assert.deepEqual(await list(`skill_id=${skill2.skill_id}`), ['2001']);
	assert.deepEqual(await list('q=acd_a'), ['2001']);
	assert.deepEqual(await list('q=2001'), ['2001']);
	assert.deepEqual(await list('device=webrtc'), ['1006']);
	assert.equal((await list('device=sip')).length, 6);
	r = await s.api('GET', '/api/v1/agents?limit=2', null, sup);
	assert.equal(r.json.items.length, 2);
	assert.ok(r.json.next_cursor);
	r = await s.api('GET', `/api/v1/agents?limit=2&cursor=${
		r.json.next_cursor}`, null, sup);
	assert.equal(r.status, 200);
	assert.equal(r.json.items.length, 2);
	fieldError(await s.api('GET', '/api/v1/agents?device=fax', null, sup),
		400, 'device');
	fieldError(await s.api('GET', '/api/v1/agents?skill_id=x', null, sup),
		400, 'skill_id');

	r = await s.api('PATCH', `/api/v1/agents/${agentUser}`, { device:
		'pstn', phone: '138-0013-8000', skills: [{ skill_id:
			skill2.skill_id, level: 9 }] }, admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.device, 'pstn');
	assert.equal(r.json.phone, '13800138000');
	assert.equal(r.json.sip_user, 'acd2001');
	assert.deepEqual(r.json.skills.map((k) => [k.name, k.level]),
		[['投诉', 9]]);
	r = await s.api('PATCH', `/api/v1/agents/${agentUser}`,
		{ sip_secret: 'Changed#2001' }, admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(q(`SELECT sip_secret FROM agents WHERE agent_id =` +
		` '${agentUser}'`), 'Changed#2001');
	const detail = q("SELECT string_agg(detail::text, ' ' ORDER BY" +
		` created_at) FROM audit_log WHERE target_id = '${agentUser}'` +
		" AND action LIKE 'agent.%'");
	assert.ok(!/Secret#2001|Changed#2001/.test(detail), detail);
	assert.match(detail, /sip_secret_changed/);
	r = await s.api('PATCH', `/api/v1/agents/${agentUser}`, { skills: [] },
		admin);
	assert.deepEqual(r.json.skills, []);
	await listener.wait(demoTid, n0 + 4);

	const other = await newUser(admin, 'acd_del', 'supervisor');
	r = await s.api('POST', '/api/v1/agents', { user_id: other,
		work_no: '2999', device: 'webrtc' }, admin);
	assert.equal(r.status, 201, r.text);
	r = await s.api('DELETE', `/api/v1/agents/${other}`, null, admin);
	assert.equal(r.status, 204, r.text);
	r = await s.api('GET', `/api/v1/agents/${other}`, null, admin);
	assert.equal(r.status, 404);
	r = await s.api('DELETE', `/api/v1/agents/${other}`, null, admin);
	assert.equal(r.status, 404);
	r = await s.api('GET', `/api/v1/users/${other}`, null, admin);
	assert.equal(r.status, 200, 'the user stays');
	assert.equal(q("SELECT string_agg(action, ',' ORDER BY created_at)" +
		` FROM audit_log WHERE target_id = '${other}' AND action LIKE` +
		" 'agent.%'"), 'agent.create,agent.delete');
});

test('bad agents name the field; nothing is changed', async () => {
	const u = await newUser(admin, 'acd_bad');
	const adminUser = (await s.api('GET', '/api/v1/me', null, admin)).json
		.user_id;
	const bUser = await newUser(B.token, 'b_agent');
	const ok = { user_id: u, work_no: '3001', device: 'sip',
		sip_user: 'acd3001', sip_secret: 'Secret#3001' };
	const unknown = '00000000-0000-4000-8000-000000000001';
	const cases = [
		[{ ...ok, work_no: '12a' }, 400, 'work_no', 'format'],
		[{ ...ok, work_no: '123456789' }, 400, 'work_no'],
		[{ ...ok, work_no: '' }, 400, 'work_no'],
		[{ ...ok, work_no: 1001 }, 400, 'work_no', 'type'],
		[{ ...ok, work_no: '1001' }, 409, 'work_no', 'taken'],
		[{ ...ok, sip_user: 'demo1002' }, 409, 'sip_user', 'taken'],
		[{ ...ok, sip_user: 'bad user' }, 400, 'sip_user', 'format'],
		[{ ...ok, sip_secret: 'short' }, 400, 'sip_secret', 'length'],
		[{ ...ok, sip_secret: undefined }, 400, 'sip_secret',
			'required'],
		[{ ...ok, sip_user: undefined }, 400, 'sip_user', 'required'],
		[{ ...ok, device: 'pstn', phone: '' }, 400, 'phone', 'required'],
		[{ ...ok, device: 'pstn', phone: '12ab' }, 400, 'phone',
			'format'],
		[{ ...ok, device: 'fax' }, 400, 'device', 'enum'],
		[{ ...ok, skills: [{ skill_id: skill.skill_id, level: 0 }] }, 400,
			'skills[0].level', 'range'],
		[{ ...ok, skills: [{ skill_id: skill.skill_id, level: 10 }] },
			400, 'skills[0].level', 'range'],
		[{ ...ok, skills: [{ skill_id: skill.skill_id }, { skill_id:
			unknown }] }, 400, 'skills[1]', 'not_found'],
		[{ ...ok, skills: [{ skill_id: skill.skill_id }, { skill_id:
			skill.skill_id }] }, 400, 'skills', 'duplicate'],
		[{ ...ok, skills: ['x'] }, 400, 'skills[0]', 'type'],
		[{ ...ok, skills: [{ level: 1 }] }, 400, 'skills[0].skill_id',
			'required'],
		[{ ...ok, user_id: unknown }, 400, 'user_id', 'not_found'],
		[{ ...ok, user_id: bUser }, 400, 'user_id', 'not_found'],
		[{ ...ok, user_id: adminUser }, 400, 'user_id', 'role'],
		[{ ...ok, user_id: agentUser }, 409, 'user_id', 'taken'],
		[{ ...ok, user_id: 'nope' }, 400, 'user_id'],
		[{ ...ok, surprise: true }, 400, 'surprise'],
	];
	const snap = snapshot();
	for (const [body, status, field, code] of cases) {
		const r = await s.api('POST', '/api/v1/agents', body, admin);
		fieldError(r, status, field, code);
	}
	const patches = [
		[{ work_no: '1001' }, 409, 'work_no', 'taken'],
		[{ work_no: 'x' }, 400, 'work_no', 'format'],
		[{ sip_user: 'demo1003' }, 409, 'sip_user', 'taken'],
		[{ device: 'sip', sip_user: null }, 400, 'device', 'required'],
		[{ sip_secret: 'abc' }, 400, 'sip_secret', 'length'],
		[{ skills: [{ skill_id: unknown }] }, 400, 'skills[0]',
			'not_found'],
		[{ user_id: u }, 400, 'user_id', 'unknown'],
	];
	for (const [body, status, field, code] of patches) {
		const r = await s.api('PATCH', `/api/v1/agents/${agentUser}`,
			body, admin);
		fieldError(r, status, field, code);
	}
	let r = await s.api('PATCH', `/api/v1/agents/${agentUser}`, { device:
		'pstn', phone: '' }, admin);
	fieldError(r, 400, 'phone', 'required');
	r = await s.api('PATCH', `/api/v1/agents/${unknown}`, { work_no: '9' },
		admin);
	assert.equal(r.status, 404, r.text);
	r = await s.api('POST', '/api/v1/agents', '{"user_id":', admin);
	assert.equal(r.status, 400);
	assert.equal(snapshot(), snap);
});

test('SIP users are unique across tenants; the seat quota is kept',
	async () => {
		const b1 = await newUser(B.token, 'b_a1');
		const b2 = await newUser(B.token, 'b_a2');
		const b3 = await newUser(B.token, 'b_a3');
		let r = await s.api('POST', '/api/v1/agents', { user_id: b1,
			work_no: '1001', sip_user: 'demo1001', sip_secret: 'Bbbb#1001' },
		B.token);
		fieldError(r, 409, 'sip_user', 'taken');
		r = await s.api('POST', '/api/v1/agents', { user_id: b1,
			work_no: '1001', sip_user: 'b1001', sip_secret: 'Bbbb#1001' },
		B.token);
		assert.equal(r.status, 201, 'work numbers are per tenant: ' + r.text);
		r = await s.api('POST', '/api/v1/agents', { user_id: b2,
			work_no: '1002', device: 'webrtc' }, B.token);
		assert.equal(r.status, 201, r.text);
		r = await s.api('POST', '/api/v1/agents', { user_id: b3,
			work_no: '1003', device: 'webrtc' }, B.token);
		assert.equal(r.status, 409, r.text);
		assert.equal(r.json.code, 'seat_quota_exceeded');
		assert.equal(q(`SELECT count(*) FROM agents WHERE tenant_id =` +
			` '${B.tid}'`), '2');
	});

test('roles: agents and supervisors cannot write; an agent reads only ' +
	'its own row', async () => {
	const snap = snapshot();
	const id = agentUser;
	for (const token of [agent, sup]) {
		for (const [m, p, body] of [
			['POST', '/api/v1/skills', { name: '越权' }],
			['PATCH', `/api/v1/skills/${skill.skill_id}`, { name: 'x' }],
			['DELETE', `/api/v1/skills/${skill.skill_id}`],
			['POST', '/api/v1/agents', { user_id: id, work_no: '9' }],
			['PATCH', `/api/v1/agents/${id}`, { work_no: '9' }],
			['DELETE', `/api/v1/agents/${id}`],
			['POST', '/api/v1/notready-reasons', { name: '越权' }],
		]) {
			const r = await s.api(m, p, body, token);
			assert.equal(r.status, 403, `${m} ${p}: ${r.text}`);
		}
	}
	/* agents list colleagues as a directory, to transfer calls to */
	let r = await s.api('GET', '/api/v1/agents?limit=200', null, agent);
	assert.equal(r.status, 200, r.text);
	assert.ok(r.json.items.some((a) => a.work_no === '1002'));
	for (const a of r.json.items)
		assert.deepEqual(Object.keys(a).sort(), ['agent_id', 'disabled',
			'display_name', 'username', 'work_no']);
	r = await s.api('GET', '/api/v1/agents?q=demo1002', null, agent);
	assert.deepEqual(r.json.items, [], 'no search by SIP user');
	r = await s.api('GET', '/api/v1/skills', null, agent);
	assert.equal(r.status, 403);
	const me = (await s.api('GET', '/api/v1/me', null, agent)).json;
	r = await s.api('GET', `/api/v1/agents/${me.user_id}`, null, agent);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.work_no, '1001');
	assert.ok(!r.text.includes('Phone@2026'));
	r = await s.api('GET', `/api/v1/agents/${id}`, null, agent);
	assert.equal(r.status, 404, 'another agent is not found');
	r = await s.api('GET', '/api/v1/notready-reasons', null, agent);
	assert.equal(r.status, 200, 'agents read reasons to pick one');
	assert.equal(snapshot(), snap);
});

test('not-ready reasons: CRUD, duplicates, ranges', async () => {
	let r = await s.api('POST', '/api/v1/notready-reasons', { name: '小休',
		position: 9, enabled: false }, admin);
	assert.equal(r.status, 201, r.text);
	const rs = r.json;
	assert.deepEqual([rs.name, rs.position, rs.enabled], ['小休', 9, false]);
	r = await s.api('PATCH', `/api/v1/notready-reasons/${rs.reason_id}`,
		{ enabled: true, position: 0 }, admin);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual([r.json.name, r.json.position, r.json.enabled],
		['小休', 0, true]);
	const snap = snapshot();
	fieldError(await s.api('POST', '/api/v1/notready-reasons',
		{ name: '休息' }, admin), 409, 'name', 'taken');
	fieldError(await s.api('POST', '/api/v1/notready-reasons',
		{ name: 'x', position: 1001 }, admin), 400, 'position', 'range');
	fieldError(await s.api('POST', '/api/v1/notready-reasons',
		{ name: 'x'.repeat(33) }, admin), 400, 'name');
	fieldError(await s.api('PATCH',
		`/api/v1/notready-reasons/${rs.reason_id}`, { enabled: 'yes' },
		admin), 400, 'enabled', 'type');
	assert.equal(snapshot(), snap);
	r = await s.api('DELETE', `/api/v1/notready-reasons/${rs.reason_id}`,
		null, admin);
	assert.equal(r.status, 204);
	r = await s.api('GET', `/api/v1/notready-reasons/${rs.reason_id}`,
		null, admin);
	assert.equal(r.status, 404);
});

test("tenant isolation: B cannot see or change A's skills, agents, " +
	'reasons; nor use them', async () => {
	const reason = (await s.api('GET', '/api/v1/notready-reasons', null,
		admin)).json.items[0];
	const snap = snapshot();
	const nA = await listener.sync(demoTid);
	for (const [m, p, body] of [
		['GET', `/api/v1/skills/${skill.skill_id}`],
		['PATCH', `/api/v1/skills/${skill.skill_id}`, { name: 'owned' }],
		['DELETE', `/api/v1/skills/${skill.skill_id}`],
		['GET', `/api/v1/agents/${agentUser}`],
		['PATCH', `/api/v1/agents/${agentUser}`, { work_no: '7' }],
		['DELETE', `/api/v1/agents/${agentUser}`],
		['GET', `/api/v1/notready-reasons/${reason.reason_id}`],
		['PATCH', `/api/v1/notready-reasons/${reason.reason_id}`,
			{ name: 'owned' }],
		['DELETE', `/api/v1/notready-reasons/${reason.reason_id}`],
	]) {
		const r = await s.api(m, p, body, B.token);
		assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
	}
	for (const p of ['/api/v1/skills', '/api/v1/agents',
		'/api/v1/notready-reasons']) {
		const r = await s.api('GET', p, null, B.token);
		assert.equal(r.status, 200);
		assert.ok(!r.text.includes(demoTid) && !r.text.includes('售后') &&
			!r.text.includes('休息') && !r.text.includes('demo1001'),
		`${p}: ${r.text}`);
	}
	const bAgent = (await s.api('GET', '/api/v1/agents', null, B.token)).json
		.items[0];
	const r = await s.api('PATCH', `/api/v1/agents/${bAgent.agent_id}`,
		{ skills: [{ skill_id: skill.skill_id }] }, B.token);
	fieldError(r, 400, 'skills[0]', 'not_found');
	assert.equal(snapshot(), snap);
	/* B's successful change notifies B, not A */
	const nB = await listener.sync(B.tid);
	assert.equal((await s.api('POST', '/api/v1/skills', { name: '售后' },
		B.token)).status, 201);
	await listener.wait(B.tid, nB + 1);
	assert.equal(await listener.sync(demoTid), nA);
});

test('a skill deleted leaves its agents and queues without it', async () => {
	const n0 = await listener.sync(demoTid);
	let r = await s.api('PATCH', `/api/v1/agents/${agentUser}`,
		{ skills: [{ skill_id: skill2.skill_id }] }, admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('DELETE', `/api/v1/skills/${skill2.skill_id}`, null,
		admin);
	assert.equal(r.status, 204, r.text);
	await listener.wait(demoTid, n0 + 2);
	r = await s.api('GET', `/api/v1/agents/${agentUser}`, null, admin);
	assert.deepEqual(r.json.skills, []);
	r = await s.api('GET', `/api/v1/skills/${skill2.skill_id}`, null, admin);
	assert.equal(r.status, 404);
});

test('Idempotency-Key: a repeated create runs once', async () => {
	const key = { 'idempotency-key': 'acd-skill-1' };
	const a = await s.api('POST', '/api/v1/skills', { name: '日语' }, admin,
		key);
	assert.equal(a.status, 201, a.text);
	/* the reply left once stored: a repeat at once replays */
	const b = await s.api('POST', '/api/v1/skills', { name: '日语' },
		admin, key);
	assert.equal(b.status, 201, b.text);
	assert.equal(b.headers.get('idempotent-replayed'), 'true');
	assert.equal(a.json.skill_id, b.json.skill_id);
	assert.equal(q("SELECT count(*) FROM skills WHERE name = '日语'"), '1');
});

test("registration: where an agent's SIP phone registered from",
	async () => {
		const me = (await s.api('GET', '/api/v1/me', null, agent)).json;
		const url = `/api/v1/agents/${me.user_id}/registration`;
		let r = await s.api('GET', url, null, sup);
		assert.equal(r.status, 200, r.text);
		assert.deepEqual(r.json, { registered: false, device: 'sip' });

		const p = await registerPhone({ sipPort: s.sipPort, user: 'demo1001',
			secret: 'Phone@2026', expires: 120 });
		try {
			await p.registered();
			r = await s.api('GET', url, null, agent);
			assert.equal(r.status, 200, r.text);
			assert.equal(r.json.registered, true);
			assert.match(r.json.contact, /^sip:demo1001@127\.0\.0\.1:/);
			assert.match(r.json.source, /^sip:127\.0\.0\.1:\d+/);
			assert.equal(r.json.user_agent, 'sipp agent phone');
			const left = Date.parse(r.json.expires_at) - Date.now();
			assert.ok(left > 60000 && left <= 121000, r.json.expires_at);
			assert.equal(typeof r.json.reachable, 'boolean');
		} finally {
			p.stop();
		}
		r = await s.api('GET', `/api/v1/agents/${agentUser}/registration`,
			null, agent);
		assert.equal(r.status, 404, 'not another agent\'s');
		r = await s.api('GET', url, null, B.token);
		assert.equal(r.status, 404, 'not another tenant\'s');
		r = await s.api('GET', '/api/v1/agents/x/registration', null, sup);
		assert.equal(r.status, 404);
	});

test("a deleted user's seat goes with it, and the runtime hears it",
	async () => {
		const u = await newUser(admin, 'acd_gone');
		let r = await s.api('POST', '/api/v1/agents', { user_id: u,
			work_no: '4001', sip_user: 'acd4001', sip_secret: 'Secret#4001' },
		admin);
		assert.equal(r.status, 201, r.text);
		const n0 = await listener.sync(demoTid);
		r = await s.api('DELETE', `/api/v1/users/${u}`, null, admin);
		assert.equal(r.status, 204, r.text);
		await listener.wait(demoTid, n0 + 1);
		r = await s.api('GET', `/api/v1/agents/${u}`, null, admin);
		assert.equal(r.status, 404);
		/* its work number and SIP user are free again */
		const v = await newUser(admin, 'acd_next');
		r = await s.api('POST', '/api/v1/agents', { user_id: v,
			work_no: '4001', sip_user: 'acd4001', sip_secret: 'Secret#4001' },
		admin);
		assert.equal(r.status, 201, r.text);
	});
