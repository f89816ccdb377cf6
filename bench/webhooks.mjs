// Webhook deliveries per second: N events queued in the outbox in one
// transaction (webhook_enqueue, as a change's own transaction would),
// delivered by openseat to a local keep-alive receiver that verifies a
// sample of signatures. Measured from the commit to the last request
// received, with every delivery's row written back as delivered. Prints
// a Markdown section for docs/PERFORMANCE.md.
//
// Environment: BENCH_EVENTS (per run, default 20000), BENCH_ENDPOINTS
// (default 4, all on the one receiver), BENCH_RUNS (default 3),
// BENCH_PER_ENDPOINT (webhook_endpoint_concurrency, default 16),
// BENCH_INFLIGHT (webhook_concurrency, default 64). A first unmeasured
// run of 2000 events warms the server; the tables are then ANALYZEd.
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'build/release/openseat');
process.env.OPENSEAT_BIN = bin;
const { startStack } = await import('../tests/lib/stack.mjs');
const { startReceiver, verify } = await import('../tests/lib/whreceiver.mjs');

const EVENTS = Number(process.env.BENCH_EVENTS || 20000);
const ENDPOINTS = Number(process.env.BENCH_ENDPOINTS || 4);
const RUNS = Number(process.env.BENCH_RUNS || 3);
const PER_EP = Number(process.env.BENCH_PER_ENDPOINT || 16);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT || 64);

const rcv = await startReceiver('127.0.0.2');
const s = await startStack({ env: {
	OPENSEAT_EGRESS_ALLOW: '127.0.0.2/32',
	OPENSEAT_WEBHOOK_CONCURRENCY: String(INFLIGHT),
	OPENSEAT_WEBHOOK_ENDPOINT_CONCURRENCY: String(PER_EP),
} });
const results = [];
try {
	const admin = await s.token(s.admin);
	const tenant = (await s.api('GET', '/api/v1/me', null, admin)).json
		.tenant_id;
	const secrets = {};
	for (let i = 0; i < ENDPOINTS; i++) {
		const r = await s.api('POST', '/api/v1/webhooks', {
			url: rcv.url(`/ep${i}`), event_types: ['webhook.*'] }, admin);
		if (r.status !== 201)
			throw new Error(r.text);
		secrets[`/ep${i}`] = r.json.secret;
	}
	for (let run = -1; run < RUNS; run++) {
		rcv.got.length = 0;
		const events = run < 0 ? 2000 : EVENTS;
		const want = events * ENDPOINTS;
		let last = 0;
		const done = new Promise((resolve) => {
			const t = setInterval(() => {
				if (rcv.got.length >= want) {
					clearInterval(t);
					last = rcv.got.at(-1).at;
					resolve();
				}
			}, 5);
		});
		const sql = `SET openseat.tenant_id = '${tenant}';
			SELECT sum(webhook_enqueue('${tenant}', gen_random_uuid(),
			'webhook.bench', json_build_object('type', 'webhook.bench', 'n', n,
			'pad', repeat('x', 200))::text)) FROM generate_series(1,
			${events}) n;`;
		const t0 = Date.now();
		s.db.psql(sql, true);
		const committed = Date.now();
		await done;
		const secs = (last - committed) / 1000;
		/* every delivery once, a sample verified, all rows written */
		const ids = new Set(rcv.got.map((r) => r.headers['webhook-id'] +
			r.path));
		let bad = 0;
		for (let i = 0; i < rcv.got.length; i += 97) {
			const r = rcv.got[i];
			if (verify(secrets[r.path], r.headers, r.body) !== 0)
				bad++;
		}
		let left = '';
		for (let i = 0; i < 200; i++) {
			left = s.db.psql(`SET openseat.tenant_id = '${tenant}';
				SELECT count(*) FROM webhook_deliveries
				WHERE state <> 'delivered'`, true).split('\n').at(-1);
			if (left === '0')
				break;
			await new Promise((r) => setTimeout(r, 50));
		}
		if (run >= 0) {
			results.push({ run: run + 1, deliveries: want,
				enqueue_ms: committed - t0, secs,
				rate: Math.round(want / secs), unique: ids.size,
				bad_signatures: bad, rows_not_delivered: Number(left) });
		}
		/* a server in service has statistics of these tables; a fresh
		 * one gets them from autovacuum only a minute later */
		if (run < 0)
			s.db.psql('ANALYZE webhook_deliveries, webhook_attempts', true);
		s.db.psql(`SET openseat.tenant_id = '${tenant}';
			DELETE FROM webhook_deliveries`, true);
	}
} finally {
	await rcv.close();
	await s.stop();
}

const rates = results.map((r) => r.rate).sort((a, b) => a - b);
console.log(`### Webhooks, run of ${new Date().toISOString().slice(0, 10)}
Machine: ${os.cpus().length} × ${os.cpus()[0].model}, ${
	Math.round(os.totalmem() / 2 ** 30)} GiB. ${EVENTS} events × ${
	ENDPOINTS} endpoints per run, webhook_endpoint_concurrency ${PER_EP},
webhook_concurrency ${INFLIGHT}, one node receiver on 127.0.0.2.

| run | deliveries | s | deliveries/s | unique | bad signatures | rows left |
|---|---|---|---|---|---|---|
${results.map((r) => `| ${r.run} | ${r.deliveries} | ${r.secs.toFixed(2)} | ${
	r.rate} | ${r.unique} | ${r.bad_signatures} | ${
	r.rows_not_delivered} |`).join('\n')}

Median: ${rates[rates.length >> 1]} deliveries/s.`);
