/* POST and GET /api/v1/customers/imports: customers from a CSV file. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#define LOG_MODULE "crm"
#include "log/log.h"
#include "app.h"
#include "auth/principal.h"
#include "core/clock.h"
#include "core/csv.h"
#include "crm/crm_field.h"
#include "db/db.h"
#include "http/api.h"
#include "worker/worker.h"
#include "crm/customer_import.h"
#include "crm/customer_import_int.h"

/*
 * An import runs in three steps. On the loop: the tenant's custom
 * field definitions are read. On a worker: the file is checked whole
 * (imp_prepare) — what makes it unusable is a 400 now, before anything
 * is written. On the loop: the job row goes in and the 202 goes out
 * with its id. Then a pipeline: a worker reads the next chunk of rows
 * while the database writes the last one, each chunk one statement,
 * at most IMPORT_AHEAD chunks read ahead so memory stays bounded;
 * each written chunk is a customer.import_progress event. Last, one
 * transaction writes the final counts, the first errors and the audit
 * row, and customer.import_finished goes out.
 *
 * The import holds a reference to itself from the 202 until the
 * finish (or a failure) drops it; the worker and database callbacks
 * each hold one while they run.
 */

static void pump(struct imp *im);


static void destructor(void *arg)
{
	struct imp *im = arg;

	list_flush(&im->readyl);
	list_flush(&im->writingl);
	mem_deref(im->next);
	mem_deref(im->csv);
	hash_clear(im->phones);      /* its entries are in the slabs */
	mem_deref(im->phones);
	list_flush(&im->slabl);
	mem_deref(im->colv);
	json_decref(im->header);
	json_decref(im->mapping);
	json_decref(im->mapping_in);
	json_decref(im->defs);
	json_decref(im->errors);
	mem_deref(im->utf8);
	mem_deref(im->body);
	mem_deref(im->req);
}


/* Collect a chunk's errors: the first IMPORT_ERRORS_MAX are kept. */
static void errors_take(struct imp *im, const struct imp_chunk *ch)
{
	size_t i;
	json_t *e;

	json_array_foreach(ch->errors, i, e) {
		if (json_array_size(im->errors) < IMPORT_ERRORS_MAX)
			(void)json_array_append(im->errors, e);
	}

	im->errors_total += (unsigned)json_array_size(ch->errors);
}


/* The pipeline is over: drop its reference. The file stays until the
 * last worker job or query holding the import is back. */
static void end(struct imp *im, int err)
{
	if (im->stopped)
		return;

	im->stopped = true;
	if (err && err != ECANCELED) {
		log_warn("customer import %s of tenant %s stopped: %m",
			 im->import_id, im->tenant_id, err);
		im->broken = true;
		imp_fail_write(im);
		imp_publish(im, "customer.import_finished");
	}

	mem_deref(im);   /* the pipeline's own reference */
}


static void finish_done(int err, void *arg)
{
	struct imp *im = arg;

	if (!err)
		imp_publish(im, "customer.import_finished");

	log_info("customer import %s of tenant %s: %u rows in %llu ms "
		 "(%llu ms reading, %llu ms in the database), "
		 "%u created, %u merged, %u skipped, %u failed%s",
		 im->import_id, im->tenant_id, im->processed,
		 (unsigned long long)(tmr_jiffies() - im->t0_ms),
		 (unsigned long long)(im->read_us / 1000),
		 (unsigned long long)(im->db_us / 1000),
		 im->created, im->merged, im->skipped, im->failed,
		 im->dry_run ? " (dry run)" : "");
	end(im, err);
}


/* A written chunk's counts and errors, in file order. */
static void chunk_retire(struct imp *im, struct imp_chunk *ch)
{
	json_t *e;

	im->db_us += clock_us() - ch->t0_us;

	/* a chunk the database refused is failed lines, not a failed
	 * import: the next chunks go on */
	if (ch->err) {
		log_warn("customer import %s: chunk at line %u: %m",
			 im->import_id, ch->first_line, ch->err);
		im->failed += ch->valid;
		e = json_pack("{s:i,s:n,s:s,s:s}", "line",
			      (json_int_t)ch->first_line, "column", "code",
			      "database", "message", "these rows could not "
			      "be written; import them again");
		if (e && json_array_append_new(ch->errors, e))
			json_decref(e);
	}
	else {
		im->created += ch->created;
		if (im->merge)
			im->merged += ch->matched;
		else
			im->skipped += ch->matched;
	}

	im->processed += ch->records;
	im->failed += ch->records - ch->valid;
	errors_take(im, ch);
}


/*
 * Chunks may come back out of order; they are counted in file order
 * (the first errors kept are the first lines'), each once the ones
 * before it are back.
 */
