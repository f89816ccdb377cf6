/* /api/v1/recordings/exports: a search's recordings as one zip job. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "core/clock.h"
#include "auth/principal.h"
#include "http/param.h"
#include "worker/worker.h"
#include "recording/rec_key.h"
#include "recording/rec_store.h"
#include "recording/rec_export.h"
#include "recording/rec_api_int.h"

/*
 * POST selects the matching playable recordings (one more than the
 * limit, to tell "too many"), inserts the export's row and answers 202
 * before the job (rec_export.c) starts. The zip is named after the
 * export and the tenant, never after the request:
 * <tenant_id>/exports/<export_id>.osrec in the recording directory.
 */

#define EXPORT_JSON \
	"jsonb_build_object('export_id', x.export_id, 'status', x.status," \
	" 'total', x.total, 'done', x.done, 'size_bytes', x.size_bytes," \
	" 'error', x.error, 'filters', x.filters, 'created_at'," \
	" x.created_at, 'finished_at', x.finished_at)"

/* The matches, oldest first: what goes in the zip, in that order. */
static const char match_sql[] =
	"SELECT r.recording_id, r.path, r.key_no,"
	" to_char(r.started_at AT TIME ZONE 'Asia/Shanghai',"
	" 'YYYYMMDD-HH24MISS'), c.caller,"
	" EXTRACT(EPOCH FROM r.started_at)::bigint, COALESCE(r.size_bytes, 0)"
	REC_FROM REC_WHERE
	" AND r.status IN ('ready', 'partial')"
	" ORDER BY r.started_at, r.recording_id LIMIT 1001";

/* An export being created: the matches, then its row. */
struct create {
	struct http_req *req;          /**< (ref) */
	struct rec_export *ex;         /**< (own) until started */
	char *filters;                 /**< (own) the body as JSON text */
};


static void create_destructor(void *arg)
{
	struct create *c = arg;

	mem_deref(c->req);
	mem_deref(c->ex);
	mem_deref(c->filters);
}


/* <YYYYMMDD-HHMMSS>_<caller>_<recording_id>.mp3, caller made safe. */
static void entry_name(char *buf, size_t sz, const char *ts,
		       const char *caller, const char *recording_id)
{
	char c[33];
	size_t n = 0;

	for (; caller && *caller && n < sizeof(c) - 1; caller++) {
		char ch = *caller;

		if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || ch == '+' || ch == '-')
			c[n++] = ch;
	}
	c[n] = '\0';

	(void)re_snprintf(buf, sz, "%s_%s_%s.mp3", ts, n ? c : "unknown",
			  recording_id);
}


static int items_fill(struct rec_export *ex, const struct db_res *res)
{
	for (unsigned i = 0; i < db_nrows(res, 0); i++) {
		const char *id = db_val(res, 0, i, 0);
		char name[128];
		int err;

		entry_name(name, sizeof(name), db_val(res, 0, i, 3),
			   db_val(res, 0, i, 4), id);
		err = rec_export_item(ex, i, id, db_val(res, 0, i, 1),
				      (uint32_t)strtoul(db_val(res, 0, i, 2),
							NULL, 10), name,
				      strtoll(db_val(res, 0, i, 5), NULL, 10));
		if (err)
			return err;
	}

	return 0;
}


static void inserted(int err, const struct db_res *res, void *arg)
{
	struct create *c = arg;
	struct http_req *req = c->req;
	char body[96], loc[96];

	if (err) {
		if (!http_req_gone(req))
			http_reply_error(req, err);
		goto out;
	}

	(void)re_snprintf(body, sizeof(body), "{\"export_id\":\"%s\"}",
			  db_val(res, 0, 0, 0));
	(void)re_snprintf(loc, sizeof(loc), "/api/v1/recordings/exports/%s",
			  db_val(res, 0, 0, 0));
	http_reply_header(req, "location", loc);
	http_reply_raw(req, 202, "application/json", body, strlen(body));

	/* the job runs whether or not the client is still there */
	rec_export_start(c->ex);
	c->ex = NULL;

 out:
	mem_deref(c);
}


/* A random (version 4) UUID for the export, so its file name is known
 * before its row exists. */
static void uuid_make(char *buf, size_t sz)
{
	uint8_t b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	(void)re_snprintf(buf, sz, "%w-%w-%w-%w-%w", b, (size_t)4, b + 4,
			  (size_t)2, b + 6, (size_t)2, b + 8, (size_t)2,
			  b + 10, (size_t)6);
}


