/* The delivery loop: claim due deliveries, POST them, bounded. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#define LOG_MODULE "webhook"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "seal/seal.h"
#include "webhook/wh_int.h"

/*
 * All on the loop. Due rows are claimed in batches with FOR UPDATE SKIP
 * LOCKED and leased (state delivering, next_attempt_at = the lease's
 * end): another node, or this one after a crash, takes a row again only
 * once its lease ran out, which is longer than any request may last.
 * At most webhook_concurrency requests are in flight, at most
 * webhook_endpoint_concurrency per endpoint; an endpoint at its limit
 * is left out of the claim, and the few extra rows a batch may bring
 * for it wait their turn in memory (their lease covers that).
 *
 * Secrets are sealed at rest (seal/seal.h) and opened per job: opening
 * costs some 3 µs against a request's milliseconds, so no
 * plaintext is kept between deliveries. Only endpoints sealed by this
 * start's key are claimed: a row the start-up sweep has not sealed yet
 * waits for it.
 *
 * We wake on NOTIFY webhook (a commit queued deliveries), when a retry
 * we scheduled falls due, and once a second for everything else (other
 * nodes' retries, expired leases, a missed notification).
 */

enum {
	POLL_MS = 1000,
};

#define CLAIM_SQL \
	"WITH cand AS (SELECT d.delivery_id, d.endpoint_id," \
	"  d.next_attempt_at FROM webhook_deliveries d" \
	"  JOIN webhook_endpoints e ON e.endpoint_id = d.endpoint_id" \
	"  WHERE d.state IN ('pending', 'failed', 'delivering')" \
	"  AND d.next_attempt_at <= now() AND e.enabled" \
	"  AND e.seal_key_id = $5" \
	"  AND NOT (d.endpoint_id = ANY ($2::uuid[]))" \
	"  ORDER BY d.next_attempt_at LIMIT $1::int * 4" \
	"  FOR UPDATE OF d SKIP LOCKED)," \
	" pick AS (SELECT delivery_id FROM (SELECT delivery_id," \
	"  row_number() OVER (PARTITION BY endpoint_id" \
	"  ORDER BY next_attempt_at) AS rn FROM cand) x" \
	"  WHERE rn <= $3::int LIMIT $1::int)" \
	" UPDATE webhook_deliveries d SET state = 'delivering'," \
	"  attempts = d.attempts + 1," \
	"  next_attempt_at = now() + make_interval(secs => $4::int)" \
	" FROM pick, webhook_endpoints e" \
	" WHERE d.delivery_id = pick.delivery_id" \
	"  AND e.endpoint_id = d.endpoint_id" \
	" RETURNING d.delivery_id::text, d.tenant_id::text," \
	"  d.endpoint_id::text, d.event_id::text, d.event_type, d.payload," \
	"  d.attempts, e.url, '\\x' || encode(e.secret_box, 'hex')," \
	"  CASE WHEN e.previous_expires_at > now()" \
	"  THEN '\\x' || encode(e.previous_secret_box, 'hex') END"

/* An endpoint with requests in flight or waiting; dl.eph owns it. */
struct wh_ep {
	struct le le;
	char endpoint_id[40];
	unsigned active;             /**< requests in flight             */
	struct list runl;            /**< (own) struct wh_job, in flight */
	struct list waitl;           /**< (own) struct wh_job, claimed   */
};

static struct {
	struct app *app;             /**< (borrowed)                     */
	struct hash *eph;            /**< (own) struct wh_ep             */
	struct tmr poll;
	struct tmr wake;
	unsigned held;               /**< jobs claimed, not finished     */
	bool claiming;
	bool again;                  /**< kicked while claiming          */
} dl;

static void claim(void);
static void job_start(struct wh_job *job);


static void job_destructor(void *arg)
{
	struct wh_job *job = arg;

	list_unlink(&job->le);
	sodium_memzero(job->secret, sizeof(job->secret));
	sodium_memzero(job->prev_secret, sizeof(job->prev_secret));
	mem_deref(job->http);
	mem_deref(job->payload);
	mem_deref(job->url);
	mem_deref(job->headers);
}


static void ep_destructor(void *arg)
{
	struct wh_ep *ep = arg;

	list_unlink(&ep->le);
	list_flush(&ep->runl);
	list_flush(&ep->waitl);
}


static bool ep_cmp(struct le *le, void *arg)
{
	const struct wh_ep *ep = le->data;

	return !strcmp(ep->endpoint_id, arg);
}


static struct wh_ep *ep_get(const char *endpoint_id)
{
	uint32_t key = hash_joaat_str(endpoint_id);
	struct le *le = hash_lookup(dl.eph, key, ep_cmp, (void *)endpoint_id);
	struct wh_ep *ep;

	if (le)
		return le->data;

	ep = mem_zalloc(sizeof(*ep), ep_destructor);
	if (!ep)
		return NULL;

	str_ncpy(ep->endpoint_id, endpoint_id, sizeof(ep->endpoint_id));
	hash_append(dl.eph, key, &ep->le, ep);
	return ep;
}


