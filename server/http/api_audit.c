/* Audit rows written in the same transaction as the change they record. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "http/http_int.h"
#include "http/api.h"

#define AUDIT_NPARAMS 9
#define CHANGE_MAX_PARAMS 16

static const char audit_cols[] =
	"INSERT INTO audit_log (tenant_id, actor_kind, actor_id,"
	" actor_name, action, target_type, target_id, detail, remote_addr)";


static void audit_params(const char **pv, const struct http_req *req,
			 const char *tenant_id, const char *action,
			 const char *target_type, const char *target_id,
			 const char *detail_sql)
{
	const struct principal *p = &req->principal;

	pv[0] = tenant_id;
	pv[1] = principal_kind_name(p->kind);
	pv[2] = p->id;
	pv[3] = p->name;
	pv[4] = action;
	pv[5] = target_type;
	pv[6] = target_id;
	pv[7] = detail_sql ? detail_sql : "{}";
	pv[8] = req->remote;
}


/* The audit column values, numbered from parameter $first. */
static int audit_values(char *buf, size_t sz, unsigned first)
{
	unsigned f = first;

	return re_snprintf(buf, sz, "$%u::uuid, $%u, NULLIF($%u, '')::uuid,"
			   " $%u, $%u, $%u, $%u, $%u::jsonb, $%u",
			   f, f + 1, f + 2, f + 3, f + 4, f + 5, f + 6,
			   f + 7, f + 8) < 0 ? ENOMEM : 0;
}


/**
 * Add the audit row for a change to the change's own transaction.
 *
 * @param detail_sql  JSON text of the detail object, or NULL for {}
 */
int api_audit(struct db_txn *tx, const struct http_req *req,
	      const char *tenant_id, const char *action,
	      const char *target_type, const char *target_id,
	      const char *detail_sql)
{
	const char *pv[AUDIT_NPARAMS];
	char vals[160], sql[400];

	if (audit_values(vals, sizeof(vals), 1))
		return ENOMEM;

	if (re_snprintf(sql, sizeof(sql), "%s VALUES (%s)", audit_cols,
			vals) < 0)
		return ENOMEM;

	audit_params(pv, req, tenant_id, action, target_type, target_id,
		     detail_sql);

	return db_txn_add(tx, sql, AUDIT_NPARAMS, pv);
}


/**
 * Add a change (an UPDATE ... RETURNING) and its audit row as one
 * statement: the row is written only when the change matched a row, so a
 * refused or missing target leaves no trace. The statement returns what
 * the change returned.
 */
int api_audit_change(struct db_txn *tx, const struct http_req *req,
		     const char *change_sql, unsigned n,
		     const char *const *cpv, const struct api_audit_what *w)
{
	const char *pv[CHANGE_MAX_PARAMS + AUDIT_NPARAMS];
	char vals[160];
	char *sql = NULL;
	int err;

	if (n > CHANGE_MAX_PARAMS)
		return EINVAL;

	if (audit_values(vals, sizeof(vals), n + 1))
		return ENOMEM;

	err = re_sdprintf(&sql, "WITH changed AS (%s), audited AS (%s"
			  " SELECT %s FROM changed LIMIT 1)"
			  " SELECT * FROM changed",
			  change_sql, audit_cols, vals);
	if (err)
		return err;

	memcpy(pv, cpv, n * sizeof(*pv));
	audit_params(pv + n, req, w->tenant_id, w->action, w->target_type,
		     w->target_id, w->detail_sql);

	err = db_txn_add(tx, sql, n + AUDIT_NPARAMS, pv);
	mem_deref(sql);

	return err;
}
