/* Customer import in the database: the job row, one statement per
 * chunk of rows, the finish with its audit row. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "app.h"
#include "db/db.h"
#include "event/event.h"
#include "http/api.h"
#include "crm/customer_import_int.h"

/*
 * A chunk of up to IMPORT_BATCH rows is one statement: the rows arrive
 * as one JSON array (jsonb_to_recordset); each row's existing customer
 * (r.mc) is the owner of its first number already stored, rows without
 * one are new (nw). New customers and their numbers are inserted,
 * existing ones merged (non-empty cells overwrite, tags and numbers are
 * added; a customer keeps at most 20 numbers; a customer the row would
 * not change is not written) or left alone, and the statement answers
 * how many rows were new and how many matched — all in one statement,
 * so a chunk is in or out whole. A dry run runs the same r and nw and
 * writes nothing: it reports what the real run would do, as long as no
 * one else changes the tenant's numbers in between.
 *
 * No number of a chunk can already be taken when it is inserted: the
 * file's numbers are unique (a repeat fails its line) and the taken
 * ones matched. Only someone else writing the same number meanwhile (a
 * second import, the API) can collide, and then the unique key refuses
 * the chunk, which is reported as failed lines to import again — never
 * a customer silently without its number.
 *
 * Two chunks may be written at once (two connections, two cores for
 * PostgreSQL's index work), but not when merging: two chunks updating
 * the same customers in different orders could deadlock.
 *
 * The plan must cost the same whatever the tenant's size. The planner
 * takes jsonb_to_recordset for 100 rows, and during a big import the
 * statistics lag far behind the tables, so joins are left out of its
 * hands: a number is found by a LIMIT 1 subquery (one probe of the
 * (tenant_id, phone) key; it cannot be flattened into a hash join that
 * reads every number of the tenant), the rows carry their customer's id
 * so no two row sets are joined, and step_txn turns hash and merge joins
 * off so the merge reaches each customer by its primary key.
 */

#define ROWS_SQL \
	"WITH r AS MATERIALIZED (SELECT x.*, (SELECT cp.customer_id" \
	" FROM unnest(x.p) WITH ORDINALITY AS u (phone, i) CROSS JOIN" \
	" LATERAL (SELECT y.customer_id FROM customer_phones y" \
	" WHERE y.tenant_id = $2::uuid AND y.phone = u.phone LIMIT 1) AS cp" \
	" ORDER BY u.i LIMIT 1) AS mc FROM jsonb_to_recordset($1::jsonb)" \
	" AS x (l int, n text, e text, c text, g text, t text[], o text," \
	" f jsonb, p text[])), " \
	"nw AS MATERIALIZED (SELECT r.*, gen_random_uuid() AS cid FROM r" \
	" WHERE r.mc IS NULL)"

