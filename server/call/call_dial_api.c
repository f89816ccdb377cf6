/* POST /api/v1/calls: click-to-dial on behalf of an agent, for CRM
 * systems — the agent's device rings first, then the customer. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "queue/queue.h"
#include "agent/agent_reg.h"
#include "agent/softphone.h"
#include "telephony/telephony.h"
#include "call/call.h"
#include "call/call_console.h"

/*
 * The agent is read from the database in the caller's tenant, so
 * another tenant's agent is 404 like an unknown one. Admins and
 * supervisors dial for any agent of the tenant; an agent (a user, or
 * an agent key bound to one) only for itself. A SIP phone or PSTN agent
 * is rung at once and the reply names the call; a browser agent's
 * console is asked to dial (call.dial_request) and the reply names the
 * request, which the call's call.created event repeats.
 */
static const struct param dial_params[] = {
	{"agent_id", PARAM_UUID, false, 0, 0, NULL, false},
	{"work_no", PARAM_STRING, false, 1, 8, NULL, false},
	{"to", PARAM_STRING, true, 1, 32, NULL, false},
	{"caller_id", PARAM_STRING, false, 1, 32, NULL, false},
};

/* What an error of call_dial_agent() tells a CRM. */
static const struct {
	int err;
	unsigned status;
	const char *code, *detail;
} errs[] = {
	{ENODEV, 409, "no_device", "The agent's phone is not registered or "
	 "cannot be reached, or its console is not open."},
	{EBUSY, 409, "agent_busy", "The agent is ringing, on a call or "
	 "dialling already."},
	{EDQUOT, 409, "outbound_limit", "The tenant or its trunk is at its "
	 "limit of calls; try again when a call has ended."},
	{ENETUNREACH, 409, "no_outbound_route", "No trunk of the tenant's "
	 "number dials out; the operator must set one first."},
};


static void reply_dial_error(struct http_req *req, int err)
{
	if (err == EINVAL) {
		api_reply_invalid(req, "to", "format",
				  "must be a phone number");
		return;
	}
	if (err == ENOENT) {
		api_reply_invalid(req, "caller_id", "not_found",
				  "must be one of the tenant's numbers");
		return;
	}

	for (size_t i = 0; i < ARRAY_SIZE(errs); i++) {
		if (errs[i].err == err) {
			http_reply_problem(req, errs[i].status, errs[i].code,
					   errs[i].detail);
			return;
		}
	}

	http_reply_error(req, err);
}


static bool may_dial_for(const struct principal *p, const char *agent_id)
{
	if (p->role >= ROLE_SUPERVISOR)
		return true;

	if (p->kind == PRINCIPAL_USER)
		return !strcmp(p->id, agent_id);

	return p->kind == PRINCIPAL_API_KEY && !strcmp(p->agent_id, agent_id);
}


/* Logged out or busy, said before anything rings. */
static bool agent_state_refused(struct http_req *req, const char *tenant_id,
				const char *agent_id)
{
	struct queue_agent_state st;

	if (queue_agent_get(tenant_id, agent_id, &st) ||
	    !strcmp(st.state, "logged_out")) {
		http_reply_problem(req, 409, "agent_logged_out",
				   "The agent is not logged in.");
		return true;
	}
	if (strcmp(st.state, "ready") && strcmp(st.state, "not_ready") &&
	    strcmp(st.state, "wrap_up")) {
		reply_dial_error(req, EBUSY);
		return true;
	}

	return false;
}


/* A browser agent: its console dials by itself (web/agent/dialreq.js). */
static void ask_console(struct http_req *req, const char *agent_id)
{
	const char *from = api_str(req, "caller_id");
	char request_id[UUID_STRLEN];
	json_t *msg;

	if (!softphone_online(agent_id)) {
		reply_dial_error(req, ENODEV);
		return;
	}

	uuid_v4(request_id);
	msg = json_pack("{s:s, s:s, s:s, s:s*}", "type", "call.dial_request",
			"request_id", request_id, "number",
			api_str(req, "to"), "from", from);
	if (!msg || softphone_send(agent_id, msg)) {
		reply_dial_error(req, ENODEV);
		return;
	}

	http_reply_json(req, 202, json_pack("{s:n, s:s, s:s, s:s, s:s}",
		"call_id", "request_id", request_id, "agent_id", agent_id,
		"device", "webrtc", "status", "requested"));
}


/* The number the customer will see must be one of the tenant's. */
static bool caller_id_ok(const char *tenant_id, const char *from)
{
	struct tel_number *num = from ? tel_number_find(from) : NULL;
	bool ok = !from || (num && !strcmp(num->tenant_id, tenant_id));

	mem_deref(num);

	return ok;
}


static void agent_found(struct http_req *req, const struct db_res *res)
{
	const struct principal *p = http_req_principal(req);
	struct call_dial_who w;
	char call_id[37], digits[33], request_id[UUID_STRLEN];
	const char *to = api_str(req, "to");
	int err;

	if (db_nrows(res, 0) < 1) {
		http_reply_problem(req, 404, "agent_not_found",
				   "No agent of this tenant has this id or "
				   "work number.");
		return;
	}

	memset(&w, 0, sizeof(w));
	w.tenant_id = p->tenant_id;
	w.agent_id = db_val(res, 0, 0, 0);
	w.device = db_val(res, 0, 0, 1);
	w.phone = db_val(res, 0, 0, 2);
	w.from = api_str(req, "caller_id");
	w.origin = "api";

	if (!may_dial_for(p, w.agent_id)) {
		http_reply_error(req, EACCES);
		return;
	}
	if (tel_normalize(digits, sizeof(digits), to) || !digits[0]) {
		reply_dial_error(req, EINVAL);
		return;
	}
	if (!caller_id_ok(p->tenant_id, w.from)) {
		reply_dial_error(req, ENOENT);
		return;
	}
	if (agent_state_refused(req, p->tenant_id, w.agent_id))
		return;

	if (!strcmp(w.device, "webrtc")) {
		ask_console(req, w.agent_id);
		return;
	}
	if ((!strcmp(w.device, "sip") && !agent_reg_reachable(w.agent_id)) ||
	    (!strcmp(w.device, "pstn") && !w.phone[0])) {
		reply_dial_error(req, ENODEV);
		return;
	}

	uuid_v4(request_id);
	w.request_id = request_id;
	err = call_dial_agent(&w, to, NULL, NULL, call_id);
	if (err) {
		reply_dial_error(req, err);
		return;
	}

	http_reply_json(req, 202, json_pack("{s:s, s:s, s:s, s:s, s:s}",
		"call_id", call_id, "request_id", request_id, "agent_id",
		w.agent_id, "device", w.device, "status", "dialing"));
}


static void dial_post(struct http_req *req)
{
	static const char sql[] =
		"SELECT agent_id::text, device, phone FROM agents"
		" WHERE agent_id = $1::uuid OR work_no = $2";
	struct db_ctx ctx = api_ctx(req);
	const char *pv[2];

	pv[0] = api_str(req, "agent_id");
	pv[1] = api_str(req, "work_no");
	if (!pv[0] == !pv[1]) {
		api_reply_invalid(req, pv[0] ? "work_no" : "agent_id",
				  "required", "give exactly one of agent_id "
				  "and work_no");
		return;
	}

	api_query(req, &ctx, sql, 2, pv, agent_found);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"POST", "/api/v1/calls", HTTP_TENANT, ROLE_AGENT, P(dial_params),
	 dial_post},
};


/** Register click-to-dial for CRM systems. */
int call_dial_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
