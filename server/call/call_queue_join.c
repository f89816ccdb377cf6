/* A call joining a queue: routes, the caller's rank and sticky agent,
 * the core; and what happens when it leaves without an agent. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "media/leg.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_cti.h"

#define HOPS_MAX         3
#define XFER_WAIT_MS     60000   /* a call transferred to an agent waits
				    this long for it, then for anyone */




static void hangup_prompted(int err, void *arg)
{
	struct call_queue *cq = arg;

	(void)err;
	call_end(cq->call, "system", "queue_overflow");
}


/** Out of the queue without an agent: the queue's overflow action. */
void call_queue_overflow(struct call_queue *cq, const char *result)
{
	struct call *call = cq->call;
	const char *action = cq->qi.overflow_action;
	const char *target = cq->qi.overflow_target;
	const char *ref = cq->qi.overflow_prompt[0] ?
		cq->qi.overflow_prompt : "builtin/queue_unavailable";

	tmr_cancel(&cq->tmr);
	call_play_stop(call);
	call_cdr_queue_result(call, result, cq);
	call_queue_left_event(cq, !strcmp(result, "timeout") ? "timeout" :
			 "overflow");
	cq->phase = CQ_OVERFLOW;
	log_info("%H: queue %s overflows (%s) to %s %s", call_debug, call,
		 cq->qi.name, result, action, target);

	if (!strcmp(action, "queue") && cq->hops < HOPS_MAX &&
	    !queue_lookup(&cq->qi, call->tenant_id, target)) {
		++cq->hops;
		call_queue_enter(cq);
		return;
	}

	if (!strcmp(action, "voicemail") && target[0] &&
	    !call_ivr_voicemail(call, target))
		return;

	if (!strcmp(action, "ivr") && target[0] &&
	    !call_ivr_jump(call, target))
		return;

	if (call_play(call, &ref, 1, NULL, hangup_prompted, cq))
		hangup_prompted(0, cq);
}


static void joined(struct call_queue *cq)
{
	struct call *call = cq->call;
	int err;

	cq->phase = CQ_WAITING;
	cq->queued_wall = call_now_ms();
	call_cdr_queued(call, cq);
	call_emit(call, "queue.joined",
		  json_pack("{s:s, s:s, s:s, s:i, s:b}", "queue_id",
			    cq->qi.queue_id, "queue", cq->qi.name,
			    "caller", call->caller, "priority", cq->priority,
			    "sticky", cq->sticky[0] != '\0'));

	call_queue_play_hold(cq);
	if (cq->xfer_agent[0])     /* a transfer to this agent */
		str_ncpy(cq->sticky, cq->xfer_agent, sizeof(cq->sticky));
	err = queue_join(&cq->ac, cq->qi.queue_id, cq->priority, cq->sticky,
			 cq->xfer_agent[0] ? XFER_WAIT_MS : 0, cq);
	cq->xfer_agent[0] = '\0';
	if (err) {
		cq->ac = NULL;
		call_queue_overflow(cq, err == ENOSPC || err == ENODEV ?
				    "overflow" : "deleted");
		return;
	}

	if (cq->phase == CQ_WAITING)
		call_queue_announce_schedule(cq);
}


/* The flow may rank the caller too (a CRM lookup, a menu choice): its
 * variable queue_priority, 1-100, when higher than the VIP list's. */
static void flow_priority(struct call_queue *cq)
{
	const char *v = call_ivr_var(cq->call, "queue_priority");
	char *end = NULL;
	long p;

	if (!v || !v[0])
		return;

	p = strtol(v, &end, 10);
	if (*end || p < 1 || p > 100) {
		log_info("%H: queue_priority \"%s\" ignored (1-100)",
			 call_debug, cq->call, v);
		return;
	}

	if (p > cq->priority)
		cq->priority = (int)p;
}


static void looked_up(int err, const struct db_res *res, void *arg)
{
	struct call_queue *cq = arg;
	const char *vip, *sticky;

	if (!cq->call || cq->phase != CQ_PREP) {
		mem_deref(cq);
		return;
	}

	if (!err) {
		vip = db_val(res, 0, 0, 0);
		sticky = db_val(res, 0, 0, 1);
		cq->priority = vip ? atoi(vip) : 0;
		str_ncpy(cq->sticky, sticky ? sticky : "", sizeof(cq->sticky));
	}
	else {
		log_warn("%H: VIP and sticky agent unknown: %m", call_debug,
			 cq->call, err);
	}

	flow_priority(cq);

	joined(cq);
	mem_deref(cq);
}


/* The caller's VIP priority and, if the queue keeps callers with their
 * last agent, that agent — one query under the tenant's scope. */
static void lookup_caller(struct call_queue *cq)
{
	static const char sql[] =
		"SELECT (SELECT max(priority) FROM vip_callers"
		"  WHERE number = $1),"
		" (SELECT agent_id::text FROM calls WHERE $3::int > 0"
		"  AND caller = $1 AND queue_id = $2::uuid"
		"  AND agent_id IS NOT NULL"
		"  AND connected_at > to_timestamp($4::bigint / 1000.0)"
		"   - make_interval(days => $3::int)"
		"  ORDER BY connected_at DESC LIMIT 1)";
	struct call *call = cq->call;
	struct db_ctx ctx = {DB_TENANT, call->tenant_id};
	char days[12], now[24];
	const char *pv[4];
	int err;

	(void)re_snprintf(days, sizeof(days), "%u", cq->qi.sticky_days);
	pv[0] = call->caller;
	pv[1] = cq->qi.queue_id;
	pv[2] = days;
	pv[3] = now;
	/* the engine's clock, as the CDR's connected_at */
	(void)re_snprintf(now, sizeof(now), "%llu",
			  (unsigned long long)call_now_ms());

	err = db_query(call->app->db, &ctx, looked_up, mem_ref(cq), sql, 4,
		       pv);
	if (err)
		looked_up(err, NULL, cq);
}


static void routed(int err, const char *queue_id, void *arg)
{
	struct call_queue *cq = arg;

	if (!cq->call || cq->phase != CQ_PREP) {
		mem_deref(cq);
		return;
	}

	if (!err && strcmp(queue_id, cq->qi.queue_id) &&
	    queue_lookup(&cq->qi, cq->call->tenant_id, queue_id))
		log_warn("%H: route to unknown queue %s", call_debug,
			 cq->call, queue_id);

	lookup_caller(cq);
	mem_deref(cq);
}


/* Routes (first queue only: one hop), then the caller look-up. */
/** Join cq->qi's queue: routes (first hop only), caller look-up, core. */
void call_queue_enter(struct call_queue *cq)
{
	int err;

	cq->phase = CQ_PREP;
	call_cti_prepare(cq->call);
	if (cq->hops || cq->xfer_agent[0]) {    /* routes: first join only */
		lookup_caller(cq);
		return;
	}

	err = queue_route_pick(&cq->qi, cq->call->caller, (int64_t)
			       call_now_ms(), routed, mem_ref(cq));
	if (err)
		routed(err, NULL, cq);
}
