/* A customer's past: its calls (from or to any of its numbers) and who
 * changed it when (the audit log). */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "crm/crm_int.h"

/*
 * Both are newest first and take the customer's id from the path: the
 * first statement finds the customer (another tenant's id or a deleted
 * one is a 404, not an empty page), the second reads the page.
 *
 * A call matches through phone_norm(caller) / phone_norm(callee), the
 * expressions the calls_tenant_caller_norm and calls_tenant_callee_norm
 * indexes hold: for each of the customer's numbers, the newest page of
 * calls from it and to it, each one index range, then the page of all
 * of those. Under Row Level Security PostgreSQL would not use those
 * indexes (phone_norm() is not LEAKPROOF; only a superuser may say it
 * is) and would read the tenant's whole call log, so the calls run in
 * the operator's role and name the tenant (the principal's) in every
 * table they read. Every user who may read the customer reads its
 * calls: the customer's history is what an agent needs on the line,
 * whoever took the earlier calls.
 */

#define EXISTS_SQL "SELECT 1 FROM customers WHERE customer_id = $1"

/* The same, for the operator's role: $2 is the tenant. */
#define EXISTS_OP_SQL \
	"SELECT 1 FROM customers WHERE customer_id = $1" \
	" AND tenant_id = $2::uuid"

/* The newest calls of one number, from (col caller) or to (callee) it. */
#define NUMBER_CALLS(col) \
	"(SELECT k.call_id FROM calls k WHERE k.tenant_id = p.tenant_id" \
	" AND phone_norm(k." col ") = p.phone AND ($2::timestamptz IS NULL" \
	" OR (k.started_at, k.call_id) < ($2::timestamptz, $3::uuid))" \
	" ORDER BY k.started_at DESC, k.call_id DESC LIMIT $4::int + 1)"

#define CALL_JSON \
	"(to_jsonb(c) || jsonb_build_object('number_label'," \
	" (SELECT n.label FROM numbers n WHERE n.number = c.number" \
	" AND n.tenant_id = c.tenant_id)))"

#define HIST_JSON \
	"json_build_object('audit_id', a.audit_id, 'action', a.action," \
	" 'actor_kind', a.actor_kind, 'actor_id', a.actor_id," \
	" 'actor_name', a.actor_name, 'changed', a.detail->'changed'," \
	" 'values', a.detail->'values', 'created_at', a.created_at)"


/*
 * Whether the customer exists ($1 the customer, $2 the tenant in the
 * operator's role), then the page: $1 the customer, $2 $3 the cursor,
 * $4 the limit, $5 the tenant (n is 5 in the operator's role, else 4).
 */
static void sub_list(struct http_req *req, const struct db_ctx *ctx,
		     const char *exists_sql, const char *sql, unsigned n)
{
	char buf[UUID_STRLEN];
	const char *id = crm_path_id(req, "customer_id", buf);
	char ts[64], cid[64], lim[16];
	struct db_txn *tx = NULL;
	const char *pv[5], *epv[2];
	unsigned limit;
	int err;

	if (!id || !crm_page(req, &limit, ts, cid, lim))
		return;

	pv[0] = id;
	pv[1] = ts[0] ? ts : NULL;
	pv[2] = cid[0] ? cid : NULL;
	pv[3] = lim;
	pv[4] = http_req_principal(req)->tenant_id;
	epv[0] = id;
	epv[1] = pv[4];
	err = db_txn_alloc(&tx, ctx);
	err = err ? err : db_txn_add(tx, exists_sql, n == 5 ? 2 : 1, epv);
	err = err ? err : db_txn_add(tx, sql, n, pv);
	api_txn_run(req, tx, err, crm_sub_list_done);
}


static void customer_calls(struct http_req *req)
{
	static const struct db_ctx op = {DB_OPERATOR, NULL};
	static const char sql[] =
		"SELECT " CALL_JSON ", c.started_at::text, c.call_id::text"
		" FROM calls c WHERE c.tenant_id = $5::uuid AND c.call_id IN"
		" (SELECT x.call_id FROM customer_phones p CROSS JOIN LATERAL"
		" (" NUMBER_CALLS("caller") " UNION ALL "
		NUMBER_CALLS("callee") ") x"
		" WHERE p.customer_id = $1 AND p.tenant_id = $5::uuid)"
		" AND ($2::timestamptz IS NULL OR (c.started_at, c.call_id)"
		" < ($2::timestamptz, $3::uuid))"
		" ORDER BY c.started_at DESC, c.call_id DESC"
		" LIMIT $4::int + 1";

	sub_list(req, &op, EXISTS_OP_SQL, sql, 5);
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
	struct db_ctx ctx = api_ctx(req);

	sub_list(req, &ctx, EXISTS_SQL, sql, 4);
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
