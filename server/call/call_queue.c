/* The IVR's queue node: a call waits in an ACD queue with hold music and
 * announcements, is answered by an agent, or overflows. */
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
#include "media/mixer.h"
#include "ivr/ivr.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"

/*
 * Joining takes three steps off the loop's hot path: the queue's routes
 * (schedule, caller region) may send the call to another queue; one
 * query finds the caller's VIP priority and sticky agent; then the call
 * enters the core. While it waits the IVR run waits too (on the queue
 * node), so an overflow to an IVR node or to voicemail continues the
 * same run; once an agent answers the run ends ("queued") and the call
 * goes on bridged.
 *
 * Music and announcements are the player's: an announcement replaces
 * the music and the music starts again after it; anything the caller
 * hears from the queue stops the moment an agent answers (the player
 * is stopped before the work number is announced).
 */
#define SURVEY_WAIT_MS   10000

static void cq_destructor(void *arg)
{
	struct call_queue *cq = arg;

	tmr_cancel(&cq->tmr);
	list_flush(&cq->agents);
	acd_call_forget_arg(cq->taken);   /* no look-up may reach us now */
	mem_deref(cq->taken);
}


static struct call_queue *cq_of(struct call *call)
{
	return call ? call->cq : NULL;
}


/* --- the ACD's host --------------------------------------------------- */

static int host_offer(void *callarg, const struct queue_agent_info *agent)
{
	struct call_queue *cq = callarg;

	if (cq->phase != CQ_WAITING)
		return ENODEV;

	return call_agent_ring(cq, agent);
}


static void host_offer_cancel(void *callarg, const char *agent_id,
			      enum acd_cancel why)
{
	static const char *const names[] = {"timeout", "caller_gone",
		"taken", "agent_gone", "not_member", "queue_gone"};

	call_agent_cancel(callarg, agent_id, (size_t)why < ARRAY_SIZE(names)
			  ? names[why] : "withdrawn");
}


static const char *host_call_id(void *callarg)
{
	struct call_queue *cq = callarg;

	return cq->call ? cq->call->call_id : "";
}


static const char *host_caller(void *callarg)
{
	struct call_queue *cq = callarg;

	return cq->call ? cq->call->caller : NULL;
}


/** queue.left on the call's timeline, with how long it waited. */
void call_queue_left_event(struct call_queue *cq, const char *reason)
{
	struct call *call = cq->call;

	if (!call)
		return;

	call_emit(call, "queue.left",
		  json_pack("{s:s, s:s, s:s, s:I, s:i}", "queue_id",
			    cq->qi.queue_id, "queue", cq->qi.name, "reason",
			    reason, "waited_ms",
			    (json_int_t)(call_now_ms() - cq->queued_wall),
			    "offers", cq->offers));
}


static void connected(struct call_queue *cq,
		      const struct queue_agent_info *agent);


static void host_left(void *callarg, enum acd_left why,
		      const struct queue_agent_info *agent)
{
	struct call_queue *cq = callarg;

	if (why == ACD_LEFT_ANSWERED) {
		/* answered again after a transfer: the first agent may still
		 * wrap the old entry up, after this side is freed */
		acd_call_forget_arg(cq->taken);
		mem_deref(cq->taken);
		cq->taken = mem_ref(cq->ac);
	}
	cq->ac = NULL;
	switch (why) {

	case ACD_LEFT_ANSWERED:
		connected(cq, agent);
		break;

	case ACD_LEFT_ABANDONED:
		break;   /* the caller left: call_queue_end() records it */

	case ACD_LEFT_TIMEOUT:
		call_queue_overflow(cq, "timeout");
		break;

	case ACD_LEFT_EMPTY:
		call_queue_overflow(cq, "overflow");
		break;

	case ACD_LEFT_DELETED:
		call_cdr_queue_result(cq->call, "deleted", cq);
		call_queue_left_event(cq, "deleted");
		cq->phase = CQ_OVERFLOW;
		call_play_stop(cq->call);
		call_ivr_resume(cq->call, ENOENT);
		break;
	}
}


static const struct queue_host host = {
	host_offer, host_offer_cancel, host_call_id, host_left, host_caller,
	call_consult_queue_left,
};


/** Make the call engine the ACD's host. */
void call_queue_host_init(void)
{
	queue_set_host(&host);
}


/* --- answered --------------------------------------------------------- */

