// Business records (业务记录): ticket types and their workflows (every bad
// workflow refused naming the state, a state in use kept), tickets along
// allowed transitions only (a disallowed one is a 409 that changes
// nothing), comments, attachments (size limit, bytes back), filters and
// pages, audit and history, Idempotency-Key, the assignee's WebSocket
// notification (and no one else's), escalation of an overdue ticket, and
// another tenant's ids refused everywhere.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { request, startServer, startStack, wsAuthed }
	from '../lib/stack.mjs';

const MAX = 200000;            /* ticket_attachment_max of this stack */
const ENV = { OPENSEAT_TICKET_CHECK_PERIOD: '1',
	OPENSEAT_TICKET_ATTACHMENT_MAX: String(MAX) };
let s;
let admin;
let sup;
let ag = {};                   /* username → {token, user_id} */
let customer;                  /* a demo customer id */
let callId;                    /* a demo call id */
let svcType;                   /* 售后工单 */
let support;                   /* the demo queue */
let complaints;                /* a queue only agent2 serves */
let B;                         /* another tenant's admin token */

const q = (sql) => s.db.psql(sql, true);
const api = (m, p, body, tok = admin, h) => s.api(m, p, body, tok, h);

async function ok(m, p, body, tok = admin, status = 200) {
	const r = await api(m, p, body, tok);
	assert.equal(r.status, status, `${m} ${p}: ${r.text}`);
	return r.json;
}

function fieldError(r, status, field, code) {
	assert.equal(r.status, status, r.text);
	assert.ok(r.json.errors?.some((e) => e.field === field &&
		(!code || e.code === code)), `${field}/${code}: ${r.text}`);
	return r.json.errors.find((e) => e.field === field);
}

const state = (key, label, initial = false, final = false) =>
	({ key, label, initial, final });

before(async () => {
	s = await startStack({ env: ENV });
	admin = await s.token(s.admin);
	sup = await s.token(s.supervisor);
	const users = (await ok('GET', '/api/v1/users?limit=200')).items;
	for (const n of ['agent1', 'agent2', 'agent3']) {
		ag[n] = { token: await s.token({ tenant: 'demo', username: n,
			password: 'Agent@2026' }),
		user_id: users.find((u) => u.username === n).user_id };
	}
	const tid = users[0].tenant_id ?? q('SELECT tenant_id FROM tenants' +
		' WHERE code = \'demo\'');
	customer = q(`INSERT INTO customers (tenant_id, name) VALUES ('${tid}',
		'张三') RETURNING customer_id`).split('\n')[0];
	callId = q(`INSERT INTO calls (tenant_id, direction, caller, callee)
		VALUES ('${tid}', 'inbound', '13800000001', '4001000100')
		RETURNING call_id`).split('\n')[0];
	svcType = (await ok('GET', '/api/v1/ticket-types', null,
		ag.agent1.token)).items.find((t) => t.name === '售后工单');
	support = (await ok('GET', '/api/v1/queues')).items
		.find((x) => x.name === 'support');
	/* agent2 serves only 投诉: not support */
	const skill = await ok('POST', '/api/v1/skills', { name: '投诉' },
		admin, 201);
	complaints = await ok('POST', '/api/v1/queues', { name: 'complaints',
		skills: [skill.skill_id] }, admin, 201);
	await ok('PATCH', `/api/v1/agents/${ag.agent2.user_id}`,
		{ skills: [{ skill_id: skill.skill_id }] });
	const op = await s.token(s.operator);
	const r = await api('POST', '/api/v1/tenants', { code: 'tkt-b',
		name: 'B 公司', seat_quota: 2, admin: { username: 'badmin',
			password: 'Bbbb@20261' } }, op);
	assert.equal(r.status, 201, r.text);
	B = await s.token({ tenant: 'tkt-b', username: 'badmin',
		password: 'Bbbb@20261' });
});

