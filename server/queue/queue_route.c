/* Which queue a joining call goes to: the queue's routes by schedule
 * and by the caller's region, else the queue itself. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include "app.h"
#include "schedule/schedule.h"
#include "region/region.h"
#include "queue/queue_int.h"

/*
 * A queue's routes ([{"schedule_id"?, "regions"?: [...], "queue_id"}])
 * are tried in order; a route matches when its schedule is open now (or
 * it has none) and the caller's region starts with one of its regions
 * (or it has none): "广东省" matches "广东省深圳市". The first match
 * sends the call to its queue — one hop, that queue's own routes are
 * not followed. The region is looked up once, only if some route asks.
 */
struct route_pick {
	char tenant_id[37];
	char queue_id[37];
	char caller[65];
	char region[101];
	json_t *routes;              /**< (ref)                        */
	size_t idx;
	int64_t now_ms;
	bool region_known;
	queue_route_h *h;
	void *arg;
};


static void destructor(void *arg)
{
	struct route_pick *p = arg;

	json_decref(p->routes);
}


static void answer(struct route_pick *p, const char *queue_id)
{
	p->h(0, queue_id && queue_id[0] ? queue_id : p->queue_id, p->arg);
	mem_deref(p);
}


static bool region_matches(const struct route_pick *p, const json_t *r)
{
	const json_t *regions = json_object_get(r, "regions");
	size_t i;
	json_t *v;

	if (!json_is_array(regions) || !json_array_size(regions))
		return true;

	json_array_foreach(regions, i, v) {
		const char *want = json_string_value(v);

		if (want && want[0] && p->region[0] &&
		    !strncmp(p->region, want, strlen(want)))
			return true;
	}

	return false;
}


static void next(struct route_pick *p);


static void matched(struct route_pick *p, bool open)
{
	const json_t *r = json_array_get(p->routes, p->idx);

	if (open && region_matches(p, r)) {
		answer(p, json_string_value(json_object_get(r, "queue_id")));
		return;
	}

	p->idx++;
	next(p);
}


static void sched_got(int err, struct schedule *s, void *arg)
{
	struct route_pick *p = arg;
	bool open = !err && schedule_open(s, p->now_ms);

	mem_deref(s);
	matched(p, open);
}


static void next(struct route_pick *p)
{
	const json_t *r = json_array_get(p->routes, p->idx);
	const char *sid;

	if (!r) {
		answer(p, NULL);
		return;
	}

	sid = json_string_value(json_object_get(r, "schedule_id"));
	if (!sid) {
		matched(p, true);
		return;
	}

	if (schedule_get(p->tenant_id, sid, sched_got, p))
		sched_got(ENOENT, NULL, p);
}


static void region_got(int err, const char *region, const char *carrier,
		       void *arg)
{
	struct route_pick *p = arg;

	(void)carrier;
	if (!err && region)
		str_ncpy(p->region, region, sizeof(p->region));
	p->region_known = true;
	next(p);
}


static bool asks_region(const json_t *routes)
{
	size_t i;
	json_t *r;

	json_array_foreach(routes, i, r) {
		if (json_array_size(json_object_get(r, "regions")))
			return true;
	}

	return false;
}


/**
 * Pick the queue a call joins: h gets the id (the queue's own when no
 * route matches), perhaps before this returns.
 *
 * @return 0 if h will be called, otherwise errorcode
 */
int queue_route_pick(const struct queue_info *qi, const char *caller,
		     int64_t now_ms, queue_route_h *h, void *arg)
{
	struct route_pick *p;

	if (!qi || !h)
		return EINVAL;

	p = mem_zalloc(sizeof(*p), destructor);
	if (!p)
		return ENOMEM;

	str_ncpy(p->tenant_id, qi->tenant_id, sizeof(p->tenant_id));
	str_ncpy(p->queue_id, qi->queue_id, sizeof(p->queue_id));
	str_ncpy(p->caller, caller ? caller : "", sizeof(p->caller));
	p->routes = json_loads(qi->routes, 0, NULL);
	if (!json_is_array(p->routes)) {
		json_decref(p->routes);
		p->routes = json_array();
	}
	p->now_ms = now_ms;
	p->h = h;
	p->arg = arg;

	if (asks_region(p->routes) && p->caller[0] && rt.app &&
	    !region_lookup(rt.app, p->tenant_id, p->caller, region_got, p))
		return 0;

	next(p);

	return 0;
}
