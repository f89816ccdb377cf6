/* /api/v1/notready-reasons: why an agent is not ready (休息, 会议 ...). */
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "acdcfg/acdcfg_int.h"

#define REASON_JSON \
	"json_build_object('reason_id', r.reason_id, 'name', r.name," \
	" 'position', r.position, 'enabled', r.enabled," \
	" 'created_at', r.created_at, 'updated_at', r.updated_at)"

#define SELECT_SQL \
	"SELECT " REASON_JSON " FROM notready_reasons r WHERE r.reason_id = $1"

static const struct param create_params[] = {
	{"name", PARAM_STRING, true, 1, 32, NULL, false},
	{"position", PARAM_INT, false, 0, 1000, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};

static const struct param update_params[] = {
	{"name", PARAM_STRING, false, 1, 32, NULL, false},
	{"position", PARAM_INT, false, 0, 1000, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};


static const struct acdcfg_table reasons = {
	"notready_reason", "reason_id", SELECT_SQL,
	/* The state log keeps the reason's name as text, so history
	 * stays. */
	"DELETE FROM notready_reasons WHERE reason_id = $1"
	" RETURNING reason_id",
};


/* Pages in creation order; a client sorts by position to show them. */
static void reason_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " REASON_JSON ", r.created_at::text,"
		" r.reason_id::text FROM notready_reasons r"
		" WHERE ($1::timestamptz IS NULL OR (r.created_at,"
		" r.reason_id) > ($1::timestamptz, $2::uuid))"
		" ORDER BY r.created_at, r.reason_id LIMIT $3::int + 1";

	api_list(req, sql);
}


static void reason_get(struct http_req *req)
{
	acdcfg_get(req, &reasons);
}


static void reason_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO notready_reasons (reason_id, tenant_id, name,"
		" position, enabled) VALUES ($1, $2, $3, COALESCE($4::int, 0),"
		" COALESCE($5::bool, true)) RETURNING reason_id";
	char reason_id[UUID_STRLEN], pos[16];
	const char *pv[5];

	if (!acdcfg_name_ok(req))
		return;

	uuid_v4(reason_id);
	pv[0] = reason_id;
	pv[1] = http_req_principal(req)->tenant_id;
	pv[2] = api_str(req, "name");
	pv[3] = acdcfg_int(req, "position", pos, sizeof(pos));
	pv[4] = api_bool(req, "enabled");
	acdcfg_change(req, &reasons, ACDCFG_CREATE, sql, 5, pv);
}


static void reason_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE notready_reasons SET name = COALESCE($2, name),"
		" position = COALESCE($3::int, position),"
		" enabled = COALESCE($4::bool, enabled), updated_at = now()"
		" WHERE reason_id = $1 RETURNING reason_id";
	const char *id = api_path_uuid(req, "reason_id");
	const char *pv[4];
	char pos[16];

	if (!id || !acdcfg_name_ok(req))
		return;

	pv[0] = id;
	pv[1] = api_str(req, "name");
	pv[2] = acdcfg_int(req, "position", pos, sizeof(pos));
	pv[3] = api_bool(req, "enabled");
	acdcfg_change(req, &reasons, ACDCFG_UPDATE, sql, 4, pv);
}


static void reason_delete(struct http_req *req)
{
	acdcfg_delete(req, &reasons);
}


#define P(t) t, ARRAY_SIZE(t)

/* Agents read the list to pick a reason when they go not ready. */
static const struct http_route routes[] = {
	{"GET", "/api/v1/notready-reasons", HTTP_TENANT, ROLE_AGENT, NULL, 0,
	 reason_list},
	{"POST", "/api/v1/notready-reasons", HTTP_TENANT, ROLE_ADMIN,
	 P(create_params), reason_create},
	{"GET", "/api/v1/notready-reasons/{reason_id}", HTTP_TENANT,
	 ROLE_AGENT, NULL, 0, reason_get},
	{"PATCH", "/api/v1/notready-reasons/{reason_id}", HTTP_TENANT,
	 ROLE_ADMIN, P(update_params), reason_update},
	{"DELETE", "/api/v1/notready-reasons/{reason_id}", HTTP_TENANT,
	 ROLE_ADMIN, NULL, 0, reason_delete},
};


/** Register the not-ready reasons API. */
int reason_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
