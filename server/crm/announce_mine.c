/* The reading side of announcements: an agent's current ones with their
 * read flag, the read receipt, and who has (not) read one. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "crm/ticket_int.h"

/* Current: started, not ended, not withdrawn, addressed to the caller. */
#define CURRENT_SQL \
	" a.withdrawn_at IS NULL AND a.starts_at <= now()" \
	" AND (a.ends_at IS NULL OR a.ends_at > now())" \
	" AND announcement_for(a, $1::uuid, $2::boolean)"

#define NAME_SQL "COALESCE(NULLIF(u.display_name, ''), u.username)"


/* Read receipts are a user's: an API key reads nothing. */
static bool user_only(struct http_req *req)
{
	if (http_req_principal(req)->kind == PRINCIPAL_USER)
		return true;

	http_reply_problem(req, 403, "forbidden", "Announcements are read "
			   "by users, not by API keys.");
	return false;
}


/* Newest start first, at most 100 (a console shows the current ones),
 * with how many are unread for the badge. */
static void announce_mine(struct http_req *req)
{
	static const char sql[] =
		"SELECT json_build_object('items', COALESCE(json_agg(x.j"
		" ORDER BY x.s DESC, x.id DESC), '[]'), 'unread',"
		" count(*) FILTER (WHERE NOT x.r))::text FROM ("
		" SELECT announcement_json(a) || jsonb_build_object('read',"
		" r.read_at IS NOT NULL, 'read_at', r.read_at) AS j,"
		" a.starts_at AS s, a.announcement_id AS id,"
		" r.read_at IS NOT NULL AS r FROM announcements a"
		" LEFT JOIN announcement_reads r ON r.announcement_id ="
		" a.announcement_id AND r.user_id = $1::uuid WHERE"
		CURRENT_SQL " ORDER BY a.starts_at DESC LIMIT 100) x";
	struct ticket_actor a;
	const char *pv[2];

	if (!user_only(req))
		return;

	ticket_actor(req, &a);
	pv[0] = a.id;
	pv[1] = a.agent;
	ticket_query(req, sql, 2, pv, api_row_200);
}


static void read_done(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 200, res, 1);
}


/* Idempotent: a second receipt keeps the first time. Only a current
 * announcement addressed to the caller can be read (404 otherwise). */
static void announce_read(struct http_req *req)
{
	static const char ins[] =
		"INSERT INTO announcement_reads (tenant_id, announcement_id,"
		" user_id) SELECT a.tenant_id, a.announcement_id, $1::uuid"
		" FROM announcements a WHERE a.announcement_id = $3 AND"
		CURRENT_SQL " ON CONFLICT DO NOTHING";
	static const char sel[] =
		"SELECT json_build_object('announcement_id',"
		" r.announcement_id, 'user_id', r.user_id,"
		" 'read_at', r.read_at)::text"
		" FROM announcement_reads r WHERE r.user_id = $1::uuid"
		" AND r.announcement_id = $3 AND $2::text IS NOT NULL";
	const char *id = api_path_uuid(req, "announcement_id");
	struct db_ctx ctx = api_ctx(req);
	struct ticket_actor a;
	struct db_txn *tx = NULL;
	const char *pv[3];
	int err;

	if (!id || !user_only(req))
		return;

	ticket_actor(req, &a);
	pv[0] = a.id;
	pv[1] = a.agent;
	pv[2] = id;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, ins, 3, pv);
	err = err ? err : db_txn_add(tx, sel, 3, pv);
	ticket_run(req, tx, err, read_done);
}


/* Who read it when, and who of its audience has not: the agents of its
 * queues, or every agent of the tenant for an announcement to all. */
static void announce_reads(struct http_req *req)
{
	static const char sql[] =
		"SELECT json_build_object('announcement_id',"
		" a.announcement_id, 'read', COALESCE((SELECT json_agg("
		"json_build_object('user_id', u.user_id, 'username',"
		" u.username, 'name', " NAME_SQL ", 'read_at', r.read_at)"
		" ORDER BY r.read_at) FROM announcement_reads r JOIN users u"
		" ON u.user_id = r.user_id WHERE r.announcement_id ="
		" a.announcement_id), '[]'), 'unread', COALESCE((SELECT"
		" json_agg(json_build_object('user_id', u.user_id, 'username',"
		" u.username, 'name', " NAME_SQL ") ORDER BY u.username)"
		" FROM users u WHERE u.deleted_at IS NULL AND NOT u.disabled"
		" AND ((a.audience_all AND u.role = 'agent') OR u.user_id IN"
		" (SELECT queue_member_ids(q) FROM unnest(a.queue_ids) q))"
		" AND NOT EXISTS (SELECT 1 FROM announcement_reads r"
		" WHERE r.announcement_id = a.announcement_id"
		" AND r.user_id = u.user_id)), '[]'))::text"
		" FROM announcements a WHERE a.announcement_id = $1";
	const char *id = api_path_uuid(req, "announcement_id");

	if (id)
		ticket_query(req, sql, 1, &id, api_row_200);
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/announcements/mine", HTTP_TENANT, ROLE_AGENT, NULL,
	 0, announce_mine},
	{"POST", "/api/v1/announcements/{announcement_id}/read", HTTP_TENANT,
	 ROLE_AGENT, NULL, 0, announce_read},
	{"GET", "/api/v1/announcements/{announcement_id}/reads", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, announce_reads},
};


/** Register the reading side of announcements. */
int announce_mine_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
