/* REST actions on a call: hold, blind transfer and hang-up by the agent
 * who answered it (or a supervisor), and its disposition. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "http/param.h"
#include "media/leg.h"
#include "call/call.h"
#include "call/call_int.h"
#include "call/call_console.h"
#include "call/call_monitor_int.h"
#include "call/call_wrap.h"

#define P(t) t, ARRAY_SIZE(t)

/*
 * Only a live call of the caller's tenant is found (another tenant's id
 * is 404, as an unknown one). An agent acts on the call it answered;
 * supervisors and admins on any call of the tenant.
 */
static const struct param hold_params[] = {
	{"held", PARAM_BOOL, true, 0, 0, NULL, false},
};

static const char *const rec_actions[] = {"pause", "resume", NULL};

static const struct param rec_params[] = {
	{"action", PARAM_ENUM, true, 0, 0, rec_actions, false},
};

static const struct param xfer_params[] = {
	{"queue", PARAM_STRING, false, 1, 64, NULL, false},
	{"number", PARAM_STRING, false, 1, 32, NULL, false},
	{"agent_id", PARAM_UUID, false, 0, 0, NULL, false},
};


static const struct param wrap_params[] = {
	{"code", PARAM_STRING, true, 1, 64, NULL, false},
	{"notes", PARAM_STRING, false, 0, 8000, NULL, false},
};


static const char *const consult_actions[] = {"start", "complete",
	"conference", "cancel", NULL};

static const struct param consult_params[] = {
	{"action", PARAM_ENUM, true, 0, 0, consult_actions, false},
	{"number", PARAM_STRING, false, 1, 32, NULL, false},
	{"agent", PARAM_STRING, false, 1, 36, NULL, false},
	{"queue", PARAM_STRING, false, 1, 64, NULL, false},
};

static const char *const monitor_actions[] = {"start", "mode", "stop",
	NULL};
static const char *const monitor_modes[] = {"listen", "whisper", "barge",
	"takeover", NULL};

static const struct param monitor_params[] = {
	{"action", PARAM_ENUM, true, 0, 0, monitor_actions, false},
	{"mode", PARAM_ENUM, false, 0, 0, monitor_modes, false},
};

static const struct param dtmf_params[] = {
	{"digits", PARAM_STRING, true, 1, 32, NULL, false},
};


static struct call *live_call(struct http_req *req)
{
	const struct principal *p = http_req_principal(req);
	const char *id = http_req_param(req, "call_id");
	struct call *call = api_uuid_ok(id) ?
		call_find_live(p->tenant_id, id) : NULL;

	if (!call) {
		http_reply_problem(req, 404, "not_found",
				   "No call in progress has this id.");
		return NULL;
	}

	if (p->role < ROLE_SUPERVISOR &&
	    (p->kind != PRINCIPAL_USER ||
	     strcmp(call_queue_agent_of(call), p->id))) {
		http_reply_error(req, EACCES);
		return NULL;
	}

	return call;
}


static void reply_ok(struct http_req *req, struct call *call,
		     const char *what)
{
	http_reply_json(req, 200, json_pack("{s:s, s:s}", "call_id",
					    call->call_id, "result", what));
}


static void no_agent(struct http_req *req)
{
	http_reply_problem(req, 409, "not_with_agent",
			   "The call is not talking to an agent now.");
}


static void hold_post(struct http_req *req)
{
	struct call *call = live_call(req);
	bool on;
	int err;

	if (!call)
		return;

	on = json_is_true(json_object_get(http_req_json(req), "held"));
	err = call_queue_hold(call, on);
	if (err == ENOENT) {
		no_agent(req);
		return;
	}

	reply_ok(req, call, on ? "held" : "resumed");
}


/* Pause the recording for a card number, or resume it. */
static void recording_post(struct http_req *req)
{
	const char *action = api_str(req, "action");
	const char *id = http_req_param(req, "call_id");
	int err;

	err = api_uuid_ok(id) ? call_console_record(http_req_principal(req),
						    id, action) : ENOENT;
	switch (err) {

	case 0:
		http_reply_json(req, 200, json_pack("{s:s, s:s}", "call_id",
			id, "result", !strcmp(action, "pause") ? "paused" :
			"resumed"));
		break;
	case ENOENT:
		http_reply_problem(req, 404, "not_found",
				   "No call in progress has this id.");
		break;
	case ENODATA:
		http_reply_problem(req, 409, "not_recorded",
				   "The call is not being recorded.");
		break;
	case EALREADY:
		http_reply_problem(req, 409, "conflict", !strcmp(action,
			"pause") ? "The recording is paused already." :
			"The recording is not paused.");
		break;
	default:
		http_reply_error(req, err);
		break;
	}
}


