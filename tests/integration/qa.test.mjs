// Quality review: QA forms (weighted criteria), reviews of recordings
// with their totals, results per agent and per queue; every bad body
// refused with the field named and nothing written; tenants isolated.
// Recordings and calls are rows written with psql, as the recorder
// would leave them, so each case can pick a status and an owner.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from '../lib/stack.mjs';

let s;
let sup;
let admin;
let agent;
let acmeSup;
let demo;
let acme;
let agentId;
let queueId;

const id = (n) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const REC = { ready: id(1), recording: id(2), failed: id(3),
	acme: id(4), other: id(5) };
const CALL = { demo: id(11), acme: id(12), other: id(13) };

const FORM = {
	name: '服务规范',
	criteria: [
		{ name: '开场白', weight: 50, max_score: 10 },
		{ name: '解决问题', weight: 30, max_score: 5 },
		{ name: '结束语', weight: 20, max_score: 1 },
	],
};

function seed() {
	agentId = s.db.psql(`SELECT u.user_id FROM users u JOIN tenants t
		USING (tenant_id) WHERE t.code = 'demo'
		AND u.username = 'agent1'`, true);
	queueId = s.db.psql(`SELECT queue_id FROM queues
		WHERE tenant_id = '${demo}' ORDER BY name LIMIT 1`, true);
	assert.ok(agentId && queueId, 'demo has agent1 and a queue');
	s.db.psql(`INSERT INTO calls (call_id, tenant_id, direction, number,
		caller, callee, started_at, agent_id, queue_id) VALUES
		('${CALL.demo}', '${demo}', 'inbound', '4001000100',
		 '13800138000', '4001000100', '2026-11-02 08:00:00+00',
		 '${agentId}', '${queueId}'),
		('${CALL.other}', '${demo}', 'inbound', '4001000100',
		 '13900139000', '4001000100', '2026-11-20 08:00:00+00',
		 NULL, NULL),
		('${CALL.acme}', '${acme}', 'inbound', '4002000200',
		 '13700137000', '4002000200', '2026-11-02 08:00:00+00',
		 NULL, NULL);
		INSERT INTO recordings (recording_id, tenant_id, call_id, status,
		 path, key_no, channels, bitrate, started_at, duration_ms) VALUES
		('${REC.ready}', '${demo}', '${CALL.demo}', 'ready', 'a.osrec',
		 1, 2, 32, '2026-11-02 08:00:05+00', 60000),
		('${REC.recording}', '${demo}', '${CALL.demo}', 'recording',
		 'b.osrec', 1, 2, 32, '2026-11-02 08:01:05+00', NULL),
		('${REC.failed}', '${demo}', '${CALL.demo}', 'failed', 'c.osrec',
		 1, 2, 32, '2026-11-02 08:02:05+00', NULL),
		('${REC.other}', '${demo}', '${CALL.other}', 'partial', 'e.osrec',
		 1, 2, 32, '2026-11-20 08:00:05+00', 1000),
		('${REC.acme}', '${acme}', '${CALL.acme}', 'ready', 'd.osrec',
		 1, 2, 32, '2026-11-02 08:00:05+00', 60000)`, true);
}

before(async () => {
	s = await startStack();
	const op = await s.token(s.operator);
	sup = await s.token(s.supervisor);
	admin = await s.token(s.admin);
	agent = await s.token(s.agent);
	demo = s.db.psql("SELECT tenant_id FROM tenants WHERE code = 'demo'",
		true);
	const t = await s.api('POST', '/api/v1/tenants', { code: 'acme',
		name: 'Acme', admin: { username: 'root',
			password: 'Acme@20261' } }, op);
	assert.equal(t.status, 201, t.text);
	acme = t.json.tenant_id;
	const root = (await s.login('acme', 'root', 'Acme@20261')).access_token;
	const u = await s.api('POST', '/api/v1/users', { username: 'boss',
		password: 'Boss@20261', role: 'supervisor' }, root);
	assert.equal(u.status, 201, u.text);
	acmeSup = (await s.login('acme', 'boss', 'Boss@20261')).access_token;
	seed();
});
after(async () => { await s?.stop(); });

const count = (table) => Number(s.db.psql(`SELECT count(*) FROM ${table}`,
	true));

async function createForm(body, token = sup) {
	const r = await s.api('POST', '/api/v1/qa/forms', body, token);
	assert.equal(r.status, 201, r.text);
	return r.json;
}

