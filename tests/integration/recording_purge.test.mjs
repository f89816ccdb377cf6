// The retention purge on a fake clock (OPENSEAT_CLOCK_OFFSET on a
// restart): recordings older than the tenant's retention go, rows and
// files together, logged and audited per tenant; newer ones and those
// still recording stay; a recording being played is answered whole or
// 404; the daily run at recording_purge_hour; storage usage per tenant.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { request, startServer, DEMO } from '../lib/stack.mjs';
import { sipPortFree, until } from '../lib/acd_calls.mjs';
import { decodeMp3, recordedCall, recordingStack }
	from '../lib/recording.mjs';

let t;

before(async () => {
	t = await recordingStack();
});

after(async () => {
	await t?.stop();
});

const psql = (sql) => t.s.db.psql(sql, true);
const fileOf = (rel) => path.join(t.s.db.dir, 'recordings', rel);

async function login(who) {
	const body = { username: who.username, password: who.password };
	if (who.tenant)
		body.tenant = who.tenant;
	const r = await t.s.api('POST', '/api/v1/auth/login', body);
	assert.equal(r.status, 200, r.text);
	return r.json.access_token;
}

/** Restart on the same database with the server's clock at `clock`;
 * the tokens are issued again (the old ones expired on the new clock). */
async function restartAt(clock) {
	t.ews?.close();
	const old = t.s;
	old.proc.kill('SIGTERM');
	const { code } = await old.exited;
	assert.equal(code, 0, old.logs().slice(-3000));
	const sipPort = await sipPortFree();
	const srv = { ...await startServer(old.db, { env: {
		OPENSEAT_CLOCK_OFFSET: clock,
		OPENSEAT_SIP_PORT: String(sipPort) } }), sipPort };
	await until(() => /agent phones loaded/.test(srv.logs()),
		'agent phones loaded', 10000);
	t.s = { ...old, ...srv,
		api: (m, p, b, tok, h) => request(srv.baseUrl, m, p, b, tok, h),
		async stop() {
			const r = await srv.stop();
			old.db.destroy();
			assert.equal(r.code, 0, srv.logs().slice(-3000));
		} };
	t.d.op = await login(DEMO.operator);
	t.d.admin = await login(DEMO.admin);
	t.d.sup = await login(DEMO.supervisor);
	await t.listen();
}

function row(id) {
	const r = psql('SELECT status, path, size_bytes FROM recordings WHERE'
		+ ` recording_id = '${id}'`);
	if (!r)
		return null;
	const [status, rel, size] = r.split('|');
	return { status, rel, size: Number(size) };
}

async function retention(days) {
	const r = await t.s.api('PUT', '/api/v1/recording/settings',
		{ retention_days: days }, t.d.admin);
	assert.equal(r.status, 200, r.text);
}

async function purge() {
	const r = await t.s.api('POST', '/api/v1/ops/recordings/purge', null,
		t.d.op);
	assert.equal(r.status, 200, r.text);
	return r.json;
}

async function usage() {
	const r = await t.s.api('GET', '/api/v1/ops/recordings/usage', null,
		t.d.op);
	assert.equal(r.status, 200, r.text);
	return r.json.items.find((x) => x.tenant_id === t.d.tenantId);
}

let oldId;
let newId;

test('old recordings go with their files, newer ones stay; usage follows',
	async () => {
		/* recorded on 2026-11-23, then the clock is 2027-05-25 */
		const a = await recordedCall(t, { talkMs: 2500 });
		oldId = a.ready.data.recording_id;
		const oldRow = row(oldId);
		assert.equal(oldRow.status, 'ready');
		assert.ok(oldRow.rel.includes('/2026/11/23/'), oldRow.rel);

		await restartAt('@2027-05-25T02:00:00Z');
		const b = await recordedCall(t, { talkMs: 2500 });
		newId = b.ready.data.recording_id;
		assert.ok(row(newId).rel.includes('/2027/05/25/'));

		/* a row still recording is never purged, however old */
		const live = psql('INSERT INTO recordings (tenant_id, call_id,'
			+ ' path, key_no, channels, bitrate, started_at) VALUES'
			+ ` ('${t.d.tenantId}', gen_random_uuid(),`
			+ ` '${t.d.tenantId}/2026/01/01/x.osrec', 1, 2, 32,`
			+ " '2026-01-01') RETURNING recording_id").split('\n')[0];

		const u0 = await usage();
		assert.equal(u0.recordings, 3);
		assert.equal(u0.bytes, oldRow.size + row(newId).size);
		assert.equal(u0.code, 'demo');

		await retention(365);
		assert.deepEqual(await purge(), { tenants: 0, deleted: 0,
			bytes: 0 });
		assert.ok(row(oldId), 'within 365 days');

		await retention(180);
		const mark = t.s.logs().length;
		assert.deepEqual(await purge(), { tenants: 1, deleted: 1,
			bytes: oldRow.size });
		assert.equal(row(oldId), null);
		assert.equal(fs.existsSync(fileOf(oldRow.rel)), false);
		assert.equal(fs.existsSync(path.dirname(fileOf(oldRow.rel))),
			false, 'the empty day directory goes too');
		assert.ok(row(newId), 'the new one stays');
		assert.ok(fs.existsSync(fileOf(row(newId).rel)));
		assert.equal(row(live).status, 'recording');
		assert.match(t.s.logs().slice(mark), new RegExp('purge: tenant '
			+ `${t.d.tenantId}: 1 recording\\(s\\), ${oldRow.size} bytes `
			+ 'older than 180 days deleted'));
		const audit = JSON.parse(psql("SELECT detail FROM audit_log WHERE"
			+ " action = 'recording.purged' AND actor_kind = 'system'"
			+ ` AND tenant_id = '${t.d.tenantId}'`));
		assert.deepEqual(audit, { deleted: 1, bytes: oldRow.size,
			retention_days: 180 });

		const u1 = await usage();
		assert.equal(u1.recordings, 2);
		assert.equal(u1.bytes, row(newId).size);

		/* gone for everyone: 404 */
		const r = await t.s.api('GET', `/api/v1/recordings/${oldId}`, null,
			t.d.sup);
		assert.equal(r.status, 404, r.text);
		psql(`DELETE FROM recordings WHERE recording_id = '${live}'`);
	});