static void reply_transfer(struct http_req *req, struct call *call,
			   int err, const char *queue)
{
	switch (err) {

	case 0:
		reply_ok(req, call, "transferring");
		break;

	case ENOENT:
		api_reply_invalid(req, queue ? "queue" : "agent_id",
				  "not_found", queue ?
				  "the tenant has no such queue" :
				  "the tenant has no such agent");
		break;

	case ENODEV:
		http_reply_problem(req, 409, "agent_logged_out",
				   "That agent is not logged in.");
		break;

	case EXDEV:
		http_reply_problem(req, 409, "agent_not_in_queue",
				   "That agent does not serve this call's "
				   "queue (its skills do not match).");
		break;

	case EINVAL:
		api_reply_invalid(req, "number", "format",
				  "must be a phone number");
		break;

	case ENOTSUP:
		http_reply_problem(req, 409, "no_outbound_route",
				   "The call's trunk has no outbound route; "
				   "the operator must set one first.");
		break;

	default:
		http_reply_error(req, err);
		break;
	}
}


static void transfer_post(struct http_req *req)
{
	const char *queue = api_str(req, "queue");
	const char *number = api_str(req, "number");
	const char *agent = api_str(req, "agent_id");
	struct call *call;
	int err;

	if (!!queue + !!number + !!agent != 1) {
		api_reply_invalid(req, "queue", "required",
				  "give exactly one of queue, number and "
				  "agent_id");
		return;
	}

	call = live_call(req);
	if (!call)
		return;

	if (!call_queue_agent_of(call)[0]) {
		no_agent(req);
		return;
	}

	err = queue ? call_queue_transfer_queue(call, queue) :
		agent ? call_queue_transfer_agent(call, agent) :
		call_queue_transfer_number(call, number);
	reply_transfer(req, call, err, queue);
}


static void hangup_post(struct http_req *req)
{
	const char *id = http_req_param(req, "call_id");
	int err;

	if (!api_uuid_ok(id)) {
		http_reply_problem(req, 404, "not_found",
				   "No call in progress has this id.");
		return;
	}

	err = call_console_hangup(http_req_principal(req), id);
	if (err == ENOENT)
		http_reply_problem(req, 404, "not_found",
				   "No call in progress has this id.");
	else if (err)
		http_reply_error(req, err);
	else
		http_reply_json(req, 200, json_pack("{s:s, s:s}", "call_id",
						    id, "result", "hung_up"));
}


static void dtmf_post(struct http_req *req)
{
	struct call *call = live_call(req);
	int err;

	if (!call)
		return;

	err = call_console_dtmf(http_req_principal(req), call->call_id,
				api_str(req, "digits"));
	if (err == EINVAL)
		api_reply_invalid(req, "digits", "format", "0-9, *, #, A-D; "
				  "at most 32");
	else if (err == EALREADY)
		no_agent(req);
	else if (err)
		http_reply_error(req, err);
	else
		reply_ok(req, call, "sent");
}


static void consult_post(struct http_req *req)
{
	struct call *call = live_call(req);
	struct call_consult_to to = {api_str(req, "number"),
		api_str(req, "agent"), api_str(req, "queue")};
	const char *code, *msg;
	bool queued;
	int status, err;

	if (!call)
		return;

	if (!strcmp(api_str(req, "action"), "start") &&
	    (!to.number + !to.agent + !to.queue) != 2) {
		api_reply_invalid(req, "number", "required", "start needs "
				  "exactly one of number, agent or queue");
		return;
	}

	err = call_console_consult(http_req_principal(req), call->call_id,
				   api_str(req, "action"), &to, &queued);
	status = call_consult_problem(err, &to, &code, &msg);
	if (status) {
		http_reply_problem(req, status, code, msg);
		return;
	}

	switch (err) {

	case 0:
		reply_ok(req, call, queued ? "queued" :
			 api_str(req, "action"));
		break;

	case ENOENT:
		http_reply_problem(req, 409, "no_consultation", "No agent "
				   "talks on the call, or none is "
				   "consulted.");
		break;

	case EALREADY:
		http_reply_problem(req, 409, "conflict", "The consultation "
				   "is not in a state for this.");
		break;

	default:
		reply_transfer(req, call, err, NULL);
		break;
	}
}


