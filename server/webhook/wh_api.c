/* /api/v1/webhooks: a tenant's endpoints, their secrets, re-enabling. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_list.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_sa.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "event/event.h"
#include "http/api.h"
#include "http/egress.h"
#include "http/param.h"
#include "webhook/wh_int.h"

/*
 * Every change is one audited transaction that also sends NOTIFY
 * webhook_cfg (other nodes reload the tenant's patterns) and ends with
 * the endpoint as the reply; this node reloads them once it committed.
 * The secret is shown on create and rotate only. Another tenant's
 * endpoint is invisible (RLS), so its id is simply not found.
 */

#define EP_JSON \
	"json_build_object('endpoint_id', e.endpoint_id, 'url', e.url," \
	" 'description', e.description, 'event_types', e.event_types," \
	" 'enabled', e.enabled, 'disabled_reason', e.disabled_reason," \
	" 'disabled_at', e.disabled_at, 'previous_secret_expires_at'," \
	" CASE WHEN e.previous_expires_at > now() THEN" \
	" e.previous_expires_at END, 'created_at', e.created_at," \
	" 'updated_at', e.updated_at)"

#define SELECT_SQL \
	"SELECT " EP_JSON "::text FROM webhook_endpoints e" \
	" WHERE e.endpoint_id = $1"

#define SELECT_SECRET_SQL \
	"SELECT (" EP_JSON "::jsonb || jsonb_build_object('secret'," \
	" e.secret))::text FROM webhook_endpoints e WHERE e.endpoint_id = $1"

#define NOTIFY_SQL "SELECT pg_notify('" WH_CFG_CHANNEL "', $1::text)"

/* The types in the order given, each once */
#define TYPES_SQL(n) \
	"ARRAY(SELECT t FROM jsonb_array_elements_text($" #n "::jsonb)" \
	" WITH ORDINALITY x(t, i) GROUP BY t ORDER BY min(i))"

