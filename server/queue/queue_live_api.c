/* REST for the live ACD: agent state and wrap-up actions, the live view
 * of agents and queues. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#include "app.h"
#include "auth/principal.h"
#include "core/clock.h"
#include "http/api.h"
#include "http/param.h"
#include "queue/queue_int.h"

#define P(t) t, ARRAY_SIZE(t)

/*
 * An agent changes its own state; a supervisor or admin may force any
 * agent's (the change carries forced_by and is audited). Errors name
 * what to do: a full seat quota, a device that cannot ring.
 */

static const char *const states[] = {
	"ready", "not_ready", "logged_out", NULL};
static const char *const wrap_actions[] = {"end", "extend", NULL};

static const struct param state_params[] = {
	{"state", PARAM_ENUM, true, 0, 0, states, false},
	{"reason", PARAM_STRING, false, 0, 64, NULL, true},
};

static const struct param wrapup_params[] = {
	{"action", PARAM_ENUM, true, 0, 0, wrap_actions, false},
	{"seconds", PARAM_INT, false, 1, 3600, NULL, false},
};


/* The agent may act on itself; supervisors and admins on anyone. */
static const char *path_agent(struct http_req *req, const char **forced)
{
	const struct principal *p = http_req_principal(req);
	const char *id = http_req_param(req, "agent_id");

	if (!id || !api_uuid_ok(id)) {
		http_reply_error(req, ENOENT);
		return NULL;
	}

	*forced = NULL;
	if (p->kind == PRINCIPAL_USER && !strcmp(p->id, id))
		return id;
	if (p->role < ROLE_SUPERVISOR) {
		http_reply_error(req, EACCES);
		return NULL;
	}

	*forced = p->id;

	return id;
}


static json_t *agent_json(const char *agent_id,
			  const struct queue_agent_state *st)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s?, s:s?, s:s?,"
			 " s:s?, s:I, s:b}",
			 "agent_id", agent_id, "work_no", st->work_no,
			 "name", st->name, "state", st->state,
			 "reason", st->reason,
			 "since_ms", (json_int_t)st->since_ms,
			 "call_id", st->call_id[0] ? st->call_id : NULL,
			 "queue_id", st->queue_id[0] ? st->queue_id : NULL,
			 "caller", st->caller[0] ? st->caller : NULL,
			 "queue", st->call_queue[0] ? st->call_queue : NULL,
			 "call_since_ms", (json_int_t)st->call_since_ms,
			 "device_reachable", st->reachable);
}


static void reply_agent(struct http_req *req, const char *tenant_id,
			const char *agent_id)
{
	struct queue_agent_state st;

	if (queue_agent_get(tenant_id, agent_id, &st)) {
		http_reply_error(req, ENOENT);
		return;
	}

	http_reply_json(req, 200, agent_json(agent_id, &st));
}


static void audited(int err, const struct db_res *res, void *arg)
{
	(void)err;
	(void)res;
	(void)arg;
}


/* A forced change leaves an audit entry (the transition log has the
 * state; the audit log has who and from where). */
static void audit_forced(struct http_req *req, const char *action,
			 const char *agent_id)
{
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	const char *tenant_id = http_req_principal(req)->tenant_id;
	char *detail = NULL;
	json_t *body = http_req_json(req);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int err;

	if (text) {
		(void)str_dup(&detail, text);
		free(text);  /* ccheck: foreign */
	}

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit(tx, req, tenant_id, action, "agent",
				    agent_id, detail);
	if (err)
		mem_deref(tx);
	else     /* takes tx, also when it fails */
		(void)db_txn_exec(http_req_app(req)->db, tx, audited, NULL);
	mem_deref(detail);
}


static void reply_state_error(struct http_req *req, int err)
{
	switch (err) {

	case EHOSTUNREACH:
		http_reply_problem(req, 409, "device_unreachable",
				   "The agent's phone is not registered or "
				   "does not answer; register the phone "
				   "first.");
		break;

	case EALREADY:
		http_reply_problem(req, 409, "not_in_wrap_up",
				   "The agent is not in after-call work.");
		break;

	case EBUSY:
		http_reply_problem(req, 409, "agent_busy",
				   "The agent is on a call; try again after "
				   "it.");
		break;

	case EDQUOT:
		http_reply_problem(req, 409, "seat_quota_exceeded",
				   "All of the tenant's seats are in use; "
				   "log another agent out or raise the seat "
				   "quota.");
		break;

	default:
		http_reply_error(req, err);
		break;
	}
}


static void state_put(struct http_req *req)
{
	const char *tenant_id = http_req_principal(req)->tenant_id;
	const char *forced, *id = path_agent(req, &forced);
	int err;

	if (!id)
		return;

	err = queue_agent_set_state(tenant_id, id, api_str(req, "state"),
				    api_str(req, "reason"), forced);
	if (err) {
		reply_state_error(req, err);
		return;
	}

	if (forced)
		audit_forced(req, "agent.force_state", id);
	reply_agent(req, tenant_id, id);
}


static void state_get(struct http_req *req)
{
	const char *forced, *id = path_agent(req, &forced);

	if (id)
		reply_agent(req, http_req_principal(req)->tenant_id, id);
}


static void wrapup_post(struct http_req *req)
{
	const char *tenant_id = http_req_principal(req)->tenant_id;
	const char *forced, *id = path_agent(req, &forced);
	json_t *secs = json_object_get(http_req_json(req), "seconds");
	bool extend;
	int err;

	if (!id)
		return;

	extend = !strcmp(api_str(req, "action"), "extend");
	if (extend && !secs) {
		api_reply_invalid(req, "seconds", "required",
				  "extend needs seconds (1-3600)");
		return;
	}

	err = queue_agent_wrapup(tenant_id, id, extend, secs ?
				 (uint32_t)json_integer_value(secs) : 0);
	if (err) {
		reply_state_error(req, err);
		return;
	}

	reply_agent(req, tenant_id, id);
}


