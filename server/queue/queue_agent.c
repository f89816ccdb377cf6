/* Agent states: actions in, every transition logged and pushed. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#define LOG_MODULE "queue"
#include "log/log.h"
#include "app.h"
#include "core/clock.h"
#include "db/db.h"
#include "event/event.h"
#include "webhook/webhook.h"
#include "agent/agent_reg.h"
#include "queue/queue_int.h"

/*
 * The core makes every transition; this file only asks for them and
 * writes each one through: a row in agent_state_log (its own time,
 * strictly increasing on this node so rows of one agent never tie) and
 * an agent.state_changed event. Reasons a device imposes
 * ("device_offline") are lifted by the device coming back; reasons an
 * agent chose are not.
 */
#define REASON_DEVICE "device_offline"
#define REASON_RESTART "restart"


/* Wall time in µs for the log, never equal to the previous one. */
static uint64_t log_time_us(void)
{
	static uint64_t last;
	uint64_t us = clock_wall_ms() * 1000;

	if (us <= last)
		us = last + 1;
	last = us;

	return us;
}


static void logged(int err, const struct db_res *res, void *arg)
{
	(void)res;
	(void)arg;

	if (err && err != ECANCELED)
		log_warn("agent state not logged: %m", err);
}


/* The row, and the event's webhook deliveries in the same statement */
static void log_row(const struct qagent *qa, const char *state,
		    const char *reason, const char *call_id,
		    const char *queue_id, const char *forced_by, uint64_t us,
		    struct event *ev)
{
	static const char sql[] =
		"INSERT INTO agent_state_log (tenant_id, agent_id, state,"
		" reason, call_id, queue_id, forced_by, at) VALUES"
		" ($1, $2, $3, $4, NULLIF($5, '')::uuid, NULLIF($6, '')::uuid,"
		" NULLIF($7, '')::uuid, to_timestamp($8::bigint / 1e6))";
	struct db_ctx ctx = {DB_TENANT, qa->tenant_id};
	const char *pv[8 + WEBHOOK_NPARAMS];
	char t[24], *wsql = NULL;
	unsigned n = 8;

	if (!rt.app || !rt.app->db)
		return;

	(void)re_snprintf(t, sizeof(t), "%llu", (unsigned long long)us);
	pv[0] = qa->tenant_id;
	pv[1] = qa->agent_id;
	pv[2] = state;
	pv[3] = reason;
	pv[4] = call_id;
	pv[5] = queue_id;
	pv[6] = forced_by;
	pv[7] = t;

	if (webhook_stmt(&wsql, &n, sql, pv, ev))
		log_warn("agent state: webhooks not queued");
	/* reports are built from this log: it must not miss a change */
	(void)db_query_must(rt.app->db, &ctx, logged, NULL,
			    wsql ? wsql : sql, n, pv);
	mem_deref(wsql);
}


static const char *call_id_of(const struct acd_call *call)
{
	return call ? queue_call_id(acd_call_arg(call)) : "";
}


static void count_tenant(const struct qagent *qa, enum acd_agent_state from,
			 enum acd_agent_state to)
{
	struct qtenant *t = qtenant_find(qa->tenant_id);

	if (!t)
		return;
	if (from == ACD_LOGGED_OUT && to != ACD_LOGGED_OUT)
		++t->logged_in;
	else if (from != ACD_LOGGED_OUT && to == ACD_LOGGED_OUT &&
		 t->logged_in)
		--t->logged_in;
}


/* The wallboard's "current call": who, in which queue, since when
 * (ringing, then answered: the talk time counts from the answer). */
static void note_call(struct qagent *qa, const struct acd_transition *t,
		      const char *queue_id, uint64_t wall_ms)
{
	const struct qqueue *qq;

	if (!t->call) {
		qa->caller[0] = '\0';
		qa->call_queue[0] = '\0';
		qa->call_since = 0;
		return;
	}

	qq = qqueue_find(queue_id);
	str_ncpy(qa->caller, queue_call_caller(acd_call_arg(t->call)),
		 sizeof(qa->caller));
	str_ncpy(qa->call_queue, !qq ? "" : qq->info.label[0] ?
		 qq->info.label : qq->info.name, sizeof(qa->call_queue));
	if (!qa->call_since || t->to == ACD_RINGING ||
	    t->to == ACD_ON_CALL)
		qa->call_since = wall_ms;
}


static json_t *transition_json(const struct qagent *qa,
			       const struct acd_transition *t,
			       const char *call_id, const char *queue_id,
			       uint64_t wall_ms)
{
	json_t *data;

	data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s,"
			 " s:s, s:s, s:I}",
			 "agent_id", qa->agent_id, "work_no", qa->work_no,
			 "from", acd_state_name(t->from),
			 "state", acd_state_name(t->to),
			 "reason", t->reason ? t->reason : "",
			 "call_id", call_id, "queue_id", queue_id,
			 "at_ms", (json_int_t)wall_ms, "name", qa->name,
			 "caller", qa->caller, "queue", qa->call_queue,
			 "call_since_ms", (json_int_t)qa->call_since);
	if (data && t->forced_by)
		(void)json_object_set_new(data, "forced_by",
					  json_string(t->forced_by));

	return data;
}


