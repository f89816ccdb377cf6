/* /api/v1/recordings/{recording_id}/reviews and /api/v1/qa/results:
 * scoring a recording with a QA form, and the averages. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "recording/qa_int.h"

/*
 * A review is checked and totalled by qa_score() (qa_score.c). It
 * stores each score with the weight and max_score it was given under,
 * so editing the form later does not change what past reviews say.
 * Agent and queue are copied from the call, so results group by who
 * took the call even after the agent's queues change.
 */

#define REVIEW_JSON \
	"json_build_object('review_id', q.review_id, 'recording_id'," \
	" q.recording_id, 'call_id', q.call_id, 'form_id', q.form_id," \
	" 'form_name', (SELECT qf.name FROM qa_forms qf" \
	" WHERE qf.form_id = q.form_id), 'reviewer_id', q.reviewer_id," \
	" 'reviewer_name', (SELECT COALESCE(NULLIF(u.display_name, '')," \
	" u.username) FROM users u WHERE u.user_id = q.reviewer_id)," \
	" 'agent_id', q.agent_id, 'queue_id', q.queue_id, 'scores'," \
	" q.scores, 'total', q.total, 'comment', q.comment," \
	" 'created_at', q.created_at)"

static const struct param review_params[] = {
	{"form_id", PARAM_UUID, true, 0, 0, NULL, false},
	{"scores", PARAM_ARRAY, true, 1, QA_CRITERIA_MAX, NULL, false},
	{"comment", PARAM_STRING, false, 0, QA_COMMENT_MAX, NULL, false},
};

static const struct param score_params[] = {
	{"criterion", PARAM_STRING, true, 1, QA_NAME_MAX, NULL, false},
	{"score", PARAM_INT, true, 0, 100, NULL, false},
};

/* What the lookup before a review found (columns of its one row). */
enum {
	COL_STATUS, COL_CALL, COL_AGENT, COL_QUEUE, COL_CRITERIA, COL_ACTIVE
};


/* The lookup's verdict on recording and form; false if replied. */
static bool target_ok(struct http_req *req, const struct db_res *res)
{
	const char *status = db_val(res, 0, 0, COL_STATUS);
	const char *active = db_val(res, 0, 0, COL_ACTIVE);

	if (db_nrows(res, 0) < 1) {
		http_reply_problem(req, 404, "not_found", "No recording with "
				   "this id in your tenant.");
		return false;
	}

	if (!db_val(res, 0, 0, COL_CRITERIA)) {
		http_reply_problem(req, 404, "form_not_found", "No QA form "
				   "with this form_id in your tenant.");
		return false;
	}

	if (active && strcmp(active, "true")) {
		api_reply_invalid(req, "form_id", "inactive", "this form is "
				  "retired; choose an active one");
		return false;
	}

	if (status && (!strcmp(status, "recording") ||
		       !strcmp(status, "failed"))) {
		http_reply_problem(req, 409, "recording_not_ready",
				   !strcmp(status, "failed") ?
				   "The recording failed; there is nothing "
				   "to review." : "The call is still being "
				   "recorded; review it once it is ready.");
		return false;
	}

	return true;
}


static void review_insert(struct http_req *req, const struct db_res *res,
			  const char *scores, const char *total)
{
	static const char sql[] =
		"INSERT INTO qa_reviews AS q (review_id, tenant_id,"
		" recording_id, call_id, form_id, reviewer_id, agent_id,"
		" queue_id, scores, total, comment) VALUES ($1, $2, $3, $4,"
		" $5, $6, $7, $8, $9::jsonb, $10::numeric, COALESCE($11, ''))"
		" RETURNING " REVIEW_JSON;
	const struct principal *p = http_req_principal(req);
	struct api_audit_what w = {p->tenant_id, "qa_review.create",
				   "qa_review", NULL, NULL};
	struct db_ctx ctx = api_ctx(req);
	char review_id[UUID_STRLEN], detail[200];
	struct db_txn *tx = NULL;
	const char *pv[11];
	int err;

	uuid_v4(review_id);
	pv[0] = w.target_id = review_id;
	pv[1] = p->tenant_id;
	pv[2] = http_req_param(req, "recording_id");
	pv[3] = db_val(res, 0, 0, COL_CALL);
	pv[4] = api_str(req, "form_id");
	pv[5] = p->id;
	pv[6] = db_val(res, 0, 0, COL_AGENT);
	pv[7] = db_val(res, 0, 0, COL_QUEUE);
	pv[8] = scores;
	pv[9] = total;
	pv[10] = api_str(req, "comment");

	(void)re_snprintf(detail, sizeof(detail), "{\"recording_id\":\"%s\","
			  "\"form_id\":\"%s\",\"total\":%s}", pv[2], pv[4],
			  total);
	w.detail_sql = detail;

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 11, pv, &w);
	qa_run(req, tx, err, qa_reply_created);
}


