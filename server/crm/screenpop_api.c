/* /api/v1/crm/settings: a tenant's screen pop settings. */
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "http/param.h"
#include "crm/screenpop.h"
#include "seal/seal.h"

static const char *const modes[] = {"builtin", "http", "page", "none",
				    NULL};
static const char *const methods[] = {"GET", "POST", NULL};
static const char *const targets[] = {"panel", "tab", NULL};

static const struct param put_params[] = {
	{"mode", PARAM_ENUM, true, 0, 0, modes, false},
	{"http_url", PARAM_STRING, false, 0, 1000, NULL, false},
	{"http_method", PARAM_ENUM, false, 0, 0, methods, false},
	{"timeout_ms", PARAM_INT, false, 100, 3000, NULL, false},
	{"auth_header", PARAM_STRING, false, 0, 64, NULL, false},
	{"auth_token", PARAM_STRING, false, 0, 1000, NULL, false},
	{"mapping", PARAM_OBJECT, false, 0, 0, NULL, false},
	{"page_url", PARAM_STRING, false, 0, 1000, NULL, false},
	{"page_target", PARAM_ENUM, false, 0, 0, targets, false},
};

/* The token is stored sealed (seal/seal.h) and never read back: only
 * whether one is stored. */
#define SETTINGS_SQL \
	"SELECT jsonb_build_object('mode', COALESCE(s.mode, 'builtin')," \
	" 'http_url', COALESCE(s.http_url, ''), 'http_method'," \
	" COALESCE(s.http_method, 'GET'), 'timeout_ms'," \
	" COALESCE(s.timeout_ms, 1000), 'auth_header'," \
	" COALESCE(s.auth_header, ''), 'auth_token_set'," \
	" (s.auth_token_box IS NOT NULL" \
	" OR COALESCE(s.auth_token, '') <> ''), 'mapping'," \
	" COALESCE(s.mapping, '{}'), 'page_url', COALESCE(s.page_url, '')," \
	" 'page_target', COALESCE(s.page_target, 'panel'), 'updated_at'," \
	" s.updated_at) FROM (SELECT 1) one LEFT JOIN crm_settings s" \
	" ON s.tenant_id = $1"

/* Headers the request itself writes: a tenant may not replace them. */
static const char *const own_headers[] = {"host", "content-length",
	"content-type", "transfer-encoding", "connection", "accept"};


/* The change (audited in one statement), then the settings read back */
static void put_200(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 200, res, 1);
}


static void settings_get(struct http_req *req)
{
	struct db_ctx ctx = api_ctx(req);
	const char *tenant_id = http_req_principal(req)->tenant_id;

	api_query(req, &ctx, SETTINGS_SQL, 1, &tenant_id, api_row_200);
}


static bool header_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	for (size_t i = 0; i < n; i++)
		if (!(h[i] == '-' || (h[i] >= '0' && h[i] <= '9') ||
		      ((h[i] | 0x20) >= 'a' && (h[i] | 0x20) <= 'z')))
			return false;

	for (size_t i = 0; i < ARRAY_SIZE(own_headers); i++)
		if (!strcasecmp(h ? h : "", own_headers[i]))
			return false;

	return true;
}


static bool token_ok(const char *t)
{
	for (; t && *t; t++)
		if ((unsigned char)*t < 0x20 || *t == 0x7f)
			return false;

	return true;
}


/* Checks a parameter table cannot say; replies and returns false. */
/* http_url is requested by the server, page_url opened by the browser */
static bool check_url(struct http_req *req, const char *field,
		      bool needed, bool fetched)
{
	const char *url = api_str(req, field);
	char why[128];

	if ((!url || !*url) && needed) {
		api_reply_invalid(req, field, "required",
				  "required for this mode");
		return false;
	}
	if (url && *url && !(fetched ?
			     screenpop_fetch_url_ok(url, why, sizeof(why)) :
			     screenpop_template_ok(url, why, sizeof(why)))) {
		api_reply_invalid(req, field, "bad_template", why);
		return false;
	}

	return true;
}


static bool check_body(struct http_req *req)
{
	const char *mode = api_str(req, "mode");
	const json_t *map = json_object_get(http_req_json(req), "mapping");
	char field[64], why[160];

	if (!check_url(req, "http_url", !strcmp(mode, "http"), true) ||
	    !check_url(req, "page_url", !strcmp(mode, "page"), false))
		return false;

	if (!header_ok(api_str(req, "auth_header"))) {
		api_reply_invalid(req, "auth_header", "format",
				  "a header name (letters, digits, -) "
				  "other than those the request sets");
		return false;
	}
	if (!token_ok(api_str(req, "auth_token"))) {
		api_reply_invalid(req, "auth_token", "format",
				  "must not contain control characters");
		return false;
	}
	if (map && !screenpop_mapping_ok(map, field, sizeof(field), why,
					 sizeof(why))) {
		api_reply_invalid(req, field, "format", why);
		return false;
	}

	return true;
}


