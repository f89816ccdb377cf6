// Trunks API (platform operator only): create, list, get, update, delete,
// the write-only secret, bad input refused with field errors, and a trunk
// in use by a number cannot be deleted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';

let s;
let op;
let admin;
before(async () => {
	s = await startStack();
	/* these tests count rows: start without the demo IVR's line */
	s.db.psql('DELETE FROM numbers; DELETE FROM trunks', true);
	op = await s.token(s.operator);
	admin = await s.token(s.admin);
});
after(async () => { await s?.stop(); });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function allTrunks() {
	const r = await s.api('GET', '/api/v1/trunks?limit=200', null, op);
	assert.equal(r.status, 200, r.text);
	return r.json.items;
}

function rowCount() {
	return Number(s.db.psql('SELECT count(*) FROM trunks', true));
}

let carrier;

test('the operator creates a shared trunk; the secret is never returned',
	async () => {
		const r = await s.api('POST', '/api/v1/trunks', {
			name: '电信 SIP 中继', allow_addrs: ['192.0.2.10',
				'198.51.100.0/24', '2001:db8::/32'],
			auth_user: 'ct-trunk', auth_secret: 'S3cret-digest',
			max_calls: 30, max_cps: 5,
			outbound_uri: 'sip:192.0.2.10:5060' }, op);
		assert.equal(r.status, 201, r.text);
		carrier = r.json;
		assert.match(carrier.trunk_id, UUID);
		assert.equal(carrier.tenant_id, null);
		assert.equal(carrier.name, '电信 SIP 中继');
		assert.deepEqual(carrier.allow_addrs, ['192.0.2.10',
			'198.51.100.0/24', '2001:db8::/32']);
		assert.equal(carrier.codecs, 'PCMA,PCMU');
		assert.equal(carrier.max_calls, 30);
		assert.equal(carrier.max_cps, 5);
		assert.equal(carrier.enabled, true);
		assert.equal(carrier.has_secret, true);
		assert.equal(carrier.number_count, 0);
		assert.ok(!('auth_secret' in carrier));
		assert.ok(!r.text.includes('S3cret-digest'));

		const one = await s.api('GET',
			`/api/v1/trunks/${carrier.trunk_id}`, null, op);
		assert.equal(one.status, 200);
		assert.ok(!one.text.includes('S3cret-digest'));
		const list = await s.api('GET', '/api/v1/trunks', null, op);
		assert.ok(!list.text.includes('S3cret-digest'));
		assert.ok(list.json.items.some((t) =>
			t.trunk_id === carrier.trunk_id));

		/* stored for digest, and the audit row does not carry it */
		assert.equal(s.db.psql('SELECT auth_secret FROM trunks WHERE ' +
			`trunk_id = '${carrier.trunk_id}'`, true), 'S3cret-digest');
		const audit = s.db.psql("SELECT detail::text FROM audit_log " +
			"WHERE action = 'trunk.create'", true);
		assert.ok(audit.length > 0);
		assert.ok(!audit.includes('S3cret-digest'));
	});

test('a trunk for one tenant; list filters by tenant', async () => {
	const demo = s.db.psql("SELECT tenant_id FROM tenants WHERE code = " +
		"'demo'", true);
	const r = await s.api('POST', '/api/v1/trunks', { name: 'demo-pbx',
		tenant_id: demo, allow_addrs: ['203.0.113.7'], codecs: 'PCMU' },
	op);
	assert.equal(r.status, 201, r.text);
	assert.equal(r.json.tenant_id, demo);
	assert.equal(r.json.has_secret, false);
	const l = await s.api('GET', `/api/v1/trunks?tenant_id=${demo}`, null,
		op);
	assert.deepEqual(l.json.items.map((t) => t.name), ['demo-pbx']);

	const unknown = await s.api('POST', '/api/v1/trunks', { name: 'x',
		tenant_id: '00000000-0000-4000-8000-000000000001',
		allow_addrs: ['203.0.113.8'] }, op);
	assert.equal(unknown.status, 400, unknown.text);
	assert.equal(unknown.json.errors[0].field, 'tenant_id');
});

