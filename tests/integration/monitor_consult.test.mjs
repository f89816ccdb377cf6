// A supervisor monitoring an agent who consults a colleague hears what
// the agent hears and says in every phase: the caller before; the
// colleague and the agent (not the held caller) during the
// consultation; all three in a conference; the caller again once the
// agent cancels and resumes. Whisper reaches only the agent, barge the
// agent's whole conversation. After complete the monitored agent is in
// wrap-up and the monitoring stops (reason agent_left). Every party is
// a SIP phone in the test (AgentUa, the caller's RtpPeer) speaking its
// own tone; what each hears is told apart by frequency.
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
const mon = [];
/* apart from each other and from most of the hold music's energy */
const HZ = { caller: 600, sup: 1800, colleague: 2600, agent: 2200,
	far: 2600 };

before(async () => {
	t = await queueStack();
	await t.patchQueue(t.support.queue_id, { announce_work_no: false });
	/* the supervisor's own SIP phone, registered as an agent's is */
	const me = (await t.s.api('GET', '/api/v1/me', null, t.d.sup)).json;
	const from = t.s.logs().length;
	await t.reloaded(() => t.adminApi('POST', '/api/v1/agents', {
		user_id: me.user_id, work_no: '9001', device: 'sip',
		sip_user: 'sup9001', sip_secret: SECRET }, 201));
	await until(() => /agent phones loaded/.test(t.s.logs().slice(from)),
		'the registrar reloaded', 10000);
	for (const [k, user] of [['1001', 'demo1001'], ['1002', 'demo1002'],
		['sup', 'sup9001']]) {
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

/* a test that failed half-way leaves nobody on a call */
afterEach(async () => {
	await hangUp().catch(() => {});
});

after(async () => {
	sws?.ws.close();
	for (const u of Object.values(ua))
		await u.stop();
	await t?.stop();
});

/* Which tones each listener heard (tests/lib/tones.mjs). */
function round(speakers, listeners) {
	const peers = { caller: cur.c.rtp, sup: ua.sup.rtp,
		colleague: ua['1002'].rtp, agent: ua['1001'].rtp,
		far: cur.far?.rtp };
	return hearing(peers, HZ, speakers, listeners);
}

const consult = (id, body) => t.s.api('POST', `/api/v1/calls/${id}/consult`,
	body, t.d.sup);
const monitor = (id, body) => t.s.api('POST', `/api/v1/calls/${id}/monitor`,
	body, t.d.sup);

async function step(body, state) {
	const from = t.mark();
	const r = await consult(cur.id, body);
	assert.equal(r.status, 200, r.text);
	await t.waitEvent((m) => m.type === 'call.consult' &&
		m.data.call_id === cur.id && m.data.state === state, from);
}

async function hold(held) {
	const r = await t.s.api('POST', `/api/v1/calls/${cur.id}/hold`,
		{ held }, t.d.sup);
	assert.equal(r.status, 200, r.text);
}

const monEvent = (type, from) => until(() => mon.slice(from).find((m) =>
	m.type === type && m.data.call_id === cur.id), type);

let cur;

/* A caller answered by 1001 (the only one ready), 1002 ready, the
 * supervisor's phone monitoring in mode. */
async function monitored(caller, mode) {
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

	const m = mon.length;
	const r = await monitor(cur.id, { action: 'start', mode });
	assert.equal(r.status, 200, r.text);
	await ua.sup.until(() => ua.sup.dialog?.up);
	await ua.sup.rtp.until(() => ua.sup.rtp.remote);
	const ev = await monEvent('monitor.started', m);
	assert.equal(ev.data.agent_id, t.agents['1001'].agent_id);
	return cur;
}

/* 1001 consults 1002, who answers: the caller holds. */
async function consulting() {
	await step({ action: 'start', agent: '1002' }, 'answered');
	await ua['1002'].until(() => ua['1002'].dialog?.up);
	await ua['1002'].rtp.until(() => ua['1002'].rtp.remote);
}

async function hangUp() {
	const m = mon.length;
	if (!cur || cur.gone)
		return m;
	cur.gone = true;
	cur.c.hangup();
	await cur.c.done;
	cur.c.close();
	await ua['1001'].until(() => !ua['1001'].dialog);
	await ua['1002'].until(() => !ua['1002'].dialog);
	await ua.sup.until(() => !ua.sup.dialog);
	return m;
}

test('listen: the caller and the agent; during the consultation the ' +
	'colleague and the agent, not the held caller; in the conference ' +
	'all three', async () => {
	await monitored('13900008001', 'listen');
	let h = await round(['caller', 'agent'], ['sup', 'caller', 'agent']);
	assert.deepEqual(h.sup, { caller: true, agent: true });
	assert.deepEqual(h.caller, { agent: true });

	await consulting();
	h = await round(['caller', 'agent', 'colleague'], ['sup', 'agent']);
	assert.deepEqual(h.sup, { caller: false, agent: true,
		colleague: true });
	assert.deepEqual(h.agent, { caller: false, colleague: true });
	/* listening: nobody hears the supervisor */
	h = await round(['sup'], ['agent', 'colleague']);
	assert.deepEqual(h, { agent: { sup: false }, colleague: { sup: false } });

	await step({ action: 'conference' }, 'conference');
	h = await round(['caller', 'agent', 'colleague'], ['sup', 'caller']);
	assert.deepEqual(h.sup, { caller: true, agent: true, colleague: true });
	assert.deepEqual(h.caller, { agent: true, colleague: true });

	const m = await hangUp();
	const stopped = await monEvent('monitor.stopped', m);
	assert.equal(stopped.data.reason, 'call_ended');
});

test('whisper during the consultation reaches only the agent; barge ' +
	'reaches the agent and the colleague, not the held caller, then ' +
	'all three in the conference', async () => {
	await monitored('13900008002', 'whisper');
	await consulting();
	let h = await round(['sup', 'colleague'], ['agent', 'colleague',
		'caller', 'sup']);
	assert.deepEqual(h.agent, { sup: true, colleague: true });
	assert.deepEqual(h.colleague, { sup: false });
	assert.deepEqual(h.caller, { sup: false, colleague: false });
	assert.deepEqual(h.sup, { colleague: true });

	let r = await monitor(cur.id, { action: 'mode', mode: 'barge' });
	assert.equal(r.status, 200, r.text);
	h = await round(['sup'], ['agent', 'colleague', 'caller']);
	assert.deepEqual(h, { agent: { sup: true }, colleague: { sup: true },
		caller: { sup: false } });

	await step({ action: 'conference' }, 'conference');
	h = await round(['sup'], ['agent', 'colleague', 'caller']);
	assert.deepEqual(h, { agent: { sup: true }, colleague: { sup: true },
		caller: { sup: true } });
	r = await monitor(cur.id, { action: 'mode', mode: 'whisper' });
	assert.equal(r.status, 200, r.text);
	h = await round(['sup'], ['agent', 'colleague', 'caller']);
	assert.deepEqual(h, { agent: { sup: true }, colleague: { sup: false },
		caller: { sup: false } });
	await hangUp();
});

test('cancel: the caller holds, heard by nobody; resumed, the ' +
	'supervisor hears the caller again', async () => {
	await monitored('13900008003', 'listen');
	await consulting();
	await step({ action: 'cancel' }, 'cancelled');
	await ua['1002'].until(() => !ua['1002'].dialog);
	let h = await round(['caller', 'agent'], ['sup']);
	assert.deepEqual(h.sup, { caller: false, agent: true });
	await hold(false);
	h = await round(['caller', 'agent'], ['sup', 'caller']);
	assert.deepEqual(h.sup, { caller: true, agent: true });
	assert.deepEqual(h.caller, { agent: true });
	/* a hold of its own, outside a consultation: the same */
	await hold(true);
	h = await round(['caller', 'agent'], ['sup']);
	assert.deepEqual(h.sup, { caller: false, agent: true });
	await hangUp();
});

test('complete: the monitored agent wraps up, so the monitoring stops ' +
	'(agent_left) and the caller talks to the colleague', async () => {
	await monitored('13900008004', 'whisper');
	await consulting();
	const m = mon.length;
	const from = t.mark();
	await step({ action: 'complete' }, 'transferred');
	const stopped = await monEvent('monitor.stopped', m);
	assert.equal(stopped.data.reason, 'agent_left');
	assert.equal(stopped.data.agent_id, t.agents['1001'].agent_id);
	assert.equal(stopped.data.mode, 'whisper');
	await ua.sup.until(() => !ua.sup.dialog);
	await t.waitState('1001', 'wrap_up', from);
	await ua['1001'].until(() => !ua['1001'].dialog);
	const h = await round(['caller', 'colleague'], ['caller', 'colleague']);
	assert.deepEqual(h, { caller: { colleague: true },
		colleague: { caller: true } });
	/* the audit row says why */
	const audit = await until(async () => {
		const r = await t.s.api('GET', '/api/v1/audit?limit=50', null,
			t.d.admin);
		return (r.json?.items || []).find((x) => x.target_id === cur.id &&
			x.action === 'monitor.stopped');
	}, 'monitor.stopped audited');
	assert.equal(audit.detail.reason, 'agent_left');
	/* the supervisor monitors the colleague now: listening is 1002's */
	const m2 = mon.length;
	const r = await monitor(cur.id, { action: 'start', mode: 'listen' });
	assert.equal(r.status, 200, r.text);
	await ua.sup.until(() => ua.sup.dialog?.up);
	await ua.sup.rtp.until(() => ua.sup.rtp.remote);
	const again = await monEvent('monitor.started', m2);
	assert.equal(again.data.agent_id, t.agents['1002'].agent_id);
	const h2 = await round(['caller', 'colleague'], ['sup']);
	assert.deepEqual(h2.sup, { caller: true, colleague: true });
	await hangUp();
});

test('a blind transfer lets the monitored agent go: the monitoring ' +
	'stops (agent_left), the call rings the other agent', async () => {
	await monitored('13900008006', 'listen');
	const m = mon.length;
	const r = await t.s.api('POST', `/api/v1/calls/${cur.id}/transfer`,
		{ agent_id: t.agents['1002'].agent_id }, t.d.sup);
	assert.equal(r.status, 200, r.text);
	const stopped = await monEvent('monitor.stopped', m);
	assert.equal(stopped.data.reason, 'agent_left');
	assert.equal(stopped.data.agent_id, t.agents['1001'].agent_id);
	await ua.sup.until(() => !ua.sup.dialog);
	await ua['1002'].until(() => ua['1002'].dialog?.up);
	await hangUp();
});

/* An outside number's phone: the call's trunk dials this UA. */
async function withFarPhone(fn) {
	const far = await AgentUa.unregistered();
	try {
		await t.withTrunkTo(far.port, () => fn(far));
	} finally {
		await far.stop();
	}
}

test('an outside number consulted: listening hears it and the agent, ' +
	'not the held caller; complete stops the monitoring', async () => {
	await withFarPhone(async (far) => {
		await monitored('13900008005', 'listen');
		cur.far = far;
		await step({ action: 'start', number: '13800000001' }, 'answered');
		await far.until(() => far.dialog?.up);
		await far.rtp.until(() => far.rtp.remote);
		const h = await round(['caller', 'agent', 'far'], ['sup', 'far']);
		assert.deepEqual(h.sup, { caller: false, agent: true, far: true });
		assert.deepEqual(h.far, { caller: false, agent: true });

		const m = mon.length;
		await step({ action: 'complete' }, 'transferred');
		const stopped = await monEvent('monitor.stopped', m);
		assert.equal(stopped.data.reason, 'agent_left');
		await ua.sup.until(() => !ua.sup.dialog);
		const h2 = await round(['caller', 'far'], ['caller', 'far']);
		assert.deepEqual(h2, { caller: { far: true },
			far: { caller: true } });
		await hangUp();
	});
});
