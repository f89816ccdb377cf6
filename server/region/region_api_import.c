/* POST /api/v1/number-regions/import: a tenant's prefixes from CSV. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_mbuf.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "db/db.h"
#include "http/api.h"
#include "worker/worker.h"
#include "region/region.h"
#include "region/region_int.h"

/*
 * The body is read on a worker (up to 50,000 rows; UTF-8, or GB18030
 * as spreadsheets on Chinese Windows save CSV): every line is checked
 * first, bad ones are collected with their line numbers and
 * reasons, and the good ones become two text[] literals. Then one
 * transaction counts what the rows replace, applies them (mode=merge:
 * insert or update each prefix; mode=replace: the tenant's rows become
 * exactly the good rows) and writes the audit row; dry_run=true runs
 * only the count. So an import is whole or absent, and a dry run and
 * the real one report the same numbers.
 */

enum { ERRORS_MAX = 100 };

struct seen {
	struct le he;
	unsigned line;
	char prefix[REGION_PREFIX_MAX + 1];
};

struct imp {
	struct http_req *req;        /**< (ref) */
	struct app *app;             /**< borrowed: outlives requests */
	char tenant_id[UUID_STRLEN];
	struct mbuf *body;           /**< (ref) until read */
	struct mbuf *utf8;           /**< (ref) body converted, or NULL */
	bool dry_run;
	bool replace;
	struct hash *seenh;          /**< (owning) struct seen */
	struct mbuf *prefixes;       /**< text[] literal of good prefixes */
	struct mbuf *regions;        /**< text[] literal of their regions */
	json_t *errors;              /**< (ref) first ERRORS_MAX bad lines */
	unsigned valid;
	unsigned invalid;
};


static void destructor(void *arg)
{
	struct imp *im = arg;

	hash_flush(im->seenh);
	mem_deref(im->seenh);
	mem_deref(im->body);
	mem_deref(im->utf8);
	mem_deref(im->prefixes);
	mem_deref(im->regions);
	json_decref(im->errors);
	mem_deref(im->req);
}


static int bad_row(unsigned line, const char *code, const char *message,
		   void *arg)
{
	struct imp *im = arg;
	json_t *e;

	++im->invalid;
	if (json_array_size(im->errors) >= ERRORS_MAX)
		return 0;

	e = json_pack("{s:i,s:s,s:s}", "line", (json_int_t)line, "code",
		      code, "message", message);

	return e && !json_array_append_new(im->errors, e) ? 0 : ENOMEM;
}


static bool seen_eq(struct le *le, void *arg)
{
	const struct seen *s = le->data;

	return !strcmp(s->prefix, arg);
}


static int good_row(unsigned line, const char *prefix, const char *region,
		    void *arg)
{
	struct imp *im = arg;
	uint32_t key = hash_joaat_str(prefix);
	struct le *le = hash_lookup(im->seenh, key, seen_eq, (void *)prefix);
	struct seen *s;
	int err;

	if (le) {
		char msg[96];

		s = le->data;
		(void)re_snprintf(msg, sizeof(msg), "prefix %s is given "
				  "again (first on line %u)", prefix,
				  s->line);
		return bad_row(line, "duplicate", msg, im);
	}

	s = mem_zalloc(sizeof(*s), NULL);
	if (!s)
		return ENOMEM;

	s->line = line;
	str_ncpy(s->prefix, prefix, sizeof(s->prefix));
	hash_append(im->seenh, key, &s->he, s);

	err = region_pgarr_add(im->prefixes, prefix);
	err = err ? err : region_pgarr_add(im->regions, region);
	if (!err)
		++im->valid;

	return err;
}


/* On a worker: nothing here touches the loop. A file that is not
 * UTF-8 but is GB18030 (GBK) is read converted. */
static int read_work(void *arg)
{
	struct imp *im = arg;
	const char *buf = (const char *)im->body->buf;
	size_t len = im->body->end;
	int err;

	if (!region_utf8_ok(buf, len) &&
	    !region_gb18030_to_utf8(&im->utf8, buf, len)) {
		buf = (const char *)im->utf8->buf;
		len = im->utf8->end;
	}

	err = region_csv_read(buf, len, good_row, bad_row, im);
	err = err ? err : region_pgarr_end(im->prefixes);

	return err ? err : region_pgarr_end(im->regions);
}


static void reply_report(struct imp *im, const struct db_res *res)
{
	unsigned existing = 0, total = 0;
	json_t *body;

	if (db_nrows(res, 0) >= 1) {
		existing = (unsigned)atoi(db_val(res, 0, 0, 0));
		total = (unsigned)atoi(db_val(res, 0, 0, 1));
	}

	body = json_pack("{s:b,s:s,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:O,s:b}",
			 "dry_run", im->dry_run,
			 "mode", im->replace ? "replace" : "merge",
			 "encoding", im->utf8 ? "gb18030" : "utf-8",
			 "rows", (json_int_t)(im->valid + im->invalid),
			 "valid", (json_int_t)im->valid,
			 "invalid", (json_int_t)im->invalid,
			 "added", (json_int_t)(im->valid - existing),
			 "updated", (json_int_t)existing,
			 "removed", (json_int_t)(im->replace ?
						 total - existing : 0),
			 "errors", im->errors,
			 "errors_truncated", im->invalid > ERRORS_MAX);
	if (!body)
		http_reply_error(im->req, ENOMEM);
	else
		http_reply_json(im->req, 200, body);
}


