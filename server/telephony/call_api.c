/* /api/v1/calls: the call log (CDR), each call's timeline, and an
 * agent's own calls and counts for the agent console. */
#include <string.h>
#include <strings.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "telephony/telephony.h"
#include "telephony/tel_int.h"

/*
 * The call engine writes calls and call_events; this is the read side.
 * Newest first, keyset pagination on (started_at, call_id) descending,
 * which is the order of the calls_tenant_started index.
 *
 * Supervisors and admins read every call of the tenant. An agent reads
 * only its own calls: those it answered (a call.answered event names
 * it; a call transferred on names a later agent in calls.agent_id) or
 * that ended with it. The agent filter is forced, not offered.
 */

/* The number's label is today's, not the one it had during the call:
 * the console names the line the way agents know it now. */
#define CALL_JSON \
	"(to_jsonb(c) || jsonb_build_object('number_label'," \
	" (SELECT n.label FROM numbers n WHERE n.number = c.number" \
	" AND n.tenant_id = c.tenant_id)))"

#define EVENTS_JSON \
	"COALESCE((SELECT jsonb_agg(jsonb_build_object('seq', e.seq," \
	" 'type', e.type, 'data', e.data, 'created_at', e.created_at)" \
	" ORDER BY e.seq) FROM call_events e WHERE e.call_id = c.call_id)," \
	" '[]'::jsonb)"

static const char *const dispositions[] = {
	"completed", "abandoned", "voicemail", "transferred", "failed",
	"rejected", NULL
};

static const char *const directions[] = {"inbound", "outbound", NULL};

/* $N::uuid names the agent; NULL lets every call through. */
#define OWNER_SQL(n) \
	" ($" n "::uuid IS NULL OR c.agent_id = $" n "::uuid" \
	" OR c.call_id IN (SELECT e.call_id FROM call_events e" \
	" WHERE e.type = 'call.answered'" \
	" AND e.data->>'agent_id' = $" n "::text))"

struct filters {
	const char *pv[10];
	char number[33];
	char caller[33];
	char ts[64], id[64], lim[16];
	unsigned limit;
};


static bool in_list(const char *const *v, const char *s)
{
	for (; *v; v++) {
		if (!strcmp(*v, s))
			return true;
	}

	return false;
}


/* ISO 8601 as PostgreSQL reads it: 2026-11-25, 2026-11-25T10:00:00Z ... */
static bool time_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 10 || n > 40)
		return false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (i < 4 ? !(c >= '0' && c <= '9') :
		    !((c >= '0' && c <= '9') || strchr("-:T.+Z ", c)))
			return false;
	}

	return s[4] == '-';
}


static bool enum_arg(struct http_req *req, const char *name,
		     const char *const *v, const char *msg, const char **pvp)
{
	const char *s = http_req_query(req, name);

	*pvp = s;
	if (s && !in_list(v, s)) {
		api_reply_invalid(req, name, "enum", msg);
		return false;
	}

	return true;
}


static bool time_arg(struct http_req *req, const char *name,
		     const char **pvp)
{
	const char *s = http_req_query(req, name);

	*pvp = s;
	if (s && !time_ok(s)) {
		api_reply_invalid(req, name, "format", "must be an ISO 8601 "
				  "time, e.g. 2026-11-25T08:00:00Z");
		return false;
	}

	return true;
}


/* A number filter: normalized; a caller that is no number (anonymous)
 * is matched as written. */
static bool number_arg(struct http_req *req, const char *name, char *buf,
		       size_t sz, bool raw_ok, const char **pvp)
{
	const char *s = http_req_query(req, name);

	*pvp = NULL;
	if (!s)
		return true;

	if (!tel_normalize(buf, sz, s)) {
		*pvp = buf;
		return true;
	}

	if (raw_ok && strlen(s) < sz) {
		str_ncpy(buf, s, sz);
		*pvp = buf;
		return true;
	}

	api_reply_invalid(req, name, "format", "must be a telephone number");
	return false;
}


/*
 * Whose calls a request may read: an agent its own (agent_id, if given,
 * must be its own), a supervisor any agent's or, without agent_id, all.
 * *idp is NULL for all. False if a reply was sent.
 */
static bool owner_arg(struct http_req *req, const char **idp)
{
	const struct principal *p = http_req_principal(req);
	const char *id = http_req_query(req, "agent_id");

	if (id && !api_uuid_ok(id)) {
		api_reply_invalid(req, "agent_id", "format",
				  "must be an agent's id (a UUID)");
		return false;
	}

	if (p->role >= ROLE_SUPERVISOR) {
		*idp = id;
		return true;
	}

	if (p->kind != PRINCIPAL_USER || (id && strcasecmp(id, p->id))) {
		http_reply_problem(req, 403, "forbidden", "An agent sees "
				   "only its own calls.");
		return false;
	}

	*idp = p->id;
	return true;
}


