// Recordings over REST: search, the audio with Range, MP3 and WAV
// downloads, the audit of every play, the role rules, another tenant's
// ids, and the bulk export as an encrypted zip job. The recordings are
// real: sipp calls answered by an agent's sipp phone playing a tone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { decodeMp3, fetchBytes, readWavChannels, recordedCall,
	recordingStack, rmsAt } from '../lib/recording.mjs';
import { until } from '../lib/acd_calls.mjs';
import { ended, waitCall } from '../lib/sip.mjs';

let t;
let agentTok;      /* agent1's token */
let own;           /* agent1's work number */
let other;         /* another agent's work number */
let B;             /* tenant B's admin token */
const rec = {};    /* caller -> the recording's item */

const CALLER_1 = '13900001001';
const CALLER_2 = '13900001002';

const api = (m, p, body, tok = t.d.sup, h) => t.s.api(m, p, body, tok, h);

/* Raw bytes of a GET (fetch's text() would mangle the audio). */
const bytes = (p, tok = t.d.sup, headers = {}) =>
	fetchBytes(t, p, tok, headers);

/* A recorded call from caller answered by workNo; once its CDR is
 * written too (the search joins it), its recording's item. */
async function recorded(workNo, caller) {
	const { callId } = await recordedCall(t, { workNo, caller });
	await waitCall(t.s, t.d.sup, caller, (c) => ended(c) &&
		c.call_id === callId, 20000);
	const l = await api('GET', `/api/v1/recordings?call_id=${callId}`);
	assert.equal(l.status, 200, l.text);
	assert.equal(l.json.items.length, 1, l.text);
	return l.json.items[0];
}

/* The central directory of a zip: [{name, method, data}]. */
function unzip(buf) {
	let eocd = buf.length - 22;
	while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50)
		eocd--;
	assert.ok(eocd >= 0, 'no end of central directory');
	const n = buf.readUInt16LE(eocd + 10);
	let off = buf.readUInt32LE(eocd + 16);
	const out = [];
	for (let i = 0; i < n; i++) {
		assert.equal(buf.readUInt32LE(off), 0x02014b50);
		const method = buf.readUInt16LE(off + 10);
		const size = buf.readUInt32LE(off + 20);
		const nlen = buf.readUInt16LE(off + 28);
		const xlen = buf.readUInt16LE(off + 30);
		const clen = buf.readUInt16LE(off + 32);
		const loc = buf.readUInt32LE(off + 42);
		const name = buf.toString('utf8', off + 46, off + 46 + nlen);
		assert.equal(buf.readUInt32LE(loc), 0x04034b50);
		const data = loc + 30 + buf.readUInt16LE(loc + 26) +
			buf.readUInt16LE(loc + 28);
		out.push({ name, method, data: buf.subarray(data, data + size) });
		off += 46 + nlen + xlen + clen;
	}
	return out;
}

before(async () => {
	t = await recordingStack();
	agentTok = await t.s.token(t.s.agent);
	const me = (await api('GET', '/api/v1/me', null, agentTok)).json;
	own = Object.keys(t.agents).find((w) =>
		t.agents[w].agent_id === me.user_id);
	other = Object.keys(t.agents).find((w) => w !== own);
	assert.ok(own && other);

	const r = await t.s.api('POST', '/api/v1/tenants', { code: 'tenant-b',
		name: 'B 公司', seat_quota: 5, admin: { username: 'badmin',
			password: 'Bbbb@20261', display_name: 'B 管理员' } }, t.d.op);
	assert.equal(r.status, 201, r.text);
	B = await t.s.token({ tenant: 'tenant-b', username: 'badmin',
		password: 'Bbbb@20261' });

	for (const [workNo, caller] of [[own, CALLER_1], [other, CALLER_2]])
		rec[caller] = await recorded(workNo, caller);
});
after(async () => { await t?.stop(); });

