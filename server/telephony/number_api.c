/* /api/v1/numbers: the operator assigns numbers, tenant admins route them. */
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
#include "telephony/telephony.h"
#include "telephony/tel_int.h"

/*
 * The operator assigns a number to a tenant (POST) and takes it back
 * (DELETE); the tenant's admin chooses what answers it (PATCH flow_id,
 * routes, enabled). Whether the flows and schedules named exist in the
 * tenant is asked of PostgreSQL (telephony_number_refs_missing, under
 * the tenant's RLS) in the same transaction as the update. The label
 * names the hotline on the agent's screen pop; either may set it, and
 * it is stored trimmed so "售后热线 " and "售后热线" are not two names.
 */

#define NUMBER_JSON \
	"json_build_object('number_id', n.number_id," \
	" 'tenant_id', n.tenant_id," \
	" 'tenant_code', (SELECT x.code FROM tenants x" \
	" WHERE x.tenant_id = n.tenant_id), 'number', n.number," \
	" 'trunk_id', n.trunk_id, 'flow_id', n.flow_id, 'routes', n.routes," \
	" 'enabled', n.enabled, 'recording', n.recording," \
	" 'label', n.label," \
	" 'created_at', n.created_at," \
	" 'updated_at', n.updated_at)"

#define NOTIFY_SQL "SELECT pg_notify('" TEL_CHANNEL "', '')"

enum { ROUTES_MAX = 32, LABEL_MAX = 64 };

/* The recording policy of calls to this number; null: the tenant's. */
static const char *const rec_modes[] = {"all", "inbound", "outbound",
					"none", NULL};

static const struct param create_params[] = {
	{"number", PARAM_STRING, true, 1, 64, NULL, false},
	{"tenant_id", PARAM_UUID, true, 0, 0, NULL, false},
	{"trunk_id", PARAM_UUID, false, 0, 0, NULL, true},
	{"label", PARAM_STRING, false, 0, LABEL_MAX, NULL, false},
};

static const struct param update_params[] = {
	{"flow_id", PARAM_UUID, false, 0, 0, NULL, true},
	{"routes", PARAM_ARRAY, false, 0, ROUTES_MAX, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
	{"recording", PARAM_ENUM, false, 0, 0, rec_modes, true},
	{"label", PARAM_STRING, false, 0, LABEL_MAX, NULL, false},
};

static const struct param route_params[] = {
	{"schedule_id", PARAM_UUID, true, 0, 0, NULL, false},
	{"flow_id", PARAM_UUID, true, 0, 0, NULL, false},
};

/*
 * The parameter table refuses control characters but lets tab and
 * newline through, as free text may hold them; a label is one line.
 */
static bool label_ok(struct http_req *req)
{
	const char *label = api_str(req, "label");

	if (!label || !strpbrk(label, "\t\n"))
		return true;

	api_reply_invalid(req, "label", "format",
			  "must not contain control characters");
	return false;
}


/* Reads: the operator, or a tenant's admin (own numbers, by RLS). */
static bool reader_ok(struct http_req *req)
{
	const struct principal *p = http_req_principal(req);

	if (p->kind == PRINCIPAL_OPERATOR ||
	    (p->tenant_id[0] && p->role >= ROLE_ADMIN))
		return true;

	http_reply_problem(req, 403, "forbidden",
			   "Your role does not allow this.");
	return false;
}


static void number_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " NUMBER_JSON ", n.created_at::text, n.number_id::text"
		" FROM numbers n"
		" WHERE ($1::uuid IS NULL OR n.tenant_id = $1::uuid)"
		" AND ($2::text IS NULL OR n.number = $2)"
		" AND ($3::timestamptz IS NULL OR (n.created_at, n.number_id)"
		" > ($3::timestamptz, $4::uuid))"
		" ORDER BY n.created_at, n.number_id LIMIT $5::int + 1";
	const char *tenant = http_req_query(req, "tenant_id");
	const char *number = http_req_query(req, "number");
	struct api_page pg;
	char norm[33];
	const char *pv[2];

	if (!reader_ok(req) || !api_page_get(req, &pg))
		return;

	if (tenant && !api_uuid_ok(tenant)) {
		api_reply_invalid(req, "tenant_id", "format",
				  "must be a UUID");
		return;
	}
	if (number && tel_normalize(norm, sizeof(norm), number)) {
		api_reply_invalid(req, "number", "format",
				  "must be a telephone number");
		return;
	}

	pv[0] = tenant;
	pv[1] = number ? norm : NULL;
	api_page_query(req, &pg, sql, 2, pv);
}


