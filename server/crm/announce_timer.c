/* The start timer: each announcement is published (announcement.published
 * to its audience) when its start time comes. */
#include <stdlib.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "announce"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "crm/ticket_int.h"

/* Look again at least this often: a start set through another node. */
#define IDLE_MS 30000

/* After a failure (no database connection yet at start-up, an outage). */
#define RETRY_MS 2000

/*
 * One statement marks what is due as published and returns it (the
 * UPDATE decides, so a start goes out once whichever node runs first and
 * a restart resends nothing); a second gives the time to the next start,
 * where the timer is set. A change through this node kicks it at once.
 */
static struct {
	struct app *app;        /**< (borrowed) */
	struct tmr tmr;
	bool running;           /**< a transaction is in flight       */
	bool again;             /**< kicked meanwhile: run once more  */
	bool closed;
} at;

static void tick(void *arg);


static void arm(uint64_t ms)
{
	if (!at.closed)
		tmr_start(&at.tmr, ms, tick, NULL);
}


static uint64_t next_ms(const struct db_res *res)
{
	const char *v = db_val(res, 1, 0, 0);
	long long ms = v && v[0] ? atoll(v) : IDLE_MS;

	if (ms < 10)
		return 10;

	return ms < IDLE_MS ? (uint64_t)ms : IDLE_MS;
}


static void published(int err, const struct db_res *res, void *arg)
{
	unsigned n = err ? 0 : db_nrows(res, 0);

	(void)arg;
	at.running = false;
	if (err == ECANCELED || at.closed)
		return;

	if (err)
		log_warn("announcement start check failed: %m", err);

	for (unsigned i = 0; i < n; i++) {
		ticket_dispatch(db_val(res, 0, i, 0), db_val(res, 0, i, 1));
	}

	if (at.again) {
		at.again = false;
		arm(0);
		return;
	}

	arm(err ? RETRY_MS : next_ms(res));
}


static void tick(void *arg)
{
	static const char due_sql[] =
		"SELECT d.tenant_id::text, d.event::text"
		" FROM announcement_publish_due() d";
	static const char next_sql[] =
		"SELECT ceil(EXTRACT(epoch FROM min(starts_at) - now())"
		" * 1000)::bigint FROM announcements"
		" WHERE published_at IS NULL AND withdrawn_at IS NULL"
		" AND (ends_at IS NULL OR ends_at > now())";
	const struct db_ctx ctx = {DB_OPERATOR, NULL};
	struct db_txn *tx = NULL;
	int err;

	(void)arg;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, due_sql, 0, NULL);
	err = err ? err : db_txn_add(tx, next_sql, 0, NULL);
	if (err)
		mem_deref(tx);
	else    /* db_txn_exec takes tx, even when it fails */
		err = db_txn_exec(at.app->db, tx, published, NULL);
	if (err) {
		log_warn("announcement start check not started: %m", err);
		arm(RETRY_MS);
		return;
	}

	at.running = true;
}


/** Check for due announcements now (one was created or changed). */
void announce_kick(void)
{
	if (at.closed || !at.app)
		return;

	if (at.running)
		at.again = true;
	else
		arm(0);
}


/** Start the timer; what came due while the server was down goes out. */
int announce_timer_init(struct app *app)
{
	at.app = app;
	at.closed = false;
	at.running = at.again = false;
	tmr_init(&at.tmr);
	arm(1000);

	return 0;
}


void announce_timer_close(void)
{
	at.closed = true;
	tmr_cancel(&at.tmr);
}