#define WRITE_SQL \
	", ins AS (INSERT INTO customers (customer_id, tenant_id, name," \
	" email, company, region, tags, fields, notes, created_by," \
	" updated_by) SELECT cid, $2::uuid, n, COALESCE(e, '')," \
	" COALESCE(c, ''), COALESCE(g, ''), COALESCE(t, '{}')," \
	" COALESCE(f, '{}'), COALESCE(o, ''), NULLIF($4, '')::uuid," \
	" NULLIF($4, '')::uuid FROM nw), " \
	"insp AS (INSERT INTO customer_phones (tenant_id, phone," \
	" customer_id, position) SELECT $2::uuid, u.phone, nw.cid, u.i - 1" \
	" FROM nw CROSS JOIN LATERAL unnest(nw.p) WITH ORDINALITY AS u" \
	" (phone, i)), " \
	"upd AS (UPDATE customers cu SET name = COALESCE(r.n, cu.name)," \
	" email = COALESCE(r.e, cu.email)," \
	" company = COALESCE(r.c, cu.company)," \
	" region = COALESCE(r.g, cu.region), tags = (cu.tags ||" \
	" ARRAY(SELECT tg FROM unnest(COALESCE(r.t, '{}')) AS tg" \
	" WHERE tg <> ALL (cu.tags)))[1:32]," \
	" fields = cu.fields || COALESCE(r.f, '{}')," \
	" notes = COALESCE(r.o, cu.notes)," \
	" updated_by = NULLIF($4, '')::uuid, updated_at = now()" \
	" FROM r WHERE $3::boolean AND cu.customer_id = r.mc" \
	" AND (r.n <> cu.name OR r.e <> cu.email OR r.c <> cu.company" \
	" OR r.g <> cu.region OR r.o <> cu.notes OR NOT cu.tags @> r.t" \
	" OR NOT cu.fields @> r.f)), " \
	"addp AS (INSERT INTO customer_phones (tenant_id, phone," \
	" customer_id, position) SELECT $2::uuid, a.phone, a.mc, a.pos" \
	" FROM (SELECT u.phone, r.mc, (SELECT" \
	" COALESCE(max(x.position) + 1, 0) FROM customer_phones x" \
	" WHERE x.customer_id = r.mc) + row_number() OVER" \
	" (PARTITION BY r.mc ORDER BY r.l, u.i) - 1 AS pos" \
	" FROM r CROSS JOIN LATERAL unnest(r.p) WITH ORDINALITY AS u" \
	" (phone, i) WHERE $3::boolean AND r.mc IS NOT NULL AND (SELECT 1" \
	" FROM customer_phones y WHERE y.tenant_id = $2::uuid" \
	" AND y.phone = u.phone LIMIT 1) IS NULL) AS a WHERE a.pos <= 19)"

#define MATCHED "(SELECT count(*) FROM r WHERE r.mc IS NOT NULL)"

#define COUNTS_SQL \
	" SELECT (SELECT count(*) FROM nw), " MATCHED



struct step {
	struct imp *im;               /**< (ref) */
	void (*h)(int err, void *arg);
};


static void step_destructor(void *arg)
{
	struct step *st = arg;

	mem_deref(st->im);
}


static void step_done(int err, const struct db_res *res, void *arg)
{
	struct step *st = arg;
	struct imp *im = st->im;

	(void)res;
	st->h(err, im);
	mem_deref(st);
}


static int step_query(struct imp *im, void (*h)(int err, void *arg),
		      const char *sql, unsigned n, const char *const *pv)
{
	struct db_ctx ctx = {DB_TENANT, im->tenant_id};
	struct step *st = mem_zalloc(sizeof(*st), step_destructor);
	int err;

	if (!st)
		return ENOMEM;

	st->im = mem_ref(im);
	st->h = h;
	err = db_query(im->app->db, &ctx, step_done, st, sql, n, pv);
	if (err)
		mem_deref(st);

	return err;
}


static void chunk_done(int err, const struct db_res *res, void *arg)
{
	struct imp_chunk *ch = arg;
	/* the counts are the last statement's one row */
	unsigned k = res ? db_res_stmts(res) - 1 : 0;

	if (!err && db_nrows(res, k) == 1) {
		ch->created = (unsigned)atoi(db_val(res, k, 0, 0));
		ch->matched = (unsigned)atoi(db_val(res, k, 0, 1));
	}
	else if (!err) {
		err = EPROTO;
	}

	ch->err = err;
	ch->done = true;
	ch->doneh(ch);
	mem_deref(ch);
}


/* A chunk's statement with hash and merge joins off (see above). */
static int chunk_txn(struct imp_chunk *ch, const char *sql, unsigned n,
		     const char *const *pv)
{
	struct db_ctx ctx = {DB_TENANT, ch->im->tenant_id};
	struct db_txn *tx = NULL;
	int err;

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, "SET LOCAL enable_hashjoin = off",
				     0, NULL);
	err = err ? err : db_txn_add(tx, "SET LOCAL enable_mergejoin = off",
				     0, NULL);
	err = err ? err : db_txn_add(tx, sql, n, pv);
	if (!err) {
		err = db_txn_exec(ch->im->app->db, tx, chunk_done,
				  mem_ref(ch));
		tx = NULL;
		if (err)
			mem_deref(ch);
	}

	mem_deref(tx);

	return err;
}


