/* /api/v1/api-keys: keys for CRM systems, shown once, stored hashed. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/ident.h"
#include "auth/keyrate.h"
#include "auth/secret.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "apikey/apikey.h"

#define KEY_JSON \
	"json_build_object('api_key_id', api_key_id, 'name', name," \
	" 'role', role, 'prefix', prefix, 'created_at', created_at," \
	" 'last_used_at', last_used_at, 'revoked_at', revoked_at," \
	" 'rate_limit_per_s', rate_limit_per_s, 'burst', burst," \
	" 'agent_id', agent_id)"

/* A nullable int field of the body ($n: the body as jsonb), or keep. */
#define OPT_INT(col, n) \
	col " = CASE WHEN $" n "::jsonb ? '" col "' THEN ($" n \
	"::jsonb->>'" col "')::int ELSE " col " END"

static const char *const roles[] = {"agent", "supervisor", "admin", NULL};

static const struct param create_params[] = {
	{"name", PARAM_STRING, true, 1, 100, NULL, false},
	{"role", PARAM_ENUM, true, 0, 0, roles, false},
	{"rate_limit_per_s", PARAM_INT, false, 1, 10000, NULL, true},
	{"burst", PARAM_INT, false, 1, 100000, NULL, true},
	{"agent_id", PARAM_UUID, false, 0, 0, NULL, true},
};

static const struct param update_params[] = {
	{"name", PARAM_STRING, false, 1, 100, NULL, false},
	{"rate_limit_per_s", PARAM_INT, false, 1, 10000, NULL, true},
	{"burst", PARAM_INT, false, 1, 100000, NULL, true},
};

struct created_key {
	struct http_req *req;            /**< (ref) */
	char key[80];
};


static void key_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " KEY_JSON ", created_at::text, api_key_id::text"
		" FROM api_keys"
		" WHERE ($1::timestamptz IS NULL OR (created_at, api_key_id)"
		" > ($1::timestamptz, $2::uuid))"
		" ORDER BY created_at, api_key_id LIMIT $3::int + 1";

	api_list(req, sql);
}


static void created_destructor(void *arg)
{
	struct created_key *ck = arg;

	mem_deref(ck->req);
	memset(ck->key, 0, sizeof(ck->key));
}


/* The one reply that carries the key itself. */
static void key_created(int err, const struct db_res *res, void *arg)
{
	struct created_key *ck = arg;
	struct http_req *req = ck->req;
	const char *j;
	json_t *obj;

	if (http_req_gone(req))
		goto out;

	if (err) {
		http_reply_error(req, err);
		goto out;
	}

	j = db_val(res, 0, 0, 0);
	obj = j ? json_loads(j, 0, NULL) : NULL;
	if (!obj) {
		http_reply_error(req, ENOMEM);
		goto out;
	}

	api_publish(http_req_principal(req)->tenant_id, "api_key.created",
		    j);
	json_object_set_new(obj, "key", json_string(ck->key));
	http_reply_json(req, 201, obj);

 out:
	mem_deref(ck);
}


/* The body as JSON text: the optional fields are read from it in SQL,
 * so an absent field and a null one each mean what they say. */
static char *body_text(const struct http_req *req)
{
	char *s = json_dumps(http_req_json(req), JSON_COMPACT);
	char *t = NULL;

	if (s)
		(void)str_dup(&t, s);
	free(s);  /* ccheck: foreign */

	return t;
}


static int create_txn(struct db_txn **txp, struct http_req *req,
		      struct created_key *ck, const char *body)
{
	static const char sql[] =
		"INSERT INTO api_keys (api_key_id, tenant_id, name, role,"
		" prefix, key_hash, created_by, rate_limit_per_s, burst,"
		" agent_id) VALUES ($1, $2, $3, $4, $5, $6,"
		" NULLIF($7, '')::uuid, ($8::jsonb->>'rate_limit_per_s')::int,"
		" ($8::jsonb->>'burst')::int, ($8::jsonb->>'agent_id')::uuid)"
		" RETURNING " KEY_JSON;
	const struct principal *p = http_req_principal(req);
	struct db_ctx ctx = api_ctx(req);
	char id[UUID_STRLEN], hash[SECRET_HASH_LEN], secret[64];
	char prefix[16];
	const char *pv[8];
	int err;

	uuid_v4(id);
	err = secret_random(secret, sizeof(secret), 32);
	(void)re_snprintf(ck->key, sizeof(ck->key), "osk_%s", secret);
	memset(secret, 0, sizeof(secret));
	str_ncpy(prefix, ck->key, 13);
	secret_hash(hash, ck->key);

	pv[0] = id;
	pv[1] = p->tenant_id;
	pv[2] = api_str(req, "name");
	pv[3] = api_str(req, "role");
	pv[4] = prefix;
	pv[5] = hash;
	pv[6] = p->kind == PRINCIPAL_USER ? p->id : "";
	pv[7] = body;

	err = err ? err : db_txn_alloc(txp, &ctx);
	err = err ? err : db_txn_add(*txp, sql, 8, pv);
	err = err ? err : api_audit(*txp, req, p->tenant_id, "api_key.create",
				    "api_key", id, NULL);

