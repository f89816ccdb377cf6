/* Database pool: connections on the libre loop, reconnect, dispatch. */
#include <string.h>
#include "db/db_int.h"
#define LOG_MODULE "db"
#include "log/log.h"


const double db_lat_bounds[8] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25
};

static void conn_connect(struct db_conn *conn);


/**
 * libpq notice receiver: notices and warnings go to our log, not stderr.
 *
 * @param arg Unused
 * @param r   Result carrying the notice
 */
void db_notice_receiver(void *arg, const PGresult *r)
{
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	(void)arg;
	if (sev && (!strcmp(sev, "WARNING") || !strcmp(sev, "FATAL")))
		log_warn("postgres: %s", msg ? msg : "?");
	else
		log_debug("postgres: %s", msg ? msg : "?");
}


/**
 * libpq's connection error message on one line.
 *
 * @param pg  Connection or NULL
 * @param buf Buffer
 * @param sz  Buffer size
 *
 * @return buf
 */
const char *db_pq_errmsg(const PGconn *pg, char *buf, size_t sz)
{
	size_t n;

	str_ncpy(buf, pg ? PQerrorMessage(pg) : "out of memory", sz);
	for (char *p = buf; *p; p++) {
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	}
	n = strlen(buf);
	while (n && buf[n - 1] == ' ')
		buf[--n] = '\0';

	return buf;
}


static void conn_close_pg(struct db_conn *conn)
{
	if (conn->fd >= 0)
		fd_close(conn->fd);
	conn->fd = -1;
	conn->fd_flags = 0;

	if (conn->pg)
		PQfinish(conn->pg);
	conn->pg = NULL;
}


static void conn_destructor(void *arg)
{
	struct db_conn *conn = arg;

	tmr_cancel(&conn->tmr);
	list_unlink(&conn->le);
	conn_close_pg(conn);
	mem_deref(conn->job);
	mem_deref(conn->res);
}


static void db_destructor(void *arg)
{
	struct db *db = arg;
	struct db_txn *tx;
	struct le *le;

	db->draining = true;
	db->closing = true;
	tmr_cancel(&db->drain_tmr);

	/* Queued jobs first, then those in flight: each callback once. */
	while ((tx = db_jobq_take(db)))
		db_job_finish(db, tx, ECANCELED, NULL);

	LIST_FOREACH(&db->connl, le) {
		struct db_conn *conn = le->data;

		tx = conn->job;
		conn->job = NULL;
		conn->res = mem_deref(conn->res);
		if (tx)
			db_job_finish(db, tx, ECANCELED, NULL);
	}

	list_flush(&db->connl);
	db->lconn = mem_deref(db->lconn);
	list_flush(&db->chanl);
	mem_deref(db->conninfo);
}


static void retry_handler(void *arg)
{
	conn_connect(arg);
}


static void conn_schedule(struct db_conn *conn)
{
	conn->state = DB_CONN_DOWN;
	if (conn->db->closing)
		return;

	tmr_start(&conn->tmr, conn->backoff_ms, retry_handler, conn);
	conn->backoff_ms = min(conn->backoff_ms * 2, DB_BACKOFF_MAX_MS);
}


static void conn_up(struct db_conn *conn)
{
	if (PQsetnonblocking(conn->pg, 1)) {
		db_conn_drop(conn, EAGAIN);
		return;
	}

	if (conn->logged_down)
		log_info("%s connection up again",
			 conn->listener ? "listen" : "pool");

	conn->state = DB_CONN_IDLE;
	conn->backoff_ms = DB_BACKOFF_MIN_MS;
	conn->logged_down = false;
	db_conn_listen(conn, FD_READ);

	if (conn->listener) {
		conn->db->listen_dirty = true;
		db_listen_idle(conn);
	}
	else {
		db_dispatch(conn->db);
	}
}


static void connect_poll(struct db_conn *conn)
{
	PostgresPollingStatusType st = PQconnectPoll(conn->pg);

	/*
	 * libpq may have closed the socket and opened another one, possibly
	 * with the same number: register afresh after every poll.
	 */
	if (conn->fd >= 0)
		fd_close(conn->fd);
	conn->fd = -1;
	conn->fd_flags = 0;

	switch (st) {

	case PGRES_POLLING_READING:
		db_conn_listen(conn, FD_READ);
		break;

	case PGRES_POLLING_WRITING:
		db_conn_listen(conn, FD_WRITE);
		break;

	case PGRES_POLLING_OK:
		db_conn_listen(conn, FD_READ);
		conn_up(conn);
		break;

	default:
		db_conn_drop(conn, EAGAIN);
		break;
	}
}


