/* GET /api/v1/calls/{call_id}/customer: a live call's screen pop, for a
 * console that reloaded during the call. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_agent_int.h"
#include "call/call_cti.h"


/* The agent on the call, dialling it, or offered it. */
static bool agent_has(const struct call *call, const char *agent_id)
{
	struct le *le;

	if (!strcmp(call_queue_agent_of(call), agent_id))
		return true;
	if (call->outbound && !strcmp(call->agent_id, agent_id))
		return true;

	for (le = call->cq ? call->cq->agents.head : NULL; le;
	     le = le->next) {
		const struct call_agent *ca = le->data;

		if (!strcmp(ca->agent_id, agent_id))
			return true;
	}

	return false;
}


static void customer_get(struct http_req *req)
{
	const struct principal *p = http_req_principal(req);
	const char *id = http_req_param(req, "call_id");
	struct call *call = api_uuid_ok(id) ?
		call_find_live(p->tenant_id, id) : NULL;

	if (!call) {
		http_reply_problem(req, 404, "not_found",
				   "No call in progress has this id.");
		return;
	}

	if (p->role < ROLE_SUPERVISOR &&
	    (p->kind != PRINCIPAL_USER || !agent_has(call, p->id))) {
		http_reply_error(req, EACCES);
		return;
	}

	/* customer null: the lookup has not answered yet */
	http_reply_json(req, 200, json_pack("{s:s, s:O?}", "call_id",
					    call->call_id, "customer",
					    call->customer));
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/calls/{call_id}/customer", HTTP_TENANT, ROLE_AGENT,
	 NULL, 0, customer_get},
};


/** Register the route of a live call's screen pop. */
int call_pop_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
