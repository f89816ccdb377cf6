/* /api/v1/schedules: a tenant's shared opening hours. */
#include <stdlib.h>
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
#include "schedule/schedule.h"

/*
 * The body is checked twice: the route's table for the fields' types,
 * then schedule_parse() for what the table cannot say (times, dates,
 * the zone). What is stored is what was sent, so a GET returns it as
 * written. Changes NOTIFY the other nodes' caches in the same
 * transaction; this node forgets its copy when the change committed.
 */

#define SCHEDULE_JSON \
	"json_build_object('schedule_id', s.schedule_id, 'name', s.name," \
	" 'timezone', s.timezone, 'weekly', s.weekly, 'exceptions'," \
	" s.exceptions, 'created_at', s.created_at, 'updated_at'," \
	" s.updated_at)"

#define NOTIFY_SQL "SELECT pg_notify('" SCHEDULE_CHANNEL "', $1)"

static const struct param body_params[] = {
	{"name", PARAM_STRING, true, 1, 100, NULL, false},
	{"timezone", PARAM_STRING, true, 1, 64, NULL, false},
	{"weekly", PARAM_ARRAY, false, 0, SCHED_WEEKLY_MAX, NULL, false},
	{"exceptions", PARAM_ARRAY, false, 0, SCHED_EXCEPTIONS_MAX, NULL,
	 false},
};


static void schedule_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " SCHEDULE_JSON ", s.created_at::text,"
		" s.schedule_id::text FROM schedules s"
		" WHERE ($1::timestamptz IS NULL OR (s.created_at,"
		" s.schedule_id) > ($1::timestamptz, $2::uuid))"
		" ORDER BY s.created_at, s.schedule_id LIMIT $3::int + 1";

	api_list(req, sql);
}


static void schedule_get_h(struct http_req *req)
{
	static const char sql[] =
		"SELECT " SCHEDULE_JSON " FROM schedules s"
		" WHERE s.schedule_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "schedule_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, api_row_200);
}


/* Deep check of the body; replies 400 naming the field when it fails. */
static bool body_ok(struct http_req *req)
{
	struct schedule *s = NULL;
	struct sched_error e;
	int err;

	memset(&e, 0, sizeof(e));
	err = schedule_parse(&s, http_req_json(req), &e);
	mem_deref(s);
	if (!err)
		return true;

	if (err == EINVAL)
		api_reply_invalid(req, e.field, e.code, e.message);
	else
		http_reply_error(req, err);

	return false;
}


/* weekly and exceptions as JSON text ("[]" when absent) */
static int lists_text(struct http_req *req, char **weeklyp, char **excp)
{
	int err = api_json_text(req, "weekly", weeklyp);

	err = err ? err : api_json_text(req, "exceptions", excp);
	if (!err && !*weeklyp)
		err = str_dup(weeklyp, "[]");
	if (!err && !*excp)
		err = str_dup(excp, "[]");

	return err;
}


static void created(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 201, res, 0);
}


static void updated(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 0) >= 1)
		schedule_forget(http_req_param(req, "schedule_id"));

	api_reply_row(req, 200, res, 0);
}


static void run_txn(struct http_req *req, struct db_txn *tx, int err,
		    const char *id, api_rows_h *h)
{
	err = err ? err : db_txn_add(tx, NOTIFY_SQL, 1, &id);
	api_txn_run(req, tx, err, h);
}


static void schedule_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO schedules AS s (schedule_id, tenant_id, name,"
		" timezone, weekly, exceptions)"
		" VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)"
		" RETURNING " SCHEDULE_JSON;
	const char *tenant_id = http_req_principal(req)->tenant_id;
	struct api_audit_what w = {tenant_id, "schedule.create", "schedule",
				   NULL, NULL};
	struct db_ctx ctx = api_ctx(req);
	char *weekly = NULL, *exc = NULL;
	struct db_txn *tx = NULL;
	char id[UUID_STRLEN];
	const char *pv[6];
	int err;

	if (!body_ok(req))
		return;

	uuid_v4(id);
	err = lists_text(req, &weekly, &exc);
	pv[0] = id;
	pv[1] = tenant_id;
	pv[2] = api_str(req, "name");
	pv[3] = api_str(req, "timezone");
	pv[4] = weekly;
	pv[5] = exc;
	w.target_id = id;

	err = err ? err : db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 6, pv, &w);
	run_txn(req, tx, err, id, created);
	mem_deref(weekly);
	mem_deref(exc);
}


static void schedule_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE schedules s SET name = $2, timezone = $3,"
		" weekly = $4::jsonb, exceptions = $5::jsonb,"
		" updated_at = now() WHERE s.schedule_id = $1"
		" RETURNING " SCHEDULE_JSON;
	const char *id = api_path_uuid(req, "schedule_id");
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   "schedule.update", "schedule", id, NULL};
	struct db_ctx ctx = api_ctx(req);
	char *weekly = NULL, *exc = NULL;
	struct db_txn *tx = NULL;
	const char *pv[5];
	int err;

	if (!id || !body_ok(req))
		return;

	err = lists_text(req, &weekly, &exc);
	pv[0] = id;
	pv[1] = api_str(req, "name");
	pv[2] = api_str(req, "timezone");
	pv[3] = weekly;
	pv[4] = exc;

	err = err ? err : db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 5, pv, &w);
	run_txn(req, tx, err, id, updated);
	mem_deref(weekly);
	mem_deref(exc);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	schedule_forget(http_req_param(req, "schedule_id"));
	http_reply_empty(req, 204);
}


/* Who uses it: column 0 names the flows, column 1 the numbers. */
static void users_found(struct http_req *req, const struct db_res *res)
{
	static const char sql[] =
		"DELETE FROM schedules s WHERE s.schedule_id = $1"
		" RETURNING " SCHEDULE_JSON;
	const char *flows = db_val(res, 0, 0, 0);
	const char *numbers = db_val(res, 0, 0, 1);
	const char *id = http_req_param(req, "schedule_id");
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   "schedule.delete", "schedule", id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	char detail[600];
	int err;

	if (flows || numbers) {
		(void)re_snprintf(detail, sizeof(detail),
				  "The schedule is in use%s%s%s%s; change "
				  "them first.",
				  flows ? " by flows " : "",
				  flows ? flows : "",
				  numbers ? " by numbers " : "",
				  numbers ? numbers : "");
		http_reply_problem(req, 409, "in_use", detail);
		return;
	}

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 1, &id, &w);
	run_txn(req, tx, err, id, deleted);
}


static void schedule_delete(struct http_req *req)
{
	static const char sql[] =
		"SELECT (SELECT string_agg(f.name, ', ' ORDER BY f.name)"
		" FROM flow_schedules fs JOIN flows f"
		" ON f.flow_id = fs.flow_id WHERE fs.schedule_id = $1::uuid),"
		" (SELECT string_agg(n.number, ', ' ORDER BY n.number)"
		" FROM numbers n WHERE n.routes @> jsonb_build_array("
		"jsonb_build_object('schedule_id', $1::text)))";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "schedule_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, users_found);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/schedules", HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0,
	 schedule_list},
	{"POST", "/api/v1/schedules", HTTP_TENANT, ROLE_ADMIN,
	 P(body_params), schedule_create},
	{"GET", "/api/v1/schedules/{schedule_id}", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, schedule_get_h},
	{"PUT", "/api/v1/schedules/{schedule_id}", HTTP_TENANT, ROLE_ADMIN,
	 P(body_params), schedule_update},
	{"DELETE", "/api/v1/schedules/{schedule_id}", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, schedule_delete},
};


/** Register the schedules API. */
int schedule_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
