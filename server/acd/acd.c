/* The routing core: its lifetime, the outbox of callbacks, the clock. */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include "acd/acd_int.h"

/*
 * Every public entry point runs acd_enter() .. acd_leave(): the change,
 * then the routing pass (acd_route_settle), then, for the outermost
 * call only, the outbox. A callback may call back into the core; its
 * changes settle at once and its messages queue behind the ones being
 * delivered, so the host sees every agent's transitions in order.
 */

enum msg_type {
	MSG_OFFER,
	MSG_CANCEL,
	MSG_STATE,
	MSG_LEFT,
};

struct acd_msg {
	struct le le;
	enum msg_type type;
	struct acd_agent *a;     /**< (ref) */
	struct acd_call *c;      /**< (ref) */
	struct acd_offer *o;     /**< (ref) */
	struct acd_queue *q;     /**< (ref) */
	int why;
	struct acd_transition t;
	char *reason;
	char *forced_by;
};


static void msg_destructor(void *arg)
{
	struct acd_msg *m = arg;

	list_unlink(&m->le);
	mem_deref(m->a);
	mem_deref(m->c);
	mem_deref(m->o);
	mem_deref(m->q);
	mem_deref(m->reason);
	mem_deref(m->forced_by);
}


static void tenant_destructor(void *arg)
{
	struct acd_tenant *t = arg;

	hash_unlink(&t->he);
	mem_deref(t->tenant_id);
}


static bool queue_teardown(struct le *le, void *arg)
{
	struct acd_queue *q = le->data;
	(void)arg;

	/* calls reference their queue: free them before the queue */
	list_flush(&q->calll);
	list_flush(&q->memberl);

	return false;
}


static void destructor(void *arg)
{
	struct acd *acd = arg;

	list_flush(&acd->outbox);
	hash_apply(acd->queues, queue_teardown, NULL);
	hash_flush(acd->agents);
	hash_flush(acd->queues);
	hash_flush(acd->tenants);
	mem_deref(acd->agents);
	mem_deref(acd->queues);
	mem_deref(acd->tenants);
	acd_heap_reset(&acd->timers);
	acd_heap_reset(&acd->dirty);
}


/**
 * Allocate a routing core.
 *
 * @param acdp  Where to store the core
 * @param ops   Callbacks (must outlive the core)
 * @param arg   Their argument
 *
 * @return 0 if success, otherwise errorcode
 */
int acd_alloc(struct acd **acdp, const struct acd_ops *ops, void *arg)
{
	struct acd *acd;
	int err;

	if (!acdp || !ops)
		return EINVAL;

	acd = mem_zalloc(sizeof(*acd), destructor);
	if (!acd)
		return ENOMEM;

	acd->ops = ops;
	acd->arg = arg;

	err  = hash_alloc(&acd->queues, 256);
	err |= hash_alloc(&acd->agents, 1024);
	err |= hash_alloc(&acd->tenants, 64);
	if (err) {
		err = ENOMEM;
		goto out;
	}

	err = acd_heap_reserve(&acd->timers, 64);

 out:
	if (err)
		mem_deref(acd);
	else
		*acdp = acd;

	return err;
}


static bool tenant_cmp(struct le *le, void *arg)
{
	const struct acd_tenant *t = le->data;

	return 0 == str_cmp(t->tenant_id, arg);
}


struct acd_tenant *acd_tenant_get(struct acd *acd, const char *tenant_id,
				  bool create)
{
	struct acd_tenant *t;
	uint32_t key = hash_joaat_str(tenant_id);

	t = list_ledata(hash_lookup(acd->tenants, key, tenant_cmp,
				    (void *)tenant_id));
	if (t || !create)
		return t;

	t = mem_zalloc(sizeof(*t), tenant_destructor);
	if (!t)
		return NULL;

	if (str_dup(&t->tenant_id, tenant_id)) {
		mem_deref(t);
		return NULL;
	}

	hash_append(acd->tenants, key, &t->he, t);

	return t;
}


void acd_enter(struct acd *acd, uint64_t now)
{
	++acd->depth;
	if (now > acd->now)
		acd->now = now;
}


static void deliver_offer(struct acd *acd, struct acd_msg *m)
{
	int err;

	if (!m->o->live)
		return;

	m->o->delivered = true;
	err = acd->ops->offer ? acd->ops->offer(m->a, m->c, acd->arg) : 0;
	if (!err || !m->o->live)
		return;

	/* the device cannot be rung at all: a miss, and the agent is not
	 * offered again until someone makes it ready */
	acd_enter(acd, acd->now);
	acd_agent_miss(m->a, m->c, ACD_MISS_UNREACHABLE, true);
	acd_leave(acd);
}


