/* /api/v1/trunks: the platform operator manages carrier trunks. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_uri.h>
#include "app.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "telephony/telephony.h"
#include "telephony/tel_int.h"

/*
 * Trunks are platform rows (no tenant policy): every statement runs with
 * the operator scope, and changes are audited under the nil tenant, the
 * platform's own audit trail. auth_secret is write-only: rendered as
 * has_secret, and left out of audit details.
 */

#define PLATFORM_TENANT "00000000-0000-0000-0000-000000000000"

#define TRUNK_JSON \
	"json_build_object('trunk_id', t.trunk_id, 'tenant_id', t.tenant_id," \
	" 'name', t.name, 'allow_addrs', t.allow_addrs," \
	" 'auth_user', t.auth_user, 'has_secret', t.auth_secret <> ''," \
	" 'codecs', t.codecs, 'max_calls', t.max_calls," \
	" 'max_cps', t.max_cps, 'outbound_uri', t.outbound_uri," \
	" 'enabled', t.enabled, 'number_count', (SELECT count(*)" \
	" FROM numbers n WHERE n.trunk_id = t.trunk_id)," \
	" 'created_at', t.created_at, 'updated_at', t.updated_at)"

#define NOTIFY_SQL "SELECT pg_notify('" TEL_CHANNEL "', '')"

static const struct param create_params[] = {
	{"name", PARAM_STRING, true, 1, 100, NULL, false},
	{"tenant_id", PARAM_UUID, false, 0, 0, NULL, true},
	{"allow_addrs", PARAM_ARRAY, false, 0, 64, NULL, false},
	{"auth_user", PARAM_STRING, false, 0, 64, NULL, false},
	{"auth_secret", PARAM_STRING, false, 0, 128, NULL, false},
	{"codecs", PARAM_STRING, false, 1, 63, NULL, false},
	{"max_calls", PARAM_INT, false, 0, 100000, NULL, false},
	{"max_cps", PARAM_INT, false, 0, 10000, NULL, false},
	{"outbound_uri", PARAM_STRING, false, 0, 255, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};

static const struct param update_params[] = {
	{"name", PARAM_STRING, false, 1, 100, NULL, false},
	{"allow_addrs", PARAM_ARRAY, false, 0, 64, NULL, false},
	{"auth_user", PARAM_STRING, false, 0, 64, NULL, false},
	{"auth_secret", PARAM_STRING, false, 0, 128, NULL, false},
	{"codecs", PARAM_STRING, false, 1, 63, NULL, false},
	{"max_calls", PARAM_INT, false, 0, 100000, NULL, false},
	{"max_cps", PARAM_INT, false, 0, 10000, NULL, false},
	{"outbound_uri", PARAM_STRING, false, 0, 255, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};

/* Codecs the media engine can carry (media/leg.h). */
static const char *const codec_names[] = {"PCMA", "PCMU", "opus", NULL};


static bool addrs_ok(struct http_req *req)
{
	json_t *a = json_object_get(http_req_json(req), "allow_addrs");
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		struct tel_cidr c;
		const char *why = "must be a string";
		char field[32];

		if (json_is_string(v) &&
		    !tel_cidr_parse(&c, json_string_value(v), &why))
			continue;

		(void)re_snprintf(field, sizeof(field), "allow_addrs[%zu]", i);
		api_reply_invalid(req, field, json_is_string(v) ? "format" :
				  "type", why);
		return false;
	}

	return true;
}


static bool codec_known(const char *s, size_t n)
{
	for (size_t i = 0; codec_names[i]; i++) {
		if (strlen(codec_names[i]) == n &&
		    !strncasecmp(codec_names[i], s, n))
			return true;
	}

	return false;
}


static bool codecs_ok(const char *s)
{
	if (!s)
		return true;

	for (;;) {
		size_t n = strcspn(s, ",");

		if (!codec_known(s, n))
			return false;
		if (!s[n])
			return true;
		s += n + 1;
	}
}


/* Digest user names: no spaces or quotes that would need escaping. */
static bool user_ok(const char *s)
{
	for (; s && *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._@+-", *s)))
			return false;
	}

	return true;
}


static bool uri_ok(const char *s)
{
	struct uri uri;
	struct pl pl;

	if (!s || !s[0])
		return true;

	if (strncmp(s, "sip:", 4) && strncmp(s, "sips:", 5))
		return false;

	pl_set_str(&pl, s);

	return 0 == uri_decode(&uri, &pl) && uri.host.l > 0;
}


/* Field checks beyond the parameter table. */
static bool fields_ok(struct http_req *req)
{
	if (!addrs_ok(req))
		return false;

	if (!codecs_ok(api_str(req, "codecs"))) {
		api_reply_invalid(req, "codecs", "format",
				  "use a comma-separated list of PCMA, PCMU"
				  " and opus, e.g. PCMA,PCMU");
		return false;
	}
	if (!user_ok(api_str(req, "auth_user"))) {
		api_reply_invalid(req, "auth_user", "format",
				  "may contain only letters, digits and "
				  ". _ @ + -");
		return false;
	}
	if (!uri_ok(api_str(req, "outbound_uri"))) {
		api_reply_invalid(req, "outbound_uri", "format",
				  "must be a SIP URI like sip:192.0.2.1:5060"
				  " or empty");
		return false;
	}

	return true;
}


/* A new trunk must be recognisable: by address, or by digest user. */
static bool create_ok(struct http_req *req)
{
	json_t *a = json_object_get(http_req_json(req), "allow_addrs");
	const char *user = api_str(req, "auth_user");
	const char *secret = api_str(req, "auth_secret");

	if (!json_array_size(a) && (!user || !user[0])) {
		api_reply_invalid(req, "allow_addrs", "required",
				  "give at least one address, or an auth_user"
				  " for digest authentication");
		return false;
	}
	if (user && user[0] && (!secret || !secret[0])) {
		api_reply_invalid(req, "auth_secret", "required",
				  "is required with auth_user");
		return false;
	}

	return true;
}


static void trunk_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " TRUNK_JSON ", t.created_at::text, t.trunk_id::text"
		" FROM trunks t"
		" WHERE ($1::uuid IS NULL OR t.tenant_id = $1::uuid)"
		" AND ($2::timestamptz IS NULL OR (t.created_at, t.trunk_id)"
		" > ($2::timestamptz, $3::uuid))"
		" ORDER BY t.created_at, t.trunk_id LIMIT $4::int + 1";
	const char *tenant = http_req_query(req, "tenant_id");
	struct api_page pg;

	if (!api_page_get(req, &pg))
		return;

	if (tenant && !api_uuid_ok(tenant)) {
		api_reply_invalid(req, "tenant_id", "format",
				  "must be a UUID");
		return;
	}

	api_page_query(req, &pg, sql, 1, &tenant);
}


