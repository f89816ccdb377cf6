/* The ACD runtime: owns the routing core, times it, hands its decisions
 * to the call engine. */
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
 * One core for every tenant of this node. Its clock is the loop's
 * monotonic milliseconds; a single timer waits for its next deadline
 * (ring timeouts, max wait, wrap-up ends, sticky waits) and is set again
 * after every operation, so nothing is late by more than the loop's own
 * latency and no per-call timers exist.
 */
struct queue_rt rt;


uint64_t queue_now(void)
{
	return tmr_jiffies();
}


static void tick(void *arg)
{
	(void)arg;

	if (!rt.acd)
		return;

	acd_tick(rt.acd, queue_now());
	queue_schedule();
}


/* Tests and the soak run with acd_check = 1: a broken invariant is an
 * error line (the test harness fails on it), named once. */
static void invariants(void)
{
	static bool told;
	char why[256];

	if (!rt.app->cfg.acd_check || told)
		return;

	if (acd_check(rt.acd, why, sizeof(why))) {
		log_error("ACD invariant broken: %s", why);
		told = true;
	}
}


/** Set the timer for the core's next deadline (after any operation). */
void queue_schedule(void)
{
	uint64_t next, now;

	if (!rt.acd)
		return;

	invariants();

	next = acd_next_deadline(rt.acd);
	if (!next) {
		tmr_cancel(&rt.tick);
		return;
	}

	now = queue_now();
	tmr_start(&rt.tick, next > now ? next - now : 0, tick, NULL);
}


static bool agent_cmp(struct le *le, void *arg)
{
	const struct qagent *qa = le->data;

	return !strcmp(qa->agent_id, arg);
}


static bool queue_cmp(struct le *le, void *arg)
{
	const struct qqueue *qq = le->data;

	return !strcmp(qq->info.queue_id, arg);
}


struct qagent *qagent_find(const char *agent_id)
{
	struct le *le;

	if (!rt.agents || !agent_id)
		return NULL;

	le = hash_lookup(rt.agents, hash_joaat_str(agent_id), agent_cmp,
			 (void *)agent_id);

	return le ? le->data : NULL;
}


struct qqueue *qqueue_find(const char *queue_id)
{
	struct le *le;

	if (!rt.queues || !queue_id)
		return NULL;

	le = hash_lookup(rt.queues, hash_joaat_str(queue_id), queue_cmp,
			 (void *)queue_id);

	return le ? le->data : NULL;
}


struct qtenant *qtenant_find(const char *tenant_id)
{
	struct le *le;

	for (le = rt.tenants.head; le && tenant_id; le = le->next) {
		struct qtenant *t = le->data;

		if (!strcmp(t->tenant_id, tenant_id))
			return t;
	}

	return NULL;
}


void qagent_info(const struct qagent *qa, struct queue_agent_info *info)
{
	info->agent_id = qa->agent_id;
	info->tenant_id = qa->tenant_id;
	info->work_no = qa->work_no;
	info->device = qa->device;
	info->phone = qa->phone;
	info->name = qa->name;
}


/* --- the core's decisions ------------------------------------------- */

static int op_offer(struct acd_agent *agent, struct acd_call *call,
		    void *arg)
{
	struct qagent *qa = acd_agent_arg(agent);
	struct queue_agent_info info;
	int err;

	(void)arg;
	if (!rt.host || !qa)
		return ENOSYS;
	if (!qa->reachable)
		return EHOSTUNREACH;

	queue_count("offered");
	qagent_info(qa, &info);

	err = rt.host->offer(acd_call_arg(call), &info);
	if (!err) {
		uint64_t from = acd_call_joined(call), now = queue_now();

		from = qa->ready_at > from ? qa->ready_at : from;
		queue_offer_latency(now > from ? now - from : 0);
	}

	return err;
}


static void op_offer_cancel(struct acd_agent *agent, struct acd_call *call,
			    enum acd_cancel why, void *arg)
{
	struct qagent *qa = acd_agent_arg(agent);

	(void)arg;
	if (why == ACD_CANCEL_TIMEOUT && qa) {
		++qa->missed;
		queue_count("no_answer");
	}
	if (rt.host && qa)
		rt.host->offer_cancel(acd_call_arg(call), qa->agent_id, why);
}


static void op_agent_state(struct acd_agent *agent,
			   const struct acd_transition *t, void *arg)
{
	(void)arg;
	queue_agent_transition(agent, t);
}


