/* /api/v1/auth/refresh, /auth/logout and /me. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/ident.h"
#include "auth/secret.h"
#include "auth/session.h"
#include "http/api.h"
#include "http/param.h"

static const struct db_ctx op = {DB_OPERATOR, NULL};

static const struct param refresh_params[] = {
	{"refresh_token", PARAM_STRING, true, 1, 256, NULL, false},
};

struct refresh {
	struct http_req *req;             /**< (ref) */
	char family_id[UUID_LEN];
};


static void refresh_destructor(void *arg)
{
	struct refresh *rf = arg;

	mem_deref(rf->req);
}


static void reply_401(struct http_req *req)
{
	http_reply_problem(req, 401, "unauthorized",
			   "The refresh token is invalid, expired or was "
			   "already used; sign in again.");
}


static void refresh_ident(int err, const struct ident *id, void *arg)
{
	struct refresh *rf = arg;

	if (http_req_gone(rf->req))
		goto out;

	if (err == ENOENT || (!err && (id->gone || id->disabled ||
				       id->tenant_suspended))) {
		reply_401(rf->req);
		goto out;
	}
	if (err) {
		http_reply_error(rf->req, err);
		goto out;
	}

	session_issue(rf->req, id, rf->family_id);

 out:
	mem_deref(rf);
}


static void family_revoked(struct http_req *req, const struct db_res *res)
{
	(void)res;
	reply_401(req);
}


/* Presenting a used token: revoke every token of its family. */
static void revoke_family(struct http_req *req, const char *hash)
{
	static const char sql[] =
		"UPDATE sessions SET revoked_at = now() WHERE family_id ="
		" (SELECT family_id FROM sessions WHERE token_hash = $1)"
		" AND revoked_at IS NULL";

	api_query(req, &op, sql, 1, &hash, family_revoked);
}


static void refresh_claimed(int err, const struct db_res *res, void *arg)
{
	struct refresh *rf = arg;
	struct app *app = http_req_app(rf->req);
	enum principal_kind kind;
	char hash[SECRET_HASH_LEN];

	if (http_req_gone(rf->req))
		goto out;

	if (err) {
		http_reply_error(rf->req, err);
		goto out;
	}

	if (db_nrows(res, 0) != 1) {
		secret_hash(hash, api_str(rf->req, "refresh_token"));
		revoke_family(rf->req, hash);
		goto out;
	}

	str_ncpy(rf->family_id, db_get(res, 0, 0, "family_id"),
		 sizeof(rf->family_id));
	kind = !strcmp(db_get(res, 0, 0, "principal_kind"), "operator") ?
		PRINCIPAL_OPERATOR : PRINCIPAL_USER;
	ident_forget(db_get(res, 0, 0, "principal_id"));
	ident_lookup(app, kind, db_get(res, 0, 0, "principal_id"),
		     refresh_ident, mem_ref(rf));

 out:
	mem_deref(rf);
}


static void auth_refresh(struct http_req *req)
{
	static const char sql[] =
		"UPDATE sessions SET used_at = now() WHERE token_hash = $1"
		" AND used_at IS NULL AND revoked_at IS NULL"
		" AND expires_at > now()"
		" RETURNING family_id, principal_kind, principal_id";
	struct app *app = http_req_app(req);
	char hash[SECRET_HASH_LEN];
	const char *pv[1] = {hash};
	struct refresh *rf;
	int err;

	rf = mem_zalloc(sizeof(*rf), refresh_destructor);
	if (!rf) {
		http_reply_error(req, ENOMEM);
		return;
	}

	rf->req = mem_ref(req);
	secret_hash(hash, api_str(req, "refresh_token"));
	err = db_query(app->db, &op, refresh_claimed, rf, sql, 1, pv);
	if (err) {
		mem_deref(rf);
		http_reply_error(req, err);
	}
}


static void logged_out(struct http_req *req, const struct db_res *res)
{
	(void)res;
	http_reply_empty(req, 204);
}


static void auth_logout(struct http_req *req)
{
	static const char sql[] =
		"UPDATE sessions SET revoked_at = now() WHERE family_id ="
		" (SELECT family_id FROM sessions WHERE token_hash = $1"
		" AND principal_id = $2) AND revoked_at IS NULL";
	static const char sql_audit[] =
		"INSERT INTO audit_log (tenant_id, actor_kind, actor_id,"
		" actor_name, action, target_type, target_id, remote_addr)"
		" VALUES ($1::uuid, 'user', $2::uuid, $3, 'auth.logout',"
		" 'user', $2, $4)";
	const struct principal *p = http_req_principal(req);
	char hash[SECRET_HASH_LEN];
	const char *pv[4];
	struct db_txn *tx = NULL;
	int err;

	secret_hash(hash, api_str(req, "refresh_token"));
	pv[0] = hash;
	pv[1] = p->id;

	err = db_txn_alloc(&tx, &op);
	err = err ? err : db_txn_add(tx, sql, 2, pv);
	if (!err && p->kind == PRINCIPAL_USER) {
		pv[0] = p->tenant_id;
		pv[2] = p->name;
		pv[3] = http_req_remote(req);
		err = db_txn_add(tx, sql_audit, 4, pv);
	}
	api_txn_run(req, tx, err, logged_out);
}


static void me_ident(int err, const struct ident *id, void *arg)
{
	struct http_req *req = arg;
	json_t *body;

	if (http_req_gone(req))
		goto out;

	if (err) {
		http_reply_error(req, err == ENOENT ? EACCES : err);
		goto out;
	}

	body = session_me_json(id);
	if (body)
		http_reply_json(req, 200, body);
	else
		http_reply_error(req, ENOMEM);

 out:
	mem_deref(req);
}


static void me_get(struct http_req *req)
{
	const struct principal *p = http_req_principal(req);
	struct ident id;

	if (p->kind == PRINCIPAL_API_KEY) {
		memset(&id, 0, sizeof(id));
		id.p = *p;
		http_reply_json(req, 200, session_me_json(&id));
		return;
	}

	/* authentication just filled the cache: this answers at once */
	ident_lookup(http_req_app(req), p->kind, p->id, me_ident,
		     mem_ref(req));
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"POST", "/api/v1/auth/refresh", HTTP_PUBLIC, ROLE_NONE,
	 P(refresh_params), auth_refresh},
	{"POST", "/api/v1/auth/logout", HTTP_ANY, ROLE_NONE,
	 P(refresh_params), auth_logout},
	{"GET", "/api/v1/me", HTTP_ANY, ROLE_NONE, NULL, 0, me_get},
};


/** Register the session routes. */
int session_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