let s2;                        /* the server after the restart test */
after(async () => {
	const r = await s2?.stop();
	await s?.stop();
	if (s2) {
		assert.equal(r.code, 0);
		assert.doesNotMatch(s2.logs(),
			/ERROR: (Address|Leak)Sanitizer|runtime error:/);
	}
});

const newTicket = (body = {}, tok = ag.agent1.token, h) => api('POST',
	'/api/v1/tickets', { type_id: svcType.type_id, customer_id: customer,
		title: '空调不制冷', ...body }, tok, h);

test('the demo type 售后工单: 新建 → 处理中 → 已解决 → 已关闭, and back',
	async () => {
		assert.deepEqual(svcType.states.map((x) => x.label),
			['新建', '处理中', '已解决', '已关闭']);
		assert.deepEqual(svcType.states.filter((x) => x.initial)
			.map((x) => x.key), ['new']);
		assert.deepEqual(svcType.transitions.map((x) => x.from + '>' + x.to),
			['new>doing', 'doing>resolved', 'resolved>closed', 'doing>new']);
	});

test('a bad workflow is refused naming the state; nothing is saved',
	async () => {
		const before = q('SELECT count(*) FROM ticket_types');
		const S = [state('a', 'A', true), state('b', 'B'),
			state('z', 'Z', false, true)];
		const T = [{ from: 'a', to: 'b' }, { from: 'b', to: 'z' }];
		const cases = [
			[{ states: S.map((x) => ({ ...x, initial: false })) },
				'states', 'initial', /none/],
			[{ states: [S[0], { ...S[1], initial: true }, S[2]] },
				'states[1].initial', 'initial', /"a" and "b"/],
			[{ states: [S[0], S[1], { ...S[2], final: false }] },
				'states', 'final', /final/],
			[{ transitions: [...T, { from: 'b', to: 'nope' }] },
				'transitions[2].to', 'not_found', /"nope"/],
			[{ transitions: [{ from: 'ghost', to: 'b' }, T[1]] },
				'transitions[0].from', 'not_found', /"ghost"/],
			[{ transitions: [T[0], { from: 'a', to: 'z' }] }, 'states[1]',
				'dead_end', /"b"/],
			[{ transitions: [{ from: 'a', to: 'z' }] },
				'states[1]', 'unreachable', /"b".*"a"/],
			[{ states: [...S, state('a', 'again')] },
				'states[3].key', 'duplicate', /"a"/],
			[{ states: [state('新建', 'x', true), S[2]] },
				'states[0].key', 'format', null],
			[{ transitions: [...T, T[0]] }, 'transitions[2]', 'duplicate',
				null],
			[{ transitions: [...T, { from: 'b', to: 'b' }] },
				'transitions[2].to', 'same', null],
			[{ states: [S[0], { key: 'b' }, S[2]] }, 'states[1].label',
				'required', null],
			[{ states: [state('a', 'A', true, true), S[2]] },
				'states[0].initial', 'initial', /may not be final/],
		];
		for (const [patch, field, code, re] of cases) {
			const r = await api('POST', '/api/v1/ticket-types', { name: '坏',
				states: S, transitions: T, ...patch });
			const e = fieldError(r, 400, field, code);
			if (re)
				assert.match(e.message, re);
		}
		const r = await api('POST', '/api/v1/ticket-types', { name: '坏',
			states: S });
		fieldError(r, 400, 'transitions', 'required');
		assert.equal(q('SELECT count(*) FROM ticket_types'), before);
		/* agents read types but do not change them */
		const a = await api('POST', '/api/v1/ticket-types', { name: '坏',
			states: S, transitions: T }, ag.agent1.token);
		assert.equal(a.status, 403);
	});

