// Two supervisors on one call (a QA lead and a team lead on the same
// escalation), each with their own SIP phone. Listening, both hear the
// caller and the agent, not each other, and nobody hears them. A
// whisper reaches the agent and the other supervisor (who hears the
// agent's side, coaching included), never the caller; a barge reaches
// the whole conversation, the other supervisor included. One stopping
// leaves the other as it was; the call ending stops each once
// (call_ended) and frees both phones for the next call. A supervisor
// monitors a call once: a second start is 409 already_monitoring, from
// REST or any console. A take-over stops the other monitors (they follow
// the agent). GET /live/monitors lists them all. Every party is a SIP
// phone in the test speaking its own tone, told apart by frequency.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { queueStack, until } from '../lib/acd_calls.mjs';
import { SECRET } from '../lib/acd.mjs';
import { AgentUa } from '../lib/agentua.mjs';
import { wsAuthed } from '../lib/stack.mjs';
import { hearing } from '../lib/tones.mjs';

let t;
let sws;
const ua = {};
const tok = {};
const uid = {};
const mon = [];
const HZ = { caller: 600, qa: 1400, sup: 1800, agent: 2200,
	colleague: 2600 };

before(async () => {
	t = await queueStack();
	await t.patchQueue(t.support.queue_id, { announce_work_no: false });
	const u = await t.adminApi('POST', '/api/v1/users', { username: 'qa',
		password: 'Quality@2026', role: 'supervisor',
		display_name: '质检' }, 201);
	tok.sup = t.d.sup;
	tok.qa = await t.s.token({ tenant: 'demo', username: 'qa',
		password: 'Quality@2026' });
	uid.sup = (await t.s.api('GET', '/api/v1/me', null, tok.sup)).json
		.user_id;
	uid.qa = u.user_id;
	/* each supervisor's own SIP phone, registered as an agent's is */
	const from = t.s.logs().length;
	for (const [who, no] of [['sup', '9001'], ['qa', '9002']]) {
		await t.reloaded(() => t.adminApi('POST', '/api/v1/agents', {
			user_id: uid[who], work_no: no, device: 'sip',
			sip_user: `sup${no}`, sip_secret: SECRET }, 201));
	}
	await until(() => /agent phones loaded/.test(t.s.logs().slice(from)),
		'the registrar reloaded', 10000);
	for (const [k, user] of [['1001', 'demo1001'], ['1002', 'demo1002'],
		['sup', 'sup9001'], ['qa', 'sup9002']]) {
		ua[k] = await AgentUa.open(t, { user, secret: SECRET, ringMs: 100 });
		await ua[k].registered();
	}
	for (const w of ['1001', '1002'])
		await t.waitAgent(w, (x) => x.device_reachable);
	sws = await wsAuthed(t.s, t.d.sup, ['monitor']);
	sws.ws.on('message', (data) => {
		try {
			mon.push(JSON.parse(data.toString()));
		} catch { /* not JSON */ }
	});
});

afterEach(async () => {
	await hangUp().catch(() => {});
});

after(async () => {
	sws?.ws.close();
	for (const x of Object.values(ua))
		await x.stop();
	await t?.stop();
});

/* Which tones each listener heard (tests/lib/tones.mjs). */
function round(speakers, listeners) {
	const peers = { caller: cur.c.rtp, sup: ua.sup.rtp, qa: ua.qa.rtp,
		agent: ua['1001'].rtp, colleague: ua['1002'].rtp };
	return hearing(peers, HZ, speakers, listeners);
}

const monitor = (who, body) => t.s.api('POST',
	`/api/v1/calls/${cur.id}/monitor`, body, tok[who]);

/* The monitoring events of the current call since from (of who). */
const monEvents = (type, from, who) => mon.slice(from).filter((m) =>
	m.type === type && m.data.call_id === cur.id &&
	(!who || m.data.supervisor_id === uid[who]));
const monEvent = (type, from, who) => until(() =>
	monEvents(type, from, who)[0], `${type} of ${who}`);

let cur;

/* who (a supervisor) starts monitoring the current call with its
 * phone; resolves once the phone carries the call's audio. */
async function join(who, mode) {
	const m = mon.length;
	const r = await monitor(who, { action: 'start', mode });
	assert.equal(r.status, 200, r.text);
	await ua[who].until(() => ua[who].dialog?.up);
	await ua[who].rtp.until(() => ua[who].rtp.remote);
	const ev = await monEvent('monitor.started', m, who);
	assert.equal(ev.data.agent_id, t.agents['1001'].agent_id);
	assert.equal(ev.data.mode, mode);
}

