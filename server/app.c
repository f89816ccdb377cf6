/* Start and stop the serving process: pools, listeners, routes. */
#include <stdio.h>
#include <string.h>
#include <re.h>
#define LOG_MODULE "main"
#include "log/log.h"
#include "log/log_out.h"
#include "app.h"
#include "db/db.h"
#include "worker/worker.h"
#include "auth/ident.h"
#include "auth/ratelimit.h"
#include "auth/login.h"
#include "auth/session.h"
#include "auth/token_cache.h"
#include "metrics/metrics.h"
#include "http/http.h"
#include "http/uvloop.h"
#include "http/sys_api.h"
#include "ws/ws.h"
#include "user/user.h"
#include "tenant/tenant.h"
#include "apikey/apikey.h"
#include "audit/audit.h"
#include "voicemail/voicemail.h"
#include "telephony/telephony.h"
#include "telephony/tel_api.h"
#include "prompt/prompt.h"
#include "ivr/ivr.h"
#include "acdcfg/acdcfg.h"
#include "crm/ticket.h"
#include "crm/customer.h"
#include "crm/customer_import.h"
#include "recording/qa.h"
#include "recording/rec_api.h"
#include "recording/rec_export.h"
#include "recording/rec_policy.h"
#include "recording/rec_settings_api.h"
#include "crm/screenpop.h"
#include "recording/recording.h"
#include "recording/rec_key.h"
#include "recording/rec_ops.h"
#include "recording/rec_store.h"
#include "seal/seal.h"
#include "region/region.h"
#include "core/clock.h"
#include "call/call.h"
#include "call/call_cti.h"
#include "queue/queue.h"
#include "agent/agent_reg.h"
#include "agent/softphone.h"
#include "webhook/webhook.h"
#include "media/webrtc.h"

#define LAG_INTERVAL_MS 100

static struct {
	struct tmr lag_tmr;
	struct tmr ready_tmr;
	uint64_t lag_expected;
	double lag_max;             /**< worst lag since the last scrape */
	struct metric *m_lag;
	struct metric *m_db;
	struct metric *m_db_lat;
	struct metric *m_ws;
	struct metric *m_workers;
	struct metric *m_log_dropped;
	bool ready_logged;
} st;


static void lag_tick(void *arg)
{
	uint64_t now = tmr_jiffies();
	/* the first tick, from start-up, has nothing to be late for */
	double lag = st.lag_expected && now > st.lag_expected ?
		(double)(now - st.lag_expected) / 1000.0 : 0;

	(void)arg;
	if (lag > st.lag_max)
		st.lag_max = lag;

	st.lag_expected = now + LAG_INTERVAL_MS;
	tmr_start(&st.lag_tmr, LAG_INTERVAL_MS, lag_tick, NULL);
}


/* Refresh the gauges right before /metrics renders them. */
static void collect(void *arg)
{
	struct app *app = arg;
	struct db_stats ds;
	char lb[64];

	db_stats_get(app->db, &ds);
	metric_set(st.m_db, "state=\"up\"", ds.conns_up);
	metric_set(st.m_db, "state=\"busy\"", ds.busy);
	metric_set(st.m_db, "state=\"configured\"", ds.conns);
	metric_set(st.m_db, "state=\"queued\"", ds.queued);
	for (unsigned i = 0; i < ARRAY_SIZE(ds.lat_bucket); i++) {
		metric_le(lb, sizeof(lb), db_lat_bounds[i]);
		metric_set(st.m_db_lat, lb, (double)ds.lat_bucket[i]);
	}
	metric_set(st.m_ws, NULL, ws_client_count());
	metric_set(st.m_workers, NULL, worker_pending(app->workers));
	metric_set(st.m_lag, NULL, st.lag_max);
	st.lag_max = 0;
	metric_set(st.m_log_dropped, NULL, (double)log_out_dropped());
}


