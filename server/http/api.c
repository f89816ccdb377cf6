/* Helpers shared by the JSON API handlers of every domain. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "app.h"
#include "http/http_int.h"
#include "http/api.h"
#include "http/param.h"
#include "http/cursor.h"
#include "event/event.h"

/*
 * Queries return the resource already as JSON text in column 0 (built by
 * PostgreSQL with json_build_object / to_jsonb), so replies are the text
 * as it came; lists add cursor columns 1 (created_at) and 2 (id).
 */

struct api_call {
	struct http_req *req;     /**< (ref) */
	api_rows_h *h;
	api_fail_h *failh;        /**< api_change_run only */
};


static void call_destructor(void *arg)
{
	struct api_call *c = arg;

	mem_deref(c->req);
}


static void call_done(int err, const struct db_res *res, void *arg)
{
	struct api_call *c = arg;

	if (c->req->done)
		goto out;

	if (err)
		http_reply_error(c->req, err);
	else
		c->h(c->req, res);

 out:
	mem_deref(c);
}


static struct api_call *call_alloc(struct http_req *req, api_rows_h *h)
{
	struct api_call *c = mem_zalloc(sizeof(*c), call_destructor);

	if (!c)
		return NULL;

	c->req = mem_ref(req);
	c->h = h;

	return c;
}


/** The database scope of the request's principal. */
struct db_ctx api_ctx(const struct http_req *req)
{
	struct db_ctx ctx = {DB_NONE, NULL};

	if (req->principal.kind == PRINCIPAL_OPERATOR)
		ctx.scope = DB_OPERATOR;
	else if (req->principal.tenant_id[0]) {
		ctx.scope = DB_TENANT;
		ctx.tenant_id = req->principal.tenant_id;
	}

	return ctx;
}


/**
 * Run one statement for req; errors reply through the errno table,
 * success calls h with the rows.
 */
void api_query(struct http_req *req, const struct db_ctx *ctx,
	       const char *sql, unsigned n, const char *const *pv,
	       api_rows_h *h)
{
	struct api_call *c = call_alloc(req, h);
	int err;

	if (!c) {
		http_reply_error(req, ENOMEM);
		return;
	}

	err = db_query(req->hs->app->db, ctx, call_done, c, sql, n, pv);
	if (err) {
		mem_deref(c);
		http_reply_error(req, err);
	}
}


/** Run a transaction for req (takes tx). */
void api_txn(struct http_req *req, struct db_txn *tx, api_rows_h *h)
{
	struct api_call *c = call_alloc(req, h);
	int err;

	if (!c) {
		mem_deref(tx);
		http_reply_error(req, ENOMEM);
		return;
	}

	err = db_txn_exec(req->hs->app->db, tx, call_done, c);
	if (err) {
		mem_deref(c);
		http_reply_error(req, err);
	}
}


/**
 * Run tx for req unless err, the caller's error while building it: then
 * tx is dropped and err replied. Takes tx either way.
 */
void api_txn_run(struct http_req *req, struct db_txn *tx, int err,
		 api_rows_h *h)
{
	if (err) {
		mem_deref(tx);
		http_reply_error(req, err);
		return;
	}

	api_txn(req, tx, h);
}


static void change_done(int err, const struct db_res *res, void *arg)
{
	struct api_call *c = arg;

	if (http_req_gone(c->req))
		goto out;

	if (!err)
		c->h(c->req, res);
	else
		c->failh(c->req, err, res);

 out:
	mem_deref(c);
}


/**
 * Run a change's transaction (takes tx; err is the caller's error so
 * far): h gets the rows, failh replies to a failed statement (a
 * violated constraint or check names its field). Nothing runs for a
 * client that has gone.
 */
void api_change_run(struct http_req *req, struct db_txn *tx, int err,
		    api_rows_h *h, api_fail_h *failh)
{
	struct api_call *c = NULL;

	if (!err) {
		c = call_alloc(req, h);
		err = c ? 0 : ENOMEM;
	}
	if (err) {
		mem_deref(tx);
		http_reply_error(req, err);
		return;
	}

	c->failh = failh;
	err = db_txn_exec(req->hs->app->db, tx, change_done, c);
	if (err) {
		mem_deref(c);
		http_reply_error(req, err);
	}
}


/** Reply with the JSON text in column 0 of the first row, or 404. */
void api_reply_row(struct http_req *req, unsigned status,
		   const struct db_res *res, unsigned stmt)
{
	const char *j;

	if (db_nrows(res, stmt) < 1 || !(j = db_val(res, stmt, 0, 0))) {
		http_reply_error(req, ENOENT);
		return;
	}

	http_reply_raw(req, status, "application/json", j, strlen(j));
}


/**
 * Reply with a page: rows hold (json, created_at, id); one row more than
 * `limit` means there is a next page.
 */
