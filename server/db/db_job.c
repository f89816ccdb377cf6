/* Database jobs: queries and transactions sent in one pipeline. */
#include <string.h>
#include <time.h>
#include "db/db_int.h"
#define LOG_MODULE "db"
#include "log/log.h"


static void stmt_destructor(void *arg)
{
	struct db_stmt *st = arg;

	for (unsigned i = 0; st->params && i < st->nparams; i++)
		mem_deref(st->params[i]);
	mem_deref(st->params);
	mem_deref(st->sql);
}


static void txn_destructor(void *arg)
{
	struct db_txn *tx = arg;

	list_unlink(&tx->le);
	list_flush(&tx->stmtl);
	mem_deref(tx->tenant_id);
}


/**
 * Monotonic time in microseconds.
 *
 * @return microseconds since an arbitrary point
 */
uint64_t db_now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);

	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}


/**
 * Allocate a transaction: statements run as one unit, in a tenant scope.
 *
 * @param txp Pointer to allocated transaction
 * @param ctx Scope (tenant_id required for DB_TENANT)
 *
 * @return 0 if success, otherwise errorcode
 */
int db_txn_alloc(struct db_txn **txp, const struct db_ctx *ctx)
{
	struct db_txn *tx;
	int err = 0;

	if (!txp || !ctx || ctx->scope > DB_OPERATOR)
		return EINVAL;

	if (ctx->scope == DB_TENANT && !str_isset(ctx->tenant_id))
		return EINVAL;

	tx = mem_zalloc(sizeof(*tx), txn_destructor);
	if (!tx)
		return ENOMEM;

	tx->scope = ctx->scope;
	if (ctx->scope == DB_TENANT)
		err = str_dup(&tx->tenant_id, ctx->tenant_id);

	if (err)
		mem_deref(tx);
	else
		*txp = tx;

	return err;
}


/**
 * Add a statement to a transaction. The SQL text and parameters are
 * copied; a NULL parameter is SQL NULL.
 *
 * @param tx      Transaction
 * @param sql     One SQL statement with $1.. placeholders
 * @param nparams Number of parameters
 * @param params  Parameter values as text (may be NULL if nparams is 0)
 *
 * @return 0 if success, otherwise errorcode
 */
int db_txn_add(struct db_txn *tx, const char *sql, unsigned nparams,
	       const char *const *params)
{
	struct db_stmt *st;
	int err;

	if (!tx || !str_isset(sql) || (nparams && !params))
		return EINVAL;

	st = mem_zalloc(sizeof(*st), stmt_destructor);
	if (!st)
		return ENOMEM;

	err = str_dup(&st->sql, sql);
	if (err)
		goto out;

	if (nparams) {
		st->params = mem_zalloc(nparams * sizeof(char *), NULL);
		if (!st->params) {
			err = ENOMEM;
			goto out;
		}
		st->nparams = nparams;
	}

	for (unsigned i = 0; i < nparams && !err; i++) {
		if (params[i])
			err = str_dup(&st->params[i], params[i]);
	}

 out:
	if (err) {
		mem_deref(st);
	}
	else {
		list_append(&tx->stmtl, &st->le, st);
		++tx->nstmt;
	}

	return err;
}


/**
 * Run a transaction. Takes ownership of tx in every case. On error the
 * callback is not called.
 *
 * @param db    Database pool
 * @param tx    Transaction (owned from now on)
 * @param doneh Called once with the result
 * @param arg   Handler argument (not referenced)
 *
 * @return 0 if success, EAGAIN if no connection is up, EBUSY if the queue
 * is full, ECANCELED if draining, otherwise errorcode
 */
