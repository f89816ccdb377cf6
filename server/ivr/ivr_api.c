/* /api/v1/flows: a tenant's IVR flows and their versions. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "http/param.h"
#include "ivr/ivr.h"
#include "ivr/ivr_api.h"
#include "schedule/schedule.h"

/*
 * Versions are immutable: PUT adds one and makes it current, GET shows
 * the current one (?version=N an older one). A flow a number uses cannot
 * be deleted; the answer names the numbers.
 */

#define FLOW_ROW \
	"json_build_object('flow_id', f.flow_id, 'name', f.name," \
	" 'description', f.description, 'current_version'," \
	" f.current_version, 'created_at', f.created_at, 'updated_at'," \
	" f.updated_at)"

static const struct param create_params[] = {
	{"name", PARAM_STRING, true, 1, 100, NULL, false},
	{"description", PARAM_STRING, false, 0, 500, NULL, false},
	{"graph", PARAM_OBJECT, true, 0, 0, NULL, false},
};

static const struct param update_params[] = {
	{"name", PARAM_STRING, false, 1, 100, NULL, false},
	{"description", PARAM_STRING, false, 0, 500, NULL, false},
	{"graph", PARAM_OBJECT, true, 0, 0, NULL, false},
};


static void flow_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " FLOW_ROW ", f.created_at::text, f.flow_id::text"
		" FROM flows f WHERE ($1::timestamptz IS NULL OR"
		" (f.created_at, f.flow_id) > ($1::timestamptz, $2::uuid))"
		" ORDER BY f.created_at, f.flow_id LIMIT $3::int + 1";

	api_list(req, sql);
}


static void flow_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT json_build_object('flow_id', f.flow_id,"
		" 'name', f.name, 'description', f.description,"
		" 'current_version', f.current_version, 'version', v.version,"
		" 'graph', v.graph,"
		" 'created_by', v.created_by, 'version_created_at',"
		" v.created_at, 'created_at', f.created_at, 'updated_at',"
		" f.updated_at) FROM flows f LEFT JOIN flow_versions v"
		" ON v.flow_id = f.flow_id"
		" AND v.version = COALESCE($2::int, f.current_version)"
		" WHERE f.flow_id = $1 AND ($2::int IS NULL OR v.version"
		" IS NOT NULL)";
	const char *ver = http_req_query(req, "version");
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "flow_id");
	const char *pv[2];

	if (!id)
		return;

	if (ver && (strspn(ver, "0123456789") != strlen(ver) || !ver[0] ||
		    strlen(ver) > 9)) {
		api_reply_invalid(req, "version", "format",
				  "must be a version number");
		return;
	}

	pv[0] = id;
	pv[1] = ver;
	api_query(req, &ctx, sql, 2, pv, api_row_200);
}


static void flow_versions(struct http_req *req)
{
	static const char sql[] =
		"SELECT CASE WHEN EXISTS (SELECT 1 FROM flows"
		" WHERE flow_id = $1) THEN json_build_object('items',"
		" COALESCE((SELECT json_agg(json_build_object('version',"
		" v.version, 'created_by', v.created_by, 'created_at',"
		" v.created_at) ORDER BY v.version DESC)"
		" FROM flow_versions v WHERE v.flow_id = $1), '[]')) END";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "flow_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, api_row_200);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	ivr_flow_forget(http_req_param(req, "flow_id"));
	http_reply_empty(req, 204);
}


/* Column 0 names the numbers that answer with this flow, or NULL. */
static void users_found(struct http_req *req, const struct db_res *res)
{
	static const char sql[] =
		"DELETE FROM flows f WHERE f.flow_id = $1 RETURNING " FLOW_ROW;
	static const char sql_notify[] =
		"SELECT pg_notify('" IVR_CHANNEL "', $1::text)";
	const char *numbers = db_val(res, 0, 0, 0);
	const char *id = http_req_param(req, "flow_id");
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   "flow.delete", "flow", id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	char detail[600];
	int err;

	if (numbers) {
		(void)re_snprintf(detail, sizeof(detail),
				  "The flow answers numbers %s; route them "
				  "elsewhere first.", numbers);
		http_reply_problem(req, 409, "in_use", detail);
		return;
	}

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 1, &id, &w);
	err = err ? err : db_txn_add(tx, sql_notify, 1, &id);
	api_txn_run(req, tx, err, deleted);
}


static void flow_delete(struct http_req *req)
{
	static const char sql[] =
		"SELECT string_agg(n.number, ', ' ORDER BY n.number)"
		" FROM numbers n WHERE n.flow_id = $1::uuid"
		" OR n.routes @> jsonb_build_array(jsonb_build_object("
		"'flow_id', $1::text))";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "flow_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, users_found);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/flows", HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0,
	 flow_list},
	{"POST", "/api/v1/flows", HTTP_TENANT, ROLE_ADMIN, P(create_params),
	 ivr_api_save},
	{"POST", "/api/v1/flows/validate", HTTP_TENANT, ROLE_ADMIN, NULL, 0,
	 ivr_api_validate},
	{"GET", "/api/v1/flows/{flow_id}", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, flow_get},
	{"PUT", "/api/v1/flows/{flow_id}", HTTP_TENANT, ROLE_ADMIN,
	 P(update_params), ivr_api_save},
	{"DELETE", "/api/v1/flows/{flow_id}", HTTP_TENANT, ROLE_ADMIN, NULL,
	 0, flow_delete},
	{"GET", "/api/v1/flows/{flow_id}/versions", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, flow_versions},
};


/** Register the flows and schedules APIs. */
int ivr_api_init(void)
{
	int err = http_routes_add(routes, ARRAY_SIZE(routes));

	return err ? err : schedule_api_init();
}