test('search: by caller, agent, queue and duration, with the call joined',
	async () => {
		const r1 = rec[CALLER_1];
		assert.equal(r1.status, 'ready');
		assert.equal(r1.caller, CALLER_1);
		assert.equal(r1.agent_id, t.agents[own].agent_id);
		assert.ok(r1.agent_name);
		assert.equal(r1.queue_id, t.support.queue_id);
		assert.equal(r1.queue_name, 'support');
		assert.equal(r1.direction, 'inbound');
		assert.equal(r1.qa_total, null);
		assert.ok(r1.size_bytes > 1000 && r1.duration_ms > 1000, r1);

		const ids = async (q, tok) => {
			const r = await api('GET', `/api/v1/recordings?${q}`, null, tok);
			assert.equal(r.status, 200, `${q}: ${r.text}`);
			return r.json.items.map((i) => i.recording_id).sort();
		};
		const both = [r1.recording_id, rec[CALLER_2].recording_id].sort();
		assert.deepEqual(await ids(`caller=${CALLER_1}`),
			[r1.recording_id]);
		assert.deepEqual(await ids('caller=139-0000-1002'),
			[rec[CALLER_2].recording_id]);
		assert.deepEqual(await ids(`agent_id=${t.agents[own].agent_id}`),
			[r1.recording_id]);
		assert.deepEqual(await ids(`queue_id=${t.support.queue_id}`), both);
		assert.deepEqual(await ids('min_duration_s=1&max_duration_s=60'),
			both);
		assert.deepEqual(await ids('min_duration_s=3600'), []);
		assert.deepEqual(await ids('status=ready&disposition=completed'),
			both);
		assert.deepEqual(await ids('from=2000-01-01&to=2000-01-02'), []);

		/* a page of one, then the next by its cursor */
		const p1 = await api('GET', '/api/v1/recordings?limit=1');
		assert.equal(p1.json.items.length, 1);
		const p2 = await api('GET', '/api/v1/recordings?limit=1&cursor=' +
			p1.json.next_cursor);
		assert.equal(p2.json.items.length, 1);
		assert.notEqual(p2.json.items[0].recording_id,
			p1.json.items[0].recording_id);

		const one = await api('GET', `/api/v1/recordings/${r1.recording_id}`);
		assert.equal(one.status, 200, one.text);
		assert.deepEqual(one.json, r1);
	});

test('search: a bad filter is 400 naming it', async () => {
	const bad = {
		call_id: 'nope', from: 'yesterday', to: '2026-13', agent_id: '1',
		queue_id: "1' OR 1=1", number: 'abc', caller: 'a b;c',
		min_duration_s: '-1', max_duration_s: '1e3', disposition: 'won',
		survey_score: '9', status: 'done',
	};
	for (const [k, v] of Object.entries(bad)) {
		const r = await api('GET', `/api/v1/recordings?${k}=${
			encodeURIComponent(v)}`);
		assert.equal(r.status, 400, `${k}: ${r.text}`);
		assert.equal(r.json.errors[0].field, k, r.text);
	}
	for (const q of ['limit=0', 'limit=x', 'cursor=garbage']) {
		const r = await api('GET', `/api/v1/recordings?${q}`);
		assert.equal(r.status, 400, `${q}: ${r.text}`);
	}
});

test('audio: the whole MP3 decodes, and equals the range 0- byte for byte',
	async () => {
		const r1 = rec[CALLER_1];
		const p = `/api/v1/recordings/${r1.recording_id}/audio`;
		const a = await bytes(p);
		assert.equal(a.status, 200);
		assert.equal(a.headers.get('content-type'), 'audio/mpeg');
		assert.equal(a.headers.get('accept-ranges'), 'bytes');
		/* size_bytes is the file on disk: the MP3 plus the sealing */
		assert.ok(a.body.length > 1000 && a.body.length < r1.size_bytes,
			`${a.body.length} of ${r1.size_bytes}`);
		const pcm = decodeMp3(a.body);
		assert.equal(pcm.rate, 8000);
		assert.equal(pcm.channels, 2);
		const secs = pcm.ch[0].length / pcm.rate;
		assert.ok(Math.abs(secs * 1000 - r1.duration_ms) < 500,
			`${secs} s decoded, ${r1.duration_ms} ms recorded`);
		/* the agent's tone is on the right */
		assert.ok(rmsAt(pcm.ch[1], 8000, 0.5, secs - 0.5) > 300);

		const all = await bytes(p, t.d.sup, { range: 'bytes=0-' });
		assert.equal(all.status, 206);
		assert.equal(all.headers.get('content-range'),
			`bytes 0-${a.body.length - 1}/${a.body.length}`);
		assert.ok(all.body.equals(a.body));
	});

