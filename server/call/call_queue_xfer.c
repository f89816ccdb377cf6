/* What an agent does with a call it answered: hold it, or hand it on —
 * to another queue or to an outside number (blind transfer). */
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
#include "media/leg.h"
#include "media/mixer.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_agent_int.h"

/*
 * On hold the caller hears the queue's hold music and the agent hears
 * nothing; the agent stays on the call. A blind transfer ends the
 * agent's part at once (wrap-up starts): to a queue, the call waits
 * there as any joining call (its CDR row then names that queue and the
 * agent who answers there); to a number, the call dials out through its
 * trunk and is bridged when the far end answers — if it does not, the
 * caller hears the failure prompt and the call ends.
 */

static struct call_queue *talking(struct call *call)
{
	struct call_queue *cq = call ? call->cq : NULL;

	return cq && call_queue_connected(cq) && cq->phase != CQ_CONNECTING ?
		cq : NULL;
}


static void hear_each_other(struct call_queue *cq, bool on)
{
	struct mport *a = leg_port(cq->call->leg);
	struct mport *b = call_agent_port(cq);

	if (!a || !b)
		return;

	mport_hear(a, b, on);
	mport_hear(b, a, on);
}


/**
 * Put the call on hold (on) or take it off.
 *
 * @return 0, ENOENT (no call answered by an agent), EALREADY (already so)
 */
int call_queue_hold(struct call *call, bool on)
{
	struct call_queue *cq = talking(call);

	if (!cq)
		return ENOENT;
	if (on == (cq->phase == CQ_HELD))
		return EALREADY;

	hear_each_other(cq, !on);
	if (on) {
		cq->phase = CQ_HELD;
		call_queue_play_hold(cq);
	}
	else {
		cq->phase = CQ_TALKING;
		call_play_stop(call);
	}

	call_rec_hold(call, on);
	call_monitor_rewire(call);
	call_emit(call, on ? "call.held" : "call.resumed",
		  json_pack("{s:s, s:s}", "agent_id", cq->agent_id,
			    "work_no", cq->work_no));

	return 0;
}


static void xfer_emit(struct call_queue *cq, const char *to,
		      const char *target)
{
	call_emit(cq->call, "call.transferred",
		  json_pack("{s:s, s:s, s:s, s:s}", "by_agent_id",
			    cq->agent_id, "by_work_no", cq->work_no, "to", to,
			    "target", target));
}


/* The agent's part ends: its leg goes, wrap-up starts. */
static void release_agent(struct call_queue *cq)
{
	call_play_stop(cq->call);
	call_queue_agent_done(cq);
	cq->agent_id[0] = '\0';
	cq->work_no[0] = '\0';
	cq->connected_wall = 0;
	call_monitor_follow(cq->call);
}


/**
 * Blind transfer of a call an agent answered to a queue of the tenant
 * (by name or id).
 *
 * @return 0, ENOENT (no such call or queue)
 */
int call_queue_transfer_queue(struct call *call, const char *queue)
{
	struct call_queue *cq = talking(call);
	struct queue_info qi;

	if (!cq || !queue || queue_lookup(&qi, call->tenant_id, queue))
		return ENOENT;

	(void)call_consult(call, "cancel", NULL);   /* none left behind */
	xfer_emit(cq, "queue", qi.name);
	release_agent(cq);
	cq->qi = qi;
	cq->hops = 0;
	call_queue_enter(cq);

	return 0;
}


/* "正在为您转接" until the far end answers (which stops the player). */
static void xfer_prompted(int err, void *arg)
{
	(void)err;
	(void)arg;
}


/**
 * Blind transfer of a call an agent answered to another agent: the call
 * waits in its queue for that agent (up to a minute, then for anyone
 * in the queue), ahead of the others.
 *
 * @return 0, ENOENT (no such call or agent), ENODEV (the agent is logged
 * out), EXDEV (the agent does not serve the call's queue)
 */