test('editing a workflow never strands a ticket: a state in use stays',
	async () => {
		const S = [state('open', '待处理', true), state('wait', '等待'),
			state('done', '完成', false, true)];
		const T = [{ from: 'open', to: 'wait' }, { from: 'wait', to: 'done' },
			{ from: 'open', to: 'done' }];
		const ty = await ok('POST', '/api/v1/ticket-types', { name: '咨询单',
			states: S, transitions: T }, admin, 201);
		const dup = await api('POST', '/api/v1/ticket-types', { name: '咨询单',
			states: S, transitions: T });
		assert.equal(dup.status, 409, dup.text);
		const t = (await newTicket({ type_id: ty.type_id })).json;
		assert.equal(t.state, 'open');
		await ok('PATCH', `/api/v1/tickets/${t.ticket_id}`, { state: 'wait' });
		/* removing "wait" (in use) → 409 naming it; nothing changed */
		let r = await api('PATCH', `/api/v1/ticket-types/${ty.type_id}`,
			{ states: [S[0], S[2]], transitions: [T[2]] });
		const e = fieldError(r, 409, 'states', 'state_in_use');
		assert.match(e.message, /"wait"/);
		assert.equal(r.json.code, 'state_in_use');
		assert.equal((await ok('GET', `/api/v1/ticket-types/${ty.type_id}`))
			.states.length, 3);
		/* removing "open" (no ticket in it) is fine */
		r = await ok('PATCH', `/api/v1/ticket-types/${ty.type_id}`,
			{ name: '咨询单2', states: [{ ...S[1], initial: true }, S[2]],
				transitions: [T[1]] });
		assert.deepEqual(r.states.map((x) => x.key), ['wait', 'done']);
		r = await api('DELETE', `/api/v1/ticket-types/${ty.type_id}`);
		fieldError(r, 409, 'type_id', 'type_in_use');
		const audit = q('SELECT string_agg(action, \',\' ORDER BY audit_id)' +
			` FROM audit_log WHERE target_id = '${ty.type_id}'`);
		assert.equal(audit, 'ticket_type.create,ticket_type.update');
		/* a disabled type takes no new ticket */
		await ok('PATCH', `/api/v1/ticket-types/${ty.type_id}`,
			{ enabled: false });
		fieldError(await newTicket({ type_id: ty.type_id }), 404, 'type_id',
			'not_found');
	});

test('create: fields checked, initial state, history, audit, idempotent',
	async () => {
		fieldError(await api('POST', '/api/v1/tickets', { type_id:
			svcType.type_id, title: 'x' }, ag.agent1.token), 400,
		'customer_id', 'required');
		fieldError(await newTicket({ priority: 'asap' }), 400, 'priority');
		fieldError(await newTicket({ due_at: 'tomorrow' }), 400, 'due_at',
			'format');
		fieldError(await newTicket({ title: 'a\nb' }), 400, 'title');
		fieldError(await newTicket({ assignee_user_id: ag.agent1.user_id,
			assignee_queue_id: support.queue_id }), 400,
		'assignee_queue_id', 'conflict');
		fieldError(await newTicket({ owner: 'me' }), 400, 'owner');
		fieldError(await newTicket({ call_id: crypto.randomUUID() }), 404,
			'call_id', 'not_found');
		const key = crypto.randomUUID();
		const h = { 'idempotency-key': key };
		const r1 = await newTicket({ call_id: callId, priority: 'high',
			description: '客户说空调不制冷', due_at: '2030-01-01T10:00:00+08:00',
			assignee_user_id: ag.agent1.user_id }, ag.agent1.token, h);
		assert.equal(r1.status, 201, r1.text);
		const r2 = await newTicket({ call_id: callId, priority: 'high',
			description: '客户说空调不制冷', due_at: '2030-01-01T10:00:00+08:00',
			assignee_user_id: ag.agent1.user_id }, ag.agent1.token, h);
		assert.equal(r2.status, 201);
		assert.equal(r2.json.ticket_id, r1.json.ticket_id);
		const t = r1.json;
		assert.equal(q('SELECT count(*) FROM tickets WHERE call_id =' +
			` '${callId}'`), '1');
		assert.equal(t.state, 'new');
		assert.equal(t.state_label, '新建');
		assert.equal(t.customer_name, '张三');
		assert.equal(t.assignee_user_name, '坐席1');
		assert.equal(t.overdue, false);
		const d = await ok('GET', `/api/v1/tickets/${t.ticket_id}`, null,
			ag.agent1.token);
		assert.deepEqual(d.history.map((x) => x.action), ['created']);
		assert.equal(d.history[0].actor_name, 'agent1');
		assert.equal(q('SELECT count(*) FROM audit_log WHERE action =' +
			` 'ticket.create' AND target_id = '${t.ticket_id}'`), '1');
	});

