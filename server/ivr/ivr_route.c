/* Which flow answers a number now: its routes by schedule, else default. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include "schedule/schedule.h"
#include "ivr/ivr.h"
#include "ivr/ivr_int.h"

/*
 * A number's routes ([{"schedule_id", "flow_id"}, ...], numbers.routes)
 * are tried in order: the first whose schedule is open at now_ms gives
 * the flow; none open (or an unknown schedule) falls through to the
 * number's own flow_id. Schedules may need a database load, so the
 * answer is asynchronous; the pick owns its state until it answered.
 */

struct pick {
	char tenant_id[37];
	char flow_id[37];            /**< the number's default, or ""  */
	json_t *routes;              /**< (ref)                        */
	size_t idx;
	int64_t now_ms;
	ivr_route_h *h;
	ivr_flow_h *flowh;
	void *arg;
};


static void destructor(void *arg)
{
	struct pick *p = arg;

	json_decref(p->routes);
}


static void flow_got(int err, struct ivr_flow *flow, void *arg)
{
	struct pick *p = arg;

	p->flowh(err, flow, p->arg);
	mem_deref(p);
}


static void answer(struct pick *p, const char *flow_id)
{
	int err = flow_id && flow_id[0] ? 0 : ENOENT;

	if (p->h) {
		p->h(err, err ? NULL : flow_id, p->arg);
		mem_deref(p);
		return;
	}

	err = err ? err : ivr_flow_get(p->tenant_id, flow_id, flow_got, p);
	if (err) {
		p->flowh(err, NULL, p->arg);
		mem_deref(p);
	}
}


static void next(struct pick *p);


static void sched_got(int err, struct schedule *s, void *arg)
{
	struct pick *p = arg;
	const json_t *r = json_array_get(p->routes, p->idx);
	bool open = !err && schedule_open(s, p->now_ms);

	mem_deref(s);
	if (open) {
		answer(p, json_string_value(json_object_get(r, "flow_id")));
		return;
	}

	p->idx++;
	next(p);
}


static void next(struct pick *p)
{
	const json_t *r = json_array_get(p->routes, p->idx);
	const char *sid = json_string_value(json_object_get(r, "schedule_id"));

	if (!r) {
		answer(p, p->flow_id);
		return;
	}

	if (!sid || schedule_get(p->tenant_id, sid, sched_got, p))
		sched_got(ENOENT, NULL, p);
}


static int start(const char *tenant_id, const char *flow_id,
		 const char *routes_json, int64_t now_ms, ivr_route_h *h,
		 ivr_flow_h *flowh, void *arg)
{
	struct pick *p;

	if (!tenant_id || (!h && !flowh))
		return EINVAL;

	p = mem_zalloc(sizeof(*p), destructor);
	if (!p)
		return ENOMEM;

	str_ncpy(p->tenant_id, tenant_id, sizeof(p->tenant_id));
	str_ncpy(p->flow_id, flow_id ? flow_id : "", sizeof(p->flow_id));
	p->routes = routes_json ? json_loads(routes_json, 0, NULL) : NULL;
	if (!json_is_array(p->routes)) {
		json_decref(p->routes);
		p->routes = json_array();
	}
	p->now_ms = now_ms;
	p->h = h;
	p->flowh = flowh;
	p->arg = arg;

	next(p);
	return 0;
}


/**
 * Pick the flow id that answers a number at now_ms; h gets it, or
 * ENOENT when no route is open and the number has no flow.
 *
 * @return 0 if h will be called (perhaps before this returns)
 */
int ivr_route_pick(const char *tenant_id, const char *flow_id,
		   const char *routes_json, int64_t now_ms, ivr_route_h *h,
		   void *arg)
{
	return start(tenant_id, flow_id, routes_json, now_ms, h, NULL, arg);
}


/**
 * The parsed flow that answers a number now (clock_wall_ms): the pick
 * above, then ivr_flow_get(). For the call engine on a new call.
 *
 * @return 0 if h will be called (perhaps before this returns)
 */
int ivr_flow_for_number(const char *tenant_id, const char *flow_id,
			const char *routes_json, int64_t now_ms,
			ivr_flow_h *h, void *arg)
{
	return start(tenant_id, flow_id, routes_json, now_ms, NULL, h, arg);
}