/* A caller answered by 1001 (the only one ready), 1002 ready, and each
 * supervisor of sups monitoring in mode. */
async function monitored(caller, sups, mode = 'listen') {
	for (const w of ['1002', '1003', '1004', '1005']) {
		const x = await t.waitAgent(w, (a) => !['wrap_up', 'ringing',
			'on_call'].includes(a.state));
		if (x.state === 'ready')
			assert.equal((await t.setState(w, 'not_ready', '')).status, 200);
	}
	const x = await t.waitAgent('1001', (a) => !['wrap_up', 'ringing',
		'on_call'].includes(a.state));
	if (x.state !== 'ready')
		await t.readyAll('1001');
	const from = t.mark();
	const c = await t.call(caller);
	const a = await t.waitEvent((m) => m.type === 'call.answered', from);
	assert.equal(a.data.work_no, '1001');
	cur = { c, id: a.data.call_id };
	await ua['1001'].until(() => ua['1001'].dialog?.up);
	await c.rtp.until(() => c.rtp.remote, 5000, 'media');
	await ua['1001'].rtp.until(() => ua['1001'].rtp.remote);
	await t.readyAll('1002');
	for (const who of sups)
		await join(who, mode);
	return cur;
}

async function mode(who, md) {
	const m = mon.length;
	const r = await monitor(who, { action: 'mode', mode: md });
	assert.equal(r.status, 200, r.text);
	const ev = await monEvent('monitor.changed', m, who);
	assert.equal(ev.data.mode, md);
}

async function hangUp() {
	const m = mon.length;
	if (!cur || cur.gone)
		return m;
	cur.gone = true;
	cur.c.hangup();
	await cur.c.done;
	cur.c.close();
	for (const k of ['1001', '1002', 'sup', 'qa'])
		await ua[k].until(() => !ua[k].dialog);
	return m;
}

/* GET /live/monitors as who: {supervisor name: mode} of the call. */
async function liveMonitors(token = tok.sup) {
	const r = await t.s.api('GET', '/api/v1/live/monitors', null, token);
	assert.equal(r.status, 200, r.text);
	return r.json.items.filter((m) => m.call_id === cur.id);
}

test('two listen: both hear the caller and the agent, not each other; ' +
	'nobody hears them; the live view lists both', async () => {
	await monitored('13900009001', ['sup', 'qa']);
	const live = await liveMonitors(tok.qa);
	assert.deepEqual(live.map((m) => [m.supervisor_id, m.supervisor,
		m.mode, m.device, m.connected, m.agent_id]), [
		[uid.sup, live[0].supervisor, 'listen', 'sip', true,
			t.agents['1001'].agent_id],
		[uid.qa, 'qa', 'listen', 'sip', true,
			t.agents['1001'].agent_id]]);
	/* only supervisors, only the tenant's */
	const agentTok = await t.s.token(t.s.agent);
	assert.equal((await t.s.api('GET', '/api/v1/live/monitors', null,
		agentTok)).status, 403);
	const other = await t.s.api('POST', '/api/v1/tenants', { code:
		'other', name: 'Other', admin: { username: 'root',
		password: 'Other@20261' } }, t.d.op);
	assert.equal(other.status, 201, other.text);
	const root = (await t.s.login('other', 'root', 'Other@20261'))
		.access_token;
	const r = await t.s.api('GET', '/api/v1/live/monitors', null, root);
	assert.equal(r.status, 200, r.text);
	assert.deepEqual(r.json.items, []);
	const h = await round(['caller', 'agent', 'sup', 'qa'],
		['sup', 'qa', 'caller', 'agent']);
	assert.deepEqual(h, {
		sup: { caller: true, agent: true, qa: false },
		qa: { caller: true, agent: true, sup: false },
		caller: { agent: true, sup: false, qa: false },
		agent: { caller: true, sup: false, qa: false } });
});

