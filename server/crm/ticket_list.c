/* GET /api/v1/tickets: the tickets a user may see, newest first, by
 * state, type, assignee, customer, call, priority, overdue and text. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "http/api.h"
#include "crm/ticket_int.h"

/*
 * One statement with every filter optional ($n IS NULL); an agent's
 * rows are also limited by ticket_visible(). assignee=me is the caller
 * or one of the caller's queues; an assignee id is a user's or a
 * queue's. q finds a part of the title or the description (the trigram
 * index serves ILIKE; %, _ and \ in q are matched as themselves).
 */
static const char list_sql[] =
	"SELECT ticket_json(t)::text, t.created_at::text, t.ticket_id::text"
	" FROM tickets t JOIN ticket_types y ON y.type_id = t.type_id"
	" WHERE ticket_visible(t, $1::uuid, $2::boolean)"
	" AND ($3::text IS NULL OR t.state = $3)"
	" AND ($4::uuid IS NULL OR t.type_id = $4)"
	" AND ($5::boolean IS NULL OR t.assignee_user_id = $1::uuid"
	"  OR t.assignee_queue_id IN (SELECT agent_queue_ids($1::uuid)))"
	" AND ($6::uuid IS NULL OR t.assignee_user_id = $6"
	"  OR t.assignee_queue_id = $6)"
	" AND ($7::uuid IS NULL OR t.customer_id = $7)"
	" AND ($8::uuid IS NULL OR t.call_id = $8)"
	" AND ($9::boolean IS NULL OR $9 = (t.due_at IS NOT NULL AND"
	"  t.due_at < now() AND NOT COALESCE((ticket_state(y.states,"
	"  t.state)->>'final')::boolean, false)))"
	" AND ($10::text IS NULL OR (t.title || ' ' || t.description)"
	"  ILIKE '%' || replace(replace(replace($10, '\\', '\\\\'), '%',"
	"  '\\%'), '_', '\\_') || '%')"
	" AND ($11::text IS NULL OR t.priority = $11)"
	" AND ($12::timestamptz IS NULL OR (t.created_at, t.ticket_id) <"
	"  ($12::timestamptz, $13::uuid))"
	" ORDER BY t.created_at DESC, t.ticket_id DESC LIMIT $14::int + 1";

enum { NPARAMS = 14 };


static bool bool_ok(struct http_req *req, const char *name,
		    const char **valp)
{
	const char *v = http_req_query(req, name);

	*valp = v;
	if (!v || !strcmp(v, "true") || !strcmp(v, "false"))
		return true;

	api_reply_invalid(req, name, "type", "must be true or false");
	return false;
}


static bool text_ok(struct http_req *req, const char *name, size_t max,
		    const char **valp)
{
	const char *v = http_req_query(req, name);

	*valp = v;
	if (!v || (v[0] && strlen(v) <= max))
		return true;

	api_reply_invalid(req, name, "length", "must be 1 to 100 bytes");
	return false;
}


static bool priority_ok(struct http_req *req, const char **valp)
{
	const char *v = http_req_query(req, "priority");

	*valp = v;
	if (!v || !strcmp(v, "low") || !strcmp(v, "normal") ||
	    !strcmp(v, "high") || !strcmp(v, "urgent"))
		return true;

	api_reply_invalid(req, "priority", "enum",
			  "must be one of low, normal, high, urgent");
	return false;
}


/* assignee=me, or a user's or queue's id. */
static bool assignee_ok(struct http_req *req, const char **mep,
			const char **idp)
{
	const char *v = http_req_query(req, "assignee");

	*mep = *idp = NULL;
	if (!v)
		return true;

	if (!strcmp(v, "me")) {
		*mep = "true";
		return true;
	}

	if (api_uuid_ok(v)) {
		*idp = v;
		return true;
	}

	api_reply_invalid(req, "assignee", "format",
			  "must be me, a user id or a queue id");
	return false;
}


static bool filters_ok(struct http_req *req, const char **pv)
{
	return text_ok(req, "state", 32, &pv[2]) &&
		ticket_query_uuid(req, "type_id", &pv[3]) &&
		assignee_ok(req, &pv[4], &pv[5]) &&
		ticket_query_uuid(req, "customer_id", &pv[6]) &&
		ticket_query_uuid(req, "call_id", &pv[7]) &&
		bool_ok(req, "overdue", &pv[8]) &&
		text_ok(req, "q", 100, &pv[9]) &&
		priority_ok(req, &pv[10]);
}


static void ticket_list(struct http_req *req)
{
	char ts[64], id[64], lim[16];
	const char *pv[NPARAMS];
	struct ticket_actor a;
	unsigned limit;

	if (!ticket_page(req, &limit, ts, id, lim) || !filters_ok(req, pv))
		return;

	ticket_actor(req, &a);
	pv[0] = a.id;
	pv[1] = a.agent;
	pv[11] = ts[0] ? ts : NULL;
	pv[12] = id[0] ? id : NULL;
	pv[13] = lim;
	ticket_query(req, list_sql, NPARAMS, pv, ticket_list_done);
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/tickets", HTTP_TENANT, ROLE_AGENT, NULL, 0,
	 ticket_list},
};


/** Register the ticket list. */
int ticket_list_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
