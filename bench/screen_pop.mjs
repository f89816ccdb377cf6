// The screen pop end to end: a carrier's INVITE into the support queue,
// the offer at the agent's console, and the customer data there — in the
// offer itself when the lookup was quicker than the ACD, else in the
// call.customer message after it. Two sources: OpenSeat's customers with
// a large table (BENCH_POP_CUSTOMERS rows, each with a number; every
// caller is one of them), and the tenant's CRM played by a local node
// HTTP server answering at once. Prints a Markdown section for
// docs/PERFORMANCE.md ("Screen pop").
//
// Environment: BENCH_POP_CALLS (default 100 per source),
// BENCH_POP_CUSTOMERS (1000000).
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const bin = path.resolve(process.argv[2] || 'build/release/openseat');
process.env.OPENSEAT_BIN = bin;
const { queueStack, QUEUE_NUMBER } = await import('../tests/lib/acd_calls.mjs');
const { wsAuthed } = await import('../tests/lib/stack.mjs');
const { SipUdp } = await import('../tests/lib/sip.mjs');

const CALLS = Number(process.env.BENCH_POP_CALLS || 100);
const CUSTOMERS = Number(process.env.BENCH_POP_CUSTOMERS || 1000000);
const WARMUP = 3;
const WAIT = 20000;
const LOOKUP_HIST = 'openseat_screenpop_lookup_seconds';

function pct(xs, p) {
	const s = [...xs].sort((a, b) => a - b);
	return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))];
}

/* The lookup histogram of one source: [[le s, cumulative count]...]. */
async function lookupHist(t, source) {
	const r = await t.s.api('GET', '/metrics');
	const re = new RegExp(`^${LOOKUP_HIST}_bucket\\{source="${source}",` +
		'le="([^"]+)"\\}\\s+(\\S+)');
	const b = [];
	for (const line of r.text.split('\n')) {
		const x = re.exec(line);
		if (x)
			b.push([x[1] === '+Inf' ? Infinity : Number(x[1]), Number(x[2])]);
	}
	return b;
}

function histPct(a, b, p) {
	const d = a.map(([le, n], i) => [le, n - (b[i] ? b[i][1] : 0)]);
	const total = d.length ? d[d.length - 1][1] : 0;
	for (const [le, n] of d) {
		if (total && n >= total * p / 100)
			return `≤ ${le * 1000} ms`;
	}
	return '—';
}

const t = await queueStack({ env: { OPENSEAT_ACD_CHECK: '0',
	OPENSEAT_EGRESS_ALLOW: '127.0.0.1/32' } });
await t.patchQueue(t.support.queue_id, { announce_work_no: false });

/* the large table: customer i has the number 13 + i (11 digits) */
const t0 = Date.now();
t.s.db.psql(`INSERT INTO customers (customer_id, tenant_id, name, company,
	tags) SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12,
	'0'))::uuid, tenant_id, '客户' || i, '公司' || (i % 1000), '{bench}'
	FROM tenants, generate_series(1, ${CUSTOMERS}) i WHERE code = 'demo';
	INSERT INTO customer_phones (tenant_id, phone, customer_id)
	SELECT tenant_id, (13000000000 + i)::text, ('00000000-0000-4000-8000-'
	|| lpad(to_hex(i), 12, '0'))::uuid FROM tenants,
	generate_series(1, ${CUSTOMERS}) i WHERE code = 'demo';
	ANALYZE customers; ANALYZE customer_phones;`, true);
const loadS = ((Date.now() - t0) / 1000).toFixed(0);
/* the HTTP client's kept-alive sockets were closed meanwhile: each
 * fails once */
for (let i = 0; i < 20; i++) {
	if (await t.s.api('GET', '/api/v1/me', null, t.d.admin)
		.then((r) => r.status === 200, () => false))
		break;
	if (t.s.proc.exitCode !== null)
		throw new Error(`openseat exited:\n${t.s.logs().slice(-3000)}`);
}