static void count_left(struct qqueue *qq, enum acd_left why,
		       const struct acd_call *call)
{
	static const char *const names[] = {
		"answered", "abandoned", "timeout", "empty", "deleted"};
	uint64_t waited = queue_now() - acd_call_joined(call);

	queue_count(names[why]);
	if (qq)
		queue_live_left(qq, why, waited);
}


static void op_call_left(struct acd_call *call, enum acd_left why,
			 struct acd_agent *agent, void *arg)
{
	struct qagent *qa = agent ? acd_agent_arg(agent) : NULL;
	struct qqueue *qq = qqueue_find(acd_queue_id(acd_call_queue(call)));
	struct queue_agent_info info;

	(void)arg;
	if (acd_call_consult(call)) {   /* no caller: not counted */
		queue_consult_left(call, why, qa);
		return;
	}

	count_left(qq, why, call);
	if (qa) {
		++qa->answered;
		qagent_info(qa, &info);
	}

	if (rt.host)
		rt.host->left(acd_call_arg(call), why, qa ? &info : NULL);
}


static const struct acd_ops ops = {
	op_offer, op_offer_cancel, op_agent_state, op_call_left,
};


/* --- for the call engine -------------------------------------------- */

const char *queue_call_id(void *callarg)
{
	return rt.host && callarg ? rt.host->call_id(callarg) : "";
}


const char *queue_call_caller(void *callarg)
{
	const char *c = rt.host && rt.host->caller && callarg ?
		rt.host->caller(callarg) : NULL;

	return c ? c : "";
}


void queue_set_host(const struct queue_host *host)
{
	rt.host = host;
}


struct name_walk {
	const char *tenant_id;
	const char *name;
};


static bool name_cmp(struct le *le, void *arg)
{
	const struct qqueue *qq = le->data;
	const struct name_walk *w = arg;

	return !strcmp(qq->info.tenant_id, w->tenant_id) &&
		!strcmp(qq->info.name, w->name);
}


/**
 * The queue a flow names, by name or id, within the tenant.
 *
 * @return 0 if found, ENOENT otherwise
 */
int queue_lookup(struct queue_info *info, const char *tenant_id,
		 const char *name_or_id)
{
	struct name_walk w = {tenant_id, name_or_id};
	struct qqueue *qq;
	struct le *le;

	if (!info || !tenant_id || !name_or_id || !rt.queues)
		return EINVAL;

	qq = qqueue_find(name_or_id);
	if (!qq || strcmp(qq->info.tenant_id, tenant_id)) {
		le = hash_apply(rt.queues, name_cmp, &w);
		qq = le ? le->data : NULL;
	}
	if (!qq)
		return ENOENT;

	*info = qq->info;

	return 0;
}


/**
 * Put a call in a queue. ENOENT: no such queue; ENOSPC: full; ENODEV:
 * nobody to take it (the queue's empty policy). On 0 *callp is valid
 * until the host's left() callback.
 */
int queue_join(struct acd_call **callp, const char *queue_id,
	       int priority, const char *sticky_agent_id,
	       uint32_t sticky_wait_ms, void *callarg)
{
	struct acd_join j;
	int err;

	if (!rt.acd)
		return ENOENT;

	memset(&j, 0, sizeof(j));
	j.priority = priority;
	j.sticky_agent_id = sticky_agent_id && sticky_agent_id[0] ?
		sticky_agent_id : NULL;
	j.sticky_wait_ms = sticky_wait_ms;
	j.arg = callarg;

	err = acd_call_join(rt.acd, callp, queue_id, &j, queue_now());
	if (!err)
		queue_live_joined(qqueue_find(queue_id));
	queue_schedule();

	return err;
}


/**
 * May the agent be given a call of the queue now (a transfer to it)?
 *
 * @return 0, ENOENT (no such agent in the tenant), ENODEV (logged out),
 * EXDEV (not a member of the queue)
 */
int queue_agent_serves(const char *tenant_id, const char *agent_id,
		       const char *queue_id)
{
	struct qagent *qa = qagent_find(agent_id);

	if (!rt.acd || !qa || !tenant_id || strcmp(qa->tenant_id, tenant_id))
		return ENOENT;
	if (acd_agent_state(qa->a) == ACD_LOGGED_OUT)
		return ENODEV;

	return acd_agent_serves(qa->a, acd_queue_find(rt.acd, queue_id)) ?
		0 : EXDEV;
}


