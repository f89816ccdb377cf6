/* Consultations for the call engine: a colleague reserved by name or
 * picked from a queue, then answered, released or handed the call. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#define LOG_MODULE "queue"
#include "log/log.h"
#include "app.h"
#include "queue/queue_int.h"

/*
 * The core reserves (acd_consult.c); this file finds the agent in the
 * tenant — by id or work number — and says why one cannot be consulted,
 * one errno per reason the console shows. A consultation not answered
 * counts as a miss of the agent (its missed count and misses in a row,
 * as a missed offer would) but not of any queue: no caller waited.
 */

struct by_work_no {
	const char *tenant_id;
	const char *work_no;
};


static bool work_no_cmp(struct le *le, void *arg)
{
	const struct qagent *qa = le->data;
	const struct by_work_no *w = arg;

	return !strcmp(qa->tenant_id, w->tenant_id) &&
		!strcmp(qa->work_no, w->work_no);
}


static struct qagent *find(const char *tenant_id, const char *who)
{
	struct by_work_no w = {tenant_id, who};
	struct qagent *qa = qagent_find(who);
	struct le *le;

	if (qa && !strcmp(qa->tenant_id, tenant_id))
		return qa;

	le = rt.agents ? hash_apply(rt.agents, work_no_cmp, &w) : NULL;

	return le ? le->data : NULL;
}


static int reserve(struct qagent *qa, struct acd_call *call,
		   struct queue_agent_info *info)
{
	int err;

	switch (acd_agent_state(qa->a)) {

	case ACD_LOGGED_OUT:
		return ENODEV;

	case ACD_READY:
		break;

	default:
		return EBUSY;
	}

	if (!qa->reachable)
		return EHOSTUNREACH;

	err = acd_consult_reserve(qa->a, call, queue_now());
	queue_schedule();
	if (err)
		return err == EINVAL ? ENODEV : err;

	qagent_info(qa, info);

	return 0;
}


/**
 * Reserve an agent of the tenant (by id or work number) for a
 * consultation about call (the consulting agent's).
 *
 * @return 0 (info names the agent, its strings valid until the next
 * reload), ENXIO (no such agent), ENODEV (logged out), EBUSY (not
 * ready), EHOSTUNREACH (its device cannot be rung)
 */
int queue_consult_reserve(struct acd_call *call, const char *tenant_id,
			  const char *who, struct queue_agent_info *info)
{
	struct qagent *qa;

	if (!rt.acd || !call || !tenant_id || !who || !info)
		return EINVAL;

	qa = find(tenant_id, who);
	if (!qa)
		return ENXIO;

	return reserve(qa, call, info);
}


/**
 * Reserve the best ready agent of a queue now (its strategy, its
 * skills) for a consultation about call.
 *
 * @return 0, ENXIO (no such queue), EAGAIN (no agent ready)
 */
int queue_consult_pick(struct acd_call *call, const char *queue_id,
		       struct queue_agent_info *info)
{
	struct acd_queue *q = rt.acd ? acd_queue_find(rt.acd, queue_id) :
		NULL;
	struct acd_agent *a;

	if (!q || !call || !info)
		return ENXIO;

	a = acd_consult_pick(q);
	if (!a || !acd_agent_arg(a))
		return EAGAIN;

	return reserve(acd_agent_arg(a), call, info) ? EAGAIN : 0;
}


/**
 * Nobody of the queue is ready: the consultation about call waits in it
 * (ahead of its callers) until one is, reserved for it then and handed
 * to the host's consult_left with arg; or until the queue's max wait
 * (ACD_CONSULT_WAIT_MS without one).
 *
 * @return 0 (*entryp valid until consult_left), ENXIO (no such queue),
 * EAGAIN (the queue's empty policy refuses: nobody logged in)
 */
int queue_consult_wait(struct acd_call **entryp, struct acd_call *call,
		       const char *queue_id, void *arg)
{
	struct acd_join j;
	int err;

	if (!rt.acd || !entryp || !call || !queue_id)
		return EINVAL;

	memset(&j, 0, sizeof(j));
	j.consult = call;
	j.arg = arg;
	err = acd_call_join(rt.acd, entryp, queue_id, &j, queue_now());
	queue_schedule();
	if (err == ENOENT)
		return ENXIO;

	return err == ENODEV ? EAGAIN : err;
}


/* The waiting consultation left: to the host (a reserved agent with it
 * when answered). */
void queue_consult_left(struct acd_call *entry, enum acd_left why,
			struct qagent *qa)
{
	struct queue_agent_info info;
	void *arg = acd_call_arg(entry);

	if (qa)
		qagent_info(qa, &info);
	if (rt.host && rt.host->consult_left && arg)
		rt.host->consult_left(arg, why, qa ? &info : NULL);
	else if (qa)    /* nobody to ring it: ready again */
		(void)acd_consult_release(qa->a, NULL, queue_now());
}


/** The consulted agent answered. @return 0, EALREADY */
int queue_consult_answered(const char *agent_id)
{
	struct qagent *qa = qagent_find(agent_id);
	int err;

	if (!rt.acd || !qa)
		return EALREADY;

	err = acd_consult_answered(qa->a, queue_now());
	queue_schedule();

	return err;
}


/**
 * The consultation is over for the agent: ready again, or a miss by
 * cause (miss < 0: none).
 *
 * @return 0, EALREADY (released before, taken, or logged out)
 */
int queue_consult_release(const char *agent_id, int miss)
{
	struct qagent *qa = qagent_find(agent_id);
	enum acd_miss why = (enum acd_miss)miss;
	int err;

	if (!rt.acd || !qa)
		return EALREADY;

	err = acd_consult_release(qa->a, miss < 0 ? NULL : &why,
				  queue_now());
	if (!err && miss >= 0)
		++qa->missed;
	if (!err && !qa->reachable)
		queue_device_reachable(qa->tenant_id, qa->agent_id, false,
				       "lost during a consultation");
	queue_schedule();

	return err;
}


/** The consulted agent owns the call now. @return 0, EALREADY */
int queue_consult_take(const char *agent_id)
{
	struct qagent *qa = qagent_find(agent_id);
	int err;

	if (!rt.acd || !qa)
		return EALREADY;

	err = acd_consult_take(qa->a, queue_now());
	if (!err)
		++qa->answered;
	queue_schedule();

	return err;
}
