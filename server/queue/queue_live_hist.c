/* GET /api/v1/live/history: the last hour of a tenant's queues for the
 * wallboard's charts, from the samples queue_live_push.c keeps. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#include "app.h"
#include "auth/principal.h"
#include "core/clock.h"
#include "http/api.h"
#include "queue/queue_int.h"

/*
 * Memory, not the calls table: the charts ask for the last hour every
 * time a wallboard opens, and the samples are already here (waiting
 * every 10 s; joins and outcomes per five minutes, seeded at start from
 * the calls table). A restart loses the waiting samples only.
 */
#define BUCKET_MS      300000ULL
#define SAMPLE_S       10

struct hist_ask {
	const char *tenant_id;
	const char *queue_id;       /**< NULL: every queue             */
	unsigned minutes;
	json_t *list;
};


static json_t *calls_json(const struct qqueue *qq, unsigned minutes)
{
	uint64_t cur = (uint64_t)clock_wall_ms() / BUCKET_MS;
	unsigned n = (minutes + 4) / 5, i;
	json_t *a = json_array();

	for (i = n; a && i-- > 0;) {
		uint64_t slot = cur - i;
		const struct qlive_bucket *b =
			&qq->live.bktv[slot % QLIVE_BUCKETS];
		bool ok = b->slot == slot;

		(void)json_array_append_new(a, json_pack(
			"{s:I, s:i, s:i, s:i, s:i}",
			"at_ms", (json_int_t)(slot * BUCKET_MS),
			"offered", ok ? (int)b->offered : 0,
			"answered", ok ? (int)b->answered : 0,
			"abandoned", ok ? (int)b->abandoned : 0,
			"overflowed", ok ? (int)b->overflowed : 0));
	}

	return a;
}


/* [[at_ms, waiting], ...], oldest first. */
static json_t *waiting_json(const struct qqueue *qq, unsigned minutes)
{
	unsigned n = queue_live_samples(), want = minutes * 60 / SAMPLE_S;
	json_t *a = json_array();
	unsigned age;

	if (n > want)
		n = want;

	for (age = n; a && age-- > 0;) {
		unsigned idx;
		uint64_t at = queue_live_sample_at(age, &idx);

		(void)json_array_append_new(a, json_pack(
			"[I, i]", (json_int_t)at, (int)qq->live.waitv[idx]));
	}

	return a;
}


static bool hist_queue(struct le *le, void *arg)
{
	struct qqueue *qq = le->data;
	struct hist_ask *h = arg;

	if (strcmp(qq->info.tenant_id, h->tenant_id))
		return false;
	if (h->queue_id && strcasecmp(qq->info.queue_id, h->queue_id))
		return false;

	(void)json_array_append_new(h->list, json_pack(
		"{s:s, s:s, s:s, s:o, s:o}",
		"queue_id", qq->info.queue_id, "name", qq->info.name,
		"label", qq->info.label,
		"calls", calls_json(qq, h->minutes),
		"waiting", waiting_json(qq, h->minutes)));

	return false;
}


/* ?minutes=1..60 (default 60); a bad one is a 400 naming it. */
static bool minutes_arg(struct http_req *req, unsigned *minp)
{
	const char *s = http_req_query(req, "minutes");
	char *end = NULL;
	long v;

	*minp = 60;
	if (!s)
		return true;

	v = s[0] >= '0' && s[0] <= '9' ? strtol(s, &end, 10) : -1;
	if (v < 1 || v > 60 || !end || *end) {
		api_reply_invalid(req, "minutes", "range",
				  "must be a whole number of minutes, "
				  "1 to 60");
		return false;
	}

	*minp = (unsigned)v;

	return true;
}


static void history_get(struct http_req *req)
{
	struct hist_ask h;

	memset(&h, 0, sizeof(h));
	h.tenant_id = http_req_principal(req)->tenant_id;
	h.queue_id = http_req_query(req, "queue_id");
	if (h.queue_id && !api_uuid_ok(h.queue_id)) {
		api_reply_invalid(req, "queue_id", "format",
				  "must be a queue id (uuid)");
		return;
	}
	if (!minutes_arg(req, &h.minutes))
		return;

	h.list = json_array();
	if (!h.list) {
		http_reply_error(req, ENOMEM);
		return;
	}
	if (rt.queues)
		(void)hash_apply(rt.queues, hist_queue, &h);

	if (h.queue_id && !json_array_size(h.list)) {
		json_decref(h.list);
		http_reply_error(req, ENOENT);
		return;
	}

	http_reply_json(req, 200, json_pack(
		"{s:i, s:i, s:I, s:o}", "bucket_s", (int)(BUCKET_MS / 1000),
		"sample_s", SAMPLE_S, "now_ms", (json_int_t)clock_wall_ms(),
		"items", h.list));
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/live/history", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, history_get},
};


/** Register GET /api/v1/live/history. */
int queue_live_hist_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