static bool filters_get(struct http_req *req, struct filters *f)
{
	if (api_page_args(req, &f->limit, f->ts, sizeof(f->ts), f->id,
			  sizeof(f->id)))
		return false;

	if (!time_arg(req, "from", &f->pv[0]) ||
	    !time_arg(req, "to", &f->pv[1]) ||
	    !number_arg(req, "number", f->number, sizeof(f->number), false,
			&f->pv[2]) ||
	    !number_arg(req, "caller", f->caller, sizeof(f->caller), true,
			&f->pv[3]) ||
	    !enum_arg(req, "disposition", dispositions, "must be one of "
		      "completed, abandoned, voicemail, transferred, failed,"
		      " rejected", &f->pv[4]) ||
	    !enum_arg(req, "direction", directions,
		      "must be inbound or outbound", &f->pv[5]) ||
	    !owner_arg(req, &f->pv[9]))
		return false;

	(void)re_snprintf(f->lim, sizeof(f->lim), "%u", f->limit);
	f->pv[6] = f->ts[0] ? f->ts : NULL;
	f->pv[7] = f->id[0] ? f->id : NULL;
	f->pv[8] = f->lim;

	return true;
}


static void call_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " CALL_JSON ", c.started_at::text, c.call_id::text"
		" FROM calls c"
		" WHERE ($1::timestamptz IS NULL OR c.started_at >= $1)"
		" AND ($2::timestamptz IS NULL OR c.started_at < $2)"
		" AND ($3::text IS NULL OR c.number = $3)"
		" AND ($4::text IS NULL OR c.caller = $4)"
		" AND ($5::text IS NULL OR c.disposition = $5)"
		" AND ($6::text IS NULL OR c.direction = $6)"
		" AND ($7::timestamptz IS NULL OR (c.started_at, c.call_id)"
		" < ($7::timestamptz, $8::uuid))"
		" AND" OWNER_SQL("10")
		" ORDER BY c.started_at DESC, c.call_id DESC"
		" LIMIT $9::int + 1";
	struct db_ctx ctx = api_ctx(req);
	struct filters f;

	memset(&f, 0, sizeof(f));
	if (!filters_get(req, &f))
		return;

	api_query(req, &ctx, sql, 10, f.pv, api_page_done);
}


static void call_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " CALL_JSON " || jsonb_build_object('events', "
		EVENTS_JSON ") FROM calls c WHERE c.call_id = $1 AND"
		OWNER_SQL("2");
	const struct principal *p = http_req_principal(req);
	struct db_ctx ctx = api_ctx(req);
	const char *pv[2];

	pv[0] = http_req_param(req, "call_id");
	if (!api_uuid_ok(pv[0]) || (p->role < ROLE_SUPERVISOR &&
				    p->kind != PRINCIPAL_USER)) {
		http_reply_error(req, ENOENT);
		return;
	}

	/* another agent's call is as unknown as no call at all */
	pv[1] = p->role < ROLE_SUPERVISOR ? p->id : NULL;
	api_query(req, &ctx, sql, 2, pv, api_row_200);
}


/*
 * An agent's counts since `from` (default: midnight, server time):
 * calls answered, offers not answered, and the average handle time —
 * time on call and in wrap-up from the agent's state log, divided by
 * the calls answered.
 */
static void call_summary(struct http_req *req)
{
	static const char sql[] =
		"WITH a AS (SELECT COALESCE($2::timestamptz,"
		" date_trunc('day', now())) AS since),"
		" ev AS (SELECT count(*) FILTER (WHERE e.type ="
		" 'call.answered') AS answered, count(*) FILTER (WHERE"
		" e.type = 'agent.offered') AS offered FROM call_events e, a"
		" WHERE e.created_at >= a.since AND e.type IN"
		" ('call.answered', 'agent.offered')"
		" AND e.data->>'agent_id' = $1::text),"
		" s AS (SELECT l.state, l.at, lead(l.at, 1, now()) OVER"
		" (ORDER BY l.at, l.log_id) AS till FROM agent_state_log l, a"
		" WHERE l.agent_id = $1::uuid AND l.at >= a.since),"
		" h AS (SELECT COALESCE(sum(EXTRACT(EPOCH FROM s.till - s.at)"
		" * 1000) FILTER (WHERE s.state IN ('on_call', 'wrap_up')),"
		" 0)::bigint AS ms FROM s)"
		" SELECT jsonb_build_object('agent_id', $1::uuid, 'from',"
		" a.since, 'answered', ev.answered, 'missed',"
		" GREATEST(ev.offered - ev.answered, 0), 'handle_ms', h.ms,"
		" 'handle_ms_avg', CASE WHEN ev.answered > 0 THEN"
		" h.ms / ev.answered END) FROM a, ev, h";
	struct db_ctx ctx = api_ctx(req);
	const char *pv[2];

	if (!owner_arg(req, &pv[0]) || !time_arg(req, "from", &pv[1]))
		return;

	if (!pv[0]) {
		api_reply_invalid(req, "agent_id", "required",
				  "name the agent whose calls to count");
		return;
	}

	api_query(req, &ctx, sql, 2, pv, api_row_200);
}


/* summary before {call_id}: the first route that matches serves */
static const struct http_route routes[] = {
	{"GET", "/api/v1/calls", HTTP_TENANT, ROLE_AGENT, NULL, 0,
	 call_list},
	{"GET", "/api/v1/calls/summary", HTTP_TENANT, ROLE_AGENT, NULL, 0,
	 call_summary},
	{"GET", "/api/v1/calls/{call_id}", HTTP_TENANT, ROLE_AGENT,
	 NULL, 0, call_get},
};


/** Register the call log API. */
int call_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