static void conn_idle_read(struct db_conn *conn)
{
	PGresult *r;

	if (!PQconsumeInput(conn->pg)) {
		db_conn_drop(conn, EAGAIN);
		return;
	}

	if (conn->listener)
		db_listen_notify(conn);

	/* Results of LISTEN commands, or stray ones: discard. */
	while (!PQisBusy(conn->pg) && (r = PQgetResult(conn->pg)))
		PQclear(r);

	if (PQstatus(conn->pg) == CONNECTION_BAD)
		db_conn_drop(conn, EAGAIN);
}


static void fd_handler(int flags, void *arg)
{
	struct db_conn *conn = arg;
	int err;

	/* hang-up or error: reading is what tells libpq */
	if (flags & FD_EXCEPT)
		flags |= FD_READ;

	switch (conn->state) {

	case DB_CONN_CONNECTING:
		connect_poll(conn);
		break;

	case DB_CONN_BUSY:
		if (flags & FD_WRITE) {
			err = PQflush(conn->pg);
			if (err < 0) {
				db_conn_drop(conn, EAGAIN);
				break;
			}
			if (err == 0)
				db_conn_listen(conn, FD_READ);
		}
		if (flags & FD_READ) {
			err = db_job_read(conn);
			if (err)
				db_conn_drop(conn, err);
		}
		break;

	case DB_CONN_IDLE:
		conn_idle_read(conn);
		if (conn->state == DB_CONN_IDLE && conn->listener)
			db_listen_idle(conn);
		break;

	default:
		break;
	}
}


/**
 * (Re-)register the connection's socket; libpq may have changed it.
 *
 * @param conn  Connection
 * @param flags FD_READ and/or FD_WRITE
 */
void db_conn_listen(struct db_conn *conn, int flags)
{
	int fd = conn->pg ? PQsocket(conn->pg) : -1;

	if (fd != conn->fd && conn->fd >= 0) {
		fd_close(conn->fd);
		conn->fd_flags = 0;
	}
	conn->fd = fd;
	if (fd < 0 || flags == conn->fd_flags)
		return;

	if (fd_listen(fd, flags, fd_handler, conn)) {
		log_warn("fd_listen failed");
		return;
	}
	conn->fd_flags = flags;
}


static void conn_connect(struct db_conn *conn)
{
	conn->pg = PQconnectStart(conn->db->conninfo);
	if (!conn->pg || PQstatus(conn->pg) == CONNECTION_BAD) {
		db_conn_drop(conn, EAGAIN);
		return;
	}

	PQsetNoticeReceiver(conn->pg, db_notice_receiver, NULL);
	conn->state = DB_CONN_CONNECTING;
	db_conn_listen(conn, FD_WRITE);
	if (conn->fd < 0)
		db_conn_drop(conn, EAGAIN);
}


/**
 * Close a connection after a failure and schedule a reconnect. A job in
 * flight fails with err; when no connection is left up, queued jobs fail
 * with EAGAIN.
 *
 * @param conn Connection
 * @param err  Error for the job in flight
 */
void db_conn_drop(struct db_conn *conn, int err)
{
	struct db *db = conn->db;
	struct db_txn *tx = conn->job, *qtx;

	if (!conn->logged_down) {
		char msg[256];

		log_warn("%s connection lost or refused: %s",
			 conn->listener ? "listen" : "pool",
			 db_pq_errmsg(conn->pg, msg, sizeof(msg)));
		conn->logged_down = true;
	}

	conn->job = NULL;
	conn->res = mem_deref(conn->res);
	conn_close_pg(conn);
	conn_schedule(conn);

	if (tx)
		db_job_finish(db, tx, err, NULL);

	if (db_conns_up(db))
		return;

	while ((qtx = db_jobq_take(db)))
		db_job_finish(db, qtx, EAGAIN, NULL);
	db_check_drained(db);
}


/**
 * Allocate a connection and start connecting.
 *
 * @param connp    Pointer to allocated connection
 * @param db       Database pool (not referenced)
 * @param listener True for the dedicated LISTEN connection
 *
 * @return 0 if success, otherwise errorcode
 */
int db_conn_alloc(struct db_conn **connp, struct db *db, bool listener)
{
	struct db_conn *conn;

	conn = mem_zalloc(sizeof(*conn), conn_destructor);
	if (!conn)
		return ENOMEM;

	conn->db = db;
	conn->fd = -1;
	conn->listener = listener;
	conn->backoff_ms = DB_BACKOFF_MIN_MS;
	tmr_init(&conn->tmr);

	/* Connect from the loop, so callers never see re-entrant errors. */
	tmr_start(&conn->tmr, 0, retry_handler, conn);
	*connp = conn;

	return 0;
}