test('audio: Range 206, 416 past the end, malformed or several → 200',
	async () => {
		const r1 = rec[CALLER_1];
		const p = `/api/v1/recordings/${r1.recording_id}/audio`;
		const whole = (await bytes(p)).body;
		const size = whole.length;

		const mid = await bytes(p, t.d.sup, { range: 'bytes=100-199' });
		assert.equal(mid.status, 206);
		assert.equal(mid.headers.get('content-range'),
			`bytes 100-199/${size}`);
		assert.equal(mid.headers.get('content-length'), '100');
		assert.ok(mid.body.equals(whole.subarray(100, 200)));

		const tail = await bytes(p, t.d.sup, { range: 'bytes=-10' });
		assert.equal(tail.status, 206);
		assert.ok(tail.body.equals(whole.subarray(size - 10)));

		const clamp = await bytes(p, t.d.sup, { range:
			`bytes=${size - 5}-99999999999999999999999` });
		assert.equal(clamp.status, 206);
		assert.equal(clamp.body.length, 5);

		for (const range of [`bytes=${size}-`, 'bytes=99999999999-',
			'bytes=-0']) {
			const r = await bytes(p, t.d.sup, { range });
			assert.equal(r.status, 416, range);
			assert.equal(r.headers.get('content-range'), `bytes */${size}`);
		}
		for (const range of ['bytes=abc', 'bytes=5-1', 'bytes=--1',
			'items=0-1', 'bytes=', 'bytes=0-1,5-9']) {
			const r = await bytes(p, t.d.sup, { range });
			assert.equal(r.status, 200, range);
			assert.equal(r.body.length, size, range);
		}
	});

