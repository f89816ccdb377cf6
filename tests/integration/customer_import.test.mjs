// Customer CSV import and export: GBK found by itself with Chinese names
// intact, UTF-8 with a BOM, quotes and line breaks inside quotes, files
// refused whole (400, nothing written), per-line errors (custom field
// values of the wrong type, missing columns, bad numbers) with the other
// lines written, duplicates merged or skipped, a dry run that writes
// nothing and says what the real run then does, 100,000 rows, export
// and import back, and tenants not seeing each other's imports.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startStack, wsAuthed } from '../lib/stack.mjs';

let s;
let admin;
let agent;
let op;
let acmeAdmin;
let events;

const psql = (sql) => s.db.psql(sql, true);

const gbk = (text) => execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GBK'],
	{ input: Buffer.from(text, 'utf8') });
const fromGbk = (buf) => execFileSync('iconv', ['-f', 'GBK', '-t',
	'UTF-8'], { input: buf }).toString('utf8');

/** POST the file (string or Buffer); query is an object. */
async function upload(body, query = {}, token = admin,
	ctype = 'text/csv') {
	const qs = new URLSearchParams(query).toString();
	const res = await fetch(s.baseUrl + '/api/v1/customers/imports' +
		(qs ? '?' + qs : ''), { method: 'POST', body,
		headers: { authorization: `Bearer ${token}`,
			'content-type': ctype } });
	const text = await res.text();
	let json = null;
	try { json = JSON.parse(text); } catch { /* not JSON */ }
	return { status: res.status, json, text, headers: res.headers };
}

/** Import and wait for customer.import_finished; the job as GET has it. */
async function importCsv(body, query = {}) {
	const r = await upload(body, query);
	assert.equal(r.status, 202, r.text);
	assert.match(r.json.import_id, /^[0-9a-f-]{36}$/);
	assert.equal(r.headers.get('location'),
		'/api/v1/customers/imports/' + r.json.import_id);
	const fin = await events.next((m) =>
		m.type === 'customer.import_finished' &&
		m.data.import_id === r.json.import_id, 120000);
	const g = await s.api('GET', '/api/v1/customers/imports/' +
		r.json.import_id, undefined, admin);
	assert.equal(g.status, 200, g.text);
	assert.equal(g.json.status, 'finished');
	for (const k of ['total', 'processed', 'created', 'merged', 'skipped',
		'failed'])
		assert.equal(g.json[k], fin.data[k], k);
	return { accepted: r.json, job: g.json };
}

const DEMO_ID = "(SELECT tenant_id FROM tenants WHERE code = 'demo')";

/* psql runs as the database owner, past RLS: name the tenant */
const customers = () => Number(psql('SELECT count(*) FROM customers' +
	` WHERE tenant_id = ${DEMO_ID}`));

const customerOf = (phone) => {
	const row = psql('SELECT row_to_json(x) FROM (SELECT c.name, c.email,' +
		' c.company, c.region, c.tags, c.notes, c.fields, ARRAY(SELECT' +
		' p.phone FROM customer_phones p WHERE p.customer_id =' +
		' c.customer_id ORDER BY p.position) AS phones FROM customers c' +
		' JOIN customer_phones cp USING (customer_id) WHERE cp.phone = ' +
		`'${phone}' AND c.tenant_id = ${DEMO_ID}) x`);
	return row ? JSON.parse(row) : null;
};

before(async () => {
	s = await startStack();
	admin = await s.token(s.admin);
	agent = await s.token(s.agent);
	op = await s.token(s.operator);
	const a = await s.api('POST', '/api/v1/tenants', { code: 'acme',
		name: 'Acme', admin: { username: 'root',
			password: 'Acme@20261' } }, op);
	assert.equal(a.status, 201, a.text);
	acmeAdmin = (await s.login('acme', 'root', 'Acme@20261')).access_token;
	/* the demo tenant's custom fields, as its admin would define them */
	psql("INSERT INTO customer_fields (tenant_id, key, label, type," +
		" options, required, position) SELECT tenant_id, k, l, t, o," +
		" false, p FROM tenants, (VALUES ('level', '会员等级', 'select'," +
		" '{金卡,银卡}'::text[], 1), ('points', '积分', 'number', '{}', 2)," +
		" ('birthday', '生日', 'date', '{}', 3)) AS v (k, l, t, o, p)" +
		" WHERE code = 'demo'");
	events = await wsAuthed(s, admin, ['customer']);
});
after(async () => { events?.close(); await s?.stop(); });

