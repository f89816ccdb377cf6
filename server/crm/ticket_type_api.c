/* /api/v1/ticket-types: a tenant's kinds of business record, each with
 * its workflow (states and the transitions allowed between them). */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "crm/ticket_int.h"

#define TYPE_JSON \
	"json_build_object('type_id', y.type_id, 'name', y.name," \
	" 'states', y.states, 'transitions', y.transitions," \
	" 'enabled', y.enabled, 'created_at', y.created_at," \
	" 'updated_at', y.updated_at)"

#define SELECT_SQL \
	"SELECT " TYPE_JSON " FROM ticket_types y WHERE y.type_id = $1"

static const struct param state_params[] = {
	{"key", PARAM_STRING, true, 1, 32, NULL, false},
	{"label", PARAM_STRING, true, 1, 32, NULL, false},
	{"initial", PARAM_BOOL, false, 0, 0, NULL, false},
	{"final", PARAM_BOOL, false, 0, 0, NULL, false},
};

static const struct param transition_params[] = {
	{"from", PARAM_STRING, true, 1, 32, NULL, false},
	{"to", PARAM_STRING, true, 1, 32, NULL, false},
};

static const struct param create_params[] = {
	{"name", PARAM_STRING, true, 1, 64, NULL, false},
	{"states", PARAM_ARRAY, true, 1, 30, NULL, false},
	{"transitions", PARAM_ARRAY, true, 0, 200, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};

static const struct param update_params[] = {
	{"name", PARAM_STRING, false, 1, 64, NULL, false},
	{"states", PARAM_ARRAY, false, 1, 30, NULL, false},
	{"transitions", PARAM_ARRAY, false, 0, 200, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};


/*
 * The workflow of the body, checked; false if a 400 was replied. States
 * and transitions come together: one is not checked without the other.
 */
static bool flow_ok(struct http_req *req, char **statesp, char **transp)
{
	json_t *s = json_object_get(http_req_json(req), "states");
	json_t *t = json_object_get(http_req_json(req), "transitions");
	struct param_error e;

	*statesp = *transp = NULL;
	if (!s && !t)
		return true;

	if (!s || !t) {
		api_reply_invalid(req, s ? "transitions" : "states",
				  "required", "states and transitions are "
				  "changed together");
		return false;
	}

	if (!api_array_ok(req, "states", state_params,
			  ARRAY_SIZE(state_params)) ||
	    !api_array_ok(req, "transitions", transition_params,
			  ARRAY_SIZE(transition_params)))
		return false;

	if (ticket_flow_check(s, t, &e)) {
		api_reply_invalid(req, e.field, e.code, e.message);
		return false;
	}

	if (api_json_text(req, "states", statesp) ||
	    api_json_text(req, "transitions", transp)) {
		*statesp = mem_deref(*statesp);
		*transp = mem_deref(*transp);
		http_reply_error(req, ENOMEM);
		return false;
	}

	return true;
}


/* By creation: the order types were set up in. */
static void type_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " TYPE_JSON ", y.created_at::text, y.type_id::text"
		" FROM ticket_types y WHERE ($1::timestamptz IS NULL OR"
		" (y.created_at, y.type_id) > ($1::timestamptz, $2::uuid))"
		" AND ($3::boolean IS NULL OR y.enabled = $3)"
		" ORDER BY y.created_at, y.type_id LIMIT $4::int + 1";
	const char *en = http_req_query(req, "enabled");
	char ts[64], id[64], lim[16];
	const char *pv[4];
	unsigned limit;

	if (!ticket_page(req, &limit, ts, id, lim))
		return;

	if (en && strcmp(en, "true") && strcmp(en, "false")) {
		api_reply_invalid(req, "enabled", "type",
				  "must be true or false");
		return;
	}

	pv[0] = ts[0] ? ts : NULL;
	pv[1] = id[0] ? id : NULL;
	pv[2] = en;
	pv[3] = lim;
	ticket_query(req, sql, 4, pv, ticket_list_done);
}


static void type_get(struct http_req *req)
{
	const char *id = api_path_uuid(req, "type_id");

	if (id)
		ticket_query(req, SELECT_SQL, 1, &id, api_row_200);
}


static void reply_last(struct http_req *req, const struct db_res *res,
		       unsigned status)
{
	unsigned n = db_res_stmts(res);

	if (n < 2 || db_nrows(res, n - 2) < 1)
		http_reply_error(req, ENOENT);
	else if (status == 204)
		http_reply_empty(req, 204);
	else
		api_reply_row(req, status, res, n - 1);
}


static void created(struct http_req *req, const struct db_res *res)
{
	reply_last(req, res, 201);
}


static void updated(struct http_req *req, const struct db_res *res)
{
	reply_last(req, res, 200);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	unsigned n = db_res_stmts(res);

	if (!n || db_nrows(res, n - 1) < 1)
		http_reply_error(req, ENOENT);
	else
		http_reply_empty(req, 204);
}


static void change(struct http_req *req, const char *pre, const char *sql,
		   unsigned n, const char *const *pv, const char *action,
		   api_rows_h *h)
{
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   action, "ticket_type", pv[0], NULL};
	struct db_ctx ctx = api_ctx(req);
	char *detail = ticket_body_text(req);
	struct db_txn *tx = NULL;
	int err = detail ? 0 : ENOMEM;

	w.detail_sql = detail;
	err = err ? err : db_txn_alloc(&tx, &ctx);
	if (!err && pre)
		err = db_txn_add(tx, pre, 2, pv);
	err = err ? err : api_audit_change(tx, req, sql, n, pv, &w);
	if (!err && h != deleted)
		err = db_txn_add(tx, SELECT_SQL, 1, pv);

	mem_deref(detail);
	ticket_run(req, tx, err, h);
}


