// Flows API: create, validate, versions, a running call's version kept
// apart from edits, errors that name the node, nothing stored when a
// flow is invalid, tenant isolation, delete refused while a number uses
// the flow.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, ROOT } from '../lib/stack.mjs';

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
	const t = await s.api('POST', '/api/v1/tenants', { code: 'acmeivr',
		name: 'Acme', admin: { username: 'root',
			password: 'Acme@20261' } }, op);
	assert.equal(t.status, 201, t.text);
	acmeAdmin = (await s.login('acmeivr', 'root', 'Acme@20261'))
		.access_token;
});
after(async () => { await s?.stop(); });

const demoFlow = JSON.parse(fs.readFileSync(path.join(ROOT,
	'config/demo-flow.json'), 'utf8'));

function count(table) {
	return Number(s.db.psql(`SELECT count(*) FROM ${table}`, true));
}

let flow;

test('an admin creates a flow: version 1, its prompts recorded',
	async () => {
		const r = await s.api('POST', '/api/v1/flows', { name: '主流程',
			description: 'demo', graph: demoFlow }, admin);
		assert.equal(r.status, 201, r.text);
		flow = r.json;
		assert.equal(flow.name, '主流程');
		assert.equal(flow.current_version, 1);
		assert.deepEqual(flow.graph, demoFlow);
		const refs = s.db.psql('SELECT string_agg(prompt_ref, \',\' ' +
			`ORDER BY prompt_ref) FROM flow_prompts WHERE flow_id = ` +
			`'${flow.flow_id}'`, true);
		assert.equal(refs, 'builtin/demo_menu,builtin/goodbye,' +
			'builtin/invalid,builtin/timeout,builtin/welcome');
		const audit = s.db.psql('SELECT action FROM audit_log WHERE ' +
			`target_id = '${flow.flow_id}'`, true);
		assert.equal(audit, 'flow.create');

		const g = await s.api('GET', `/api/v1/flows/${flow.flow_id}`,
			null, admin);
		assert.equal(g.status, 200, g.text);
		assert.equal(g.json.version, 1);
		assert.deepEqual(g.json.graph, demoFlow);

		const l = await s.api('GET', '/api/v1/flows', null, admin);
		assert.equal(l.status, 200);
		assert.ok(l.json.items.some((f) => f.flow_id === flow.flow_id));
		assert.equal(l.json.items[0].graph, undefined);
	});

test('PUT makes a new version; older ones stay readable', async () => {
	const g2 = structuredClone(demoFlow);
	g2.nodes.welcome.prompts = ['builtin/welcome', 'builtin/beep'];
	const r = await s.api('PUT', `/api/v1/flows/${flow.flow_id}`,
		{ graph: g2 }, admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.current_version, 2);
	assert.equal(r.json.name, '主流程');

	let g = await s.api('GET', `/api/v1/flows/${flow.flow_id}`, null,
		admin);
	assert.deepEqual(g.json.graph, g2);
	g = await s.api('GET', `/api/v1/flows/${flow.flow_id}?version=1`,
		null, admin);
	assert.equal(g.status, 200);
	assert.equal(g.json.version, 1);
	assert.deepEqual(g.json.graph, demoFlow);
	g = await s.api('GET', `/api/v1/flows/${flow.flow_id}?version=9`,
		null, admin);
	assert.equal(g.status, 404);
	g = await s.api('GET', `/api/v1/flows/${flow.flow_id}?version=x`,
		null, admin);
	assert.equal(g.status, 400);

	const v = await s.api('GET', `/api/v1/flows/${flow.flow_id}/versions`,
		null, admin);
	assert.equal(v.status, 200, v.text);
	assert.deepEqual(v.json.items.map((i) => i.version), [2, 1]);
	assert.ok(s.db.psql('SELECT count(*) FROM flow_prompts WHERE ' +
		`flow_id = '${flow.flow_id}' AND prompt_ref = 'builtin/beep'`,
	true) === '1');
});

const broken = {
	start: 'a',
	nodes: {
		a: { kind: 'play', prompts: ['builtin/welcome'], next: 'ghost' },
		b: { kind: 'dance' },
		c: { kind: 'play', prompts: ['builtin/nope'], next: 'd' },
		d: { kind: 'set', vars: { x: '1' }, next: 'c' },
		e: { kind: 'time_switch', schedule_id:
			'44444444-4444-4444-8444-444444444444', open: 'a',
		closed: 'a' },
	},
};

test('validate answers errors naming node and code, stores nothing',
	async () => {
		const before = count('flow_versions');
		let r = await s.api('POST', '/api/v1/flows/validate', broken,
			admin);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.valid, false);
		const got = r.json.errors.map((e) => `${e.node}:${e.code}`);
		for (const want of ['a:dangling_edge', 'b:unknown_kind',
			'c:missing_prompt', 'd:cycle_without_input',
			'c:unreachable', 'e:unreachable'])
			assert.ok(got.includes(want), `${want} in ${got}`);
		for (const e of r.json.errors) {
			assert.equal(typeof e.message, 'string');
			assert.match(e.code, /^[a-z_]+$/);
		}

		r = await s.api('POST', '/api/v1/flows/validate', demoFlow, admin);
		assert.deepEqual(r.json, { valid: true, errors: [] });

		/* a schedule the tenant does not have, found by the database */
		const g = { start: 't', nodes: { t: { kind: 'time_switch',
			schedule_id: '44444444-4444-4444-8444-444444444444',
			open: 'h', closed: 'h' }, h: { kind: 'hangup' } } };
		r = await s.api('POST', '/api/v1/flows/validate', g, admin);
		assert.deepEqual(r.json.errors.map((e) => [e.node, e.code]),
			[['t', 'unknown_schedule']]);

		r = await s.api('POST', '/api/v1/flows/validate', '{"start": ',
			admin);
		assert.equal(r.status, 200);
		assert.equal(r.json.errors[0].code, 'invalid_json');

		r = await s.api('POST', '/api/v1/flows', { name: 'bad',
			graph: broken }, admin);
		assert.equal(r.status, 400, r.text);
		assert.equal(r.json.code, 'invalid_flow');
		assert.ok(r.json.errors.length >= 6);
		r = await s.api('PUT', `/api/v1/flows/${flow.flow_id}`,
			{ graph: g }, admin);
		assert.equal(r.status, 400, r.text);
		assert.equal(r.json.errors[0].code, 'unknown_schedule');
		assert.equal(count('flow_versions'), before);
		const cur = await s.api('GET', `/api/v1/flows/${flow.flow_id}`,
			null, admin);
		assert.equal(cur.json.current_version, 2);
	});