	return err;
}


static void key_insert(struct http_req *req)
{
	struct db_txn *tx = NULL;
	struct created_key *ck;
	char *body = body_text(req);
	int err;

	ck = mem_zalloc(sizeof(*ck), created_destructor);
	if (!ck || !body) {
		mem_deref(ck);
		mem_deref(body);
		http_reply_error(req, ENOMEM);
		return;
	}
	ck->req = mem_ref(req);

	err = create_txn(&tx, req, ck, body);
	mem_deref(body);
	if (!err) {
		err = db_txn_exec(http_req_app(req)->db, tx, key_created, ck);
		tx = NULL;      /* db_txn_exec owns it in every case */
	}
	if (err) {
		mem_deref(tx);
		mem_deref(ck);
		http_reply_error(req, err);
	}
}


static void agent_checked(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 0) < 1) {
		api_reply_invalid(req, "agent_id", "not_found",
				  "no agent of this tenant has this id");
		return;
	}

	key_insert(req);
}


/* An agent key may act for one agent of the tenant (click-to-dial for
 * itself); another tenant's agent is as unknown as none. */
static void key_create(struct http_req *req)
{
	static const char sql[] =
		"SELECT 1 FROM agents WHERE agent_id = $1::uuid";
	struct db_ctx ctx = api_ctx(req);
	const char *agent = api_str(req, "agent_id");
	const char *role = api_str(req, "role");

	if (!agent) {
		key_insert(req);
		return;
	}
	if (strcmp(role, "agent")) {
		api_reply_invalid(req, "agent_id", "role",
				  "only an agent key acts for an agent");
		return;
	}

	api_query(req, &ctx, sql, 1, &agent, agent_checked);
}


static void updated(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	ident_forget(http_req_param(req, "api_key_id"));
	api_reply_row(req, 200, res, 0);
}


/* Name and rate limit; the key's bucket follows the new limit at its
 * next request, on every node (the NOTIFY makes them read it again). */
static void key_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE api_keys SET"
		" name = COALESCE($2::jsonb->>'name', name),"
		" " OPT_INT("rate_limit_per_s", "2") ", " OPT_INT("burst", "2")
		" WHERE api_key_id = $1 AND revoked_at IS NULL"
		" RETURNING " KEY_JSON;
	const struct principal *p = http_req_principal(req);
	const char *id = http_req_param(req, "api_key_id");
	const struct api_audit_what w = {p->tenant_id, "api_key.update",
					 "api_key", id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	const char *pv[2];
	char *body;
	int err;

	if (!api_uuid_ok(id)) {
		http_reply_error(req, ENOENT);
		return;
	}

	body = body_text(req);
	pv[0] = id;
	pv[1] = body;
	err = body ? db_txn_alloc(&tx, &ctx) : ENOMEM;
	err = err ? err : api_audit_change(tx, req, sql, 2, pv, &w);
	err = err ? err : ident_forget_all_nodes(tx, id);
	mem_deref(body);
	api_txn_run(req, tx, err, updated);
}


static void revoked(struct http_req *req, const struct db_res *res)
{
	const char *id = http_req_param(req, "api_key_id");

	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	ident_forget(id);
	http_reply_empty(req, 204);
	api_publish(http_req_principal(req)->tenant_id, "api_key.revoked",
		    db_val(res, 0, 0, 0));
}


static void key_revoke(struct http_req *req)
{
	static const char sql[] =
		"UPDATE api_keys SET revoked_at = now() WHERE api_key_id = $1"
		" AND revoked_at IS NULL RETURNING " KEY_JSON;
	const struct principal *p = http_req_principal(req);
	const char *id = http_req_param(req, "api_key_id");
	const struct api_audit_what w = {p->tenant_id, "api_key.revoke",
					 "api_key", id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	int err;

	if (!api_uuid_ok(id)) {
		http_reply_error(req, ENOENT);
		return;
	}

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 1, &id, &w);
	err = err ? err : ident_forget_all_nodes(tx, id);
	api_txn_run(req, tx, err, revoked);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/api-keys", HTTP_TENANT, ROLE_ADMIN, NULL, 0,
	 key_list},
	{"POST", "/api/v1/api-keys", HTTP_TENANT, ROLE_ADMIN,
	 P(create_params), key_create},
	{"PATCH", "/api/v1/api-keys/{api_key_id}", HTTP_TENANT, ROLE_ADMIN,
	 P(update_params), key_update},
	{"DELETE", "/api/v1/api-keys/{api_key_id}", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, key_revoke},
};


/** Register the API keys API. */
int apikey_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}


/**
 * Start the keys' rate limits with the configured default (cfg
 * api_rate_per_s, api_rate_burst) and listen for keys revoked or
 * changed on other nodes.
 *
 * @return 0 if success, otherwise errorcode
 */
int apikey_init(struct app *app, uint32_t rate_per_s, uint32_t burst)
{
	int err = keyrate_init(rate_per_s, burst);

	return err ? err : ident_listen(app);
}


void apikey_close(void)
{
	keyrate_close();
}
