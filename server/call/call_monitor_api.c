/* The live monitors of the tenant's calls: who listens to, whispers to
 * or barges in on which agent now, for every supervisor's wallboard. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_list.h>
#include "auth/principal.h"
#include "http/http.h"
#include "call/call_int.h"
#include "call/call_monitor_int.h"

static json_t *monitor_json(const struct call_monitor *m)
{
	return json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s, s:b}",
			 "call_id", m->call->call_id,
			 "agent_id", m->agent_id[0] ? m->agent_id : NULL,
			 "supervisor_id", m->user_id,
			 "supervisor", m->name,
			 "mode", call_monitor_mode_name(m->mode),
			 "device", m->rtc ? "browser" : "sip",
			 "connected", call_monitor_connected(m));
}


/**
 * GET /api/v1/live/monitors: every monitor of the caller's tenant, in
 * the order they started. The wallboard loads it once and follows the
 * monitor.* events from there.
 */
void call_monitor_live_get(struct http_req *req)
{
	const struct principal *p = http_req_principal(req);
	json_t *items = json_array();
	struct le *le;

	for (le = call_monitor_all()->head; items && le; le = le->next) {
		const struct call_monitor *m = le->data;

		if (strcmp(m->call->tenant_id, p->tenant_id))
			continue;
		if (json_array_append_new(items, monitor_json(m))) {
			json_decref(items);
			items = NULL;
		}
	}

	if (!items)
		http_reply_error(req, ENOMEM);
	else
		http_reply_json(req, 200, json_pack("{s:o}", "items", items));
}
