/* One call's database writes, in order, batched per round trip. */
#include <string.h>
#include <re.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "db/db.h"
#include "call/call_store.h"

/*
 * Statements wait in `pending` while a transaction is in flight; when it
 * finishes they all go in the next one. A failed transaction is retried
 * with backoff (the database may be restarting) a bounded number of
 * times: a finished call's record must survive a short outage.
 *
 * The store keeps itself alive while it has work: the owner may drop its
 * reference at any time (the call ended) and the rows still land.
 */

#define STORE_RETRIES 8
#define STORE_BATCH   64

struct stmt {
	struct le le;
	char *sql;                   /**< (own) */
	char **pv;                   /**< (own) */
	unsigned n;
};

struct call_store {
	struct db *db;               /**< (borrowed) outlives every call */
	char tenant_id[37];
	char call_id[37];
	struct list pending;         /**< owning: struct stmt            */
	struct list inflight;        /**< owning: the batch being sent   */
	struct tmr retry_tmr;
	unsigned retries;
	bool busy;
	bool self_ref;               /**< holds a ref while work remains */
};

static void flush(struct call_store *cs);

static unsigned busy_stores;     /**< stores with work left */


static void stmt_destructor(void *arg)
{
	struct stmt *st = arg;

	for (unsigned i = 0; i < st->n; i++)
		mem_deref(st->pv[i]);
	mem_deref(st->pv);
	mem_deref(st->sql);
}


static void destructor(void *arg)
{
	struct call_store *cs = arg;

	tmr_cancel(&cs->retry_tmr);
	list_flush(&cs->pending);
	list_flush(&cs->inflight);
}


/**
 * Create the write queue of one call.
 *
 * @return 0 if success, otherwise errorcode
 */
int call_store_alloc(struct call_store **csp, struct db *db,
		     const char *tenant_id, const char *call_id)
{
	struct call_store *cs;

	if (!csp || !db || !tenant_id || !call_id)
		return EINVAL;

	cs = mem_zalloc(sizeof(*cs), destructor);
	if (!cs)
		return ENOMEM;

	cs->db = db;
	str_ncpy(cs->tenant_id, tenant_id, sizeof(cs->tenant_id));
	str_ncpy(cs->call_id, call_id, sizeof(cs->call_id));
	tmr_init(&cs->retry_tmr);

	*csp = cs;
	return 0;
}


static void hold(struct call_store *cs)
{
	if (!cs->self_ref) {
		mem_ref(cs);
		cs->self_ref = true;
		++busy_stores;
	}
}


/* Work is done: drop the self reference (may free cs). */
static void release(struct call_store *cs)
{
	if (cs->self_ref) {
		cs->self_ref = false;
		--busy_stores;
		mem_deref(cs);
	}
}


static void retry_tmr_h(void *arg)
{
	flush(arg);
}


static void done_h(int err, const struct db_res *res, void *arg)
{
	struct call_store *cs = arg;

	(void)res;
	cs->busy = false;

	if (err && err != ECANCELED && cs->retries < STORE_RETRIES) {
		unsigned delay = 100u << cs->retries++;

		log_warn("call %s: storing its record failed (%m), retry in "
			 "%u ms", cs->call_id, err, delay);
		tmr_start(&cs->retry_tmr, delay, retry_tmr_h, cs);
		return;
	}

	if (err)
		log_error("call %s: record lost after retries: %m",
			  cs->call_id, err);

	cs->retries = 0;
	list_flush(&cs->inflight);
	flush(cs);
}


static int batch_build(struct call_store *cs, struct db_txn **txp)
{
	struct db_ctx ctx = {DB_TENANT, cs->tenant_id};
	struct db_txn *tx = NULL;
	struct le *le;
	int err;

	err = db_txn_alloc(&tx, &ctx);
	db_txn_must(tx);       /* a finished call's record is not dropped */
	for (le = cs->inflight.head; le && !err; le = le->next) {
		struct stmt *st = le->data;

		err = db_txn_add(tx, st->sql, st->n,
				 (const char *const *)st->pv);
	}

	if (err)
		mem_deref(tx);
	else
		*txp = tx;

	return err;
}


/* Send what is pending (or retry the batch in flight) if idle. */
static void flush(struct call_store *cs)
{
	struct db_txn *tx = NULL;
	int err;

	if (cs->busy)
		return;

	for (unsigned i = 0; !cs->retries && i < STORE_BATCH &&
		     cs->pending.head; i++) {
		struct le *le = cs->pending.head;

		list_unlink(le);
		list_append(&cs->inflight, le, le->data);
	}

	if (!cs->inflight.head) {
		release(cs);
		return;
	}

	hold(cs);
	err = batch_build(cs, &tx);
	err = err ? err : db_txn_exec(cs->db, tx, done_h, cs);
	if (err) {
		/* EAGAIN: no connection right now (a record is never
		 * refused for a full queue: db_txn_must) */
		cs->busy = true;
		done_h(err, NULL, cs);
		return;
	}

	cs->busy = true;
}


/**
 * Queue one statement; it runs after every statement queued before it.
 *
 * @return 0 if success, otherwise errorcode
 */
int call_store_add(struct call_store *cs, const char *sql, unsigned n,
		   const char *const *pv)
{
	struct stmt *st;
	int err = 0;

	if (!cs || !sql)
		return EINVAL;

	st = mem_zalloc(sizeof(*st), stmt_destructor);
	if (!st)
		return ENOMEM;

	err = str_dup(&st->sql, sql);
	if (!err && n) {
		st->pv = mem_zalloc(n * sizeof(*st->pv), NULL);
		err = st->pv ? 0 : ENOMEM;
	}
	st->n = st->pv ? n : 0;
	for (unsigned i = 0; i < st->n && !err; i++) {
		if (pv[i])
			err = str_dup(&st->pv[i], pv[i]);
	}

	if (err) {
		mem_deref(st);
		return err;
	}

	list_append(&cs->pending, &st->le, st);
	flush(cs);

	return 0;
}


/** True when nothing is waiting or in flight. */
bool call_store_idle(const struct call_store *cs)
{
	return !cs || (!cs->busy && !cs->pending.head && !cs->inflight.head);
}


/** How many calls still have records on their way to the database. */
unsigned call_store_busy(void)
{
	return busy_stores;
}
