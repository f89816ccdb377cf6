/* A customer's past: its calls (from or to any of its numbers) and who
 * changed it when (the audit log). */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "http/api.h"
#include "crm/crm_int.h"

/*
 * Both are newest first and take the customer's id from the path: the
 * first statement finds the customer (another tenant's id or a deleted
 * one is a 404, not an empty page), the second reads the page.
 *
 * A call matches through phone_norm(caller) / phone_norm(callee), the
 * expressions the calls_tenant_caller_norm and calls_tenant_callee_norm
 * indexes hold, so a customer with a few numbers reads a few index
 * ranges however long the call log is. Every user who may read the
 * customer reads its calls: the customer's history is what an agent
 * needs on the line, whoever took the earlier calls.
 */

#define EXISTS_SQL "SELECT 1 FROM customers WHERE customer_id = $1"

#define CALL_JSON \
	"(to_jsonb(c) || jsonb_build_object('number_label'," \
	" (SELECT n.label FROM numbers n WHERE n.number = c.number" \
	" AND n.tenant_id = c.tenant_id)))"

#define HIST_JSON \
	"json_build_object('audit_id', a.audit_id, 'action', a.action," \
	" 'actor_kind', a.actor_kind, 'actor_id', a.actor_id," \
	" 'actor_name', a.actor_name, 'changed', a.detail->'changed'," \
	" 'values', a.detail->'values', 'created_at', a.created_at)"


static void sub_list(struct http_req *req, const char *sql)
{
	struct db_ctx ctx = api_ctx(req);
	char buf[UUID_STRLEN];
	const char *id = crm_path_id(req, "customer_id", buf);
	char ts[64], cid[64], lim[16];
	struct db_txn *tx = NULL;
	const char *pv[4];
	unsigned limit;
	int err;

	if (!id || !crm_page(req, &limit, ts, cid, lim))
		return;

	pv[0] = id;
	pv[1] = ts[0] ? ts : NULL;
	pv[2] = cid[0] ? cid : NULL;
	pv[3] = lim;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, EXISTS_SQL, 1, pv);
	err = err ? err : db_txn_add(tx, sql, 4, pv);
	if (err) {
		mem_deref(tx);
		http_reply_error(req, err);
		return;
	}

	api_txn(req, tx, crm_sub_list_done);
}


static void customer_calls(struct http_req *req)
{
	static const char sql[] =
		"WITH p AS (SELECT phone FROM customer_phones"
		" WHERE customer_id = $1),"
		" ids AS (SELECT c.call_id FROM calls c"
		" WHERE phone_norm(c.caller) IN (SELECT phone FROM p)"
		" UNION SELECT c.call_id FROM calls c"
		" WHERE phone_norm(c.callee) IN (SELECT phone FROM p))"
		" SELECT " CALL_JSON ", c.started_at::text, c.call_id::text"
		" FROM calls c WHERE c.call_id IN (SELECT call_id FROM ids)"
		" AND ($2::timestamptz IS NULL OR (c.started_at, c.call_id)"
		" < ($2::timestamptz, $3::uuid))"
		" ORDER BY c.started_at DESC, c.call_id DESC"
		" LIMIT $4::int + 1";

	sub_list(req, sql);
}


static void customer_history(struct http_req *req)
{
	static const char sql[] =
		"SELECT " HIST_JSON ", a.created_at::text, a.audit_id::text"
		" FROM audit_log a WHERE a.target_type = 'customer'"
		" AND a.target_id = $1::text"
		" AND ($2::timestamptz IS NULL OR (a.created_at, a.audit_id)"
		" < ($2::timestamptz, $3::bigint))"
		" ORDER BY a.created_at DESC, a.audit_id DESC"
		" LIMIT $4::int + 1";

	sub_list(req, sql);
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/customers/{customer_id}/calls", HTTP_TENANT,
	 ROLE_AGENT, NULL, 0, customer_calls},
	{"GET", "/api/v1/customers/{customer_id}/history", HTTP_TENANT,
	 ROLE_AGENT, NULL, 0, customer_history},
};


/** Register a customer's calls and history. */
int customer_hist_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
