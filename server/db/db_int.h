/* Private state of the database module: pool, connections, jobs, results. */
#ifndef OPENSEAT_DB_INT_H
#define OPENSEAT_DB_INT_H

#include <re.h>
#include <libpq-fe.h>
#include "db/db.h"

enum {
	DB_BACKOFF_MIN_MS = 100,
	DB_BACKOFF_MAX_MS = 5000,
};

/** One statement of a job; params[i] NULL means SQL NULL. */
struct db_stmt {
	struct le le;           /**< in db_txn.stmtl */
	char *sql;
	unsigned nparams;
	char **params;
};

/** A job: a query or a transaction, run in one pipeline. */
struct db_txn {
	struct le le;           /**< in db.jobq while queued */
	enum db_scope scope;
	char *tenant_id;
	struct list stmtl;      /**< (owning) struct db_stmt */
	unsigned nstmt;
	db_done_h *doneh;
	void *arg;              /**< borrowed: caller keeps it alive */
	uint64_t t_submit_us;
	bool must;              /**< not refused for a full queue */
};

/** Rows of one statement, copied out of a PGresult. */
struct db_rset {
	unsigned nrows;
	unsigned ncols;
	char **colv;            /**< ncols names */
	char **valv;            /**< nrows * ncols values, NULL = SQL NULL */
	uint64_t affected;
};

struct db_res {
	unsigned nstmt;
	struct db_rset *setv;   /**< nstmt entries */
	char *errmsg;           /**< PostgreSQL's primary message or NULL */
	char sqlstate[6];
};

enum db_conn_state {
	DB_CONN_DOWN = 0,
	DB_CONN_CONNECTING,
	DB_CONN_IDLE,
	DB_CONN_BUSY,
};

struct db_conn {
	struct le le;           /**< in db.connl */
	struct db *db;          /**< borrowed: the db owns its conns */
	PGconn *pg;
	int fd;
	int fd_flags;
	enum db_conn_state state;
	struct tmr tmr;         /**< reconnect backoff */
	unsigned backoff_ms;
	bool listener;          /**< dedicated LISTEN connection */
	bool logged_down;       /**< a failure was logged for this outage */
	struct db_txn *job;     /**< (ref) job in flight */
	struct db_res *res;     /**< (ref) result being built */
	unsigned qidx;          /**< index of the query being read */
	unsigned skip;          /**< leading scope statements */
	int err;
};

struct db_chan {
	struct le le;           /**< in db.chanl */
	char *channel;
	db_notify_h *h;
	void *arg;
};

struct db {
	char *conninfo;
	struct list connl;      /**< (owning) pool connections */
	struct db_conn *lconn;  /**< (ref) LISTEN connection or NULL */
	bool listen_dirty;      /**< channels not yet LISTENed */
	struct list chanl;      /**< (owning) struct db_chan */
	struct list jobq;       /**< (owning) queued struct db_txn */
	uint32_t njobq;         /**< entries of jobq (list_count walks) */
	struct list recq;       /**< (owning) queued records (must)   */
	uint32_t nrecq;         /**< entries of recq                  */
	unsigned pool_size;
	unsigned max_queue;
	bool draining;
	bool closing;
	void (*drainedh)(void *arg);
	void *drain_arg;
	struct tmr drain_tmr;
	uint64_t queries;
	uint64_t errors;
	uint64_t lat_bucket[8];
	double lat_sum_s;
};

/* db_pool.c */
void db_notice_receiver(void *arg, const PGresult *r);
const char *db_pq_errmsg(const PGconn *pg, char *buf, size_t sz);
int  db_conn_alloc(struct db_conn **connp, struct db *db, bool listener);
void db_conn_drop(struct db_conn *conn, int err);
void db_conn_listen(struct db_conn *conn, int flags);
void db_dispatch(struct db *db);
unsigned db_conns_up(const struct db *db);
void db_check_drained(struct db *db);

/* db_job.c */
uint64_t db_now_us(void);
int  db_job_send(struct db_conn *conn);
int  db_job_read(struct db_conn *conn);
void db_job_finish(struct db *db, struct db_txn *tx, int err,
		   const struct db_res *res);

/* db_res.c */
int  db_res_alloc(struct db_res **resp, unsigned nstmt);
int  db_res_copy(struct db_res *res, unsigned stmt, const PGresult *r);
void db_res_seterr(struct db_res *res, const PGresult *r);
int  db_sqlstate_err(const char *sqlstate);

/* db_listen.c */
void db_listen_idle(struct db_conn *conn);
void db_listen_notify(struct db_conn *conn);

/*
 * Two queues with their lengths kept (a submit checks max_queue, and
 * under load they hold thousands of jobs): requests, which a client
 * waits for, and records (db_txn_must), which must land but may land
 * later. Requests go first; a record that waited DB_RECORD_WAIT_US goes
 * before them, so records are late under load, never starved. Each
 * queue keeps its order (a call's store has one transaction out).
 */
#define DB_RECORD_WAIT_US 500000

static inline void db_jobq_add(struct db *db, struct db_txn *tx)
{
	if (tx->must) {
		list_append(&db->recq, &tx->le, tx);
		++db->nrecq;
		return;
	}

	list_append(&db->jobq, &tx->le, tx);
	++db->njobq;
}

static inline bool db_record_first(const struct db *db)
{
	const struct le *rec = list_head(&db->recq);
	const struct db_txn *tx = rec ? rec->data : NULL;

	return tx && (!db->njobq ||
		      db_now_us() - tx->t_submit_us >= DB_RECORD_WAIT_US);
}

static inline struct db_txn *db_jobq_take(struct db *db)
{
	const bool rec = db_record_first(db);
	struct le *le = list_head(rec ? &db->recq : &db->jobq);

	if (!le)
		return NULL;

	list_unlink(le);
	if (rec)
		--db->nrecq;
	else
		--db->njobq;

	return le->data;
}

static inline bool db_jobq_empty(const struct db *db)
{
	return list_isempty(&db->jobq) && list_isempty(&db->recq);
}

#endif
