/* /api/v1/skills: what agents can do and queues require. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "acdcfg/acdcfg_int.h"

#define SKILL_JSON \
	"json_build_object('skill_id', s.skill_id, 'name', s.name," \
	" 'agent_count', (SELECT count(*) FROM agent_skills x" \
	" WHERE x.skill_id = s.skill_id)," \
	" 'queue_count', (SELECT count(*) FROM queue_skills x" \
	" WHERE x.skill_id = s.skill_id)," \
	" 'created_at', s.created_at, 'updated_at', s.updated_at)"

#define SELECT_SQL "SELECT " SKILL_JSON " FROM skills s WHERE s.skill_id = $1"

static const struct param create_params[] = {
	{"name", PARAM_STRING, true, 1, 64, NULL, false},
};

static const struct param update_params[] = {
	{"name", PARAM_STRING, false, 1, 64, NULL, false},
};


/* Names are shown in lists and matched exactly: no edge spaces. */
static bool name_ok(struct http_req *req)
{
	const char *s = api_str(req, "name");
	size_t n = s ? strlen(s) : 0;

	if (!s || (n && s[0] != ' ' && s[n - 1] != ' '))
		return true;

	api_reply_invalid(req, "name", "format",
			  "must not begin or end with a space");
	return false;
}


static void skill_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " SKILL_JSON ", s.created_at::text, s.skill_id::text"
		" FROM skills s"
		" WHERE ($1::timestamptz IS NULL OR (s.created_at, s.skill_id)"
		" > ($1::timestamptz, $2::uuid))"
		" ORDER BY s.created_at, s.skill_id LIMIT $3::int + 1";
	struct db_ctx ctx = api_ctx(req);
	char ts[64], id[64], lim[16];
	const char *pv[3];
	unsigned limit;

	if (!acdcfg_page(req, &limit, ts, id, lim))
		return;

	pv[0] = ts[0] ? ts : NULL;
	pv[1] = id[0] ? id : NULL;
	pv[2] = lim;
	api_query(req, &ctx, sql, 3, pv, acdcfg_list_done);
}


static void row_200(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 200, res, 0);
}


static void skill_get(struct http_req *req)
{
	struct db_ctx ctx = api_ctx(req);
	const char *id = acdcfg_path_id(req, "skill_id");

	if (id)
		api_query(req, &ctx, SELECT_SQL, 1, &id, row_200);
}


static void created(struct http_req *req, const struct db_res *res)
{
	acdcfg_reply_last(req, res, 201);
}


static void updated(struct http_req *req, const struct db_res *res)
{
	acdcfg_reply_last(req, res, 200);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	acdcfg_reply_last(req, res, 204);
}


static void change(struct http_req *req, const char *sql, unsigned n,
		   const char *const *pv, const char *action, api_rows_h *h)
{
	struct acdcfg_what w = {action, "skill", pv[0], NULL, NULL};
	struct db_txn *tx;
	int err;

	err = acdcfg_begin(&tx, req, sql, n, pv, &w);
	if (!err && strcmp(action, "skill.delete"))
		err = db_txn_add(tx, SELECT_SQL, 1, pv);

	acdcfg_run(req, tx, err, h);
}


static void skill_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO skills (skill_id, tenant_id, name)"
		" VALUES ($1, $2, $3) RETURNING skill_id";
	char skill_id[UUID_STRLEN];
	const char *pv[3];

	if (!name_ok(req))
		return;

	uuid_v4(skill_id);
	pv[0] = skill_id;
	pv[1] = http_req_principal(req)->tenant_id;
	pv[2] = api_str(req, "name");
	change(req, sql, 3, pv, "skill.create", created);
}


static void skill_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE skills SET name = COALESCE($2, name),"
		" updated_at = now() WHERE skill_id = $1 RETURNING skill_id";
	const char *id = acdcfg_path_id(req, "skill_id");
	const char *pv[2];

	if (!id || !name_ok(req))
		return;

	pv[0] = id;
	pv[1] = api_str(req, "name");
	change(req, sql, 2, pv, "skill.update", updated);
}


/* Agents and queues lose the skill with it (ON DELETE CASCADE); the
 * runtime reloads them on the notice. */
static void skill_delete(struct http_req *req)
{
	static const char sql[] =
		"DELETE FROM skills WHERE skill_id = $1 RETURNING skill_id";
	const char *id = acdcfg_path_id(req, "skill_id");

	if (id)
		change(req, sql, 1, &id, "skill.delete", deleted);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/skills", HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0,
	 skill_list},
	{"POST", "/api/v1/skills", HTTP_TENANT, ROLE_ADMIN, P(create_params),
	 skill_create},
	{"GET", "/api/v1/skills/{skill_id}", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, skill_get},
	{"PATCH", "/api/v1/skills/{skill_id}", HTTP_TENANT, ROLE_ADMIN,
	 P(update_params), skill_update},
	{"DELETE", "/api/v1/skills/{skill_id}", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, skill_delete},
};


/** Register the skills API. */
int skill_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