static void applied(int err, const struct db_res *res, void *arg)
{
	struct imp *im = arg;

	if (!im->dry_run && !err)
		region_cache_flush(im->tenant_id);

	if (http_req_gone(im->req))
		goto out;

	if (err)
		http_reply_error(im->req, err);
	else
		reply_report(im, res);

 out:
	mem_deref(im);
}


static int add_changes(struct imp *im, struct db_txn *tx)
{
	static const char sql_delete[] =
		"DELETE FROM tenant_number_regions WHERE tenant_id = $1";
	static const char sql_insert[] =
		"INSERT INTO tenant_number_regions (tenant_id, prefix, region)"
		" SELECT $1, p, r FROM unnest($2::text[], $3::text[]) AS"
		" u(p, r) ON CONFLICT (tenant_id, prefix)"
		" DO UPDATE SET region = EXCLUDED.region";
	static const char sql_notify[] =
		"SELECT pg_notify('" REGION_CHANNEL "', $1)";
	const char *pv[3] = {im->tenant_id, (char *)im->prefixes->buf,
			     (char *)im->regions->buf};
	char detail[128];
	int err = 0;

	if (im->replace)
		err = db_txn_add(tx, sql_delete, 1, pv);
	if (!err && im->valid)
		err = db_txn_add(tx, sql_insert, 3, pv);
	if (!err)
		err = db_txn_add(tx, sql_notify, 1, pv);

	(void)re_snprintf(detail, sizeof(detail), "{\"mode\": \"%s\","
			  " \"rows\": %u, \"errors\": %u}",
			  im->replace ? "replace" : "merge", im->valid,
			  im->invalid);

	return err ? err : api_audit(tx, im->req, im->tenant_id,
				     "number_region.import", "number_region",
				     NULL, detail);
}


static void reply_unusable(struct imp *im, const char *code,
			   const char *detail)
{
	json_t *pb = json_pack("{s:s,s:s,s:i,s:s,s:s,s:O}",
			       "type", "/problems/validation_failed",
			       "title", "Bad Request", "status", 400,
			       "code", code, "detail", detail,
			       "errors", im->errors);
	char *s = pb ? json_dumps(pb, JSON_COMPACT) : NULL;

	json_decref(pb);
	if (!s) {
		http_reply_error(im->req, ENOMEM);
		return;
	}

	http_reply_raw(im->req, 400, "application/problem+json", s,
		       strlen(s));
	free(s);  /* ccheck: foreign */
}


/* Back on the loop with the file read: refuse it or run the SQL. */
static void read_done(int err, void *arg)
{
	static const char sql_count[] =
		"SELECT count(*) FILTER (WHERE prefix = ANY($1::text[])),"
		" count(*) FROM tenant_number_regions";
	struct imp *im = arg;
	struct db_ctx ctx = {DB_TENANT, im->tenant_id};
	struct db_txn *tx = NULL;
	const char *pv[1];

	im->body = mem_deref(im->body);
	if (http_req_gone(im->req))
		goto out;

	if (err == E2BIG) {
		reply_unusable(im, "too_many_rows", "The file has more than "
			       "50000 rows; split it into several imports.");
		goto out;
	}
	if (!err && !im->valid && !im->invalid) {
		reply_unusable(im, "empty", "The file has no rows.");
		goto out;
	}
	if (!err && im->replace && !im->valid) {
		reply_unusable(im, "no_valid_rows", "No row is valid, so "
			       "nothing would replace your prefixes; see "
			       "errors.");
		goto out;
	}

	pv[0] = (const char *)im->prefixes->buf;
	err = err ? err : db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, sql_count, 1, pv);
	if (!err && !im->dry_run)
		err = add_changes(im, tx);
	if (!err) {
		err = db_txn_exec(im->app->db, tx, applied, im);
		tx = NULL;
	}
	if (!err)
		return;

	mem_deref(tx);
	http_reply_error(im->req, err);
 out:
	mem_deref(im);
}


static bool args_ok(struct http_req *req, struct imp *im)
{
	static const char *const csv[] = {"text/csv", "text/plain"};

	if (!api_ctype_in(http_req_header(req, "content-type"), csv,
			  ARRAY_SIZE(csv))) {
		http_reply_problem(req, 415, "unsupported_media_type",
				   "Send the file as text/csv.");
		return false;
	}

	return api_query_pick(req, "dry_run", "false", "true",
			      &im->dry_run) &&
		api_query_pick(req, "mode", "merge", "replace",
			       &im->replace);
}


/** POST /api/v1/number-regions/import[?dry_run=true][&mode=replace] */
void region_api_import(struct http_req *req)
{
	struct imp *im;
	int err;

	im = mem_zalloc(sizeof(*im), destructor);
	if (!im) {
		http_reply_error(req, ENOMEM);
		return;
	}

	if (!args_ok(req, im))
		goto out;

	im->req = mem_ref(req);
	im->app = http_req_app(req);
	str_ncpy(im->tenant_id, http_req_principal(req)->tenant_id,
		 sizeof(im->tenant_id));
	im->body = http_req_body_take(req);
	im->errors = json_array();
	im->prefixes = mbuf_alloc(4096);
	im->regions = mbuf_alloc(8192);
	err = im->errors && im->prefixes && im->regions ? 0 : ENOMEM;
	err = err ? err : hash_alloc(&im->seenh, 4096);
	if (!err && (!im->body || !im->body->end)) {
		reply_unusable(im, "empty", "The file has no rows.");
		goto out;
	}

	err = err ? err : worker_submit(im->app->workers, read_work,
					read_done, im);
	if (!err)
		return;

	http_reply_error(req, err);
 out:
	mem_deref(im);
}
