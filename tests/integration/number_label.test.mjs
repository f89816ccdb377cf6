// A number's label — the hotline's name an agent sees on the screen pop:
// the demo line has one, the tenant's admin sets it (trimmed, at most 64
// characters, no control characters), the operator may give one on
// assignment, no other tenant can change it, and an offer carries the
// label the number has now (the routing tables reload).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { rerouted } from '../lib/sip.mjs';
import { QUEUE_NUMBER, queueStack, until } from '../lib/acd_calls.mjs';
import { JWT_SECRET, ROOT, cli, wsAuthed } from '../lib/stack.mjs';

const AGENT6 = { tenant: 'demo', username: 'agent6', password: 'Agent@2026' };
const WAIT = 20000;

let t;
let num;        /* QUEUE_NUMBER's row */
let acme;
let acmeAdmin;

before(async () => {
	t = await queueStack();
	const r = await t.s.api('GET', `/api/v1/numbers?number=${QUEUE_NUMBER}`,
		null, t.d.admin);
	num = r.json.items[0];
	const a = await t.s.api('POST', '/api/v1/tenants', { code: 'acme',
		name: 'Acme', admin: { username: 'root',
			password: 'Acme@20261' } }, t.d.op);
	assert.equal(a.status, 201, a.text);
	acme = a.json.tenant_id;
	acmeAdmin = (await t.s.login('acme', 'root', 'Acme@20261')).access_token;
});

after(async () => {
	await t?.stop();
});

const numPath = () => `/api/v1/numbers/${num.number_id}`;

function labelOf(numberId) {
	return t.s.db.psql('SELECT label FROM numbers WHERE number_id = ' +
		`'${numberId}'`, true);
}

test('the demo line is labelled; a new number has no label', async () => {
	assert.equal(t.d.demoNumber.label, '客服热线');
	assert.equal(num.label, '');
});

test('seed-demo labels a demo line that has none, and keeps an ' +
	'admin\'s label', async () => {
	const demoId = t.d.demoNumber.number_id;
	const seed = async () => {
		const r = await cli(['seed-demo'], {
			OPENSEAT_DATABASE_URL: t.s.db.url,
			OPENSEAT_DATABASE_ADMIN_URL: t.s.db.adminUrl,
			OPENSEAT_MIGRATIONS_DIR: path.join(ROOT, 'migrations'),
			OPENSEAT_JWT_SECRET: JWT_SECRET });
		assert.equal(r.status, 0, r.stderr);
	};
	/* as a database seeded before labels existed */
	t.s.db.psql(`UPDATE numbers SET label = '' WHERE number_id =
		'${demoId}'`, true);
	await seed();
	assert.equal(labelOf(demoId), '客服热线');
	const r = await t.s.api('PATCH', `/api/v1/numbers/${demoId}`,
		{ label: '总机' }, t.d.admin);
	assert.equal(r.status, 200, r.text);
	await seed();
	assert.equal(labelOf(demoId), '总机');
});

test('the admin labels a number, trimmed and audited', async () => {
	const r = await t.s.api('PATCH', numPath(), { label: '  售后热线 ' },
		t.d.admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.label, '售后热线');
	/* the other fields stay as they were */
	assert.equal(r.json.flow_id, num.flow_id);
	assert.equal(r.json.enabled, true);
	const got = await t.s.api('GET', numPath(), null, t.d.admin);
	assert.equal(got.json.label, '售后热线');
	/* the audit keeps what was asked for */
	const asked = t.s.db.psql('SELECT detail->>\'label\' = \'  售后热线 \'' +
		` FROM audit_log WHERE target_id = '${num.number_id}' AND` +
		" action = 'number.update' ORDER BY created_at DESC LIMIT 1",
	true);
	assert.equal(asked, 't');
	/* 64 characters of Chinese is 192 bytes and still fits */
	const long = '热'.repeat(64);
	const ok = await t.s.api('PATCH', numPath(), { label: long }, t.d.admin);
	assert.equal(ok.status, 200, ok.text);
	assert.equal(ok.json.label, long);
});

test('bad labels are refused by field and change nothing', async () => {
	const before = labelOf(num.number_id);
	for (const label of ['a'.repeat(65), '热'.repeat(65), '售后\n热线',
		'售后\u0007', '\t', '售后\u007f', '\u0085', 7, null, ['x'],
		{ zh: '售后' }]) {
		const r = await t.s.api('PATCH', numPath(), { label }, t.d.admin);
		const what = JSON.stringify(label);
		assert.equal(r.status, 400, `${what}: ${r.text}`);
		assert.deepEqual(r.json.errors.map((e) => e.field), ['label'],
			`${what}: ${r.text}`);
	}
	assert.equal(labelOf(num.number_id), before);
});

