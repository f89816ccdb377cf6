// Prompts API: upload in every format, list, rename, preview as WAV and
// MP3, delete (refused while a flow plays it); refused uploads (not
// audio, corrupt, empty, too long, too large) leave no row and no file;
// roles; tenant isolation; the built-in prompts in both languages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';

const MAX_BYTES = 2 * 1024 * 1024;
const MAX_SECONDS = 20;

let s;
let admin;
let sup;
let agent;
let tid;
let fx;          /* fixture directory */
let B;           /* tenant B's admin token */

before(async () => {
	s = await startStack({ env: {
		OPENSEAT_PROMPT_MAX_BYTES: String(MAX_BYTES),
		OPENSEAT_PROMPT_MAX_SECONDS: String(MAX_SECONDS),
	} });
	admin = await s.token(s.admin);
	sup = await s.token(s.supervisor);
	agent = await s.token(s.agent);
	tid = (await s.api('GET', '/api/v1/me', null, admin)).json.tenant_id;
	const op = await s.token(s.operator);
	const r = await s.api('POST', '/api/v1/tenants', { code: 'tenant-b',
		name: 'B 公司', seat_quota: 5, admin: { username: 'badmin',
			password: 'Bbbb@20261', display_name: 'B 管理员' } }, op);
	assert.equal(r.status, 201, r.text);
	B = await s.token({ tenant: 'tenant-b', username: 'badmin',
		password: 'Bbbb@20261' });
	fx = fs.mkdtempSync(path.join(os.tmpdir(), 'openseat-prompts-'));
});
after(async () => {
	if (fx)
		fs.rmSync(fx, { recursive: true, force: true });
	await s?.stop();
});

/* A 440 Hz tone made by sox, e.g. sox('a.wav', '-r 44100 -c 2 -b 16'). */
function sox(name, fmt, secs = 1.5, effect = ['vol', '0.5']) {
	const file = path.join(fx, name);
	execFileSync('sox', ['-D', '-n', ...fmt.split(' '), file, 'synth',
		String(secs), 'sine', '440', ...effect]);
	return fs.readFileSync(file);
}

async function upload(name, body, ctype = 'audio/wav', token = admin,
	extra = {}) {
	const headers = { authorization: `Bearer ${token}`, ...extra };
	if (ctype)
		headers['content-type'] = ctype;
	const q = name === null ? '' : `?name=${encodeURIComponent(name)}`;
	const res = await fetch(`${s.baseUrl}/api/v1/prompts${q}`, {
		method: 'POST', headers, body });
	const text = await res.text();
	let json = null;
	try { json = JSON.parse(text); } catch { /* not JSON */ }
	return { status: res.status, json, text, headers: res.headers };
}

async function fetchAudio(p, token = admin) {
	const res = await fetch(s.baseUrl + p,
		{ headers: { authorization: `Bearer ${token}` } });
	return { status: res.status, type: res.headers.get('content-type'),
		buf: Buffer.from(await res.arrayBuffer()) };
}

/* The engine format: RIFF/WAVE, PCM, mono, 8000 Hz, 16-bit. */
function assertEngineWav(buf, what) {
	assert.equal(buf.toString('latin1', 0, 4), 'RIFF', what);
	assert.equal(buf.toString('latin1', 8, 12), 'WAVE', what);
	assert.equal(buf.readUInt16LE(20), 1, `${what}: PCM`);
	assert.equal(buf.readUInt16LE(22), 1, `${what}: mono`);
	assert.equal(buf.readUInt32LE(24), 8000, `${what}: 8 kHz`);
	assert.equal(buf.readUInt16LE(34), 16, `${what}: 16-bit`);
	assert.ok(buf.length > 44 + 1600, `${what}: has audio`);
}

function tenantDir(t = tid) {
	return path.join(s.db.dir, 'prompts', t);
}

/* Every file under var/prompts, hidden ones too. */
function promptFiles() {
	const root = path.join(s.db.dir, 'prompts');
	if (!fs.existsSync(root))
		return [];
	return fs.readdirSync(root, { recursive: true }).map(String).sort();
}

async function list(token = admin) {
	const r = await s.api('GET', '/api/v1/prompts?limit=200', null, token);
	assert.equal(r.status, 200, r.text);
	return r.json.items;
}

const made = {};