static const struct param create_params[] = {
	{"url", PARAM_STRING, true, 10, 2048, NULL, false},
	{"description", PARAM_STRING, false, 0, 256, NULL, false},
	{"event_types", PARAM_ARRAY, true, 1, 32, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};

static const struct param update_params[] = {
	{"url", PARAM_STRING, false, 10, 2048, NULL, false},
	{"description", PARAM_STRING, false, 0, 256, NULL, false},
	{"event_types", PARAM_ARRAY, false, 1, 32, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};

static const struct param rotate_params[] = {
	{"overlap_s", PARAM_INT, false, 0, 604800, NULL, false},
};


static bool url_ok(struct http_req *req)
{
	const char *url = api_str(req, "url");
	const char *why = NULL;
	struct outreq_url u;
	struct sa sa;

	if (!url)
		return true;

	if (outreq_url_parse(&u, url, &why)) {
		api_reply_invalid(req, "url", why ? why : "format",
				  "must be an http or https URL without "
				  "user name or fragment");
		return false;
	}

	/* a name is judged at each delivery: DNS answers change */
	if (!sa_set_str(&sa, u.host, u.port) && !egress_allowed(&sa)) {
		api_reply_invalid(req, "url", "egress",
				  "this address may not be reached from "
				  "the server");
		return false;
	}

	return true;
}


static bool type_ok(const char *t)
{
	char topic[EVENT_NAME_MAX + 1];
	size_t n = t ? strlen(t) : 0;

	if (!n || n > EVENT_NAME_MAX)
		return false;
	if (!strcmp(t, "*"))
		return true;
	if (n > 2 && !strcmp(t + n - 2, ".*"))
		n -= 2;

	(void)re_snprintf(topic, sizeof(topic), "%b", t, n);
	return event_topic_valid(topic) && strcmp(topic, "*") &&
		event_topic_allowed(ROLE_ADMIN, topic);
}


/* event_types as JSON text for the SQL, NULL if absent or replied 400 */
static bool types_ok(struct http_req *req, char **textp)
{
	json_t *a = json_object_get(http_req_json(req), "event_types");
	size_t i;
	json_t *v;

	*textp = NULL;
	if (!a)
		return true;

	json_array_foreach(a, i, v) {
		if (json_is_string(v) && type_ok(json_string_value(v)))
			continue;

		api_reply_invalid(req, "event_types", "enum",
				  "each must be \"*\", an event type such as "
				  "recording.ready, or a topic such as "
				  "call.*");
		return false;
	}

	return api_json_text(req, "event_types", textp) == 0;
}


static void reply_last(struct http_req *req, const struct db_res *res,
		       unsigned status)
{
	const struct principal *p = http_req_principal(req);

	wh_cache_reload(p->tenant_id);
	api_reply_row(req, status, res, db_res_stmts(res) - 1);
}


static void created(struct http_req *req, const struct db_res *res)
{
	reply_last(req, res, 201);
}


static void updated(struct http_req *req, const struct db_res *res)
{
	reply_last(req, res, 200);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	wh_cache_reload(http_req_principal(req)->tenant_id);
	if (!db_nrows(res, 0))
		http_reply_error(req, ENOENT);
	else
		http_reply_empty(req, 204);
}


/* One audited change, the NOTIFY, then select (NULL: none) */
static void change(struct http_req *req, const char *sql, unsigned n,
		   const char *const *pv, const char *action,
		   const char *select, api_rows_h *h)
{
	const char *tenant_id = http_req_principal(req)->tenant_id;
	struct api_audit_what w = {tenant_id, action, "webhook_endpoint",
				   pv[0], NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	int err;

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, n, pv, &w);
	err = err ? err : db_txn_add(tx, NOTIFY_SQL, 1, &tenant_id);
	if (!err && select)
		err = db_txn_add(tx, select, 1, pv);
	api_txn_run(req, tx, err, h);
}


static void ep_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO webhook_endpoints (endpoint_id, tenant_id, url,"
		" description, event_types, enabled, secret) VALUES ($1, $2,"
		" $3, COALESCE($4, ''), " TYPES_SQL(5) ","
		" COALESCE($6::bool, true), $7) RETURNING endpoint_id";
	char endpoint_id[UUID_STRLEN], secret[WH_SECRET_MAX];
	char *types = NULL;
	const char *pv[7];

	if (!url_ok(req) || !types_ok(req, &types))
		return;

	if (wh_secret_new(secret, sizeof(secret))) {
		mem_deref(types);
		http_reply_error(req, ENOMEM);
		return;
	}

	uuid_v4(endpoint_id);
	pv[0] = endpoint_id;
	pv[1] = http_req_principal(req)->tenant_id;
	pv[2] = api_str(req, "url");
	pv[3] = api_str(req, "description");
	pv[4] = types;
	pv[5] = api_bool(req, "enabled");
	pv[6] = secret;
	change(req, sql, 7, pv, "webhook.create", SELECT_SECRET_SQL,
	       created);
	mem_deref(types);
}


static void ep_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE webhook_endpoints SET url = COALESCE($2, url),"
		" description = COALESCE($3, description),"
		" event_types = CASE WHEN $4::jsonb IS NULL THEN event_types"
		" ELSE " TYPES_SQL(4) " END,"
		" enabled = COALESCE($5::bool, enabled),"
		" disabled_reason = CASE WHEN $5::bool THEN NULL"
		" WHEN $5::bool = false AND enabled THEN 'admin'"
		" ELSE disabled_reason END,"
		" disabled_at = CASE WHEN $5::bool THEN NULL"
		" WHEN $5::bool = false AND enabled THEN now()"
		" ELSE disabled_at END, updated_at = now()"
		" WHERE endpoint_id = $1 RETURNING endpoint_id";
	const char *id = api_path_uuid(req, "endpoint_id");
	char *types = NULL;
	const char *pv[5];

	if (!id || !url_ok(req) || !types_ok(req, &types))
		return;

	pv[0] = id;
	pv[1] = api_str(req, "url");
	pv[2] = api_str(req, "description");
	pv[3] = types;
	pv[4] = api_bool(req, "enabled");
	change(req, sql, 5, pv, "webhook.update", SELECT_SQL, updated);
	mem_deref(types);
}


static void ep_enable(struct http_req *req)
{
	static const char sql[] =
		"UPDATE webhook_endpoints SET enabled = true,"
		" disabled_reason = NULL, disabled_at = NULL,"
		" updated_at = now() WHERE endpoint_id = $1"
		" RETURNING endpoint_id";
	const char *id = api_path_uuid(req, "endpoint_id");

	if (id)
		change(req, sql, 1, &id, "webhook.enable", SELECT_SQL,
		       updated);
}


static void ep_delete(struct http_req *req)
{
	static const char sql[] =
		"DELETE FROM webhook_endpoints WHERE endpoint_id = $1"
		" RETURNING endpoint_id";
	const char *id = api_path_uuid(req, "endpoint_id");

	if (id)
		change(req, sql, 1, &id, "webhook.delete", NULL, deleted);
}


/*
 * The old secret keeps signing beside the new one for overlap_s
 * (default a day), so receivers can switch without losing a delivery.
 */
static void ep_rotate(struct http_req *req)
{
	static const char sql[] =
		"UPDATE webhook_endpoints SET previous_secret = CASE WHEN"
		" $3::int > 0 THEN secret END, previous_expires_at = CASE"
		" WHEN $3::int > 0 THEN now() + make_interval(secs => $3::int)"
		" END, secret = $2, updated_at = now()"
		" WHERE endpoint_id = $1 RETURNING endpoint_id";
	const char *id = api_path_uuid(req, "endpoint_id");
	json_t *o = json_object_get(http_req_json(req), "overlap_s");
	char secret[WH_SECRET_MAX], overlap[16];
	const char *pv[3];

	if (!id)
		return;

	if (wh_secret_new(secret, sizeof(secret))) {
		http_reply_error(req, ENOMEM);
		return;
	}

	(void)re_snprintf(overlap, sizeof(overlap), "%lld",
			  o ? (long long)json_integer_value(o) : 86400LL);
	pv[0] = id;
	pv[1] = secret;
	pv[2] = overlap;
	change(req, sql, 3, pv, "webhook.rotate_secret", SELECT_SECRET_SQL,
	       updated);
}


static void ep_get(struct http_req *req)
{
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "endpoint_id");

	if (id)
		api_query(req, &ctx, SELECT_SQL, 1, &id, wh_reply_200);
}