test('a GBK file is found by itself and its Chinese names kept',
	async () => {
		const csv = '姓名,手机,公司,地区,会员等级\r\n' +
			'张三,13800000001,华为技术有限公司,广东省深圳市,金卡\r\n' +
			'李四,"13800000002;010-6552 9988",腾讯,北京市,银卡\r\n';
		const { accepted, job } = await importCsv(gbk(csv));
		assert.equal(accepted.encoding, 'gb18030');
		assert.deepEqual(accepted.mapping, { 姓名: 'name', 手机: 'phone',
			公司: 'company', 地区: 'region',
			会员等级: 'fields.level' });
		assert.equal(job.total, 2);
		assert.equal(job.created, 2);
		assert.equal(job.failed, 0);
		const z = customerOf('13800000001');
		assert.equal(z.name, '张三');
		assert.equal(z.company, '华为技术有限公司');
		assert.equal(z.region, '广东省深圳市');
		assert.deepEqual(z.fields, { level: '金卡' });
		assert.deepEqual(customerOf('01065529988').phones,
			['13800000002', '01065529988']);

		/* told gbk, the same bytes import the same way */
		const r = await upload(gbk('姓名,手机\n王五,13800000003\n'),
			{ encoding: 'gbk', dry_run: 'true' });
		assert.equal(r.status, 202, r.text);
		assert.equal(r.json.encoding, 'gbk');
	});

test('UTF-8 with a BOM, quotes and line breaks inside quotes',
	async () => {
		const csv = '\ufeffname,phone,notes,tags,email\n' +
			'"赵 ""老六""",+86 138 0000 0004,"第一行\n第二行, 还有逗号",' +
			'"VIP；老客户、北京",zhao@example.com\n' +
			'钱七,0086-13800000005,,,\n';
		const { accepted, job } = await importCsv(csv);
		assert.equal(accepted.encoding, 'utf-8');
		assert.equal(job.created, 2, JSON.stringify(job.errors));
		const z = customerOf('13800000004');
		assert.equal(z.name, '赵 "老六"');
		assert.equal(z.notes, '第一行\n第二行, 还有逗号');
		assert.deepEqual(z.tags, ['VIP', '老客户', '北京']);
		assert.equal(z.email, 'zhao@example.com');
		assert.equal(customerOf('13800000005').name, '钱七');
	});

