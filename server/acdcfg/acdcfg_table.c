/* The handlers every tenant-owned ACD table shares, led by its descriptor. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "acdcfg/acdcfg_int.h"

/*
 * Skills, not-ready reasons, disposition codes, VIP callers and queues
 * are rows a tenant lists, reads, creates, updates and deletes the same
 * way: one audited statement, the row read back as the reply, the
 * NOTIFY (acdcfg_run). What differs (columns, body checks, the list)
 * stays in each *_api.c; the SQL comes from its descriptor.
 */

/** Reply to a create with the row read back (201). */
void acdcfg_created(struct http_req *req, const struct db_res *res)
{
	acdcfg_reply_last(req, res, 201);
}


/** Reply to an update with the row read back (200). */
void acdcfg_updated(struct http_req *req, const struct db_res *res)
{
	acdcfg_reply_last(req, res, 200);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	acdcfg_reply_last(req, res, 204);
}


/** GET the row whose key is key (404 if none). */
void acdcfg_get_key(struct http_req *req, const struct acdcfg_table *t,
		    const char *key)
{
	struct db_ctx ctx = api_ctx(req);

	api_query(req, &ctx, t->select_sql, 1, &key, api_row_200);
}


/** GET the row the path's UUID names. */
void acdcfg_get(struct http_req *req, const struct acdcfg_table *t)
{
	const char *id = api_path_uuid(req, t->id_name);

	if (id)
		acdcfg_get_key(req, t, id);
}


/**
 * Run an audited create, update or delete of t's row: pv[0] is its key,
 * the action "<type>.<verb>". A create or update replies with the row
 * read back, a delete with 204; none matched, 404.
 */
void acdcfg_change(struct http_req *req, const struct acdcfg_table *t,
		   enum acdcfg_verb verb, const char *sql, unsigned n,
		   const char *const *pv)
{
	static const char *const verbs[] = {"create", "update", "delete"};
	static api_rows_h *const replies[] = {acdcfg_created,
					      acdcfg_updated, deleted};
	struct acdcfg_what w = {NULL, t->type, pv[0], NULL, NULL};
	struct db_txn *tx;
	char action[64];
	int err;

	(void)re_snprintf(action, sizeof(action), "%s.%s", t->type,
			  verbs[verb]);
	w.action = action;
	err = acdcfg_begin(&tx, req, sql, n, pv, &w);
	if (!err && verb != ACDCFG_DELETE)
		err = db_txn_add(tx, t->select_sql, 1, pv);

	acdcfg_run(req, tx, err, replies[verb]);
}


/** DELETE the row the path's UUID names (t->delete_sql, $1 its id). */
void acdcfg_delete(struct http_req *req, const struct acdcfg_table *t)
{
	const char *id = api_path_uuid(req, t->id_name);

	if (id)
		acdcfg_change(req, t, ACDCFG_DELETE, t->delete_sql, 1, &id);
}


/**
 * Whether the body's name (if any) has no space at either end; false
 * after a 400 reply. Names are shown in lists and matched exactly.
 */
bool acdcfg_name_ok(struct http_req *req)
{
	const char *s = api_str(req, "name");
	size_t n = s ? strlen(s) : 0;

	if (!s || (n && s[0] != ' ' && s[n - 1] != ' '))
		return true;

	api_reply_invalid(req, "name", "format",
			  "must not begin or end with a space");
	return false;
}
