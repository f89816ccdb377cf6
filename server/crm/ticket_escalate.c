/* Escalation: a loop timer finds tickets past their due time and not in
 * a final state, escalates each once and tells its assignee. */
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "ticket"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "crm/ticket_int.h"

/* Tickets escalated per statement; a full batch runs the next at once. */
#define BATCH 100

/* After a failure (no database connection yet at start-up, an outage),
 * at most this long to the next try. */
#define RETRY_MS 2000

/*
 * The database says what is escalated (tickets.escalated_at, set in the
 * same statement that picks the ticket, rows locked SKIP LOCKED), so a
 * restart or a second node never escalates a ticket twice, and one
 * stopped while due tickets waited catches up on its first tick.
 */
static struct {
	struct app *app;        /**< (borrowed) */
	uint64_t period_ms;
	struct tmr tmr;
	bool running;           /**< a statement is in flight */
	bool closed;
} esc;

static void tick(void *arg);


static void arm(uint64_t ms)
{
	if (ms > esc.period_ms)
		ms = esc.period_ms;

	if (!esc.closed)
		tmr_start(&esc.tmr, ms, tick, NULL);
}


static void escalated(int err, const struct db_res *res, void *arg)
{
	unsigned n = err ? 0 : db_nrows(res, 0);

	(void)arg;
	esc.running = false;
	if (err == ECANCELED || esc.closed)
		return;

	if (err)
		log_warn("escalation check failed: %m", err);

	for (unsigned i = 0; i < n; i++)
		ticket_dispatch(db_val(res, 0, i, 0), db_val(res, 0, i, 1));

	if (n)
		log_info("escalated %u overdue ticket(s)", n);

	arm(err ? RETRY_MS : n >= BATCH ? 1 : esc.period_ms);
}


static void tick(void *arg)
{
	static const char sql[] =
		"SELECT e.tenant_id::text, e.event::text"
		" FROM ticket_escalate_due($1::int) e";
	const struct db_ctx ctx = {DB_OPERATOR, NULL};
	char batch[16];
	const char *pv[1] = {batch};
	int err;

	(void)arg;
	if (esc.running)
		return;

	(void)re_snprintf(batch, sizeof(batch), "%u", BATCH);
	err = db_query(esc.app->db, &ctx, escalated, NULL, sql, 1, pv);
	if (err) {
		log_warn("escalation check not started: %m", err);
		arm(RETRY_MS);
		return;
	}

	esc.running = true;
}


/** Start the escalation loop, a check every period_s seconds. */
int ticket_escalate_init(struct app *app, uint32_t period_s)
{
	esc.app = app;
	esc.period_ms = period_s * 1000ULL;
	esc.closed = false;
	esc.running = false;
	tmr_init(&esc.tmr);
	arm(1000);

	return 0;
}


void ticket_escalate_close(void)
{
	esc.closed = true;
	tmr_cancel(&esc.tmr);
}