static void trunk_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " TRUNK_JSON " FROM trunks t WHERE t.trunk_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "trunk_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, api_row_200);
}


/* The body as audit detail, the secret replaced by whether it changed. */
static char *audit_detail(struct http_req *req)
{
	json_t *d = json_deep_copy(http_req_json(req));
	char *s, *out = NULL;

	if (!d)
		return NULL;

	if (json_object_get(d, "auth_secret")) {
		(void)json_object_del(d, "auth_secret");
		(void)json_object_set_new(d, "auth_secret_changed",
					  json_true());
	}

	s = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	(void)str_dup(&out, s ? s : "{}");
	free(s);  /* ccheck: foreign */

	return out;
}


static void int_param(struct http_req *req, const char *field, char *buf,
		      size_t sz, const char **pvp)
{
	json_t *v = json_object_get(http_req_json(req), field);

	*pvp = NULL;
	if (json_is_integer(v)) {
		(void)re_snprintf(buf, sz, "%lld",
				  (long long)json_integer_value(v));
		*pvp = buf;
	}
}


/* Values $2..$10 shared by create and update: name .. enabled. */
struct trunk_vals {
	const char *pv[10];
	char calls[16], cps[16];
	char *addrs;
};


static int vals_get(struct http_req *req, struct trunk_vals *v)
{
	int err = api_json_text(req, "allow_addrs", &v->addrs);

	v->pv[1] = api_str(req, "name");
	v->pv[2] = v->addrs;
	v->pv[3] = api_str(req, "auth_user");
	v->pv[4] = api_str(req, "auth_secret");
	v->pv[5] = api_str(req, "codecs");
	int_param(req, "max_calls", v->calls, sizeof(v->calls), &v->pv[6]);
	int_param(req, "max_cps", v->cps, sizeof(v->cps), &v->pv[7]);
	v->pv[8] = api_str(req, "outbound_uri");
	v->pv[9] = api_bool(req, "enabled");

	return err;
}


static void changed(struct http_req *req, const struct db_res *res,
		    unsigned status)
{
	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	(void)tel_reload();
	if (status == 204)
		http_reply_empty(req, 204);
	else
		api_reply_row(req, status, res, 0);
}


static void created(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 0) < 1) {
		api_reply_invalid(req, "tenant_id", "not_found",
				  "no tenant has this id");
		return;
	}

	changed(req, res, 201);
}


static void updated(struct http_req *req, const struct db_res *res)
{
	changed(req, res, 200);
}


/* Run a change, its audit row and the reload notice in one transaction. */
static void change_txn(struct http_req *req, const char *sql, unsigned n,
		       const char *const *pv, const char *action,
		       const char *trunk_id, api_rows_h *h)
{
	struct api_audit_what w = {PLATFORM_TENANT, action, "trunk",
				   trunk_id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	char *detail = NULL;
	int err;

	if (strcmp(action, "trunk.delete"))
		detail = audit_detail(req);

	w.detail_sql = detail;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, n, pv, &w);
	err = err ? err : db_txn_add(tx, "SELECT count(*) FROM numbers"
				     " WHERE trunk_id = $1", 1, &trunk_id);
	err = err ? err : db_txn_add(tx, NOTIFY_SQL, 0, NULL);
	mem_deref(detail);
	api_txn_run(req, tx, err, h);
}


