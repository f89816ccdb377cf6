/* Agents: one state machine per agent across all of its queues. */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include "acd/acd_int.h"


static void skills_free(struct acd_agent_skill *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mem_deref(v[i].skill_id);

	mem_deref(v);
}


static void agent_destructor(void *arg)
{
	struct acd_agent *a = arg;

	skills_free(a->skillv, a->skillc);
	mem_deref(a->agent_id);
	mem_deref(a->reason);
	mem_deref(a->reason_after);
	mem_deref(a->call);
}


static bool agent_cmp(struct le *le, void *arg)
{
	const struct acd_agent *a = le->data;

	return 0 == str_cmp(a->agent_id, arg);
}


struct acd_agent *acd_agent_find(const struct acd *acd, const char *agent_id)
{
	if (!acd || !agent_id)
		return NULL;

	return list_ledata(hash_lookup(acd->agents, hash_joaat_str(agent_id),
				       agent_cmp, (void *)agent_id));
}


/**
 * Change a's state. Every member queue's counts and ready heap follow,
 * and the transition is queued for ops->agent_state.
 *
 * @param c  The call a rings, talks on or wraps up (NULL otherwise)
 */
void acd_agent_set_state(struct acd_agent *a, enum acd_agent_state to,
			 const char *reason, const char *forced_by,
			 struct acd_call *c)
{
	struct acd *acd = a->acd;
	struct acd_transition t = {
		.from = a->state,
		.to = to,
		.reason = reason ? reason : "",
		.forced_by = forced_by,
		.call = c,
		.queue = c ? c->q : NULL,
		.at = acd->now,
	};
	struct le *le;

	a->state = to;
	a->since = acd->now;
	if (to != ACD_RINGING && to != ACD_ON_CALL)
		a->consulted = false;      /* a forced logout ends it */
	a->reason = mem_deref(a->reason);
	if (to == ACD_NOT_READY)
		(void)str_dup(&a->reason, t.reason);

	if (c != a->call) {
		mem_deref(a->call);
		a->call = mem_ref(c);
	}

	for (le = list_head(&a->memberl); le; le = le->next)
		acd_member_state(le->data, t.from, to);

	acd_emit_state(acd, a, &t);

	if (to == ACD_READY && !list_isempty(&a->stickyl) &&
	    !list_contains(&acd->stickyl, &a->le_sticky))
		list_append(&acd->stickyl, &a->le_sticky, a);
}


/* The agent is free again; idle_since is the caller's to set. */
void acd_agent_make_ready(struct acd_agent *a, const char *forced_by)
{
	acd_agent_set_state(a, ACD_READY, NULL, forced_by, NULL);
}


static void queues_check_empty(struct acd_agent *a)
{
	struct le *le = list_head(&a->memberl);

	while (le) {
		struct acd_member *m = le->data;

		le = le->next;
		acd_queue_check_empty(m->q);
	}
}


static void release_sticky(struct acd_agent *a)
{
	struct le *le;

	while ((le = list_head(&a->stickyl)))
		acd_call_unstick(le->data);

	list_unlink(&a->le_sticky);
}


/* a stops ringing: its call goes back to its place in the queue. */
static void ring_drop(struct acd_agent *a, enum acd_cancel why)
{
	struct acd_call *c;

	if (!a->offer)
		return;

	c = a->offer->c;
	acd_offer_end(a->offer, why, true);
	if (list_isempty(&c->offerl))
		acd_call_requeue(c);
}


/**
 * An offer to a ended without an answer: count the miss by cause, then
 * a is ready again, or not ready ("no_answer") after the queue's
 * miss_limit misses in a row; offline: not ready ("device_offline").
 */
void acd_agent_miss(struct acd_agent *a, struct acd_call *c,
		    enum acd_miss why, bool offline)
{
	unsigned limit = c->q->cfg.miss_limit;

	if (a->offer && a->offer->c == c)
		acd_offer_end(a->offer, ACD_CANCEL_TIMEOUT, false);

