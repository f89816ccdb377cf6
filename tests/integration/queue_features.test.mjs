// What a queue does beyond answering: the satisfaction survey, hold and
// transfer by the agent, the sticky agent, VIP callers first, routes by
// the caller's region and by schedule, agent actions over the
// WebSocket, the seat quota, and the ACD's metrics. Real SIP: sipp as
// carrier and agents' phones; the caller's media is an RtpPeer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { RtpPeer, ended, sipCall, sipOk, toneHz,
	waitCall } from '../lib/sip.mjs';
import { wsAuthed } from '../lib/stack.mjs';
import { agentPhone } from '../lib/agentphone.mjs';
import { rerouted } from '../lib/sip.mjs';
import { acdStack, queueFlow } from '../lib/acd.mjs';

let x;
let second;          // a second queue, for transfers and routes

/* A call into number from caller, with its RtpPeer. */
async function call(number, caller) {
	const rtp = await RtpPeer.open();
	const c = await sipCall(x.s, { service: number, caller, rtp });
	return { c, rtp };
}

/* The call id of caller's call, once it joined a queue. */
async function joined(caller, timeoutMs = 10000) {
	const m = await x.ws.next((e) => e.type === 'queue.joined' &&
		e.data.caller === caller, timeoutMs);
	return m.data;
}

const ofCall = (type, id) => (m) => m.type === type &&
	m.data.call_id === id;

/* The caller can hear itself through the agent's echoing phone. */
async function echoes(rtp, hz = 700) {
	/* bridged at once (no work number): the first packet from OpenSeat,
	 * which tells the peer where to speak, may still be on its way */
	await rtp.until(() => rtp.remote, 10000, 'media from OpenSeat');
	const from = rtp.samples.length;
	rtp.speak(hz, 1500);
	await rtp.until(() => rtp.samples.length - from > 12000, 10000,
		'echo through the agent');
	/* within 8 %: the agent leg's jitter buffer may play a resumed
	 * stream a little slow while it settles */
	return Math.abs(toneHz(rtp.samples.slice(from + 4000, from + 10000)) -
		hz) < hz * 0.08;
}

before(async () => {
	x = await acdStack();
	const { d, support } = x;
	await x.patchQueue(support.queue_id, { wrapup_s: 1, ring_timeout_s: 5,
		announce_every_s: 0, announce_work_no: false,
		join_empty: 'always' });
	second = await x.createQueue({ name: 'second', label: '二线',
		wrapup_s: 1, announce_every_s: 0, announce_work_no: false,
		join_empty: 'always' });
	await d.number('4001000600', { flow_id:
		await d.flow('排队', queueFlow('support')) });
});

after(async () => { await x?.stop(); });

test('survey: the agent hangs up, the caller presses 4, the score is ' +
	'stored and pushed', async () => {
	await x.patchQueue(x.support.queue_id, { survey: true });
	const p = await x.phone('1001', { ringMs: 100, talkMs: 2500 });
	await x.ready('1001');
	const { c, rtp } = await call('4001000600', '13900000601');
	try {
		await p.answered();
		await x.state('1001', 'wrap_up', 10000);
		/* the survey prompt plays; a key outside 1-5 is ignored */
		await rtp.heard();
		await rtp.dtmf('9');
		await rtp.dtmf('4');
		const ev = await x.ws.next((m) => m.type === 'survey.completed',
			10000);
		assert.equal(ev.data.score, 4);
		assert.equal(ev.data.work_no, '1001');
		await sipOk(c);
		const rec = await waitCall(x.s, x.d.sup, '13900000601', ended);
		assert.equal(rec.survey_score, 4);
		assert.equal(rec.hangup_cause, 'survey_done');
		assert.equal(rec.queue_result, 'answered');
	} finally {
		rtp.close();
		await x.patchQueue(x.support.queue_id, { survey: false });
		await x.setState('1001', 'logged_out');
		await p.stop();
	}
});