test('a transition not allowed is a 409 naming the states; nothing changes',
	async () => {
		const t = (await newTicket()).json;
		const before = await ok('GET', `/api/v1/tickets/${t.ticket_id}`);
		const r = await api('PATCH', `/api/v1/tickets/${t.ticket_id}`,
			{ state: 'closed', title: '改了标题' }, ag.agent1.token);
		const e = fieldError(r, 409, 'state', 'transition_not_allowed');
		assert.equal(r.json.code, 'transition_not_allowed');
		assert.match(e.message, /新建 \(new\).*已关闭 \(closed\).*处理中 \(doing\)/);
		fieldError(await api('PATCH', `/api/v1/tickets/${t.ticket_id}`,
			{ state: 'nowhere' }), 400, 'state', 'enum');
		assert.deepEqual(await ok('GET', `/api/v1/tickets/${t.ticket_id}`),
			before);
		assert.equal(q('SELECT count(*) FROM audit_log WHERE action =' +
			` 'ticket.update' AND target_id = '${t.ticket_id}'`), '0');
		/* along the workflow: new → doing → new → doing → resolved */
		for (const st of ['doing', 'new', 'doing', 'resolved'])
			assert.equal((await ok('PATCH', `/api/v1/tickets/${t.ticket_id}`,
				{ state: st }, ag.agent1.token)).state, st);
		const d = await ok('GET', `/api/v1/tickets/${t.ticket_id}`);
		assert.deepEqual(d.history.slice(1).map((x) => x.changes.state),
			[{ from: 'new', to: 'doing' }, { from: 'doing', to: 'new' },
				{ from: 'new', to: 'doing' }, { from: 'doing', to: 'resolved' }]);
		assert.equal(q('SELECT count(*) FROM audit_log WHERE action =' +
			` 'ticket.update' AND target_id = '${t.ticket_id}'`), '4');
	});

test('a customer with business records cannot be deleted: 409, nothing ' +
	'changes', async () => {
	const t = await ok('POST', '/api/v1/tickets', { type_id:
		svcType.type_id, customer_id: customer, title: '保留客户' },
	ag.agent1.token, 201);
	const r = await api('DELETE', `/api/v1/customers/${customer}`, null,
		admin);
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.code, 'customer_in_use');
	assert.equal(r.json.errors[0].field, 'customer_id');
	await ok('GET', `/api/v1/customers/${customer}`, null, admin);
	await ok('GET', `/api/v1/tickets/${t.ticket_id}`, null, admin);
});

test('comments: added, listed in order, history; empty refused', async () => {
	const t = (await newTicket()).json;
	fieldError(await api('POST', `/api/v1/tickets/${t.ticket_id}/comments`,
		{ body: '' }, ag.agent1.token), 400, 'body');
	for (const body of ['已联系客户', '明天上门'])
		await ok('POST', `/api/v1/tickets/${t.ticket_id}/comments`, { body },
			ag.agent1.token, 201);
	const d = await ok('GET', `/api/v1/tickets/${t.ticket_id}`, null, sup);
	assert.deepEqual(d.comments.map((c) => [c.body, c.author_name]),
		[['已联系客户', 'agent1'], ['明天上门', 'agent1']]);
	assert.deepEqual(d.history.map((x) => x.action),
		['created', 'commented', 'commented']);
});