test('a file that cannot be imported is a 400 and changes nothing',
	async () => {
		const before0 = customers();
		const jobs0 = psql('SELECT count(*) FROM customer_imports');
		const cases = [
			['', {}, 'empty'],
			['\ufeff\r\n\r\n', {}, 'empty'],
			['name,phone\r\n', {}, 'no_rows'],
			[Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]), {},
				'not_text'],
			[Buffer.from('PK\x03\x04xlsx'), {}, 'not_csv'],
			[gbk('姓名,手机\n张三,13900000001\n'),
				{ encoding: 'utf-8' }, 'encoding'],
			[Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xff, 0xfe, 0xfd]), {},
				'encoding'],
			['"name,phone\n', {}, 'header'],
			['name,name\nx,y\n', {}, 'header'],
			['名字,号码\n张三,13900000001\n', {}, 'mapping'],
			['name,phone\n张三,13900000001\n',
				{ mapping: JSON.stringify({ 手机: 'phone' }) }, 'mapping'],
			['name,phone\n张三,13900000001\n',
				{ mapping: JSON.stringify({ name: 'name' }) }, 'mapping'],
			['name,phone\n张三,13900000001\n',
				{ mapping: JSON.stringify({ name: 'name',
					phone: 'fields.nope' }) }, 'mapping'],
			['name,phone,x\n张三,13900000001,y\n',
				{ mapping: JSON.stringify({ name: 'name', phone: 'phone',
					x: 'name' }) }, 'mapping'],
		];
		for (const [body, q, code] of cases) {
			const r = await upload(body, q);
			assert.equal(r.status, 400, `${code}: ${r.text}`);
			assert.equal(r.json.code, code, r.text);
			assert.ok(r.json.detail.length > 10);
		}

		for (const q of [{ on_duplicate: 'replace' }, { dry_run: 'yes' },
			{ encoding: 'latin1' }, { mapping: '{"a":' },
			{ mapping: '["name"]' }, { mapping: '{"name": 1}' }]) {
			const r = await upload('name,phone\nx,13900000001\n', q);
			assert.equal(r.status, 400, r.text);
			assert.equal(r.json.code, 'validation_failed');
		}
		let r = await upload('name,phone\nx,13900000001\n', {}, admin,
			'application/json');
		assert.equal(r.status, 415);
		r = await upload('name,phone\nx,13900000001\n', {}, agent);
		assert.equal(r.status, 403);

		assert.equal(customers(), before0);
		assert.equal(psql('SELECT count(*) FROM customer_imports'), jobs0);
	});

test('bad lines are reported by line and column, the others written',
	async () => {
		const csv = 'name,phone,积分,生日,会员等级,email\n' +
			'孙一,13900000011,100,2024-05-01,金卡,a@b.cn\n' +   // 2 ok
			'孙二,13900000012,很多,2024-05-01,金卡,\n' +        // 3 number
			'孙三,13900000013,1,昨天,银卡,\n' +                 // 4 date
			'孙四,13900000014,1,2024-05-01,铜卡,\n' +           // 5 select
			'孙五,13900000015\n' +                              // 6 columns
			',13900000016,,,,\n' +                              // 7 name
			'孙七,138-abc,,,,\n' +                              // 8 phone
			'孙八,,,,,\n' +                                     // 9 no phone
			'孙九,13900000019,,,,not-mail\n' +                  // 10 email
			'孙十,"13900000020\n' +                             // 11 quote
			'孙十一,13900000011,,,,\n' +                        // 12 dup
			'孙十二,13900000022,2.5,2024/6/1,,\n';              // 13 ok
		const { job } = await importCsv(csv);
		assert.equal(job.total, 12);
		assert.equal(job.processed, 12);
		assert.equal(job.created, 2, JSON.stringify(job.errors));
		assert.equal(job.failed, 10);
		assert.equal(job.errors_total, 10);
		const by = Object.fromEntries(job.errors.map((e) => [e.line, e]));
		const expect = {
			3: ['积分', 'type'], 4: ['生日', 'format'],
			5: ['会员等级', 'enum'], 6: [null, 'columns'],
			7: ['name', 'required'], 8: ['phone', 'format'],
			9: [null, 'required'], 10: ['email', 'format'],
			11: [null, 'unterminated_quote'],
			12: [null, 'duplicate_in_file'],
		};
		for (const [line, [column, code]] of Object.entries(expect)) {
			const e = by[line];
			assert.ok(e, `line ${line}: ${JSON.stringify(job.errors)}`);
			assert.equal(e.column, column, `line ${line}`);
			if (!['type', 'format', 'enum'].includes(code) ||
				column === 'phone' || column === 'email')
				assert.equal(e.code, code, `line ${line}`);
			else
				assert.ok(e.code, `line ${line}`);
			assert.ok(e.message.length > 3);
		}
		assert.match(by[12].message, /line 2/);
		assert.deepEqual(customerOf('13900000011').fields,
			{ points: 100, birthday: '2024-05-01', level: '金卡' });
		assert.deepEqual(customerOf('13900000022').fields,
			{ points: 2.5, birthday: '2024-06-01' });
		for (const p of ['13900000012', '13900000013', '13900000014',
			'13900000015', '13900000016', '13900000019', '13900000020'])
			assert.equal(customerOf(p), null, p);
	});

