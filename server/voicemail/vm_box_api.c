/* /api/v1/voicemail/boxes: a tenant admin manages voicemail boxes. */
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
#include "voicemail/voicemail.h"
#include "voicemail/vm_int.h"

/* The box as JSON, with how many live messages it holds (alias b). */
#define BOX_JSON \
	"json_build_object('box_id', b.box_id, 'name', b.name," \
	" 'description', b.description, 'greeting', b.greeting," \
	" 'max_seconds', b.max_seconds, 'message_count', (SELECT count(*)" \
	" FROM voicemail_messages m WHERE m.box_id = b.box_id" \
	" AND m.deleted_at IS NULL), 'unread_count', (SELECT count(*)" \
	" FROM voicemail_messages m WHERE m.box_id = b.box_id" \
	" AND m.deleted_at IS NULL AND m.status = 'unread')," \
	" 'created_at', b.created_at, 'updated_at', b.updated_at)"

static const struct param create_params[] = {
	{"name", PARAM_STRING, true, 1, 64, NULL, false},
	{"description", PARAM_STRING, false, 0, 200, NULL, false},
	{"greeting", PARAM_STRING, false, 1, 80, NULL, true},
	{"max_seconds", PARAM_INT, false, 5, 3600, NULL, true},
};

static const struct param update_params[] = {
	{"name", PARAM_STRING, false, 1, 64, NULL, false},
	{"description", PARAM_STRING, false, 0, 200, NULL, false},
	{"greeting", PARAM_STRING, false, 1, 80, NULL, true},
	{"max_seconds", PARAM_INT, false, 5, 3600, NULL, true},
};


/* Names are what IVR flows use to find a box, next to its id. */
static bool name_ok(struct http_req *req)
{
	const char *s = api_str(req, "name");
	size_t n = s ? strlen(s) : 0;

	if (!s)
		return true;

	if (s[0] == ' ' || s[n - 1] == ' ') {
		api_reply_invalid(req, "name", "format",
				  "must not begin or end with a space");
		return false;
	}
	if (api_uuid_ok(s)) {
		api_reply_invalid(req, "name", "format",
				  "must not look like a box id (UUID)");
		return false;
	}

	return true;
}


/* A greeting names a prompt: a tenant prompt's id or builtin/<name>. */
static bool greeting_ok(struct http_req *req)
{
	const char *s = api_str(req, "greeting");
	const char *p;

	if (!s || api_uuid_ok(s))
		return true;

	if (!strncmp(s, "builtin/", 8) && s[8]) {
		for (p = s + 8; *p; p++) {
			if (!((*p >= 'a' && *p <= 'z') ||
			      (*p >= '0' && *p <= '9') || *p == '_'))
				break;
		}
		if (!*p && p - s <= 72)
			return true;
	}

	api_reply_invalid(req, "greeting", "format",
			  "must be a prompt id (UUID) or builtin/<name>, "
			  "e.g. builtin/voicemail_greeting");
	return false;
}


static void box_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " BOX_JSON ", b.created_at::text, b.box_id::text"
		" FROM voicemail_boxes b"
		" WHERE ($1::timestamptz IS NULL OR (b.created_at, b.box_id)"
		" > ($1::timestamptz, $2::uuid))"
		" ORDER BY b.created_at, b.box_id LIMIT $3::int + 1";

	api_list(req, sql);
}


static void box_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " BOX_JSON " FROM voicemail_boxes b"
		" WHERE b.box_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "box_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, api_row_200);
}


static void created(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 201, res, 0);
}


/* The request body as JSON text, for the audit row's detail. */
static char *body_text(struct http_req *req)
{
	char *s = json_dumps(http_req_json(req), JSON_COMPACT);
	char *detail = NULL;

	(void)str_dup(&detail, s ? s : "{}");
	free(s);  /* ccheck: foreign */

	return detail;
}


static void box_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO voicemail_boxes AS b (box_id, tenant_id, name,"
		" description, greeting, max_seconds)"
		" VALUES ($1, $2, $3, COALESCE($4, ''), lower($5), $6::int)"
		" RETURNING " BOX_JSON;
	const char *tenant_id = http_req_principal(req)->tenant_id;
	struct db_ctx ctx = api_ctx(req);
	json_t *ms = json_object_get(http_req_json(req), "max_seconds");
	struct db_txn *tx = NULL;
	char box_id[UUID_STRLEN], msv[16];
	char *detail;
	const char *pv[6];
	int err;

	if (!name_ok(req) || !greeting_ok(req))
		return;

	uuid_v4(box_id);
	(void)re_snprintf(msv, sizeof(msv), "%lld", json_is_integer(ms) ?
			  (long long)json_integer_value(ms) : 0LL);
	pv[0] = box_id;
	pv[1] = tenant_id;
	pv[2] = api_str(req, "name");
	pv[3] = api_str(req, "description");
	pv[4] = api_str(req, "greeting");
	pv[5] = json_is_integer(ms) ? msv : NULL;

	detail = body_text(req);
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, sql, 6, pv);
	err = err ? err : api_audit(tx, req, tenant_id,
				    "voicemail_box.create", "voicemail_box",
				    box_id, detail);
	mem_deref(detail);
	api_txn_run(req, tx, err, created);
}


static void updated(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 200, res, 0);
}