static int row_insert(struct create *c, const char *export_id,
		      const char *rel, size_t n)
{
	/* created_at on the server's clock, which the daily expiry reads */
	static const char sql[] =
		"INSERT INTO recording_exports (export_id, tenant_id,"
		" created_by, filters, status, total, path, created_at) VALUES"
		" ($1::uuid, $2::uuid, NULLIF($3, '')::uuid, $4::jsonb,"
		" 'running', $5::int, $6, to_timestamp($7::bigint / 1000.0))"
		" RETURNING export_id";
	const struct principal *p = http_req_principal(c->req);
	struct db_ctx ctx = api_ctx(c->req);
	char total[16], now[24];
	const char *pv[7] = {export_id, p->tenant_id, p->id, c->filters,
			     total, rel, now};

	(void)re_snprintf(total, sizeof(total), "%zu", n);
	(void)re_snprintf(now, sizeof(now), "%lld",
			  (long long)clock_wall_ms());

	return db_query(http_req_app(c->req)->db, &ctx, inserted, c, sql, 7,
			pv);
}


static int create_prepare(struct create *c, const struct db_res *res,
			  char *export_id, size_t isz, char *rel, size_t rsz)
{
	const char *tenant_id = http_req_principal(c->req)->tenant_id;
	char *s;
	int err;

	uuid_make(export_id, isz);
	if (re_snprintf(rel, rsz, "%s/exports/%s.osrec", tenant_id,
			export_id) < 0)
		return ENOMEM;

	s = json_dumps(http_req_json(c->req), JSON_COMPACT);
	if (!s)
		return ENOMEM;
	err = str_dup(&c->filters, s);
	free(s);  /* ccheck: foreign */

	err = err ? err : rec_export_alloc(&c->ex, http_req_app(c->req),
					   tenant_id, export_id, rel,
					   db_nrows(res, 0));

	return err ? err : items_fill(c->ex, res);
}


/* At most REC_EXPORT_MAX recordings, REC_EXPORT_MAX_BYTES in all;
 * false if a 422 was sent. */
static bool size_ok(struct http_req *req, const struct db_res *res)
{
	uint64_t bytes = 0;

	if (db_nrows(res, 0) > REC_EXPORT_MAX) {
		http_reply_problem(req, 422, "export_too_large", "More than "
				   "1000 recordings match; narrow the "
				   "filters (e.g. a shorter time range) and "
				   "export in parts.");
		return false;
	}

	for (unsigned i = 0; i < db_nrows(res, 0); i++)
		bytes += strtoull(db_val(res, 0, i, 6), NULL, 10);

	if (bytes > REC_EXPORT_MAX_BYTES) {
		http_reply_problem(req, 422, "export_too_large", "The "
				   "recordings that match are more than "
				   "512 MB; narrow the filters (e.g. a "
				   "shorter time range) and export in parts.");
		return false;
	}

	return true;
}


static void matched(struct http_req *req, const struct db_res *res)
{
	char export_id[40], rel[128];
	struct create *c;
	int err;

	if (!size_ok(req, res))
		return;

	c = mem_zalloc(sizeof(*c), create_destructor);
	if (!c) {
		http_reply_error(req, ENOMEM);
		return;
	}

	c->req = mem_ref(req);
	err = create_prepare(c, res, export_id, sizeof(export_id), rel,
			     sizeof(rel));
	err = err ? err : row_insert(c, export_id, rel, db_nrows(res, 0));
	if (err) {
		http_reply_error(req, err);
		mem_deref(c);
	}
}


/** POST /api/v1/recordings/exports: 202, then the job. */
void rec_export_create(struct http_req *req)
{
	struct db_ctx ctx = api_ctx(req);
	struct rec_filter f;

	if (!rec_export_swept()) {
		http_reply_header(req, "retry-after", "1");
		http_reply_problem(req, 503, "starting", "The server is "
				   "starting; retry shortly.");
		return;
	}

	memset(&f, 0, sizeof(f));
	if (rec_filter_get(req, &f, rec_arg_body))
		api_query(req, &ctx, match_sql, REC_NFILTERS, f.pv, matched);
}


/** GET /api/v1/recordings/exports/{export_id}: its progress. */
void rec_export_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " EXPORT_JSON " FROM recording_exports x"
		" WHERE x.export_id = $1::uuid";
	struct db_ctx ctx = api_ctx(req);
	const char *id = http_req_param(req, "export_id");

	if (!api_uuid_ok(id)) {
		http_reply_error(req, ENOENT);
		return;
	}

	api_query(req, &ctx, sql, 1, &id, api_row_200);
}


