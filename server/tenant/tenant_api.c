/* /api/v1/tenants: the platform operator rents seats to enterprises. */
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
#include "telephony/telephony.h"
#include "tenant/tenant.h"

#define TENANT_JSON \
	"json_build_object('tenant_id', t.tenant_id, 'code', t.code," \
	" 'name', t.name, 'seat_quota', t.seat_quota, 'status', t.status," \
	" 'created_at', t.created_at, 'updated_at', t.updated_at," \
	" 'user_count', (SELECT count(*) FROM users u" \
	" WHERE u.tenant_id = t.tenant_id AND u.deleted_at IS NULL))"

static const char *const statuses[] = {"active", "suspended", NULL};

static const struct param create_params[] = {
	{"code", PARAM_STRING, true, 2, 32, NULL, false},
	{"name", PARAM_STRING, true, 1, 100, NULL, false},
	{"seat_quota", PARAM_INT, false, 0, 100000, NULL, false},
	{"admin", PARAM_OBJECT, false, 0, 0, NULL, false},
};

static const struct param admin_params[] = {
	{"username", PARAM_STRING, true, 1, 64, NULL, false},
	{"password", PARAM_STRING, true, 1, PASSWORD_MAX_LEN, NULL, false},
	{"display_name", PARAM_STRING, false, 0, 100, NULL, false},
};

static const struct param update_params[] = {
	{"name", PARAM_STRING, false, 1, 100, NULL, false},
	{"seat_quota", PARAM_INT, false, 0, 100000, NULL, false},
	{"status", PARAM_ENUM, false, 0, 0, statuses, false},
};

struct pending {
	struct http_req *req;             /**< (ref) */
	char tenant_id[UUID_STRLEN];
};


static void pending_destructor(void *arg)
{
	struct pending *pd = arg;

	mem_deref(pd->req);
}


static void tenant_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " TENANT_JSON ", t.created_at::text,"
		" t.tenant_id::text FROM tenants t"
		" WHERE ($1::timestamptz IS NULL OR (t.created_at,"
		" t.tenant_id) > ($1::timestamptz, $2::uuid))"
		" ORDER BY t.created_at, t.tenant_id LIMIT $3::int + 1";

	api_list(req, sql);
}


static void tenant_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " TENANT_JSON " FROM tenants t WHERE t.tenant_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "tenant_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, api_row_200);
}


static void created(struct http_req *req, const struct db_res *res)
{
	unsigned last = db_res_stmts(res) - 1;
	const char *j = db_val(res, last, 0, 0);

	api_reply_row(req, 201, res, last);
	if (j) {
		json_t *t = json_loads(j, 0, NULL);
		const char *tid = json_string_value(json_object_get(t,
							"tenant_id"));

		api_publish(tid, "tenant.created", j);
		json_decref(t);
	}
}


static int add_tenant_rows(struct db_txn *tx, struct pending *pd,
			   const char *admin_hash)
{
	static const char sql_tenant[] =
		"INSERT INTO tenants (tenant_id, code, name, seat_quota)"
		" VALUES ($1, $2, $3, COALESCE($4::int, 10))";
	static const char sql_admin[] =
		"INSERT INTO users (user_id, tenant_id, username,"
		" display_name, role, password_hash)"
		" VALUES ($1, $2, $3, COALESCE($4, ''), 'admin', $5)";
	static const char sql_get[] =
		"SELECT " TENANT_JSON " FROM tenants t WHERE t.tenant_id = $1";
	struct http_req *req = pd->req;
	json_t *admin = json_object_get(http_req_json(req), "admin");
	char quota[16], uid[UUID_STRLEN];
	const char *pv[5];
	const char *tid = pd->tenant_id;
	int err;

	pv[0] = tid;
	pv[1] = api_str(req, "code");
	pv[2] = api_str(req, "name");
	pv[3] = NULL;
	if (json_is_integer(json_object_get(http_req_json(req),
					    "seat_quota"))) {
		(void)re_snprintf(quota, sizeof(quota), "%lld",
				  (long long)json_integer_value(
				  json_object_get(http_req_json(req),
						  "seat_quota")));
		pv[3] = quota;
	}

	err = db_txn_add(tx, sql_tenant, 4, pv);
	err = err ? err : api_audit(tx, req, tid, "tenant.create", "tenant",
				    tid, NULL);
	if (!err && admin_hash) {
		uuid_v4(uid);
		pv[0] = uid;
		pv[1] = tid;
		pv[2] = json_string_value(json_object_get(admin, "username"));
		pv[3] = json_string_value(json_object_get(admin,
							  "display_name"));
		pv[4] = admin_hash;
		err = db_txn_add(tx, sql_admin, 5, pv);
		err = err ? err : api_audit(tx, req, tid, "user.create",
					    "user", uid, NULL);
	}

	return err ? err : db_txn_add(tx, sql_get, 1, &tid);
}