test('a purge while the recording plays: the answer is whole or 404',
	async () => {
		/* make the new recording old by the purge's clock: retention 1 */
		await retention(1);
		await restartAt('@2027-05-28T02:00:00Z');
		const size = row(newId).size;
		const res = await fetch(`${t.s.baseUrl}/api/v1/recordings/`
			+ `${newId}/audio`, { headers: {
			authorization: `Bearer ${t.d.sup}` } });
		/* the response started; now the rows and files go */
		const p = await purge();
		assert.equal(p.deleted, 1);
		assert.equal(p.bytes, size);
		if (res.status === 200) {
			const body = Buffer.from(await res.arrayBuffer());
			assert.equal(body.length,
				Number(res.headers.get('content-length')));
			const wav = decodeMp3(body);
			assert.ok(wav.ch[0].length / wav.rate > 2, 'whole');
		}
		else {
			assert.equal(res.status, 404);
			await res.arrayBuffer();
		}
		const again = await t.s.api('GET',
			`/api/v1/recordings/${newId}/audio`, null, t.d.sup);
		assert.equal(again.status, 404);
	});

test('the daily purge runs at recording_purge_hour, China time',
	async () => {
		await retention(180);
		const c = await recordedCall(t, { talkMs: 2000 });
		const id = c.ready.data.recording_id;
		/* 02:59:50 in Shanghai, 200 days on: the purge is aimed as the
		 * server starts, and a start slower than 3 s (02:59:57 once)
		 * would have aimed it at the next day */
		await restartAt('@2027-12-13T18:59:50Z');
		await until(() => /purge: daily retention purge/.test(t.s.logs()),
			'the daily purge', 20000);
		await until(() => row(id) === null, 'purged', 5000);
		/* the log line follows the commit the row's absence shows */
		await until(() => /purge: tenant .*: 1 recording\(s\)/.test(
			t.s.logs()), 'the purge logged', 5000);
	});

test('purge and usage are the operator\'s', async () => {
	for (const [m, p] of [['POST', '/api/v1/ops/recordings/purge'],
		['GET', '/api/v1/ops/recordings/usage']]) {
		assert.equal((await t.s.api(m, p, null, t.d.admin)).status, 403);
		assert.equal((await t.s.api(m, p, null, t.d.sup)).status, 403);
		assert.equal((await t.s.api(m, p)).status, 401);
	}
});

test('an export\'s zip goes a day after it was asked for', async () => {
	const c = await recordedCall(t, { talkMs: 2000 });
	let r = await t.s.api('POST', '/api/v1/recordings/exports',
		{ call_id: c.callId }, t.d.sup);
	assert.equal(r.status, 202, r.text);
	const id = r.json.export_id;
	await until(async () => (await t.s.api('GET',
		`/api/v1/recordings/exports/${id}`, null, t.d.sup)).json?.status ===
		'ready', 'the export ready', 15000);
	const zip = fileOf(`${t.d.tenantId}/exports/${id}.osrec`);
	assert.ok(fs.existsSync(zip), zip);

	await purge();
	assert.ok(fs.existsSync(zip), 'kept within its day');

	await restartAt('@2027-12-16T02:00:00Z');
	await purge();
	await until(() => !fs.existsSync(zip), 'the zip removed', 5000);
	r = await t.s.api('GET', `/api/v1/recordings/exports/${id}`, null,
		t.d.sup);
	assert.equal(r.json.status, 'expired');
	r = await t.s.api('GET', `/api/v1/recordings/exports/${id}/file`, null,
		t.d.sup);
	assert.equal(r.status, 409, r.text);
	assert.match(t.s.logs(), /purge: 1 export\(s\) older than a day/);
});