test('one whispers: the agent and the listening supervisor hear it, ' +
	'the caller not; the other barges: everybody hears that; one ' +
	'stops, the other goes on as it was', async () => {
	await monitored('13900009002', ['sup', 'qa']);
	await mode('sup', 'whisper');
	assert.deepEqual((await liveMonitors()).map((m) => m.mode),
		['whisper', 'listen']);
	let h = await round(['sup'], ['agent', 'caller', 'qa']);
	assert.deepEqual(h, { agent: { sup: true }, caller: { sup: false },
		qa: { sup: true } });
	/* the whisperer still hears the call, not the silent colleague */
	h = await round(['caller', 'agent', 'qa'], ['sup']);
	assert.deepEqual(h.sup, { caller: true, agent: true, qa: false });

	await mode('qa', 'barge');
	h = await round(['qa', 'sup'], ['caller', 'agent', 'sup', 'qa']);
	assert.deepEqual(h, {
		caller: { qa: true, sup: false },
		agent: { qa: true, sup: true },
		sup: { qa: true },
		qa: { sup: true } });

	const m = mon.length;
	let r = await monitor('sup', { action: 'stop' });
	assert.equal(r.status, 200, r.text);
	const stopped = await monEvent('monitor.stopped', m, 'sup');
	assert.equal(stopped.data.reason, 'stopped');
	assert.equal(stopped.data.mode, 'whisper');
	await ua.sup.until(() => !ua.sup.dialog);
	h = await round(['caller', 'agent', 'qa'], ['caller', 'agent', 'qa']);
	assert.deepEqual(h, {
		caller: { agent: true, qa: true },
		agent: { caller: true, qa: true },
		qa: { caller: true, agent: true } });
	assert.ok(ua.qa.dialog?.up, 'the barging supervisor is still on');
	assert.deepEqual(monEvents('monitor.stopped', m, 'qa'), []);
	assert.deepEqual((await liveMonitors()).map((x) => [x.supervisor_id,
		x.mode]), [[uid.qa, 'barge']]);
	/* stopped is stopped: a second stop finds nothing */
	r = await monitor('sup', { action: 'stop' });
	assert.equal(r.status, 404, r.text);
});

test('the agent hangs up: each monitor stops once (call_ended), both ' +
	'phones are free and monitor the next call', async () => {
	await monitored('13900009003', ['sup', 'qa']);
	await mode('qa', 'whisper');
	const m = mon.length;
	const from = t.mark();
	ua['1001'].hangup();
	await t.waitEvent((e) => e.type === 'call.ended' &&
		e.data.call_id === cur.id, from);
	for (const who of ['sup', 'qa']) {
		const s = await monEvent('monitor.stopped', m, who);
		assert.equal(s.data.reason, 'call_ended');
		await ua[who].until(() => !ua[who].dialog);
	}
	assert.deepEqual(await liveMonitors(), []);
	await cur.c.done;
	cur.c.close();
	cur.gone = true;
	const ended = cur;

	await monitored('13900009004', ['sup', 'qa']);
	const h = await round(['caller', 'agent'], ['sup', 'qa']);
	assert.deepEqual(h, { sup: { caller: true, agent: true },
		qa: { caller: true, agent: true } });
	/* by now any late or doubled stop of the first call has arrived */
	for (const who of ['sup', 'qa']) {
		assert.equal(mon.slice(m).filter((e) => e.type ===
			'monitor.stopped' && e.data.call_id === ended.id &&
			e.data.supervisor_id === uid[who]).length, 1, who);
	}
	const m2 = await hangUp();
	for (const who of ['sup', 'qa']) {
		const s = await monEvent('monitor.stopped', m2, who);
		assert.equal(s.data.reason, 'call_ended');
	}
});