/* A 400 naming the field; nothing written to the table. */
async function refused(method, p, body, field, code, table, token = sup) {
	const before = count(table);
	const r = await s.api(method, p, body, token);
	assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
	assert.match(r.headers.get('content-type'), /problem\+json/);
	assert.equal(r.json.errors?.[0]?.field, field, r.text);
	if (code)
		assert.equal(r.json.errors[0].code, code, r.text);
	assert.ok(r.json.errors[0].message, r.text);
	assert.equal(count(table), before, 'nothing written');
}

test('forms: create, read (agents too), replace, retire, delete',
	async () => {
		const f = await createForm({ ...FORM, name: '表单A' });
		assert.match(f.form_id, /^[0-9a-f-]{36}$/);
		assert.equal(f.active, true);
		assert.deepEqual(f.criteria, FORM.criteria);

		const list = await s.api('GET', '/api/v1/qa/forms', null, agent);
		assert.equal(list.status, 200, list.text);
		assert.ok(list.json.items.some((x) => x.form_id === f.form_id));
		assert.equal((await s.api('GET', `/api/v1/qa/forms/${f.form_id}`,
			null, agent)).json.name, '表单A');

		const crit = [{ name: '态度', weight: 100, max_score: 5 }];
		const u = await s.api('PUT', `/api/v1/qa/forms/${f.form_id}`,
			{ name: '表单A2', criteria: crit, active: false }, admin);
		assert.equal(u.status, 200, u.text);
		assert.equal(u.json.name, '表单A2');
		assert.equal(u.json.active, false);
		assert.deepEqual(u.json.criteria, crit);
		const active = await s.api('GET', '/api/v1/qa/forms?active=true',
			null, sup);
		assert.ok(!active.json.items.some((x) => x.form_id === f.form_id));
		assert.equal((await s.api('GET', '/api/v1/qa/forms?active=maybe',
			null, sup)).status, 400);

		const audit = s.db.psql(`SELECT string_agg(action, ',' ORDER BY
			audit_id) FROM audit_log WHERE target_id = '${f.form_id}'`,
			true);
		assert.equal(audit, 'qa_form.create,qa_form.update');

		const d = await s.api('DELETE', `/api/v1/qa/forms/${f.form_id}`,
			null, sup);
		assert.equal(d.status, 204, d.text);
		assert.equal((await s.api('GET', `/api/v1/qa/forms/${f.form_id}`,
			null, sup)).status, 404);
		assert.equal((await s.api('DELETE',
			`/api/v1/qa/forms/${f.form_id}`, null, sup)).status, 404);
		assert.equal((await s.api('PUT', `/api/v1/qa/forms/${id(999)}`,
			FORM, sup)).status, 404);
		assert.equal((await s.api('GET', '/api/v1/qa/forms/nope', null,
			sup)).status, 404);
	});

test('forms: agents may not write; a name is unique per tenant',
	async () => {
		const r = await s.api('POST', '/api/v1/qa/forms',
			{ ...FORM, name: '坐席' }, agent);
		assert.equal(r.status, 403, r.text);
		await createForm({ ...FORM, name: '重名' });
		const again = await s.api('POST', '/api/v1/qa/forms',
			{ ...FORM, name: '重名' }, sup);
		assert.equal(again.status, 409, again.text);
		assert.equal(again.json.code, 'name_taken');
		assert.equal(again.json.errors[0].field, 'name');
		/* another tenant may use the same name */
		await createForm({ ...FORM, name: '重名' }, acmeSup);
	});