static void chunk_written(struct imp_chunk *ch)
{
	struct imp *im = mem_ref(ch->im);
	bool moved = false;
	struct le *le;

	while ((le = list_head(&im->writingl)) &&
	       ((struct imp_chunk *)le->data)->done) {
		struct imp_chunk *c = le->data;

		if (c->err == ECANCELED)
			im->canceled = true;
		else
			chunk_retire(im, c);
		moved = true;
		list_unlink(&c->le);
		mem_deref(c);   /* the list's; the query may hold it still */
	}

	if (moved && !im->canceled) {
		imp_publish(im, "customer.import_progress");
		imp_progress_write(im);
	}

	if (!im->canceled)
		pump(im);
	else if (list_isempty(&im->writingl))
		end(im, ECANCELED);

	mem_deref(im);
}


static void chunk_read(int err, void *arg)
{
	struct imp *im = arg;

	im->reading = false;
	if (!err && im->next) {
		list_append(&im->readyl, &im->next->le, im->next);
		im->next = NULL;
	}

	if (err) {
		end(im, err);
		mem_deref(im);
		return;
	}

	pump(im);
	mem_deref(im);   /* the worker job's reference */
}


static int chunk_work(void *arg)
{
	return imp_chunk_read(arg);
}


/* Chunks written at once: one when merging (see customer_import_db.c) */
static unsigned writers(const struct imp *im)
{
	return im->merge && !im->dry_run ? 1 : IMPORT_WRITERS;
}


/* Keep the pipeline moving: read ahead, write, or finish. */
static void pump(struct imp *im)
{
	int err = 0;

	if (im->stopped)
		return;

	/* shutting down: what is in flight comes back, nothing new goes */
	if (im->app->stopping) {
		end(im, ECANCELED);
		return;
	}

	if (!im->reading && !im->eof &&
	    list_count(&im->readyl) < IMPORT_AHEAD) {
		im->reading = true;
		err = worker_submit(im->app->workers, chunk_work, chunk_read,
				    mem_ref(im));
		if (err) {
			im->reading = false;
			mem_deref(im);
		}
	}

	while (!err && list_count(&im->writingl) < writers(im) &&
	       !list_isempty(&im->readyl)) {
		struct imp_chunk *ch = list_ledata(list_head(&im->readyl));

		list_unlink(&ch->le);
		list_append(&im->writingl, &ch->le, ch);
		ch->im = mem_ref(im);
		ch->t0_us = clock_us();
		err = imp_chunk_write(im, ch, chunk_written);
		if (err)
			mem_deref(ch);   /* unlinks it, drops its reference */
	}

	if (!err && im->eof && !im->reading &&
	    list_isempty(&im->writingl) && list_isempty(&im->readyl) &&
	    !im->finishing) {
		im->finishing = true;
		err = imp_finish_write(im, finish_done);
	}

	if (err)
		end(im, err);
}


static void job_inserted(int err, void *arg)
{
	struct imp *im = arg;
	json_t *body;
	char loc[96];

	if (err) {
		http_reply_error(im->req, err);
		return;
	}

	body = json_pack("{s:s,s:s,s:b,s:s,s:s,s:i,s:O}",
			 "import_id", im->import_id, "status", "running",
			 "dry_run", im->dry_run,
			 "on_duplicate", im->merge ? "merge" : "skip",
			 "encoding", textenc_name(im->used),
			 "total", (json_int_t)im->total,
			 "mapping", im->mapping);
	(void)re_snprintf(loc, sizeof(loc), "/api/v1/customers/imports/%s",
			  im->import_id);
	http_reply_header(im->req, "location", loc);
	http_reply_json(im->req, 202, body);

	/* from here on the import runs without the client */
	mem_ref(im);
	im->t0_ms = tmr_jiffies();
	pump(im);
}


static void reply_bad(struct imp *im)
{
	http_reply_problem(im->req, 400, im->bad_code, im->bad_detail);
}


static int prepare_work(void *arg)
{
	return imp_prepare(arg);
}


static void prepared(int err, void *arg)
{
	struct imp *im = arg;

	if (!err && im->bad_code)
		reply_bad(im);
	else if (!err)
		err = imp_job_insert(im, job_inserted);

	if (err)
		http_reply_error(im->req, err);

	mem_deref(im);
}


static void import_got(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 200, res, 0);
}


static void defs_loaded(int err, const struct db_res *res, void *arg)
{
	struct imp *im = arg;
	const char *text = db_nrows(res, 0) == 1 ? db_val(res, 0, 0, 0) :
		NULL;

	if (!err) {
		im->defs = text ? json_loads(text, 0, NULL) : NULL;
		err = im->defs ? 0 : EPROTO;
	}

	err = err ? err : worker_submit(im->app->workers, prepare_work,
					prepared, im);
	if (!err)
		return;

	http_reply_error(im->req, err);
	mem_deref(im);
}