test('another tenant can neither see nor label the number', async () => {
	const before = labelOf(num.number_id);
	let r = await t.s.api('PATCH', numPath(), { label: '偷来的' }, acmeAdmin);
	assert.equal(r.status, 404, r.text);
	r = await t.s.api('GET', numPath(), null, acmeAdmin);
	assert.equal(r.status, 404, r.text);
	/* only the tenant's admin, not its supervisor */
	r = await t.s.api('PATCH', numPath(), { label: '改' }, t.d.sup);
	assert.equal(r.status, 403, r.text);
	/* the operator assigns; routing and labels are the tenant's */
	r = await t.s.api('PATCH', numPath(), { label: '改' }, t.d.op);
	assert.equal(r.status, 403, r.text);
	assert.equal(labelOf(num.number_id), before);
});

test('the operator may label a number as it is assigned', async () => {
	let r = await t.s.api('POST', '/api/v1/numbers', { number: '4001000599',
		tenant_id: acme, label: ' 投诉热线 ' }, t.d.op);
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.label, '投诉热线');
	for (const label of ['x'.repeat(65), 'a\rb', 'a\tb', 1]) {
		r = await t.s.api('POST', '/api/v1/numbers', { number: '4001000598',
			tenant_id: acme, label }, t.d.op);
		assert.equal(r.status, 400, r.text);
		assert.equal(r.json.errors[0].field, 'label', r.text);
	}
	assert.equal(t.s.db.psql("SELECT count(*) FROM numbers WHERE number" +
		" = '4001000598'", true), '0');
	/* acme's admin sees and relabels its own */
	r = await t.s.api('GET', '/api/v1/numbers?number=4001000599', null,
		acmeAdmin);
	assert.equal(r.json.items[0].label, '投诉热线');
});

test('an offer names the hotline by the label it has now', async () => {
	await rerouted(t.s, () => t.s.api('PATCH', numPath(),
		{ label: '售后热线' }, t.d.admin));
	const ws = await wsAuthed(t.s, await t.s.token(AGENT6));
	ws.send({ type: 'softphone.register', id: 1 });
	await ws.next('softphone.ok', WAIT);
	ws.send({ type: 'agent.state', state: 'ready' });
	await ws.next((m) => m.type === 'agent.ok' || m.type === 'error', WAIT);
	await t.waitAgent('1006', (x) => x.state === 'ready');
	const c = await t.call('13900139501');
	try {
		const offer = await ws.next((m) => m.type === 'call.offer' &&
			m.caller === '13900139501', WAIT);
		assert.equal(offer.number, QUEUE_NUMBER);
		assert.equal(offer.number_label, '售后热线');
	} finally {
		await c.hangup();
		await c.done;
		c.close();
		await until(async () => (await t.liveQueue(t.support.queue_id))
			.waiting === 0, 'queue empty', WAIT);
	}

	/* relabelled: the next call carries the new name */
	await rerouted(t.s, () => t.s.api('PATCH', numPath(), { label: '' },
		t.d.admin));
	const c2 = await t.call('13900139502');
	try {
		const offer = await ws.next((m) => m.type === 'call.offer' &&
			m.caller === '13900139502', WAIT);
		assert.equal(offer.number_label, '');
	} finally {
		await c2.hangup();
		await c2.done;
		c2.close();
		ws.send({ type: 'agent.state', state: 'logged_out' });
		await ws.next('agent.ok', WAIT).catch(() => {});
		ws.ws.close();
	}
});

test('the call log names the line by its label now', async () => {
	await t.s.api('PATCH', numPath(), { label: '售后热线' }, t.d.admin);
	const r = await t.s.api('GET', '/api/v1/calls?caller=13900139501',
		null, t.d.sup);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.items.length, 1, r.text);
	assert.equal(r.json.items[0].number, QUEUE_NUMBER);
	assert.equal(r.json.items[0].number_label, '售后热线');
	const one = await t.s.api('GET',
		`/api/v1/calls/${r.json.items[0].call_id}`, null, t.d.sup);
	assert.equal(one.json.number_label, '售后热线');
	assert.ok(Array.isArray(one.json.events));
	/* a number since given to another tenant lends demo's old calls
	 * no label: acme's 4001000599 is 投诉热线 */
	const cid = r.json.items[0].call_id;
	t.s.db.psql(`UPDATE calls SET number = '4001000599' WHERE call_id =
		'${cid}'`, true);
	const moved = await t.s.api('GET', `/api/v1/calls/${cid}`, null,
		t.d.sup);
	assert.equal(moved.json.number_label, null);
	t.s.db.psql(`UPDATE calls SET number = '${QUEUE_NUMBER}' WHERE
		call_id = '${cid}'`, true);
});