/* Monitoring with the supervisor's SIP phone (the browser's goes over
 * the console's WebSocket, which carries its SDP). */
static void monitor_post(struct http_req *req)
{
	const struct principal *p = http_req_principal(req);
	const char *id = http_req_param(req, "call_id");
	const char *action = api_str(req, "action");
	const char *mode = api_str(req, "mode");
	int err;

	if (strcmp(action, "stop") && !mode) {
		api_reply_invalid(req, "mode", "required", "listen, whisper, "
				  "barge or takeover");
		return;
	}

	err = !api_uuid_ok(id) ? ENOENT :
		!strcmp(action, "start") ?
		call_monitor_start_phone(p, NULL, id, mode) :
		!strcmp(action, "mode") ?
		call_monitor_mode(p, NULL, id, mode) :
		call_monitor_stop(p, NULL, id);
	if (err == ENOENT)
		http_reply_problem(req, 404, "not_found", "No call in "
				   "progress has this id, or you do not "
				   "monitor it.");
	else if (err == ENODEV)
		http_reply_problem(req, 409, "no_phone", "No SIP phone of "
				   "yours is registered.");
	else if (err == EEXIST)
		http_reply_problem(req, 409, "already_monitoring", "You "
				   "monitor this call already: change the "
				   "mode or stop.");
	else if (err == EALREADY)
		http_reply_problem(req, 409, "conflict", "Not possible in "
				   "the monitor's state now.");
	else if (err)
		http_reply_error(req, err);
	else
		http_reply_json(req, 200, json_pack("{s:s, s:s}", "call_id",
						    id, "result", action));
}


static void wrap_saved(int err, void *arg)
{
	struct http_req *req = arg;

	if (err == ENOENT)
		http_reply_problem(req, 404, "not_found", "You have no call "
				   "with this id (an agent may set only the "
				   "calls it answered).");
	else if (err == EINVAL)
		api_reply_invalid(req, "code", "not_listed", "must be one of "
				  "the tenant's enabled disposition codes");
	else if (err)
		http_reply_error(req, err);
	else
		http_reply_json(req, 200, json_pack("{s:s, s:s}", "call_id",
				http_req_param(req, "call_id"), "result",
				"saved"));
	mem_deref(req);
}


static void wrap_post(struct http_req *req)
{
	const char *id = http_req_param(req, "call_id");
	int err;

	if (!api_uuid_ok(id)) {
		wrap_saved(ENOENT, mem_ref(req));
		return;
	}

	err = call_wrap_save(http_req_app(req), http_req_principal(req), id,
			     api_str(req, "code"), api_str(req, "notes"),
			     wrap_saved, mem_ref(req));
	if (err) {
		mem_deref(req);
		if (err == EINVAL)
			api_reply_invalid(req, "notes", "too_long",
					  "at most 2000 characters");
		else
			http_reply_error(req, err);
	}
}


static const struct http_route routes[] = {
	{"POST", "/api/v1/calls/{call_id}/hold", HTTP_TENANT, ROLE_AGENT,
	 P(hold_params), hold_post},
	{"POST", "/api/v1/calls/{call_id}/recording", HTTP_TENANT,
	 ROLE_AGENT, P(rec_params), recording_post},
	{"POST", "/api/v1/calls/{call_id}/transfer", HTTP_TENANT, ROLE_AGENT,
	 P(xfer_params), transfer_post},
	{"POST", "/api/v1/calls/{call_id}/hangup", HTTP_TENANT, ROLE_AGENT,
	 NULL, 0, hangup_post},
	{"POST", "/api/v1/calls/{call_id}/dtmf", HTTP_TENANT, ROLE_AGENT,
	 P(dtmf_params), dtmf_post},
	{"POST", "/api/v1/calls/{call_id}/consult", HTTP_TENANT, ROLE_AGENT,
	 P(consult_params), consult_post},
	{"POST", "/api/v1/calls/{call_id}/monitor", HTTP_TENANT,
	 ROLE_SUPERVISOR, P(monitor_params), monitor_post},
	{"GET", "/api/v1/live/monitors", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, call_monitor_live_get},
	{"POST", "/api/v1/calls/{call_id}/disposition", HTTP_TENANT,
	 ROLE_AGENT, P(wrap_params), wrap_post},
};


/** Register the live call actions. */
int call_action_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