int db_txn_exec(struct db *db, struct db_txn *tx, db_done_h *doneh,
		void *arg)
{
	int err = 0;

	if (!db || !tx || !doneh || !tx->nstmt) {
		err = EINVAL;
		goto out;
	}

	if (db->draining) {
		err = ECANCELED;
		goto out;
	}

	if (!db_conns_up(db)) {
		err = EAGAIN;
		goto out;
	}

	if (db->njobq >= db->max_queue && !tx->must) {
		bool idle = false;
		struct le *le;

		LIST_FOREACH(&db->connl, le) {
			const struct db_conn *conn = le->data;

			idle |= conn->state == DB_CONN_IDLE;
		}
		if (!idle) {
			err = EBUSY;
			goto out;
		}
	}

	tx->doneh = doneh;
	tx->arg = arg;
	tx->t_submit_us = db_now_us();
	db_jobq_add(db, tx);
	tx = NULL;

	db_dispatch(db);

 out:
	mem_deref(tx);

	return err;
}


static int query(struct db *db, const struct db_ctx *ctx, bool must,
		 db_done_h *doneh, void *arg, const char *sql,
		 unsigned nparams, const char *const *params)
{
	struct db_txn *tx;
	int err;

	if (!db || !doneh)
		return EINVAL;

	err = db_txn_alloc(&tx, ctx);
	if (err)
		return err;

	err = db_txn_add(tx, sql, nparams, params);
	if (err) {
		mem_deref(tx);
		return err;
	}

	tx->must = must;

	return db_txn_exec(db, tx, doneh, arg);
}


/**
 * Run one statement.
 *
 * @param db      Database pool
 * @param ctx     Scope
 * @param doneh   Called once with the result (not called on error)
 * @param arg     Handler argument (not referenced)
 * @param sql     SQL statement
 * @param nparams Number of parameters
 * @param params  Parameters as text, NULL entries are SQL NULL
 *
 * @return 0 if success, otherwise errorcode (see db_txn_exec)
 */
int db_query(struct db *db, const struct db_ctx *ctx, db_done_h *doneh,
	     void *arg, const char *sql, unsigned nparams,
	     const char *const *params)
{
	return query(db, ctx, false, doneh, arg, sql, nparams, params);
}


/**
 * Run one statement that must not be lost: as db_query(), but never
 * refused for a full queue (see db_txn_must).
 *
 * @return 0 if success, otherwise errorcode (see db_txn_exec)
 */
int db_query_must(struct db *db, const struct db_ctx *ctx,
		  db_done_h *doneh, void *arg, const char *sql,
		  unsigned nparams, const char *const *params)
{
	return query(db, ctx, true, doneh, arg, sql, nparams, params);
}


/**
 * Mark a transaction as a record that must not be lost: a full queue
 * (EBUSY) does not refuse it. A draining pool or no connection still do.
 *
 * @param tx The transaction, before db_txn_exec()
 */
void db_txn_must(struct db_txn *tx)
{
	if (tx)
		tx->must = true;
}


static int send_scope(struct db_conn *conn, const struct db_txn *tx)
{
	const char *pv[1];

	switch (tx->scope) {

	case DB_TENANT:
		pv[0] = tx->tenant_id;
		return PQsendQueryParams(conn->pg,
			"SELECT set_config('openseat.tenant_id', $1, true)",
			1, NULL, pv, NULL, NULL, 0) ? 0 : EAGAIN;

	case DB_OPERATOR:
		return PQsendQueryParams(conn->pg,
			"SELECT set_config('role', 'openseat_operator', true)",
			0, NULL, NULL, NULL, NULL, 0) ? 0 : EAGAIN;

	default:
		return 0;
	}
}


/**
 * Send the connection's job as one pipeline: scope, statements, Sync.
 * Statements up to the Sync are one implicit transaction.
 *
 * @param conn Idle connection with conn->job set
 *
 * @return 0 if success, otherwise errorcode (the connection is unusable)
 */
