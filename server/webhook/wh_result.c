/* Writing attempts' results: the outbox row, the log, disabling. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#define LOG_MODULE "webhook"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "event/event.h"
#include "webhook/wh_int.h"

/*
 * Results are written in batches: while one transaction is on its way,
 * the results that finish meanwhile wait for the next. At a trickle that
 * is one transaction per result; under load one per many, which is what
 * lets the loop deliver thousands a second on a few connections.
 *
 * Until its result is written a delivery stays leased, so a crash before
 * the commit means the endpoint sees it again: at-least-once, and the
 * webhook-id lets the receiver notice.
 */

#define RESULT_SQL \
	"WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(" \
	"  delivery_id uuid, tenant_id uuid, attempt int, state text," \
	"  retry_ms bigint, retry_in_s int, status int, error text," \
	"  address text, req_headers text, req_body text, resp_body text," \
	"  duration_ms int))," \
	" u AS (UPDATE webhook_deliveries d SET state = r.state," \
	"  next_attempt_at = CASE WHEN r.state = 'failed' THEN now() +" \
	"  r.retry_ms * interval '1 millisecond' ELSE d.next_attempt_at END," \
	"  last_status = r.status, last_error = r.error," \
	"  delivered_at = CASE WHEN r.state = 'delivered' THEN now()" \
	"  ELSE d.delivered_at END" \
	"  FROM r WHERE d.delivery_id = ANY (ARRAY(SELECT delivery_id" \
	"  FROM r)) AND d.delivery_id = r.delivery_id RETURNING 1)" \
	" INSERT INTO webhook_attempts (tenant_id, delivery_id, attempt," \
	"  address, request_headers, request_body, status, response_body," \
	"  duration_ms, error, retry_in_s)" \
	" SELECT tenant_id, delivery_id, attempt, address, req_headers," \
	"  req_body, status, resp_body, duration_ms, error," \
	"  NULLIF(retry_in_s, 0) FROM r WHERE r.delivery_id IN (SELECT" \
	"  w.delivery_id FROM webhook_deliveries w WHERE w.delivery_id =" \
	"  ANY (ARRAY(SELECT delivery_id FROM r)))"

/*
 * A batch is a few hundred rows found by primary key (= ANY of the
 * batch's ids, an index condition) whatever the statistics say. Right
 * after a burst into a table analyzed empty, the planner would otherwise
 * hash or loop over the whole table for every batch (measured: 0.5 s for
 * 64 rows among 80,000) until autovacuum analyzes it again.
 */
#define PLAN_SQL \
	"SELECT set_config('enable_hashjoin', 'off', true)," \
	" set_config('enable_mergejoin', 'off', true)"

/* $3: no delivery that recent (ms) for "failing" to disable */
#define DISABLE_SQL \
	"WITH e AS (UPDATE webhook_endpoints e SET enabled = false," \
	"  disabled_reason = $2, disabled_at = now(), updated_at = now()" \
	"  WHERE e.endpoint_id = $1::uuid AND e.enabled AND ($2 = 'gone'" \
	"  OR NOT EXISTS (SELECT 1 FROM webhook_deliveries x" \
	"  WHERE x.endpoint_id = e.endpoint_id AND x.delivered_at >" \
	"  now() - $3::bigint * interval '1 millisecond'))" \
	"  RETURNING e.endpoint_id, e.tenant_id, e.url)," \
	" d AS (UPDATE webhook_deliveries SET state = 'dead'," \
	"  last_error = 'endpoint disabled' WHERE endpoint_id IN" \
	"  (SELECT endpoint_id FROM e) AND state IN ('pending', 'failed'))" \
	" SELECT e.tenant_id::text, json_build_object('endpoint_id'," \
	"  e.endpoint_id, 'url', e.url, 'reason', $2::text)::text," \
	"  pg_notify('" WH_CFG_CHANNEL "', e.tenant_id::text) FROM e"

enum {
	FAILING_WINDOW_S = 72 * 3600,
};