struct live_walk {
	const char *tenant_id;
	json_t *list;
	bool colleagues;         /**< an agent's view: who and state only */
};


struct serve_walk {
	const struct qagent *qa;
	json_t *ids;
};


static bool serves(struct le *le, void *arg)
{
	const struct qqueue *qq = le->data;
	struct serve_walk *sw = arg;

	if (!strcmp(qq->info.tenant_id, sw->qa->tenant_id) &&
	    acd_agent_serves(sw->qa->a, acd_queue_find(rt.acd,
						       qq->info.queue_id)))
		(void)json_array_append_new(sw->ids,
					    json_string(qq->info.queue_id));

	return false;
}


/* The queues the agent is a member of (the wallboard's queue filter). */
static json_t *agent_queues(const struct qagent *qa)
{
	struct serve_walk sw = {qa, json_array()};

	if (sw.ids && rt.queues && rt.acd)
		(void)hash_apply(rt.queues, serves, &sw);

	return sw.ids;
}


static bool live_agent(struct le *le, void *arg)
{
	struct qagent *qa = le->data;
	struct live_walk *w = arg;
	struct queue_agent_state st;
	json_t *o;

	if (strcmp(qa->tenant_id, w->tenant_id) ||
	    queue_agent_get(qa->tenant_id, qa->agent_id, &st))
		return false;

	if (w->colleagues) {     /* whom to consult: no callers shown */
		(void)json_array_append_new(w->list, json_pack(
			"{s:s, s:s, s:s, s:s, s:b}", "agent_id", qa->agent_id,
			"work_no", st.work_no, "name", st.name, "state",
			st.state, "device_reachable", st.reachable));
		return false;
	}

	o = agent_json(qa->agent_id, &st);
	if (o)
		(void)json_object_set_new(o, "queues", agent_queues(qa));
	(void)json_array_append_new(w->list, o);

	return false;
}


/* By work number: shorter first, then digit by digit (1002 < 1010). */
static int by_work_no(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(
		*(json_t *const *)a, "work_no"));
	const char *y = json_string_value(json_object_get(
		*(json_t *const *)b, "work_no"));
	size_t lx = strlen(x ? x : ""), ly = strlen(y ? y : "");

	if (lx != ly)
		return lx < ly ? -1 : 1;

	return strcmp(x ? x : "", y ? y : "");
}


static void reply_agents(struct http_req *req, bool colleagues)
{
	struct live_walk w;
	json_t **v, *sorted;
	size_t i, n;

	w.colleagues = colleagues;
	w.tenant_id = http_req_principal(req)->tenant_id;
	w.list = json_array();
	sorted = json_array();
	if (!w.list || !sorted) {
		json_decref(w.list);
		json_decref(sorted);
		http_reply_error(req, ENOMEM);
		return;
	}

	if (rt.agents)
		(void)hash_apply(rt.agents, live_agent, &w);

	n = json_array_size(w.list);
	v = mem_zalloc((n ? n : 1) * sizeof(*v), NULL);
	for (i = 0; v && i < n; i++)
		v[i] = json_array_get(w.list, i);
	if (v)
		qsort(v, n, sizeof(*v), by_work_no);
	for (i = 0; v && i < n; i++)
		(void)json_array_append(sorted, v[i]);
	mem_deref(v);
	json_decref(w.list);

	http_reply_json(req, 200, json_pack("{s:o}", "items", sorted));
}


static void live_agents(struct http_req *req)
{
	reply_agents(req, false);
}


/* The tenant's agents and their states, for an agent's consult picker. */
static void live_colleagues(struct http_req *req)
{
	reply_agents(req, true);
}


static bool live_queue(struct le *le, void *arg)
{
	struct qqueue *qq = le->data;
	struct live_walk *w = arg;

	if (!strcmp(qq->info.tenant_id, w->tenant_id))
		(void)json_array_append_new(w->list, queue_live_json(qq));

	return false;
}


static void live_queues(struct http_req *req)
{
	struct live_walk w;

	w.tenant_id = http_req_principal(req)->tenant_id;
	w.list = json_array();
	if (!w.list) {
		http_reply_error(req, ENOMEM);
		return;
	}

	if (rt.queues && rt.acd)
		(void)hash_apply(rt.queues, live_queue, &w);

	http_reply_json(req, 200, json_pack("{s:o}", "items", w.list));
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/agents/{agent_id}/state", HTTP_TENANT, ROLE_AGENT,
	 NULL, 0, state_get},
	{"PUT", "/api/v1/agents/{agent_id}/state", HTTP_TENANT, ROLE_AGENT,
	 P(state_params), state_put},
	{"POST", "/api/v1/agents/{agent_id}/wrap-up", HTTP_TENANT,
	 ROLE_AGENT, P(wrapup_params), wrapup_post},
	{"GET", "/api/v1/live/agents", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, live_agents},
	{"GET", "/api/v1/live/queues", HTTP_TENANT, ROLE_AGENT,
	 NULL, 0, live_queues},
	{"GET", "/api/v1/live/colleagues", HTTP_TENANT, ROLE_AGENT,
	 NULL, 0, live_colleagues},
};


/** Register the live ACD API. */
int queue_live_api_init(void)
{
	int err = http_routes_add(routes, ARRAY_SIZE(routes));

	return err ? err : queue_live_hist_init();
}
