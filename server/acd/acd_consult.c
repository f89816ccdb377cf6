/* Consultations: an agent reserved by another agent's call. */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "acd/acd_int.h"

/*
 * An agent talking on a call may consult a colleague (by name, or the
 * best ready member of a queue) before handing the call over. The
 * colleague is reserved as an offer would reserve it — ringing, then on
 * the call — so routing offers it nothing meanwhile, but no queue call
 * is offered: a->consulted marks the reservation, a->call is the
 * consulting agent's call (its wrap-up is that call's queue's). The
 * reservation ends exactly once: released (back to ready, or a miss when
 * it rang unanswered), taken (the colleague now owns the call: on the
 * call as any agent who answered it), or lost to a forced logout, after
 * which release and take report EALREADY.
 *
 * With nobody ready the consultation may wait in the queue as an entry
 * of its own (c->consult: the consulting agent's call), keyed ahead of
 * every caller of that queue (the customer already holds) and capped by
 * the queue's max wait, or ACD_CONSULT_WAIT_MS without one. Routing
 * never offers it: the queue's first ready member by its strategy and
 * skills is reserved exactly as above and the entry leaves ANSWERED with
 * that agent, so the host rings it as an immediate consultation would.
 */


/**
 * The member of q that routing would offer a call to now (the
 * strategy's first ready member), or NULL when none is ready.
 */
struct acd_agent *acd_consult_pick(const struct acd_queue *q)
{
	const struct acd_hnode *top = q ? acd_heap_at(&q->ready, 0) : NULL;

	return top ? ((const struct acd_member *)top->data)->a : NULL;
}


/** How long a consultation may wait in q. */
uint32_t acd_consult_wait_ms(const struct acd_queue *q)
{
	return q->cfg.max_wait_ms ? q->cfg.max_wait_ms : ACD_CONSULT_WAIT_MS;
}


static void reserve(struct acd_agent *a, struct acd_call *c)
{
	acd_agent_set_state(a, ACD_RINGING, "consult", NULL, c);
	a->consulted = true;
}


/**
 * The waiting consultation c is at the head of q: reserve q's first
 * ready member for it and take it out of the queue (ANSWERED with that
 * agent). Runs inside an operation (the routing pass).
 *
 * @return true if an agent was reserved
 */
bool acd_consult_route(struct acd_queue *q, struct acd_call *c)
{
	struct acd_agent *a = acd_consult_pick(q);
	struct acd_member *m = a ? acd_member_find(q, a) : NULL;

	if (!a)
		return false;

	if (m)
		m->last_offer = ++q->offers;  /* round robin moves on */
	reserve(a, c->consult);
	acd_call_remove(c, ACD_LEFT_ANSWERED, a);

	return true;
}


/**
 * Reserve a ready agent for a consultation about call c.
 *
 * @return 0, EINVAL (logged out or bad arguments), EBUSY (not ready:
 * ringing, on a call, wrap-up, not ready, outbound)
 */
int acd_consult_reserve(struct acd_agent *a, struct acd_call *c,
			uint64_t now)
{
	if (!a || a->removed || !c || a->state == ACD_LOGGED_OUT)
		return EINVAL;
	if (a->state != ACD_READY || a->offer)
		return EBUSY;

	acd_enter(a->acd, now);
	reserve(a, c);
	acd_leave(a->acd);

	return 0;
}


/**
 * The consulted agent answered: on the call (still reserved).
 *
 * @return 0, EALREADY (not ringing for a consultation)
 */
int acd_consult_answered(struct acd_agent *a, uint64_t now)
{
	if (!a || !a->consulted || a->state != ACD_RINGING)
		return EALREADY;

	acd_enter(a->acd, now);
	acd_agent_set_state(a, ACD_ON_CALL, "consult", NULL, a->call);
	a->consulted = true;
	acd_leave(a->acd);

	return 0;
}


/**
 * End the reservation: back to ready, or — when it rang unanswered and
 * miss is set — a miss of the agent by cause, with the miss limit of the
 * call's queue (the queue's own counters do not count it: no caller of
 * the queue was offered).
 *
 * @param miss  NULL: no miss (cancelled, the caller gone, hung up after
 *              answering)
 *
 * @return 0, EALREADY (not reserved: released, taken or logged out)
 */
int acd_consult_release(struct acd_agent *a, const enum acd_miss *miss,
			uint64_t now)
{
	unsigned limit;

	if (!a || !a->consulted)
		return EALREADY;

	acd_enter(a->acd, now);
	a->consulted = false;
	limit = a->call ? a->call->q->cfg.miss_limit : 0;
	a->idle_since = a->acd->now;
	if (miss && a->state == ACD_RINGING) {
		++a->cnt.misses[*miss];
		++a->misses_row;
	}

	if (miss && limit && a->misses_row >= limit)
		acd_agent_set_state(a, ACD_NOT_READY, "no_answer", NULL,
				    NULL);
	else
		acd_agent_make_ready(a, NULL);
	acd_leave(a->acd);

	return 0;
}


/**
 * The consulted agent takes the call over: on it as if it had answered
 * it from the queue (counted as a call answered; wrap-up when it ends).
 *
 * @return 0, EALREADY (not reserved or not answered)
 */
int acd_consult_take(struct acd_agent *a, uint64_t now)
{
	if (!a || !a->consulted || a->state != ACD_ON_CALL)
		return EALREADY;

	(void)now;
	a->consulted = false;
	a->misses_row = 0;
	++a->calls;

	return 0;
}


/** Whether the agent is reserved for a consultation. */
bool acd_agent_consulted(const struct acd_agent *a)
{
	return a && a->consulted;
}