test('forms: bad bodies name the field and change nothing', async () => {
	const c = (over) => ({ ...FORM, name: 'bad', ...over });
	const crit = (i, over) => FORM.criteria.map((x, j) =>
		(j === i ? { ...x, ...over } : x));
	const P = ['POST', '/api/v1/qa/forms'];
	await refused(...P, c({ criteria: crit(0, { weight: 40 }) }),
		'criteria', 'weights', 'qa_forms');
	await refused(...P, c({ criteria: [] }), 'criteria', null, 'qa_forms');
	await refused(...P, c({ criteria: Array.from({ length: 21 }, (_, i) =>
		({ name: `c${i}`, weight: 5, max_score: 1 })) }), 'criteria', null,
	'qa_forms');
	await refused(...P, c({ criteria: crit(0, { weight: 0 }) }),
		'criteria[0].weight', null, 'qa_forms');
	await refused(...P, c({ criteria: crit(1, { weight: 101 }) }),
		'criteria[1].weight', null, 'qa_forms');
	await refused(...P, c({ criteria: crit(2, { max_score: 101 }) }),
		'criteria[2].max_score', null, 'qa_forms');
	await refused(...P, c({ criteria: crit(2, { max_score: 0 }) }),
		'criteria[2].max_score', null, 'qa_forms');
	await refused(...P, c({ criteria: crit(1, { weight: '30' }) }),
		'criteria[1].weight', 'type', 'qa_forms');
	await refused(...P, c({ criteria: crit(1, { name: '开场白' }) }),
		'criteria[1].name', 'duplicate', 'qa_forms');
	await refused(...P, c({ criteria: crit(1, { name: 'x'.repeat(65) }) }),
		'criteria[1].name', null, 'qa_forms');
	await refused(...P, c({ criteria: crit(0, { name: ' 开场白' }) }),
		'criteria[0].name', 'format', 'qa_forms');
	await refused(...P, c({ criteria: crit(0, { extra: 1 }) }),
		'criteria[0].extra', null, 'qa_forms');
	await refused(...P, c({ criteria: ['开场白', 'x', 'y'] }),
		'criteria[0]', 'type', 'qa_forms');
	await refused(...P, c({ criteria: 'all' }), 'criteria', null,
		'qa_forms');
	await refused(...P, c({ name: '' }), 'name', null, 'qa_forms');
	await refused(...P, c({ name: '表'.repeat(65) }), 'name', null,
		'qa_forms');
	await refused(...P, { criteria: FORM.criteria }, 'name', 'required',
		'qa_forms');
	await refused(...P, c({ active: 'yes' }), 'active', null, 'qa_forms');
	const raw = await s.api('POST', '/api/v1/qa/forms', '{"name":', sup,
		{ 'content-type': 'application/json' });
	assert.equal(raw.status, 400, raw.text);
	const f = await createForm({ ...FORM, name: '改坏' });
	await refused('PUT', `/api/v1/qa/forms/${f.form_id}`,
		c({ criteria: crit(2, { weight: 21 }) }), 'criteria', 'weights',
		'qa_forms');
	assert.equal((await s.api('GET', `/api/v1/qa/forms/${f.form_id}`, null,
		sup)).json.name, '改坏');
});

const reviews = (rec, token = sup) => s.api('GET',
	`/api/v1/recordings/${rec}/reviews`, null, token);

test('a review: total from weights, agent and queue from the call, audited',
	async () => {
		const f = await createForm({ ...FORM, name: '评分' });
		const body = { form_id: f.form_id, comment: '开场白略快',
			scores: [{ criterion: '结束语', score: 0 },
				{ criterion: '开场白', score: 8 },
				{ criterion: '解决问题', score: 5 }] };
		const r = await s.api('POST',
			`/api/v1/recordings/${REC.ready}/reviews`, body, sup);
		assert.equal(r.status, 201, r.text);
		/* 50·8/10 + 30·5/5 + 20·0/1 */
		assert.equal(Number(r.json.total), 70);
		assert.equal(r.json.agent_id, agentId);
		assert.equal(r.json.queue_id, queueId);
		assert.equal(r.json.call_id, CALL.demo);
		assert.equal(r.json.form_name, '评分');
		assert.equal(r.json.reviewer_name.length > 0, true);
		assert.equal(r.json.comment, '开场白略快');
		/* stored in the form's order with the weights scored under */
		assert.deepEqual(r.json.scores.map((x) => [x.criterion, x.score,
			x.weight, x.max_score]), [['开场白', 8, 50, 10],
			['解决问题', 5, 30, 5], ['结束语', 0, 20, 1]]);

		const l = await reviews(REC.ready);
		assert.equal(l.status, 200, l.text);
		assert.equal(l.json.items[0].review_id, r.json.review_id);
		const a = s.db.psql(`SELECT action || ' ' || (detail->>'total')
			FROM audit_log WHERE target_id = '${r.json.review_id}'`, true);
		assert.equal(a, 'qa_review.create 70.00');

		/* the form changes; the review keeps what it was scored with */
		assert.equal((await s.api('PUT', `/api/v1/qa/forms/${f.form_id}`,
			{ name: '评分', criteria: [{ name: '态度', weight: 100,
				max_score: 3 }] }, sup)).status, 200);
		const kept = (await reviews(REC.ready)).json.items[0];
		assert.equal(kept.scores[0].weight, 50);
		assert.equal(Number(kept.total), 70);

		/* a form reviews use is retired, not deleted */
		const d = await s.api('DELETE', `/api/v1/qa/forms/${f.form_id}`,
			null, sup);
		assert.equal(d.status, 409, d.text);
		assert.equal(d.json.code, 'form_in_use');
		assert.match(d.json.detail, /active/);
	});