test('hold and resume by the agent, then a blind transfer to another ' +
	'queue answered there', async () => {
	const p1 = await x.phone('1002', { ringMs: 100, talkMs: 60000 });
	const p2 = await x.phone('1003', { ringMs: 100, talkMs: 2000 });
	await x.ready('1002');
	const { c, rtp } = await call('4001000600', '13900000602');
	try {
		const id = (await joined('13900000602')).call_id;
		await p1.answered();
		await x.ws.next(ofCall('call.answered', id));
		assert.ok(await echoes(rtp), 'bridged');

		/* an agent not on the call may not hold it */
		const other = await x.s.token({ tenant: 'demo', username: 'agent4',
			password: 'Agent@2026' });
		let r = await x.s.api('POST', `/api/v1/calls/${id}/hold`,
			{ held: true }, other);
		assert.equal(r.status, 403, r.text);
		const mine = await x.s.token({ tenant: 'demo',
			username: 'agent2', password: 'Agent@2026' });
		r = await x.s.api('POST', `/api/v1/calls/${id}/hold`,
			{ held: true }, mine);
		assert.equal(r.status, 200, r.text);
		await x.ws.next(ofCall('call.held', id));
		/* on hold the caller hears the hold prompt, not itself */
		assert.ok(!await echoes(rtp), 'no echo on hold');
		r = await x.s.api('POST', `/api/v1/calls/${id}/hold`,
			{ held: false }, mine);
		assert.equal(r.status, 200, r.text);
		await x.ws.next(ofCall('call.resumed', id));
		await rtp.quiet(400, 300, 20000).catch(() => {});
		assert.ok(await echoes(rtp, 900), 'bridged again');

		/* blind transfer to queue "second": 1002 wraps up, 1003 answers */
		await x.patchQueue(second.queue_id, {});
		await x.ready('1003');
		r = await x.s.api('POST', `/api/v1/calls/${id}/transfer`,
			{ queue: 'nope' }, mine);
		assert.equal(r.status, 400, r.text);
		r = await x.s.api('POST', `/api/v1/calls/${id}/transfer`,
			{ queue: 'second' }, mine);
		assert.equal(r.status, 200, r.text);
		await x.state('1002', 'wrap_up');
		await p2.answered();
		await sipOk(c);
		const rec = await waitCall(x.s, x.d.sup, '13900000602', ended);
		assert.equal(rec.queue_id, second.queue_id);
		assert.equal(rec.agent_id, x.agents['1003'].agent_id);
		const types = rec.events.map((e) => e.type);
		for (const t of ['call.held', 'call.resumed', 'call.transferred'])
			assert.ok(types.includes(t), `${t} in ${types}`);
		assert.equal(types.filter((t) => t === 'queue.joined').length, 2);
	} finally {
		rtp.close();
		await x.setState('1002', 'logged_out');
		await x.setState('1003', 'logged_out');
		await p1.stop();
		await p2.stop();
	}
});