static void deliver(struct acd *acd, struct acd_msg *m)
{
	const struct acd_ops *ops = acd->ops;

	switch (m->type) {

	case MSG_OFFER:
		deliver_offer(acd, m);
		break;

	case MSG_CANCEL:
		if (ops->offer_cancel)
			ops->offer_cancel(m->a, m->c, m->why, acd->arg);
		break;

	case MSG_STATE:
		if (ops->agent_state)
			ops->agent_state(m->a, &m->t, acd->arg);
		break;

	case MSG_LEFT:
		if (ops->call_left)
			ops->call_left(m->c, m->why, m->a, acd->arg);
		break;
	}
}


static void drain(struct acd *acd)
{
	struct le *le;

	acd->draining = true;
	while ((le = list_head(&acd->outbox))) {
		struct acd_msg *m = le->data;

		list_unlink(le);
		deliver(acd, m);
		mem_deref(m);
	}
	acd->draining = false;
}


void acd_leave(struct acd *acd)
{
	acd_route_settle(acd);
	if (--acd->depth == 0 && !acd->draining) {
		mem_ref(acd);
		drain(acd);
		mem_deref(acd);
	}
}


static struct acd_msg *msg_new(struct acd *acd, enum msg_type type,
			       struct acd_agent *a, struct acd_call *c)
{
	struct acd_msg *m = mem_zalloc(sizeof(*m), msg_destructor);

	/* out of memory: the message is lost, the core stays consistent */
	if (!m)
		return NULL;

	m->type = type;
	m->a = mem_ref(a);
	m->c = mem_ref(c);
	list_append(&acd->outbox, &m->le, m);

	return m;
}


void acd_emit_offer(struct acd *acd, struct acd_offer *o)
{
	struct acd_msg *m = msg_new(acd, MSG_OFFER, o->a, o->c);

	if (m)
		m->o = mem_ref(o);
}


void acd_emit_cancel(struct acd *acd, struct acd_agent *a,
		     struct acd_call *c, enum acd_cancel why)
{
	struct acd_msg *m = msg_new(acd, MSG_CANCEL, a, c);

	if (m)
		m->why = why;
}


void acd_emit_left(struct acd *acd, struct acd_call *c, enum acd_left why,
		   struct acd_agent *a)
{
	struct acd_msg *m = msg_new(acd, MSG_LEFT, a, c);

	if (m)
		m->why = why;
}


void acd_emit_state(struct acd *acd, struct acd_agent *a,
		    const struct acd_transition *t)
{
	struct acd_msg *m = msg_new(acd, MSG_STATE, a, t->call);

	if (!m)
		return;

	m->t = *t;
	m->q = mem_ref(t->queue);
	(void)str_dup(&m->reason, t->reason ? t->reason : "");
	if (t->forced_by)
		(void)str_dup(&m->forced_by, t->forced_by);
	m->t.reason = m->reason ? m->reason : "";
	m->t.forced_by = m->forced_by;
}


void acd_timer_set(struct acd *acd, struct acd_timer *t, uint64_t at,
		   acd_timer_h *h, void *data)
{
	acd_heap_remove(&acd->timers, &t->hn);
	t->hn.k[0] = at;
	t->hn.k[1] = ++acd->seq;
	t->hn.data = data;
	t->h = h;
	acd_heap_push(&acd->timers, &t->hn);
}


void acd_timer_cancel(struct acd *acd, struct acd_timer *t)
{
	acd_heap_remove(&acd->timers, &t->hn);
}


/**
 * Run what is due at now: ring timeouts, max waits, sticky waits and
 * wrap-up ends, in deadline order.
 *
 * @param acd  The core
 * @param now  Monotonic ms
 */
void acd_tick(struct acd *acd, uint64_t now)
{
	struct acd_hnode *nd;

	if (!acd)
		return;

	acd_enter(acd, now);
	while ((nd = acd_heap_at(&acd->timers, 0)) && nd->k[0] <= now) {
		struct acd_timer *t = (struct acd_timer *)nd;

		acd_heap_remove(&acd->timers, nd);
		t->h(t, now);
	}
	acd_leave(acd);
}


/**
 * When acd_tick() has work next.
 *
 * @param acd  The core
 *
 * @return monotonic ms of the next deadline, 0 if none
 */
uint64_t acd_next_deadline(const struct acd *acd)
{
	const struct acd_hnode *nd = acd ? acd_heap_at(&acd->timers, 0) : NULL;

	if (!nd)
		return 0;

	return nd->k[0] ? nd->k[0] : 1;
}
