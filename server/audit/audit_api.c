/* GET /api/v1/audit: a tenant admin reads who changed what. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "http/api.h"
#include "audit/audit.h"

#define AUDIT_JSON \
	"json_build_object('audit_id', audit_id, 'actor_kind', actor_kind," \
	" 'actor_id', actor_id, 'actor_name', actor_name," \
	" 'action', action, 'target_type', target_type," \
	" 'target_id', target_id, 'detail', detail," \
	" 'remote_addr', remote_addr, 'created_at', created_at)"


/* A time filter must parse as a timestamp; reply 400 if not. */
static bool time_ok(struct http_req *req, const char *name)
{
	const char *v = http_req_query(req, name);
	int y, mo, d;

	if (!v || (strlen(v) >= 10 && sscanf(v, "%4d-%2d-%2d", &y, &mo,
						 &d) == 3 && v[4] == '-'))
		return true;

	api_reply_invalid(req, name, "format",
			  "must be an ISO 8601 time such as "
			  "2026-11-25T08:00:00Z");
	return false;
}


static void audit_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " AUDIT_JSON ", created_at::text, audit_id::text"
		" FROM audit_log"
		" WHERE ($1::text IS NULL OR action = $1)"
		" AND ($2::uuid IS NULL OR actor_id = $2::uuid)"
		" AND ($3::timestamptz IS NULL OR created_at >= $3)"
		" AND ($4::timestamptz IS NULL OR created_at < $4)"
		" AND ($5::timestamptz IS NULL OR (created_at, audit_id) <"
		" ($5::timestamptz, $6::bigint))"
		" ORDER BY created_at DESC, audit_id DESC"
		" LIMIT $7::int + 1";
	struct db_ctx ctx = api_ctx(req);
	const char *actor = http_req_query(req, "actor_id");
	const char *pv[7];
	unsigned limit;
	char ts[64], id[64], lim[16];

	if (api_page_args(req, &limit, ts, sizeof(ts), id, sizeof(id)))
		return;
	if (!time_ok(req, "since") || !time_ok(req, "until"))
		return;
	if (actor && !api_uuid_ok(actor)) {
		api_reply_invalid(req, "actor_id", "format",
				  "must be a user id (UUID)");
		return;
	}

	(void)re_snprintf(lim, sizeof(lim), "%u", limit);
	pv[0] = http_req_query(req, "action");
	pv[1] = actor;
	pv[2] = http_req_query(req, "since");
	pv[3] = http_req_query(req, "until");
	pv[4] = ts[0] ? ts : NULL;
	pv[5] = id[0] ? id : NULL;
	pv[6] = lim;

	api_query(req, &ctx, sql, 7, pv, api_page_done);
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/audit", HTTP_TENANT, ROLE_ADMIN, NULL, 0,
	 audit_list},
};


/** Register the audit API. */
int audit_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