/**
 * Insert the job's row (running, its options, the mapping used and the
 * number of records).
 *
 * @return 0 if h will be called, otherwise errorcode
 */
int imp_job_insert(struct imp *im, void (*h)(int err, void *arg))
{
	static const char sql[] =
		"INSERT INTO customer_imports (import_id, tenant_id, dry_run,"
		" on_duplicate, encoding, mapping, total, created_by)"
		" VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7,"
		" NULLIF($8, '')::uuid)";
	char total[16], *mapping;
	const char *pv[8];
	int err;

	mapping = json_dumps(im->mapping, JSON_COMPACT);
	if (!mapping)
		return ENOMEM;

	(void)re_snprintf(total, sizeof(total), "%u", im->total);
	pv[0] = im->import_id;
	pv[1] = im->tenant_id;
	pv[2] = im->dry_run ? "true" : "false";
	pv[3] = im->merge ? "merge" : "skip";
	pv[4] = textenc_name(im->used);
	pv[5] = mapping;
	pv[6] = total;
	pv[7] = im->actor_id;

	err = step_query(im, h, sql, 8, pv);
	free(mapping);  /* ccheck: foreign */

	return err;
}


/**
 * Write im->writing (or, on a dry run, count what writing it would
 * do) and move the job's counts on.
 *
 * @return 0 if h will be called, otherwise errorcode
 */
int imp_chunk_write(struct imp *im, struct imp_chunk *ch,
		    imp_chunk_h *h)
{
	static const char sql_write[] = ROWS_SQL WRITE_SQL COUNTS_SQL;
	static const char sql_dry[] = ROWS_SQL COUNTS_SQL;
	const char *pv[4];

	pv[0] = ch->rows;
	pv[1] = im->tenant_id;
	pv[2] = im->merge ? "true" : "false";
	pv[3] = im->actor_id;   /* who created or changed: not in a dry run */
	ch->doneh = h;

	return chunk_txn(ch, im->dry_run ? sql_dry : sql_write,
			 im->dry_run ? 2 : 4, pv);
}


/* A later answer may overtake an earlier one: counts only grow. */
static void progress_done(int err, const struct db_res *res, void *arg)
{
	(void)err;
	(void)res;
	(void)arg;
}


/**
 * The job's counts so far, for GET while it runs; best effort (the
 * finish writes them for good).
 */
void imp_progress_write(struct imp *im)
{
	static const char sql[] =
		"UPDATE customer_imports SET processed = $2, created = $3,"
		" merged = $4, skipped = $5, failed = $6, updated_at = now()"
		" WHERE import_id = $1 AND status = 'running'"
		" AND processed < $2";
	struct db_ctx ctx = {DB_TENANT, im->tenant_id};
	const unsigned v[5] = {im->processed, im->created, im->merged,
			       im->skipped, im->failed};
	char nv[5][16];
	const char *pv[6];

	pv[0] = im->import_id;
	for (unsigned i = 0; i < 5; i++) {
		(void)re_snprintf(nv[i], sizeof(nv[i]), "%u", v[i]);
		pv[i + 1] = nv[i];
	}

	(void)db_query(im->app->db, &ctx, progress_done, NULL, sql, 6, pv);
}


