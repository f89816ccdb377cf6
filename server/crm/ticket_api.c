/* /api/v1/tickets: business records of a customer (maybe of a call),
 * moved along their type's workflow; every change audited, kept as the
 * ticket's history and announced on the "ticket" topic. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "crm/ticket_int.h"

static const char *const priorities[] = {"low", "normal", "high", "urgent",
					 NULL};

static const struct param create_params[] = {
	{"type_id", PARAM_UUID, true, 0, 0, NULL, false},
	{"customer_id", PARAM_UUID, true, 0, 0, NULL, false},
	{"call_id", PARAM_UUID, false, 0, 0, NULL, true},
	{"title", PARAM_STRING, true, 1, 200, NULL, false},
	{"description", PARAM_STRING, false, 0, 10000, NULL, false},
	{"priority", PARAM_ENUM, false, 0, 0, priorities, false},
	{"due_at", PARAM_STRING, false, 1, 40, NULL, true},
	{"assignee_user_id", PARAM_UUID, false, 0, 0, NULL, true},
	{"assignee_queue_id", PARAM_UUID, false, 0, 0, NULL, true},
};

static const struct param update_params[] = {
	{"title", PARAM_STRING, false, 1, 200, NULL, false},
	{"description", PARAM_STRING, false, 0, 10000, NULL, false},
	{"priority", PARAM_ENUM, false, 0, 0, priorities, false},
	{"state", PARAM_STRING, false, 1, 32, NULL, false},
	{"due_at", PARAM_STRING, false, 1, 40, NULL, true},
	{"assignee_user_id", PARAM_UUID, false, 0, 0, NULL, true},
	{"assignee_queue_id", PARAM_UUID, false, 0, 0, NULL, true},
};

/* The reply, $1 = ticket id. */
#define REPLY_SQL \
	"SELECT ticket_json(t)::text FROM tickets t WHERE t.ticket_id = $1"


/* A title is one line: the param table lets newlines through. */
static bool title_ok(struct http_req *req)
{
	const char *t = api_str(req, "title");

	if (!t || !strpbrk(t, "\r\n\t"))
		return true;

	api_reply_invalid(req, "title", "format",
			  "must be one line without tabs");
	return false;
}


/* The reply, then the events the change wrote (statement 0). */
static void reply_events(struct http_req *req, const struct db_res *res,
			 unsigned status)
{
	if (db_nrows(res, 1) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	api_reply_row(req, status, res, 1);
	ticket_dispatch(http_req_principal(req)->tenant_id,
			db_val(res, 0, 0, 0));
}


/* ticket.created, and ticket.assigned when it was assigned. */
static void created(struct http_req *req, const struct db_res *res)
{
	reply_events(req, res, 201);
}


/* Created in the type's initial state; an agent may create tickets for
 * any customer of the tenant and assign them to anyone. */
static void ticket_create(struct http_req *req)
{
	static const char sql[] =
		"SELECT ticket_create($1, $2::jsonb, $3, $4, $5)";
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   "ticket.create", "ticket", NULL, NULL};
	char ticket_id[UUID_STRLEN];
	struct ticket_actor a;
	struct db_txn *tx = NULL;
	char *body;
	const char *pv[5];
	int err;

	if (!title_ok(req))
		return;

	body = ticket_body_text(req);
	uuid_v4(ticket_id);
	ticket_actor(req, &a);
	pv[0] = ticket_id;
	pv[1] = body;
	pv[2] = a.id;
	pv[3] = a.kind;
	pv[4] = a.name;
	w.target_id = ticket_id;
	w.detail_sql = body;

	err = body ? 0 : ENOMEM;
	err = err ? err : ticket_begin(&tx, req, sql, 5, pv, &w);
	err = err ? err : db_txn_add(tx, REPLY_SQL, 1, pv);
	ticket_run(req, tx, err, created);
	mem_deref(body);
}


/* Events only when something changed; an assignment is also
 * ticket.assigned, so the new assignee's console hears of it. */
static void updated(struct http_req *req, const struct db_res *res)
{
	reply_events(req, res, 200);
}


/* A state change follows one of the type's transitions or is a 409 that
 * names both states and the allowed ones; nothing is changed then. */
static void ticket_update(struct http_req *req)
{
	static const char sql[] =
		"SELECT (ticket_update($1, $2::jsonb, $3, $4, $5,"
		" $6::boolean))->'events'";
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   "ticket.update", "ticket", NULL, NULL};
	const char *id = api_path_uuid(req, "ticket_id");
	struct ticket_actor a;
	struct db_txn *tx = NULL;
	char *body;
	const char *pv[6];
	int err;

	if (!id || !title_ok(req))
		return;

	body = ticket_body_text(req);
	ticket_actor(req, &a);
	pv[0] = id;
	pv[1] = body;
	pv[2] = a.id;
	pv[3] = a.kind;
	pv[4] = a.name;
	pv[5] = a.agent;
	w.target_id = id;
	w.detail_sql = body;

	err = body ? 0 : ENOMEM;
	err = err ? err : ticket_begin(&tx, req, sql, 6, pv, &w);
	err = err ? err : db_txn_add(tx, REPLY_SQL, 1, pv);
	ticket_run(req, tx, err, updated);
	mem_deref(body);
}


/* With comments, attachments and history; another tenant's ticket, or
 * one an agent may not see, is not found. */
static void ticket_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT ticket_detail_json(t)::text FROM tickets t"
		" WHERE t.ticket_id = $1 AND ticket_visible(t, $2::uuid,"
		" $3::boolean)";
	const char *id = api_path_uuid(req, "ticket_id");
	struct ticket_actor a;
	const char *pv[3];

	if (!id)
		return;

	ticket_actor(req, &a);
	pv[0] = id;
	pv[1] = a.id;
	pv[2] = a.agent;
	ticket_query(req, sql, 3, pv, api_row_200);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"POST", "/api/v1/tickets", HTTP_TENANT, ROLE_AGENT,
	 P(create_params), ticket_create},
	{"GET", "/api/v1/tickets/{ticket_id}", HTTP_TENANT, ROLE_AGENT,
	 NULL, 0, ticket_get},
	{"PATCH", "/api/v1/tickets/{ticket_id}", HTTP_TENANT, ROLE_AGENT,
	 P(update_params), ticket_update},
};


/** Register the tickets API. */
int ticket_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