/** The caller left while waiting or ringing. */
void queue_leave(struct acd_call *call)
{
	if (!rt.acd || !call)
		return;

	acd_call_leave(call, queue_now());
	queue_schedule();
}


/**
 * The agent answered the call's offer. EALREADY: someone else took it
 * (ring all) — hang the agent's leg up.
 */
int queue_answered(struct acd_call *call, const char *agent_id)
{
	struct qagent *qa = qagent_find(agent_id);
	int err;

	if (!rt.acd || !call || !qa)
		return ENOENT;

	err = acd_offer_answered(qa->a, call, queue_now());
	queue_schedule();

	return err;
}


void queue_offer_failed(struct acd_call *call, const char *agent_id,
			enum acd_miss why)
{
	struct qagent *qa = qagent_find(agent_id);
	static const char *const names[] = {
		"no_answer", "busy", "rejected", "unreachable"};

	if (!rt.acd || !call || !qa)
		return;

	++qa->missed;
	queue_count(names[why]);
	(void)acd_offer_failed(qa->a, call, why, queue_now());
	queue_schedule();
}


/** The agent's call is over (either side hung up): wrap-up follows. */
void queue_agent_call_ended(const char *agent_id)
{
	struct qagent *qa = qagent_find(agent_id);

	if (!rt.acd || !qa)
		return;

	(void)acd_agent_call_ended(qa->a, queue_now());
	/* the phone went away during the call: no next call on it */
	if (!qa->reachable)
		queue_device_reachable(qa->tenant_id, qa->agent_id, false,
				       "lost during the call");
	queue_schedule();
}


unsigned queue_position(const struct acd_call *call)
{
	return call ? acd_call_position(call) : 0;
}


/** Expected wait: recent handle time spread over the agents serving. */
uint32_t queue_expected_wait_s(const char *queue_id)
{
	struct qqueue *qq = qqueue_find(queue_id);
	struct acd_queue *q = rt.acd ? acd_queue_find(rt.acd, queue_id) :
		NULL;
	struct acd_queue_stats st;
	unsigned serving;
	uint64_t aht;

	if (!qq || !q)
		return 0;

	acd_queue_stats(q, &st);
	serving = st.by_state[ACD_READY] + st.by_state[ACD_RINGING] +
		st.by_state[ACD_ON_CALL] + st.by_state[ACD_WRAP_UP];
	aht = qq->aht_ms ? qq->aht_ms : 120000;

	return (uint32_t)((aht * (st.waiting + 1)) /
			  (serving ? serving : 1) / 1000);
}


/** A finished call's handle time (answer to end of wrap-up). */
void queue_note_handle_time(const char *queue_id, uint64_t ms)
{
	struct qqueue *qq = qqueue_find(queue_id);

	if (!qq)
		return;

	qq->aht_ms = qq->aht_ms ? (qq->aht_ms * 7 + ms) / 8 : ms;
}


bool queue_loaded(void)
{
	return rt.loaded;
}


/**
 * Start the ACD: the core, then the first load of every tenant's queues
 * and agents (agents logged in before a restart are logged in again).
 */
int queue_init(struct app *app)
{
	int err;

	if (!app)
		return EINVAL;

	memset(&rt, 0, sizeof(rt));
	rt.app = app;
	tmr_init(&rt.tick);
	tmr_init(&rt.reload_tmr);
	list_init(&rt.tenants);

	err = acd_alloc(&rt.acd, &ops, NULL);
	err = err ? err : hash_alloc(&rt.agents, 256);
	err = err ? err : hash_alloc(&rt.queues, 64);
	if (err) {
		queue_close();
		return err;
	}

	queue_metrics_init();
	err = queue_live_init();
	if (err) {
		queue_close();
		return err;
	}

	if (!app->db) {
		rt.loaded = true;
		return 0;
	}

	return queue_load_start();
}


void queue_close(void)
{
	tmr_cancel(&rt.tick);
	tmr_cancel(&rt.reload_tmr);
	queue_live_close();
	rt.host = NULL;
	rt.acd = mem_deref(rt.acd);   /* no callbacks from here on */
	if (rt.agents)
		hash_flush(rt.agents);
	if (rt.queues)
		hash_flush(rt.queues);
	rt.agents = mem_deref(rt.agents);
	rt.queues = mem_deref(rt.queues);
	list_flush(&rt.tenants);
	rt.app = NULL;
}