test('duplicates by number: skipped, or merged into the customer',
	async () => {
		await importCsv('name,phone,company,tags\n' +
			'周一,13700000001,旧公司,老客户\n');
		const csv = 'name,phone,company,email,tags,积分,notes\n' +
			'周一新,"+86 13700000001;13700000009",新公司,,VIP,5,' +
			'=1+1\n' +
			'吴二,13700000002,,,,,\n';

		let { job } = await importCsv(csv, { on_duplicate: 'skip' });
		assert.deepEqual([job.created, job.merged, job.skipped,
			job.failed], [1, 0, 1, 0]);
		let z = customerOf('13700000001');
		assert.equal(z.name, '周一');
		assert.equal(z.company, '旧公司');
		assert.deepEqual(z.phones, ['13700000001']);

		({ job } = await importCsv(csv, { on_duplicate: 'merge' }));
		assert.deepEqual([job.created, job.merged, job.skipped,
			job.failed], [0, 2, 0, 0]);
		z = customerOf('13700000001');
		assert.equal(z.name, '周一新');
		assert.equal(z.company, '新公司');
		assert.deepEqual(z.tags, ['老客户', 'VIP']);
		assert.deepEqual(z.fields, { points: 5 });
		assert.deepEqual(z.phones, ['13700000001', '13700000009']);
		assert.equal(z.notes, '=1+1');
		assert.equal(customerOf('13700000009').name, '周一新');
		assert.equal(psql("SELECT count(*) FROM customers WHERE name" +
			" LIKE '周一%'"), '1');
	});

test('a dry run writes nothing and says what the real run does',
	async () => {
		const csv = 'name,phone\n郑一,13600000001\n郑二,13700000002\n' +
			'郑三,12\n郑四,13600000004\n';
		const before0 = customers();
		const audit0 = Number(psql("SELECT count(*) FROM audit_log WHERE" +
			" action = 'customer.import'"));
		const dry = (await importCsv(csv, { dry_run: 'true',
			on_duplicate: 'merge' })).job;
		assert.equal(dry.dry_run, true);
		assert.equal(customers(), before0);
		assert.equal(customerOf('13600000001'), null);
		const real = (await importCsv(csv, { on_duplicate: 'merge' })).job;
		for (const k of ['total', 'created', 'merged', 'skipped', 'failed',
			'errors_total'])
			assert.equal(dry[k], real[k], k);
		assert.deepEqual(dry.errors, real.errors);
		assert.deepEqual([real.created, real.merged, real.failed],
			[2, 1, 1]);
		assert.equal(customers(), before0 + 2);

		/* one audit row per import, with its counts */
		const rows = JSON.parse(psql("SELECT json_agg(detail ORDER BY" +
			" audit_id) FROM audit_log WHERE action = 'customer.import'"));
		assert.equal(rows.length, audit0 + 2);
		assert.equal(rows.at(-2).dry_run, true);
		assert.equal(rows.at(-1).created, 2);
		assert.equal(rows.at(-1).merged, 1);
	});

test('errors across chunks: the first 1000 in line order, all counted',
	async () => {
		/* 3000 rows, two chunks written at once: every other row bad */
		const lines = ['name,phone'];
		for (let i = 0; i < 3000; i++)
			lines.push(i % 2 ? `坏${i},x${i}` : `好${i},1340${
				String(i).padStart(7, '0')}`);
		const { job } = await importCsv(lines.join('\n'),
			{ dry_run: 'true' });
		assert.deepEqual([job.total, job.created, job.failed,
			job.errors_total], [3000, 1500, 1500, 1500]);
		assert.equal(job.errors.length, 1000);
		assert.deepEqual(job.errors.map((e) => e.line),
			Array.from({ length: 1000 }, (_, k) => 3 + 2 * k));
		assert.ok(job.errors.every((e) => e.code === 'format' &&
			e.column === 'phone'));
	});

