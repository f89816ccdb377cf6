/* Asynchronous PostgreSQL access on the libre loop: pool, tenant scope. */
#ifndef OPENSEAT_DB_H
#define OPENSEAT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct db_res;
struct db_txn;

/** Which rows a transaction may see (Row Level Security). */
enum db_scope {
	DB_NONE = 0,   /**< no tenant set: tenant tables show 0 rows   */
	DB_TENANT,     /**< openseat.tenant_id set for the transaction */
	DB_OPERATOR,   /**< role openseat_operator (BYPASSRLS) for it  */
};

struct db_ctx {
	enum db_scope scope;
	const char *tenant_id;   /**< uuid text, for DB_TENANT */
};

/**
 * Called exactly once per query or transaction, on the loop thread,
 * even at shutdown (ECANCELED). The result is valid only during the call.
 *
 * err: 0, EEXIST (unique violation), EINVAL (bad value, check, not-null,
 * foreign key), EACCES (privilege), ETIMEDOUT (statement timeout),
 * EAGAIN (no connection / connection lost), EBUSY (queue full),
 * ECANCELED (shutting down), EPROTO (any other SQL error).
 */
typedef void (db_done_h)(int err, const struct db_res *res, void *arg);
typedef void (db_notify_h)(const char *channel, const char *payload,
			   void *arg);

struct db_stats {
	unsigned conns;          /**< connections configured        */
	unsigned conns_up;       /**< connections established       */
	unsigned busy;           /**< connections running a query   */
	unsigned queued;         /**< jobs waiting for a connection */
	uint64_t queries;        /**< jobs finished                 */
	uint64_t errors;         /**< jobs finished with err != 0   */
	uint64_t lat_bucket[8];  /**< latency histogram counts      */
	double   lat_sum_s;      /**< sum of latencies in seconds   */
};

/* Latency bucket upper bounds in seconds, for db_stats.lat_bucket. */
extern const double db_lat_bounds[8];

int  db_alloc(struct db **dbp, const char *conninfo, unsigned pool_size,
	      unsigned max_queue);
int  db_query(struct db *db, const struct db_ctx *ctx, db_done_h *doneh,
	      void *arg, const char *sql, unsigned nparams,
	      const char *const *params);
int  db_txn_alloc(struct db_txn **txp, const struct db_ctx *ctx);
int  db_txn_add(struct db_txn *tx, const char *sql, unsigned nparams,
		const char *const *params);
int  db_txn_exec(struct db *db, struct db_txn *tx, db_done_h *doneh,
		 void *arg);
/* A record the call engine must not lose (a call's CDR and timeline, an
 * agent's state log, a recording's row) is never refused for a full
 * queue: the limit is backpressure for requests, which get a 503. */
void db_txn_must(struct db_txn *tx);
int  db_query_must(struct db *db, const struct db_ctx *ctx,
		   db_done_h *doneh, void *arg, const char *sql,
		   unsigned nparams, const char *const *params);
int  db_listen(struct db *db, const char *channel, db_notify_h *h,
	       void *arg);
bool db_ready(const struct db *db);
void db_stats_get(const struct db *db, struct db_stats *st);
void db_drain(struct db *db, void (*drainedh)(void *arg), void *arg);

unsigned    db_res_stmts(const struct db_res *res);
unsigned    db_nrows(const struct db_res *res, unsigned stmt);
unsigned    db_ncols(const struct db_res *res, unsigned stmt);
const char *db_colname(const struct db_res *res, unsigned stmt,
		       unsigned col);
const char *db_val(const struct db_res *res, unsigned stmt, unsigned row,
		   unsigned col);
const char *db_get(const struct db_res *res, unsigned stmt, unsigned row,
		   const char *colname);
uint64_t    db_affected(const struct db_res *res, unsigned stmt);
const char *db_errmsg(const struct db_res *res);
const char *db_sqlstate(const struct db_res *res);

int db_migrate(const char *conninfo, const char *dir, bool verbose);

#endif
