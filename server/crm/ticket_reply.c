/* What the ticket and announcement handlers share: who acts, changes
 * in one audited transaction, and errors named by field. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "event/event.h"
#include "http/api.h"
#include "crm/ticket_int.h"

/*
 * The SQL functions of migrations/0018 check what only the database
 * knows (an id of the caller's tenant, a workflow transition, a state in
 * use) and fail with SQLSTATE OS400, OS404 or OS409 and the message
 * "field|code|sentence". The transaction rolls back; the reply names the
 * field. A unique violation is a name taken.
 */

struct run {
	struct http_req *req;     /**< (ref) */
	api_rows_h *h;
};


static void run_destructor(void *arg)
{
	struct run *r = arg;

	mem_deref(r->req);
}


/** Who acts for req, as the SQL functions take it. */
void ticket_actor(const struct http_req *req, struct ticket_actor *a)
{
	const struct principal *p = http_req_principal(req);

	a->id = p->id;
	a->kind = p->kind == PRINCIPAL_API_KEY ? "api_key" : "user";
	a->name = p->name;
	a->agent = p->role <= ROLE_AGENT ? "true" : "false";
}


/** The validated JSON body as text (mem_deref it), NULL on ENOMEM. */
char *ticket_body_text(const struct http_req *req)
{
	json_t *j = http_req_json(req);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	char *out = NULL;

	(void)str_dup(&out, s ? s : "{}");
	free(s);  /* ccheck: foreign */

	return out;
}


static void reply_failed(struct http_req *req, int err,
			 const struct db_res *res)
{
	const char *state = db_sqlstate(res);
	const char *msg = db_errmsg(res);
	unsigned status = 0;

	if (state && !strcmp(state, "OS400"))
		status = 400;
	else if (state && !strcmp(state, "OS404"))
		status = 404;
	else if (state && !strcmp(state, "OS409"))
		status = 409;

	if (status && api_reply_check(req, status, msg))
		return;

	if (err == EEXIST) {
		api_reply_field(req, 409, "name_taken", "name", "taken",
				   "another of this tenant has this name");
		return;
	}

	http_reply_error(req, err);
}


static void run_done(int err, const struct db_res *res, void *arg)
{
	struct run *r = arg;

	if (http_req_gone(r->req))
		goto out;

	if (err)
		reply_failed(r->req, err, res);
	else
		r->h(r->req, res);

 out:
	mem_deref(r);
}


static struct run *run_alloc(struct http_req *req, api_rows_h *h)
{
	struct run *r = mem_zalloc(sizeof(*r), run_destructor);

	if (!r)
		return NULL;

	r->req = mem_ref(req);
	r->h = h;
	return r;
}


/**
 * Start a change: a transaction holding the audited statement (its
 * audit row is written only if the statement returned a row).
 *
 * @return 0 if success, otherwise errorcode
 */
int ticket_begin(struct db_txn **txp, struct http_req *req,
		 const char *sql, unsigned n, const char *const *pv,
		 const struct api_audit_what *w)
{
	struct db_ctx ctx = api_ctx(req);
	int err;

	err = db_txn_alloc(txp, &ctx);
	err = err ? err : api_audit_change(*txp, req, sql, n, pv, w);
	if (err)
		*txp = mem_deref(*txp);

	return err;
}


/** Run tx for req (takes tx); a failure replies by field. */
void ticket_run(struct http_req *req, struct db_txn *tx, int err,
		api_rows_h *h)
{
	struct run *r = err ? NULL : run_alloc(req, h);

	if (!err && !r)
		err = ENOMEM;

	if (!err)
		err = db_txn_exec(http_req_app(req)->db, tx, run_done, r);
	else
		mem_deref(tx);

	if (err) {
		mem_deref(r);
		http_reply_error(req, err);
	}
}


/** One statement in the caller's tenant; a failure replies by field. */
void ticket_query(struct http_req *req, const char *sql, unsigned n,
		  const char *const *pv, api_rows_h *h)
{
	struct db_ctx ctx = api_ctx(req);
	struct run *r = run_alloc(req, h);
	int err;

	if (!r) {
		http_reply_error(req, ENOMEM);
		return;
	}

	err = db_query(http_req_app(req)->db, &ctx, run_done, r, sql, n, pv);
	if (err) {
		mem_deref(r);
		http_reply_error(req, err);
	}
}


static void dispatch_one(const char *tenant_id, const json_t *e)
{
	json_t *data = json_object_get(e, "data");
	struct event *ev = NULL;

	if (!json_is_object(data))
		return;

	if (event_create_as(&ev, tenant_id,
			    json_string_value(json_object_get(e, "type")),
			    json_incref(data),
			    json_string_value(json_object_get(e, "id")),
			    json_string_value(json_object_get(e, "ts"))))
		return;

	event_set_outboxed(ev);
	event_dispatch(ev);
	mem_deref(ev);
}


/**
 * Publish events the database wrote with their change (crm_emit() in
 * migrations/0018: {type, id, ts, data}, their webhook deliveries in the
 * outbox already) to the consoles, after the commit.
 *
 * @param events  JSON text of one event or an array of them
 */
void ticket_dispatch(const char *tenant_id, const char *events)
{
	json_t *j = events ? json_loads(events, 0, NULL) : NULL;
	size_t i;
	json_t *e;

	if (json_is_object(j))
		dispatch_one(tenant_id, j);

	json_array_foreach(j, i, e)
		dispatch_one(tenant_id, e);

	json_decref(j);
}


/** A query parameter that must be a UUID; false if a 400 was replied. */
bool ticket_query_uuid(struct http_req *req, const char *name,
		       const char **valp)
{
	const char *v = http_req_query(req, name);

	*valp = v;
	if (!v || api_uuid_ok(v))
		return true;

	api_reply_invalid(req, name, "format", "must be a UUID");
	return false;
}


/** Page arguments as text; false if a 400 was replied. */
bool ticket_page(struct http_req *req, unsigned *limitp, char ts[64],
		 char id[64], char lim[16])
{
	if (api_page_args(req, limitp, ts, 64, id, 64))
		return false;

	if (id[0] && !api_uuid_ok(id)) {
		http_reply_problem(req, 400, "validation_failed",
				   "cursor is not one this server gave out;"
				   " start again without it.");
		return false;
	}

	(void)re_snprintf(lim, 16, "%u", *limitp);
	return true;
}


/** Reply with a page of (json, created_at, id) rows. */
void ticket_list_done(struct http_req *req, const struct db_res *res)
{
	unsigned limit;
	char ts[64], id[64];

	(void)api_page_args(req, &limit, ts, sizeof(ts), id, sizeof(id));
	api_reply_page(req, res, 0, limit);
}