	++a->cnt.misses[why];
	++c->q->cnt.misses[why];
	++a->misses_row;
	c->missed = a->seq;

	if (offline)
		acd_agent_set_state(a, ACD_NOT_READY, "device_offline", NULL,
				    NULL);
	else if (limit && a->misses_row >= limit)
		acd_agent_set_state(a, ACD_NOT_READY, "no_answer", NULL,
				    NULL);
	else
		acd_agent_make_ready(a, NULL);

	if (c->st == ACD_CALL_RINGING && list_isempty(&c->offerl))
		acd_call_requeue(c);
}


static int skills_copy(struct acd_agent_skill **vp,
		       const struct acd_skill *skillv, size_t skillc)
{
	struct acd_agent_skill *v;

	if (!skillc) {
		*vp = NULL;
		return 0;
	}

	v = mem_zalloc(skillc * sizeof(*v), NULL);
	if (!v)
		return ENOMEM;

	for (size_t i = 0; i < skillc; i++) {
		if (!skillv[i].skill_id || str_dup(&v[i].skill_id,
						   skillv[i].skill_id)) {
			skills_free(v, skillc);
			return skillv[i].skill_id ? ENOMEM : EINVAL;
		}
		v[i].level = skillv[i].level ? skillv[i].level : 1;
	}

	*vp = v;

	return 0;
}


/* Membership of every queue of the tenant follows a's skills. */
static int sync_queues(struct acd_agent *a)
{
	struct le *le;
	int err = 0;

	for (le = list_head(&a->tenant->queuel); le; le = le->next)
		err |= acd_member_sync(le->data, a);

	return err ? ENOMEM : 0;
}


/**
 * Add an agent (logged out). The host adds every agent of every tenant.
 *
 * @param order  Work number: the order of top-down and round robin
 * @param arg    The host's agent
 *
 * @return 0 if success, otherwise errorcode (EEXIST: id taken)
 */
int acd_agent_add(struct acd *acd, struct acd_agent **agentp,
		  const char *tenant_id, const char *agent_id,
		  uint32_t order, void *arg)
{
	struct acd_agent *a;
	int err;

	if (!acd || !str_isset(tenant_id) || !str_isset(agent_id))
		return EINVAL;

	if (acd_agent_find(acd, agent_id))
		return EEXIST;

	err = acd_heap_reserve(&acd->timers, acd->timers_want + 1);
	if (err)
		return err;

	a = mem_zalloc(sizeof(*a), agent_destructor);
	if (!a)
		return ENOMEM;

	a->acd = acd;
	a->order = order;
	a->arg = arg;
	a->seq = ++acd->seq;
	a->t_wrapup.hn.data = a;
	a->tenant = acd_tenant_get(acd, tenant_id, true);
	err = str_dup(&a->agent_id, agent_id);
	if (err || !a->tenant) {
		mem_deref(a);
		return ENOMEM;
	}

	hash_append(acd->agents, hash_joaat_str(agent_id), &a->he, a);
	list_append(&a->tenant->agentl, &a->le_tenant, a);
	++acd->timers_want;

	err = sync_queues(a);
	if (agentp)
		*agentp = a;

	return err;
}


/**
 * Remove an agent: logged out first (cancelling what it rings), then
 * forgotten. The pointer is invalid once this returns.
 */
void acd_agent_remove(struct acd_agent *a, uint64_t now)
{
	struct acd *acd;
	struct le *le;

	if (!a || a->removed)
		return;

	acd = a->acd;
	acd_enter(acd, now);
	if (a->state != ACD_LOGGED_OUT)
		(void)acd_agent_logout(a, NULL, now);

	a->removed = true;
	release_sticky(a);
	while ((le = list_head(&a->memberl)))
		acd_member_drop(le->data);

	acd_timer_cancel(acd, &a->t_wrapup);
	--acd->timers_want;
	hash_unlink(&a->he);
	list_unlink(&a->le_tenant);
	mem_deref(a);
	acd_leave(acd);
}