static void create_hashed(int err, const char *hash, void *arg)
{
	struct pending *pd = arg;
	struct db_ctx ctx = api_ctx(pd->req);
	struct db_txn *tx = NULL;

	if (err) {
		http_reply_error(pd->req, err);
		goto out;
	}

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : add_tenant_rows(tx, pd, hash);
	if (err) {
		mem_deref(tx);
		http_reply_error(pd->req, err);
		goto out;
	}

	api_txn(pd->req, tx, created);

 out:
	mem_deref(pd);
}


/* The tenant code is what users type when they sign in. */
static bool code_ok(const char *s)
{
	if (!s || !((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return false;

	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-'))
			return false;
	}

	return true;
}


static bool admin_ok(struct http_req *req, json_t *admin)
{
	struct param_error errv[4];
	size_t errc = 0;

	if (param_validate(admin, admin_params, ARRAY_SIZE(admin_params),
			   false, errv, ARRAY_SIZE(errv), &errc)) {
		char field[80];

		(void)re_snprintf(field, sizeof(field), "admin.%s",
				  errv[0].field);
		api_reply_invalid(req, field, errv[0].code, errv[0].message);
		return false;
	}

	if (password_check_policy(json_string_value(
				  json_object_get(admin, "password")))) {
		api_reply_invalid(req, "admin.password", "format",
				  "must be 8 to 256 characters with at least"
				  " one letter and one digit");
		return false;
	}

	return true;
}


static void tenant_create(struct http_req *req)
{
	json_t *admin = json_object_get(http_req_json(req), "admin");
	const char *pw;
	struct pending *pd;
	int err;

	if (!code_ok(api_str(req, "code"))) {
		api_reply_invalid(req, "code", "format",
				  "use 2 to 32 lower-case letters, digits "
				  "and -, starting with a letter or digit");
		return;
	}
	if (admin && !admin_ok(req, admin))
		return;

	pd = mem_zalloc(sizeof(*pd), pending_destructor);
	if (!pd) {
		http_reply_error(req, ENOMEM);
		return;
	}

	pd->req = mem_ref(req);
	uuid_v4(pd->tenant_id);

	if (!admin) {
		create_hashed(0, NULL, pd);
		return;
	}

	pw = json_string_value(json_object_get(admin, "password"));
	err = password_hash_async(http_req_app(req)->workers, pw,
				  create_hashed, pd);
	if (err) {
		mem_deref(pd);
		http_reply_error(req, err);
	}
}


static void updated(struct http_req *req, const struct db_res *res)
{
	const char *id = http_req_param(req, "tenant_id");

	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	ident_forget_tenant(id);
	/* SIP answers a suspended tenant's numbers 480 from now on */
	(void)tel_reload();
	api_reply_row(req, 200, res, 0);
	api_publish(id, "tenant.updated", db_val(res, 0, 0, 0));
}


static void tenant_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE tenants t SET name = COALESCE($2, t.name),"
		" seat_quota = COALESCE($3::int, t.seat_quota),"
		" status = COALESCE($4, t.status), updated_at = now()"
		" WHERE t.tenant_id = $1 RETURNING " TENANT_JSON;
	json_t *body = http_req_json(req);
	json_t *quota = json_object_get(body, "seat_quota");
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "tenant_id");
	struct api_audit_what w = {id, "tenant.update", "tenant", id, NULL};
	struct db_txn *tx = NULL;
	char q[16], *detail = NULL;
	const char *pv[4];
	int err;

	if (!id)
		return;

	(void)re_snprintf(q, sizeof(q), "%lld",
			  (long long)json_integer_value(quota));
	pv[0] = id;
	pv[1] = api_str(req, "name");
	pv[2] = quota ? q : NULL;
	pv[3] = api_str(req, "status");

	{
		char *s = json_dumps(body, JSON_COMPACT);

		(void)str_dup(&detail, s ? s : "{}");
		free(s);  /* ccheck: foreign */
	}

	w.detail_sql = detail;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 4, pv, &w);
	/* other nodes reload their SIP routing (tenant status) too */
	err = err ? err : db_txn_add(tx, "SELECT pg_notify("
				     "'openseat_telephony', '')", 0, NULL);
	mem_deref(detail);
	api_txn_run(req, tx, err, updated);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/tenants", HTTP_OPERATOR, ROLE_NONE, NULL, 0,
	 tenant_list},
	{"POST", "/api/v1/tenants", HTTP_OPERATOR, ROLE_NONE,
	 P(create_params), tenant_create},
	{"GET", "/api/v1/tenants/{tenant_id}", HTTP_OPERATOR, ROLE_NONE,
	 NULL, 0, tenant_get},
	{"PATCH", "/api/v1/tenants/{tenant_id}", HTTP_OPERATOR, ROLE_NONE,
	 P(update_params), tenant_update},
};


/** Register the tenants API. */
int tenant_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
