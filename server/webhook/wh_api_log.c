/* An endpoint's delivery log, redelivery and the test event. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_list.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "event/event.h"
#include "http/api.h"
#include "webhook/wh_int.h"

/*
 * Reads and the two actions that queue a delivery by hand. A redelivery
 * reuses the delivery's row, so the receiver sees the same webhook-id
 * (the event's id) again; its retry schedule starts over. The test
 * event is a new event, queued for this endpoint only, whatever types
 * it subscribed to.
 */

#define DLV_JSON \
	"json_build_object('delivery_id', d.delivery_id, 'endpoint_id'," \
	" d.endpoint_id, 'event_id', d.event_id, 'event_type'," \
	" d.event_type, 'state', d.state, 'attempts', d.attempts," \
	" 'next_attempt_at', CASE WHEN d.state IN ('pending', 'failed')" \
	" THEN d.next_attempt_at END, 'last_status', d.last_status," \
	" 'last_error', d.last_error, 'created_at', d.created_at," \
	" 'delivered_at', d.delivered_at)"

#define ATTEMPTS_JSON \
	"COALESCE((SELECT json_agg(json_build_object('attempt', a.attempt," \
	" 'at', a.at, 'address', a.address, 'request_headers'," \
	" a.request_headers, 'request_body', a.request_body, 'status'," \
	" a.status, 'response_body', a.response_body, 'duration_ms'," \
	" a.duration_ms, 'error', a.error, 'retry_in_s', a.retry_in_s)" \
	" ORDER BY a.at, a.attempt_id) FROM webhook_attempts a" \
	" WHERE a.delivery_id = d.delivery_id), '[]'::json)"


/* Newest first; ?state= narrows to one state. */
static void dlv_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " DLV_JSON "::text, d.created_at::text,"
		" d.delivery_id::text FROM webhook_deliveries d"
		" WHERE d.endpoint_id = $1 AND ($4::text IS NULL OR"
		" d.state = $4) AND ($2::timestamptz IS NULL OR"
		" (d.created_at, d.delivery_id) < ($2::timestamptz, $3::uuid))"
		" ORDER BY d.created_at DESC, d.delivery_id DESC"
		" LIMIT $5::int + 1";
	static const char *const states[] = {"pending", "delivering",
		"delivered", "failed", "dead"};
	const char *id = api_path_uuid(req, "endpoint_id");
	const char *state = http_req_query(req, "state");
	struct db_ctx ctx = api_ctx(req);
	char ts[64], cid[64], lim[16];
	const char *pv[5];
	unsigned limit;
	bool known = !state;

	if (!id || api_page_args(req, &limit, ts, sizeof(ts), cid,
				 sizeof(cid)))
		return;

	for (size_t i = 0; state && i < ARRAY_SIZE(states); i++)
		known |= !strcmp(state, states[i]);
	if (!known) {
		http_reply_problem(req, 400, "validation_failed", "state must "
				   "be pending, delivering, delivered, "
				   "failed or dead.");
		return;
	}

	(void)re_snprintf(lim, sizeof(lim), "%u", limit);
	pv[0] = id;
	pv[1] = ts[0] ? ts : NULL;
	pv[2] = cid[0] ? cid : NULL;
	pv[3] = state;
	pv[4] = lim;
	api_query(req, &ctx, sql, 5, pv, api_page_done);
}


