/* Routing: which call is offered to which agent, and the offers. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "acd/acd_int.h"

/*
 * A queue may route when it has a waiting call and a ready member.
 * Whatever can make that true marks the queue (acd_route_mark); the
 * pass at the end of every operation takes the marked queues best first
 * — queue priority, then the wait of the call at the head — and makes
 * one offer from the best of them at a time. So an agent ready in
 * several queues gets the call of its highest-priority queue, then the
 * caller who waited longest, and every decision is a few heap
 * operations: O(log n) in calls and agents.
 *
 * A call back from a missed offer goes to another ready member if there
 * is one (the strategy's second best), else to the same agent again.
 * Sticky calls are not in the queue's heap: they wait on their agent,
 * who takes them first when ready, before its queues' other calls. A
 * waiting consultation at the head is not offered: its agent is
 * reserved for it (acd_consult_route), whatever the strategy.
 */


static void offer_destructor(void *arg)
{
	struct acd_offer *o = arg;

	list_unlink(&o->le);
}


void acd_route_mark(struct acd_queue *q)
{
	struct acd *acd = q->acd;

	if (q->removed || list_contains(&acd->dirtyl, &q->le_dirty))
		return;

	list_append(&acd->dirtyl, &q->le_dirty, q);
}


/**
 * An offer ends: the agent is no longer reserved by it (its state is the
 * caller's to set). The host hears offer_cancel only when notify is set
 * and the offer was delivered; an offer never delivered never will be.
 */
void acd_offer_end(struct acd_offer *o, enum acd_cancel why, bool notify)
{
	struct acd *acd = o->c->q->acd;

	o->live = false;
	if (o->a->offer == o)
		o->a->offer = NULL;

	if (notify && o->delivered)
		acd_emit_cancel(acd, o->a, o->c, why);

	list_unlink(&o->le);
	mem_deref(o);
}


/* Withdraw every offer of c; the agents are ready again, no miss. */
void acd_offers_cancel(struct acd_call *c, enum acd_cancel why)
{
	struct le *le;

	while ((le = list_head(&c->offerl))) {
		struct acd_offer *o = le->data;
		struct acd_agent *a = o->a;

		acd_offer_end(o, why, true);
		if (a->state == ACD_RINGING)
			acd_agent_make_ready(a, NULL);
	}

	acd_timer_cancel(c->q->acd, &c->t_ring);
}


static void ring_due(struct acd_timer *t, uint64_t now)
{
	struct acd_call *c = t->hn.data;
	struct le *le;
	(void)now;

	while ((le = list_head(&c->offerl))) {
		struct acd_offer *o = le->data;
		struct acd_agent *a = o->a;

		acd_offer_end(o, ACD_CANCEL_TIMEOUT, true);
		acd_agent_miss(a, c, ACD_MISS_NO_ANSWER, false);
	}
}


static int offer(struct acd_call *c, struct acd_agent *a)
{
	struct acd_queue *q = c->q;
	struct acd *acd = q->acd;
	struct acd_member *m = acd_member_find(q, a);
	struct acd_offer *o;

	o = mem_zalloc(sizeof(*o), offer_destructor);
	if (!o)
		return ENOMEM;

	o->a = a;
	o->c = c;
	o->live = true;
	list_append(&c->offerl, &o->le, o);
	a->offer = o;
	if (m)
		m->last_offer = ++q->offers;

	++q->cnt.offered;
	++a->cnt.offered;

	acd_heap_remove(&q->waiting, &c->hn);
	list_unlink(&c->le_sticky);
	c->sticky = NULL;
	acd_timer_cancel(acd, &c->t_sticky);
	c->st = ACD_CALL_RINGING;
	if (q->cfg.ring_timeout_ms && !acd_hnode_linked(&c->t_ring.hn))
		acd_timer_set(acd, &c->t_ring,
			      acd->now + q->cfg.ring_timeout_ms, ring_due, c);

	acd_agent_set_state(a, ACD_RINGING, NULL, NULL, c);
	acd_emit_offer(acd, o);

	return 0;
}