int call_queue_transfer_agent(struct call *call, const char *agent_id)
{
	struct call_queue *cq = talking(call);
	int err;

	if (!cq || !agent_id)
		return ENOENT;

	err = queue_agent_serves(call->tenant_id, agent_id, cq->qi.queue_id);
	if (err)
		return err;

	(void)call_consult(call, "cancel", NULL);
	xfer_emit(cq, "agent", agent_id);
	release_agent(cq);
	str_ncpy(cq->xfer_agent, agent_id, sizeof(cq->xfer_agent));
	call_queue_enter(cq);

	return 0;
}


/**
 * Blind transfer of a call an agent answered to an outside number,
 * through the trunk the call came in on.
 *
 * @return 0, ENOENT (no such call), ENOTSUP (the trunk cannot dial
 * out), EINVAL (not a number), EBUSY (over a limit)
 */
int call_queue_transfer_number(struct call *call, const char *number)
{
	struct call_queue *cq = talking(call);
	const char *ref = "builtin/transfer";
	int err;

	if (!cq)
		return ENOENT;

	err = call_transfer(call, number);
	if (err)
		return err;

	(void)call_consult(call, "cancel", NULL);
	xfer_emit(cq, "number", number);
	release_agent(cq);
	cq->phase = CQ_TRANSFER;
	if (call_play(call, &ref, 1, NULL, xfer_prompted, cq))
		log_info("%H: no transfer prompt", call_debug, call);

	return 0;
}


static void failed_prompted(int err, void *arg)
{
	struct call_queue *cq = arg;

	(void)err;
	call_end(cq->call, "system", "transfer_failed");
}


/** The number a call was transferred to did not answer. True if the
 * queue side took it (the caller hears why, then the call ends). */
bool call_queue_xfer_failed(struct call *call)
{
	struct call_queue *cq = call ? call->cq : NULL;
	const char *ref = "builtin/error";

	if (!cq || cq->phase != CQ_TRANSFER)
		return false;

	cq->phase = CQ_DONE;
	if (call_play(call, &ref, 1, NULL, failed_prompted, cq))
		failed_prompted(0, cq);

	return true;
}


/** The agent who answered the call (empty when none is on it). */
const char *call_queue_agent_of(const struct call *call)
{
	const struct call_queue *cq = call ? call->cq : NULL;

	return cq && call_queue_connected(cq) ? cq->agent_id : "";
}


/**
 * An attended transfer completes: the caller talks to the party the
 * agent consulted (call_consult.c bridges them), the agent wraps up.
 *
 * @return 0, ENOENT (no agent talking on the call)
 */
int call_queue_consult_done(struct call *call, const char *number)
{
	struct call_queue *cq = talking(call);

	if (!cq)
		return ENOENT;

	xfer_emit(cq, "consult", number);
	release_agent(cq);
	cq->phase = CQ_TRANSFER;

	return 0;
}


/**
 * An attended transfer to a colleague completes: the consulting agent's
 * part ends (wrap-up), the colleague's leg (ca, answered and in the
 * mixer) becomes the call's agent leg, caller and colleague hear each
 * other, and the call record names the colleague from now on.
 */
void call_queue_consult_adopt(struct call *call, struct call_agent *ca)
{
	struct call_queue *cq = talking(call);

	if (!cq)
		return;

	call_emit(call, "call.transferred",
		  json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "by_agent_id",
			    cq->agent_id, "by_work_no", cq->work_no, "to",
			    "agent", "target", ca->agent_id, "work_no",
			    ca->work_no, "consult", true));
	if (cq->phase == CQ_HELD)
		call_rec_hold(call, false);
	call_agent_end_why(cq, "transferred");
	release_agent(cq);

	list_append(&cq->agents, &ca->le, ca);
	ca->consult = false;
	cq->conn = ca;
	str_ncpy(cq->agent_id, ca->agent_id, sizeof(cq->agent_id));
	str_ncpy(cq->work_no, ca->work_no, sizeof(cq->work_no));
	cq->connected_wall = call_now_ms();
	cq->phase = CQ_TALKING;
	hear_each_other(cq, true);
	call_cdr_agent(call, ca->agent_id);
	call_monitor_rewire(call);
	log_info("%H: now with agent %s", call_debug, call, ca->work_no);
}


/** Whether an agent talks on the call (or holds it). */
bool call_queue_talking(struct call *call)
{
	return talking(call) != NULL;
}