/**
 * Replace an agent's skills; its queues follow at once (a ringing agent
 * that no longer serves the call's queue stops ringing).
 *
 * @return 0 if success, otherwise errorcode
 */
int acd_agent_set_skills(struct acd_agent *a, const struct acd_skill *skillv,
			 size_t skillc, uint64_t now)
{
	struct acd_agent_skill *v;
	int err;

	if (!a || a->removed || (skillc && !skillv))
		return EINVAL;

	err = skills_copy(&v, skillv, skillc);
	if (err)
		return err;

	acd_enter(a->acd, now);
	skills_free(a->skillv, a->skillc);
	a->skillv = v;
	a->skillc = skillc;
	err = sync_queues(a);
	acd_leave(a->acd);

	return err;
}


/**
 * Log an agent in, ready or not ready with a reason.
 *
 * @return 0 if success, otherwise errorcode (EALREADY: logged in)
 */
int acd_agent_login(struct acd_agent *a, bool ready, const char *reason,
		    uint64_t now)
{
	if (!a || a->removed)
		return EINVAL;

	if (a->state != ACD_LOGGED_OUT)
		return EALREADY;

	acd_enter(a->acd, now);
	a->calls = 0;
	a->misses_row = 0;
	a->idle_since = a->acd->now;
	if (ready)
		acd_agent_make_ready(a, NULL);
	else
		acd_agent_set_state(a, ACD_NOT_READY, reason, NULL, NULL);
	acd_leave(a->acd);

	return 0;
}


/**
 * Log an agent out from any state. A call it rings goes back to its
 * place; queues left without a logged-in member and leave_empty empty.
 *
 * @return 0 if success, otherwise errorcode (EALREADY: logged out)
 */
int acd_agent_logout(struct acd_agent *a, const char *forced_by,
		     uint64_t now)
{
	if (!a || a->removed)
		return EINVAL;

	if (a->state == ACD_LOGGED_OUT)
		return EALREADY;

	acd_enter(a->acd, now);
	ring_drop(a, ACD_CANCEL_AGENT_GONE);
	acd_timer_cancel(a->acd, &a->t_wrapup);
	acd_agent_set_state(a, ACD_LOGGED_OUT, NULL, forced_by, NULL);
	release_sticky(a);
	queues_check_empty(a);
	acd_leave(a->acd);

	return 0;
}


/**
 * Make an agent ready: from not ready, or ending its wrap-up.
 *
 * @return 0 if success, otherwise errorcode (EALREADY: ready; EBUSY:
 *         ringing or on a call; EINVAL: logged out)
 */
int acd_agent_ready(struct acd_agent *a, const char *forced_by,
		    uint64_t now)
{
	if (!a || a->removed || a->state == ACD_LOGGED_OUT)
		return EINVAL;

	switch (a->state) {

	case ACD_READY:
		return EALREADY;

	case ACD_NOT_READY:
	case ACD_WRAP_UP:
		break;

	default:
		return EBUSY;
	}

	acd_enter(a->acd, now);
	acd_timer_cancel(a->acd, &a->t_wrapup);
	a->misses_row = 0;
	a->idle_since = a->acd->now;
	acd_agent_make_ready(a, forced_by);
	acd_leave(a->acd);

	return 0;
}


/**
 * Make an agent not ready with a reason (again: the reason changes). A
 * call it rings is withdrawn and goes back to its place.
 *
 * @return 0 if success, otherwise errorcode (EBUSY: on a call or
 *         reserved for a consultation)
 */
int acd_agent_not_ready(struct acd_agent *a, const char *reason,
			const char *forced_by, uint64_t now)
{
	if (!a || a->removed || a->state == ACD_LOGGED_OUT)
		return EINVAL;

	if (a->state == ACD_ON_CALL || a->state == ACD_OUTBOUND ||
	    a->consulted)
		return EBUSY;

	acd_enter(a->acd, now);
	ring_drop(a, ACD_CANCEL_AGENT_GONE);
	acd_timer_cancel(a->acd, &a->t_wrapup);
	acd_agent_set_state(a, ACD_NOT_READY, reason, forced_by, NULL);
	acd_leave(a->acd);

	return 0;
}


