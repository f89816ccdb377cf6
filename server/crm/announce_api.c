/* /api/v1/announcements: notices (公告) supervisors and admins publish to
 * all agents or to queues, between a start and an end time. */
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

static const char *const audiences[] = {"all", "queues", NULL};

static const struct param create_params[] = {
	{"title", PARAM_STRING, true, 1, 100, NULL, false},
	{"body", PARAM_STRING, true, 1, 4000, NULL, false},
	{"audience", PARAM_ENUM, true, 0, 0, audiences, false},
	{"queue_ids", PARAM_ARRAY, false, 0, 50, NULL, false},
	{"starts_at", PARAM_STRING, false, 1, 40, NULL, true},
	{"ends_at", PARAM_STRING, false, 1, 40, NULL, true},
};

static const struct param update_params[] = {
	{"title", PARAM_STRING, false, 1, 100, NULL, false},
	{"body", PARAM_STRING, false, 1, 4000, NULL, false},
	{"audience", PARAM_ENUM, false, 0, 0, audiences, false},
	{"queue_ids", PARAM_ARRAY, false, 0, 50, NULL, false},
	{"starts_at", PARAM_STRING, false, 1, 40, NULL, true},
	{"ends_at", PARAM_STRING, false, 1, 40, NULL, true},
};

#define SELECT_SQL \
	"SELECT announcement_json(a)::text FROM announcements a" \
	" WHERE a.announcement_id = $1"


/* queue_ids are UUIDs; the title is one line. */
static bool body_ok(struct http_req *req)
{
	json_t *ids = json_object_get(http_req_json(req), "queue_ids");
	const char *title = api_str(req, "title");
	char field[32];
	size_t i;
	json_t *v;

	if (title && strpbrk(title, "\r\n\t")) {
		api_reply_invalid(req, "title", "format",
				  "must be one line without tabs");
		return false;
	}

	json_array_foreach(ids, i, v) {
		if (api_uuid_ok(json_string_value(v)))
			continue;

		(void)re_snprintf(field, sizeof(field), "queue_ids[%zu]", i);
		api_reply_invalid(req, field, "format", "must be a queue id");
		return false;
	}

	return true;
}


static void reply_last(struct http_req *req, const struct db_res *res,
		       unsigned status)
{
	unsigned n = db_res_stmts(res);

	if (n < 2 || db_nrows(res, n - 2) < 1)
		http_reply_error(req, ENOENT);
	else
		api_reply_row(req, status, res, n - 1);
}


/* Whatever starts now goes out through the start timer, at once. */
static void created(struct http_req *req, const struct db_res *res)
{
	reply_last(req, res, 201);
	announce_kick();
}


static void updated(struct http_req *req, const struct db_res *res)
{
	reply_last(req, res, 200);
	announce_kick();
}


static void change(struct http_req *req, const char *sql, unsigned n,
		   const char *const *pv, const char *action, api_rows_h *h)
{
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   action, "announcement", pv[0], NULL};
	char *detail = ticket_body_text(req);
	struct db_txn *tx = NULL;
	int err = detail ? 0 : ENOMEM;

	w.detail_sql = detail;
	err = err ? err : ticket_begin(&tx, req, sql, n, pv, &w);
	err = err ? err : db_txn_add(tx, SELECT_SQL, 1, pv);
	mem_deref(detail);
	ticket_run(req, tx, err, h);
}


static void announce_create(struct http_req *req)
{
	static const char sql[] =
		"SELECT announcement_create($1, $2::jsonb, $3, $4)";
	char id[UUID_STRLEN];
	struct ticket_actor a;
	char *body;
	const char *pv[4];

	if (!body_ok(req))
		return;

	body = ticket_body_text(req);
	uuid_v4(id);
	ticket_actor(req, &a);
	pv[0] = id;
	pv[1] = body;
	pv[2] = a.id;
	pv[3] = a.name;
	if (body)
		change(req, sql, 4, pv, "announcement.create", created);
	else
		http_reply_error(req, ENOMEM);
	mem_deref(body);
}


/* Only before its start: once published, agents may have read it. */
static void announce_update(struct http_req *req)
{
	static const char sql[] =
		"SELECT announcement_update($1, $2::jsonb)";
	const char *id = api_path_uuid(req, "announcement_id");
	char *body;
	const char *pv[2];

	if (!id || !body_ok(req))
		return;

	body = ticket_body_text(req);
	pv[0] = id;
	pv[1] = body;
	if (body)
		change(req, sql, 2, pv, "announcement.update", updated);
	else
		http_reply_error(req, ENOMEM);
	mem_deref(body);
}


static void withdrawn(struct http_req *req, const struct db_res *res)
{
	unsigned n = db_res_stmts(res);

	reply_last(req, res, 200);
	if (n >= 2 && db_nrows(res, n - 2) > 0)
		ticket_dispatch(http_req_principal(req)->tenant_id,
				db_val(res, n - 2, 0, 0));
}


/* Consoles take it off their list (announcement.withdrawn); a second
 * withdrawal keeps the first time and tells no one. */
static void announce_withdraw(struct http_req *req)
{
	static const char sql[] =
		"SELECT announcement_withdraw($1)::text";
	const char *id = api_path_uuid(req, "announcement_id");

	if (id)
		change(req, sql, 1, &id, "announcement.withdraw", withdrawn);
}


static void announce_get(struct http_req *req)
{
	const char *id = api_path_uuid(req, "announcement_id");

	if (id)
		ticket_query(req, SELECT_SQL, 1, &id, api_row_200);
}


/* Newest first. */
static void announce_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT announcement_json(a)::text, a.created_at::text,"
		" a.announcement_id::text FROM announcements a"
		" WHERE $1::timestamptz IS NULL OR (a.created_at,"
		" a.announcement_id) < ($1::timestamptz, $2::uuid)"
		" ORDER BY a.created_at DESC, a.announcement_id DESC"
		" LIMIT $3::int + 1";
	char ts[64], id[64], lim[16];
	const char *pv[3];
	unsigned limit;

	if (!ticket_page(req, &limit, ts, id, lim))
		return;

	pv[0] = ts[0] ? ts : NULL;
	pv[1] = id[0] ? id : NULL;
	pv[2] = lim;
	ticket_query(req, sql, 3, pv, ticket_list_done);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/announcements", HTTP_TENANT, ROLE_SUPERVISOR, NULL,
	 0, announce_list},
	{"POST", "/api/v1/announcements", HTTP_TENANT, ROLE_SUPERVISOR,
	 P(create_params), announce_create},
	{"GET", "/api/v1/announcements/{announcement_id}", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, announce_get},
	{"PATCH", "/api/v1/announcements/{announcement_id}", HTTP_TENANT,
	 ROLE_SUPERVISOR, P(update_params), announce_update},
	{"POST", "/api/v1/announcements/{announcement_id}/withdraw",
	 HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0, announce_withdraw},
};


/** Register the announcements API for supervisors and admins. */
int announce_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