test('monitoring a call twice is 409 already_monitoring (REST, and ' +
	'the console), the phone is not rung again; a second supervisor ' +
	'joins during a consultation', async () => {
	await monitored('13900009005', ['sup']);
	const calls = ua.sup.calls;
	const r = await monitor('sup', { action: 'start', mode: 'barge' });
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.code, 'already_monitoring');
	const ws = await wsAuthed(t.s, tok.sup);
	try {
		ws.send({ type: 'monitor.start', id: 'again', call_id: cur.id,
			mode: 'listen', device: 'sip' });
		const e = await ws.next((x) => x.id === 'again');
		assert.equal(e.type, 'error');
		assert.equal(e.code, 'already_monitoring');
		/* the console steers the monitor started by REST */
		ws.send({ type: 'monitor.mode', id: 'mode', call_id: cur.id,
			mode: 'listen' });
		assert.equal((await ws.next((x) => x.id === 'mode')).type,
			'monitor.ok');
	} finally {
		ws.close();
	}
	assert.equal(ua.sup.calls, calls);
	assert.ok(ua.sup.dialog?.up, 'the first monitor is still on');

	const from = t.mark();
	const c = await t.s.api('POST', `/api/v1/calls/${cur.id}/consult`,
		{ action: 'start', agent: '1002' }, t.d.sup);
	assert.equal(c.status, 200, c.text);
	await t.waitEvent((e) => e.type === 'call.consult' &&
		e.data.call_id === cur.id && e.data.state === 'answered', from);
	await ua['1002'].until(() => ua['1002'].dialog?.up);
	await ua['1002'].rtp.until(() => ua['1002'].rtp.remote);
	await join('qa', 'listen');
	let h = await round(['caller', 'agent', 'colleague'], ['sup', 'qa']);
	const held = { caller: false, agent: true, colleague: true };
	assert.deepEqual(h, { sup: held, qa: held });
	await mode('qa', 'whisper');
	h = await round(['qa'], ['agent', 'colleague', 'caller', 'sup']);
	assert.deepEqual(h, { agent: { qa: true }, colleague: { qa: false },
		caller: { qa: false }, sup: { qa: true } });
});

test('a console closing stops only its own monitor (console_closed)',
	async () => {
		await monitored('13900009006', ['sup']);
		const ws = await wsAuthed(t.s, tok.qa);
		const m = mon.length;
		ws.send({ type: 'monitor.start', id: 'qa', call_id: cur.id,
			mode: 'barge', device: 'sip' });
		assert.equal((await ws.next((x) => x.id === 'qa')).type,
			'monitor.ok');
		await ua.qa.until(() => ua.qa.dialog?.up);
		await ua.qa.rtp.until(() => ua.qa.rtp.remote);
		await monEvent('monitor.started', m, 'qa');
		let h = await round(['qa'], ['caller', 'agent', 'sup']);
		assert.deepEqual(h, { caller: { qa: true }, agent: { qa: true },
			sup: { qa: true } });
		ws.close();
		const s = await monEvent('monitor.stopped', m, 'qa');
		assert.equal(s.data.reason, 'console_closed');
		await ua.qa.until(() => !ua.qa.dialog);
		h = await round(['caller', 'agent'], ['sup']);
		assert.deepEqual(h.sup, { caller: true, agent: true });
		assert.deepEqual(monEvents('monitor.stopped', m, 'sup'), []);
	});

test('one takes over: the agent goes, the other monitor follows the ' +
	'agent and stops (agent_left); the other may listen again, to the ' +
	'caller and the supervisor who took over', async () => {
	await monitored('13900009007', ['sup', 'qa']);
	const m = mon.length;
	const from = t.mark();
	await mode('sup', 'takeover');
	const s = await monEvent('monitor.stopped', m, 'qa');
	assert.equal(s.data.reason, 'agent_left');
	await ua.qa.until(() => !ua.qa.dialog);
	await ua['1001'].until(() => !ua['1001'].dialog);
	await t.waitState('1001', 'wrap_up', from);
	let h = await round(['caller', 'sup'], ['caller', 'sup']);
	assert.deepEqual(h, { caller: { sup: true }, sup: { caller: true } });

	const m2 = mon.length;
	const r = await monitor('qa', { action: 'start', mode: 'listen' });
	assert.equal(r.status, 200, r.text);
	await ua.qa.until(() => ua.qa.dialog?.up);
	await ua.qa.rtp.until(() => ua.qa.rtp.remote);
	await monEvent('monitor.started', m2, 'qa');
	h = await round(['caller', 'sup', 'qa'], ['qa', 'caller', 'sup']);
	assert.deepEqual(h, {
		qa: { caller: true, sup: true },
		caller: { sup: true, qa: false },
		sup: { caller: true, qa: false } });
	/* the supervisor who took over hangs up: the call ends for all */
	const m3 = mon.length;
	assert.equal((await monitor('sup', { action: 'stop' })).status, 200);
	for (const who of ['sup', 'qa']) {
		const x = await monEvent('monitor.stopped', m3, who);
		assert.equal(x.data.reason, who === 'sup' ? 'stopped' :
			'call_ended');
		await ua[who].until(() => !ua[who].dialog);
	}
	await cur.c.done;
	cur.c.close();
	cur.gone = true;
});
