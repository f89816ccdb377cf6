/* Sessions: access and refresh tokens, refresh rotation, logout, /me. */
#include <string.h>
#include <time.h>
#include <jansson.h>
#include <sodium.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/ident.h"
#include "auth/secret.h"
#include "auth/session.h"
#include "auth/token.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"

/*
 * A refresh token is used once: refreshing marks it used and issues the
 * next one in the same family. Presenting a used or revoked token means
 * it leaked, so the whole family is revoked (RFC 9700 §4.14.2).
 * Sessions are a platform table: these statements run as the operator
 * role.
 */

static const struct db_ctx op = {DB_OPERATOR, NULL};

struct issue {
	struct http_req *req;             /**< (ref) */
	struct ident id;
	char *access;                     /**< (own) */
	char refresh[64];
};


static void issue_destructor(void *arg)
{
	struct issue *is = arg;

	mem_deref(is->req);
	mem_deref(is->access);
	sodium_memzero(is->refresh, sizeof(is->refresh));
}


/** The /me document of an identity. */
json_t *session_me_json(const struct ident *id)
{
	const struct principal *p = &id->p;

	if (p->kind == PRINCIPAL_API_KEY)
		return json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind",
				 "api_key", "api_key_id", p->id, "name",
				 p->name, "role", role_name(p->role),
				 "tenant_id", p->tenant_id);

	return json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s}",
			 "kind", principal_kind_name(p->kind),
			 "user_id", p->id,
			 "tenant_id", p->tenant_id[0] ? p->tenant_id : NULL,
			 "tenant_code", id->tenant_code[0] ?
			 id->tenant_code : NULL,
			 "tenant_name", id->tenant_name[0] ?
			 id->tenant_name : NULL,
			 "username", p->name,
			 "display_name", id->display_name,
			 "role", role_name(p->role),
			 "locale", id->locale);
}


static void issued(int err, const struct db_res *res, void *arg)
{
	struct issue *is = arg;
	struct app *app;
	json_t *body;

	(void)res;
	if (http_req_gone(is->req))
		goto out;

	if (err) {
		http_reply_error(is->req, err);
		goto out;
	}

	app = http_req_app(is->req);
	body = json_pack("{s:s, s:s, s:i, s:s, s:o}",
			 "access_token", is->access, "token_type", "Bearer",
			 "expires_in", (int)app->cfg.access_token_ttl,
			 "refresh_token", is->refresh,
			 "user", session_me_json(&is->id));
	if (!body)
		http_reply_error(is->req, ENOMEM);
	else
		http_reply_json(is->req, 200, body);

 out:
	mem_deref(is);
}


static int sign_access(struct issue *is, struct app *app)
{
	struct token_claims c;

	memset(&c, 0, sizeof(c));
	str_ncpy(c.sub, is->id.p.id, sizeof(c.sub));
	str_ncpy(c.tenant_id, is->id.p.tenant_id, sizeof(c.tenant_id));
	c.role = is->id.p.role;
	c.iat = (uint64_t)time(NULL);
	c.exp = c.iat + app->cfg.access_token_ttl;

	return token_sign(&is->access, &c, app->jwt_key, app->jwt_keylen);
}


static int add_session_row(struct db_txn *tx, struct issue *is,
			   const char *family_id, struct app *app)
{
	static const char sql[] =
		"INSERT INTO sessions (session_id, family_id, principal_kind,"
		" principal_id, tenant_id, token_hash, expires_at,"
		" remote_addr) VALUES ($1, $2, $3, $4, NULLIF($5, '')::uuid,"
		" $6, now() + make_interval(secs => $7::int), $8)";
	char sid[UUID_STRLEN], fam[UUID_STRLEN], hash[SECRET_HASH_LEN];
	char ttl[16];
	const char *pv[8];

	uuid_v4(sid);
	if (!family_id) {
		uuid_v4(fam);
		family_id = fam;
	}
	secret_hash(hash, is->refresh);
	(void)re_snprintf(ttl, sizeof(ttl), "%u", app->cfg.refresh_token_ttl);

	pv[0] = sid;
	pv[1] = family_id;
	pv[2] = principal_kind_name(is->id.p.kind);
	pv[3] = is->id.p.id;
	pv[4] = is->id.p.tenant_id;
	pv[5] = hash;
	pv[6] = ttl;
	pv[7] = http_req_remote(is->req);

	return db_txn_add(tx, sql, 8, pv);
}


static int add_login_rows(struct db_txn *tx, struct issue *is)
{
	static const char sql_user[] =
		"UPDATE users SET last_login_at = now() WHERE user_id = $1";
	static const char sql_op[] =
		"UPDATE operators SET last_login_at = now()"
		" WHERE operator_id = $1";
	const struct principal *p = &is->id.p;
	const char *id = p->id;
	int err;

	if (p->kind == PRINCIPAL_OPERATOR)
		return db_txn_add(tx, sql_op, 1, &id);

	err = db_txn_add(tx, sql_user, 1, &id);
	if (err)
		return err;

	/* the audit row names the user who just signed in */
	http_req_set_principal(is->req, p);
	return api_audit(tx, is->req, p->tenant_id, "auth.login", "user",
			 p->id, NULL);
}


/**
 * Issue an access token and a new refresh token for id, then reply.
 *
 * @param family_id  the refresh family to continue, NULL for a new login
 */
void session_issue(struct http_req *req, const struct ident *id,
		   const char *family_id)
{
	struct app *app = http_req_app(req);
	struct db_txn *tx = NULL;
	struct issue *is;
	int err;

	is = mem_zalloc(sizeof(*is), issue_destructor);
	if (!is) {
		http_reply_error(req, ENOMEM);
		return;
	}

	is->req = mem_ref(req);
	is->id = *id;

	err = sign_access(is, app);
	err = err ? err : secret_random(is->refresh, sizeof(is->refresh), 32);
	err = err ? err : db_txn_alloc(&tx, &op);
	err = err ? err : add_session_row(tx, is, family_id, app);
	if (!err && !family_id)
		err = add_login_rows(tx, is);
	if (err) {
		mem_deref(tx);
		goto fail;
	}
	err = db_txn_exec(app->db, tx, issued, is);  /* takes tx */
	if (!err)
		return;
 fail:
	http_reply_error(req, err);
	mem_deref(is);
}
