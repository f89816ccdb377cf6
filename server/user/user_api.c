/* /api/v1/users: a tenant admin manages the tenant's accounts. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/ident.h"
#include "auth/password.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "user/user.h"

#define USER_JSON \
	"json_build_object('user_id', user_id, 'tenant_id', tenant_id," \
	" 'username', username, 'display_name', display_name," \
	" 'email', email, 'role', role, 'disabled', disabled," \
	" 'locale', locale, 'created_at', created_at," \
	" 'updated_at', updated_at, 'last_login_at', last_login_at)"

static const char *const roles[] = {"agent", "supervisor", "admin", NULL};
static const char *const locales[] = {"zh-CN", "en", NULL};

static const struct param create_params[] = {
	{"username", PARAM_STRING, true, 1, 64, NULL, false},
	{"password", PARAM_STRING, true, 1, PASSWORD_MAX_LEN, NULL, false},
	{"role", PARAM_ENUM, true, 0, 0, roles, false},
	{"display_name", PARAM_STRING, false, 0, 100, NULL, false},
	{"email", PARAM_EMAIL, false, 0, 254, NULL, true},
	{"locale", PARAM_ENUM, false, 0, 0, locales, false},
};

static const struct param update_params[] = {
	{"display_name", PARAM_STRING, false, 0, 100, NULL, false},
	{"email", PARAM_EMAIL, false, 0, 254, NULL, true},
	{"role", PARAM_ENUM, false, 0, 0, roles, false},
	{"disabled", PARAM_BOOL, false, 0, 0, NULL, false},
	{"locale", PARAM_ENUM, false, 0, 0, locales, false},
};

static const struct param password_params[] = {
	{"password", PARAM_STRING, true, 1, PASSWORD_MAX_LEN, NULL, false},
};

/* A user change waiting for its password hash from the worker pool. */
struct pending {
	struct http_req *req;             /**< (ref) */
	char user_id[UUID_STRLEN];
};


static void pending_destructor(void *arg)
{
	struct pending *pd = arg;

	mem_deref(pd->req);
}


static struct pending *pending_alloc(struct http_req *req)
{
	struct pending *pd = mem_zalloc(sizeof(*pd), pending_destructor);

	if (pd)
		pd->req = mem_ref(req);

	return pd;
}


static bool password_ok(struct http_req *req, const char *pw)
{
	if (password_check_policy(pw)) {
		api_reply_invalid(req, "password", "format",
				  "must be 8 to 256 characters with at least"
				  " one letter and one digit");
		return false;
	}

	return true;
}


static void user_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " USER_JSON ", created_at::text, user_id::text"
		" FROM users WHERE deleted_at IS NULL"
		" AND ($1::text IS NULL OR role = $1)"
		" AND ($2::timestamptz IS NULL OR (created_at, user_id) >"
		" ($2::timestamptz, $3::uuid))"
		" ORDER BY created_at, user_id LIMIT $4::int + 1";
	const char *role = http_req_query(req, "role");
	struct api_page pg;

	if (!api_page_get(req, &pg))
		return;

	if (role && role_parse(role) == ROLE_NONE) {
		api_reply_invalid(req, "role", "enum",
				  "must be one of agent, supervisor, admin");
		return;
	}

	api_page_query(req, &pg, sql, 1, &role);
}


static void user_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " USER_JSON " FROM users"
		" WHERE user_id = $1 AND deleted_at IS NULL";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "user_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, api_row_200);
}


static void created(struct http_req *req, const struct db_res *res)
{
	const char *j = db_val(res, 0, 0, 0);

	api_reply_row(req, 201, res, 0);
	api_publish(http_req_principal(req)->tenant_id, "user.created", j);
}


static void create_hashed(int err, const char *hash, void *arg)
{
	static const char sql[] =
		"INSERT INTO users (user_id, tenant_id, username,"
		" display_name, email, role, password_hash, locale)"
		" VALUES ($1, $2, $3, COALESCE($4, ''), $5, $6, $7,"
		" COALESCE($8, 'zh-CN')) RETURNING " USER_JSON;
	struct pending *pd = arg;
	struct http_req *req = pd->req;
	const char *tenant_id = http_req_principal(req)->tenant_id;
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	const char *pv[8];

	if (err) {
		http_reply_error(req, err);
		goto out;
	}

	pv[0] = pd->user_id;
	pv[1] = tenant_id;
	pv[2] = api_str(req, "username");
	pv[3] = api_str(req, "display_name");
	pv[4] = api_str(req, "email");
	pv[5] = api_str(req, "role");
	pv[6] = hash;
	pv[7] = api_str(req, "locale");

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, sql, 8, pv);
	err = err ? err : api_audit(tx, req, tenant_id, "user.create",
				    "user", pd->user_id, NULL);
	if (err) {
		mem_deref(tx);
		http_reply_error(req, err);
		goto out;
	}

	api_txn(req, tx, created);

 out:
	mem_deref(pd);
}


static bool username_ok(const char *s)
{
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._@-", *s)))
			return false;
	}

	return true;
}


static void user_create(struct http_req *req)
{
	struct app *app = http_req_app(req);
	const char *pw = api_str(req, "password");
	struct pending *pd;
	int err;

	if (!username_ok(api_str(req, "username"))) {
		api_reply_invalid(req, "username", "format",
				  "may contain only letters, digits and "
				  ". _ @ -");
		return;
	}
	if (!password_ok(req, pw))
		return;

	pd = pending_alloc(req);
	if (!pd) {
		http_reply_error(req, ENOMEM);
		return;
	}

	uuid_v4(pd->user_id);
	err = password_hash_async(app->workers, pw, create_hashed, pd);
	if (err) {
		mem_deref(pd);
		http_reply_error(req, err);
	}
}