/* A request ended: log it, free its slot, start the next. */
static void http_done(const struct outreq_result *r, void *arg)
{
	struct wh_job *job = arg;
	struct wh_ep *ep = job->ep;
	struct le *le;

	(void)wh_result_add(job, r);    /* r lives as long as job->http */
	mem_deref(job);
	--dl.held;

	--ep->active;
	le = ep->waitl.head;
	if (le) {
		list_unlink(le);
		job_start(le->data);
	}
	else if (!ep->active) {
		mem_deref(ep);
	}

	claim();
}


static int headers_build(struct wh_job *job, uint64_t ts)
{
	char sig[WH_SIG_MAX], sig2[WH_SIG_MAX] = "";
	size_t len = strlen(job->payload);
	int err;

	err = wh_sign(sig, sizeof(sig), job->secret, job->event_id, ts,
		      job->payload, len);
	if (!err && job->prev_secret[0])
		err = wh_sign(sig2, sizeof(sig2), job->prev_secret,
			      job->event_id, ts, job->payload, len);
	if (err)
		return err;

	return re_sdprintf(&job->headers, "webhook-id: %s\r\n"
			   "webhook-timestamp: %llu\r\n"
			   "webhook-signature: %s%s%s\r\n"
			   "content-type: application/json\r\n"
			   "user-agent: OpenSeat-Webhooks/1.0\r\n",
			   job->event_id, (unsigned long long)ts, sig,
			   sig2[0] ? " " : "", sig2);
}


static void job_fail(struct wh_job *job, int err, const char *error)
{
	struct outreq_result r;

	memset(&r, 0, sizeof(r));
	r.err = err;
	r.error = error;
	http_done(&r, job);
}


static void job_start(struct wh_job *job)
{
	struct wh_ep *ep = job->ep;
	struct outreq_msg m = {0};
	struct outreq_url u;
	int err;

	++ep->active;
	list_append(&ep->runl, &job->le, job);
	if (outreq_url_parse(&u, job->url, NULL)) {
		job_fail(job, EINVAL, "url not valid");
		return;
	}

	err = headers_build(job, (uint64_t)time(NULL));
	if (err) {
		job_fail(job, err, "not signed: secret not valid");
		return;
	}

	m.method = "POST";
	m.headers = job->headers;
	m.body = job->payload;
	m.len = strlen(job->payload);
	m.timeout_ms = dl.app->cfg.webhook_timeout_ms;
	m.body_max = WH_EXCERPT_MAX;
	m.egress = true;
	err = outreq_start(&job->http, &u, &m, http_done, job);
	if (err)
		job_fail(job, err, "not sent");
}


/* A box that does not open leaves its secret empty: the attempt then
 * fails unsigned, in the log, and is retried like any failure. */
static void secrets_open(struct wh_job *job, const char *box,
			 const char *prev)
{
	const struct seal_ad ad = {SEAL_COL_WEBHOOK, job->tenant_id,
				   job->endpoint_id};
	int err;

	err = seal_open(job->secret, sizeof(job->secret), box, &ad);
	if (!err && prev)
		err = seal_open(job->prev_secret, sizeof(job->prev_secret),
				prev, &ad);
	if (err) {
		log_warn("endpoint %s of tenant %s: its secret does not open"
			 " (%m)", job->endpoint_id, job->tenant_id, err);
		job->secret[0] = '\0';
	}
}


static int job_from_row(struct wh_job **jobp, const struct db_res *res,
			unsigned i)
{
	struct wh_job *job = mem_zalloc(sizeof(*job), job_destructor);
	int err;

	if (!job)
		return ENOMEM;

	str_ncpy(job->delivery_id, db_val(res, 0, i, 0),
		 sizeof(job->delivery_id));
	str_ncpy(job->tenant_id, db_val(res, 0, i, 1),
		 sizeof(job->tenant_id));
	str_ncpy(job->endpoint_id, db_val(res, 0, i, 2),
		 sizeof(job->endpoint_id));
	str_ncpy(job->event_id, db_val(res, 0, i, 3),
		 sizeof(job->event_id));
	str_ncpy(job->event_type, db_val(res, 0, i, 4),
		 sizeof(job->event_type));
	job->attempt = atoi(db_val(res, 0, i, 6));
	secrets_open(job, db_val(res, 0, i, 8), db_val(res, 0, i, 9));
	err = str_dup(&job->payload, db_val(res, 0, i, 5));
	err = err ? err : str_dup(&job->url, db_val(res, 0, i, 7));
	if (err)
		mem_deref(job);
	else
		*jobp = job;

	return err;
}