test('uploads in every format become 8 kHz mono WAV prompts', async () => {
	const cases = [
		['问候语 44.1k 立体声', sox('a.wav', '-r 44100 -c 2 -b 16'),
			'audio/wav', 'wav', 44100, 2],
		['16k mono', sox('b.wav', '-r 16000 -c 1 -b 16'), 'audio/x-wav',
			'wav', 16000, 1],
		['8-bit', sox('c.wav', '-r 22050 -c 1 -b 8 -e unsigned'),
			'audio/wave', 'wav', 22050, 1],
		['float', sox('d.wav', '-r 48000 -c 2 -b 32 -e floating-point'),
			'application/octet-stream', 'wav', 48000, 2],
		['flac', sox('e.flac', '-r 32000 -c 1 -b 16'),
			'application/octet-stream', 'flac', 32000, 1],
	];
	for (const [name, buf, ctype, format, rate, ch] of cases) {
		const r = await upload(name, buf, ctype);
		assert.equal(r.status, 201, `${name}: ${r.text}`);
		const p = r.json;
		assert.equal(p.name, name);
		assert.equal(p.original_format, format, name);
		assert.equal(p.sample_rate_in, rate, name);
		assert.equal(p.channels_in, ch, name);
		assert.ok(Math.abs(p.duration_ms - 1500) <= 10,
			`${name}: ${p.duration_ms} ms`);
		assert.equal(p.size_bytes, 44 + 1500 * 16, name);
		const file = path.join(tenantDir(), `${p.prompt_id}.wav`);
		assertEngineWav(fs.readFileSync(file), name);
		made[name] = p;
	}
	/* only the finished files, nothing left over */
	assert.deepEqual(promptFiles(), [tid, ...Object.values(made).map((p) =>
		`${tid}/${p.prompt_id}.wav`)].sort());
	const audit = s.db.psql("SELECT count(*) FROM audit_log WHERE action =" +
		" 'prompt.create'", true);
	assert.equal(Number(audit), cases.length);
});

test('preview as WAV and MP3; an MP3 upload', async () => {
	const p = made['16k mono'];
	const wav = await fetchAudio(`/api/v1/prompts/${p.prompt_id}/audio`,
		sup);
	assert.equal(wav.status, 200);
	assert.equal(wav.type, 'audio/wav');
	assertEngineWav(wav.buf, 'preview');
	assert.equal(wav.buf.length, p.size_bytes);

	const mp3 = await fetchAudio(
		`/api/v1/prompts/${p.prompt_id}/audio?format=mp3`, sup);
	assert.equal(mp3.status, 200);
	assert.equal(mp3.type, 'audio/mpeg');
	assert.ok(mp3.buf[0] === 0xff && (mp3.buf[1] & 0xe0) === 0xe0,
		'an MPEG frame');
	assert.ok(mp3.buf.length < wav.buf.length);

	/* as the admin console sends it: with an Idempotency-Key */
	const key = { 'idempotency-key': 'prompt-upload-0001' };
	const r = await upload('from mp3', mp3.buf, 'audio/mpeg', admin, key);
	assert.equal(r.status, 201, r.text);
	const again = await upload('from mp3', mp3.buf, 'audio/mpeg', admin,
		key);
	assert.equal(again.status, 201, again.text);
	assert.equal(again.json.prompt_id, r.json.prompt_id);
	assert.equal(s.db.psql("SELECT count(*) FROM prompts WHERE name = " +
		"'from mp3'", true), '1');
	assert.equal(r.json.original_format, 'mp3');
	assert.equal(r.json.sample_rate_in, 8000);
	assert.ok(Math.abs(r.json.duration_ms - 1500) < 200);
	made.mp3 = r.json;

	const bad = await s.api('GET',
		`/api/v1/prompts/${p.prompt_id}/audio?format=ogg`, null, sup);
	assert.equal(bad.status, 400);
});

test('list, get and rename; names stay unique', async () => {
	const items = await list(sup);
	assert.equal(items.length, Object.keys(made).length);
	const p = made.flac;
	const one = await s.api('GET', `/api/v1/prompts/${p.prompt_id}`, null,
		sup);
	assert.equal(one.status, 200);
	assert.deepEqual(one.json, p);

	const r = await s.api('PATCH', `/api/v1/prompts/${p.prompt_id}`,
		{ name: '下班提示' }, admin);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.name, '下班提示');
	assert.equal(r.json.duration_ms, p.duration_ms);

	const dup = await s.api('PATCH', `/api/v1/prompts/${p.prompt_id}`,
		{ name: '8-bit' }, admin);
	assert.equal(dup.status, 409);
	assert.equal(dup.json.code, 'conflict');
	const blank = await s.api('PATCH', `/api/v1/prompts/${p.prompt_id}`,
		{ name: ' padded ' }, admin);
	assert.equal(blank.status, 400);
	const gone = await s.api('PATCH',
		'/api/v1/prompts/00000000-0000-4000-8000-000000000000',
		{ name: 'x' }, admin);
	assert.equal(gone.status, 404);
	made.flac = r.json;
});