static void number_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " NUMBER_JSON " FROM numbers n WHERE n.number_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *id;

	if (!reader_ok(req) || !(id = api_path_uuid(req, "number_id")))
		return;

	api_query(req, &ctx, sql, 1, &id, api_row_200);
}


static void changed(struct http_req *req, const struct db_res *res,
		    unsigned status)
{
	(void)tel_reload();
	if (status == 204)
		http_reply_empty(req, 204);
	else
		api_reply_row(req, status, res, 0);
}


/* Not inserted: stmt 1 says whether the tenant exists. */
static void created(struct http_req *req, const struct db_res *res)
{
	const char *tenant_ok = db_val(res, 1, 0, 0);

	if (db_nrows(res, 0) >= 1)
		changed(req, res, 201);
	else if (!tenant_ok || strcmp(tenant_ok, "t"))
		api_reply_invalid(req, "tenant_id", "not_found",
				  "no tenant has this id");
	else
		api_reply_invalid(req, "trunk_id", "not_found",
				  "no trunk with this id is shared or "
				  "belongs to this tenant");
}


static void run_change(struct http_req *req, struct db_txn *tx, int err,
		       api_rows_h *h)
{
	err = err ? err : db_txn_add(tx, NOTIFY_SQL, 0, NULL);
	api_txn_run(req, tx, err, h);
}


static void number_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO numbers AS n (number_id, tenant_id, number,"
		" trunk_id, label)"
		" SELECT $1, $2, $3, $4::uuid, COALESCE(btrim($5), '')"
		" WHERE EXISTS (SELECT 1 FROM tenants x"
		" WHERE x.tenant_id = $2)"
		" AND ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM trunks t"
		" WHERE t.trunk_id = $4::uuid AND (t.tenant_id IS NULL"
		" OR t.tenant_id = $2)))"
		" RETURNING " NUMBER_JSON;
	static const char sql_tenant[] =
		"SELECT EXISTS (SELECT 1 FROM tenants WHERE tenant_id = $1)";
	const char *tenant_id = api_str(req, "tenant_id");
	struct api_audit_what w = {tenant_id, "number.assign", "number",
				   NULL, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	char number_id[UUID_STRLEN], norm[33];
	const char *pv[5];
	int err;

	if (!label_ok(req))
		return;

	if (tel_normalize(norm, sizeof(norm), api_str(req, "number"))) {
		api_reply_invalid(req, "number", "format",
				  "must be a telephone number of 3 to 32 "
				  "digits, e.g. 4001000100 or +86 10 1234 "
				  "5678");
		return;
	}

	uuid_v4(number_id);
	pv[0] = number_id;
	pv[1] = tenant_id;
	pv[2] = norm;
	pv[3] = api_str(req, "trunk_id");
	pv[4] = api_str(req, "label");
	w.target_id = number_id;

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 5, pv, &w);
	err = err ? err : db_txn_add(tx, sql_tenant, 1, &tenant_id);
	run_change(req, tx, err, created);
}


/* Each route is {schedule_id, flow_id}, nothing else. */
static bool routes_ok(struct http_req *req)
{
	json_t *routes = json_object_get(http_req_json(req), "routes");
	size_t i;
	json_t *r;

	json_array_foreach(routes, i, r) {
		struct param_error e;
		size_t errc = 0;
		char field[96];

		if (!param_validate(r, route_params, ARRAY_SIZE(route_params),
				    false, &e, 1, &errc))
			continue;

		if (errc && e.field[0])
			(void)re_snprintf(field, sizeof(field),
					  "routes[%zu].%s", i, e.field);
		else
			(void)re_snprintf(field, sizeof(field), "routes[%zu]",
					  i);

		api_reply_invalid(req, field, errc ? e.code : "type",
				  errc && e.field[0] ? e.message :
				  "must be an object with schedule_id and "
				  "flow_id");
		return false;
	}

	return true;
}


/* Not updated: stmt 1 says whether the number exists, then what is
 * missing. */