static void claimed(int err, const struct db_res *res, void *arg)
{
	unsigned n = err ? 0 : db_nrows(res, 0);
	unsigned limit = (unsigned)(uintptr_t)arg;

	dl.claiming = false;
	if (err && err != ECANCELED)
		log_warn("webhook deliveries not claimed: %m", err);
	if (err == ECANCELED || !dl.app)
		return;

	for (unsigned i = 0; i < n; i++) {
		struct wh_job *job;
		struct wh_ep *ep;

		if (job_from_row(&job, res, i))
			continue;       /* its lease runs out; taken again */
		ep = ep_get(job->endpoint_id);
		if (!ep) {
			mem_deref(job);
			continue;
		}

		job->ep = ep;
		++dl.held;
		if (ep->active < dl.app->cfg.webhook_endpoint_concurrency)
			job_start(job);
		else
			list_append(&ep->waitl, &job->le, job);
	}

	if (n == limit || dl.again) {
		dl.again = false;
		claim();
	}
}


struct sat_arg {
	struct mbuf *mb;
	uint32_t max;
	bool first;
	int err;
};


static bool sat_h(struct le *le, void *arg)
{
	const struct wh_ep *ep = le->data;
	struct sat_arg *sa = arg;

	if (ep->active >= sa->max) {
		sa->err |= mbuf_printf(sa->mb, "%s%s", sa->first ? "" : ",",
				       ep->endpoint_id);
		sa->first = false;
	}

	return false;
}


/* Endpoints at their limit, as a uuid[] literal: "{a,b}" */
static int saturated(struct mbuf *mb)
{
	struct sat_arg sa = {mb, dl.app->cfg.webhook_endpoint_concurrency,
			     true, 0};

	sa.err = mbuf_write_u8(mb, '{');
	(void)hash_apply(dl.eph, sat_h, &sa);
	sa.err |= mbuf_write_str(mb, "}");
	sa.err |= mbuf_write_u8(mb, 0);

	return sa.err;
}


static void claim(void)
{
	struct db_ctx ctx = {DB_OPERATOR, NULL};
	const struct cfg *cfg;
	char lim[16], per[16], lease[16];
	const char *pv[5];
	struct mbuf *sat;
	unsigned free_;

	if (!dl.app || dl.app->stopping)
		return;
	if (dl.claiming) {
		dl.again = true;
		return;
	}

	/*
	 * Under load, claim once a quarter of the slots are free rather
	 * than for every slot that frees: one claim per many deliveries.
	 */
	cfg = &dl.app->cfg;
	free_ = cfg->webhook_concurrency > dl.held ?
		cfg->webhook_concurrency - dl.held : 0;
	if (!free_ || (dl.held && free_ < cfg->webhook_concurrency / 4))
		return;
	if (wh_result_backlog() > 4 * cfg->webhook_concurrency)
		return;        /* wh_result.c kicks us once it wrote them */

	sat = mbuf_alloc(64);
	if (!sat || saturated(sat)) {
		mem_deref(sat);
		return;
	}

	/* the lease outlasts a request and a wait behind a few others */
	(void)re_snprintf(lim, sizeof(lim), "%u", free_);
	(void)re_snprintf(per, sizeof(per), "%u",
			  cfg->webhook_endpoint_concurrency);
	(void)re_snprintf(lease, sizeof(lease), "%u",
			  cfg->webhook_timeout_ms / 1000 * 3 + 10);
	pv[0] = lim;
	pv[1] = (const char *)sat->buf;
	pv[2] = per;
	pv[3] = lease;
	pv[4] = seal_key_id();

	dl.claiming = !db_query(dl.app->db, &ctx, claimed,
				(void *)(uintptr_t)free_, CLAIM_SQL, 5, pv);
	mem_deref(sat);
}


static void poll_h(void *arg)
{
	(void)arg;

	tmr_start(&dl.poll, POLL_MS, poll_h, NULL);
	claim();
}


static void wake_h(void *arg)
{
	(void)arg;
	claim();
}


/** Claim now: deliveries were queued (NOTIFY) or a slot came free. */
void wh_deliver_kick(void)
{
	claim();
}


/** A retry falls due in ms (real time): wake then if not sooner. */
void wh_deliver_wake_in(uint64_t ms)
{
	if (!dl.app)
		return;

	if (tmr_isrunning(&dl.wake) && tmr_get_expire(&dl.wake) <= ms)
		return;

	tmr_start(&dl.wake, ms + 1, wake_h, NULL);
}


static void notified(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)payload;
	(void)arg;

	claim();
}


/** Start delivering: listen, poll, and claim what is due already. */
int wh_deliver_init(struct app *app)
{
	int err;

	dl.app = app;
	tmr_init(&dl.poll);
	tmr_init(&dl.wake);
	err = hash_alloc(&dl.eph, 64);
	err = err ? err : db_listen(app->db, WH_CHANNEL, notified, NULL);
	if (err)
		return err;

	tmr_start(&dl.poll, 0, poll_h, NULL);
	return 0;
}


/*
 * Stop: requests in flight are dropped; their rows stay leased and are
 * taken again when the lease ends (at-least-once).
 */
void wh_deliver_close(void)
{
	tmr_cancel(&dl.poll);
	tmr_cancel(&dl.wake);
	hash_flush(dl.eph);
	dl.eph = mem_deref(dl.eph);
	dl.app = NULL;
	dl.held = 0;
	dl.claiming = false;
}