static int audit_add(struct imp *im, struct db_txn *tx)
{
	char detail[256];

	(void)re_snprintf(detail, sizeof(detail),
			  "{\"dry_run\": %s, \"on_duplicate\": \"%s\","
			  " \"encoding\": \"%s\", \"total\": %u,"
			  " \"created\": %u, \"merged\": %u, \"skipped\": %u,"
			  " \"failed\": %u}", im->dry_run ? "true" : "false",
			  im->merge ? "merge" : "skip", textenc_name(im->used),
			  im->total, im->created, im->merged, im->skipped,
			  im->failed);

	return api_audit(tx, im->req, im->tenant_id, "customer.import",
			 "customer_import", im->import_id, detail);
}


static void finished(int err, const struct db_res *res, void *arg)
{
	struct step *st = arg;

	(void)res;
	st->h(err, st->im);
	mem_deref(st);
}


/**
 * The job's final counts and errors, its status, and the audit row
 * with the counts, in one transaction.
 *
 * @return 0 if h will be called, otherwise errorcode
 */
int imp_finish_write(struct imp *im, void (*h)(int err, void *arg))
{
	static const char sql[] =
		"UPDATE customer_imports SET status = 'finished',"
		" processed = $2, created = $3, merged = $4, skipped = $5,"
		" failed = $6, errors_total = $7, errors = $8::jsonb,"
		" updated_at = now(), finished_at = now()"
		" WHERE import_id = $1";
	struct db_ctx ctx = {DB_TENANT, im->tenant_id};
	struct db_txn *tx = NULL;
	char nv[6][16], *errors;
	const unsigned v[6] = {im->processed, im->created, im->merged,
			       im->skipped, im->failed, im->errors_total};
	const char *pv[8];
	struct step *st;
	int err;

	errors = json_dumps(im->errors, JSON_COMPACT);
	st = mem_zalloc(sizeof(*st), step_destructor);
	err = errors && st ? 0 : ENOMEM;

	pv[0] = im->import_id;
	for (unsigned i = 0; i < 6; i++) {
		(void)re_snprintf(nv[i], sizeof(nv[i]), "%u", v[i]);
		pv[i + 1] = nv[i];
	}
	pv[7] = errors;

	err = err ? err : db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, sql, 8, pv);
	err = err ? err : audit_add(im, tx);
	if (!err) {
		st->im = mem_ref(im);
		st->h = h;
		err = db_txn_exec(im->app->db, tx, finished, st);
		tx = NULL;
	}

	free(errors);  /* ccheck: foreign */
	mem_deref(tx);
	if (err)
		mem_deref(st);

	return err;
}


static void fail_done(int err, const struct db_res *res, void *arg)
{
	(void)err;
	(void)res;
	(void)arg;
}


/**
 * Mark the job failed (a chunk could not be read or the finish could
 * not be written), so no one waits for it; best effort.
 */
void imp_fail_write(struct imp *im)
{
	static const char sql[] =
		"UPDATE customer_imports SET status = 'failed',"
		" updated_at = now(), finished_at = now()"
		" WHERE import_id = $1";
	struct db_ctx ctx = {DB_TENANT, im->tenant_id};
	const char *pv[1] = {im->import_id};

	(void)db_query(im->app->db, &ctx, fail_done, NULL, sql, 1, pv);
}


/** Tell the tenant's admins how far the import is (topic customer). */
void imp_publish(const struct imp *im, const char *type)
{
	json_t *data = json_pack("{s:s,s:s,s:b,s:i,s:i,s:i,s:i,s:i,s:i,s:i}",
				 "import_id", im->import_id,
				 "status", im->broken ? "failed" :
				 im->finishing ? "finished" : "running",
				 "dry_run", im->dry_run,
				 "total", (json_int_t)im->total,
				 "processed", (json_int_t)im->processed,
				 "created", (json_int_t)im->created,
				 "merged", (json_int_t)im->merged,
				 "skipped", (json_int_t)im->skipped,
				 "failed", (json_int_t)im->failed,
				 "errors_total",
				 (json_int_t)im->errors_total);

	if (data)
		(void)event_publish(im->tenant_id, type, data);
}
