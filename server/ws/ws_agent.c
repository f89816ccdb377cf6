/* Agent actions over the console's WebSocket: the same as the REST
 * actions (PUT /agents/{id}/state, POST /agents/{id}/wrap-up). */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include "queue/queue.h"
#include "ws/ws_int.h"

/*
 * {"type": "agent.state", "state": "ready"|"not_ready"|"logged_out",
 *  "reason"?: "...", "agent_id"?: "...", "id"?: any}
 * {"type": "agent.wrap_up", "action": "end"|"extend", "seconds"?: n,
 *  "agent_id"?, "id"?}
 * The agent acts on itself; naming another agent needs a supervisor.
 * The answer is "agent.ok" with the agent's state, or "error" with a
 * code; "id" is echoed so a console can match answers to requests.
 */

static const char *code_of(int err)
{
	switch (err) {

	case ENOENT:       return "not_found";
	case EACCES:       return "forbidden";
	case EDQUOT:       return "seat_quota_exceeded";
	case EHOSTUNREACH: return "device_unreachable";
	case EALREADY:     return "not_in_wrap_up";
	default:           return "validation_failed";
	}
}


static void answer(struct ws_client *wsc, const json_t *msg,
		   const char *agent_id, int err)
{
	const struct principal *p = &wsc->principal;
	struct queue_agent_state st;
	json_t *o;

	if (!err)
		err = queue_agent_get(p->tenant_id, agent_id, &st);

	if (err)
		o = json_pack("{s:s, s:s, s:s}", "type", "error", "code",
			      code_of(err), "message", "The agent action was "
			      "refused.");
	else
		o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "type", "agent.ok",
			      "agent_id", agent_id, "state", st.state,
			      "reason", st.reason, "since_ms",
			      (json_int_t)st.since_ms);

	if (o && json_object_get(msg, "id"))
		(void)json_object_set(o, "id", json_object_get(msg, "id"));
	ws_reply(wsc, o);
}


/* The agent a message acts on, and who forces it (NULL: itself). */
static int target(const struct ws_client *wsc, const json_t *msg,
		  const char **agent_id, const char **forced)
{
	const struct principal *p = &wsc->principal;
	const char *id = json_string_value(json_object_get(msg, "agent_id"));

	*forced = NULL;
	if (!id || !strcmp(id, p->id)) {
		*agent_id = p->id;
		return 0;
	}

	if (p->role < ROLE_SUPERVISOR)
		return EACCES;

	*agent_id = id;
	*forced = p->id;

	return 0;
}


/** Handle an agent action; false if type is not one. */
bool ws_agent_msg(struct ws_client *wsc, const char *type, json_t *msg)
{
	const char *tenant_id = wsc->principal.tenant_id;
	const char *agent_id = wsc->principal.id, *forced = NULL;
	int err;

	if (strcmp(type, "agent.state") && strcmp(type, "agent.wrap_up"))
		return false;

	err = tenant_id[0] ? target(wsc, msg, &agent_id, &forced) : EACCES;
	if (!err && !strcmp(type, "agent.state")) {
		err = queue_agent_set_state(tenant_id, agent_id,
			json_string_value(json_object_get(msg, "state")),
			json_string_value(json_object_get(msg, "reason")),
			forced);
	}
	else if (!err) {
		const char *action = json_string_value(
			json_object_get(msg, "action"));
		json_int_t secs = json_integer_value(
			json_object_get(msg, "seconds"));

		if (!action || (strcmp(action, "end") &&
				strcmp(action, "extend")))
			err = EINVAL;
		else if (!strcmp(action, "extend") &&
			 (secs < 1 || secs > 3600))
			err = EINVAL;
		else
			err = queue_agent_wrapup(tenant_id, agent_id,
						 !strcmp(action, "extend"),
						 (uint32_t)secs);
	}

	answer(wsc, msg, agent_id, err);

	return true;
}