test('blind transfer to another agent, then to an outside number ' +
	'through the trunk', async () => {
	const p1 = await x.phone('1004', { ringMs: 100, talkMs: 60000 });
	const p2 = await x.phone('1005', { ringMs: 100, talkMs: 60000 });
	const ua = await agentPhone({ mode: 'answer', ringMs: 100 });
	const trunk = `/api/v1/trunks/${x.d.trunkId}`;
	const before = (await x.s.api('GET', trunk, null, x.d.op)).json;
	await rerouted(x.s, () => x.s.api('PATCH', trunk, {
		outbound_uri: `sip:127.0.0.1:${ua.port}` }, x.d.op));
	/* 1004 still wraps up the call when it ends */
	await x.patchQueue(x.support.queue_id, { wrapup_s: 60 });
	await x.ready('1004');
	const { c, rtp } = await call('4001000600', '13900000610');
	try {
		const id = (await joined('13900000610')).call_id;
		await p1.answered();
		await x.ws.next(ofCall('call.answered', id));
		const sup = x.d.sup;
		const post = (body) => x.s.api('POST',
			`/api/v1/calls/${id}/transfer`, body, sup);
		/* 1005 logged out: refused; two targets: refused */
		let r = await post({ agent_id: x.agents['1005'].agent_id });
		assert.equal(r.status, 409, r.text);
		assert.equal(r.json.code, 'agent_logged_out');
		r = await post({ queue: 'support', number: '13800000000' });
		assert.equal(r.status, 400, r.text);
		/* 1005 ready, 1004 busy with the call: 1005 gets it */
		await x.ready('1005');
		r = await post({ agent_id: x.agents['1005'].agent_id });
		assert.equal(r.status, 200, r.text);
		await x.state('1004', 'wrap_up');
		await p2.answered();
		const a = await x.ws.next((m) => m.type === 'call.answered' &&
			m.data.call_id === id && m.data.work_no === '1005');
		assert.ok(a);
		/* then to an outside number: 1005 wraps up, the far end answers */
		r = await post({ number: '13800000000' });
		assert.equal(r.status, 200, r.text);
		await x.state('1005', 'wrap_up');
		await ua.answered();
		await x.ws.next(ofCall('call.transferred', id));
		await c.hangup();
		await c.done;
		const rec = await waitCall(x.s, x.d.sup, '13900000610', ended);
		assert.equal(rec.disposition, 'transferred');
		/* the first agent's wrap-up outlives the call it wraps up */
		assert.equal((await x.live('1004')).state, 'wrap_up');
		const tos = rec.events.filter((e) => e.type === 'call.transferred')
			.map((e) => e.data.to);
		assert.deepEqual(tos.slice(0, 2), ['agent', 'number']);
	} finally {
		rtp.close();
		await x.patchQueue(x.support.queue_id, { wrapup_s: 1 });
		await rerouted(x.s, () => x.s.api('PATCH', trunk, {
			outbound_uri: before.outbound_uri }, x.d.op));
		await x.setState('1004', 'logged_out');
		await x.setState('1005', 'logged_out');
		await p1.stop();
		await p2.stop();
		await ua.stop();
	}
});

test('sticky agent: a caller comes back to the agent who served it, ' +
	'though another agent has been idle longer', async () => {
	await x.patchQueue(x.support.queue_id, { sticky_days: 7,
		sticky_wait_s: 20 });
	const p1 = await x.phone('1004', { ringMs: 100, talkMs: 1000 });
	const p2 = await x.phone('1005', { ringMs: 100, talkMs: 1000 });
	try {
		await x.ready('1004');
		let k = await call('4001000600', '13900000603');
		await p1.answered();
		/* 1005 ready while 1004 talks: by idle time 1005 is next; the
		 * sticky wait offers the caller to 1004 all the same */
		await x.ready('1005');
		await sipOk(k.c);
		k.rtp.close();
		/* asked of the server: x.state would take a 'ready' of 1004 still
		 * queued on the socket (x.ready's, the last test's) at once */
		await x.waitAgent('1004', (a) => a.state === 'ready', 10000);
		const first = await waitCall(x.s, x.d.sup, '13900000603', ended);
		assert.equal(first.agent_id, x.agents['1004'].agent_id);
		k = await call('4001000600', '13900000603');
		await p1.answered(2);
		await sipOk(k.c);
		k.rtp.close();
		assert.equal(p2.count('invite'), 0);
	} finally {
		await x.patchQueue(x.support.queue_id, { sticky_days: 0,
			sticky_wait_s: 0 });
		await x.setState('1004', 'logged_out');
		await x.setState('1005', 'logged_out');
		await p1.stop();
		await p2.stop();
	}
});

test('a VIP caller is served before a caller who waited longer',
	async () => {
	await x.api('POST', '/api/v1/vip-callers', { number: '13900000699',
		priority: 50, note: '大客户' }, 201);
	const p = await x.phone('1001', { ringMs: 100, talkMs: 1500 });
	await x.ready('1001');
	const busy = await call('4001000600', '13900000604');
	await joined('13900000604');    /* joins are ordered by the test */
	const normal = await call('4001000600', '13900000605');
	try {
		await p.answered(1);
		assert.equal((await joined('13900000605')).priority, 0);
		const vip = await call('4001000600', '13900000699');
		try {
			assert.equal((await joined('13900000699')).priority, 50);
			/* the first call ends; the VIP is offered next */
			await sipOk(busy.c);
			await p.answered(2, 20000);
			await sipOk(vip.c);
			const v = await waitCall(x.s, x.d.sup, '13900000699', ended);
			assert.equal(v.queue_result, 'answered');
			await p.answered(3, 20000);
			await sipOk(normal.c);
			const n = await waitCall(x.s, x.d.sup, '13900000605', ended);
			assert.ok(Date.parse(n.connected_at) >
				Date.parse(v.connected_at), 'VIP first');
			assert.ok(Date.parse(n.queued_at) < Date.parse(v.queued_at));
		} finally {
			vip.rtp.close();
		}
	} finally {
		busy.rtp.close();
		normal.rtp.close();
		await x.setState('1001', 'logged_out');
		await p.stop();
	}
});