static void updated(struct http_req *req, const struct db_res *res)
{
	const char *exists = db_val(res, 1, 0, 0);
	const char *missing = db_val(res, 1, 0, 1);

	if (db_nrows(res, 0) >= 1)
		changed(req, res, 200);
	else if (!exists || strcmp(exists, "t"))
		http_reply_error(req, ENOENT);
	else if (missing)
		api_reply_invalid(req, missing, "not_found",
				  strstr(missing, "schedule") ?
				  "no schedule with this id in your tenant" :
				  "no flow with this id in your tenant");
	else
		http_reply_error(req, ENOENT);
}


static void number_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE numbers n SET flow_id = CASE WHEN $2::bool"
		" THEN $3::uuid ELSE n.flow_id END,"
		" routes = COALESCE($4::jsonb, n.routes),"
		" enabled = COALESCE($5::bool, n.enabled),"
		" recording = CASE WHEN $6::bool THEN $7 ELSE n.recording END,"
		" label = COALESCE(btrim($8), n.label),"
		" updated_at = now() WHERE n.number_id = $1"
		" AND telephony_number_refs_missing($3::uuid, $4::jsonb)"
		" IS NULL"
		" RETURNING " NUMBER_JSON;
	static const char sql_why[] =
		"SELECT EXISTS (SELECT 1 FROM numbers WHERE number_id = $1),"
		" telephony_number_refs_missing($2::uuid, $3::jsonb)";
	json_t *body = http_req_json(req);
	json_t *en = json_object_get(body, "enabled");
	const char *id = api_path_uuid(req, "number_id");
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   "number.update", "number", id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	char *routes = NULL, *detail = NULL;
	const char *pv[8];
	int err;

	if (!id || !routes_ok(req) || !label_ok(req))
		return;

	err = api_json_text(req, "routes", &routes);
	pv[0] = id;
	pv[1] = json_object_get(body, "flow_id") ? "true" : "false";
	pv[2] = api_str(req, "flow_id");
	pv[3] = routes;
	pv[4] = en ? (json_is_true(en) ? "true" : "false") : NULL;
	pv[5] = json_object_get(body, "recording") ? "true" : "false";
	pv[6] = api_str(req, "recording");
	pv[7] = api_str(req, "label");

	{
		char *s = json_dumps(body, JSON_COMPACT);

		(void)str_dup(&detail, s ? s : "{}");
		free(s);  /* ccheck: foreign */
	}
	w.detail_sql = detail;

	err = err ? err : db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 8, pv, &w);
	err = err ? err : db_txn_add(tx, sql_why, 3,
				     (const char *[]){id, pv[2], routes});
	run_change(req, tx, err, updated);
	mem_deref(routes);
	mem_deref(detail);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	changed(req, res, 204);
}


/* The number's tenant is known: delete it, audited under that tenant. */
static void delete_found(struct http_req *req, const struct db_res *res)
{
	static const char sql[] =
		"DELETE FROM numbers n WHERE n.number_id = $1"
		" AND n.tenant_id = $2 RETURNING " NUMBER_JSON;
	const char *tenant_id = db_val(res, 0, 0, 0);
	const char *id = http_req_param(req, "number_id");
	struct api_audit_what w = {tenant_id, "number.unassign", "number",
				   id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	const char *pv[2] = {id, tenant_id};
	int err;

	if (!tenant_id) {
		http_reply_error(req, ENOENT);
		return;
	}

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 2, pv, &w);
	run_change(req, tx, err, deleted);
}


static void number_delete(struct http_req *req)
{
	static const char sql[] =
		"SELECT tenant_id::text FROM numbers WHERE number_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "number_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, delete_found);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/numbers", HTTP_ANY, ROLE_NONE, NULL, 0,
	 number_list},
	{"POST", "/api/v1/numbers", HTTP_OPERATOR, ROLE_NONE,
	 P(create_params), number_create},
	{"GET", "/api/v1/numbers/{number_id}", HTTP_ANY, ROLE_NONE,
	 NULL, 0, number_get},
	{"PATCH", "/api/v1/numbers/{number_id}", HTTP_TENANT, ROLE_ADMIN,
	 P(update_params), number_update},
	{"DELETE", "/api/v1/numbers/{number_id}", HTTP_OPERATOR, ROLE_NONE,
	 NULL, 0, number_delete},
};


/** Register the numbers API. */
int number_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