void api_reply_page(struct http_req *req, const struct db_res *res,
		    unsigned stmt, unsigned limit)
{
	unsigned n = db_nrows(res, stmt);
	struct mbuf *mb = mbuf_alloc(1024);
	char cursor[256];
	int err = 0;

	if (!mb) {
		http_reply_error(req, ENOMEM);
		return;
	}

	err |= mbuf_write_str(mb, "{\"items\":[");
	for (unsigned i = 0; i < n && i < limit; i++) {
		err |= mbuf_printf(mb, "%s%s", i ? "," : "",
				   db_val(res, stmt, i, 0));
	}

	if (n > limit && !cursor_encode(cursor, sizeof(cursor),
					db_val(res, stmt, limit - 1, 1),
					db_val(res, stmt, limit - 1, 2)))
		err |= mbuf_printf(mb, "],\"next_cursor\":\"%s\"}", cursor);
	else
		err |= mbuf_write_str(mb, "],\"next_cursor\":null}");

	if (err)
		http_reply_error(req, ENOMEM);
	else
		http_reply_raw(req, 200, "application/json",
			       (const char *)mb->buf, mb->end);

	mem_deref(mb);
}


/**
 * Read limit and cursor from the query; replies 400 when they are bad.
 * ts and id are "" when there is no cursor.
 *
 * @return 0 if success, otherwise EINVAL (already replied)
 */
int api_page_args(struct http_req *req, unsigned *limitp, char *ts,
		  size_t tsz, char *id, size_t isz)
{
	const char *c = http_req_query(req, "cursor");

	ts[0] = id[0] = '\0';
	if (cursor_parse_limit(http_req_query(req, "limit"), 50, 200,
			       limitp)) {
		http_reply_problem(req, 400, "validation_failed",
				   "limit must be a whole number from 1 to "
				   "200.");
		return EINVAL;
	}

	if (c && cursor_decode(c, ts, tsz, id, isz)) {
		http_reply_problem(req, 400, "validation_failed",
				   "cursor is not one this server gave out;"
				   " start again without it.");
		return EINVAL;
	}

	return 0;
}


/** True if s is a canonical UUID (8-4-4-4-12 hex). */
bool api_uuid_ok(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (!s || strlen(s) != sizeof(shape) - 1)
		return false;

	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		char c = s[i];

		if (shape[i] == '-' ? c != '-' :
		    !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return false;
	}

	return true;
}


/** A string field of the validated JSON body, or NULL. */
const char *api_str(const struct http_req *req, const char *field)
{
	json_t *v = req->json ? json_object_get(req->json, field) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}


/**
 * A field of the body as JSON text (for a ::jsonb or typed parameter);
 * NULL text when the field is absent.
 */
int api_json_text(const struct http_req *req, const char *field,
		  char **textp)
{
	json_t *v = req->json ? json_object_get(req->json, field) : NULL;
	char *s;
	int err;

	*textp = NULL;
	if (!v)
		return 0;

	if (json_is_string(v))
		return str_dup(textp, json_string_value(v));

	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!s)
		return ENOMEM;

	err = str_dup(textp, s);
	free(s);  /* ccheck: foreign */

	return err;
}


/** Reply 400 validation_failed naming one field. */
void api_reply_invalid(struct http_req *req, const char *field,
		       const char *code, const char *message)
{
	json_t *pb = json_pack("{s:s,s:s,s:i,s:s,s:s,s:[{s:s,s:s,s:s}]}",
			       "type", "/problems/validation_failed",
			       "title", "Bad Request", "status", 400,
			       "code", "validation_failed",
			       "detail", "Some fields are not valid; see "
			       "errors.", "errors", "field", field,
			       "code", code, "message", message);

	if (!pb) {
		http_reply_error(req, ENOMEM);
		return;
	}

	{
		char *s = json_dumps(pb, JSON_COMPACT);

		json_decref(pb);
		if (!s) {
			http_reply_error(req, ENOMEM);
			return;
		}
		http_reply_raw(req, 400, "application/problem+json", s,
			       strlen(s));
		free(s);  /* ccheck: foreign */
	}
}


/** Publish an event whose data is the JSON text of a resource. */
void api_publish(const char *tenant_id, const char *type, const char *json)
{
	json_t *data = json ? json_loads(json, 0, NULL) : NULL;

	(void)event_publish(tenant_id, type, data ? data : json_object());
}


/**
 * Check each object of the array field against a parameter table; a
 * 400 names the item and its field (e.g. criteria[2].weight).
 */