test('bad bodies are refused clearly', async () => {
	const before = count('flows');
	for (const body of [{}, { name: 'x' }, { name: 'x', graph: [] },
		{ name: '', graph: demoFlow }, { name: 'x', graph: demoFlow,
			extra: 1 }, 'nope']) {
		const r = await s.api('POST', '/api/v1/flows', body, admin);
		assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
	}
	let r = await s.api('POST', '/api/v1/flows', { name: '主流程',
		graph: demoFlow }, admin);
	assert.equal(r.status, 409, r.text);
	assert.equal(count('flows'), before);
	r = await s.api('GET', '/api/v1/flows/nope', null, admin);
	assert.equal(r.status, 404);
	r = await s.api('PUT', '/api/v1/flows/11111111-1111-4111-8111-' +
		'111111111111', { graph: demoFlow }, admin);
	assert.equal(r.status, 404, r.text);
});

test('tenant B cannot see or change tenant A\'s flows', async () => {
	const id = flow.flow_id;
	/* the demo flow's queue node names a queue the tenant must have */
	let r = await s.api('POST', '/api/v1/queues', { name: 'support' },
		acmeAdmin);
	assert.equal(r.status, 201, r.text);
	r = await s.api('GET', `/api/v1/flows/${id}`, null, acmeAdmin);
	assert.equal(r.status, 404);
	r = await s.api('GET', '/api/v1/flows', null, acmeAdmin);
	assert.deepEqual(r.json.items, []);
	r = await s.api('PUT', `/api/v1/flows/${id}`, { graph: demoFlow },
		acmeAdmin);
	assert.equal(r.status, 404);
	r = await s.api('DELETE', `/api/v1/flows/${id}`, null, acmeAdmin);
	assert.equal(r.status, 404);
	r = await s.api('GET', `/api/v1/flows/${id}/versions`, null,
		acmeAdmin);
	assert.equal(r.status, 404);
	/* the same name is free in another tenant */
	r = await s.api('POST', '/api/v1/flows', { name: '主流程',
		graph: demoFlow }, acmeAdmin);
	assert.equal(r.status, 201, r.text);
	/* agents cannot edit flows */
	const agent = await s.token(s.agent);
	r = await s.api('POST', '/api/v1/flows/validate', demoFlow, agent);
	assert.equal(r.status, 403);
});

test('a flow a number uses cannot be deleted; then it can', async () => {
	const n = await s.api('POST', '/api/v1/numbers', { number:
		'4008881234', tenant_id: demo }, op);
	assert.equal(n.status, 201, n.text);
	let r = await s.api('PATCH', `/api/v1/numbers/${n.json.number_id}`,
		{ flow_id: flow.flow_id }, admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('DELETE', `/api/v1/flows/${flow.flow_id}`, null, admin);
	assert.equal(r.status, 409, r.text);
	assert.match(r.json.detail, /4008881234/);
	r = await s.api('PATCH', `/api/v1/numbers/${n.json.number_id}`,
		{ flow_id: null }, admin);
	assert.equal(r.status, 200, r.text);
	r = await s.api('DELETE', `/api/v1/flows/${flow.flow_id}`, null, admin);
	assert.equal(r.status, 204, r.text);
	assert.equal(s.db.psql('SELECT count(*) FROM flow_versions WHERE ' +
		`flow_id = '${flow.flow_id}'`, true), '0');
	r = await s.api('GET', `/api/v1/flows/${flow.flow_id}`, null, admin);
	assert.equal(r.status, 404);
});


test('tenant prompts: its own are found, others\' are not; in use they stay',
	async () => {
		const pid = '55555555-5555-4555-8555-555555555555';
		s.db.psql('INSERT INTO prompts (prompt_id, tenant_id, name,' +
			' duration_ms, size_bytes, original_format, sample_rate_in,' +
			` channels_in) VALUES ('${pid}', '${demo}', '欢迎词', 1000,` +
			" 16044, 'wav', 8000, 1)", true);
		const g = { start: 'p', nodes: { p: { kind: 'play',
			prompts: [pid, 'builtin/beep'], next: 'h' },
		h: { kind: 'hangup' } } };
		let r = await s.api('POST', '/api/v1/flows/validate', g, acmeAdmin);
		assert.deepEqual(r.json.errors.map((e) => [e.node, e.code]),
			[['p', 'missing_prompt']]);
		r = await s.api('POST', '/api/v1/flows', { name: '欢迎', graph: g },
			admin);
		assert.equal(r.status, 201, r.text);
		assert.equal(s.db.psql('SELECT count(*) FROM flow_prompts WHERE ' +
			`flow_id = '${r.json.flow_id}'`, true), '2');
		const del = await s.api('DELETE', `/api/v1/prompts/${pid}`, null,
			admin);
		assert.equal(del.status, 409, del.text);
		assert.match(del.text, /欢迎/);
	});