test('two imports of the same new numbers at once: none without its number',
	async () => {
		const lines = ['name,phone'];
		for (let i = 0; i < 4000; i++)
			lines.push(`并发${i},1330${String(i).padStart(7, '0')}`);
		const body = lines.join('\n');
		const [a, b] = await Promise.all([importCsv(body),
			importCsv(body)]);
		for (const { job } of [a, b]) {
			assert.equal(job.created + job.skipped + job.failed, 4000);
			assert.ok(job.errors.every((e) => e.code === 'database'));
		}
		/* each number went to one customer once; a chunk that lost
		 * the race failed whole, to be imported again */
		assert.equal(a.job.created + b.job.created, 4000);
		assert.equal(psql("SELECT count(*) FROM customers c WHERE" +
			" NOT EXISTS (SELECT 1 FROM customer_phones p WHERE" +
			" p.customer_id = c.customer_id)"), '0');
		assert.equal(psql("SELECT count(*) FROM customers WHERE name" +
			" LIKE '并发%'"), '4000');
	});

test('100,000 rows are imported with progress', async (t) => {
	const n = 100000;
	const lines = ['姓名,电话,公司,标签'];
	for (let i = 0; i < n; i++)
		lines.push(`客户${i},15${String(i).padStart(9, '0')},` +
			`公司${i % 100},批量`);
	const before0 = customers();
	const t0 = Date.now();
	const r = await upload(lines.join('\r\n') + '\r\n');
	assert.equal(r.status, 202, r.text);
	const progress = await events.next((m) =>
		m.type === 'customer.import_progress' &&
		m.data.import_id === r.json.import_id, 60000);
	assert.equal(progress.data.total, n);
	assert.ok(progress.data.processed > 0 &&
		progress.data.processed <= n);
	const fin = await events.next((m) =>
		m.type === 'customer.import_finished' &&
		m.data.import_id === r.json.import_id, 300000);
	const ms = Date.now() - t0;
	t.diagnostic(`100,000 rows in ${ms} ms ` +
		`(${Math.round(n / ms * 1000)} rows/s)`);
	assert.equal(fin.data.created, n);
	assert.equal(fin.data.failed, 0);
	assert.equal(customers(), before0 + n);
	assert.equal(customerOf('15000099999').name, '客户99999');
});

test('export as CSV and import back: every row a duplicate', async () => {
	const labels = psql("SELECT string_agg(f.label, ',' ORDER BY" +
		" f.position, f.key) FROM customer_fields f JOIN tenants t" +
		" USING (tenant_id) WHERE t.code = 'demo' AND f.enabled");
	assert.match(labels, /会员等级,积分,生日/);
	let r = await fetch(s.baseUrl + '/api/v1/customers/export?tag=VIP',
		{ headers: { authorization: `Bearer ${admin}` } });
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /text\/csv/);
	let text = Buffer.from(await r.arrayBuffer()).toString('utf8');
	assert.ok(text.startsWith('\ufeff姓名,电话,邮箱,公司,地区,标签,备注,' +
		labels + '\r\n'), text.slice(0, 80));
	/* a cell a spreadsheet would run as a formula is quoted with ' */
	assert.match(text,
		/周一新,13700000001;13700000009,,新公司,,老客户;VIP,'=1\+1,/);

	r = await fetch(s.baseUrl + '/api/v1/customers/export',
		{ headers: { authorization: `Bearer ${admin}` } });
	const all = Buffer.from(await r.arrayBuffer());
	const total = customers();
	text = all.toString('utf8');
	assert.equal(text.split('\r\n').length - 2, total);
	assert.match(text, /"赵 ""老六""",13800000004,zhao@example.com/);
	assert.match(text, /"第一行\n第二行, 还有逗号"/);

	const { job } = await importCsv(all, { dry_run: 'true' });
	assert.equal(job.total, total);
	assert.deepEqual([job.created, job.skipped, job.failed, job.errors],
		[0, total, 0, []]);

	/* GBK for older Excel: no BOM, Chinese in GBK */
	r = await fetch(s.baseUrl + '/api/v1/customers/export?encoding=gbk' +
		'&q=' + encodeURIComponent('张三'),
	{ headers: { authorization: `Bearer ${admin}` } });
	const g = Buffer.from(await r.arrayBuffer());
	assert.notEqual(g[0], 0xef);
	const back = fromGbk(g);
	assert.match(back, /^姓名,电话/);
	assert.match(back, /张三,13800000001,,华为技术有限公司,广东省深圳市,,,/);
	assert.match(back, /,金卡,/);
	assert.equal(back.trim().split('\r\n').length, 2);

	r = await s.api('GET', '/api/v1/customers/export?encoding=latin1',
		undefined, admin);
	assert.equal(r.status, 400);
	r = await s.api('GET', '/api/v1/customers/export', undefined, agent);
	assert.equal(r.status, 403);
});

