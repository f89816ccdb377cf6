/* The operator's recording storage API: tenant keys, purge, usage. */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "core/clock.h"
#include "core/uuid.h"
#include "http/api.h"
#include "recording/rec_key_int.h"
#include "recording/rec_ops.h"
#include "recording/rec_purge.h"

struct pending {
	struct http_req *req;         /**< (ref) */
	char tenant_id[UUID_STRLEN];
	char body[160];
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


static void audited(int err, const struct db_res *res, void *arg)
{
	struct pending *pd = arg;

	(void)res;
	if (err)
		http_reply_error(pd->req, err);
	else
		http_reply_raw(pd->req, 201, "application/json", pd->body,
			       strlen(pd->body));
	mem_deref(pd);
}


/* The key exists; the reply waits for the audit row. */
static void rotated(int err, uint32_t key_no, const char *created_at,
		    void *arg)
{
	struct pending *pd = arg;
	struct db_ctx ctx = {DB_OPERATOR, NULL};
	struct db_txn *tx = NULL;
	char no[16], detail[48];

	/* the tenant does not exist: its key violates the foreign key */
	if (err == EINVAL)
		err = ENOENT;
	if (err) {
		http_reply_error(pd->req, err);
		mem_deref(pd);
		return;
	}

	(void)re_snprintf(pd->body, sizeof(pd->body),
			  "{\"key_no\":%u,\"created_at\":\"%s\"}", key_no,
			  created_at);
	(void)re_snprintf(no, sizeof(no), "%u", key_no);
	(void)re_snprintf(detail, sizeof(detail), "{\"key_no\":%u}", key_no);
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit(tx, pd->req, pd->tenant_id,
				    "recording.key_rotated", "recording_key",
				    no, detail);
	if (!err) {
		err = db_txn_exec(http_req_app(pd->req)->db, tx, audited, pd);
		tx = NULL;
	}
	mem_deref(tx);
	if (err) {
		http_reply_error(pd->req, err);
		mem_deref(pd);
	}
}


static void keys_rotate(struct http_req *req)
{
	const char *id = api_path_uuid(req, "tenant_id");
	struct pending *pd;
	int err;

	if (!id)
		return;

	pd = pending_alloc(req);
	if (!pd) {
		http_reply_error(req, ENOMEM);
		return;
	}
	str_ncpy(pd->tenant_id, id, sizeof(pd->tenant_id));

	err = rec_key_rotate_info(id, rotated, pd);
	if (err) {
		http_reply_error(req, err);
		mem_deref(pd);
	}
}


/* Numbers, master key ids and dates: never key material. */
static void keys_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT json_build_object('items', COALESCE((SELECT"
		" json_agg(json_build_object('key_no', k.key_no,"
		" 'master_id', k.master_id, 'created_at', k.created_at)"
		" ORDER BY k.key_no) FROM recording_keys k"
		" WHERE k.tenant_id = t.tenant_id), '[]'))"
		" FROM tenants t WHERE t.tenant_id = $1::uuid";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "tenant_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, api_row_200);
}


static void purged(int err, const struct rec_purge_result *res, void *arg)
{
	struct pending *pd = arg;
	char body[128];

	if (err) {
		http_reply_error(pd->req, err);
	}
	else {
		(void)re_snprintf(body, sizeof(body),
				  "{\"tenants\":%u,\"deleted\":%u,"
				  "\"bytes\":%llu}", res->tenants,
				  res->deleted,
				  (unsigned long long)res->bytes);
		http_reply_raw(pd->req, 200, "application/json", body,
			       strlen(body));
	}
	mem_deref(pd);
}


static void purge_now(struct http_req *req)
{
	struct pending *pd = pending_alloc(req);
	int err;

	if (!pd) {
		http_reply_error(req, ENOMEM);
		return;
	}

	err = rec_purge_run(http_req_app(req), clock_wall_ms(), purged, pd);
	if (err) {
		http_reply_error(req, err);
		mem_deref(pd);
	}
}


static void usage(struct http_req *req)
{
	static const char sql[] =
		"SELECT json_build_object('items', COALESCE(json_agg("
		"json_build_object('tenant_id', u.tenant_id, 'code', u.code,"
		" 'name', u.name, 'recordings', u.n, 'bytes', u.bytes)"
		" ORDER BY u.code), '[]')) FROM (SELECT t.tenant_id, t.code,"
		" t.name, count(r.recording_id) AS n,"
		" COALESCE(sum(r.size_bytes), 0) AS bytes FROM tenants t"
		" LEFT JOIN recordings r ON r.tenant_id = t.tenant_id"
		" GROUP BY t.tenant_id) u";
	struct db_ctx ctx = api_ctx(req);

	api_query(req, &ctx, sql, 0, NULL, api_row_200);
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/tenants/{tenant_id}/recording-keys", HTTP_OPERATOR,
	 ROLE_NONE, NULL, 0, keys_list},
	{"POST", "/api/v1/tenants/{tenant_id}/recording-keys", HTTP_OPERATOR,
	 ROLE_NONE, NULL, 0, keys_rotate},
	{"POST", "/api/v1/ops/recordings/purge", HTTP_OPERATOR, ROLE_NONE,
	 NULL, 0, purge_now},
	{"GET", "/api/v1/ops/recordings/usage", HTTP_OPERATOR, ROLE_NONE,
	 NULL, 0, usage},
};


/** Register the operator's recording storage routes. */
int rec_ops_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