test('attachments: bytes back as uploaded, too big 413, bad names 400',
	async () => {
		const t = (await newTicket()).json;
		const bytes = crypto.randomBytes(150000);
		const up = (body, name, ctype = 'application/octet-stream') =>
			fetch(`${s.baseUrl}/api/v1/tickets/${t.ticket_id}/attachments` +
				(name === null ? '' : `?filename=${encodeURIComponent(name)}`),
			{ method: 'POST', body, headers: { authorization:
				`Bearer ${ag.agent1.token}`, 'content-type': ctype } });
		let r = await up(bytes, '现场照片.jpg', 'image/jpeg');
		assert.equal(r.status, 201, await r.clone().text());
		const a = await r.json();
		assert.equal(a.size_bytes, bytes.length);
		assert.equal(a.sha256, crypto.createHash('sha256').update(bytes)
			.digest('hex'));
		r = await fetch(`${s.baseUrl}/api/v1/tickets/${t.ticket_id}` +
			`/attachments/${a.attachment_id}`, { headers: { authorization:
			`Bearer ${ag.agent1.token}` } });
		assert.equal(r.status, 200);
		assert.equal(r.headers.get('content-type'), 'image/jpeg');
		assert.match(r.headers.get('content-disposition'),
			/^attachment; filename="_+\.jpg"; filename\*=UTF-8''%E7%8E%B0/);
		assert.ok(Buffer.from(await r.arrayBuffer()).equals(bytes));
		r = await up(crypto.randomBytes(MAX + 1), 'big.bin');
		assert.equal(r.status, 413);
		assert.equal((await r.json()).code, 'too_large');
		for (const [name, ctype, field] of [[null, 'text/plain', 'filename'],
			['../x', 'text/plain', 'filename'], ['a"b', 'text/plain', 'filename'],
			['x'.repeat(201), 'text/plain', 'filename'], ['..', 'text/plain',
				'filename'], ['ok.txt', 'nonsense',
				'content-type']]) {
			r = await up('x', name, ctype);
			assert.equal(r.status, 400, JSON.stringify(name));
			assert.equal((await r.json()).errors[0].field, field);
		}
		const d = await ok('GET', `/api/v1/tickets/${t.ticket_id}`);
		assert.deepEqual(d.attachments.map((x) => x.filename),
			['现场照片.jpg']);
		assert.equal(d.history.at(-1).action, 'attached');
		const none = await api('GET', `/api/v1/tickets/${t.ticket_id}` +
			`/attachments/${crypto.randomUUID()}`);
		assert.equal(none.status, 404);
	});

test('lists: filters, assignee=me, overdue, text, pages; agents see theirs',
	async () => {
		const mk = async (body, tok = sup) => {
			const r = await newTicket(body, tok);
			assert.equal(r.status, 201, r.text);
			return r.json;
		};
		const mine = await mk({ title: '滤芯更换 100%_a',
			assignee_user_id: ag.agent3.user_id });
		const queued = await mk({ title: '排队的单',
			assignee_queue_id: support.queue_id });
		const late = await mk({ title: '过期的单',
			assignee_queue_id: complaints.queue_id,
			due_at: new Date(Date.now() - 3600e3).toISOString() });
		const list = async (qs, tok = sup) => (await ok('GET',
			`/api/v1/tickets?${qs}`, null, tok)).items.map((x) => x.ticket_id);
		/* agent3 serves support: theirs and the queue's, not complaints' */
		const a3 = await list('limit=200', ag.agent3.token);
		assert.ok(a3.includes(mine.ticket_id) && a3.includes(queued.ticket_id));
		assert.ok(!a3.includes(late.ticket_id));
		assert.deepEqual(await list('assignee=me', ag.agent3.token),
			[queued.ticket_id, mine.ticket_id]);
		const a2 = await list('limit=200', ag.agent2.token);
		assert.ok(a2.includes(late.ticket_id) && !a2.includes(mine.ticket_id));
		assert.equal((await api('GET', `/api/v1/tickets/${mine.ticket_id}`,
			null, ag.agent2.token)).status, 404);
		assert.equal((await api('PATCH', `/api/v1/tickets/${mine.ticket_id}`,
			{ state: 'doing' }, ag.agent2.token)).status, 404);
		assert.deepEqual(await list(`assignee=${complaints.queue_id}`),
			[late.ticket_id]);
		assert.ok((await list('overdue=true')).includes(late.ticket_id));
		assert.ok(!(await list('overdue=false&limit=200'))
			.includes(late.ticket_id));
		assert.deepEqual(await list(`q=${encodeURIComponent('100%_')}`),
			[mine.ticket_id]);
		assert.deepEqual(await list('q=%25'), [mine.ticket_id]);
		assert.ok((await list(`call_id=${callId}`)).length === 1);
		const all = await list(`customer_id=${customer}&limit=200`);
		/* pages of 2, newest first, each ticket once */
		let seen = [];
		let cursor = '';
		for (;;) {
			const p = await ok('GET', `/api/v1/tickets?customer_id=${customer}` +
				`&limit=2${cursor}`);
			seen = seen.concat(p.items.map((x) => x.ticket_id));
			if (!p.next_cursor)
				break;
			cursor = `&cursor=${encodeURIComponent(p.next_cursor)}`;
		}
		assert.deepEqual(seen, all);
		for (const bad of ['assignee=you', 'overdue=maybe', 'type_id=1',
			'customer_id=x', 'priority=top', 'limit=0', 'cursor=zz', 'q='])
			assert.equal((await api('GET', `/api/v1/tickets?${bad}`)).status,
				400, bad);
	});

