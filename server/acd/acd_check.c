/* acd_check(): the routing core's invariants, verified from scratch. */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_list.h>
#include <re_hash.h>
#include "acd/acd_int.h"

struct check {
	char *why;
	size_t sz;
	int err;
};


static bool fail(struct check *ck, const char *what, const char *id)
{
	if (ck->why && ck->sz)
		re_snprintf(ck->why, ck->sz, "%s (%s)", what, id ? id : "");

	ck->err = EINVAL;

	return true;
}


static bool in_heap(const struct acd_heap *h, const struct acd_hnode *nd)
{
	return nd->idx && nd->idx <= h->n && h->v[nd->idx - 1] == nd;
}


static bool needs_call(enum acd_agent_state st)
{
	return st == ACD_RINGING || st == ACD_ON_CALL || st == ACD_WRAP_UP;
}


static bool check_offer(struct check *ck, const struct acd_agent *a)
{
	const struct acd_offer *o = a->offer;
	const struct acd_call *c;

	if (!a->consulted && (a->state == ACD_RINGING) != (o != NULL))
		return fail(ck, "ringing if and only if offered", a->agent_id);

	if (a->consulted && (o || (a->state != ACD_RINGING &&
				   a->state != ACD_ON_CALL)))
		return fail(ck, "consulted agent offered a call, or idle",
			    a->agent_id);

	if (!o)
		return false;

	c = o->c;
	if (!o->live || o->a != a || !list_contains(&c->offerl, &o->le))
		return fail(ck, "offer not live", a->agent_id);

	if (c->st != ACD_CALL_RINGING || a->call != c)
		return fail(ck, "offered call not ringing", a->agent_id);

	if (c->q->removed || !acd_member_find(c->q, a))
		return fail(ck, "offered a call of a queue it does not serve",
			    a->agent_id);

	return false;
}


static bool check_agent(struct le *le, void *arg)
{
	struct check *ck = arg;
	const struct acd_agent *a = le->data;
	struct le *ml;

	if (check_offer(ck, a))
		return true;

	if (needs_call(a->state) != (a->call != NULL))
		return fail(ck, "call held in the wrong state", a->agent_id);

	if ((a->state == ACD_WRAP_UP) != acd_hnode_linked(&a->t_wrapup.hn))
		return fail(ck, "wrap-up timer out of step", a->agent_id);

	if (a->state == ACD_READY && !list_isempty(&a->stickyl))
		return fail(ck, "sticky call waits for a ready agent",
			    a->agent_id);

	if (a->state == ACD_LOGGED_OUT && !list_isempty(&a->stickyl))
		return fail(ck, "sticky call waits for a logged out agent",
			    a->agent_id);

	for (ml = list_head(&a->memberl); ml; ml = ml->next) {
		const struct acd_member *m = ml->data;

		if (m->a != a || m->q->removed)
			return fail(ck, "membership broken", a->agent_id);

		if ((a->state == ACD_READY) != in_heap(&m->q->ready, &m->hn))
			return fail(ck, "ready if and only if in ready heap",
				    a->agent_id);
	}

	return false;
}


static bool check_call(struct check *ck, const struct acd_queue *q,
		       const struct acd_call *c)
{
	const struct le *le;

	if (c->q != q || c->st == ACD_CALL_GONE)
		return fail(ck, "call listed in the wrong queue", q->queue_id);

	if ((c->st == ACD_CALL_WAITING) != in_heap(&q->waiting, &c->hn))
		return fail(ck, "waiting if and only if in the queue's heap",
			    q->queue_id);

	if (c->consult && c->st != ACD_CALL_WAITING)
		return fail(ck, "a consultation offered or sticky",
			    q->queue_id);

	if ((c->st == ACD_CALL_STICKY) != (c->sticky != NULL))
		return fail(ck, "sticky call without its agent", q->queue_id);

	if (c->sticky && !list_contains(&c->sticky->stickyl, &c->le_sticky))
		return fail(ck, "sticky call not on its agent", q->queue_id);

	if ((c->st == ACD_CALL_RINGING) != !list_isempty(&c->offerl))
		return fail(ck, "ringing if and only if offered", q->queue_id);

	for (le = list_head(&c->offerl); le; le = le->next) {
		const struct acd_offer *o = le->data;

		if (!o->live || o->a->offer != o || o->c != c)
			return fail(ck, "agent offered two calls",
				    q->queue_id);
	}

	return false;
}


static bool check_members(struct check *ck, const struct acd_queue *q)
{
	unsigned by_state[ACD_OUTBOUND + 1] = {0};
	unsigned nlogged = 0;
	const struct le *le;

	for (le = list_head(&q->memberl); le; le = le->next) {
		const struct acd_member *m = le->data;

		if (m->q != q || m->a->removed || m->a->tenant != q->tenant)
			return fail(ck, "member of another tenant",
				    q->queue_id);

		++by_state[m->a->state];
		if (m->a->state != ACD_LOGGED_OUT)
			++nlogged;
	}

	if (memcmp(by_state, q->by_state, sizeof(by_state)) ||
	    nlogged != q->nlogged)
		return fail(ck, "members by state miscounted", q->queue_id);

	if (q->ready.n != by_state[ACD_READY])
		return fail(ck, "ready heap miscounted", q->queue_id);

	return false;
}


static bool check_queue(struct le *le, void *arg)
{
	struct check *ck = arg;
	const struct acd_queue *q = le->data;
	unsigned n = 0, waiting = 0, consults = 0;
	const struct le *cl;

	if (!acd_heap_valid(&q->waiting) || !acd_heap_valid(&q->ready))
		return fail(ck, "heap out of order", q->queue_id);

	for (cl = list_head(&q->calll); cl; cl = cl->next) {
		const struct acd_call *c = cl->data;

		if (check_call(ck, q, c))
			return true;

		++n;
		if (c->st == ACD_CALL_WAITING)
			++waiting;
		if (c->consult)
			++consults;
	}

	if (n != q->ncalls || waiting != q->waiting.n ||
	    consults != q->nconsults)
		return fail(ck, "calls miscounted", q->queue_id);

	if (check_members(ck, q))
		return true;

	if (q->waiting.n && q->ready.n)
		return fail(ck, "a call waits while a member is ready",
			    q->queue_id);

	if (q->cfg.leave_empty && !q->nlogged && q->ncalls)
		return fail(ck, "calls wait in an empty leave_empty queue",
			    q->queue_id);

	return false;
}


/**
 * Verify the core's invariants (see acd.h) from scratch, at rest.
 *
 * @param acd  The core
 * @param why  Filled with the broken invariant, if any
 * @param sz   Size of why
 *
 * @return 0 if all hold, EINVAL if one is broken
 */
int acd_check(const struct acd *acd, char *why, size_t sz)
{
	struct check ck = {why, sz, 0};

	if (why && sz)
		why[0] = '\0';

	if (!acd)
		return EINVAL;

	if (acd->depth || !list_isempty(&acd->outbox))
		fail(&ck, "not at rest", NULL);
	else if (!acd_heap_valid(&acd->timers))
		fail(&ck, "timer heap out of order", NULL);
	else if (!hash_apply(acd->agents, check_agent, &ck))
		(void)hash_apply(acd->queues, check_queue, &ck);

	return ck.err;
}
