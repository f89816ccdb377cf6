/* /api/v1/skills: what agents can do and queues require. */
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


static const struct acdcfg_table skills = {
	"skill", "skill_id", SELECT_SQL,
	/* Agents and queues lose the skill with it (ON DELETE CASCADE);
	 * the runtime reloads them on the notice. */
	"DELETE FROM skills WHERE skill_id = $1 RETURNING skill_id",
};


static void skill_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " SKILL_JSON ", s.created_at::text, s.skill_id::text"
		" FROM skills s"
		" WHERE ($1::timestamptz IS NULL OR (s.created_at, s.skill_id)"
		" > ($1::timestamptz, $2::uuid))"
		" ORDER BY s.created_at, s.skill_id LIMIT $3::int + 1";

	api_list(req, sql);
}


static void skill_get(struct http_req *req)
{
	acdcfg_get(req, &skills);
}


static void skill_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO skills (skill_id, tenant_id, name)"
		" VALUES ($1, $2, $3) RETURNING skill_id";
	char skill_id[UUID_STRLEN];
	const char *pv[3];

	if (!acdcfg_name_ok(req))
		return;

	uuid_v4(skill_id);
	pv[0] = skill_id;
	pv[1] = http_req_principal(req)->tenant_id;
	pv[2] = api_str(req, "name");
	acdcfg_change(req, &skills, ACDCFG_CREATE, sql, 3, pv);
}


static void skill_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE skills SET name = COALESCE($2, name),"
		" updated_at = now() WHERE skill_id = $1 RETURNING skill_id";
	const char *id = api_path_uuid(req, "skill_id");
	const char *pv[2];

	if (!id || !acdcfg_name_ok(req))
		return;

	pv[0] = id;
	pv[1] = api_str(req, "name");
	acdcfg_change(req, &skills, ACDCFG_UPDATE, sql, 2, pv);
}


static void skill_delete(struct http_req *req)
{
	acdcfg_delete(req, &skills);
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
