// Helpers for the ACD call tests: the demo tenant's agents and queue,
// agent state changes and their waits, agents' phones, a queue flow.
import assert from 'node:assert/strict';
import { startStack, wsAuthed } from './stack.mjs';
import { demoCalls } from './sip.mjs';
import { registerPhone } from './agentphone.mjs';
import { talkPhone } from './talkphone.mjs';

export const SECRET = 'Phone@2026';

/* A queue flow: the caller goes straight into queue `queue`. */
export const queueFlow = (queue, fail = 'h') => ({ start: 'q', nodes: {
	q: { kind: 'queue', queue, fail },
	h: { kind: 'hangup' } } });

/**
 * The demo stack for ACD tests (server clock Monday 10:00 in Shanghai):
 * {s, d, agents (by work number), support (the demo queue), ws (a
 * supervisor's WebSocket on agent, queue, call, survey)} and helpers.
 */
export async function acdStack(opts = {}) {
	const s = await startStack({ ...opts, env: {
		OPENSEAT_CLOCK_OFFSET: '@2026-11-23T02:00:00Z', ...opts.env } });
	/* phones registering before the registrar's first load get 503 */
	const until = Date.now() + 10000;
	while (!/agent phones loaded/.test(s.logs())) {
		if (Date.now() > until)
			throw new Error('the registrar did not load the agents');
		await new Promise((res) => setTimeout(res, 20));
	}
	const d = await demoCalls(s);
	const a = await s.api('GET', '/api/v1/agents?limit=100', null, d.admin);
	const q = await s.api('GET', '/api/v1/queues', null, d.admin);
	const x = {
		s, d, phones: [],
		agents: Object.fromEntries(a.json.items.map((r) => [r.work_no, r])),
		support: q.json.items.find((r) => r.name === 'support'),
	};
	x.ws = await wsAuthed(s, d.sup, ['agent', 'queue', 'call', 'survey']);

	/* Run fn (a configuration change); wait until the ACD applied it. */
	x.reloaded = async (fn) => {
		const from = s.logs().length;
		const r = await fn();
		const until = Date.now() + 10000;
		while (!/ACD loaded/.test(s.logs().slice(from))) {
			if (Date.now() > until)
				throw new Error('ACD not reloaded');
			await new Promise((res) => setTimeout(res, 20));
		}
		return r;
	};
	x.api = async (method, p, body, status = 200) => {
		const r = await s.api(method, p, body, d.admin);
		assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
		return r.json;
	};
	x.patchQueue = (id, body) => x.reloaded(() =>
		x.api('PATCH', `/api/v1/queues/${id}`, body));
	x.createQueue = (body) => x.reloaded(() =>
		x.api('POST', '/api/v1/queues', body, 201));
	x.setState = (workNo, state, reason) => s.api('PUT',
		`/api/v1/agents/${x.agents[workNo].agent_id}/state`,
		{ state, reason }, d.sup);
	x.live = async (workNo) => {
		const r = await s.api('GET', '/api/v1/live/agents', null, d.sup);
		assert.equal(r.status, 200, r.text);
		return r.json.items.find((i) => i.work_no === workNo);
	};
	x.waitAgent = async (workNo, pred, timeoutMs = 15000) => {
		const until = Date.now() + timeoutMs;
		for (;;) {
			const st = await x.live(workNo);
			if (pred(st))
				return st;
			if (Date.now() > until)
				throw new Error(`agent ${workNo}: ${JSON.stringify(st)}`);
			await new Promise((res) => setTimeout(res, 50));
		}
	};
	/* The next agent.state_changed of workNo into state. */
	x.state = (workNo, state, timeoutMs = 15000) => x.ws.next((m) =>
		m.type === 'agent.state_changed' && m.data.work_no === workNo &&
		m.data.state === state, timeoutMs);
	/* A registered phone for the agent (talkMs: it hangs up itself). */
	x.phone = async (workNo, o = {}) => {
		const p = o.talkMs ?
			await talkPhone({ sipPort: s.sipPort, user: `demo${workNo}`,
				secret: SECRET, ...o }) :
			await registerPhone({ sipPort: s.sipPort,
				user: `demo${workNo}`, secret: SECRET, ...o });
		x.phones.push(p);
		await p.registered();
		await x.waitAgent(workNo, (st) => st.device_reachable);
		return p;
	};
	/* The agent logged in ready (its phone registered first). */
	x.ready = async (workNo) => {
		const r = await x.setState(workNo, 'ready');
		assert.equal(r.status, 200, r.text);
		assert.equal(r.json.state, 'ready', r.text);
	};
	x.stop = async () => {
		x.ws?.close();
		for (const p of x.phones)
			await p.stop();
		await s.stop();
	};
	return x;
}