static void trunk_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO trunks AS t (trunk_id, name, allow_addrs,"
		" auth_user, auth_secret, codecs, max_calls, max_cps,"
		" outbound_uri, enabled, tenant_id)"
		" SELECT $1, $2, ARRAY(SELECT jsonb_array_elements_text("
		"COALESCE($3::jsonb, '[]'))), COALESCE($4, ''),"
		" COALESCE($5, ''), COALESCE($6, 'PCMA,PCMU'),"
		" COALESCE($7::int, 0), COALESCE($8::int, 0),"
		" COALESCE($9, ''), COALESCE($10::bool, true), $11::uuid"
		" WHERE $11::uuid IS NULL OR EXISTS (SELECT 1 FROM tenants x"
		" WHERE x.tenant_id = $11::uuid)"
		" RETURNING " TRUNK_JSON;
	struct trunk_vals v;
	char trunk_id[UUID_STRLEN];
	const char *pv[11];

	if (!fields_ok(req) || !create_ok(req))
		return;

	memset(&v, 0, sizeof(v));
	if (vals_get(req, &v)) {
		http_reply_error(req, ENOMEM);
		goto out;
	}

	uuid_v4(trunk_id);
	memcpy(pv, v.pv, sizeof(v.pv));
	pv[0] = trunk_id;
	pv[10] = api_str(req, "tenant_id");

	change_txn(req, sql, 11, pv, "trunk.create", trunk_id, created);

 out:
	mem_deref(v.addrs);
}


static void trunk_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE trunks t SET name = COALESCE($2, t.name),"
		" allow_addrs = CASE WHEN $3::jsonb IS NULL THEN t.allow_addrs"
		" ELSE ARRAY(SELECT jsonb_array_elements_text($3::jsonb))"
		" END,"
		" auth_user = COALESCE($4, t.auth_user),"
		" auth_secret = CASE WHEN $4 = '' THEN ''"
		" ELSE COALESCE($5, t.auth_secret) END,"
		" codecs = COALESCE($6, t.codecs),"
		" max_calls = COALESCE($7::int, t.max_calls),"
		" max_cps = COALESCE($8::int, t.max_cps),"
		" outbound_uri = COALESCE($9, t.outbound_uri),"
		" enabled = COALESCE($10::bool, t.enabled), updated_at = now()"
		" WHERE t.trunk_id = $1 RETURNING " TRUNK_JSON;
	const char *id = api_path_uuid(req, "trunk_id");
	struct trunk_vals v;

	if (!id || !fields_ok(req))
		return;

	memset(&v, 0, sizeof(v));
	if (vals_get(req, &v)) {
		http_reply_error(req, ENOMEM);
		goto out;
	}

	v.pv[0] = id;
	change_txn(req, sql, 10, v.pv, "trunk.update", id, updated);

 out:
	mem_deref(v.addrs);
}


/* Not deleted: in use by numbers (409) or not there (404). */
static void deleted(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 0) < 1 &&
	    strcmp(db_val(res, 1, 0, 0) ? db_val(res, 1, 0, 0) : "0", "0")) {
		http_reply_problem(req, 409, "trunk_in_use",
				   "Numbers still use this trunk; move or "
				   "unassign them first.");
		return;
	}

	changed(req, res, 204);
}


static void trunk_delete(struct http_req *req)
{
	static const char sql[] =
		"DELETE FROM trunks t WHERE t.trunk_id = $1 AND NOT EXISTS"
		" (SELECT 1 FROM numbers n WHERE n.trunk_id = t.trunk_id)"
		" RETURNING " TRUNK_JSON;
	const char *id = api_path_uuid(req, "trunk_id");

	if (id)
		change_txn(req, sql, 1, &id, "trunk.delete", id, deleted);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/trunks", HTTP_OPERATOR, ROLE_NONE, NULL, 0,
	 trunk_list},
	{"POST", "/api/v1/trunks", HTTP_OPERATOR, ROLE_NONE,
	 P(create_params), trunk_create},
	{"GET", "/api/v1/trunks/{trunk_id}", HTTP_OPERATOR, ROLE_NONE,
	 NULL, 0, trunk_get},
	{"PATCH", "/api/v1/trunks/{trunk_id}", HTTP_OPERATOR, ROLE_NONE,
	 P(update_params), trunk_update},
	{"DELETE", "/api/v1/trunks/{trunk_id}", HTTP_OPERATOR, ROLE_NONE,
	 NULL, 0, trunk_delete},
};


/** Register the trunks API. */
int trunk_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
