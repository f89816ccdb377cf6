/* /api/v1/webhooks: a tenant's endpoints, their secrets, re-enabling. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>
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
#include "seal/seal.h"
#include "webhook/wh_int.h"

/*
 * Every change is one audited transaction that also sends NOTIFY
 * webhook_cfg (other nodes reload the tenant's patterns) and ends with
 * the endpoint as the reply; this node reloads them once it committed.
 * The secret is shown on create and rotate only: it is stored sealed
 * (seal/seal.h), and the reply opens the box the change wrote, so the
 * plaintext never travels to the database. Lists and reads show
 * secret_hint ("whsec_…abcd"). Another tenant's
 * endpoint is invisible (RLS), so its id is simply not found.
 */

#define EP_JSON \
	"json_build_object('endpoint_id', e.endpoint_id, 'url', e.url," \
	" 'description', e.description, 'event_types', e.event_types," \
	" 'enabled', e.enabled, 'disabled_reason', e.disabled_reason," \
	" 'disabled_at', e.disabled_at, 'secret_hint', e.secret_hint," \
	" 'previous_secret_expires_at'," \
	" CASE WHEN e.previous_expires_at > now() THEN" \
	" e.previous_expires_at END, 'created_at', e.created_at," \
	" 'updated_at', e.updated_at)"

#define SELECT_SQL \
	"SELECT " EP_JSON "::text FROM webhook_endpoints e" \
	" WHERE e.endpoint_id = $1"

/* The endpoint and its new secret's box, opened for the reply */
#define SELECT_SECRET_SQL \
	"SELECT " EP_JSON "::text, '\\x' || encode(e.secret_box, 'hex')" \
	" FROM webhook_endpoints e WHERE e.endpoint_id = $1"

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


/* The last statement's endpoint with "secret" added from its box. */
static void reply_secret(struct http_req *req, const struct db_res *res,
			 unsigned status)
{
	const char *tenant_id = http_req_principal(req)->tenant_id;
	unsigned st = db_res_stmts(res) - 1;
	const char *j = db_val(res, st, 0, 0);
	json_t *o = j ? json_loads(j, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(o,
							   "endpoint_id"));
	const struct seal_ad ad = {SEAL_COL_WEBHOOK, tenant_id, id};
	char secret[WH_SECRET_MAX];
	int err = o ? 0 : ENOENT;

	wh_cache_reload(tenant_id);
	err = err ? err : seal_open(secret, sizeof(secret),
				    db_val(res, st, 0, 1), &ad);
	if (!err && json_object_set_new(o, "secret", json_string(secret)))
		err = ENOMEM;
	sodium_memzero(secret, sizeof(secret));
	if (err) {
		json_decref(o);
		http_reply_error(req, err == ENOENT ? ENOENT : EIO);
		return;
	}

	http_reply_json(req, status, o);
}


static void created(struct http_req *req, const struct db_res *res)
{
	reply_secret(req, res, 201);
}


static void rotated(struct http_req *req, const struct db_res *res)
{
	reply_secret(req, res, 200);
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


/* A new secret for the endpoint: its box and hint. Until the start-up
 * sweep sealed what was stored before, no secret is written (503). */
static int secret_make(struct http_req *req, const char *endpoint_id,
		       char **boxp, char hint[WH_HINT_MAX])
{
	const struct seal_ad ad = {SEAL_COL_WEBHOOK,
				   http_req_principal(req)->tenant_id,
				   endpoint_id};
	char secret[WH_SECRET_MAX];
	int err;

	if (!seal_ready())
		return EAGAIN;

	err = wh_secret_new(secret, sizeof(secret));
	err = err ? err : seal_box(boxp, secret, &ad);
	if (!err)
		wh_secret_hint(hint, WH_HINT_MAX, secret);
	sodium_memzero(secret, sizeof(secret));

	return err;
}


static void ep_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO webhook_endpoints (endpoint_id, tenant_id, url,"
		" description, event_types, enabled, secret_box, seal_key_id,"
		" secret_hint) VALUES ($1, $2, $3, COALESCE($4, ''), "
		TYPES_SQL(5) ", COALESCE($6::bool, true), $7::bytea, $8, $9)"
		" RETURNING endpoint_id";
	char endpoint_id[UUID_STRLEN], hint[WH_HINT_MAX];
	char *types = NULL, *box = NULL;
	const char *pv[9];
	int err;

	if (!url_ok(req) || !types_ok(req, &types))
		return;

	uuid_v4(endpoint_id);
	err = secret_make(req, endpoint_id, &box, hint);
	if (err) {
		mem_deref(types);
		http_reply_error(req, err);
		return;
	}

	pv[0] = endpoint_id;
	pv[1] = http_req_principal(req)->tenant_id;
	pv[2] = api_str(req, "url");
	pv[3] = api_str(req, "description");
	pv[4] = types;
	pv[5] = api_bool(req, "enabled");
	pv[6] = box;
	pv[7] = seal_key_id();
	pv[8] = hint;
	change(req, sql, 9, pv, "webhook.create", SELECT_SECRET_SQL,
	       created);
	mem_deref(types);
	mem_deref(box);
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
		"UPDATE webhook_endpoints SET previous_secret_box = CASE"
		" WHEN $3::int > 0 THEN secret_box END, previous_expires_at ="
		" CASE WHEN $3::int > 0 THEN now() + make_interval(secs =>"
		" $3::int) END, secret_box = $2::bytea, seal_key_id = $4,"
		" secret_hint = $5, secret = NULL, previous_secret = NULL,"
		" updated_at = now() WHERE endpoint_id = $1"
		" RETURNING endpoint_id";
	const char *id = api_path_uuid(req, "endpoint_id");
	json_t *o = json_object_get(http_req_json(req), "overlap_s");
	char overlap[16], hint[WH_HINT_MAX];
	const char *pv[5];
	char *box = NULL;
	int err;

	if (!id)
		return;

	err = secret_make(req, id, &box, hint);
	if (err) {
		http_reply_error(req, err);
		return;
	}

	(void)re_snprintf(overlap, sizeof(overlap), "%lld",
			  o ? (long long)json_integer_value(o) : 86400LL);
	pv[0] = id;
	pv[1] = box;
	pv[2] = overlap;
	pv[3] = seal_key_id();
	pv[4] = hint;
	change(req, sql, 5, pv, "webhook.rotate_secret", SELECT_SECRET_SQL,
	       rotated);
	mem_deref(box);
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
