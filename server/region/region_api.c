/* /api/v1/number-regions: lookups and the tenant's own prefixes. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "region/region.h"
#include "region/region_int.h"

/*
 * A lookup answers any signed-in user of a tenant (the agent console
 * shows the caller's region) and the operator (platform table only).
 * A tenant's supervisors read its own prefixes; its admins import and
 * delete them (region_api_import.c). Every change flushes the tenant's
 * cached lookups on this node.
 */

enum { NUMBER_ARG_MAX = 64 };

#define ROW_JSON "json_build_object('prefix', r.prefix, 'region', r.region)"

struct lookup_req {
	struct http_req *req;        /**< (ref) */
	char normalized[REGION_NUM_SZ];
};


static void lookup_destructor(void *arg)
{
	struct lookup_req *lr = arg;

	mem_deref(lr->req);
}


static void found(int err, const struct region_hit *hit, void *arg)
{
	struct lookup_req *lr = arg;
	struct http_req *req = lr->req;
	json_t *body;

	if (http_req_gone(req))
		goto out;

	if (err && err != ENOENT) {
		http_reply_error(req, err);
		goto out;
	}

	body = json_pack("{s:s,s:s,s:s?,s:s?,s:s?}",
			 "number", http_req_query(req, "number"),
			 "normalized", lr->normalized,
			 "region", hit ? hit->region : NULL,
			 "carrier", hit && hit->carrier[0] ?
			 hit->carrier : NULL,
			 "source", hit ? hit->source : NULL);
	if (!body)
		http_reply_error(req, ENOMEM);
	else
		http_reply_json(req, 200, body);

 out:
	mem_deref(lr);
}


/** GET /api/v1/number-regions/lookup?number=… */
static void region_lookup_get(struct http_req *req)
{
	const struct principal *p = http_req_principal(req);
	const char *number = http_req_query(req, "number");
	struct lookup_req *lr;
	int err;

	if (p->kind != PRINCIPAL_OPERATOR && !p->tenant_id[0]) {
		http_reply_error(req, EACCES);
		return;
	}

	lr = mem_zalloc(sizeof(*lr), lookup_destructor);
	if (!lr) {
		http_reply_error(req, ENOMEM);
		return;
	}

	if (!number || strlen(number) > NUMBER_ARG_MAX ||
	    region_normalize(lr->normalized, sizeof(lr->normalized),
			     number)) {
		api_reply_invalid(req, "number", "format", "must be a "
				  "telephone number, e.g. 13810001000 or "
				  "010-1234 5678");
		mem_deref(lr);
		return;
	}

	lr->req = mem_ref(req);
	err = region_find(http_req_app(req), p->kind == PRINCIPAL_OPERATOR ?
			  NULL : p->tenant_id, lr->normalized, found, lr);
	if (err) {
		http_reply_error(req, err);
		mem_deref(lr);
	}
}


/** GET /api/v1/number-regions: the tenant's prefixes, in prefix order. */
static void region_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " ROW_JSON ", r.prefix, r.prefix"
		" FROM tenant_number_regions r"
		" WHERE ($1::text IS NULL OR r.prefix COLLATE \"C\" > $1)"
		" AND ($2::text IS NULL OR r.prefix LIKE $2 || '%')"
		" ORDER BY r.prefix COLLATE \"C\" LIMIT $3::int + 1";
	struct db_ctx ctx = api_ctx(req);
	const char *starts = http_req_query(req, "prefix");
	char after[64], id[64], lim[16];
	const char *pv[3];
	unsigned limit;

	if (api_page_args(req, &limit, after, sizeof(after), id, sizeof(id)))
		return;

	if (starts && !region_prefix_ok(starts)) {
		api_reply_invalid(req, "prefix", "format",
				  "must be 1 to 16 digits");
		return;
	}

	(void)re_snprintf(lim, sizeof(lim), "%u", limit);
	pv[0] = after[0] ? after : NULL;
	pv[1] = starts;
	pv[2] = lim;

	api_query(req, &ctx, sql, 3, pv, api_page_done);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	region_cache_flush(http_req_principal(req)->tenant_id);
	http_reply_empty(req, 204);
}


/** DELETE /api/v1/number-regions/{prefix} */
static void region_delete(struct http_req *req)
{
	static const char sql[] =
		"DELETE FROM tenant_number_regions r WHERE r.tenant_id = $1"
		" AND r.prefix = $2 RETURNING " ROW_JSON;
	const char *tenant_id = http_req_principal(req)->tenant_id;
	const char *prefix = http_req_param(req, "prefix");
	struct api_audit_what w = {tenant_id, "number_region.delete",
				   "number_region", prefix, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	const char *pv[2] = {tenant_id, prefix};
	int err;

	if (!region_prefix_ok(prefix)) {
		http_reply_error(req, ENOENT);
		return;
	}

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 2, pv, &w);
	err = err ? err : db_txn_add(tx, "SELECT pg_notify('" REGION_CHANNEL
				     "', $1)", 1, pv);
	api_txn_run(req, tx, err, deleted);
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/number-regions/lookup", HTTP_ANY, ROLE_NONE, NULL,
	 0, region_lookup_get},
	{"GET", "/api/v1/number-regions", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, region_list},
	{"POST", "/api/v1/number-regions/import", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, region_api_import},
	{"DELETE", "/api/v1/number-regions/{prefix}", HTTP_TENANT,
	 ROLE_ADMIN, NULL, 0, region_delete},
};

static const struct http_body_limit import_limit = {
	&routes[2], REGION_CSV_BODY_MAX, "too_large",
	"The CSV file is larger than 4 MB; split it into several imports."
};


/** Register the number attribution routes. */
int region_api_init(void)
{
	int err;

	err = http_routes_add(routes, ARRAY_SIZE(routes));

	return err ? err : http_body_limit_add(&import_limit);
}
