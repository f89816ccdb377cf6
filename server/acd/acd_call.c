/* Calls: joining a queue, waiting in order, answered or leaving. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "acd/acd_int.h"

/* Timers a call may have armed at once: max wait, sticky, ring. */
#define CALL_TIMERS 3


static void call_destructor(void *arg)
{
	struct acd_call *c = arg;

	list_flush(&c->offerl);
	list_unlink(&c->le_sticky);
	mem_deref(c->sticky_id);
	mem_deref(c->consult);
	mem_deref(c->q);
}


/* Priority first (higher first), then arrival. The key never changes,
 * so a call that comes back from an offer lands where it was. */
void acd_call_key(struct acd_call *c)
{
	c->hn.k[0] = (uint64_t)((int64_t)INT_MAX - c->priority);
	c->hn.k[1] = c->joined;
	c->hn.k[2] = c->seq;
}


/* The call waits for anyone now (back from an offer, or its sticky
 * wait is over). */
void acd_call_requeue(struct acd_call *c)
{
	struct acd *acd = c->q->acd;

	acd_timer_cancel(acd, &c->t_ring);
	c->st = ACD_CALL_WAITING;
	acd_heap_push(&c->q->waiting, &c->hn);
	acd_route_mark(c->q);
}


void acd_call_unstick(struct acd_call *c)
{
	if (c->st != ACD_CALL_STICKY)
		return;

	list_unlink(&c->le_sticky);
	c->sticky = NULL;
	acd_timer_cancel(c->q->acd, &c->t_sticky);
	acd_call_requeue(c);
}


/**
 * The call leaves the core: offers still ringing are withdrawn (the
 * agents are ready again: no miss, no wrap-up), then ops->call_left.
 *
 * @param a  Who answered (ACD_LEFT_ANSWERED), else NULL
 */
void acd_call_remove(struct acd_call *c, enum acd_left why,
		     struct acd_agent *a)
{
	struct acd_queue *q = c->q;
	struct acd *acd = q->acd;

	if (c->st == ACD_CALL_GONE)
		return;

	acd_offers_cancel(c, ACD_CANCEL_CALLER_GONE);
	list_unlink(&c->le_sticky);
	c->sticky = NULL;
	acd_heap_remove(&q->waiting, &c->hn);
	acd_timer_cancel(acd, &c->t_maxwait);
	acd_timer_cancel(acd, &c->t_sticky);
	acd_timer_cancel(acd, &c->t_ring);
	c->st = ACD_CALL_GONE;
	--q->ncalls;
	if (c->consult)
		--q->nconsults;
	acd->timers_want -= CALL_TIMERS;
	acd_emit_left(acd, c, why, a);
	acd_route_mark(q);

	/* q->calll owned the call; the message holds it now */
	list_unlink(&c->le_q);
	mem_deref(c);
}


static void maxwait_due(struct acd_timer *t, uint64_t now)
{
	struct acd_call *c = t->hn.data;
	(void)now;

	if (!c->consult)
		++c->q->cnt.timeouts;
	acd_call_remove(c, ACD_LEFT_TIMEOUT, NULL);
}


/* The call's max wait counts from its arrival (the queue's, as now; a
 * consultation always has one). */
void acd_call_arm_maxwait(struct acd_call *c)
{
	struct acd_queue *q = c->q;
	uint32_t ms = c->consult ? acd_consult_wait_ms(q) :
		q->cfg.max_wait_ms;

	if (ms)
		acd_timer_set(q->acd, &c->t_maxwait, c->joined + ms,
			      maxwait_due, c);
	else
		acd_timer_cancel(q->acd, &c->t_maxwait);
}


static void sticky_due(struct acd_timer *t, uint64_t now)
{
	(void)now;
	acd_call_unstick(t->hn.data);
}


/* Waits for its sticky agent first when that agent serves the queue and
 * is logged in; else for anyone at once. */
static void call_place(struct acd_call *c, const struct acd_join *j)
{
	struct acd_queue *q = c->q;
	struct acd *acd = q->acd;
	struct acd_agent *a = NULL;
	uint32_t wait = j->sticky_wait_ms ? j->sticky_wait_ms :
		q->cfg.sticky_wait_ms;

	if (wait && j->sticky_agent_id)
		a = acd_agent_find(acd, j->sticky_agent_id);

	if (!a || a->state == ACD_LOGGED_OUT || !acd_member_find(q, a)) {
		acd_call_requeue(c);
		return;
	}

	c->st = ACD_CALL_STICKY;
	c->sticky = a;
	list_append(&a->stickyl, &c->le_sticky, c);
	acd_timer_set(acd, &c->t_sticky, acd->now + wait, sticky_due, c);
	if (a->state == ACD_READY && !list_contains(&acd->stickyl,
						    &a->le_sticky))
		list_append(&acd->stickyl, &a->le_sticky, a);
}


/* A consultation is no caller: max_length (callers waiting) does not
 * hold it back, and it exists to wait for a ready agent, so "ready" asks
 * only for someone logged in. */
static int join_allowed(struct acd_queue *q, bool consult)
{
	if (!consult && q->cfg.max_length &&
	    q->ncalls - q->nconsults >= q->cfg.max_length)
		return ENOSPC;

	/* it would have to leave at once */
	if (q->cfg.leave_empty && !q->nlogged)
		return ENODEV;

	switch (q->cfg.join_empty) {

	case ACD_JOIN_LOGGED_IN:
		return q->nlogged ? 0 : ENODEV;

	case ACD_JOIN_READY:
		if (consult)
			return q->nlogged ? 0 : ENODEV;
		return q->by_state[ACD_READY] ? 0 : ENODEV;

	default:
		return 0;
	}
}


