/* Queues: created, edited and removed by id; their live figures. */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include "acd/acd_int.h"


static void skills_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mem_deref(v[i]);

	mem_deref(v);
}


static void queue_destructor(void *arg)
{
	struct acd_queue *q = arg;

	skills_free((char **)q->cfg.skillv, q->cfg.skillc);
	acd_heap_reset(&q->waiting);
	acd_heap_reset(&q->ready);
	mem_deref(q->queue_id);
}


static bool queue_cmp(struct le *le, void *arg)
{
	const struct acd_queue *q = le->data;

	return 0 == str_cmp(q->queue_id, arg);
}


struct acd_queue *acd_queue_find(const struct acd *acd, const char *queue_id)
{
	if (!acd || !queue_id)
		return NULL;

	return list_ledata(hash_lookup(acd->queues, hash_joaat_str(queue_id),
				       queue_cmp, (void *)queue_id));
}


const char *acd_queue_id(const struct acd_queue *q)
{
	return q ? q->queue_id : NULL;
}


/* Our copy of cfg, with the skill ids duplicated. */
static int cfg_copy(struct acd_queue_cfg *dst, const struct acd_queue_cfg *cfg)
{
	char **v = NULL;

	*dst = *cfg;
	if (!dst->strategy)
		dst->strategy = acd_strategy_find(NULL);

	if (cfg->skillc) {
		v = mem_zalloc(cfg->skillc * sizeof(*v), NULL);
		if (!v)
			return ENOMEM;
	}

	for (size_t i = 0; i < cfg->skillc; i++) {
		if (!cfg->skillv[i] || str_dup(&v[i], cfg->skillv[i])) {
			skills_free(v, cfg->skillc);
			return cfg->skillv[i] ? ENOMEM : EINVAL;
		}
	}

	dst->skillv = (const char *const *)v;

	return 0;
}


/* A queue with leave_empty and no member logged in sends its calls
 * away (EMPTY). */
void acd_queue_check_empty(struct acd_queue *q)
{
	struct le *le;

	if (!q->cfg.leave_empty || q->nlogged || q->removed)
		return;

	while ((le = list_head(&q->calll))) {
		++q->cnt.emptied;
		acd_call_remove(le->data, ACD_LEFT_EMPTY, NULL);
	}
}


static int queue_new(struct acd *acd, struct acd_queue **qp,
		     const char *tenant_id, const char *queue_id)
{
	struct acd_queue *q;
	int err;

	err = acd_heap_reserve(&acd->dirty, acd->nqueues + 1);
	if (err)
		return err;

	q = mem_zalloc(sizeof(*q), queue_destructor);
	if (!q)
		return ENOMEM;

	q->acd = acd;
	q->tenant = acd_tenant_get(acd, tenant_id, true);
	err = str_dup(&q->queue_id, queue_id);
	if (err || !q->tenant) {
		mem_deref(q);
		return ENOMEM;
	}

	hash_append(acd->queues, hash_joaat_str(queue_id), &q->he, q);
	list_append(&q->tenant->queuel, &q->le_tenant, q);
	++acd->nqueues;
	*qp = q;

	return 0;
}


/* The strategy may have changed: rank the ready members again. The
 * heap is refilled from its own array, which it holds already. */
static void rerank(struct acd_queue *q)
{
	uint32_t n = q->ready.n;

	q->ready.n = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct acd_hnode *nd = q->ready.v[i];

		nd->idx = 0;
		acd_member_rank(nd->data);
	}

	for (uint32_t i = 0; i < n; i++)
		acd_heap_push(&q->ready, q->ready.v[i]);
}


/* max_wait may have changed: each call's deadline counts from its
 * arrival. */
static void rearm_maxwait(struct acd_queue *q)
{
	struct le *le;

	for (le = list_head(&q->calll); le; le = le->next)
		acd_call_arm_maxwait(le->data);
}


/**
 * Create a queue, or replace the configuration of an existing one: its
 * waiting calls keep their order, membership and offers follow the new
 * skills and strategy at once.
 *
 * @return 0 if success, otherwise errorcode (EINVAL: bad cfg or the id
 *         belongs to another tenant)
 */
int acd_queue_set(struct acd *acd, const char *tenant_id,
		  const char *queue_id, const struct acd_queue_cfg *cfg,
		  uint64_t now)
{
	struct acd_queue_cfg ncfg;
	struct acd_queue *q;
	struct le *le;
	int err = 0;

	if (!acd || !str_isset(tenant_id) || !str_isset(queue_id) || !cfg ||
	    (cfg->skillc && !cfg->skillv))
		return EINVAL;

	q = acd_queue_find(acd, queue_id);
	if (q && strcmp(q->tenant->tenant_id, tenant_id))
		return EINVAL;

	err = cfg_copy(&ncfg, cfg);
	if (err)
		return err;

	if (!q) {
		err = queue_new(acd, &q, tenant_id, queue_id);
		if (err) {
			skills_free((char **)ncfg.skillv, ncfg.skillc);
			return err;
		}
	}

	acd_enter(acd, now);
	skills_free((char **)q->cfg.skillv, q->cfg.skillc);
	q->cfg = ncfg;
	rerank(q);
	rearm_maxwait(q);

	for (le = list_head(&q->tenant->agentl); le; le = le->next)
		err |= acd_member_sync(q, le->data);

	acd_route_mark(q);
	acd_queue_check_empty(q);
	acd_leave(acd);

	return err ? ENOMEM : 0;
}


/**
 * Remove a queue: ringing agents are cancelled (QUEUE_GONE) and ready
 * again, every call leaves DELETED.
 */
void acd_queue_remove(struct acd *acd, const char *queue_id, uint64_t now)
{
	struct acd_queue *q = acd_queue_find(acd, queue_id);
	struct le *le;

	if (!q)
		return;

	acd_enter(acd, now);
	q->removed = true;
	--acd->nqueues;
	hash_unlink(&q->he);
	list_unlink(&q->le_tenant);
	list_unlink(&q->le_dirty);
	acd_heap_remove(&acd->dirty, &q->hn_dirty);

	while ((le = list_head(&q->memberl)))
		acd_member_drop(le->data);

	while ((le = list_head(&q->calll))) {
		acd_offers_cancel(le->data, ACD_CANCEL_QUEUE_GONE);
		acd_call_remove(le->data, ACD_LEFT_DELETED, NULL);
	}

	mem_deref(q);
	acd_leave(acd);
}


/**
 * The queue's live figures: calls in it, the oldest arrival, members by
 * state, and its counters.
 */
void acd_queue_stats(const struct acd_queue *q, struct acd_queue_stats *st)
{
	const struct le *le;

	if (!st)
		return;

	memset(st, 0, sizeof(*st));
	if (!q)
		return;

	/* callers only: a waiting consultation is an agent's, not one */
	st->waiting = q->ncalls - q->nconsults;
	for (le = list_head(&q->calll); le; le = le->next) {
		const struct acd_call *c = le->data;

		if (!c->consult) {
			st->oldest_since = c->joined;
			break;
		}
	}
	memcpy(st->by_state, q->by_state, sizeof(st->by_state));
	st->cnt = q->cnt;
}
