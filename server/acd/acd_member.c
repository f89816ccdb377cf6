/* Membership: which agents serve which queue, at which level. */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "acd/acd_int.h"


static void member_destructor(void *arg)
{
	struct acd_member *m = arg;

	list_unlink(&m->le_q);
	list_unlink(&m->le_a);
}


struct acd_member *acd_member_find(const struct acd_queue *q,
				   const struct acd_agent *a)
{
	struct le *le;

	for (le = list_head(&a->memberl); le; le = le->next) {
		struct acd_member *m = le->data;

		if (m->q == q)
			return m;
	}

	return NULL;
}


/* An agent holds all of the queue's skills: its level is the worst of
 * them. A queue without skills takes every agent of its tenant. */
static bool member_level(const struct acd_queue *q,
			 const struct acd_agent *a, unsigned *levelp)
{
	unsigned level = 1;

	if (q->removed || a->removed || q->tenant != a->tenant)
		return false;

	for (size_t i = 0; i < q->cfg.skillc; i++) {
		bool found = false;

		for (size_t j = 0; j < a->skillc; j++) {
			if (strcmp(q->cfg.skillv[i], a->skillv[j].skill_id))
				continue;

			found = true;
			if (a->skillv[j].level > level)
				level = a->skillv[j].level;
			break;
		}

		if (!found)
			return false;
	}

	*levelp = level;

	return true;
}


void acd_member_rank(struct acd_member *m)
{
	const struct acd_agent *a = m->a;
	struct acd_rank_in in = {
		.level = m->level,
		.idle_since = a->idle_since,
		.last_offer = m->last_offer,
		.calls = a->calls,
		.order = a->order,
	};
	uint64_t key[2] = {0, 0};

	m->q->cfg.strategy->rank(key, &in);
	m->hn.k[0] = key[0];
	m->hn.k[1] = key[1];
	m->hn.k[2] = a->seq;
}


/* An agent of q changed state: counts and the ready heap follow. */
void acd_member_state(struct acd_member *m, enum acd_agent_state from,
		      enum acd_agent_state to)
{
	struct acd_queue *q = m->q;

	--q->by_state[from];
	++q->by_state[to];
	if (from == ACD_LOGGED_OUT && to != ACD_LOGGED_OUT)
		++q->nlogged;
	else if (from != ACD_LOGGED_OUT && to == ACD_LOGGED_OUT)
		--q->nlogged;

	if (to == ACD_READY && !acd_hnode_linked(&m->hn)) {
		acd_member_rank(m);
		acd_heap_push(&q->ready, &m->hn);
		acd_route_mark(q);
	}
	else if (to != ACD_READY) {
		acd_heap_remove(&q->ready, &m->hn);
	}
}


void acd_member_drop(struct acd_member *m)
{
	struct acd_queue *q = m->q;

	acd_heap_remove(&q->ready, &m->hn);
	--q->by_state[m->a->state];
	if (m->a->state != ACD_LOGGED_OUT)
		--q->nlogged;

	mem_deref(m);
}


static int member_add(struct acd_queue *q, struct acd_agent *a,
		      unsigned level)
{
	struct acd_member *m;
	int err;

	err = acd_heap_reserve(&q->ready, list_count(&q->memberl) + 1);
	if (err)
		return err;

	m = mem_zalloc(sizeof(*m), member_destructor);
	if (!m)
		return ENOMEM;

	m->q = q;
	m->a = a;
	m->level = level;
	m->hn.data = m;
	list_append(&q->memberl, &m->le_q, m);
	list_append(&a->memberl, &m->le_a, m);

	++q->by_state[a->state];
	if (a->state != ACD_LOGGED_OUT)
		++q->nlogged;

	if (a->state == ACD_READY) {
		acd_member_rank(m);
		acd_heap_push(&q->ready, &m->hn);
		acd_route_mark(q);
	}

	return 0;
}


/* a no longer serves q: it stops ringing q's call, and q's calls that
 * waited for a as their sticky agent wait for anyone. */
static void member_leave(struct acd_member *m)
{
	struct acd_queue *q = m->q;
	struct acd_agent *a = m->a;
	struct le *le;

	acd_member_drop(m);

	le = list_head(&a->stickyl);
	while (le) {
		struct acd_call *c = le->data;

		le = le->next;
		if (c->q == q)
			acd_call_unstick(c);
	}

	if (a->offer && a->offer->c->q == q) {
		struct acd_call *c = a->offer->c;

		acd_offer_end(a->offer, ACD_CANCEL_NOT_MEMBER, true);
		acd_agent_make_ready(a, NULL);
		if (list_isempty(&c->offerl))
			acd_call_requeue(c);
	}

	acd_queue_check_empty(q);
}


/**
 * Bring a's membership of q in line with skills, tenant and queue.
 *
 * @return 0 if success, otherwise errorcode (ENOMEM: unchanged)
 */
int acd_member_sync(struct acd_queue *q, struct acd_agent *a)
{
	struct acd_member *m = acd_member_find(q, a);
	unsigned level = 0;

	if (!member_level(q, a, &level)) {
		if (m)
			member_leave(m);
		return 0;
	}

	if (!m)
		return member_add(q, a, level);

	if (m->level != level) {
		m->level = level;
		if (acd_hnode_linked(&m->hn)) {
			acd_member_rank(m);
			acd_heap_update(&q->ready, &m->hn);
		}
	}

	return 0;
}