bool api_array_ok(struct http_req *req, const char *field,
		  const struct param *params, size_t n)
{
	json_t *a = json_object_get(http_req_json(req), field);
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		struct param_error e;
		size_t errc = 0;
		char name[96];
		bool obj = json_is_object(v);

		if (obj && !param_validate(v, params, n, false, &e, 1, &errc))
			continue;

		if (obj && errc && e.field[0])
			(void)re_snprintf(name, sizeof(name), "%s[%zu].%s",
					  field, i, e.field);
		else
			(void)re_snprintf(name, sizeof(name), "%s[%zu]",
					  field, i);

		api_reply_invalid(req, name, obj && errc ? e.code : "type",
				  obj && errc ? e.message :
				  "must be an object");
		return false;
	}

	return true;
}


/** A boolean body field as "true"/"false" (SQL text), NULL if absent. */
const char *api_bool(const struct http_req *req, const char *field)
{
	json_t *v = json_object_get(http_req_json(req), field);

	return v ? (json_is_true(v) ? "true" : "false") : NULL;
}


/**
 * Reply with a problem whose errors[] names one field: a 400 is
 * validation_failed, another status carries problem as its code.
 *
 * @param problem  Problem code, e.g. "work_no_taken"
 */
void api_reply_field(struct http_req *req, unsigned status,
		     const char *problem, const char *field,
		     const char *code, const char *message)
{
	char type[80];
	json_t *pb;
	char *s;

	if (status == 400) {
		api_reply_invalid(req, field, code, message);
		return;
	}

	(void)re_snprintf(type, sizeof(type), "/problems/%s", problem);
	pb = json_pack("{s:s,s:s,s:i,s:s,s:s,s:[{s:s,s:s,s:s}]}",
		       "type", type, "title", status == 404 ? "Not Found" :
		       "Conflict", "status", (int)status, "code", problem,
		       "detail", message, "errors", "field", field,
		       "code", code, "message", message);
	s = pb ? json_dumps(pb, JSON_COMPACT) : NULL;
	json_decref(pb);
	if (!s) {
		http_reply_error(req, ENOMEM);
		return;
	}

	http_reply_raw(req, status, "application/problem+json", s, strlen(s));
	free(s);  /* ccheck: foreign */
}


/**
 * Reply to a check that failed in SQL with the message
 * "field|code|message" (SQLSTATE OS400, OS404, OS409 ...): the problem
 * names the field; a conflict's code is also its problem code, a 404's
 * problem is not_found.
 *
 * @return false if msg is not of that form (nothing was replied)
 */
bool api_reply_check(struct http_req *req, unsigned status,
		     const char *msg)
{
	char field[64], code[32];
	const char *a = msg ? strchr(msg, '|') : NULL;
	const char *b = a ? strchr(a + 1, '|') : NULL;

	if (!b || (size_t)(a - msg) >= sizeof(field) ||
	    (size_t)(b - a - 1) >= sizeof(code))
		return false;

	(void)re_snprintf(field, sizeof(field), "%b", msg, (size_t)(a - msg));
	(void)re_snprintf(code, sizeof(code), "%b", a + 1,
			  (size_t)(b - a - 1));
	api_reply_field(req, status, status == 404 ? "not_found" : code,
			field, code, b + 1);
	return true;
}


/**
 * Reply to a database error that names a constraint of tbl (PostgreSQL
 * quotes it in the message) with that entry's field reply.
 *
 * @return false if msg names none of them (nothing was replied)
 */
bool api_reply_conflict(struct http_req *req, const char *msg,
			const struct api_conflict *tbl, size_t n)
{
	for (size_t i = 0; msg && i < n; i++) {
		const struct api_conflict *c = &tbl[i];
		char quoted[80];

		(void)re_snprintf(quoted, sizeof(quoted), "\"%s\"",
				  c->constraint);
		if (!strstr(msg, quoted))
			continue;

		api_reply_field(req, c->status, c->problem, c->field,
				c->code, c->message);
		return true;
	}

	return false;
}


/**
 * A query parameter that is one of two words: absent or no is false,
 * yes is true; anything else is a 400 naming it (code enum).
 *
 * @return true if *vp was set, false if the request was answered
 */
bool api_query_pick(struct http_req *req, const char *name,
		    const char *no, const char *yes, bool *vp)
{
	const char *v = http_req_query(req, name);
	char msg[96];

	if (!v || !strcmp(v, no) || !strcmp(v, yes)) {
		*vp = v && !strcmp(v, yes);
		return true;
	}

	(void)re_snprintf(msg, sizeof(msg), "must be %s or %s", no, yes);
	api_reply_invalid(req, name, "enum", msg);

	return false;
}


/** True if the Content-Type ct is one of types (parameters ignored). */
bool api_ctype_in(const char *ct, const char *const *types, size_t n)
{
	for (size_t i = 0; ct && i < n; i++) {
		size_t k = strlen(types[i]);

		if (!strncasecmp(ct, types[i], k) &&
		    (ct[k] == '\0' || ct[k] == ';' || ct[k] == ' '))
			return true;
	}

	return false;
}
