/* POST /api/v1/auth/login: password sign-in with failure limits. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include "app.h"
#include "auth/ident.h"
#include "auth/login.h"
#include "auth/password.h"
#include "auth/ratelimit.h"
#include "auth/session.h"
#include "http/api.h"
#include "http/param.h"

/*
 * Unknown tenant, unknown user and wrong password answer alike (401
 * invalid_credentials), and an unknown user still costs one argon2id
 * verification, so neither the answer nor its timing tells which.
 */

static const struct param login_params[] = {
	{"tenant", PARAM_STRING, false, 0, 32, NULL, true},
	{"username", PARAM_STRING, true, 1, 64, NULL, false},
	{"password", PARAM_STRING, true, 1, PASSWORD_MAX_LEN, NULL, false},
};

/* A valid argon2id hash of a random password nobody knows. */
static const char dummy_hash[] =
	"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA"
	"$RdescudvJCsgt3ub+b+dWRWJTmaaJObG+BhP3PfCxs8";

struct login {
	struct http_req *req;             /**< (ref) */
	enum principal_kind kind;
	char id[UUID_LEN];
	char user_key[128];
	char addr_key[80];
	bool found;
};


static void destructor(void *arg)
{
	struct login *lg = arg;

	mem_deref(lg->req);
}


static void reply_429(struct http_req *req, uint64_t retry_ms)
{
	char secs[16];

	(void)re_snprintf(secs, sizeof(secs), "%llu",
			  (unsigned long long)(retry_ms + 999) / 1000);
	http_reply_header(req, "retry-after", secs);
	http_reply_problem(req, 429, "too_many_requests",
			   "Too many failed sign-ins; wait before trying "
			   "again (see Retry-After).");
}


static void fail(struct login *lg)
{
	struct app *app = http_req_app(lg->req);
	uint64_t now = tmr_jiffies();

	ratelimit_fail(app->rl_login, lg->user_key, now);
	ratelimit_fail(app->rl_addr, lg->addr_key, now);
	http_reply_problem(lg->req, 401, "invalid_credentials",
			   "The enterprise code, username or password is "
			   "wrong.");
}


static void ident_done(int err, const struct ident *id, void *arg)
{
	struct login *lg = arg;

	if (http_req_gone(lg->req))
		goto out;

	if (err) {
		http_reply_error(lg->req, err == ENOENT ? EAGAIN : err);
		goto out;
	}
	if (id->gone) {
		fail(lg);
		goto out;
	}
	if (id->disabled || id->tenant_suspended) {
		http_reply_problem(lg->req, 403, id->disabled ?
				   "account_disabled" : "tenant_suspended",
				   id->disabled ?
				   "This account is disabled; contact your "
				   "administrator." :
				   "This tenant is suspended; contact the "
				   "platform operator.");
		goto out;
	}

	session_issue(lg->req, id, NULL);

 out:
	mem_deref(lg);
}


static void verified(int err, bool match, void *arg)
{
	struct login *lg = arg;
	struct app *app = http_req_app(lg->req);

	if (http_req_gone(lg->req))
		goto out;

	if (err) {
		http_reply_error(lg->req, err);
		goto out;
	}
	if (!match || !lg->found) {
		fail(lg);
		goto out;
	}

	ratelimit_reset(app->rl_login, lg->user_key);
	ident_forget(lg->id);
	ident_lookup(app, lg->kind, lg->id, ident_done, mem_ref(lg));

 out:
	mem_deref(lg);
}


static void found(int err, const struct db_res *res, void *arg)
{
	struct login *lg = arg;
	struct app *app = http_req_app(lg->req);
	const char *hash = dummy_hash;

	if (http_req_gone(lg->req))
		goto out;

	if (err) {
		http_reply_error(lg->req, err);
		goto out;
	}

	if (db_nrows(res, 0) == 1) {
		lg->found = true;
		str_ncpy(lg->id, db_val(res, 0, 0, 0), sizeof(lg->id));
		hash = db_val(res, 0, 0, 1);
	}

	err = password_verify_async(app->workers, hash,
				    api_str(lg->req, "password"), verified,
				    mem_ref(lg));
	if (err) {
		mem_deref(lg);
		http_reply_error(lg->req, err);
	}

 out:
	mem_deref(lg);
}


static bool limited(struct login *lg, struct app *app)
{
	uint64_t now = tmr_jiffies(), retry = 0, r2 = 0;
	int e1, e2;

	e1 = ratelimit_check(app->rl_login, lg->user_key, now, &retry);
	e2 = ratelimit_check(app->rl_addr, lg->addr_key, now, &r2);
	if (!e1 && !e2)
		return false;

	reply_429(lg->req, retry > r2 ? retry : r2);
	return true;
}


static void login_post(struct http_req *req)
{
	static const struct db_ctx op = {DB_OPERATOR, NULL};
	static const char sql_user[] =
		"SELECT u.user_id, u.password_hash FROM users u"
		" JOIN tenants t USING (tenant_id)"
		" WHERE t.code = $1 AND u.username = $2"
		" AND u.deleted_at IS NULL";
	static const char sql_op[] =
		"SELECT operator_id, password_hash FROM operators"
		" WHERE username = $1";
	struct app *app = http_req_app(req);
	const char *tenant = api_str(req, "tenant");
	const char *user = api_str(req, "username");
	const char *pv[2];
	struct login *lg;
	int err;

	lg = mem_zalloc(sizeof(*lg), destructor);
	if (!lg) {
		http_reply_error(req, ENOMEM);
		return;
	}

	lg->req = mem_ref(req);
	lg->kind = tenant && *tenant ? PRINCIPAL_USER : PRINCIPAL_OPERATOR;
	(void)re_snprintf(lg->user_key, sizeof(lg->user_key), "%s/%s",
			  tenant ? tenant : "", user);
	(void)re_snprintf(lg->addr_key, sizeof(lg->addr_key), "%s",
			  http_req_remote(req));

	if (limited(lg, app)) {
		mem_deref(lg);
		return;
	}

	pv[0] = lg->kind == PRINCIPAL_USER ? tenant : user;
	pv[1] = user;
	err = db_query(app->db, &op, found, lg,
		       lg->kind == PRINCIPAL_USER ? sql_user : sql_op,
		       lg->kind == PRINCIPAL_USER ? 2 : 1, pv);
	if (err) {
		mem_deref(lg);
		http_reply_error(req, err);
	}
}


static const struct http_route routes[] = {
	{"POST", "/api/v1/auth/login", HTTP_PUBLIC, ROLE_NONE,
	 login_params, ARRAY_SIZE(login_params), login_post},
};


/** Register POST /api/v1/auth/login. */
int login_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