static void dlv_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT (" DLV_JSON "::jsonb || jsonb_build_object('payload',"
		" d.payload, 'attempt_log', " ATTEMPTS_JSON "))::text"
		" FROM webhook_deliveries d WHERE d.endpoint_id = $1"
		" AND d.delivery_id = $2";
	const char *ep = api_path_uuid(req, "endpoint_id");
	const char *id = ep ? api_path_uuid(req, "delivery_id") : NULL;
	struct db_ctx ctx = api_ctx(req);

	if (id)
		api_query(req, &ctx, sql, 2, (const char *[]){ep, id},
			  wh_reply_200);
}


/* Column 0: the state before (NULL: no such row), 1: the reply. */
static void queued(struct http_req *req, const struct db_res *res)
{
	const char *before = db_nrows(res, 0) ? db_val(res, 0, 0, 0) : NULL;
	const char *json = db_nrows(res, 0) ? db_val(res, 0, 0, 1) : NULL;

	if (!before)
		http_reply_error(req, ENOENT);
	else if (!json)
		http_reply_problem(req, 409, "conflict", !strcmp(before, "f") ?
				   "The endpoint is disabled; enable it "
				   "first." : "The delivery is being "
				   "delivered right now.");
	else
		http_reply_raw(req, 202, "application/json", json,
			       strlen(json));
}


static void dlv_redeliver(struct http_req *req)
{
	static const char sql[] =
		"WITH d AS (UPDATE webhook_deliveries d SET state = 'pending',"
		" attempts = 0, next_attempt_at = now(), last_error = NULL"
		" WHERE d.endpoint_id = $1 AND d.delivery_id = $2"
		" AND d.state <> 'delivering' RETURNING " DLV_JSON " AS j),"
		" n AS (SELECT pg_notify('" WH_CHANNEL "', '') FROM d)"
		" SELECT (SELECT state FROM webhook_deliveries WHERE"
		" endpoint_id = $1 AND delivery_id = $2),"
		" (SELECT j::text FROM d), (SELECT count(*) FROM n)";
	const char *ep = api_path_uuid(req, "endpoint_id");
	const char *id = ep ? api_path_uuid(req, "delivery_id") : NULL;
	struct db_ctx ctx = api_ctx(req);

	if (id)
		api_query(req, &ctx, sql, 2, (const char *[]){ep, id}, queued);
}


static void ep_test(struct http_req *req)
{
	static const char sql[] =
		"WITH e AS (SELECT endpoint_id, enabled FROM webhook_endpoints"
		" WHERE endpoint_id = $1), d AS (INSERT INTO"
		" webhook_deliveries (tenant_id, endpoint_id, event_id,"
		" event_type, payload) SELECT $2, e.endpoint_id, $3,"
		" 'webhook.test', $4 FROM e WHERE e.enabled RETURNING *),"
		" n AS (SELECT pg_notify('" WH_CHANNEL "', '') FROM d)"
		" SELECT (SELECT CASE WHEN enabled THEN 't' ELSE 'f' END"
		" FROM e), (SELECT " DLV_JSON "::text FROM d),"
		" (SELECT count(*) FROM n)";
	const char *tenant_id = http_req_principal(req)->tenant_id;
	const char *id = api_path_uuid(req, "endpoint_id");
	struct db_ctx ctx = api_ctx(req);
	struct event *ev;
	const char *pv[4];

	if (!id)
		return;

	if (event_create(&ev, tenant_id, "webhook.test",
			 json_pack("{s:s, s:s}", "endpoint_id", id, "message",
				   "A test event from OpenSeat."))) {
		http_reply_error(req, ENOMEM);
		return;
	}

	pv[0] = id;
	pv[1] = tenant_id;
	pv[2] = event_id(ev);
	pv[3] = event_json(ev);
	api_query(req, &ctx, sql, 4, pv, queued);
	mem_deref(ev);
}


#define EP "/api/v1/webhooks/{endpoint_id}"
#define DLV EP "/deliveries/{delivery_id}"

static const struct http_route routes[] = {
	{"GET", EP "/deliveries", HTTP_TENANT, ROLE_ADMIN, NULL, 0,
	 dlv_list},
	{"GET", DLV, HTTP_TENANT, ROLE_ADMIN, NULL, 0, dlv_get},
	{"POST", DLV "/redeliver", HTTP_TENANT, ROLE_ADMIN, NULL, 0,
	 dlv_redeliver},
	{"POST", EP "/test", HTTP_TENANT, ROLE_ADMIN, NULL, 0, ep_test},
};


/** Register the delivery log API. */
int wh_api_log_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
