/* GET /api/v1/agents/{agent_id}/registration: where the SIP phone is. */
#include <string.h>
#include <strings.h>
#include <time.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include "app.h"
#include "auth/principal.h"
#include "agent/agent_reg.h"
#include "http/api.h"
#include "acdcfg/acdcfg_int.h"

/*
 * The registrar keeps registrations platform-wide by agent id, so the
 * agent is looked up in the tenant first: another tenant's id is a 404
 * like any other. What is shown is this node's view (reachable is its
 * OPTIONS qualify).
 */


static json_t *reg_json(const char *device, const struct agent_reg_info *ri)
{
	time_t t = (time_t)ri->expires_at;
	char expires[32] = "";
	struct tm tm;

	if (gmtime_r(&t, &tm))
		(void)strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ",
			       &tm);

	return json_pack("{s:b,s:s,s:s,s:s,s:s,s:s,s:b,s:b}",
			 "registered", true, "device", device,
			 "contact", ri->contact, "source", ri->source,
			 "user_agent", ri->user_agent, "expires_at", expires,
			 "reachable", ri->reachable, "nat", ri->nat);
}


/* Row: (device, agent_id) of the tenant's agent, or none. */
static void agent_found(struct http_req *req, const struct db_res *res)
{
	const char *device = db_val(res, 0, 0, 0);
	const char *id = db_val(res, 0, 0, 1);
	struct agent_reg_info ri;
	json_t *body;

	if (db_nrows(res, 0) < 1 || !device || !id) {
		http_reply_error(req, ENOENT);
		return;
	}

	if (agent_reg_info(id, &ri))
		body = json_pack("{s:b,s:s}", "registered", false, "device",
				 device);
	else
		body = reg_json(device, &ri);

	if (!body) {
		http_reply_error(req, ENOMEM);
		return;
	}

	http_reply_json(req, 200, body);
}


static void reg_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT device, agent_id::text FROM agents"
		" WHERE agent_id = $1";
	const struct principal *p = http_req_principal(req);
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "agent_id");

	if (!id)
		return;

	if (p->role < ROLE_SUPERVISOR && strcasecmp(p->id, id)) {
		http_reply_error(req, ENOENT);
		return;
	}

	api_query(req, &ctx, sql, 1, &id, agent_found);
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/agents/{agent_id}/registration", HTTP_TENANT,
	 ROLE_AGENT, NULL, 0, reg_get},
};


/** Register the agent registration API. */
int agent_reg_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