/**
 * A call joins a queue. It waits in priority-then-arrival order, or is
 * offered at once (*callp is set before any callback runs).
 *
 * @return 0 if success, otherwise errorcode (ENOENT: no such queue;
 *         ENOSPC: at max_length; ENODEV: join_empty refuses)
 */
int acd_call_join(struct acd *acd, struct acd_call **callp,
		  const char *queue_id, const struct acd_join *j,
		  uint64_t now)
{
	static const struct acd_join none;
	struct acd_queue *q;
	struct acd_call *c;
	int err;

	if (!acd || !callp)
		return EINVAL;

	q = acd_queue_find(acd, queue_id);
	if (!q)
		return ENOENT;

	if (!j)
		j = &none;

	err = join_allowed(q, j->consult != NULL);
	if (err) {
		if (!j->consult)
			++q->cnt.refused;
		return err;
	}

	err  = acd_heap_reserve(&q->waiting, q->ncalls + 1);
	err |= acd_heap_reserve(&acd->timers,
				acd->timers_want + CALL_TIMERS);
	if (err)
		return ENOMEM;

	c = mem_zalloc(sizeof(*c), call_destructor);
	if (!c)
		return ENOMEM;

	acd_enter(acd, now);
	c->q = mem_ref(q);
	c->arg = j->arg;
	c->consult = mem_ref(j->consult);
	/* ahead of every caller: a customer already holds for it */
	c->priority = j->consult ? INT_MAX : j->priority;
	c->joined = acd->now;
	c->seq = ++acd->seq;
	c->hn.data = c;
	acd_call_key(c);
	list_append(&q->calll, &c->le_q, c);
	++q->ncalls;
	if (c->consult)
		++q->nconsults;
	acd->timers_want += CALL_TIMERS;

	acd_call_arm_maxwait(c);
	call_place(c, j);
	*callp = c;
	acd_leave(acd);

	return 0;
}


/** The caller hung up: the call leaves ABANDONED (rings stop). */
void acd_call_leave(struct acd_call *c, uint64_t now)
{
	struct acd *acd;

	if (!c || c->st == ACD_CALL_GONE)
		return;

	acd = c->q->acd;
	acd_enter(acd, now);
	if (!c->consult)
		++c->q->cnt.abandoned;
	acd_call_remove(c, ACD_LEFT_ABANDONED, NULL);
	acd_leave(acd);
}


static bool offer_live(const struct acd_agent *a, const struct acd_call *c)
{
	return a && c && !a->removed && a->offer && a->offer->c == c &&
		c->st == ACD_CALL_RINGING;
}


/**
 * The agent answered the call it was offered. With ring-all, the first
 * answer wins and the other agents' offers are cancelled (TAKEN).
 *
 * @return 0 if success, otherwise errorcode (EALREADY: the offer is no
 *         longer live: taken by another agent, withdrawn or timed out)
 */
int acd_offer_answered(struct acd_agent *a, struct acd_call *c, uint64_t now)
{
	struct acd *acd;

	if (!offer_live(a, c))
		return EALREADY;

	acd = c->q->acd;
	acd_enter(acd, now);
	acd_offer_end(a->offer, ACD_CANCEL_TAKEN, false);
	acd_offers_cancel(c, ACD_CANCEL_TAKEN);
	++c->q->cnt.answered;
	++a->cnt.answered;
	++a->calls;
	a->misses_row = 0;
	acd_agent_set_state(a, ACD_ON_CALL, NULL, NULL, c);
	acd_call_remove(c, ACD_LEFT_ANSWERED, a);
	acd_leave(acd);

	return 0;
}


/**
 * The offer failed (busy, rejected, unreachable, no answer): a miss by
 * cause; the call goes back to its place and is offered again.
 *
 * @return 0 if success, otherwise errorcode (EALREADY: no live offer)
 */
int acd_offer_failed(struct acd_agent *a, struct acd_call *c,
		     enum acd_miss why, uint64_t now)
{
	struct acd *acd;

	if ((unsigned)why > ACD_MISS_UNREACHABLE)
		return EINVAL;

	if (!offer_live(a, c))
		return EALREADY;

	acd = c->q->acd;
	acd_enter(acd, now);
	acd_agent_miss(a, c, why, false);
	acd_leave(acd);

	return 0;
}


void *acd_call_arg(const struct acd_call *c)
{
	return c ? c->arg : NULL;
}


/**
 * The host's object behind the call is gone (the call ended while its
 * agent still wraps it up): the agent keeps the call, without its arg.
 */
void acd_call_forget_arg(struct acd_call *c)
{
	if (c)
		c->arg = NULL;
}


struct acd_queue *acd_call_queue(const struct acd_call *c)
{
	return c ? c->q : NULL;
}


uint64_t acd_call_joined(const struct acd_call *c)
{
	return c ? c->joined : 0;
}


/** The consulting agent's call, when entry is a waiting consultation. */
struct acd_call *acd_call_consult(const struct acd_call *entry)
{
	return entry ? entry->consult : NULL;
}


/**
 * The call's place in its queue, 1 first, counting every caller still
 * in the queue ahead of it (priority, then arrival; consultations are
 * not callers). O(n): for display.
 *
 * @return the position, 0 if the call left
 */
unsigned acd_call_position(const struct acd_call *c)
{
	unsigned pos = 1;
	struct le *le;

	if (!c || c->st == ACD_CALL_GONE)
		return 0;

	for (le = list_head(&c->q->calll); le; le = le->next) {
		const struct acd_call *o = le->data;

		if (!o->consult && acd_hnode_cmp(&o->hn, &c->hn) < 0)
			++pos;
	}

	return pos;
}