/* The best ready member for c: the strategy's first, unless that is the
 * agent who just missed c and someone else is ready (the second best is
 * one of the heap root's children). */
static struct acd_agent *best_agent(const struct acd_queue *q,
				    const struct acd_call *c)
{
	const struct acd_hnode *top = acd_heap_at(&q->ready, 0);
	const struct acd_hnode *l, *r;
	const struct acd_member *m;

	if (!top)
		return NULL;

	m = top->data;
	if (!c->missed || m->a->seq != c->missed)
		return m->a;

	l = acd_heap_at(&q->ready, 1);
	r = acd_heap_at(&q->ready, 2);
	if (l && r && acd_hnode_cmp(r, l) < 0)
		l = r;

	return l ? ((const struct acd_member *)l->data)->a : m->a;
}


/* One decision in q. @return true if an offer was made */
static bool route_one(struct acd_queue *q)
{
	struct acd_hnode *nd = acd_heap_at(&q->waiting, 0);
	struct acd_call *c;
	struct acd_agent *a;
	bool offered = false;

	if (!nd)
		return false;

	c = nd->data;
	if (c->consult)
		return acd_consult_route(q, c);

	if (!q->cfg.strategy->ring_all) {
		a = best_agent(q, c);
		return a && 0 == offer(c, a);
	}

	while ((nd = acd_heap_at(&q->ready, 0))) {
		struct acd_member *m = nd->data;

		if (offer(c, m->a))
			break;
		offered = true;
	}

	return offered;
}


/* A ready agent with sticky calls takes the best of them: its highest
 * priority queue, then the call's own order. */
static void route_sticky(struct acd_agent *a)
{
	struct acd_call *best = NULL;
	struct le *le;

	for (le = list_head(&a->stickyl); le; le = le->next) {
		struct acd_call *c = le->data;

		if (!best || c->q->cfg.priority > best->q->cfg.priority ||
		    (c->q->cfg.priority == best->q->cfg.priority &&
		     acd_hnode_cmp(&c->hn, &best->hn) < 0))
			best = c;
	}

	if (best)
		(void)offer(best, a);
}


static void dirty_key(struct acd_queue *q)
{
	const struct acd_hnode *head = acd_heap_at(&q->waiting, 0);

	q->hn_dirty.k[0] = (uint64_t)((int64_t)INT_MAX - q->cfg.priority);
	q->hn_dirty.k[1] = head ? head->k[1] : 0;
	q->hn_dirty.k[2] = head ? head->k[2] : 0;
	q->hn_dirty.data = q;
}


/* Marked queues join the heap of queues that can route now. */
static void dirty_merge(struct acd *acd)
{
	struct le *le;

	while ((le = list_head(&acd->dirtyl))) {
		struct acd_queue *q = le->data;

		list_unlink(le);
		acd_heap_remove(&acd->dirty, &q->hn_dirty);
		if (q->removed || !q->waiting.n || !q->ready.n)
			continue;

		dirty_key(q);
		acd_heap_push(&acd->dirty, &q->hn_dirty);
	}
}


/**
 * Make every offer that is due, until no queue has both a waiting call
 * and a ready member that may take it.
 */
void acd_route_settle(struct acd *acd)
{
	for (;;) {
		struct acd_hnode *nd;
		struct le *le;

		if ((le = list_head(&acd->stickyl))) {
			struct acd_agent *a = le->data;

			list_unlink(le);
			if (a->state == ACD_READY)
				route_sticky(a);
			continue;
		}

		dirty_merge(acd);
		nd = acd_heap_at(&acd->dirty, 0);
		if (!nd)
			break;

		acd_heap_remove(&acd->dirty, nd);
		if (route_one(nd->data))
			acd_route_mark(nd->data);
	}
}