const crm = http.createServer((req, res) => {
	const phone = new URL(req.url, 'http://x').searchParams.get('phone');
	res.writeHead(200, { 'content-type': 'application/json' });
	res.end(JSON.stringify({ data: { name: `客户${phone}`, company: '星河科技',
		tags: ['VIP'] } }));
});
await new Promise((resolve) => crm.listen(0, '127.0.0.1', resolve));

const tok = await t.s.token({ tenant: 'demo', username: 'agent6',
	password: 'Agent@2026' });
const ws = await wsAuthed(t.s, tok);
ws.send({ type: 'softphone.register' });
await ws.next('softphone.ok', WAIT);
const sip = await SipUdp.open(t.s);

async function run(source) {
	const res = { invite: [], offer: [], inOffer: 0, found: 0 };
	let h0 = [];
	for (let i = 0; i < CALLS + WARMUP; i++) {
		if (i === WARMUP)
			h0 = await lookupHist(t, source);
		ws.send({ type: 'agent.state', state: 'ready' });
		await ws.next((m) => m.type === 'agent.ok' || m.type === 'error',
			WAIT);
		await t.waitAgent('1006', (x) => x.state === 'ready');
		const n = 1 + Math.floor(Math.random() * CUSTOMERS);
		const caller = String(13000000000 + n);
		const tInvite = Date.now();
		const dlg = sip.invite(QUEUE_NUMBER, { caller });
		const offer = await ws.next((m) => m.type === 'call.offer' &&
			m.caller === caller, WAIT);
		const tOffer = Date.now();
		const customer = offer.customer ?? (await ws.next((m) =>
			m.type === 'call.customer' && m.call_id === offer.call_id,
		WAIT)).customer;
		const tCustomer = Date.now();
		if (i >= WARMUP) {
			res.invite.push(tCustomer - tInvite);
			res.offer.push(tCustomer - tOffer);
			res.inOffer += offer.customer ? 1 : 0;
			res.found += customer?.found ? 1 : 0;
		}
		await sip.bye(await dlg);
		await ws.next((m) => m.type === 'call.cancel' &&
			m.call_id === offer.call_id, WAIT);
	}
	res.server = [histPct(await lookupHist(t, source), h0, 50),
		histPct(await lookupHist(t, source), h0, 99)];
	return res;
}

const builtin = await run('builtin');
const put = await t.s.api('PUT', '/api/v1/crm/settings', { mode: 'http',
	http_url: `http://127.0.0.1:${crm.address().port}/c?phone={caller}`,
	timeout_ms: 1000, mapping: { name: '/data/name',
		company: '/data/company', tags: '/data/tags' } }, t.d.admin);
if (put.status !== 200)
	throw new Error(`settings: ${put.status} ${put.text}`);
const viaHttp = await run('http');

const row = (name, r) => `| ${name} | ${pct(r.invite, 50)} ms | ` +
	`${pct(r.invite, 99)} ms | ${pct(r.offer, 50)} ms | ` +
	`${pct(r.offer, 99)} ms | ${r.inOffer}/${CALLS} | ${r.found}/${CALLS} | ` +
	`${r.server[0]} / ${r.server[1]} |`;
console.log(`### Screen pop (${CALLS} calls per source, ` +
	`${CUSTOMERS.toLocaleString('en')} customers)`);
console.log('');
console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0].model}; ` +
	`\`BENCH=screen-pop bench/run.sh ${path.relative(process.cwd(), bin)}\`` +
	` (the customer table loaded in ${loadS} s)`);
console.log('');
console.log('| source | INVITE → customer at the console p50 | p99 | ' +
	'offer → customer p50 | p99 | in the offer | found | lookup ' +
	'(server) p50 / p99 |');
console.log('|---|---|---|---|---|---|---|---|');
console.log(row('OpenSeat customers', builtin));
console.log(row('tenant CRM over HTTP (local)', viaHttp));

ws.ws.close();
sip.close();
crm.close();
await t.stop();