test('assignment reaches the assignee over the WebSocket, no one else',
	async () => {
		const w3 = await wsAuthed(s, ag.agent3.token, ['ticket']);
		const w2 = await wsAuthed(s, ag.agent2.token, ['ticket']);
		const ws = await wsAuthed(s, sup, ['ticket']);
		try {
			const t = (await newTicket({}, sup)).json;
			await ok('PATCH', `/api/v1/tickets/${t.ticket_id}`,
				{ assignee_queue_id: support.queue_id }, sup);
			const m = await w3.next((x) => x.type === 'ticket.assigned');
			assert.equal(m.data.ticket_id, t.ticket_id);
			assert.deepEqual(m.data.changes.assignee_queue_id,
				{ from: null, to: support.queue_id });
			await ws.next((x) => x.type === 'ticket.assigned' &&
				x.data.ticket_id === t.ticket_id);
			/* a fence: f's event reaches agent2 after everything sent
			 * before it (unmatched messages stay queued); nothing of t
			 * is among them. Other tickets' events may be: the earlier
			 * overdue complaints ticket is escalated to agent2 */
			const f = (await newTicket({ assignee_user_id: ag.agent2.user_id },
				sup)).json;
			await w2.next((x) => x.data?.ticket_id === f.ticket_id);
			await assert.rejects(w2.next((x) => x.data?.ticket_id ===
				t.ticket_id, 300));
			/* a comment on agent3's queue ticket reaches agent3 */
			await ok('POST', `/api/v1/tickets/${t.ticket_id}/comments`,
				{ body: '请尽快处理' }, sup, 201);
			const c = await w3.next((x) => x.type === 'ticket.commented');
			assert.equal(c.data.ticket_id, t.ticket_id);
		} finally {
			w3.close();
			w2.close();
			ws.close();
		}
	});