test('a flow ranks its caller: queue_priority set in the flow, ' +
	'nonsense ignored', async () => {
	for (const [number, caller, prio, want] of [
		['4001000602', '13900000620', '80', 80],
		['4001000603', '13900000621', 'lots', 0]]) {
		const flow = await x.d.flow(`优先${prio}`, { start: 's', nodes: {
			s: { kind: 'set', vars: { queue_priority: prio }, next: 'q' },
			q: { kind: 'queue', queue: 'support', fail: 'h' },
			h: { kind: 'hangup' } } });
		await x.d.number(number, { flow_id: flow });
		const k = await call(number, caller);
		try {
			assert.equal((await joined(caller)).priority, want);
		} finally {
			await k.c.hangup();
			await k.c.done;
			k.rtp.close();
		}
	}
});


test('routes: a caller from 北京 goes to the Beijing queue, others stay',
	async () => {
	const r = await x.s.api('POST', '/api/v1/number-regions/import',
		'prefix,region\n1391234,北京市\n', x.d.admin,
		{ 'content-type': 'text/csv' });
	assert.equal(r.status, 200, r.text);
	const lk = await x.s.api('GET',
		'/api/v1/number-regions/lookup?number=13912340606', null, x.d.admin);
	assert.equal(lk.json.region, '北京市', lk.text);
	await x.patchQueue(x.support.queue_id, { routes: [
		{ regions: ['北京'], queue_id: second.queue_id }] });
	try {
		for (const [caller, queue] of [['13912340606', 'second'],
			['13800000607', 'support']]) {
			const k = await call('4001000600', caller);
			assert.equal((await joined(caller)).queue, queue, caller);
			await k.c.hangup();
			await sipOk(k.c);
			k.rtp.close();
			const rec = await waitCall(x.s, x.d.sup, caller, ended);
			assert.equal(rec.queue_result, 'abandoned');
		}
	} finally {
		await x.patchQueue(x.support.queue_id, { routes: [] });
	}
});

test('announcements: every 10 s a waiting caller hears how many are ' +
	'ahead and the expected wait, between the hold music', async () => {
	await x.patchQueue(x.support.queue_id, { announce_every_s: 10 });
	const logFrom = x.s.logs().length;
	/* the second call is placed once the first joined: a join waits for
	 * a database look-up, so two calls at once may join either way */
	const a = await call('4001000600', '13900000611');
	const ja = await joined('13900000611');
	const b = await call('4001000600', '13900000612');
	try {
		const jb = await joined('13900000612');
		const ea = await x.ws.next(ofCall('queue.announced', ja.call_id),
			15000);
		const eb = await x.ws.next(ofCall('queue.announced', jb.call_id),
			15000);
		assert.equal(ea.data.ahead, 0);
		assert.equal(eb.data.ahead, 1);
		assert.ok(eb.data.expected_wait_min >= 1);
		/* the second caller hears audio: music, then the announcement */
		await b.rtp.heard();
		/* every prompt of it exists (a name cut short once made the
		 * position part fail): two seconds on, none failed to play */
		const heard = b.rtp.samples.length;
		await b.rtp.until(() => b.rtp.samples.length - heard >= 16000,
			5000, 'two seconds of audio after the announcement');
		assert.doesNotMatch(x.s.logs().slice(logFrom),
			/prompt not played/);
	} finally {
		for (const k of [a, b]) {
			await k.c.hangup();
			await k.c.done;
			k.rtp.close();
		}
		await x.patchQueue(x.support.queue_id, { announce_every_s: 0 });
	}
});