static void metrics_setup(struct app *app)
{
	st.m_lag = metric_gauge("openseat_loop_lag_seconds",
				"Worst event-loop timer lateness since the "
				"last scrape.");
	st.m_db = metric_gauge("openseat_db_pool_connections",
			       "Database pool connections by state.");
	st.m_db_lat = metric_gauge("openseat_db_query_duration_bucket",
				   "Database jobs finished per latency "
				   "bucket (seconds, not cumulative).");
	st.m_ws = metric_gauge("openseat_ws_clients",
			       "Connected WebSocket clients.");
	st.m_workers = metric_gauge("openseat_worker_jobs_pending",
				    "Jobs waiting for or running on the "
				    "worker pool.");
	st.m_log_dropped = metric_gauge("openseat_log_lines_dropped",
					"Log lines lost since the start: the "
					"log output was not read.");
	(void)metrics_on_collect(collect, app);
}


static void ready_check(void *arg)
{
	struct app *app = arg;

	/* the ACD's first load: agents logged in before a restart are
	 * there again before the first call or request is served */
	if (db_ready(app->db) && queue_loaded() && rec_key_ready() &&
	    seal_ready()) {
		const struct cfg *c = &app->cfg;

		log_info("ready: serving http%s://%s:%u",
			 c->tls_cert[0] ? "s" : "", c->http_addr,
			 c->http_port);
		st.ready_logged = true;
		rec_export_sweep(app);
		return;
	}

	tmr_start(&st.ready_tmr, 20, ready_check, app);
}


static int load_jwt_key(struct app *app)
{
	const char *s = app->cfg.jwt_secret;
	char buf[256];

	if (app->cfg.jwt_secret_file[0]) {
		FILE *f = fopen(app->cfg.jwt_secret_file, "r");
		size_t n;

		if (!f) {
			log_error("jwt_secret_file %s: %m",
				  app->cfg.jwt_secret_file, errno);
			return ENOENT;
		}
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		buf[n] = '\0';
		s = buf;
	}

	if (strlen(s) < 32) {
		log_error("jwt_secret: set at least 32 characters (config "
			  "key jwt_secret or OPENSEAT_JWT_SECRET)");
		return EINVAL;
	}

	app->jwt_keylen = strlen(s);
	memcpy(app->jwt_key, s, app->jwt_keylen);

	return 0;
}


static int routes_setup(struct app *app)
{
	char path[600];
	int err = 0;

	(void)re_snprintf(path, sizeof(path), "%s/../docs/openapi.json",
			  app->cfg.web_root);
	err |= sys_api_init(path);
	err |= login_api_init();
	err |= session_api_init();
	err |= user_api_init();
	err |= tenant_api_init();
	err |= apikey_api_init();
	err |= audit_api_init();
	err |= voicemail_api_init();
	err |= tel_api_init();
	err |= ivr_api_init();
	err |= queue_live_api_init();
	err |= call_action_api_init();
	err |= call_dial_api_init();
	err |= acdcfg_api_init();
	err |= customer_import_api_init();   /* before /customers/{id} */
	err |= customer_api_init();
	err |= qa_api_init();
	err |= rec_api_init();
	err |= rec_settings_api_init();
	err |= screenpop_api_init();
	err |= call_pop_api_init();

	return err ? ENOMEM : 0;
}


static void key_failed(int err, void *arg);


/* The recording directory and the master key: without either, serving
 * is refused (no recording may be lost or kept in plaintext). Stored
 * secrets are sealed by a key derived from the same master key. */
static int rec_storage_init(struct app *app)
{
	char msg[512] = "";
	int err;

	err = rec_store_init(app, msg, sizeof(msg));
	rec_key_on_fail(key_failed, app);
	seal_on_fail(key_failed, app);
	err = err ? err : rec_key_init(app, msg, sizeof(msg));
	err = err ? err : seal_init(app, msg, sizeof(msg));
	if (err) {
		log_error("start-up refused: %s", msg);
		return err;
	}

	err = rec_ops_api_init();
	err = err ? err : rec_purge_init(app);

	return err;
}


/* Business records and announcements, with their config keys. */
static int crm_tickets_init(struct app *app)
{
	const struct ticket_cfg tc = {app->cfg.ticket_attachment_max,
				      app->cfg.ticket_check_period};
	int err;

	err = ticket_init(app, &tc);
	err = err ? err : announce_init(app);

	return err;
}


/**
 * A start-up check that could only fail once the loop ran (the master
 * key against the database): stop, and exit with err.
 */
void app_fail(struct app *app, int err)
{
	if (!app->exit_err)
		app->exit_err = err;
	app_stop(app);
}


static void key_failed(int err, void *arg)
{
	app_fail(arg, err);
}