test('an overdue ticket is escalated once: priority up, event to assignee',
	async () => {
		const w3 = await wsAuthed(s, ag.agent3.token, ['ticket']);
		try {
			/* done is closed before it gets its due time: closing it in
			 * the 1.5 s before the due time may lose to a loaded machine */
			const done = (await newTicket({
				assignee_user_id: ag.agent3.user_id }, sup)).json;
			for (const st of ['doing', 'resolved', 'closed'])
				await ok('PATCH', `/api/v1/tickets/${done.ticket_id}`,
					{ state: st }, sup);
			const due = new Date(Date.now() + 1500).toISOString();
			await ok('PATCH', `/api/v1/tickets/${done.ticket_id}`,
				{ due_at: due }, sup);
			const t = (await newTicket({ due_at: due, priority: 'normal',
				assignee_user_id: ag.agent3.user_id }, sup)).json;
			const m = await w3.next((x) => x.type === 'ticket.escalated',
				10000);
			assert.equal(m.data.ticket_id, t.ticket_id);
			assert.equal(m.data.priority, 'high');
			assert.equal(m.data.overdue, true);
			/* more checks pass (period 1 s): still one escalation */
			await assert.rejects(w3.next((x) => x.type === 'ticket.escalated',
				2500));
			const d = await ok('GET', `/api/v1/tickets/${t.ticket_id}`);
			assert.equal(d.history.filter((x) => x.action === 'escalated')
				.length, 1);
			assert.ok(d.escalated_at);
			assert.equal(q('SELECT escalated_at IS NULL FROM tickets WHERE' +
				` ticket_id = '${done.ticket_id}'`), 't');
			/* a new due time is escalated again once it passes */
			await ok('PATCH', `/api/v1/tickets/${t.ticket_id}`, { due_at:
				new Date(Date.now() + 500).toISOString() }, sup);
			const m2 = await w3.next((x) => x.type === 'ticket.escalated',
				10000);
			assert.equal(m2.data.priority, 'urgent');
		} finally {
			w3.close();
		}
	});

test('webhooks: each ticket event is in the outbox with its change, ' +
	'with the id the consoles get; a refused change writes none',
async () => {
	q(`INSERT INTO webhook_endpoints (tenant_id, url, event_types, secret)
		SELECT tenant_id, 'https://crm.example.com/hook', '{ticket.*}',
		'whsec_dGVzdA==' FROM tenants WHERE code = 'demo'`);
	const ws = await wsAuthed(s, sup, ['ticket']);
	try {
		const t = (await newTicket({ assignee_user_id: ag.agent1.user_id },
			sup)).json;
		const ids = [];
		for (const type of ['ticket.created', 'ticket.assigned']) {
			const m = await ws.next((x) => x.type === type &&
				x.data.ticket_id === t.ticket_id);
			ids.push(m.id);
			const row = q('SELECT event_type || \'|\' || payload FROM' +
				` webhook_deliveries WHERE event_id = '${m.id}'`);
			const [etype, payload] = [row.slice(0, row.indexOf('|')),
				JSON.parse(row.slice(row.indexOf('|') + 1))];
			assert.equal(etype, type);
			assert.equal(payload.id, m.id);
			assert.equal(payload.ts, m.ts);
			assert.equal(payload.data.ticket_id, t.ticket_id);
			assert.equal(payload.data.recipients, undefined);
			assert.ok(m.data.recipients.users.includes(ag.agent1.user_id));
		}
		const n = q('SELECT count(*) FROM webhook_deliveries');
		const r = await api('PATCH', `/api/v1/tickets/${t.ticket_id}`,
			{ state: 'closed' });
		assert.equal(r.status, 409);
		assert.equal(q('SELECT count(*) FROM webhook_deliveries'), n);
	} finally {
		ws.close();
		q('DELETE FROM webhook_endpoints');
	}
});