test('a review: every bad score refused, naming the field', async () => {
	const f = await createForm({ ...FORM, name: '校验' });
	const ok = [{ criterion: '开场白', score: 10 },
		{ criterion: '解决问题', score: 0 }, { criterion: '结束语', score: 1 }];
	const P = ['POST', `/api/v1/recordings/${REC.ready}/reviews`];
	const b = (scores, over) => ({ form_id: f.form_id, scores, ...over });
	await refused(...P, b(ok.slice(0, 2)), 'scores', 'missing',
		'qa_reviews');
	await refused(...P, b([{ criterion: '开场白', score: 11 },
		...ok.slice(1)]), 'scores[0].score', 'range', 'qa_reviews');
	await refused(...P, b([...ok, { criterion: '开场白', score: 1 }]),
		'scores[3].criterion', 'duplicate', 'qa_reviews');
	await refused(...P, b([...ok.slice(0, 2), { criterion: '礼貌',
		score: 1 }]), 'scores[2].criterion', 'unknown', 'qa_reviews');
	await refused(...P, b([{ criterion: '开场白', score: -1 },
		...ok.slice(1)]), 'scores[0].score', null, 'qa_reviews');
	await refused(...P, b([{ criterion: '开场白', score: 2.5 },
		...ok.slice(1)]), 'scores[0].score', 'type', 'qa_reviews');
	await refused(...P, b([{ criterion: '开场白' }, ...ok.slice(1)]),
		'scores[0].score', 'required', 'qa_reviews');
	await refused(...P, b([]), 'scores', null, 'qa_reviews');
	await refused(...P, b(ok, { comment: 'x'.repeat(2001) }), 'comment',
		null, 'qa_reviews');
	await refused(...P, b(ok, { form_id: 'not-a-uuid' }), 'form_id', null,
		'qa_reviews');
	await refused(...P, { scores: ok }, 'form_id', 'required',
		'qa_reviews');

	const n = count('qa_reviews');
	const post = (rec, body, token = sup) => s.api('POST',
		`/api/v1/recordings/${rec}/reviews`, body, token);
	let r = await post(REC.ready, b(ok, { form_id: id(77) }));
	assert.equal(r.status, 404, r.text);
	assert.equal(r.json.code, 'form_not_found');
	r = await post(id(78), b(ok));
	assert.equal(r.status, 404, r.text);
	assert.equal((await post('x', b(ok))).status, 404);
	r = await post(REC.recording, b(ok));
	assert.equal(r.status, 409, r.text);
	assert.equal(r.json.code, 'recording_not_ready');
	assert.equal((await post(REC.failed, b(ok))).status, 409);
	assert.equal((await post(REC.ready, b(ok), agent)).status, 403);
	assert.equal((await reviews(REC.ready, agent)).status, 403);

	const retired = await createForm({ ...FORM, name: '退役',
		active: false });
	await refused(...P, b(ok, { form_id: retired.form_id }), 'form_id',
		'inactive', 'qa_reviews');
	assert.equal(count('qa_reviews'), n, 'no review written');
});

test("another tenant's forms and recordings are not found", async () => {
	const mine = await createForm({ ...FORM, name: '本租户' });
	const theirs = await createForm({ ...FORM, name: '他租户' }, acmeSup);
	const ok = FORM.criteria.map((c) => ({ criterion: c.name, score: 1 }));
	const n = count('qa_reviews');

	/* acme's supervisor: demo's form and recording do not exist */
	assert.equal((await s.api('GET', `/api/v1/qa/forms/${mine.form_id}`,
		null, acmeSup)).status, 404);
	assert.equal((await s.api('PUT', `/api/v1/qa/forms/${mine.form_id}`,
		FORM, acmeSup)).status, 404);
	assert.equal((await s.api('DELETE', `/api/v1/qa/forms/${mine.form_id}`,
		null, acmeSup)).status, 404);
	const list = await s.api('GET', '/api/v1/qa/forms?limit=200', null,
		acmeSup);
	assert.deepEqual(list.json.items.map((f) => f.form_id).sort(),
		s.db.psql(`SELECT string_agg(form_id::text, ',' ORDER BY form_id)
			FROM qa_forms WHERE tenant_id = '${acme}'`, true).split(','));
	let r = await s.api('POST', `/api/v1/recordings/${REC.ready}/reviews`,
		{ form_id: theirs.form_id, scores: ok }, acmeSup);
	assert.equal(r.status, 404, r.text);
	assert.equal((await reviews(REC.ready, acmeSup)).status, 404);

	/* demo's supervisor with acme's form, or on acme's recording */
	r = await s.api('POST', `/api/v1/recordings/${REC.ready}/reviews`,
		{ form_id: theirs.form_id, scores: ok }, sup);
	assert.equal(r.status, 404, r.text);
	assert.equal(r.json.code, 'form_not_found');
	r = await s.api('POST', `/api/v1/recordings/${REC.acme}/reviews`,
		{ form_id: mine.form_id, scores: ok }, sup);
	assert.equal(r.status, 404, r.text);
	assert.equal(count('qa_reviews'), n);
	assert.ok(!(await s.api('GET', '/api/v1/qa/results?group=agent', null,
		acmeSup)).json.items.some((x) => x.agent_id === agentId));
});