static struct {
	struct app *app;             /**< (borrowed)                     */
	json_t *rows;                /**< results waiting for a flush    */
	json_t *disables;            /**< [endpoint_id, reason] pairs    */
	uint64_t wake_ms;            /**< soonest retry of rows waiting  */
	uint64_t wake_flushing;      /**< ... of the batch being written */
	size_t flushing_n;           /**< results in the batch out       */
	bool flushing;
} rs;

static void flush(void);


/*
 * Text for the log: valid UTF-8 without control bytes (PostgreSQL text
 * takes no NUL; a response may be anything), at most n bytes of in.
 */
static json_t *text_clean(const char *in, size_t n)
{
	char out[WH_EXCERPT_MAX + 1];
	size_t o = 0, i = 0;

	n = min(n, (size_t)WH_EXCERPT_MAX);
	while (i < n) {
		unsigned char c = (unsigned char)in[i];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 :
			(c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		bool ok = len && i + len <= n;

		for (size_t k = 1; ok && k < len; k++)
			ok = ((unsigned char)in[i + k] >> 6) == 2;
		if (ok && len == 1 && c < 0x20 && c != '\n' && c != '\t' &&
		    c != '\r')
			ok = false;

		if (!ok) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, in + i, len);
		o += len;
		i += len;
	}

	{
		json_t *s = json_stringn(out, o);

		return s ? s : json_string("");
	}
}


static void error_text(char *buf, size_t sz, const struct outreq_result *r)
{
	if (r->err)
		(void)re_snprintf(buf, sz, "%s (%m)",
				  r->error ? r->error : "failed", r->err);
	else if (r->status >= 300 && r->status <= 399)
		(void)re_snprintf(buf, sz, "status %u: redirect not followed",
				  r->status);
	else if (r->status < 200 || r->status > 299)
		(void)re_snprintf(buf, sz, "status %u", r->status);
	else
		buf[0] = '\0';
}


static const char *metric_result(const struct outreq_result *r,
				 const struct wh_outcome *o)
{
	if (r->err == EACCES)
		return "refused";
	if (r->err == ETIMEDOUT)
		return "timeout";
	if (r->err)
		return "error";

	return !strcmp(o->state, "delivered") ? "delivered" : "rejected";
}


static json_t *row_json(const struct wh_job *job,
			const struct outreq_result *r,
			const struct wh_outcome *o)
{
	char err[160];
	json_t *row;

	error_text(err, sizeof(err), r);
	row = json_pack("{s:s, s:s, s:i, s:s, s:I, s:i, s:s?, s:s?,"
			" s:s, s:i}",
			"delivery_id", job->delivery_id,
			"tenant_id", job->tenant_id, "attempt", job->attempt,
			"state", o->state,
			"retry_ms", (json_int_t)o->retry_in_ms,
			"retry_in_s", (int)o->retry_in_s,
			"error", err[0] ? err : NULL,
			"address", r->addr[0] ? r->addr : NULL,
			"req_headers", job->headers ? job->headers : "",
			"duration_ms", (int)r->duration_ms);
	if (!row)
		return NULL;

	if (r->status)
		(void)json_object_set_new(row, "status",
					  json_integer(r->status));
	(void)json_object_set_new(row, "req_body",
				  text_clean(job->payload,
					     strlen(job->payload)));
	if (r->status)
		(void)json_object_set_new(row, "resp_body",
					  text_clean(r->body, r->body_len));

	return row;
}


/**
 * Record an attempt's result: queued for the next batch.
 *
 * @return 0 if success, otherwise errorcode (the lease will run out and
 *         the delivery be tried again)
 */
int wh_result_add(const struct wh_job *job, const struct outreq_result *r)
{
	struct wh_outcome o;
	json_t *row;

	if (!rs.app || !job || !r)
		return EINVAL;

	wh_outcome_of(&o, r, job->attempt, rs.app->cfg.webhook_time_scale);
	wh_metrics_delivery(metric_result(r, &o), r->duration_ms / 1000.0);

	row = row_json(job, r, &o);
	if (!row || json_array_append_new(rs.rows, row))
		return ENOMEM;

	if (o.disable)
		(void)json_array_append_new(rs.disables,
				json_pack("[s,s]", job->endpoint_id,
					  o.disabled_reason));
	/* the retry is due once its row says so: wake after the commit */
	if (o.retry_in_ms && (!rs.wake_ms || o.retry_in_ms < rs.wake_ms))
		rs.wake_ms = o.retry_in_ms;

	flush();
	return 0;
}