/**
 * The core changed an agent's state: log it, push it (with what the
 * wallboard shows of the agent's call), and tell the wallboard's queue
 * tiles that their agent counts may have moved.
 */
void queue_agent_transition(struct acd_agent *agent,
			    const struct acd_transition *t)
{
	struct qagent *qa = acd_agent_arg(agent);
	const char *state = acd_state_name(t->to);
	const char *call_id = call_id_of(t->call);
	const char *queue_id = t->queue ? acd_queue_id(t->queue) : "";
	const char *reason = t->reason ? t->reason : "";
	struct event *ev = NULL;
	uint64_t us;

	if (!qa)
		return;

	us = log_time_us();
	qa->since_wall = us / 1000;
	if (t->to == ACD_READY)
		qa->ready_at = t->at;
	count_tenant(qa, t->from, t->to);
	note_call(qa, t, queue_id, us / 1000);
	(void)event_create(&ev, qa->tenant_id, "agent.state_changed",
			   transition_json(qa, t, call_id, queue_id,
					   us / 1000));
	log_row(qa, state, reason, call_id, queue_id,
		t->forced_by ? t->forced_by : "", us, ev);
	event_dispatch(ev);
	mem_deref(ev);
	queue_live_mark();
}


/* --- actions --------------------------------------------------------- */

static struct qagent *agent_of(const char *tenant_id, const char *agent_id)
{
	struct qagent *qa = qagent_find(agent_id);

	if (!qa || !tenant_id || strcmp(qa->tenant_id, tenant_id))
		return NULL;

	return qa;
}


static int login(struct qagent *qa, bool ready, const char *reason)
{
	struct qtenant *t = qtenant_find(qa->tenant_id);

	if (t && t->logged_in >= t->seat_quota)
		return EDQUOT;

	if (ready && !qa->reachable)
		return acd_agent_login(qa->a, false, REASON_DEVICE,
				       queue_now());

	return acd_agent_login(qa->a, ready, reason, queue_now());
}


/**
 * Set an agent's state: "ready", "not_ready" (with a reason) or
 * "logged_out". by_user_id is who asked when not the agent (a
 * supervisor forcing it), else NULL.
 *
 * @return 0, ENOENT (no such agent in the tenant), EINVAL (bad state),
 * EDQUOT (the tenant's seats are all taken), EBUSY (on a call)
 */
int queue_agent_set_state(const char *tenant_id, const char *agent_id,
			  const char *state, const char *reason,
			  const char *by_user_id)
{
	struct qagent *qa = agent_of(tenant_id, agent_id);
	enum acd_agent_state cur;
	uint64_t now = queue_now();
	int err;

	if (!qa)
		return ENOENT;
	if (!state)
		return EINVAL;

	cur = acd_agent_state(qa->a);
	reason = reason ? reason : "";
	if (strlen(reason) > 64)
		return EINVAL;

	if (!strcmp(state, "logged_out")) {
		err = cur == ACD_LOGGED_OUT ? 0 :
			acd_agent_logout(qa->a, by_user_id, now);
	}
	else if (!strcmp(state, "ready")) {
		if (cur == ACD_LOGGED_OUT)
			err = login(qa, true, "");
		else if (!qa->reachable)
			err = EHOSTUNREACH;
		else
			err = acd_agent_ready(qa->a, by_user_id, now);
	}
	else if (!strcmp(state, "not_ready")) {
		err = cur == ACD_LOGGED_OUT ? login(qa, false, reason) :
			acd_agent_not_ready(qa->a, reason, by_user_id, now);
	}
	else {
		err = EINVAL;
	}

	queue_schedule();

	return err;
}


/**
 * The agent dials out (on) or is done: no queue call is offered
 * meanwhile. EBUSY: ringing or on a call; ENOENT: no such agent;
 * EINVAL: logged out.
 */
int queue_agent_outbound(const char *tenant_id, const char *agent_id,
			 bool on)
{
	struct qagent *qa = agent_of(tenant_id, agent_id);
	int err;

	if (!qa)
		return ENOENT;

	err = acd_agent_outbound(qa->a, on, queue_now());
	queue_schedule();

	return err;
}


/** End the agent's wrap-up now, or extend it by seconds. */
int queue_agent_wrapup(const char *tenant_id, const char *agent_id,
		       bool extend, uint32_t seconds)
{
	struct qagent *qa = agent_of(tenant_id, agent_id);
	int err;

	if (!qa)
		return ENOENT;
	if (acd_agent_state(qa->a) != ACD_WRAP_UP)
		return EALREADY;

	err = extend ? acd_agent_wrapup_extend(qa->a, seconds * 1000,
					       queue_now()) :
		acd_agent_wrapup_end(qa->a, queue_now());
	queue_schedule();

	return err;
}