test('audio: download names the file; WAV is RIFF at 8 kHz', async () => {
	const r1 = rec[CALLER_1];
	const p = `/api/v1/recordings/${r1.recording_id}/audio`;
	const d = await bytes(`${p}?download=1`);
	assert.equal(d.status, 200);
	assert.match(d.headers.get('content-disposition'),
		new RegExp(`^attachment; filename="\\d{8}-\\d{6}_${CALLER_1}\\.mp3"$`));

	const w = await bytes(`${p}?format=wav&download=1`);
	assert.equal(w.status, 200);
	assert.equal(w.headers.get('content-type'), 'audio/wav');
	assert.match(w.headers.get('content-disposition'), /\.wav"$/);
	assert.equal(w.body.toString('ascii', 0, 4), 'RIFF');
	assert.equal(w.body.toString('ascii', 8, 12), 'WAVE');
	const pcm = readWavChannels(w.body);
	assert.equal(pcm.rate, 8000);
	assert.equal(pcm.channels, 2);
	assert.ok(Math.abs(pcm.ch[0].length / 8 - r1.duration_ms) < 500);

	for (const q of ['format=ogg', 'download=yes']) {
		const r = await api('GET', `${p}?${q}`);
		assert.equal(r.status, 400, `${q}: ${r.text}`);
	}
});

test('audit: every play and download is in the audit log', async () => {
	const id = rec[CALLER_2].recording_id;
	await bytes(`/api/v1/recordings/${id}/audio`, t.d.sup,
		{ range: 'bytes=0-9' });
	await bytes(`/api/v1/recordings/${id}/audio?download=1&format=wav`);
	const rows = JSON.parse(t.s.db.psql("SELECT coalesce(json_agg(json_" +
		"build_object('action', action, 'actor', actor_name, 'detail'," +
		` detail) ORDER BY audit_id), '[]') FROM audit_log WHERE target_id =` +
		` '${id}'`, true));
	assert.deepEqual(rows, [
		{ action: 'recording.play', actor: 'supervisor',
			detail: { format: 'mp3', range: '0-9' } },
		{ action: 'recording.download', actor: 'supervisor',
			detail: { format: 'wav', range: null } },
	]);
	/* the admin reads them through the API too */
	const r = await api('GET', '/api/v1/audit?action=recording.download',
		null, t.d.admin);
	assert.equal(r.status, 200, r.text);
	assert.ok(r.json.items.some((i) => i.target_id === id), r.text);
});

test("another tenant's ids are 404, and B's search is empty", async () => {
	for (const r of Object.values(rec)) {
		for (const p of [`/api/v1/recordings/${r.recording_id}`,
			`/api/v1/recordings/${r.recording_id}/audio`]) {
			const x = await api('GET', p, null, B);
			assert.equal(x.status, 404, `${p}: ${x.text}`);
		}
	}
	const l = await api('GET', '/api/v1/recordings', null, B);
	assert.equal(l.status, 200);
	assert.deepEqual(l.json.items, []);
	for (const p of ['/api/v1/recordings/not-a-uuid',
		'/api/v1/recordings/00000000-0000-4000-8000-000000000000/audio'])
		assert.equal((await api('GET', p)).status, 404, p);
});

test('agents: their own calls only, and only when the tenant allows',
	async () => {
		const mine = rec[CALLER_1].recording_id;
		const theirs = rec[CALLER_2].recording_id;
		const l = await api('GET', '/api/v1/recordings', null, agentTok);
		assert.equal(l.status, 200, l.text);
		assert.deepEqual(l.json.items.map((i) => i.recording_id), [mine]);
		assert.equal((await bytes(`/api/v1/recordings/${mine}/audio`,
			agentTok)).status, 200);
		for (const p of [`/api/v1/recordings/${theirs}`,
			`/api/v1/recordings/${theirs}/audio`])
			assert.equal((await api('GET', p, null, agentTok)).status, 404);
		const o = await api('GET', `/api/v1/recordings?agent_id=${
			t.agents[other].agent_id}`, null, agentTok);
		assert.equal(o.status, 403, o.text);
		const x = await api('POST', '/api/v1/recordings/exports', {},
			agentTok);
		assert.equal(x.status, 403, x.text);

		const off = await api('PUT', '/api/v1/recording/settings',
			{ agent_playback: false }, t.d.admin);
		assert.equal(off.status, 200, off.text);
		try {
			for (const p of ['/api/v1/recordings',
				`/api/v1/recordings/${mine}`,
				`/api/v1/recordings/${mine}/audio`]) {
				const r = await api('GET', p, null, agentTok);
				assert.equal(r.status, 403, `${p}: ${r.text}`);
				assert.equal(r.json.code, 'recording_playback_off');
			}
			/* supervisors are not agents */
			assert.equal((await api('GET', '/api/v1/recordings')).status,
				200);
		} finally {
			await api('PUT', '/api/v1/recording/settings',
				{ agent_playback: true }, t.d.admin);
		}
	});

test('export: a zip of both recordings, encrypted on disk, decoding',
	async () => {
		const r = await api('POST', '/api/v1/recordings/exports',
			{ queue_id: t.support.queue_id, min_duration_s: 1 });
		assert.equal(r.status, 202, r.text);
		const id = r.json.export_id;
		const p = `/api/v1/recordings/exports/${id}`;
		const st = await until(async () => {
			const x = await api('GET', p);
			assert.equal(x.status, 200, x.text);
			assert.notEqual(x.json.status, 'failed', x.text);
			return x.json.status === 'ready' && x.json;
		}, 'export ready', 20000);
		assert.equal(st.total, 2);
		assert.equal(st.done, 2);

		/* on disk: our encrypted format, never a zip */
		const file = path.join(t.s.db.dir, 'recordings',
			t.d.tenantId, 'exports', `${id}.osrec`);
		const disk = fs.readFileSync(file);
		assert.equal(disk.toString('latin1', 0, 6), 'OSREC1');
		assert.equal(disk.indexOf(Buffer.from('PK\x03\x04', 'latin1')), -1);

		const z = await bytes(`${p}/file`);
		assert.equal(z.status, 200);
		assert.equal(z.headers.get('content-type'), 'application/zip');
		assert.ok(z.body.length < st.size_bytes, 'sealed on disk');
		const entries = unzip(z.body);
		assert.equal(entries.length, 2);
		for (const [caller, item] of Object.entries(rec)) {
			const e = entries.find((x) => x.name.includes(item.recording_id));
			assert.ok(e, `${caller} in ${entries.map((x) => x.name)}`);
			assert.match(e.name, new RegExp(
				`^\\d{8}-\\d{6}_${caller}_${item.recording_id}\\.mp3$`));
			assert.equal(e.method, 0, 'stored');
			const mp3 = await bytes(`/api/v1/recordings/${
				item.recording_id}/audio`);
			assert.ok(e.data.equals(mp3.body), `${caller}'s MP3`);
			assert.equal(decodeMp3(e.data).rate, 8000);
		}

		const audit = t.s.db.psql('SELECT count(*) FROM audit_log WHERE' +
			` action = 'recording.export' AND target_id = '${id}'`, true);
		assert.equal(audit, '1');
		assert.equal((await api('GET', p, null, B)).status, 404);
		assert.equal((await api('GET', `${p}/file`, null, B)).status, 404);
	});

test('export: bad filters are 400, over 1000 matches 422', async () => {
	for (const [body, field] of [[{ caller: 5 }, 'caller'],
		[{ survey_score: 6 }, 'survey_score'], [{ path: '/etc' }, 'path'],
		[{ from: 'soon' }, 'from']]) {
		const r = await api('POST', '/api/v1/recordings/exports', body);
		assert.equal(r.status, 400, r.text);
		assert.equal(r.json.errors[0].field, field, r.text);
	}

	/* 1001 rows in a past month: more than a zip may hold (their files
	 * are never read: the count refuses first) */
	t.s.db.psql(`INSERT INTO recordings (tenant_id, call_id, status, path,
		key_no, channels, bitrate, started_at, duration_ms, size_bytes)
		SELECT '${t.d.tenantId}', gen_random_uuid(), 'ready',
		'${t.d.tenantId}/2001/01/01/x' || i || '.osrec', 1, 2, 32,
		'2001-01-01T00:00:00Z'::timestamptz + i * interval '1 s',
		1000, 100 FROM generate_series(1, 1001) i`, true);
	try {
		const r = await api('POST', '/api/v1/recordings/exports',
			{ from: '2001-01-01', to: '2001-01-02' });
		assert.equal(r.status, 422, r.text);
		assert.equal(r.json.code, 'export_too_large');
		const n = t.s.db.psql('SELECT count(*) FROM recording_exports' +
			" WHERE filters->>'from' = '2001-01-01'", true);
		assert.equal(n, '0');
	} finally {
		t.s.db.psql("DELETE FROM recordings WHERE started_at <" +
			" '2002-01-01'", true);
	}

	/* two of 300 MB: more than a zip served from memory may hold */
	t.s.db.psql(`INSERT INTO recordings (tenant_id, call_id, status, path,
		key_no, channels, bitrate, started_at, duration_ms, size_bytes)
		SELECT '${t.d.tenantId}', gen_random_uuid(), 'ready',
		'${t.d.tenantId}/2001/01/01/z' || i || '.osrec', 1, 2, 32,
		'2001-01-01T00:00:00Z'::timestamptz + i * interval '1 s',
		1000, 300 * 1024 * 1024 FROM generate_series(1, 2) i`, true);
	try {
		const r = await api('POST', '/api/v1/recordings/exports',
			{ from: '2001-01-01', to: '2001-01-02' });
		assert.equal(r.status, 422, r.text);
		assert.match(r.json.detail, /512 MB/);
	} finally {
		t.s.db.psql("DELETE FROM recordings WHERE started_at <" +
			" '2002-01-01'", true);
	}
});

test('audio: a recording still recording is 409; a file gone is 404',
	async () => {
		const [row] = t.s.db.psql(`INSERT INTO recordings (tenant_id,
			call_id, status, path, key_no, channels, bitrate) VALUES
			('${t.d.tenantId}', gen_random_uuid(), 'recording',
			'${t.d.tenantId}/2026/01/01/y.osrec', 1, 2, 32)
			RETURNING recording_id`, true).split('\n');
		try {
			const r = await api('GET', `/api/v1/recordings/${row}/audio`);
			assert.equal(r.status, 409, r.text);
			assert.equal(r.json.code, 'recording_not_ready');
		} finally {
			t.s.db.psql(`DELETE FROM recordings WHERE recording_id =
				'${row}'`, true);
		}
		/* deleted: as unknown as any other id */
		for (const p of [`/api/v1/recordings/${row}`,
			`/api/v1/recordings/${row}/audio`])
			assert.equal((await api('GET', p)).status, 404, p);

		/* purged meanwhile: the row is there, the file is not */
		const r2 = rec[CALLER_2];
		const rel = t.s.db.psql('SELECT path FROM recordings WHERE' +
			` recording_id = '${r2.recording_id}'`, true);
		fs.rmSync(path.join(t.s.db.dir, 'recordings', rel));
		const g = await api('GET',
			`/api/v1/recordings/${r2.recording_id}/audio`);
		assert.equal(g.status, 404, g.text);
		assert.equal(g.json.code, 'audio_missing');

		/* an export leaves it out, and says so */
		const x = await api('POST', '/api/v1/recordings/exports',
			{ queue_id: t.support.queue_id });
		assert.equal(x.status, 202, x.text);
		const p = `/api/v1/recordings/exports/${x.json.export_id}`;
		const st = await until(async () => {
			const r = (await api('GET', p)).json;
			return r.status !== 'running' && r;
		}, 'export finished', 20000);
		assert.equal(st.status, 'ready', JSON.stringify(st));
		assert.equal(st.total, 2);
		assert.equal(st.error, 'recordings left out (their files were ' +
			'purged meanwhile): 1');
		const names = unzip((await bytes(`${p}/file`)).body)
			.map((e) => e.name);
		assert.equal(names.length, 1);
		assert.ok(names[0].includes(rec[CALLER_1].recording_id), names);
	});

test('export: one cut short by a restart is failed, its file removed',
	async () => {
		/* what a job stopped midway leaves: its row running, part of
		 * its file written */
		const id = crypto.randomUUID();
		const rel = `${t.d.tenantId}/exports/${id}.osrec`;
		const file = path.join(t.s.db.dir, 'recordings', rel);
		fs.mkdirSync(path.dirname(file), { recursive: true });
		fs.writeFileSync(file, Buffer.from('OSREC1\0\0partial'));
		t.s.db.psql(`INSERT INTO recording_exports (export_id, tenant_id,
			status, total, done, path) VALUES ('${id}',
			'${t.d.tenantId}', 'running', 5, 2, '${rel}')`, true);

		await t.restart();
		const p = `/api/v1/recordings/exports/${id}`;
		const st = await until(async () => {
			const r = (await api('GET', p)).json;
			return r.status !== 'running' && r;
		}, 'the export settled', 10000);
		assert.equal(st.status, 'failed');
		assert.match(st.error, /interrupted by a restart/);
		await until(() => !fs.existsSync(file), 'partial file removed');
		assert.equal((await api('GET', `${p}/file`)).status, 409);

		/* and exports work again */
		const x = await api('POST', '/api/v1/recordings/exports',
			{ caller: CALLER_1 });
		assert.equal(x.status, 202, x.text);
		await until(async () => (await api('GET',
			`/api/v1/recordings/exports/${x.json.export_id}`)).json
			.status === 'ready', 'export after restart', 20000);
	});