int db_job_send(struct db_conn *conn)
{
	struct db_txn *tx = conn->job;
	struct le *le;
	int err, fl;

	err = db_res_alloc(&conn->res, tx->nstmt);
	if (err)
		return err;

	conn->qidx = 0;
	conn->skip = tx->scope == DB_NONE ? 0 : 1;
	conn->err = 0;
	conn->state = DB_CONN_BUSY;

	if (!PQenterPipelineMode(conn->pg))
		return EAGAIN;

	err = send_scope(conn, tx);
	if (err)
		return err;

	LIST_FOREACH(&tx->stmtl, le) {
		const struct db_stmt *st = le->data;

		if (!PQsendQueryParams(conn->pg, st->sql, (int)st->nparams,
				       NULL,
				       (const char *const *)st->params,
				       NULL, NULL, 0))
			return EAGAIN;
	}

	if (!PQpipelineSync(conn->pg))
		return EAGAIN;

	fl = PQflush(conn->pg);
	if (fl < 0)
		return EAGAIN;

	db_conn_listen(conn, fl ? FD_READ | FD_WRITE : FD_READ);

	return 0;
}


static void job_result(struct db_conn *conn, const PGresult *r)
{
	unsigned q = conn->qidx;
	int err;

	switch (PQresultStatus(r)) {

	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		if (q < conn->skip)
			break;
		err = db_res_copy(conn->res, q - conn->skip, r);
		if (err && err != EALREADY && !conn->err)
			conn->err = err;
		break;

	case PGRES_FATAL_ERROR:
		if (conn->err)
			break;
		db_res_seterr(conn->res, r);
		conn->err = db_sqlstate_err(conn->res->sqlstate);
		break;

	case PGRES_PIPELINE_ABORTED:
		break;

	default:
		if (!conn->err)
			conn->err = EPROTO;
		break;
	}
}


static void job_done(struct db_conn *conn)
{
	struct db_txn *tx = conn->job;
	struct db_res *res = conn->res;
	struct db *db = conn->db;

	conn->job = NULL;
	conn->res = NULL;
	conn->state = DB_CONN_IDLE;

	db_job_finish(db, tx, conn->err, res);
	mem_deref(res);

	db_dispatch(db);
}


/**
 * Read what arrived for the job in flight; finish it at the Sync.
 *
 * @param conn Busy connection
 *
 * @return 0 if success, otherwise errorcode (the connection is lost)
 */
int db_job_read(struct db_conn *conn)
{
	PGresult *r;

	if (!PQconsumeInput(conn->pg))
		return EAGAIN;

	while (!PQisBusy(conn->pg)) {

		r = PQgetResult(conn->pg);
		if (!r) {
			if (PQstatus(conn->pg) == CONNECTION_BAD)
				return EAGAIN;
			/* end of one query's results */
			++conn->qidx;
			if (conn->qidx > conn->skip + conn->job->nstmt)
				return EPROTO;
			continue;
		}

		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			if (!PQexitPipelineMode(conn->pg))
				return EPROTO;
			job_done(conn);
			return 0;
		}

		job_result(conn, r);
		PQclear(r);
	}

	if (PQstatus(conn->pg) == CONNECTION_BAD)
		return EAGAIN;

	return 0;
}


/**
 * Account for a finished job, call its handler once and free it.
 *
 * @param db  Database pool
 * @param tx  Job (freed)
 * @param err Result error
 * @param res Result or NULL
 */
void db_job_finish(struct db *db, struct db_txn *tx, int err,
		   const struct db_res *res)
{
	double lat = (double)(db_now_us() - tx->t_submit_us) / 1e6;
	unsigned b;

	for (b = 0; b < ARRAY_SIZE(db_lat_bounds) - 1; b++) {
		if (lat <= db_lat_bounds[b])
			break;
	}

	++db->queries;
	if (err)
		++db->errors;
	++db->lat_bucket[b];
	db->lat_sum_s += lat;

	if (tx->doneh)
		tx->doneh(err, res, tx->arg);

	mem_deref(tx);
}