test('tenant users and anonymous callers cannot reach /trunks',
	async () => {
		const before = rowCount();
		const id = carrier.trunk_id;
		for (const tok of [admin, await s.token(s.supervisor)]) {
			for (const [m, p, b] of [['GET', '/api/v1/trunks'],
				['POST', '/api/v1/trunks', { name: 'evil',
					allow_addrs: ['192.0.2.99'] }],
				['GET', `/api/v1/trunks/${id}`],
				['PATCH', `/api/v1/trunks/${id}`, { max_calls: 1 }],
				['DELETE', `/api/v1/trunks/${id}`]]) {
				const r = await s.api(m, p, b, tok);
				assert.equal(r.status, 403, `${m} ${p}`);
			}
		}
		assert.equal((await s.api('GET', '/api/v1/trunks')).status, 401);
		assert.equal(rowCount(), before);
		const t = await s.api('GET', `/api/v1/trunks/${id}`, null, op);
		assert.equal(t.json.max_calls, 30);
	});

test('bad input is refused with the field named and nothing changes',
	async () => {
		const before = rowCount();
		const good = { name: 'ok', allow_addrs: ['192.0.2.1'] };
		const cases = [
			[{ ...good, allow_addrs: ['192.0.2.0/33'] },
				'allow_addrs[0]'],
			[{ ...good, allow_addrs: ['192.0.2.1', '198.51.100.7/24'] },
				'allow_addrs[1]'],
			[{ ...good, allow_addrs: ['carrier.example.com'] },
				'allow_addrs[0]'],
			[{ ...good, allow_addrs: ['2001:db8::/129'] },
				'allow_addrs[0]'],
			[{ ...good, allow_addrs: ['300.1.2.3'] }, 'allow_addrs[0]'],
			[{ ...good, allow_addrs: [42] }, 'allow_addrs[0]'],
			[{ ...good, allow_addrs: '192.0.2.1' }, 'allow_addrs'],
			[{ ...good, max_calls: -1 }, 'max_calls'],
			[{ ...good, max_cps: -5 }, 'max_cps'],
			[{ ...good, max_calls: '10' }, 'max_calls'],
			[{ ...good, name: 'x'.repeat(101) }, 'name'],
			[{ ...good, name: '' }, 'name'],
			[{ allow_addrs: ['192.0.2.1'] }, 'name'],
			[{ ...good, enabled: 'yes' }, 'enabled'],
			[{ ...good, codecs: 'PCMA,G729' }, 'codecs'],
			[{ ...good, outbound_uri: 'http://x' }, 'outbound_uri'],
			[{ ...good, auth_user: 'a b' }, 'auth_user'],
			[{ ...good, auth_user: 'u1' }, 'auth_secret'],
			[{ name: 'nothing' }, 'allow_addrs'],
			[{ ...good, tenant_id: 'not-a-uuid' }, 'tenant_id'],
			[{ ...good, auth_secret: 'x'.repeat(129) }, 'auth_secret'],
			[{ ...good, allow_addrs: Array(65).fill('192.0.2.1') },
				'allow_addrs'],
			[{ ...good, surprise: 1 }, 'surprise'],
		];
		for (const [body, field] of cases) {
			const r = await s.api('POST', '/api/v1/trunks', body, op);
			assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
			assert.equal(r.json.code, 'validation_failed');
			assert.ok(r.json.errors.some((e) => e.field === field),
				`${field}: ${r.text}`);
		}
		const patch = await s.api('PATCH',
			`/api/v1/trunks/${carrier.trunk_id}`,
			{ allow_addrs: ['10.0.0.1/8'] }, op);
		assert.equal(patch.status, 400);
		assert.equal(patch.json.errors[0].field, 'allow_addrs[0]');
		const tid = await s.api('PATCH',
			`/api/v1/trunks/${carrier.trunk_id}`,
			{ tenant_id: null }, op);
		assert.equal(tid.status, 400);
		assert.equal((await s.api('POST', '/api/v1/trunks', '{"name":',
			op)).status, 400);
		assert.equal(rowCount(), before);
		const t = await s.api('GET', `/api/v1/trunks/${carrier.trunk_id}`,
			null, op);
		assert.deepEqual(t.json.allow_addrs, carrier.allow_addrs);
	});