test('refused uploads leave no row, no file and no audit entry',
	async () => {
		const before = await list();
		const files = promptFiles();
		const audits = () => s.db.psql('SELECT count(*) FROM audit_log ' +
			"WHERE action LIKE 'prompt.%'", true);
		const audit0 = audits();
		const good = sox('g.wav', '-r 16000 -c 1 -b 16');
		const silent = sox('h.wav', '-r 8000 -c 1 -b 16', 1, ['vol', '0']);
		const long = sox('i.wav', '-r 8000 -c 1 -b 16', MAX_SECONDS + 2);
		const huge = Buffer.alloc(MAX_BYTES + 1000, 1);
		good.copy(huge);
		const cases = [
			['text', Buffer.from('hello, this is not audio'),
				'application/octet-stream', 415, 'not_audio'],
			['png', Buffer.from('89504e470d0a1a0a0000000d49484452',
				'hex'), 'audio/wav', 415, 'not_audio'],
			['json type', Buffer.from('{"a":1}'), 'application/json',
				415, 'unsupported_media_type'],
			['truncated', good.subarray(0, good.length / 2), 'audio/wav',
				400, 'corrupt_audio'],
			['header only', good.subarray(0, 40), 'audio/wav', 400,
				'corrupt_audio'],
			['garbage mp3', Buffer.concat([Buffer.from('ID3\x03\0\0\0\0' +
				'\0\x10'), Buffer.alloc(4000)]), 'audio/mpeg', 400,
				'corrupt_audio'],
			['empty', Buffer.alloc(0), 'audio/wav', 400, 'empty_audio'],
			['silent', silent, 'audio/wav', 400, 'empty_audio'],
			['long', long, 'audio/wav', 400, 'too_long'],
			['huge', huge, 'audio/wav', 413, 'too_large'],
			['16k mono', good, 'audio/wav', 409, 'conflict'],
		];
		for (const [name, buf, ctype, status, code] of cases) {
			const r = await upload(name, buf, ctype);
			assert.equal(r.status, status, `${name}: ${r.text}`);
			assert.equal(r.json?.code, code, `${name}: ${r.text}`);
			assert.ok(r.json.detail.length > 10, name);
			assert.deepEqual(await list(), before, name);
			assert.deepEqual(promptFiles(), files, name);
		}
		const noname = await upload(null, good);
		assert.equal(noname.status, 400);
		assert.equal(noname.json.errors[0].field, 'name');
		const ctl = await upload('a\tb', good);
		assert.equal(ctl.status, 400);
		const longName = await upload('x'.repeat(65), good);
		assert.equal(longName.status, 400);
		assert.deepEqual(await list(), before);
		assert.deepEqual(promptFiles(), files);
		assert.equal(audits(), audit0);
	});

test('supervisors read, admins change, agents see nothing', async () => {
	const p = made['8-bit'];
	const wav = sox('j.wav', '-r 8000 -c 1 -b 16');
	assert.equal((await upload('by sup', wav, 'audio/wav', sup)).status,
		403);
	assert.equal((await s.api('DELETE', `/api/v1/prompts/${p.prompt_id}`,
		null, sup)).status, 403);
	assert.equal((await s.api('PATCH', `/api/v1/prompts/${p.prompt_id}`,
		{ name: 'x' }, sup)).status, 403);
	assert.equal((await s.api('GET', '/api/v1/prompts', null, agent))
		.status, 403);
	assert.equal((await fetchAudio(`/api/v1/prompts/${p.prompt_id}/audio`,
		agent)).status, 403);
	assert.equal((await s.api('GET', '/api/v1/prompts/builtin', null,
		agent)).status, 403);
	assert.equal((await s.api('GET', '/api/v1/prompts')).status, 401);
});

test("tenant B cannot list, fetch, rename or delete demo's prompts",
	async () => {
		assert.deepEqual(await list(B), []);
		for (const p of Object.values(made)) {
			const id = p.prompt_id;
			for (const [m, u, body] of [
				['GET', `/api/v1/prompts/${id}`],
				['GET', `/api/v1/prompts/${id}/audio`],
				['PATCH', `/api/v1/prompts/${id}`, { name: 'owned' }],
				['DELETE', `/api/v1/prompts/${id}`],
			]) {
				const r = await s.api(m, u, body, B);
				assert.equal(r.status, 404, `${m} ${u}: ${r.text}`);
				assert.ok(!r.text.includes(p.name));
			}
		}
		/* B's own upload lands in B's directory, under B's name space */
		const r = await upload('16k mono', sox('k.wav',
			'-r 16000 -c 1 -b 16'), 'audio/wav', B);
		assert.equal(r.status, 201, r.text);
		const btid = s.db.psql("SELECT tenant_id FROM tenants WHERE code =" +
			" 'tenant-b'", true);
		assert.ok(fs.existsSync(path.join(tenantDir(btid),
			`${r.json.prompt_id}.wav`)));
		assert.equal((await list(B)).length, 1);
		assert.equal((await list()).length, Object.keys(made).length);
		const cross = await fetchAudio(
			`/api/v1/prompts/${r.json.prompt_id}/audio`, admin);
		assert.equal(cross.status, 404);
	});