test("another tenant's ids are not found everywhere", async () => {
	const t = (await newTicket()).json;
	const a = await (await fetch(`${s.baseUrl}/api/v1/tickets/` +
		`${t.ticket_id}/attachments?filename=a.txt`, { method: 'POST',
		body: 'hello', headers: { authorization: `Bearer ${admin}`,
			'content-type': 'text/plain' } })).json();
	const before = await ok('GET', `/api/v1/tickets/${t.ticket_id}`);
	const T = `/api/v1/tickets/${t.ticket_id}`;
	const Y = `/api/v1/ticket-types/${svcType.type_id}`;
	for (const [m, p, body] of [['GET', T], ['PATCH', T, { title: 'x' }],
		['POST', `${T}/comments`, { body: 'x' }],
		['POST', `${T}/attachments?filename=b.txt`, 'x'],
		['GET', `${T}/attachments/${a.attachment_id}`], ['GET', Y],
		['PATCH', Y, { name: 'x' }], ['DELETE', Y]]) {
		const r = await api(m, p, body, B, typeof body === 'string' ?
			{ 'content-type': 'text/plain' } : undefined);
		assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
	}
	assert.deepEqual((await ok('GET', '/api/v1/tickets', null, B)).items, []);
	assert.ok(!(await ok('GET', '/api/v1/ticket-types', null, B)).items
		.some((x) => x.type_id === svcType.type_id));
	/* B's own type, with A's customer, call, queue or user: 404 by field */
	const by = await ok('POST', '/api/v1/ticket-types', { name: 'B 单',
		states: [state('a', 'A', true), state('z', 'Z', false, true)],
		transitions: [{ from: 'a', to: 'z' }] }, B, 201);
	const bt = { type_id: by.type_id, customer_id: customer, title: 'x' };
	fieldError(await api('POST', '/api/v1/tickets', bt, B), 404,
		'customer_id', 'not_found');
	fieldError(await api('POST', '/api/v1/tickets', { ...bt,
		type_id: svcType.type_id }, B), 404, 'type_id', 'not_found');
	const bc = q(`INSERT INTO customers (tenant_id, name) SELECT tenant_id,
		'B 客户' FROM tenants WHERE code = 'tkt-b' RETURNING customer_id`)
		.split('\n')[0];
	for (const [f, id] of [['call_id', callId],
		['assignee_queue_id', support.queue_id],
		['assignee_user_id', ag.agent1.user_id]])
		fieldError(await api('POST', '/api/v1/tickets', { ...bt,
			customer_id: bc, [f]: id }, B), 404, f, 'not_found');
	/* and A's ticket is as it was */
	assert.deepEqual(await ok('GET', `/api/v1/tickets/${t.ticket_id}`),
		before);
});

/* Last: the server is replaced by a new one on the same database. */
test('a restart: what came due meanwhile goes out once, nothing twice',
	async () => {
		const esc = q('SELECT count(*) FROM ticket_history WHERE action =' +
			' \'escalated\'');
		const soon = new Date(Date.now() + 1500).toISOString();
		const t = (await newTicket({ due_at: soon,
			assignee_user_id: ag.agent3.user_id }, sup)).json;
		const a = await api('POST', '/api/v1/announcements', { title: '重启后',
			body: '重启期间到时的公告', audience: 'all',
			starts_at: new Date(Date.now() + 1500).toISOString() }, sup);
		assert.equal(a.status, 201, a.text);
		s.proc.kill('SIGTERM');
		assert.equal((await s.exited).code, 0);
		/* both come due while no server runs */
		await new Promise((res) => setTimeout(res, 2000));
		s2 = await startServer(s.db, { env: ENV });
		/* its first checks run as it starts, maybe before any console
		 * is back: the database says what went out */
		const until = async (sql, want) => {
			const end = Date.now() + 10000;
			while (q(sql) !== want) {
				assert.ok(Date.now() < end, `${sql}: ${q(sql)}`);
				await new Promise((res) => setTimeout(res, 100));
			}
		};
		await until('SELECT escalated_at IS NOT NULL FROM tickets WHERE' +
			` ticket_id = '${t.ticket_id}'`, 't');
		await until('SELECT published_at IS NOT NULL FROM announcements' +
			` WHERE announcement_id = '${a.json.announcement_id}'`, 't');
		/* two more checks pass: nothing escalated or published again */
		const w3 = await wsAuthed(s2, ag.agent3.token, ['ticket',
			'announcement']);
		try {
			await assert.rejects(w3.next((x) => x.type ===
				'ticket.escalated' || x.type === 'announcement.published',
			2500));
		} finally {
			w3.close();
		}
		assert.equal(q('SELECT count(*) FROM ticket_history WHERE' +
			' action = \'escalated\''), String(Number(esc) + 1));
		const d = await request(s2.baseUrl, 'GET',
			`/api/v1/tickets/${t.ticket_id}`, null, sup);
		assert.equal(d.json.priority, 'high');
		const m = await request(s2.baseUrl, 'GET', '/api/v1/announcements/' +
			'mine', null, ag.agent3.token);
		assert.ok(m.json.items.some((x) => x.announcement_id ===
			a.json.announcement_id));
	});
