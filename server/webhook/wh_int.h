/* What the webhook files share: signing, delivery, the API. */
#ifndef OPENSEAT_WH_INT_H
#define OPENSEAT_WH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* needs <re_types.h> and <re_list.h> first (they have no guards) */
#include "http/outreq.h"

struct app;

/** The delivery loop wakes on this NOTIFY channel (migration 0019) */
#define WH_CHANNEL "webhook"
/** Endpoint changes: payload is the tenant id, the cache reloads it */
#define WH_CFG_CHANNEL "webhook_cfg"

enum {
	WH_SECRET_MAX = 64,          /* "whsec_" + base64, with NUL      */
	WH_SIG_MAX = 2 * 48,         /* two "v1,<44>" with a space       */
	WH_EXCERPT_MAX = 2048,       /* response body kept in the log    */
	WH_HINT_MAX = 16,            /* "whsec_…" and four characters    */
};

/* --- secrets and signatures (wh_sign.c) --- */
int wh_secret_new(char *out, size_t sz);
bool wh_secret_valid(const char *secret);
void wh_secret_hint(char *out, size_t sz, const char *secret);
int wh_sign(char *out, size_t sz, const char *secret, const char *msg_id,
	    uint64_t ts, const char *body, size_t len);

/* --- the endpoint cache and the event sink (wh_outbox.c) --- */
int  wh_outbox_init(struct app *app);
void wh_outbox_close(void);
void wh_cache_reload(const char *tenant_id);

/* --- delivery (wh_deliver.c, wh_result.c) --- */
struct wh_job {
	struct le le;                /**< in its endpoint's list          */
	char delivery_id[40];
	char tenant_id[40];
	char endpoint_id[40];
	char event_id[40];
	char event_type[64];
	char *payload;               /**< (own) the envelope JSON          */
	char *url;                   /**< (own)                            */
	char secret[WH_SECRET_MAX];
	char prev_secret[WH_SECRET_MAX];  /**< "" unless in its overlap    */
	int attempt;                 /**< 1 for the first                  */
	char *headers;               /**< (own) as sent, for the log       */
	struct outreq *http;         /**< (ref) in flight                  */
	void *ep;                    /**< (borrowed) struct wh_ep          */
};

struct wh_outcome {
	const char *state;           /**< delivered|failed|dead            */
	uint32_t retry_in_s;         /**< nominal; 0 when none             */
	uint64_t retry_in_ms;        /**< real, after the time scale       */
	bool disable;                /**< the endpoint: gone or failing    */
	const char *disabled_reason;
};

int  wh_deliver_init(struct app *app);
void wh_deliver_close(void);
void wh_deliver_kick(void);
void wh_deliver_wake_in(uint64_t ms);
void wh_outcome_of(struct wh_outcome *o, const struct outreq_result *r,
		   int attempt, uint32_t time_scale);
int  wh_result_add(const struct wh_job *job,
		   const struct outreq_result *r);
int  wh_result_init(struct app *app);
size_t wh_result_backlog(void);
void wh_result_close(void);
uint32_t wh_retry_nominal_s(int attempt);

/* --- metrics (wh_metrics.c) --- */
void wh_metrics_init(void);
void wh_metrics_delivery(const char *result, double seconds);
void wh_metrics_queue(double depth);

/* --- REST (wh_api.c, wh_api_log.c) --- */
struct http_req;
struct db_res;
void wh_reply_200(struct http_req *req, const struct db_res *res);
int  wh_api_init(void);
int  wh_api_log_init(void);

#endif