static void type_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO ticket_types (type_id, tenant_id, name, states,"
		" transitions, enabled) VALUES ($1, $2, btrim($3), $4::jsonb,"
		" $5::jsonb, COALESCE($6::boolean, true)) RETURNING type_id";
	char type_id[UUID_STRLEN];
	char *states, *trans;
	const char *pv[6];

	if (!flow_ok(req, &states, &trans))
		return;

	uuid_v4(type_id);
	pv[0] = type_id;
	pv[1] = http_req_principal(req)->tenant_id;
	pv[2] = api_str(req, "name");
	pv[3] = states;
	pv[4] = trans;
	pv[5] = api_bool(req, "enabled");
	change(req, NULL, sql, 6, pv, "ticket_type.create", created);
	mem_deref(states);
	mem_deref(trans);
}


/* A workflow edit keeps every state some ticket is in (409 otherwise):
 * no ticket is left in a state its type no longer has. */
static void type_update(struct http_req *req)
{
	static const char pre[] =
		"SELECT ticket_type_states_check($1, $2::jsonb)"
		" WHERE $2 IS NOT NULL";
	static const char sql[] =
		"UPDATE ticket_types SET name = COALESCE(btrim($3), name),"
		" states = COALESCE($2::jsonb, states),"
		" transitions = COALESCE($4::jsonb, transitions),"
		" enabled = COALESCE($5::boolean, enabled), updated_at = now()"
		" WHERE type_id = $1 RETURNING type_id";
	const char *id = api_path_uuid(req, "type_id");
	char *states, *trans;
	const char *pv[5];

	if (!id || !flow_ok(req, &states, &trans))
		return;

	pv[0] = id;
	pv[1] = states;
	pv[2] = api_str(req, "name");
	pv[3] = trans;
	pv[4] = api_bool(req, "enabled");
	change(req, pre, sql, 5, pv, "ticket_type.update", updated);
	mem_deref(states);
	mem_deref(trans);
}


/* A type with tickets stays (they need its workflow): disable it. */
static void type_delete(struct http_req *req)
{
	static const char pre[] =
		"SELECT crm_fail('OS409', 'type_id', 'type_in_use', 'tickets"
		" of this type exist; disable the type instead') FROM tickets"
		" WHERE type_id = $1 AND $2::text IS NULL LIMIT 1";
	static const char sql[] =
		"DELETE FROM ticket_types WHERE type_id = $1"
		" RETURNING type_id";
	const char *id = api_path_uuid(req, "type_id");
	const char *pv[2];

	if (!id)
		return;

	pv[0] = id;
	pv[1] = NULL;
	change(req, pre, sql, 1, pv, "ticket_type.delete", deleted);
}


#define P(t) t, ARRAY_SIZE(t)

/* Agents read the types to create tickets. */
static const struct http_route routes[] = {
	{"GET", "/api/v1/ticket-types", HTTP_TENANT, ROLE_AGENT, NULL, 0,
	 type_list},
	{"POST", "/api/v1/ticket-types", HTTP_TENANT, ROLE_ADMIN,
	 P(create_params), type_create},
	{"GET", "/api/v1/ticket-types/{type_id}", HTTP_TENANT, ROLE_AGENT,
	 NULL, 0, type_get},
	{"PATCH", "/api/v1/ticket-types/{type_id}", HTTP_TENANT, ROLE_ADMIN,
	 P(update_params), type_update},
	{"DELETE", "/api/v1/ticket-types/{type_id}", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, type_delete},
};


/** Register the ticket types API. */
int ticket_type_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