test('routes by schedule: in working hours the call goes to the day ' +
	'queue', async () => {
	const work = await x.d.schedule({ name: '排队工作时间',
		timezone: 'Asia/Shanghai', weekly: [{ days: [1, 2, 3, 4, 5],
			from: '09:00', to: '18:00' }] });
	const weekend = await x.d.schedule({ name: '排队周末',
		timezone: 'Asia/Shanghai', weekly: [{ days: [6, 7],
			from: '00:00', to: '24:00' }] });
	/* the server's clock is Monday 10:00 in Shanghai: a weekend route
	 * does not apply, a working-hours route does */
	try {
		for (const [sched, caller, queue] of [
			[weekend, '13900000613', 'support'],
			[work, '13900000614', 'second']]) {
			await x.patchQueue(x.support.queue_id, { routes: [
				{ schedule_id: sched, queue_id: second.queue_id }] });
			const k = await call('4001000600', caller);
			assert.equal((await joined(caller)).queue, queue);
			await k.c.hangup();
			await k.c.done;
			k.rtp.close();
		}
	} finally {
		await x.patchQueue(x.support.queue_id, { routes: [] });
	}
});


test('agent actions over the WebSocket; the seat quota stops one login ' +
	'too many', async () => {
	const tok = await x.s.token({ tenant: 'demo', username: 'agent5',
		password: 'Agent@2026' });
	const c = await wsAuthed(x.s, tok, ['agent']);
	try {
		c.send({ type: 'agent.state', state: 'not_ready', reason: '培训',
			id: 7 });
		let m = await c.next((o) => o.id === 7);
		assert.equal(m.type, 'agent.ok');
		assert.equal(m.state, 'not_ready');
		assert.equal(m.reason, '培训');
		c.send({ type: 'agent.wrap_up', action: 'end', id: 8 });
		m = await c.next((o) => o.id === 8);
		assert.equal(m.code, 'not_in_wrap_up');
		c.send({ type: 'agent.state', state: 'dancing', id: 9 });
		m = await c.next((o) => o.id === 9);
		assert.equal(m.code, 'validation_failed');
		/* an agent may not act for another */
		c.send({ type: 'agent.state', state: 'logged_out', id: 10,
			agent_id: x.agents['1001'].agent_id });
		m = await c.next((o) => o.id === 10);
		assert.equal(m.code, 'forbidden');

		/* one seat: agent5 holds it, 1001's login is refused */
		const t = await x.s.api('GET', '/api/v1/tenants', null, x.d.op);
		const tid = t.json.items.find((i) => i.code === 'demo').tenant_id;
		await x.reloaded(() => x.s.api('PATCH', `/api/v1/tenants/${tid}`,
			{ seat_quota: 1 }, x.d.op));
		const r = await x.setState('1001', 'not_ready', '会议');
		assert.equal(r.status, 409, r.text);
		assert.equal(r.json.code, 'seat_quota_exceeded');
		c.send({ type: 'agent.state', state: 'logged_out', id: 11 });
		await c.next((o) => o.id === 11);
		const ok = await x.setState('1001', 'not_ready', '会议');
		assert.equal(ok.status, 200, ok.text);
		await x.setState('1001', 'logged_out');
		await x.reloaded(() => x.s.api('PATCH', `/api/v1/tenants/${tid}`,
			{ seat_quota: 10 }, x.d.op));
	} finally {
		c.close();
	}
});

test('metrics: queue waiting and longest wait, agents by state',
	async () => {
	await x.setState('1002', 'not_ready', '休息');
	const r = await fetch(`${x.s.baseUrl}/metrics`);
	const text = await r.text();
	assert.match(text, new RegExp(
		`openseat_queue_waiting_calls\\{queue="${x.support.queue_id}"\\} 0`));
	assert.match(text, /openseat_queue_longest_wait_seconds\{queue="/);
	assert.match(text, /openseat_agents\{state="not_ready"\} [1-9]/);
	assert.match(text, /openseat_acd_events_total\{event="answered"\} [1-9]/);
	await x.setState('1002', 'logged_out');
});