static void box_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE voicemail_boxes b SET name = COALESCE($2, name),"
		" description = COALESCE($3, description),"
		" greeting = CASE WHEN $4::bool THEN lower($5)"
		" ELSE greeting END,"
		" max_seconds = CASE WHEN $6::bool THEN $7::int"
		" ELSE max_seconds END, updated_at = now()"
		" WHERE b.box_id = $1 RETURNING " BOX_JSON;
	const char *tenant_id = http_req_principal(req)->tenant_id;
	json_t *body = http_req_json(req);
	json_t *ms = json_object_get(body, "max_seconds");
	const char *id = api_path_uuid(req, "box_id");
	struct api_audit_what w = {tenant_id, "voicemail_box.update",
				   "voicemail_box", id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	char msv[16];
	const char *pv[7];
	int err;

	if (!id || !name_ok(req) || !greeting_ok(req))
		return;

	(void)re_snprintf(msv, sizeof(msv), "%lld", json_is_integer(ms) ?
			  (long long)json_integer_value(ms) : 0LL);
	pv[0] = id;
	pv[1] = api_str(req, "name");
	pv[2] = api_str(req, "description");
	pv[3] = json_object_get(body, "greeting") ? "true" : "false";
	pv[4] = api_str(req, "greeting");
	pv[5] = ms ? "true" : "false";
	pv[6] = json_is_integer(ms) ? msv : NULL;

	w.detail_sql = body_text(req);
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 7, pv, &w);
	mem_deref((void *)w.detail_sql);
	api_txn_run(req, tx, err, updated);
}


/*
 * Statement 0 says whether the box exists and how many messages it
 * holds; statement 1 deletes it, only if empty unless forced, and
 * returns the ids of the messages whose files must go.
 */
static void deleted(struct http_req *req, const struct db_res *res)
{
	const char *tenant_id = http_req_principal(req)->tenant_id;
	const char *ids;
	char *copy = NULL;
	char **idv = NULL;
	unsigned n = 0;

	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}
	if (db_nrows(res, 1) < 1) {
		http_reply_problem(req, 409, "box_not_empty",
				   "The box still holds messages; delete them"
				   " first or add ?force=true to delete them "
				   "with the box.");
		return;
	}

	http_reply_empty(req, 204);

	/* comma-separated UUIDs of 36 characters each */
	ids = db_val(res, 1, 0, 0);
	if (!ids || !*ids || str_dup(&copy, ids))
		return;

	n = (unsigned)(strlen(copy) + 1) / 37;
	idv = mem_zalloc(n * sizeof(*idv), NULL);
	for (unsigned i = 0; idv && i < n; i++) {
		idv[i] = copy + 37 * i;
		idv[i][36] = '\0';
	}
	if (idv)
		vm_unlink_async(http_req_app(req), tenant_id,
				(const char *const *)idv, n);
	mem_deref(idv);
	mem_deref(copy);
}


static void box_delete(struct http_req *req)
{
	static const char count_sql[] =
		"SELECT count(m.message_id) FROM voicemail_boxes b"
		" LEFT JOIN voicemail_messages m ON m.box_id = b.box_id"
		" AND m.deleted_at IS NULL WHERE b.box_id = $1"
		" GROUP BY b.box_id";
	static const char sql[] =
		"DELETE FROM voicemail_boxes b WHERE b.box_id = $1"
		" AND ($2::bool OR NOT EXISTS (SELECT 1 FROM"
		" voicemail_messages m WHERE m.box_id = b.box_id"
		" AND m.deleted_at IS NULL))"
		" RETURNING COALESCE((SELECT string_agg(m.message_id::text,"
		" ',') FROM voicemail_messages m WHERE m.box_id = b.box_id"
		" AND m.deleted_at IS NULL), '')";
	const char *tenant_id = http_req_principal(req)->tenant_id;
	const char *force = http_req_query(req, "force");
	const char *id = api_path_uuid(req, "box_id");
	struct api_audit_what w = {tenant_id, "voicemail_box.delete",
				   "voicemail_box", id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	const char *pv[2];
	int err;

	if (!id)
		return;
	if (force && strcmp(force, "true") && strcmp(force, "false")) {
		api_reply_invalid(req, "force", "enum",
				  "must be true or false");
		return;
	}

	pv[0] = id;
	pv[1] = force && !strcmp(force, "true") ? "true" : "false";
	w.detail_sql = !strcmp(pv[1], "true") ? "{\"force\":true}" : NULL;

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, count_sql, 1, pv);
	err = err ? err : api_audit_change(tx, req, sql, 2, pv, &w);
	api_txn_run(req, tx, err, deleted);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/voicemail/boxes", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, box_list},
	{"POST", "/api/v1/voicemail/boxes", HTTP_TENANT, ROLE_ADMIN,
	 P(create_params), box_create},
	{"GET", "/api/v1/voicemail/boxes/{box_id}", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, box_get},
	{"PATCH", "/api/v1/voicemail/boxes/{box_id}", HTTP_TENANT,
	 ROLE_ADMIN, P(update_params), box_update},
	{"DELETE", "/api/v1/voicemail/boxes/{box_id}", HTTP_TENANT,
	 ROLE_ADMIN, NULL, 0, box_delete},
};


/** Register the voicemail boxes API. */
int vm_box_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