test('delete is refused while a flow plays the prompt, naming it',
	async () => {
		const p = made.float;
		const flows = s.db.psql('INSERT INTO flows (tenant_id, name) ' +
			`VALUES ('${tid}', '主菜单'), ('${tid}', 'After hours') ` +
			'RETURNING flow_id', true).split('\n').map((l) => l.trim())
			.filter((l) => /^[0-9a-f-]{36}$/.test(l));
		assert.equal(flows.length, 2);
		for (const f of flows)
			s.db.psql('INSERT INTO flow_prompts (tenant_id, flow_id, ' +
				`prompt_ref) VALUES ('${tid}', '${f}', '${p.prompt_id}')`,
			true);
		const r = await s.api('DELETE', `/api/v1/prompts/${p.prompt_id}`,
			null, admin);
		assert.equal(r.status, 409, r.text);
		assert.equal(r.json.code, 'prompt_in_use');
		assert.deepEqual(r.json.flows, ['After hours', '主菜单']);
		assert.match(r.json.detail, /主菜单/);
		assert.ok(fs.existsSync(path.join(tenantDir(),
			`${p.prompt_id}.wav`)));
		assert.equal((await s.api('GET', `/api/v1/prompts/${p.prompt_id}`,
			null, admin)).status, 200);

		s.db.psql('DELETE FROM flow_prompts WHERE prompt_ref = ' +
			`'${p.prompt_id}'`, true);
		const ok = await s.api('DELETE', `/api/v1/prompts/${p.prompt_id}`,
			null, admin);
		assert.equal(ok.status, 204, ok.text);
		assert.ok(!fs.existsSync(path.join(tenantDir(),
			`${p.prompt_id}.wav`)));
		assert.equal((await s.api('GET', `/api/v1/prompts/${p.prompt_id}`,
			null, admin)).status, 404);
		assert.equal((await fetchAudio(
			`/api/v1/prompts/${p.prompt_id}/audio`)).status, 404);
		assert.equal((await s.api('DELETE', `/api/v1/prompts/${p.prompt_id}`,
			null, admin)).status, 404);
		assert.ok(!(await list()).some((x) => x.prompt_id === p.prompt_id));
		assert.equal(s.db.psql("SELECT count(*) FROM audit_log WHERE " +
			`action = 'prompt.delete' AND target_id = '${p.prompt_id}'`,
		true), '1');
	});

const BUILTIN = ['welcome', 'demo_menu', 'hold', 'goodbye', 'invalid',
	'timeout', 'closed', 'voicemail_greeting', 'beep', 'transfer', 'error',
	'queue_unavailable', ...[...Array(10).keys()].map((d) => `digit_${d}`)];

test('built-in prompts exist in both languages as engine WAVs', () => {
	for (const lang of ['zh-CN', 'en']) {
		for (const name of BUILTIN) {
			const f = path.join(ROOT, 'build/prompts', lang, `${name}.wav`);
			assertEngineWav(fs.readFileSync(f), `${lang}/${name}`);
		}
	}
});

test('built-ins are listed and served in both languages', async () => {
	const r = await s.api('GET', '/api/v1/prompts/builtin', null, sup);
	assert.equal(r.status, 200, r.text);
	const names = r.json.items.map((i) => i.name);
	for (const n of BUILTIN)
		assert.ok(names.includes(n), n);
	for (const i of r.json.items)
		assert.deepEqual(i.languages, ['zh-CN', 'en'], i.name);

	for (const lang of ['zh-CN', 'en']) {
		const a = await fetchAudio(
			`/api/v1/prompts/builtin/${lang}/welcome/audio`, sup);
		assert.equal(a.status, 200);
		assert.equal(a.type, 'audio/wav');
		assertEngineWav(a.buf, lang);
		assert.deepEqual(a.buf, fs.readFileSync(path.join(ROOT,
			'build/prompts', lang, 'welcome.wav')));
	}
	const m = await fetchAudio(
		'/api/v1/prompts/builtin/en/goodbye/audio?format=mp3', sup);
	assert.equal(m.status, 200);
	assert.equal(m.type, 'audio/mpeg');
	for (const p of ['/api/v1/prompts/builtin/fr/welcome/audio',
		'/api/v1/prompts/builtin/en/nope/audio',
		'/api/v1/prompts/builtin/en/..%2f..%2fetc/audio'])
		assert.equal((await fetchAudio(p, sup)).status, 404, p);
});