static void announce(const char *tenant_id, const char *json)
{
	json_t *d = json_loads(json, 0, NULL);

	log_warn("webhook endpoint disabled (tenant %s): %s", tenant_id,
		 json);
	wh_cache_reload(tenant_id);
	if (!d)
		return;

	(void)event_publish(tenant_id, "webhook.endpoint_disabled",
			    json_deep_copy(d));
	(void)event_publish(tenant_id, "alert.webhook_endpoint_disabled", d);
}


static void flushed(int err, const struct db_res *res, void *arg)
{
	(void)arg;

	rs.flushing = false;
	rs.flushing_n = 0;
	if (rs.wake_flushing)
		wh_deliver_wake_in(rs.wake_flushing);
	rs.wake_flushing = 0;
	if (err) {
		if (err != ECANCELED)
			log_warn("webhook results not written: %m (%s)", err,
				 db_errmsg(res) ? db_errmsg(res) : "");
	}
	else {
		/* statements 0 and 1: the plan and the results */
		for (unsigned s = 2; s < db_res_stmts(res); s++) {
			for (unsigned i = 0; i < db_nrows(res, s); i++)
				announce(db_val(res, s, i, 0),
					 db_val(res, s, i, 1));
		}
	}

	if (rs.app && json_array_size(rs.rows))
		flush();
	wh_deliver_kick();     /* claiming may have waited for us */
}


static int txn_build(struct db_txn *tx, const json_t *rows,
		     const json_t *disables)
{
	char *text = json_dumps(rows, JSON_COMPACT);
	char window[24];
	size_t i;
	json_t *d;
	int err;

	if (!text)
		return ENOMEM;

	err = db_txn_add(tx, PLAN_SQL, 0, NULL);
	err = err ? err : db_txn_add(tx, RESULT_SQL, 1,
				     (const char *[]){text});
	free(text);  /* ccheck: foreign */

	(void)re_snprintf(window, sizeof(window), "%llu",
			  (unsigned long long)FAILING_WINDOW_S * 1000 /
			  rs.app->cfg.webhook_time_scale);
	json_array_foreach(disables, i, d) {
		const char *pv[3] = {
			json_string_value(json_array_get(d, 0)),
			json_string_value(json_array_get(d, 1)), window};

		err = err ? err : db_txn_add(tx, DISABLE_SQL, 3, pv);
	}

	return err;
}


static void flush(void)
{
	struct db_ctx ctx = {DB_OPERATOR, NULL};
	json_t *rows = rs.rows, *disables = rs.disables;
	struct db_txn *tx = NULL;
	int err;

	if (rs.flushing || !json_array_size(rows))
		return;

	rs.rows = json_array();
	rs.disables = json_array();
	rs.wake_flushing = rs.wake_ms;
	rs.wake_ms = 0;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : txn_build(tx, rows, disables);
	if (err)
		mem_deref(tx);
	else
		err = db_txn_exec(rs.app->db, tx, flushed, NULL);

	if (err) {
		log_warn("webhook results not written: %m", err);
	}
	else {
		rs.flushing = true;
		rs.flushing_n = json_array_size(rows);
	}

	json_decref(rows);
	json_decref(disables);
}


/**
 * Results not written yet. The delivery loop claims nothing more while
 * they are many: a database that falls behind must not let leases run
 * out on deliveries already made (they would be sent again).
 */
size_t wh_result_backlog(void)
{
	return json_array_size(rs.rows) + rs.flushing_n;
}


int wh_result_init(struct app *app)
{
	rs.app = app;
	rs.rows = json_array();
	rs.disables = json_array();

	return rs.rows && rs.disables ? 0 : ENOMEM;
}


void wh_result_close(void)
{
	json_decref(rs.rows);
	json_decref(rs.disables);
	rs.rows = rs.disables = NULL;
	rs.app = NULL;
}