test('another tenant sees neither the imports nor the customers',
	async () => {
		const r = await upload('name,phone\n冯一,13500000001\n',
			{ dry_run: 'true' });
		assert.equal(r.status, 202);
		const id = r.json.import_id;
		let g = await s.api('GET', '/api/v1/customers/imports/' + id,
			undefined, acmeAdmin);
		assert.equal(g.status, 404);
		g = await s.api('GET', '/api/v1/customers/imports/not-a-uuid',
			undefined, admin);
		assert.equal(g.status, 404);
		g = await s.api('GET', '/api/v1/customers/imports/' +
			'00000000-0000-4000-8000-000000000000', undefined, admin);
		assert.equal(g.status, 404);

		/* a job left running by a restart reads as failed once it
		 * has not moved for 10 minutes */
		await events.next((m) => m.type === 'customer.import_finished' &&
			m.data.import_id === id, 20000);
		psql("UPDATE customer_imports SET status = 'running'," +
			" updated_at = now() - interval '11 minutes'" +
			` WHERE import_id = '${id}'`);
		g = await s.api('GET', '/api/v1/customers/imports/' + id,
			undefined, admin);
		assert.equal(g.json.status, 'failed');

		const e = await fetch(s.baseUrl + '/api/v1/customers/export',
			{ headers: { authorization: `Bearer ${acmeAdmin}` } });
		assert.equal(Buffer.from(await e.arrayBuffer()).toString('utf8'),
			'\ufeff姓名,电话,邮箱,公司,地区,标签,备注\r\n');

		/* acme's import of the same number makes acme's own customer */
		const acmeEvents = await wsAuthed(s, acmeAdmin, ['customer']);
		let acmeId;
		try {
			const acme = await upload('name,phone\n张三,13800000001\n',
				{}, acmeAdmin);
			assert.equal(acme.status, 202, acme.text);
			acmeId = acme.json.import_id;
			const fin = await acmeEvents.next((m) =>
				m.type === 'customer.import_finished', 20000);
			assert.equal(fin.data.created, 1);
			g = await s.api('GET', '/api/v1/customers/imports/' +
				acme.json.import_id, undefined, admin);
			assert.equal(g.status, 404);
		} finally {
			acmeEvents.close();
		}
		assert.equal(customerOf('13800000001').name, '张三');
		assert.equal(psql("SELECT count(*) FROM customer_phones" +
			" WHERE phone = '13800000001'"), '2');
		/* the demo admin heard nothing of acme's import: its own next
		 * import's events come after where acme's would have been */
		await importCsv('name,phone\n冯二,13500000002\n',
			{ dry_run: 'true' });
		await assert.rejects(events.next((m) =>
			m.data?.import_id === acmeId, 1));
	});

test('a server stopped during an import exits cleanly', async () => {
	const lines = ['name,phone'];
	for (let i = 0; i < 50000; i++)
		lines.push(`停${i},1320${String(i).padStart(7, '0')}`);
	const r = await upload(lines.join('\n'));
	assert.equal(r.status, 202, r.text);
	await events.next((m) => m.type === 'customer.import_progress' &&
		m.data.import_id === r.json.import_id, 20000);
	events.close();
	events = null;
	/* stop() asserts exit code 0 and no sanitizer report (no leak of
	 * the import, its chunks or the file) */
	const stack = s;
	s = null;
	await stack.stop();
});