static void bridge_now(int err, void *arg)
{
	struct call_queue *cq = arg;

	(void)err;
	if (cq->phase != CQ_CONNECTING)
		return;

	cq->phase = CQ_TALKING;
	call_agent_bridge(cq);
}


/* The agent answered: stop everything the queue played, announce the
 * work number to the caller, then bridge. */
static void connected(struct call_queue *cq,
		      const struct queue_agent_info *agent)
{
	struct call *call = cq->call;
	char bufs[PLAY_REFS_MAX][PLAY_REF_SZ];
	const char *refv[PLAY_REFS_MAX];
	size_t n = 0, i;

	tmr_cancel(&cq->tmr);
	call_play_stop(call);
	cq->phase = CQ_CONNECTING;
	cq->connected_wall = call_now_ms();
	str_ncpy(cq->agent_id, agent->agent_id, sizeof(cq->agent_id));
	str_ncpy(cq->work_no, agent->work_no, sizeof(cq->work_no));

	call_cdr_queue_result(call, "answered", cq);
	call_queue_left_event(cq, "answered");
	call_emit(call, "call.answered",
		  json_pack("{s:s, s:s, s:s, s:I}", "agent_id",
			    agent->agent_id, "work_no", agent->work_no,
			    "queue_id", cq->qi.queue_id, "waited_ms",
			    (json_int_t)(cq->connected_wall -
					 cq->queued_wall)));
	log_info("%H: answered by agent %s", call_debug, call,
		 agent->work_no);
	(void)call_rec_answered(call, cq->qi.recording);

	/* the IVR is over: its run ends "queued", the call goes on */
	call_ivr_resume(call, 0);
	if (call->state == CALL_ENDED)
		return;

	if (cq->qi.announce_work_no) {
		str_ncpy(bufs[n++], "builtin/agent_id_pre", PLAY_REF_SZ);
		n += call_queue_digit_refs(&bufs[n], 8, agent->work_no);
		str_ncpy(bufs[n++], "builtin/agent_id_post", PLAY_REF_SZ);
		for (i = 0; i < n; i++)
			refv[i] = bufs[i];
		if (!call_play(call, refv, n, NULL, bridge_now, cq))
			return;
	}

	bridge_now(0, cq);
}


/** An agent leg answered: ask the core whether it gets the call. */
void call_queue_agent_answered(struct call_queue *cq, struct call_agent *ca,
			       const char *agent_id)
{
	int err;

	if (cq->phase != CQ_WAITING || !cq->ac) {
		mem_deref(ca);     /* too late: someone else, or gone */
		return;
	}

	cq->conn = ca;
	err = queue_answered(cq->ac, agent_id);
	if (err) {
		cq->conn = NULL;
		log_info("%H: agent answer not taken: %m", call_debug,
			 cq->call, err);
		mem_deref(ca);
	}
}


/* --- survey and the end ----------------------------------------------- */

static void survey_over(int err, void *arg)
{
	struct call_queue *cq = arg;

	(void)err;
	call_end(cq->call, "system", "survey_done");
}


static void survey_timeout(void *arg)
{
	struct call_queue *cq = arg;

	survey_over(0, cq);
}


static void survey_prompted(int err, void *arg)
{
	struct call_queue *cq = arg;

	if (cq->phase != CQ_SURVEY)
		return;
	if (err) {
		survey_over(err, cq);
		return;
	}

	tmr_start(&cq->tmr, SURVEY_WAIT_MS, survey_timeout, cq);
}


bool call_queue_connected(const struct call_queue *cq)
{
	return cq->phase == CQ_CONNECTING || cq->phase == CQ_TALKING ||
		cq->phase == CQ_HELD;
}


/** The agent's part is over: legs hung up, handle time, wrap-up. */
void call_queue_agent_done(struct call_queue *cq)
{
	call_agent_hangup_all(cq);
	queue_note_handle_time(cq->qi.queue_id,
			       call_now_ms() - cq->connected_wall);
	queue_agent_call_ended(cq->agent_id);
}


/**
 * The connected agent hung up (or its leg failed): wrap-up starts; the
 * caller rates the call if the queue asks, else the call ends.
 */