/**
 * Bring up everything `serve` needs; logs "ready" once listeners are
 * bound and the database answers.
 *
 * @return 0 if success, otherwise errorcode
 */
int app_start(struct app *app)
{
	const struct cfg *c = &app->cfg;
	int err;

	app->started_ms = tmr_jiffies();
	err = load_jwt_key(app);
	if (err)
		return err;

	err = clock_setup(c->clock_offset);
	if (err) {
		log_error("clock_offset: \"%s\" is not \"\", \"+N\" or \"-N\" "
			  "seconds, or \"@YYYY-MM-DDTHH:MM:SSZ\"",
			  c->clock_offset);
		return err;
	}

	err = worker_pool_alloc(&app->workers, c->workers, 1024);
	err = err ? err : db_alloc(&app->db, c->database_url,
				   c->db_pool_size, c->db_max_queue);
	err = err ? err : ratelimit_alloc(&app->rl_login,
					  c->login_max_failures,
					  c->login_window * 1000ULL,
					  c->login_ban * 1000ULL, 100000);
	err = err ? err : ratelimit_alloc(&app->rl_addr,
					  c->login_max_failures * 4,
					  c->login_window * 1000ULL,
					  c->login_ban * 1000ULL, 100000);
	err = err ? err : routes_setup(app);
	err = err ? err : apikey_init(app, c->api_rate_per_s,
				      c->api_rate_burst);
	err = err ? err : rec_storage_init(app);
	err = err ? err : crm_tickets_init(app);
	err = err ? err : prompt_init(app);
	err = err ? err : tel_init(app);
	err = err ? err : ivr_init(app);
	err = err ? err : region_init(app);
	err = err ? err : queue_init(app);
	err = err ? err : rec_policy_init(app);
	err = err ? err : recording_init(app);
	err = err ? err : call_init(app);
	err = err ? err : agent_reg_init(app);
	err = err ? err : webhook_init(app);
	if (!err)
		agent_reg_set_handler(queue_device_changed, NULL);
	err = err ? err : webrtc_init();
	err = err ? err : ws_init(app);
	if (!err)
		softphone_set_handler(queue_device_changed, NULL);
	err = err ? err : uvloop_init();
	err = err ? err : http_server_alloc(&app->http, app);
	if (err)
		return err;

	metrics_setup(app);
	tmr_init(&st.lag_tmr);
	tmr_init(&st.ready_tmr);
	lag_tick(NULL);
	ready_check(app);

	return 0;
}


static void drained(void *arg)
{
	(void)arg;
	re_cancel();
}


/* The recordings' files and rows are complete: let the database finish. */
static void recordings_drained(void *arg)
{
	struct app *app = arg;

	if (app->db)
		db_drain(app->db, drained, NULL);
	else
		re_cancel();
}


/* Calls are hung up and their records queued: finish the recordings. */
static void calls_drained(void *arg)
{
	recording_drain(recordings_drained, arg);
}


/**
 * Stop accepting, drop clients, let queued database writes finish, then
 * end re_main.
 */
void app_stop(struct app *app)
{
	if (app->stopping)
		return;

	app->stopping = true;
	log_info("stopping: finishing database work in flight");
	tmr_cancel(&st.lag_tmr);
	tmr_cancel(&st.ready_tmr);
	ws_close();
	http_server_shutdown(app->http);
	call_drain(app, calls_drained, app);
}


/** Free what app_start made (after re_main returned). */
void app_close(struct app *app)
{
	app->http = mem_deref(app->http);
	uvloop_close();
	agent_reg_close();
	webhook_close();
	softphone_close();
	ticket_close();
	announce_close();
	call_close();
	recording_close();
	rec_policy_close();
	webrtc_close();
	queue_close();
	tel_close();
	ivr_close();
	region_close();
	app->db = mem_deref(app->db);
	app->workers = mem_deref(app->workers);
	rec_purge_close();
	rec_key_close();
	seal_close();
	prompt_close();
	app->rl_login = mem_deref(app->rl_login);
	app->rl_addr = mem_deref(app->rl_addr);
	http_routes_flush();
	sys_api_close();
	ident_flush();
	apikey_close();
	token_cache_flush();
	metrics_reset();
	memset(app->jwt_key, 0, sizeof(app->jwt_key));
}