/* An admin must not lock themselves out by accident. */
static bool self_lockout(struct http_req *req, const char *id)
{
	const struct principal *p = http_req_principal(req);
	json_t *body = http_req_json(req);
	json_t *dis = body ? json_object_get(body, "disabled") : NULL;
	const char *role = api_str(req, "role");

	if (strcmp(p->id, id))
		return false;

	if (strcmp(http_req_method(req), "DELETE") && !json_is_true(dis) &&
	    (!role || !strcmp(role, "admin")))
		return false;

	http_reply_problem(req, 409, "self_lockout",
			   "You cannot disable, demote or delete your own "
			   "account; ask another admin.");
	return true;
}


static void changed(struct http_req *req, const struct db_res *res,
		    const char *type)
{
	const char *id = http_req_param(req, "user_id");

	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	ident_forget(id);
	if (!strcmp(type, "user.deleted")) {
		user_revoke_sessions(http_req_app(req), id);
		http_reply_empty(req, 204);
	}
	else {
		api_reply_row(req, 200, res, 0);
	}

	api_publish(http_req_principal(req)->tenant_id, type,
		    db_val(res, 0, 0, 0));
}


static void updated(struct http_req *req, const struct db_res *res)
{
	changed(req, res, "user.updated");
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	changed(req, res, "user.deleted");
}


/* Run a user change and its audit row in one transaction. */
static void change_txn(struct http_req *req, const char *sql,
		       unsigned n, const char *const *pv, const char *action,
		       api_rows_h *h)
{
	struct db_ctx ctx = api_ctx(req);
	const char *tenant_id = http_req_principal(req)->tenant_id;
	struct api_audit_what w = {tenant_id, action, "user", pv[0], NULL};
	struct db_txn *tx = NULL;
	char *detail = NULL;
	int err;

	if (!strcmp(action, "user.update")) {
		char *s = json_dumps(http_req_json(req), JSON_COMPACT);

		(void)str_dup(&detail, s ? s : "{}");
		free(s);  /* ccheck: foreign */
	}

	w.detail_sql = detail;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, n, pv, &w);
	mem_deref(detail);
	api_txn_run(req, tx, err, h);
}


static void user_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE users SET display_name = COALESCE($2, display_name),"
		" email = CASE WHEN $3::bool THEN $4 ELSE email END,"
		" role = COALESCE($5, role),"
		" disabled = COALESCE($6::bool, disabled),"
		" locale = COALESCE($7, locale), updated_at = now()"
		" WHERE user_id = $1 AND deleted_at IS NULL"
		" RETURNING " USER_JSON;
	json_t *body = http_req_json(req);
	json_t *dis = json_object_get(body, "disabled");
	const char *id = api_path_uuid(req, "user_id");
	const char *pv[7];

	if (!id || self_lockout(req, id))
		return;

	pv[0] = id;
	pv[1] = api_str(req, "display_name");
	pv[2] = json_object_get(body, "email") ? "true" : "false";
	pv[3] = api_str(req, "email");
	pv[4] = api_str(req, "role");
	pv[5] = dis ? (json_is_true(dis) ? "true" : "false") : NULL;
	pv[6] = api_str(req, "locale");

	change_txn(req, sql, 7, pv, "user.update", updated);
}


static void user_delete(struct http_req *req)
{
	static const char sql[] =
		"UPDATE users SET deleted_at = now(), updated_at = now()"
		" WHERE user_id = $1 AND deleted_at IS NULL"
		" RETURNING " USER_JSON;
	const char *id = api_path_uuid(req, "user_id");

	if (!id || self_lockout(req, id))
		return;

	change_txn(req, sql, 1, &id, "user.delete", deleted);
}


static void password_set(struct http_req *req, const struct db_res *res)
{
	const char *id = http_req_param(req, "user_id");

	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	ident_forget(id);
	user_revoke_sessions(http_req_app(req), id);
	http_reply_empty(req, 204);
}


static void reset_hashed(int err, const char *hash, void *arg)
{
	static const char sql[] =
		"UPDATE users SET password_hash = $2, updated_at = now()"
		" WHERE user_id = $1 AND deleted_at IS NULL RETURNING 1";
	struct pending *pd = arg;
	const char *pv[2] = {pd->user_id, hash};

	if (err)
		http_reply_error(pd->req, err);
	else
		change_txn(pd->req, sql, 2, pv, "user.password_reset",
			   password_set);

	mem_deref(pd);
}


static void user_password(struct http_req *req)
{
	const char *id = api_path_uuid(req, "user_id");
	const char *pw = api_str(req, "password");
	struct pending *pd;
	int err;

	if (!id || !password_ok(req, pw))
		return;

	pd = pending_alloc(req);
	if (!pd) {
		http_reply_error(req, ENOMEM);
		return;
	}

	str_ncpy(pd->user_id, id, sizeof(pd->user_id));
	err = password_hash_async(http_req_app(req)->workers, pw,
				  reset_hashed, pd);
	if (err) {
		mem_deref(pd);
		http_reply_error(req, err);
	}
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/users", HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0,
	 user_list},
	{"POST", "/api/v1/users", HTTP_TENANT, ROLE_ADMIN, P(create_params),
	 user_create},
	{"GET", "/api/v1/users/{user_id}", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, user_get},
	{"PATCH", "/api/v1/users/{user_id}", HTTP_TENANT, ROLE_ADMIN,
	 P(update_params), user_update},
	{"DELETE", "/api/v1/users/{user_id}", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, user_delete},
	{"POST", "/api/v1/users/{user_id}/password", HTTP_TENANT, ROLE_ADMIN,
	 P(password_params), user_password},
};


/** Register the users API. */
int user_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