void call_queue_agent_left(struct call_queue *cq, const char *agent_id,
			   const char *cause)
{
	struct call *call = cq->call;
	const char *ref = "builtin/survey";

	(void)agent_id;
	if (!call_queue_connected(cq))
		return;
	if (call_consult_agent_left(call))
		return;      /* the colleague consulted has the call now */

	call_play_stop(call);
	call_queue_agent_done(cq);

	if (!cq->qi.survey || strcmp(cause, "bye")) {
		cq->phase = CQ_DONE;
		call_end(call, "agent", cause);
		return;
	}

	cq->phase = CQ_SURVEY;
	call_monitor_follow(call);
	if (call_play(call, &ref, 1, NULL, survey_prompted, cq))
		survey_over(0, cq);
}


/** A digit from the caller: the survey's score. True if taken. */
bool call_queue_digit(struct call *call, char digit)
{
	struct call_queue *cq = cq_of(call);
	const char *ref = "builtin/survey_thanks";

	if (!cq || cq->phase != CQ_SURVEY)
		return cq && cq->phase != CQ_PREP && cq->phase != CQ_OVERFLOW;

	if (digit < '1' || digit > '5')
		return true;

	tmr_cancel(&cq->tmr);
	cq->phase = CQ_DONE;
	call_cdr_survey(call, digit - '0');
	call_emit(call, "survey.completed",
		  json_pack("{s:i, s:s, s:s, s:s}", "score", digit - '0',
			    "agent_id", cq->agent_id, "work_no", cq->work_no,
			    "queue_id", cq->qi.queue_id));
	if (call_play(call, &ref, 1, NULL, survey_over, cq))
		survey_over(0, cq);

	return true;
}


/**
 * The call ends (either side): out of the core, agent legs hung up, the
 * agent's call over.
 */
void call_queue_end(struct call *call)
{
	struct call_queue *cq = cq_of(call);

	if (!cq)
		return;

	tmr_cancel(&cq->tmr);
	if (cq->ac) {
		struct acd_call *ac = cq->ac;

		call_cdr_queue_result(call, "abandoned", cq);
		call_queue_left_event(cq, "abandoned");
		queue_leave(ac);      /* cancels ringing agents first */
		cq->ac = NULL;
	}

	if (call_queue_connected(cq))
		call_queue_agent_done(cq);

	call_agent_hangup_all(cq);
	cq->phase = CQ_DONE;
	cq->call = NULL;
}


/** The IVR ended "queued": keep the call if an agent has it. */
bool call_queue_keeps(struct call *call)
{
	struct call_queue *cq = cq_of(call);

	return cq && (call_queue_connected(cq) || cq->phase == CQ_SURVEY ||
		      cq->phase == CQ_TRANSFER || cq->phase == CQ_TAKEN);
}


/**
 * A supervisor takes the call over: the agent's part ends (wrap-up
 * follows) and the caller stays, with the supervisor (call_monitor.c).
 *
 * @return 0, or EALREADY when no agent is on the call
 */
int call_queue_take_over(struct call *call)
{
	struct call_queue *cq = cq_of(call);
	char agent_id[37];

	if (!cq || !call_queue_connected(cq))
		return EALREADY;

	str_ncpy(agent_id, cq->agent_id, sizeof(agent_id));
	(void)call_consult(call, "cancel", NULL);   /* none left behind */
	call_play_stop(call);
	call_agent_end_why(cq, "taken_over");
	call_queue_agent_done(cq);
	cq->phase = CQ_TAKEN;
	call_emit(call, "call.taken_over", json_pack("{s:s, s:s}", "agent_id",
						     agent_id, "work_no",
						     cq->work_no));

	return 0;
}


/**
 * The IVR's queue node: put the call in the named queue. The IVR run
 * waits until the call is answered (resumed with 0) or overflows.
 *
 * @return 0 if joining, ENOENT if the tenant has no such queue
 */
int call_queue_join(struct call *call, const char *name)
{
	struct call_queue *cq;
	int err;

	if (!call || !name)
		return EINVAL;
	if (call->cq)
		return EBUSY;

	cq = mem_zalloc(sizeof(*cq), cq_destructor);
	if (!cq)
		return ENOMEM;

	err = queue_lookup(&cq->qi, call->tenant_id, name);
	if (err) {
		log_info("%H: no queue %s", call_debug, call, name);
		mem_deref(cq);
		return err;
	}

	cq->call = call;
	tmr_init(&cq->tmr);
	list_init(&cq->agents);
	call->cq = cq;
	call_queue_enter(cq);

	return 0;
}