/* The token's box: NULL for none (absent or ""). */
static int token_seal(struct http_req *req, const char *tenant_id,
		      char **boxp)
{
	const struct seal_ad ad = {SEAL_COL_CRM, tenant_id, NULL};
	const char *tok = api_str(req, "auth_token");

	*boxp = NULL;
	if (!tok || !*tok)
		return 0;

	/* until the start-up sweep sealed what was stored before */
	if (!seal_ready())
		return EAGAIN;

	return seal_box(boxp, tok, &ad);
}


/* $7 the token's box, $11 the key that sealed it, $12 whether a token
 * (or "" to remove it) was given: otherwise the stored one stays. */
static int put_txn(struct http_req *req, struct db_txn *tx,
		   const char *tenant_id)
{
	static const char sql[] =
		"INSERT INTO crm_settings AS s (tenant_id, mode, http_url,"
		" http_method, timeout_ms, auth_header, auth_token_box,"
		" seal_key_id, mapping, page_url, page_target) VALUES ($1, $2,"
		" COALESCE($3, ''), COALESCE($4, 'GET'),"
		" COALESCE($5::int, 1000), COALESCE($6, ''), $7::bytea, $11,"
		" COALESCE($8::jsonb, '{}'), COALESCE($9, ''),"
		" COALESCE($10, 'panel'))"
		" ON CONFLICT (tenant_id) DO UPDATE SET mode = $2,"
		" http_url = EXCLUDED.http_url,"
		" http_method = EXCLUDED.http_method,"
		" timeout_ms = EXCLUDED.timeout_ms,"
		" auth_header = EXCLUDED.auth_header,"
		" auth_token_box = CASE WHEN $12::bool THEN $7::bytea"
		" ELSE s.auth_token_box END,"
		" seal_key_id = CASE WHEN $12::bool THEN $11"
		" ELSE s.seal_key_id END,"
		" auth_token = CASE WHEN $12::bool THEN ''"
		" ELSE s.auth_token END,"
		" mapping = EXCLUDED.mapping, page_url = EXCLUDED.page_url,"
		" page_target = EXCLUDED.page_target, updated_at = now()"
		" RETURNING s.tenant_id";
	struct api_audit_what w = {tenant_id, "crm.settings",
				   "crm_settings", tenant_id, NULL};
	json_t *ms = json_object_get(http_req_json(req), "timeout_ms");
	char msbuf[16], *map = NULL, *box = NULL;
	const char *pv[12];
	int err;

	pv[0] = tenant_id;
	pv[1] = api_str(req, "mode");
	pv[2] = api_str(req, "http_url");
	pv[3] = api_str(req, "http_method");
	pv[4] = NULL;
	if (json_is_integer(ms)) {
		(void)re_snprintf(msbuf, sizeof(msbuf), "%lld",
				  (long long)json_integer_value(ms));
		pv[4] = msbuf;
	}
	pv[5] = api_str(req, "auth_header");
	err = token_seal(req, tenant_id, &box);
	pv[6] = box;
	err = err ? err : api_json_text(req, "mapping", &map);
	pv[7] = map;
	pv[8] = api_str(req, "page_url");
	pv[9] = api_str(req, "page_target");
	pv[10] = seal_key_id();
	pv[11] = api_str(req, "auth_token") ? "true" : "false";

	err = err ? err : api_audit_change(tx, req, sql, 12, pv, &w);
	err = err ? err : db_txn_add(tx, SETTINGS_SQL, 1, pv);
	mem_deref(map);
	mem_deref(box);

	return err;
}


static void settings_put(struct http_req *req)
{
	const char *tenant_id = http_req_principal(req)->tenant_id;
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx;
	int err;

	if (!check_body(req))
		return;

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : put_txn(req, tx, tenant_id);
	api_txn_run(req, tx, err, put_200);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/crm/settings", HTTP_TENANT, ROLE_ADMIN, NULL, 0,
	 settings_get},
	{"PUT", "/api/v1/crm/settings", HTTP_TENANT, ROLE_ADMIN,
	 P(put_params), settings_put},
};


/** Register the screen pop settings API and the lookups' metrics. */
int screenpop_api_init(void)
{
	screenpop_metrics_init();

	return http_routes_add(routes, ARRAY_SIZE(routes));
}
