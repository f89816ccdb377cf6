/* The agent's second line to a colleague — by id or work number, or the
 * best ready agent of a queue: ring, talk while the caller holds, hand
 * the call over or join all three. */
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
#include "agent/softphone.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_agent_int.h"
#include "call/call_consult_int.h"

/*
 * The colleague is reserved in the ACD first (ringing, then on the call:
 * nothing else is offered to it), then rung on its device as a queue
 * call would ring it; its browser's offer carries who consults. The
 * reservation is released exactly once, by release(): no answer within
 * the ring timeout, a rejection or a failed device are misses of the
 * colleague as a missed offer is; a cancel, the caller or the consulting
 * agent gone, or the colleague hanging up after answering are not.
 * Complete (or the consulting agent leaving once the colleague answered)
 * makes the colleague the call's agent instead (queue_consult_take).
 * With nobody of a queue ready the consultation waits in the queue
 * (call_consult_queue.c) and is rung from here once someone is reserved.
 */
enum { RING_DEFAULT_S = 30 };


static void release(struct call_consult *cs, int miss)
{
	if (!cs->reserved)
		return;

	cs->reserved = false;
	(void)queue_consult_release(cs->to_id, miss);
}


/** The consultation is being freed: release, hang the colleague up. */
void call_consult_agent_free(struct call_consult *cs)
{
	struct call_agent *ca = cs->ca;

	tmr_cancel(&cs->tmr);
	call_consult_queue_free(cs);
	release(cs, -1);
	if (!ca)
		return;

	cs->ca = NULL;
	if (!ca->end_why)
		ca->end_why = cs->call->state == CALL_ENDED ? "caller_gone" :
			"consult_cancelled";
	mem_deref(ca);
}


static void ring_timeout(void *arg)
{
	struct call_consult *cs = arg;

	cs->ca->end_why = "timeout";
	release(cs, ACD_MISS_NO_ANSWER);
	call_consult_tell(cs, "failed", 408);
	call_consult_drop(cs->call);
}


static int reserve(struct call_consult *cs, const char *agent,
		   const char *queue, struct queue_agent_info *info)
{
	struct call *call = cs->call;
	struct call_queue *cq = call->cq;
	struct queue_info qi;

	cs->ring_s = cq->qi.ring_timeout_s;
	if (!queue)
		return queue_consult_reserve(cq->taken, call->tenant_id,
					     agent, info);

	if (queue_lookup(&qi, call->tenant_id, queue))
		return ENXIO;

	str_ncpy(cs->queue, qi.name, sizeof(cs->queue));
	cs->ring_s = qi.ring_timeout_s;

	return queue_consult_pick(cq->taken, qi.queue_id, info);
}


/**
 * Reserve the colleague (agent, or the best ready agent of queue) and
 * ring its device; with nobody of the queue ready, wait in the queue
 * (cs->state CS_QUEUED).
 *
 * @return 0, ENOENT (no agent answered the call from a queue), ENXIO (no
 * such agent or queue), ENODEV (logged out), EBUSY (not ready), EAGAIN
 * (nobody in the queue logged in: its empty policy refuses),
 * EHOSTUNREACH (the device cannot be rung)
 */
int call_consult_agent_start(struct call_consult *cs, const char *agent,
			     const char *queue)
{
	struct call_queue *cq = cs->call->cq;
	struct queue_agent_info info;
	int err;

	if (!cq || !cq->taken)
		return ENOENT;

	err = reserve(cs, agent, queue, &info);
	if (err == EAGAIN && queue)
		return call_consult_queue_wait(cs);
	if (err)
		return err;

	return call_consult_agent_ring(cs, &info);
}


/**
 * Ring the colleague the ACD reserved (info) for the consultation.
 *
 * @return 0, EHOSTUNREACH (the device cannot be rung: released)
 */
int call_consult_agent_ring(struct call_consult *cs,
			    const struct queue_agent_info *info)
{
	int err;

	cs->reserved = true;
	cs->state = CS_RINGING;
	str_ncpy(cs->to_id, info->agent_id, sizeof(cs->to_id));
	str_ncpy(cs->to_work_no, info->work_no, sizeof(cs->to_work_no));
	str_ncpy(cs->to_name, info->name ? info->name : "",
		 sizeof(cs->to_name));
	if (!cs->ring_s)
		cs->ring_s = RING_DEFAULT_S;

	err = call_agent_ring_consult(cs->call->cq, info, &cs->ca);
	if (err) {
		release(cs, -1);
		return EHOSTUNREACH;
	}

	tmr_start(&cs->tmr, cs->ring_s * 1000, ring_timeout, cs);

	return 0;
}


static struct call_consult *consult_of(const struct call_agent *ca)
{
	const struct call *call = ca->cq ? ca->cq->call : NULL;
	struct call_consult *cs = call ? call->consult : NULL;

	return cs && cs->ca == ca ? cs : NULL;
}


/** The colleague answered: it and the consulting agent hear each other
 * (the caller holds). */
