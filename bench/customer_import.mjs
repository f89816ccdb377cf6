// Customer CSV import, end to end: a file of BENCH_IMPORT_ROWS rows
// (name, number, company, region, tags, a custom field; about 55 bytes
// a row, so a million fit the 64 MB upload limit) uploaded to
// POST /api/v1/customers/imports, timed from the upload to
// customer.import_finished; then the same file again as a dry run with
// every row a duplicate, and with on_duplicate=merge. Prints a Markdown
// section for docs/PERFORMANCE.md.
//
// Environment: BENCH_IMPORT_ROWS (default "100000"; a comma-separated
// list runs each size on a fresh tenant's database, e.g.
// "100000,1000000").
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'build/release/openseat');
process.env.OPENSEAT_BIN = bin;
const { startStack, wsAuthed } = await import('../tests/lib/stack.mjs');

const SIZES = (process.env.BENCH_IMPORT_ROWS || '100000').split(',')
	.map(Number);

function csv(n) {
	const lines = ['姓名,电话,公司,地区,标签,会员等级'];
	for (let i = 0; i < n; i++) {
		lines.push(`客户${i},1${String(3e9 + i).padStart(10, '0')},` +
			`公司${i % 1000},${i % 3 ? '北京市' : '深圳市'},` +
			`${i % 7 ? '批量' : 'VIP;批量'},${i % 2 ? '金卡' : '银卡'}`);
	}
	return Buffer.from(lines.join('\r\n') + '\r\n');
}

async function timed(s, events, token, body, query) {
	const t0 = Date.now();
	const res = await fetch(s.baseUrl + '/api/v1/customers/imports?' +
		new URLSearchParams(query), { method: 'POST', body,
		headers: { authorization: `Bearer ${token}`,
			'content-type': 'text/csv' } });
	const j = await res.json();
	if (res.status !== 202)
		throw new Error(JSON.stringify(j));
	const fin = await events.next((m) =>
		m.type === 'customer.import_finished' &&
		m.data.import_id === j.import_id, 30 * 60 * 1000);
	return { ms: Date.now() - t0, ...fin.data };
}

const rows = [];
for (const n of SIZES) {
	const s = await startStack({ env: { OPENSEAT_ACD_CHECK: '0' } });
	try {
		s.db.psql("INSERT INTO customer_fields (tenant_id, key, label," +
			" type, options) SELECT tenant_id, 'level', '会员等级'," +
			" 'select', '{金卡,银卡}' FROM tenants WHERE code = 'demo'",
		true);
		const token = await s.token(s.admin);
		const events = await wsAuthed(s, token, ['customer']);
		const body = csv(n);
		const mb = (body.length / 1048576).toFixed(1);
		for (const [what, q] of [
			['new customers', {}],
			['dry run, all duplicates', { dry_run: 'true' }],
			['merge, all duplicates', { on_duplicate: 'merge' }]]) {
			const r = await timed(s, events, token, body, q);
			if (r.failed || r.processed !== n)
				throw new Error(JSON.stringify(r));
			rows.push(`| ${n.toLocaleString('en')} (${mb} MB) | ${what} |` +
				` ${(r.ms / 1000).toFixed(1)} s |` +
				` ${Math.round(n / r.ms * 1000).toLocaleString('en')} |` +
				` ${r.created} / ${r.merged} / ${r.skipped} |`);
		}
		events.close();
		if (process.env.BENCH_VERBOSE)
			console.error(s.logs().split('\n').filter((l) =>
				/customer import/.test(l)).join('\n'));
	} finally {
		await s.stop();
	}
}

console.log('### Customer import\n');
console.log(`\`BENCH=customer-import bench/run.sh ${path.relative(
	process.cwd(), bin)}\` on ${os.cpus().length} × ${os.cpus()[0].model}` +
	`, ${new Date().toISOString().slice(0, 10)}; the embedded PostgreSQL` +
	' on the same machine.\n');
console.log('| rows | run | upload → finished | rows/s |' +
	' created / merged / skipped |\n|---|---|---|---|---|');
for (const r of rows)
	console.log(r);