test('results: averages and counts per agent and per queue', async () => {
	const f = await createForm({ name: '结果', criteria: [
		{ name: '总体', weight: 100, max_score: 4 }] });
	const post = async (rec, score) => {
		const r = await s.api('POST', `/api/v1/recordings/${rec}/reviews`,
			{ form_id: f.form_id, scores: [{ criterion: '总体', score }] },
			sup);
		assert.equal(r.status, 201, r.text);
	};
	const window = '&from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z';
	const base = (await s.api('GET', `/api/v1/qa/results?group=agent${
		window}`, null, sup)).json.items.find((x) => x.agent_id ===
		agentId) || { reviews: 0, average: 0 };
	await post(REC.ready, 4);
	await post(REC.ready, 1);
	await post(REC.other, 2);

	const r = await s.api('GET', `/api/v1/qa/results?group=agent${window}`,
		null, sup);
	assert.equal(r.status, 200, r.text);
	assert.equal(r.json.group, 'agent');
	const mine = r.json.items.find((x) => x.agent_id === agentId);
	assert.equal(mine.reviews, base.reviews + 2);
	assert.ok(mine.agent_name);
	assert.equal(Number(mine.max) >= 100, true);
	/* the call of 11-20 is outside the window */
	assert.ok(!r.json.items.some((x) => x.agent_id === null));
	const all = await s.api('GET', '/api/v1/qa/results?group=agent', null,
		sup);
	const none = all.json.items.find((x) => x.agent_id === null);
	assert.equal(none.reviews, 1);
	assert.equal(Number(none.average), 50);

	const q = await s.api('GET', `/api/v1/qa/results?group=queue${window}`,
		null, sup);
	assert.equal(q.status, 200, q.text);
	const qi = q.json.items.find((x) => x.queue_id === queueId);
	assert.ok(qi.queue_name);
	assert.equal(qi.reviews, mine.reviews);
	assert.equal(Number(qi.average), Number(mine.average));

	for (const bad of ['', '?group=team', '?group=agent&from=yesterday',
		'?group=agent&to=2026-11-02T25:00:00Z&from=2026-11-01']) {
		const b = await s.api('GET', `/api/v1/qa/results${bad}`, null, sup);
		assert.equal(b.status, 400, `${bad} → ${b.text}`);
	}
	assert.equal((await s.api('GET', '/api/v1/qa/results?group=agent',
		null, agent)).status, 403);
});

test('a purged recording takes its reviews along and is not found',
	async () => {
		const f = await createForm({ ...FORM, name: '清理' });
		const gone = id(6);
		s.db.psql(`INSERT INTO recordings (recording_id, tenant_id,
			call_id, status, path, key_no, channels, bitrate, duration_ms)
			VALUES ('${gone}', '${demo}', '${CALL.demo}', 'ready',
			'f.osrec', 1, 2, 32, 1000)`, true);
		const ok = FORM.criteria.map((c) => ({ criterion: c.name,
			score: 0 }));
		const r = await s.api('POST', `/api/v1/recordings/${gone}/reviews`,
			{ form_id: f.form_id, scores: ok }, sup);
		assert.equal(r.status, 201, r.text);
		assert.equal(Number(r.json.total), 0);
		/* as the retention purge deletes it */
		s.db.psql(`DELETE FROM recordings WHERE recording_id = '${gone}'`,
			true);
		assert.equal(Number(s.db.psql(`SELECT count(*) FROM qa_reviews
			WHERE recording_id = '${gone}'`, true)), 0);
		assert.equal((await reviews(gone)).status, 404);
		const again = await s.api('POST',
			`/api/v1/recordings/${gone}/reviews`,
			{ form_id: f.form_id, scores: ok }, sup);
		assert.equal(again.status, 404, again.text);
	});