void call_consult_leg_answered(struct call_agent *ca)
{
	struct call_consult *cs = consult_of(ca);
	struct call *call;

	if (!cs)
		return;

	call = cs->call;
	tmr_cancel(&cs->tmr);
	if (queue_consult_answered(cs->to_id) ||
	    call_agent_leg_attach(ca, call->mixer)) {
		ca->end_why = "error";
		release(cs, -1);
		call_consult_tell(cs, "failed", 500);
		call_consult_drop(call);
		return;
	}

	ca->bridged = true;
	cs->state = CS_TALKING;
	call_consult_rewire(call);
	if (ca->browser)
		call_rtc_connected(ca);
	call_consult_tell(cs, "answered", 200);
}


static int scode_of(int miss)
{
	static const int codes[] = {408, 486, 603, 480};

	return miss >= 0 && (size_t)miss < ARRAY_SIZE(codes) ?
		codes[miss] : 200;
}


/**
 * The colleague's device ended its part: before answering, a failed
 * consultation (a miss by cause); after, the consultation is over and
 * the caller stays on hold (or, in a conference, with the agent).
 */
void call_consult_leg_ended(struct call_agent *ca, int miss,
			    const char *cause)
{
	struct call_consult *cs = consult_of(ca);
	bool answered = ca->answered;
	int scode = answered ? 200 : atoi(cause ? cause : "");

	if (!cs) {
		log_warn("consulted agent %s: leg without consultation",
			 ca->work_no);
		return;
	}

	log_info("%H: consulted agent %s %s (%s)", call_debug, cs->call,
		 ca->work_no, answered ? "left" : "did not answer",
		 cause ? cause : "");
	if (!ca->end_why)
		ca->end_why = answered ? "ended" : "rejected";
	release(cs, answered ? -1 : miss);
	call_consult_tell(cs, answered ? "ended" : "failed",
			  scode ? scode : scode_of(miss));
	call_consult_drop(cs->call);
}


/**
 * Complete: the colleague owns the call from now on, the consulting
 * agent wraps up.
 *
 * @return 0, ENOENT (no agent on the call), EALREADY (the colleague's
 * reservation was lost: logged out meanwhile)
 */
int call_consult_agent_complete(struct call_consult *cs)
{
	struct call *call = cs->call;
	struct call_agent *ca = cs->ca;

	if (!call_queue_talking(call))
		return ENOENT;
	if (queue_consult_take(cs->to_id))
		return EALREADY;

	cs->reserved = false;
	cs->ca = NULL;
	cs->state = CS_DONE;
	tmr_cancel(&cs->tmr);
	call_consult_tell(cs, "transferred", 200);
	call_queue_consult_adopt(call, ca);
	(void)softphone_send(ca->agent_id, json_pack(
		"{s:s, s:s, s:s, s:s, s:s}", "type", "call.consult",
		"call_id", call->call_id, "state", "transferred", "role",
		"consulted", "by_work_no", cs->work_no));
	call_consult_drop(call);

	return 0;
}


/**
 * The consulting agent left (hung up, its device failed). Once the
 * colleague answered, the call goes on with the colleague (true: the
 * caller is not left alone); while it still rings or waits in a queue,
 * the consultation is cancelled first (false: the call goes on as
 * without it).
 */
bool call_consult_agent_left(struct call *call)
{
	struct call_consult *cs = call ? call->consult : NULL;

	if (!cs || (!cs->ca && !cs->ac))
		return false;

	if (cs->state == CS_TALKING || cs->state == CS_CONFERENCE)
		return 0 == call_consult_agent_complete(cs);

	call_consult_tell(cs, "cancelled", 0);
	call_consult_drop(call);

	return false;
}


/** The colleague's leg, if agent_id is the colleague consulted. */
struct call_agent *call_consult_leg(const struct call *call,
				    const char *agent_id)
{
	const struct call_consult *cs = call ? call->consult : NULL;

	if (!cs || !cs->ca || !agent_id)
		return NULL;

	return strcmp(cs->ca->agent_id, agent_id) ? NULL : cs->ca;
}


/** The work number of the agent who consults ("" when none). */
const char *call_consult_by(const struct call *call)
{
	return call && call->consult ? call->consult->work_no : "";
}


/** A colleague's browser offer says who consults it, and from where. */
void call_consult_offer_note(const struct call *call, json_t *msg)
{
	const struct call_consult *cs = call ? call->consult : NULL;

	if (!cs || !msg)
		return;

	(void)json_object_set_new(msg, "ring_timeout_s",
				  json_integer(cs->ring_s));
	(void)json_object_set_new(msg, "consult", json_pack(
		"{s:s, s:s, s:s, s:s, s:s?}", "by_agent_id", cs->agent_id,
		"by_work_no", cs->work_no, "by_name", cs->name, "to",
		cs->queue[0] ? "queue" : "agent", "queue",
		cs->queue[0] ? cs->queue : NULL));
}