static bool mapping_arg(struct http_req *req, struct imp *im)
{
	const char *v = http_req_query(req, "mapping");
	const char *key;
	json_t *t;

	if (!v || !v[0])
		return true;

	im->mapping_in = json_loads(v, 0, NULL);
	if (!json_is_object(im->mapping_in)) {
		api_reply_invalid(req, "mapping", "format", "must be a JSON "
				  "object of column header -> target, e.g. "
				  "{\"手机\":\"phone\"}");
		return false;
	}

	json_object_foreach(im->mapping_in, key, t) {
		if (!json_is_string(t)) {
			api_reply_invalid(req, "mapping", "type", "each "
					  "target must be a string");
			return false;
		}
	}

	return true;
}


static bool args_ok(struct http_req *req, struct imp *im)
{
	/* and what browsers send for a .csv file */
	static const char *const csv[] = {
		"text/csv", "text/plain", "application/csv",
		"application/vnd.ms-excel", "application/octet-stream",
	};

	if (!api_ctype_in(http_req_header(req, "content-type"), csv,
			  ARRAY_SIZE(csv))) {
		http_reply_problem(req, 415, "unsupported_media_type",
				   "Send the file as text/csv.");
		return false;
	}
	if (!api_query_pick(req, "dry_run", "false", "true", &im->dry_run) ||
	    !api_query_pick(req, "on_duplicate", "skip", "merge",
			    &im->merge))
		return false;
	if (http_req_query(req, "encoding") &&
	    textenc_parse(&im->enc, http_req_query(req, "encoding"))) {
		api_reply_invalid(req, "encoding", "enum",
				  "must be auto, utf-8, gbk or gb18030");
		return false;
	}

	return mapping_arg(req, im);
}


static void ids_set(struct imp *im, struct http_req *req)
{
	const struct principal *p = http_req_principal(req);

	im->req = mem_ref(req);
	im->app = http_req_app(req);
	str_ncpy(im->tenant_id, p->tenant_id, sizeof(im->tenant_id));
	if (p->kind != PRINCIPAL_OPERATOR)
		str_ncpy(im->actor_id, p->id, sizeof(im->actor_id));
	uuid_v4(im->import_id);
}


/** POST /api/v1/customers/imports?mapping=&on_duplicate=&dry_run=
 *  &encoding= with the CSV file as the body */
static void customer_import_post(struct http_req *req)
{
	struct db_ctx ctx = api_ctx(req);
	struct imp *im;
	int err;

	im = mem_zalloc(sizeof(*im), destructor);
	if (!im) {
		http_reply_error(req, ENOMEM);
		return;
	}

	list_init(&im->readyl);
	list_init(&im->writingl);
	list_init(&im->slabl);
	if (!args_ok(req, im))
		goto out;

	ids_set(im, req);
	im->body = http_req_body_take(req);
	if (!im->body || !im->body->end) {
		http_reply_problem(req, 400, "empty", "The file is empty.");
		goto out;
	}

	im->errors = json_array();
	err = im->errors ? 0 : ENOMEM;
	err = err ? err : db_query(im->app->db, &ctx, defs_loaded, im,
				   CRM_FIELDS_SQL, 0, NULL);
	if (!err)
		return;

	http_reply_error(req, err);
 out:
	mem_deref(im);
}


/** GET /api/v1/customers/imports/{import_id}: the job as it is now. */
static void customer_import_get(struct http_req *req)
{
	static const char sql[] = "SELECT " IMPORT_JSON
		" FROM customer_imports i WHERE i.import_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *pv[1] = {http_req_param(req, "import_id")};

	if (!api_uuid_ok(pv[0])) {
		http_reply_error(req, ENOENT);
		return;
	}

	api_query(req, &ctx, sql, 1, pv, import_got);
}


static const struct http_route routes[] = {
	{"POST", "/api/v1/customers/imports", HTTP_TENANT, ROLE_ADMIN, NULL,
	 0, customer_import_post},
	{"GET", "/api/v1/customers/imports/{import_id}", HTTP_TENANT,
	 ROLE_ADMIN, NULL, 0, customer_import_get},
	{"GET", "/api/v1/customers/export", HTTP_TENANT, ROLE_ADMIN, NULL,
	 0, customer_export_get},
};

static const struct http_body_limit import_limit = {
	&routes[0], IMPORT_BODY_MAX, "too_large",
	"The CSV file is larger than 64 MB; split it into several imports."
};


/** Register the customer import and export routes. */
int customer_import_api_init(void)
{
	int err;

	err = http_routes_add(routes, ARRAY_SIZE(routes));

	return err ? err : http_body_limit_add(&import_limit);
}
