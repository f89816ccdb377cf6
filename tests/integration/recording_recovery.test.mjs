// Crash safety: openseat killed (-9) during recorded calls; the next
// start finds the recordings left unfinished and either makes them
// playable (status partial) or removes them with an audit entry — never
// a row pointing at a file that cannot be read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { until } from '../lib/acd_calls.mjs';
import { CALLER_HZ, decodeMp3, fetchBytes, recordingStack, rmsAt }
	from '../lib/recording.mjs';
import { SECRET } from '../lib/acd.mjs';
import { AgentUa } from '../lib/agentua.mjs';

let t;

before(async () => {
	t = await recordingStack();
});

after(async () => {
	await t?.stop();
});

const psql = (sql) => t.s.db.psql(sql, true);
const recDir = () => path.join(t.s.db.dir, 'recordings');

/** A call answered by 1001 that goes on for talkMs; its call id. */
async function callUp(talkMs) {
	const phone = await AgentUa.open(t, { user: 'demo1001', secret: SECRET,
		ringMs: 100, talkMs });
	await phone.registered();
	await t.waitAgent('1001', (x) => x.device_reachable);
	await t.readyAll('1001');
	const from = t.mark();
	const c = await t.call(`1390000${String(Date.now()).slice(-4)}`);
	const answered = await t.waitEvent((m) => m.type === 'call.answered',
		from, 15000);
	await c.rtp.until(() => c.rtp.remote, 5000, 'media from OpenSeat');
	void c.rtp.speak(CALLER_HZ, talkMs).catch(() => {});
	return { c, phone, callId: answered.data.call_id };
}

function rowOf(callId) {
	const r = psql('SELECT recording_id, status, path, coalesce(size_bytes,'
		+ ` -1), coalesce(duration_ms, -1), flags FROM recordings WHERE call_id = '${callId}'`);
	if (!r)
		return null;
	const [id, status, rel, size, dur, flags] = r.split('|');
	return { id, status, rel, size: Number(size), dur: Number(dur),
		flags: JSON.parse(flags) };
}

test('killed during a recorded call: the recording is kept as partial ' +
	'and plays', async () => {
	const { c, phone, callId } = await callUp(20000);
	/* the encoder seals a chunk a second: wait for a few on disk */
	let row;
	await until(() => {
		row = rowOf(callId);
		if (!row)
			return false;
		const f = path.join(recDir(), row.rel);
		return fs.existsSync(f) && fs.statSync(f).size > 8000;
	}, 'audio on disk', 15000);
	assert.equal(row.status, 'recording');

	await t.restart({ kill: true });
	c.close();
	await phone.stop();

	await until(() => rowOf(callId).status !== 'recording',
		'recovery', 15000);
	row = rowOf(callId);
	assert.equal(row.status, 'partial');
	assert.equal(row.flags.partial, true);
	const file = path.join(recDir(), row.rel);
	assert.equal(row.size, fs.statSync(file).size);
	assert.ok(row.dur > 1000, `duration ${row.dur} ms`);
	assert.match(t.s.logs(), new RegExp(`recording ${row.id} of call `
		+ `${callId} kept as partial`));
	assert.equal(fs.existsSync(file + '.salvage'), false);

	/* complete again: it decrypts whole and decodes; the caller spoke */
	const a = await fetchBytes(t, `/api/v1/recordings/${row.id}/audio`,
		t.d.sup);
	assert.equal(a.status, 200, a.body.toString().slice(0, 300));
	const wav = decodeMp3(a.body);
	const secs = wav.ch[0].length / wav.rate;
	assert.ok(Math.abs(secs * 1000 - row.dur) < 1000,
		`decoded ${secs} s, row ${row.dur} ms`);
	assert.ok(rmsAt(wav.ch[0], wav.rate, 0.5, Math.min(secs, 1.5)) > 1000,
		'the caller on the left');
});

test('unreadable, empty, missing or foreign-path recordings are removed ' +
	'with an audit entry', async () => {
	const tenant = t.d.tenantId;
	const dir = path.join(recDir(), tenant, '2026', '11', '23');
	fs.mkdirSync(dir, { recursive: true });
	const outside = path.join(t.s.db.dir, 'outside.osrec');
	fs.writeFileSync(outside, 'not to be touched');
	const cases = {
		garbage: (id) => fs.writeFileSync(path.join(dir, `${id}.osrec`),
			Buffer.alloc(5000, 7)),
		/* the header and nothing else: killed before the first second */
		empty: (id) => fs.writeFileSync(path.join(dir, `${id}.osrec`),
			Buffer.concat([Buffer.from('OSREC1\0\0'),
				Buffer.from([1, 0, 0, 0]), Buffer.alloc(24, 1)])),
		missing: () => {},
		foreign: () => {},
	};
	const ids = {};
	for (const [name, make] of Object.entries(cases)) {
		const id = psql('SELECT gen_random_uuid()');
		const rel = name === 'foreign' ? '../outside.osrec'
			: `${tenant}/2026/11/23/${id}.osrec`;
		make(id);
		psql('INSERT INTO recordings (recording_id, tenant_id, call_id,'
			+ ' path, key_no, channels, bitrate, created_at) VALUES'
			+ ` ('${id}', '${tenant}', gen_random_uuid(), '${rel}', 1, 2,`
			+ " 32, now() - interval '1 minute')");
		ids[name] = id;
	}

	await t.restart({ kill: true });
	const all = Object.values(ids).map((id) => `'${id}'`).join(',');
	await until(() => psql('SELECT count(*) FROM recordings WHERE'
		+ ` recording_id IN (${all})`) === '0', 'removed', 15000);

	const reasons = Object.fromEntries(Object.entries(ids).map(
		([name, id]) => [name, psql('SELECT actor_kind || \'|\' ||'
			+ " (detail->>'reason') FROM audit_log WHERE action ="
			+ ` 'recording.removed' AND target_id = '${id}'`)]));
	assert.deepEqual(reasons, {
		garbage: 'system|file unreadable',
		empty: 'system|nothing was written before the crash',
		missing: 'system|file missing',
		foreign: 'system|its path is not one the server makes',
	});
	for (const name of ['garbage', 'empty'])
		assert.equal(fs.existsSync(path.join(dir, `${ids[name]}.osrec`)),
			false, name);
	assert.equal(fs.readFileSync(outside, 'utf8'), 'not to be touched');

	/* the audit is the tenant's to read */
	const r = await t.s.api('GET', '/api/v1/audit?action=recording.removed',
		null, t.d.admin);
	assert.equal(r.status, 200, r.text);
});