int queue_agent_get(const char *tenant_id, const char *agent_id,
		    struct queue_agent_state *st)
{
	struct qagent *qa = agent_of(tenant_id, agent_id);
	struct acd_call *call;
	struct acd_queue *q;

	if (!qa || !st)
		return ENOENT;

	memset(st, 0, sizeof(*st));
	str_ncpy(st->state, acd_state_name(acd_agent_state(qa->a)),
		 sizeof(st->state));
	str_ncpy(st->reason, acd_agent_reason(qa->a) ?
		 acd_agent_reason(qa->a) : "", sizeof(st->reason));
	st->since_ms = qa->since_wall;
	call = acd_agent_call(qa->a);
	q = call ? acd_call_queue(call) : NULL;
	str_ncpy(st->call_id, call_id_of(call), sizeof(st->call_id));
	str_ncpy(st->queue_id, q ? acd_queue_id(q) : "", sizeof(st->queue_id));
	str_ncpy(st->work_no, qa->work_no, sizeof(st->work_no));
	str_ncpy(st->device, qa->device, sizeof(st->device));
	str_ncpy(st->name, qa->name, sizeof(st->name));
	str_ncpy(st->caller, qa->caller, sizeof(st->caller));
	str_ncpy(st->call_queue, qa->call_queue, sizeof(st->call_queue));
	st->call_since_ms = qa->call_since;
	st->reachable = qa->reachable;

	return 0;
}


/** Is the agent's SIP phone (or browser) there to be rung? */
bool queue_device_probe(const char *agent_id)
{
	return agent_reg_reachable(agent_id);
}


/**
 * The agent's device came or went. Gone: a ready agent (or one in
 * wrap-up, which would be ready next) goes not ready with the device's
 * own reason. Back: an agent the device had put there is ready again.
 */
void queue_device_reachable(const char *tenant_id, const char *agent_id,
			    bool reachable, const char *why)
{
	struct qagent *qa = agent_of(tenant_id, agent_id);
	enum acd_agent_state cur;
	const char *reason;

	if (!qa || !strcmp(qa->device, "pstn"))
		return;

	qa->reachable = reachable;
	cur = acd_agent_state(qa->a);
	reason = acd_agent_reason(qa->a);
	log_info("agent %s (%s): device %s (%s)", qa->work_no, qa->agent_id,
		 reachable ? "reachable" : "unreachable", why ? why : "");

	if (!reachable && (cur == ACD_READY || cur == ACD_RINGING ||
			   cur == ACD_WRAP_UP))
		(void)acd_agent_not_ready(qa->a, REASON_DEVICE, NULL,
					  queue_now());
	else if (reachable && cur == ACD_NOT_READY && reason &&
		 !strcmp(reason, REASON_DEVICE))
		(void)acd_agent_ready(qa->a, NULL, queue_now());

	queue_schedule();
}


/** The registrar's handler (agent_reg_set_handler). */
void queue_device_changed(const char *tenant_id, const char *agent_id,
			  bool reachable, const char *why, void *arg)
{
	(void)arg;
	queue_device_reachable(tenant_id, agent_id, reachable, why);
}


/* --- reload and restart ---------------------------------------------- */

/** The agent is gone from the database: log it out, drop it. */
int queue_agent_remove(struct qagent *qa)
{
	if (acd_agent_state(qa->a) != ACD_LOGGED_OUT)
		(void)acd_agent_logout(qa->a, NULL, queue_now());

	acd_agent_remove(qa->a, queue_now());
	qa->a = NULL;
	mem_deref(qa);

	return 0;
}


/*
 * After a restart: an agent logged in stays logged in. Ready and
 * not-ready come back as they were; one who was ringing, on a call or in
 * wrap-up lost that call with the restart and comes back not ready
 * ("restart") to look before taking the next.
 */
void queue_agent_restore(const struct db_res *res, unsigned stmt)
{
	unsigned i, n = db_nrows(res, stmt), restored = 0;

	for (i = 0; i < n; i++) {
		const char *id = db_val(res, stmt, i, 0);
		const char *state = db_val(res, stmt, i, 1);
		const char *reason = db_val(res, stmt, i, 2);
		struct qagent *qa = qagent_find(id);
		int err;

		if (!qa || !state || !strcmp(state, "logged_out"))
			continue;

		if (!strcmp(state, "ready"))
			err = login(qa, true, "");
		else if (!strcmp(state, "not_ready"))
			err = login(qa, false, reason ? reason : "");
		else
			err = login(qa, false, REASON_RESTART);

		if (err)
			log_warn("agent %s not logged in again: %m",
				 qa->work_no, err);
		else
			++restored;
	}

	if (restored)
		log_info("%u agents logged in again after the restart",
			 restored);
}