/** Reply with the first row's JSON, or 404. */
void wh_reply_200(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 200, res, 0);
}


static void ep_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " EP_JSON "::text, e.created_at::text,"
		" e.endpoint_id::text FROM webhook_endpoints e"
		" WHERE ($1::timestamptz IS NULL OR (e.created_at,"
		" e.endpoint_id) > ($1::timestamptz, $2::uuid))"
		" ORDER BY e.created_at, e.endpoint_id LIMIT $3::int + 1";

	api_list(req, sql);
}


#define P(t) t, ARRAY_SIZE(t)
#define EP "/api/v1/webhooks/{endpoint_id}"

static const struct http_route routes[] = {
	{"GET", "/api/v1/webhooks", HTTP_TENANT, ROLE_ADMIN, NULL, 0,
	 ep_list},
	{"POST", "/api/v1/webhooks", HTTP_TENANT, ROLE_ADMIN,
	 P(create_params), ep_create},
	{"GET", EP, HTTP_TENANT, ROLE_ADMIN, NULL, 0, ep_get},
	{"PATCH", EP, HTTP_TENANT, ROLE_ADMIN, P(update_params), ep_update},
	{"DELETE", EP, HTTP_TENANT, ROLE_ADMIN, NULL, 0, ep_delete},
	{"POST", EP "/rotate-secret", HTTP_TENANT, ROLE_ADMIN,
	 P(rotate_params), ep_rotate},
	{"POST", EP "/enable", HTTP_TENANT, ROLE_ADMIN, NULL, 0, ep_enable},
};


/** Register the endpoints API. */
int wh_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