static void target_found(struct http_req *req, const struct db_res *res)
{
	json_t *criteria = NULL;
	struct qa_score_error e;
	char *scores = NULL;
	char total[24];
	int err;

	if (!target_ok(req, res))
		return;

	criteria = json_loads(db_val(res, 0, 0, COL_CRITERIA), 0, NULL);
	err = qa_score(criteria, json_object_get(http_req_json(req),
						 "scores"),
		       &scores, total, sizeof(total), &e);
	json_decref(criteria);
	if (err == EINVAL)
		api_reply_invalid(req, e.field, e.code, e.message);
	else if (err)
		http_reply_error(req, err);
	else
		review_insert(req, res, scores, total);

	mem_deref(scores);
}


static void review_create(struct http_req *req)
{
	static const char sql[] =
		"SELECT r.status, r.call_id::text, c.agent_id::text,"
		" c.queue_id::text, f.criteria::text, f.active::text"
		" FROM recordings r LEFT JOIN calls c"
		" ON c.call_id = r.call_id LEFT JOIN qa_forms f"
		" ON f.form_id = $2::uuid WHERE r.recording_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "recording_id");
	const char *pv[2];

	if (!id || !api_array_ok(req, "scores", score_params,
				ARRAY_SIZE(score_params)))
		return;

	pv[0] = id;
	pv[1] = api_str(req, "form_id");
	api_query(req, &ctx, sql, 2, pv, target_found);
}


/* Newest first; a recording has a handful, so one page holds them. */
static void review_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT json_build_object('items', COALESCE((SELECT"
		" json_agg(" REVIEW_JSON " ORDER BY q.created_at DESC)"
		" FROM qa_reviews q WHERE q.recording_id = r.recording_id),"
		" '[]'::json), 'next_cursor', NULL)"
		" FROM recordings r WHERE r.recording_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "recording_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, qa_reply_ok);
}


/* ISO 8601 as PostgreSQL reads it; it rejects what only looks so. */
static bool time_arg(struct http_req *req, const char *name,
		     const char **pvp)
{
	const char *s = http_req_query(req, name);
	size_t n = s ? strlen(s) : 0;

	*pvp = s;
	if (!s)
		return true;

	for (size_t i = 0; i < n && n >= 10 && n <= 40; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (i >= 4 && strchr("-:T.+Z ",
								  c))))
			n = 0;
	}

	if (n >= 10 && n <= 40 && s[4] == '-')
		return true;

	api_reply_invalid(req, name, "format", "must be an ISO 8601 time, "
			  "e.g. 2026-11-25T08:00:00Z");
	return false;
}


#define RESULTS_SQL(key, name, alias, join) \
	"SELECT json_build_object('group', $1::text, 'from'," \
	" $2::timestamptz, 'to', $3::timestamptz, 'items'," \
	" COALESCE(json_agg(x ORDER BY x.average DESC, x.reviews DESC)," \
	" '[]'::json)) FROM (SELECT q." key ", " name " AS " alias \
	", count(*) AS reviews, round(avg(q.total), 2)" \
	" AS average, min(q.total) AS min, max(q.total) AS max" \
	" FROM qa_reviews q JOIN recordings r" \
	" ON r.recording_id = q.recording_id " join \
	" WHERE ($2::timestamptz IS NULL OR r.started_at >= $2)" \
	" AND ($3::timestamptz IS NULL OR r.started_at < $3)" \
	" GROUP BY 1, 2) x"

/*
 * Averages of review totals per agent or per queue, for calls recorded
 * from..to (the call's time, not the review's: a month's QA is about
 * that month's calls). Reviews of calls without an agent or a queue
 * make one group with a null id.
 */
static void qa_results(struct http_req *req)
{
	static const char by_agent[] = RESULTS_SQL("agent_id",
		"COALESCE(NULLIF(u.display_name, ''), u.username)",
		"agent_name", "LEFT JOIN users u ON u.user_id = q.agent_id");
	static const char by_queue[] = RESULTS_SQL("queue_id", "qu.name",
		"queue_name",
		"LEFT JOIN queues qu ON qu.queue_id = q.queue_id");
	const char *group = http_req_query(req, "group");
	struct db_ctx ctx = api_ctx(req);
	const char *pv[3];
	bool agent = group && !strcmp(group, "agent");

	if (!agent && !(group && !strcmp(group, "queue"))) {
		api_reply_invalid(req, "group", group ? "enum" : "required",
				  "must be agent or queue");
		return;
	}

	if (!time_arg(req, "from", &pv[1]) || !time_arg(req, "to", &pv[2]))
		return;

	pv[0] = group;
	api_query(req, &ctx, agent ? by_agent : by_queue, 3, pv, qa_reply_ok);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"POST", "/api/v1/recordings/{recording_id}/reviews", HTTP_TENANT,
	 ROLE_SUPERVISOR, P(review_params), review_create},
	{"GET", "/api/v1/recordings/{recording_id}/reviews", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, review_list},
	{"GET", "/api/v1/qa/results", HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0,
	 qa_results},
};


/** Register the reviews and results API. */
int qa_review_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
