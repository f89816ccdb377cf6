// 500 calls arriving at once at a queue served by three agents (sipp as
// the carrier placing them all within a second, retransmitting; three
// sipp phones that answer and hang up after 300 ms). Calls not answered
// within max_wait overflow and are hung up. Afterwards every call has
// exactly one end in the CDR and a queue result, none is lost, and no
// agent was ever offered a call unless it was ready (never two at
// once). No per-call media checks: this is about the queue's
// accounting under load.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../lib/stack.mjs';
import { mediaPortsFree, queueStack, sipPortFree, until } from
	'../lib/acd_calls.mjs';

const CALLS = 500;
const NUMBER = '4001000530';
const AGENTS = ['1001', '1002', '1003'];
let t;

before(async () => {
	t = await queueStack();
	await t.newQueue({ name: 'flood', join_empty: 'always', wrapup_s: 0,
		ring_timeout_s: 5, max_wait_s: 15, overflow_action: 'hangup',
		overflow_target: '', announce_every_s: 0,
		announce_work_no: false });
	await t.queueNumber(NUMBER, { q: { kind: 'queue', queue: 'flood',
		fail: 'h' }, h: { kind: 'hangup' } });
});

after(async () => {
	await t?.stop();
});

/*
 * sipp as the carrier placing CALLS calls within a second. Unlike
 * sipCall it retransmits (no -nr), as carriers do: a burst may overflow
 * the server's socket buffer, and a lost INVITE is sent again.
 */
async function flood() {
	const args = [`127.0.0.1:${t.s.sipPort}`, '-sf',
		path.join(ROOT, 'tests/sipp/uac.xml'), '-s', NUMBER,
		'-m', String(CALLS), '-r', String(CALLS), '-rp', '1000',
		'-l', String(CALLS), '-i', '127.0.0.1',
		'-p', String(await sipPortFree()),
		'-mp', String(await mediaPortsFree()), '-t', 'u1',
		'-set', 'caller', '13900009999', '-set', 'rtpip', '127.0.0.1',
		'-set', 'rtpport', '9', '-cid_str', '%u-%p@openseat-test',
		'-timeout', '100s', '-timeout_error', '-nostdin'];
	const p = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let stdout = '';
	let stderr = '';
	p.stdout.on('data', (d) => { stdout += d; });
	p.stderr.on('data', (d) => { stderr += d; });
	return new Promise((res) => p.on('close', (code) =>
		res({ code, stdout, stderr })));
}

test(`${CALLS} calls at once on 3 agents: each ends once with a queue ` +
	'result, none lost, no agent offered two', { timeout: 120000 },
async () => {
	for (const w of AGENTS)
		await t.phone(w, { talkMs: 300, ringMs: 50 });
	await t.readyAll(...AGENTS);
	const from = t.mark();
	const r = await flood();
	const sql = (q) => t.s.db.psql(q, true);
	const ofNumber = `FROM calls WHERE number = '${NUMBER}'`;
	const why = () => `sipp ${r.code}: ${r.stderr.slice(-1000)}` +
		`${r.stdout.slice(-2500)}\nCDR: ` + sql('SELECT queue_result,' +
		` ended_at IS NULL, count(*) ${ofNumber} GROUP BY 1, 2`) +
		`\n${t.s.logs().split('\n').filter((l) =>
			/"(warn|error)"/.test(l)).slice(0, 20).join('\n')}`;
	const stats = r.stdout.match(/Successful call\s*\|\s*\d+\s*\|\s*(\d+)/);
	assert.equal(r.code, 0, why());
	assert.equal(Number(stats?.[1]), CALLS, why());

	await until(() => Number(sql(`SELECT count(*) ${ofNumber}` +
		' AND ended_at IS NOT NULL')) === CALLS, 'every call ended', 20000);
	assert.equal(Number(sql(`SELECT count(*) ${ofNumber}`)), CALLS);
	assert.equal(Number(sql(`SELECT count(*) ${ofNumber} AND` +
		' (queue_result IS NULL OR disposition IS NULL)')), 0);
	const results = Object.fromEntries(sql(`SELECT queue_result,` +
		` count(*) ${ofNumber} GROUP BY 1`).split('\n')
		.map((l) => l.split('|')).map(([k, v]) => [k, Number(v)]));
	assert.ok(results.answered > 0, JSON.stringify(results));
	assert.equal((results.answered || 0) + (results.timeout || 0), CALLS,
		JSON.stringify(results));
	/* an answered call has its agent; the others none */
	assert.equal(Number(sql(`SELECT count(*) ${ofNumber} AND` +
		` (queue_result = 'answered') <> (agent_id IS NOT NULL)`)), 0);
	/* exactly one call.ended per call in the timeline */
	assert.equal(Number(sql('SELECT count(*) FROM call_events e JOIN' +
		` calls c USING (call_id) WHERE c.number = '${NUMBER}'` +
		" AND e.type = 'call.ended'")), CALLS);

	/* every offer went to a ready agent, and each ended before the
	 * agent's next one */
	await until(async () => {
		for (const w of AGENTS) {
			if ((await t.live(w)).state !== 'ready')
				return false;
		}
		return true;
	}, 'agents ready', 10000);
	let answered = 0;
	for (const w of AGENTS) {
		const ev = t.since(from, t.stateEvent(w)).map((m) => m.data);
		for (const e of ev.filter((x) => x.state === 'ringing'))
			assert.equal(e.from, 'ready', `${w}: ${JSON.stringify(e)}`);
		answered += ev.filter((x) => x.state === 'on_call').length;
	}
	assert.equal(answered, results.answered);
	const offers = Number(sql(`SELECT sum(offers) ${ofNumber}`));
	assert.equal(t.offered(from).length, offers);
});