/**
 * The agent places a call of its own (click-to-dial): outbound until it
 * ends, offered nothing meanwhile; then back to ready, or to the not
 * ready (and reason) it was in. Wrap-up in progress is cut short.
 *
 * @return 0 if success, otherwise errorcode (EBUSY: ringing, on a call
 *         or outbound already; EALREADY: ending what is not outbound;
 *         EINVAL: logged out)
 */
int acd_agent_outbound(struct acd_agent *a, bool on, uint64_t now)
{
	if (!a || a->removed || a->state == ACD_LOGGED_OUT)
		return EINVAL;

	if (!on && a->state != ACD_OUTBOUND)
		return EALREADY;
	if (on && a->state != ACD_READY && a->state != ACD_NOT_READY &&
	    a->state != ACD_WRAP_UP)
		return EBUSY;

	acd_enter(a->acd, now);
	if (on) {
		a->ready_after = a->state != ACD_NOT_READY;
		mem_deref(a->reason_after);
		a->reason_after = NULL;
		(void)str_dup(&a->reason_after, a->reason ? a->reason : "");
		acd_timer_cancel(a->acd, &a->t_wrapup);
		acd_agent_set_state(a, ACD_OUTBOUND, NULL, NULL, NULL);
	}
	else if (a->ready_after) {
		a->idle_since = a->acd->now;
		acd_agent_make_ready(a, NULL);
	}
	else {
		acd_agent_set_state(a, ACD_NOT_READY, a->reason_after, NULL,
				    NULL);
	}
	acd_leave(a->acd);

	return 0;
}


static void wrapup_due(struct acd_timer *t, uint64_t now)
{
	struct acd_agent *a = t->hn.data;
	(void)now;

	a->idle_since = a->acd->now;
	acd_agent_make_ready(a, NULL);
}


/**
 * The agent's call ended: wrap-up for the wrapup_ms of that call's queue
 * (0: ready at once).
 *
 * @return 0 if success, otherwise errorcode (EINVAL: not on a call)
 */
int acd_agent_call_ended(struct acd_agent *a, uint64_t now)
{
	struct acd *acd;
	uint32_t wrapup;

	if (!a || a->removed || a->state != ACD_ON_CALL || !a->call)
		return EINVAL;

	acd = a->acd;
	acd_enter(acd, now);
	wrapup = a->call->q->cfg.wrapup_ms;
	a->idle_since = acd->now;
	if (wrapup) {
		acd_agent_set_state(a, ACD_WRAP_UP, NULL, NULL, a->call);
		acd_timer_set(acd, &a->t_wrapup, acd->now + wrapup,
			      wrapup_due, a);
	}
	else {
		acd_agent_make_ready(a, NULL);
	}
	acd_leave(acd);

	return 0;
}


/** End wrap-up early. @return EINVAL if not in wrap-up */
int acd_agent_wrapup_end(struct acd_agent *a, uint64_t now)
{
	if (!a || a->removed || a->state != ACD_WRAP_UP)
		return EINVAL;

	acd_enter(a->acd, now);
	acd_timer_cancel(a->acd, &a->t_wrapup);
	a->idle_since = a->acd->now;
	acd_agent_make_ready(a, NULL);
	acd_leave(a->acd);

	return 0;
}


/** Extend wrap-up by ms. @return EINVAL if not in wrap-up */
int acd_agent_wrapup_extend(struct acd_agent *a, uint32_t ms, uint64_t now)
{
	uint64_t at;

	if (!a || a->removed || a->state != ACD_WRAP_UP)
		return EINVAL;

	acd_enter(a->acd, now);
	at = a->t_wrapup.hn.k[0] + ms;
	acd_timer_set(a->acd, &a->t_wrapup, at, wrapup_due, a);
	acd_leave(a->acd);

	return 0;
}