test('duplicate names and digest users conflict', async () => {
	const a = await s.api('POST', '/api/v1/trunks', { name: '电信 SIP 中继',
		allow_addrs: ['192.0.2.50'] }, op);
	assert.equal(a.status, 409, a.text);
	const b = await s.api('POST', '/api/v1/trunks', { name: 'other',
		auth_user: 'ct-trunk', auth_secret: 'pw' }, op);
	assert.equal(b.status, 409, b.text);
});

test('update keeps the secret unless given; clearing the user clears it',
	async () => {
		const p = `/api/v1/trunks/${carrier.trunk_id}`;
		let r = await s.api('PATCH', p, { max_calls: 60, enabled: false,
			allow_addrs: ['192.0.2.11'] }, op);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.max_calls, 60);
		assert.equal(r.json.enabled, false);
		assert.deepEqual(r.json.allow_addrs, ['192.0.2.11']);
		assert.equal(r.json.has_secret, true);
		assert.equal(r.json.max_cps, 5);
		r = await s.api('PATCH', p, { auth_secret: 'N3w-secret' }, op);
		assert.equal(r.status, 200);
		assert.ok(!r.text.includes('N3w-secret'));
		assert.equal(s.db.psql('SELECT auth_secret FROM trunks WHERE ' +
			`trunk_id = '${carrier.trunk_id}'`, true), 'N3w-secret');
		r = await s.api('PATCH', p, { auth_user: '' }, op);
		assert.equal(r.status, 200);
		assert.equal(r.json.has_secret, false);
		/* neither address nor user left: refused, nothing changed */
		r = await s.api('PATCH', p, { allow_addrs: [] }, op);
		assert.equal(r.status, 400);
		r = await s.api('GET', p, null, op);
		assert.deepEqual(r.json.allow_addrs, ['192.0.2.11']);
		const missing = await s.api('PATCH', '/api/v1/trunks/' +
			'00000000-0000-4000-8000-000000000000', { max_calls: 1 }, op);
		assert.equal(missing.status, 404);
	});

test('a trunk used by a number cannot be deleted', async () => {
	const demo = s.db.psql("SELECT tenant_id FROM tenants WHERE code = " +
		"'demo'", true);
	const n = await s.api('POST', '/api/v1/numbers', { number: '4009990001',
		tenant_id: demo, trunk_id: carrier.trunk_id }, op);
	assert.equal(n.status, 201, n.text);
	const p = `/api/v1/trunks/${carrier.trunk_id}`;
	const t = await s.api('GET', p, null, op);
	assert.equal(t.json.number_count, 1);
	let r = await s.api('DELETE', p, null, op);
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.code, 'trunk_in_use');
	assert.equal((await s.api('GET', p, null, op)).status, 200);

	r = await s.api('DELETE', `/api/v1/numbers/${n.json.number_id}`, null,
		op);
	assert.equal(r.status, 204, r.text);
	r = await s.api('DELETE', p, null, op);
	assert.equal(r.status, 204, r.text);
	assert.equal((await s.api('GET', p, null, op)).status, 404);
	assert.equal((await s.api('DELETE', p, null, op)).status, 404);
	const audit = s.db.psql("SELECT action FROM audit_log WHERE " +
		`target_id = '${carrier.trunk_id}' ORDER BY audit_id`, true);
	assert.deepEqual(audit.split('\n'), ['trunk.create', 'trunk.update',
		'trunk.update', 'trunk.update', 'trunk.delete']);
	assert.ok(!(await allTrunks()).some((x) =>
		x.trunk_id === carrier.trunk_id));
});
