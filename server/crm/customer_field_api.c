/* /api/v1/customer-fields: the custom fields a tenant admin defines for
 * its customers (key, label, type, options, required, length). */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "http/param.h"
#include "crm/crm_int.h"

/*
 * A field's key names its values in every customer's `fields`, so it
 * never changes; nor does its type (stored values were checked against
 * it). Disabling a field hides it from forms and checks and keeps the
 * stored values; deleting it removes them too.
 */

#define FIELD_JSON \
	"json_build_object('field_id', f.field_id, 'key', f.key," \
	" 'label', f.label, 'type', f.type, 'options', to_json(f.options)," \
	" 'required', f.required, 'max_length', f.max_length," \
	" 'position', f.position, 'enabled', f.enabled," \
	" 'created_at', f.created_at, 'updated_at', f.updated_at)"

#define SELECT_SQL \
	"SELECT " FIELD_JSON " FROM customer_fields f WHERE f.field_id = $1"

#define OPTION_MAX 64

static const char *const types[] = {"text", "number", "date", "boolean",
				    "select", "email", "url", NULL};

static const struct param create_params[] = {
	{"key", PARAM_STRING, true, 1, 32, NULL, false},
	{"label", PARAM_STRING, true, 1, 64, NULL, false},
	{"type", PARAM_ENUM, true, 0, 0, types, false},
	{"options", PARAM_ARRAY, false, 0, 100, NULL, false},
	{"required", PARAM_BOOL, false, 0, 0, NULL, false},
	{"max_length", PARAM_INT, false, 1, 4000, NULL, false},
	{"position", PARAM_INT, false, 0, 1000, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};

/* key and type are here to be refused by name (immutable). */
static const struct param update_params[] = {
	{"key", PARAM_STRING, false, 0, 0, NULL, false},
	{"type", PARAM_STRING, false, 0, 0, NULL, false},
	{"label", PARAM_STRING, false, 1, 64, NULL, false},
	{"options", PARAM_ARRAY, false, 0, 100, NULL, false},
	{"required", PARAM_BOOL, false, 0, 0, NULL, false},
	{"max_length", PARAM_INT, false, 1, 4000, NULL, false},
	{"position", PARAM_INT, false, 0, 1000, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};


static bool key_ok(struct http_req *req)
{
	const char *k = api_str(req, "key");
	size_t n = k ? strlen(k) : 0;

	if (k && n <= 32 && k[0] >= 'a' && k[0] <= 'z' &&
	    strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789_") == n)
		return true;

	api_reply_invalid(req, "key", "format", "must be a lower-case "
			  "letter then up to 31 letters, digits or _");
	return false;
}


static bool options_ok(struct http_req *req)
{
	return crm_names_ok(req, "options", OPTION_MAX) &&
		crm_text_ok(req, "label", true);
}


static const char *int_arg(struct http_req *req, const char *field,
			   char *buf, size_t sz)
{
	json_t *v = json_object_get(http_req_json(req), field);

	if (!json_is_integer(v))
		return NULL;

	(void)re_snprintf(buf, sz, "%lld", (long long)json_integer_value(v));
	return buf;
}


/* All of them in form order: a form needs every field at once. */
static void list_all(struct http_req *req, const struct db_res *res)
{
	api_reply_page(req, res, 0, db_nrows(res, 0));
}


static void field_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " FIELD_JSON ", f.created_at::text, f.field_id::text"
		" FROM customer_fields f ORDER BY f.position, f.key";
	struct db_ctx ctx = api_ctx(req);

	api_query(req, &ctx, sql, 0, NULL, list_all);
}


static void field_get(struct http_req *req)
{
	struct db_ctx ctx = api_ctx(req);
	char buf[UUID_STRLEN];
	const char *id = crm_path_id(req, "field_id", buf);

	if (id)
		api_query(req, &ctx, SELECT_SQL, 1, &id, api_row_200);
}


static void reply_last(struct http_req *req, const struct db_res *res,
		       unsigned status)
{
	unsigned n = db_res_stmts(res);

	if (n < 1 || db_nrows(res, 0) < 1)
		http_reply_error(req, ENOENT);
	else if (status == 204)
		http_reply_empty(req, 204);
	else
		api_reply_row(req, status, res, n - 1);
}


static void created(struct http_req *req, const struct db_res *res)
{
	reply_last(req, res, 201);
}


static void updated(struct http_req *req, const struct db_res *res)
{
	reply_last(req, res, 200);
}


/* The body, as it was given, is the audit detail. */
static void change(struct http_req *req, const char *sql, unsigned n,
		   const char *const *pv, const char *action, api_rows_h *h)
{
	struct crm_change c = {action, "customer_field", pv[0], NULL};
	struct db_txn *tx = NULL;
	char *detail = crm_json_text(http_req_json(req));
	int err;

	c.detail = detail;
	err = detail ? crm_begin(&tx, req, sql, n, pv, &c) : ENOMEM;
	err = err ? err : db_txn_add(tx, SELECT_SQL, 1, pv);
	mem_deref(detail);
	crm_run(req, tx, err, h);
}


static void field_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO customer_fields (field_id, tenant_id, key, label,"
		" type, options, required, max_length, position, enabled)"
		" VALUES ($1, $2, $3, $4, $5, ARRAY(SELECT"
		" jsonb_array_elements_text(COALESCE($6::jsonb, '[]'))),"
		" COALESCE($7::bool, false), COALESCE($8::int, 200),"
		" COALESCE($9::int, 0), COALESCE($10::bool, true))"
		" RETURNING field_id";
	char field_id[UUID_STRLEN], maxl[16], pos[16];
	char *opts = NULL;
	const char *pv[10];

	if (!key_ok(req) || !options_ok(req))
		return;

	if (api_json_text(req, "options", &opts)) {
		http_reply_error(req, ENOMEM);
		return;
	}

	uuid_v4(field_id);
	pv[0] = field_id;
	pv[1] = http_req_principal(req)->tenant_id;
	pv[2] = api_str(req, "key");
	pv[3] = api_str(req, "label");
	pv[4] = api_str(req, "type");
	pv[5] = opts;
	pv[6] = api_bool(req, "required");
	pv[7] = int_arg(req, "max_length", maxl, sizeof(maxl));
	pv[8] = int_arg(req, "position", pos, sizeof(pos));
	pv[9] = api_bool(req, "enabled");
	change(req, sql, 10, pv, "customer_field.create", created);
	mem_deref(opts);
}


static bool immutable_ok(struct http_req *req)
{
	const char *name = api_str(req, "key") ? "key" :
		api_str(req, "type") ? "type" : NULL;

	if (!name && !json_object_get(http_req_json(req), "key") &&
	    !json_object_get(http_req_json(req), "type"))
		return true;

	api_reply_invalid(req, name ? name : "key", "immutable",
			  "cannot change once the field exists (its "
			  "values are stored under it)");
	return false;
}


static void field_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE customer_fields SET label = COALESCE($2, label),"
		" options = CASE WHEN $3::jsonb IS NULL THEN options ELSE"
		" ARRAY(SELECT jsonb_array_elements_text($3::jsonb)) END,"
		" required = COALESCE($4::bool, required),"
		" max_length = COALESCE($5::int, max_length),"
		" position = COALESCE($6::int, position),"
		" enabled = COALESCE($7::bool, enabled), updated_at = now()"
		" WHERE field_id = $1 RETURNING field_id";
	char buf[UUID_STRLEN], maxl[16], pos[16];
	const char *id = crm_path_id(req, "field_id", buf);
	char *opts = NULL;
	const char *pv[7];

	if (!id || !immutable_ok(req) || !options_ok(req))
		return;

	if (api_json_text(req, "options", &opts)) {
		http_reply_error(req, ENOMEM);
		return;
	}

	pv[0] = id;
	pv[1] = api_str(req, "label");
	pv[2] = opts;
	pv[3] = api_bool(req, "required");
	pv[4] = int_arg(req, "max_length", maxl, sizeof(maxl));
	pv[5] = int_arg(req, "position", pos, sizeof(pos));
	pv[6] = api_bool(req, "enabled");
	change(req, sql, 7, pv, "customer_field.update", updated);
	mem_deref(opts);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	if (db_res_stmts(res) < 2 || db_nrows(res, 1) < 1)
		http_reply_error(req, ENOENT);
	else
		http_reply_empty(req, 204);
}


/* The values go with the definition, in the same transaction. */
static void field_delete(struct http_req *req)
{
	static const char strip_sql[] =
		"UPDATE customers c SET fields = c.fields - f.key"
		" FROM customer_fields f WHERE f.field_id = $1"
		" AND c.fields ? f.key";
	static const char sql[] =
		"DELETE FROM customer_fields WHERE field_id = $1"
		" RETURNING field_id";
	struct db_ctx ctx = api_ctx(req);
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   "customer_field.delete", "customer_field",
				   NULL, NULL};
	char buf[UUID_STRLEN];
	struct db_txn *tx = NULL;
	int err;

	w.target_id = crm_path_id(req, "field_id", buf);
	if (!w.target_id)
		return;

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, strip_sql, 1, &w.target_id);
	err = err ? err : api_audit_change(tx, req, sql, 1, &w.target_id,
					   &w);
	crm_run(req, tx, err, deleted);
}


#define P(t) t, ARRAY_SIZE(t)

/* Everyone who edits customers reads the definitions (forms). */
static const struct http_route routes[] = {
	{"GET", "/api/v1/customer-fields", HTTP_TENANT, ROLE_AGENT, NULL,
	 0, field_list},
	{"POST", "/api/v1/customer-fields", HTTP_TENANT, ROLE_ADMIN,
	 P(create_params), field_create},
	{"GET", "/api/v1/customer-fields/{field_id}", HTTP_TENANT,
	 ROLE_AGENT, NULL, 0, field_get},
	{"PATCH", "/api/v1/customer-fields/{field_id}", HTTP_TENANT,
	 ROLE_ADMIN, P(update_params), field_update},
	{"DELETE", "/api/v1/customer-fields/{field_id}", HTTP_TENANT,
	 ROLE_ADMIN, NULL, 0, field_delete},
};


/** Register the custom field definitions API. */
int customer_field_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
