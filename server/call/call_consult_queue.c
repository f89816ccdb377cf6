/* The agent's second line waiting in a queue: nobody of it was ready, so
 * the consultation waits for the first who is, while the caller holds. */
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
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_consult_int.h"
#include "call/call_moh.h"

/*
 * The consultation is an entry of the queue of its own kind
 * (queue_consult_wait): ahead of the queue's callers, never offered.
 * The queue's first ready member by its strategy and skills is reserved
 * for it in the ACD and handed here (call_consult_queue_left, ANSWERED),
 * then rung exactly as an immediate consultation rings it. Meanwhile the
 * agent who consults hears the queue's hold music. The entry leaves the
 * queue exactly once: reserved, the wait capped (the queue's max wait,
 * else ACD_CONSULT_WAIT_MS: "failed" 408), the queue emptied (480) or
 * deleted (404) — or, when the consultation goes first (cancel, either
 * party hung up), by call_consult_queue_free(), whose own report is not
 * delivered (the entry's arg is forgotten before it leaves).
 */


/* The agent who consults hears the queue's music while it waits. */
static void music(struct call_consult *cs, const char *ref)
{
	struct call *call = cs->call;
	struct mport *mp = call->cq ? call_agent_port(call->cq) : NULL;
	int err;

	if (!mp)
		return;

	err = call_moh_port(call, mp, ref);
	if (err)
		log_warn("%H: consult hold music: %m", call_debug, call, err);
}


static void music_stop(struct call_consult *cs)
{
	struct call *call = cs->call;

	if (call->cq)
		call_moh_port_stop(call_agent_port(call->cq));
}


/**
 * Nobody of the consulted queue (cs->queue) is ready: wait in it.
 *
 * @return 0 (cs->state CS_QUEUED), ENXIO (no such queue), EAGAIN (its
 * empty policy refuses: nobody logged in)
 */
int call_consult_queue_wait(struct call_consult *cs)
{
	struct call *call = cs->call;
	struct queue_info qi;
	int err;

	if (queue_lookup(&qi, call->tenant_id, cs->queue))
		return ENXIO;

	err = queue_consult_wait(&cs->ac, call->cq->taken, qi.queue_id, cs);
	if (err)
		return err;

	cs->state = CS_QUEUED;
	music(cs, qi.hold_music);

	return 0;
}


/** The consultation goes while it waits: out of the queue, unheard. */
void call_consult_queue_free(struct call_consult *cs)
{
	struct acd_call *ac = cs->ac;

	if (!ac)
		return;

	cs->ac = NULL;
	music_stop(cs);
	acd_call_forget_arg(ac);
	queue_leave(ac);
}


static int failed_code(enum acd_left why)
{
	switch (why) {

	case ACD_LEFT_TIMEOUT:
		return 408;
	case ACD_LEFT_DELETED:
		return 404;
	default:
		return 480;
	}
}


/**
 * The waiting consultation left its queue: answered, agent is reserved
 * for it and is rung; else it failed.
 */
void call_consult_queue_left(void *arg, enum acd_left why,
			     const struct queue_agent_info *agent)
{
	struct call_consult *cs = arg;
	int code;

	cs->ac = NULL;
	music_stop(cs);
	if (why == ACD_LEFT_ABANDONED)    /* not ours: never reported */
		return;

	if (why == ACD_LEFT_ANSWERED && agent) {
		if (!call_consult_agent_ring(cs, agent)) {
			log_info("%H: consultation from queue %s: agent %s",
				 call_debug, cs->call, cs->queue,
				 agent->work_no);
			call_consult_tell(cs, "ringing", 0);
			return;
		}
		code = 480;
	}
	else {
		code = failed_code(why);
	}

	log_info("%H: consultation waiting in queue %s failed (%d)",
		 call_debug, cs->call, cs->queue, code);
	call_consult_tell(cs, "failed", code);
	call_consult_drop(cs->call);
}
