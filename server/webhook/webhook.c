/* Webhooks: start and stop the parts, and the queue depth gauge. */
#include <stdlib.h>
#include <re_types.h>
#include <re_list.h>
#include <re_fmt.h>
#include <re_tmr.h>
#define LOG_MODULE "webhook"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "http/egress.h"
#include "webhook/webhook.h"
#include "webhook/wh_int.h"

enum {
	DEPTH_MS = 5000,
	PURGE_MS = 3600 * 1000,
};

#define DEPTH_SQL \
	"SELECT count(*) FROM webhook_deliveries WHERE state IN" \
	" ('pending', 'failed', 'delivering') AND next_attempt_at <= now()"

/*
 * The log is kept 30 days: finished deliveries (and their attempts, by
 * cascade) older than that go, a bounded batch an hour, so one purge
 * never holds the table long.
 */
#define PURGE_SQL \
	"DELETE FROM webhook_deliveries WHERE delivery_id IN (SELECT" \
	" delivery_id FROM webhook_deliveries WHERE state IN ('delivered'," \
	" 'dead') AND created_at < now() - interval '30 days' LIMIT 50000)"

static struct {
	struct app *app;             /**< (borrowed) */
	struct tmr depth_tmr;
	struct tmr purge_tmr;
	bool querying;
} wh;


static void depth_done(int err, const struct db_res *res, void *arg)
{
	(void)arg;

	wh.querying = false;
	if (!err && db_nrows(res, 0))
		wh_metrics_queue(atof(db_val(res, 0, 0, 0)));
}


static void depth_h(void *arg)
{
	struct db_ctx ctx = {DB_OPERATOR, NULL};
	(void)arg;

	tmr_start(&wh.depth_tmr, DEPTH_MS, depth_h, NULL);
	if (wh.querying || !wh.app)
		return;

	wh.querying = !db_query(wh.app->db, &ctx, depth_done, NULL,
				DEPTH_SQL, 0, NULL);
}


static void purged(int err, const struct db_res *res, void *arg)
{
	(void)arg;

	if (err && err != ECANCELED)
		log_warn("webhook log not purged: %m", err);
	else if (!err && db_affected(res, 0))
		log_info("webhook log: %llu deliveries older than 30 days "
			 "removed", (unsigned long long)db_affected(res, 0));
}


static void purge_h(void *arg)
{
	struct db_ctx ctx = {DB_OPERATOR, NULL};
	(void)arg;

	tmr_start(&wh.purge_tmr, PURGE_MS, purge_h, NULL);
	if (wh.app)
		(void)db_query(wh.app->db, &ctx, purged, NULL, PURGE_SQL, 0,
			       NULL);
}


/**
 * Start webhooks: the egress policy, the outbox sink and cache, the
 * delivery loop and the REST API.
 *
 * @return 0 if success, otherwise errorcode
 */
int webhook_init(struct app *app)
{
	const struct cfg *c = &app->cfg;
	int err;

	err = egress_init(c->egress_allow, c->egress_allow_private != 0);
	if (err) {
		log_error("egress_allow: not a list of addresses or CIDRs");
		return err;
	}

	wh.app = app;
	tmr_init(&wh.depth_tmr);
	tmr_init(&wh.purge_tmr);
	wh_metrics_init();
	err = outreq_init();
	err = err ? err : wh_result_init(app);
	err = err ? err : wh_outbox_init(app);
	err = err ? err : wh_deliver_init(app);
	err = err ? err : wh_api_init();
	err = err ? err : wh_api_log_init();
	if (err)
		return err;

	tmr_start(&wh.depth_tmr, DEPTH_MS, depth_h, NULL);
	tmr_start(&wh.purge_tmr, PURGE_MS / 60, purge_h, NULL);
	return 0;
}


/** Stop delivering and free everything (deliveries stay queued). */
void webhook_close(void)
{
	tmr_cancel(&wh.depth_tmr);
	tmr_cancel(&wh.purge_tmr);
	wh_deliver_close();
	wh_outbox_close();
	wh_result_close();
	outreq_close();
	wh.app = NULL;
}