/**
 * Number of pool connections that are up.
 *
 * @param db Database pool
 *
 * @return connections up (idle or busy)
 */
unsigned db_conns_up(const struct db *db)
{
	unsigned n = 0;
	struct le *le;

	LIST_FOREACH(&db->connl, le) {
		const struct db_conn *conn = le->data;

		if (conn->state == DB_CONN_IDLE || conn->state == DB_CONN_BUSY)
			++n;
	}

	return n;
}


/**
 * Start queued jobs on idle connections.
 *
 * @param db Database pool
 */
void db_dispatch(struct db *db)
{
	struct le *le;

	LIST_FOREACH(&db->connl, le) {
		struct db_conn *conn = le->data;
		struct db_txn *tx;
		int err;

		if (conn->state != DB_CONN_IDLE)
			continue;

		tx = db_jobq_take(db);
		if (!tx)
			break;

		conn->job = tx;
		err = db_job_send(conn);
		if (err) {
			db_conn_drop(conn, err);
			return;  /* the list may have changed: next event */
		}
	}

	db_check_drained(db);
}


static void drained_handler(void *arg)
{
	struct db *db = arg;
	void (*h)(void *) = db->drainedh;

	db->drainedh = NULL;
	if (h)
		h(db->drain_arg);
}


/**
 * Call the drain handler (from the loop) once nothing is left to do.
 *
 * @param db Database pool
 */
void db_check_drained(struct db *db)
{
	struct le *le;

	if (!db->draining || !db->drainedh || db->closing)
		return;

	if (!db_jobq_empty(db))
		return;

	LIST_FOREACH(&db->connl, le) {
		const struct db_conn *conn = le->data;

		if (conn->job)
			return;
	}

	if (!tmr_isrunning(&db->drain_tmr))
		tmr_start(&db->drain_tmr, 0, drained_handler, db);
}


/**
 * Allocate a database pool and start connecting.
 *
 * @param dbp       Pointer to allocated pool
 * @param conninfo  libpq conninfo (unix socket or hostaddr only)
 * @param pool_size Number of connections (at least 1)
 * @param max_queue Jobs that may wait for a connection (EBUSY past it)
 *
 * @return 0 if success, otherwise errorcode
 */
int db_alloc(struct db **dbp, const char *conninfo, unsigned pool_size,
	     unsigned max_queue)
{
	struct db *db;
	int err;

	if (!dbp || !conninfo || !pool_size)
		return EINVAL;

	db = mem_zalloc(sizeof(*db), db_destructor);
	if (!db)
		return ENOMEM;

	tmr_init(&db->drain_tmr);
	db->pool_size = pool_size;
	db->max_queue = max_queue;

	err = str_dup(&db->conninfo, conninfo);
	if (err)
		goto out;

	for (unsigned i = 0; i < pool_size; i++) {
		struct db_conn *conn;

		err = db_conn_alloc(&conn, db, false);
		if (err)
			goto out;

		list_append(&db->connl, &conn->le, conn);
	}

 out:
	if (err)
		mem_deref(db);
	else
		*dbp = db;

	return err;
}


/**
 * Tell whether at least one pool connection is up.
 *
 * @param db Database pool
 *
 * @return true if ready
 */
bool db_ready(const struct db *db)
{
	return db && !db->draining && db_conns_up(db) > 0;
}


/**
 * Fill in pool statistics.
 *
 * @param db Database pool
 * @param st Statistics to fill
 */
void db_stats_get(const struct db *db, struct db_stats *st)
{
	struct le *le;

	if (!st)
		return;

	memset(st, 0, sizeof(*st));
	if (!db)
		return;

	st->conns = db->pool_size;
	LIST_FOREACH(&db->connl, le) {
		const struct db_conn *conn = le->data;

		if (conn->state == DB_CONN_IDLE)
			++st->conns_up;
		else if (conn->state == DB_CONN_BUSY) {
			++st->conns_up;
			++st->busy;
		}
	}

	st->queued = db->njobq + db->nrecq;
	st->queries = db->queries;
	st->errors = db->errors;
	memcpy(st->lat_bucket, db->lat_bucket, sizeof(st->lat_bucket));
	st->lat_sum_s = db->lat_sum_s;
}


/**
 * Stop taking new jobs (they fail with ECANCELED) and call drainedh once
 * the jobs in flight and queued have finished.
 *
 * @param db       Database pool
 * @param drainedh Handler called from the loop when drained
 * @param arg      Handler argument
 */
void db_drain(struct db *db, void (*drainedh)(void *arg), void *arg)
{
	if (!db)
		return;

	db->draining = true;
	db->drainedh = drainedh;
	db->drain_arg = arg;
	db_check_drained(db);
}