/* An export's zip being decrypted for a request (in memory, as the
 * audio is: at most 1000 recordings of a few MB). */
struct zipfile {
	struct http_req *req;          /**< (ref) */
	char export_id[40];
	char path[600];
	uint8_t key[REC_KEY_BYTES];
	uint8_t *data;                 /**< (own, malloc) */
	size_t len;
};


static void zip_destructor(void *arg)
{
	struct zipfile *z = arg;

	mem_deref(z->req);
	sodium_memzero(z->key, sizeof(z->key));
	free(z->data);  /* ccheck: foreign */
}


static int zip_read(void *arg)
{
	struct zipfile *z = arg;
	bool complete;
	int err;

	err = rec_file_read(z->path, z->key, &z->data, &z->len, &complete);

	return !err && !complete ? EBADMSG : err;
}


static void zip_audited(int err, const struct db_res *res, void *arg)
{
	struct zipfile *z = arg;
	char v[128];

	(void)res;
	if (http_req_gone(z->req))
		goto out;

	if (err) {
		http_reply_error(z->req, err);
		goto out;
	}

	(void)re_snprintf(v, sizeof(v), "attachment; filename=\"recordings-"
			  "%s.zip\"", z->export_id);
	http_reply_header(z->req, "content-disposition", v);
	http_reply_raw(z->req, 200, "application/zip", (const char *)z->data,
		       z->len);

 out:
	mem_deref(z);
}


static void zip_done(int err, void *arg)
{
	struct zipfile *z = arg;
	const char *tenant_id = http_req_principal(z->req)->tenant_id;
	struct db_ctx ctx = api_ctx(z->req);
	struct db_txn *tx = NULL;

	if (http_req_gone(z->req))
		goto out;

	if (err == ENOENT) {
		http_reply_problem(z->req, 404, "export_missing", "The "
				   "export's file is no longer on the server;"
				   " export again.");
		goto out;
	}

	err = err ? err : db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit(tx, z->req, tenant_id,
				    "recording.export", "recording_export",
				    z->export_id, NULL);
	err = err ? err : db_txn_exec(http_req_app(z->req)->db, tx,
				      zip_audited, z);
	if (!err)
		return;

	mem_deref(tx);
	log_error("export %s: not served: %m", z->export_id, err);
	http_reply_error(z->req, err == EBADMSG ? EIO : err);

 out:
	mem_deref(z);
}


static void zip_key_got(int err, uint32_t key_no,
			const uint8_t key[REC_KEY_BYTES], void *arg)
{
	struct zipfile *z = arg;

	(void)key_no;
	if (!err) {
		memcpy(z->key, key, REC_KEY_BYTES);
		err = worker_submit(http_req_app(z->req)->workers, zip_read,
				    zip_done, z);
		if (!err)
			return;
	}

	if (!http_req_gone(z->req))
		http_reply_error(z->req, err == ENOENT ? EIO : err);
	mem_deref(z);
}


static void file_row(struct http_req *req, const struct db_res *res)
{
	const char *status;
	struct zipfile *z;
	char detail[96];
	int err;

	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	status = db_val(res, 0, 0, 0);
	if (strcmp(status, "ready")) {
		(void)re_snprintf(detail, sizeof(detail), "The export is %s,"
				  " not ready to download.", status);
		http_reply_problem(req, 409, "export_not_ready", detail);
		return;
	}

	z = mem_zalloc(sizeof(*z), zip_destructor);
	if (!z) {
		http_reply_error(req, ENOMEM);
		return;
	}

	z->req = mem_ref(req);
	str_ncpy(z->export_id, http_req_param(req, "export_id"),
		 sizeof(z->export_id));
	err = rec_store_abs(z->path, sizeof(z->path), db_val(res, 0, 0, 1));
	err = err ? err : rec_key_get(http_req_principal(req)->tenant_id,
				      (uint32_t)strtoul(db_val(res, 0, 0, 2),
							NULL, 10),
				      zip_key_got, z);
	if (err) {
		http_reply_error(req, err == EINVAL ? EIO : err);
		mem_deref(z);
	}
}


/** GET /api/v1/recordings/exports/{export_id}/file: the zip. */
void rec_export_file(struct http_req *req)
{
	static const char sql[] =
		"SELECT status, path, key_no FROM recording_exports"
		" WHERE export_id = $1::uuid";
	struct db_ctx ctx = api_ctx(req);
	const char *id = http_req_param(req, "export_id");

	if (!api_uuid_ok(id)) {
		http_reply_error(req, ENOENT);
		return;
	}

	api_query(req, &ctx, sql, 1, &id, file_row);
}

