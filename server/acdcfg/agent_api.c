/* /api/v1/agents: a user's seat — work number, device, skills. */
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "http/param.h"
#include "telephony/telephony.h"
#include "acdcfg/acdcfg_int.h"

/*
 * agent_id is the user's id. sip_secret is write-only (digest needs it
 * as given, so it is stored as given): replies say has_sip_secret and
 * audit rows sip_secret_changed. skills, when sent, replace the
 * agent's skills as a whole in the change's transaction. Agents list
 * their colleagues as a directory (names and work numbers, for
 * transfers), not their devices.
 */

#define AGENT_JSON \
	"json_build_object('agent_id', a.agent_id, 'user_id', a.agent_id," \
	" 'username', u.username, 'display_name', u.display_name," \
	" 'role', u.role, 'disabled', u.disabled, 'work_no', a.work_no," \
	" 'device', a.device, 'sip_user', a.sip_user," \
	" 'has_sip_secret', a.sip_secret <> '', 'phone', a.phone," \
	" 'skills', COALESCE((SELECT json_agg(json_build_object(" \
	"'skill_id', x.skill_id, 'name', s.name, 'level', x.level)" \
	" ORDER BY s.name) FROM agent_skills x JOIN skills s" \
	" ON s.skill_id = x.skill_id WHERE x.agent_id = a.agent_id)," \
	" '[]'::json), 'created_at', a.created_at," \
	" 'updated_at', a.updated_at)"

#define FROM_SQL " FROM agents a JOIN users u ON u.user_id = a.agent_id"

#define SELECT_SQL "SELECT " AGENT_JSON FROM_SQL " WHERE a.agent_id = $1"

enum { SKILLS_MAX = 64 };

static const char *const devices[] = {"sip", "pstn", "webrtc", NULL};

static const struct param create_params[] = {
	{"user_id", PARAM_UUID, true, 0, 0, NULL, false},
	{"work_no", PARAM_STRING, true, 1, 8, NULL, false},
	{"device", PARAM_ENUM, false, 0, 0, devices, false},
	{"sip_user", PARAM_STRING, false, 1, 64, NULL, true},
	{"sip_secret", PARAM_STRING, false, 0, 128, NULL, false},
	{"phone", PARAM_STRING, false, 0, 32, NULL, false},
	{"skills", PARAM_ARRAY, false, 0, SKILLS_MAX, NULL, false},
};

static const struct param update_params[] = {
	{"work_no", PARAM_STRING, false, 1, 8, NULL, false},
	{"device", PARAM_ENUM, false, 0, 0, devices, false},
	{"sip_user", PARAM_STRING, false, 1, 64, NULL, true},
	{"sip_secret", PARAM_STRING, false, 0, 128, NULL, false},
	{"phone", PARAM_STRING, false, 0, 32, NULL, false},
	{"skills", PARAM_ARRAY, false, 0, SKILLS_MAX, NULL, false},
};

static const struct param skill_params[] = {
	{"skill_id", PARAM_UUID, true, 0, 0, NULL, false},
	{"level", PARAM_INT, false, 1, 9, NULL, false},
};


static bool all_of(const char *s, const char *set, bool alnum)
{
	for (; s && *s; s++) {
		bool an = (*s >= 'a' && *s <= 'z') ||
			(*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9');

		if (!(alnum && an) && !strchr(set, *s))
			return false;
	}

	return true;
}


/* The phone as digits, normalized as callers are; "" stays "". */
static bool phone_get(struct http_req *req, char *buf, size_t sz,
		      const char **pvp)
{
	const char *p = api_str(req, "phone");

	*pvp = p;
	if (!p || !p[0])
		return true;

	if (tel_normalize(buf, sz, p) || strlen(buf) > 20) {
		api_reply_invalid(req, "phone", "format",
				  "must be a telephone number of 3 to 20 "
				  "digits, e.g. 13800138000");
		return false;
	}

	*pvp = buf;
	return true;
}


/* What the parameter tables cannot say. */
static bool fields_ok(struct http_req *req)
{
	const char *work_no = api_str(req, "work_no");
	const char *secret = api_str(req, "sip_secret");

	if (work_no && !all_of(work_no, "0123456789", false)) {
		api_reply_invalid(req, "work_no", "format",
				  "must be 1 to 8 digits, e.g. 1001");
		return false;
	}
	if (!all_of(api_str(req, "sip_user"), "._-", true)) {
		api_reply_invalid(req, "sip_user", "format",
				  "may contain only letters, digits and "
				  ". _ -");
		return false;
	}
	if (secret && secret[0] && strlen(secret) < 8) {
		api_reply_invalid(req, "sip_secret", "length",
				  "must be at least 8 characters");
		return false;
	}

	return api_array_ok(req, "skills", skill_params,
			       ARRAY_SIZE(skill_params));
}


/* A SIP phone must be able to register; a PSTN seat must be rung. */
static bool device_ok(struct http_req *req)
{
	const char *device = api_str(req, "device");
	const char *user = api_str(req, "sip_user");
	const char *secret = api_str(req, "sip_secret");
	const char *phone = api_str(req, "phone");

	if ((!device || !strcmp(device, "sip")) && !user) {
		api_reply_invalid(req, "sip_user", "required",
				  "is required for a sip device");
		return false;
	}
	if ((!device || !strcmp(device, "sip")) && (!secret || !secret[0])) {
		api_reply_invalid(req, "sip_secret", "required",
				  "is required for a sip device");
		return false;
	}
	if (device && !strcmp(device, "pstn") && (!phone || !phone[0])) {
		api_reply_invalid(req, "phone", "required",
				  "is required for a pstn device");
		return false;
	}

	return true;
}


#define LIST_SQL(json, search) \
	"SELECT " json ", a.created_at::text, a.agent_id::text" FROM_SQL \
	" WHERE ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM" \
	" agent_skills x WHERE x.agent_id = a.agent_id" \
	" AND x.skill_id = $1::uuid))" \
	" AND ($2::text IS NULL OR a.device = $2)" \
	" AND ($3::text IS NULL OR a.work_no = $3" \
	" OR u.username ILIKE '%' || $3 || '%'" \
	" OR u.display_name ILIKE '%' || $3 || '%'" search ")" \
	" AND ($4::timestamptz IS NULL OR (a.created_at, a.agent_id)" \
	" > ($4::timestamptz, $5::uuid))" \
	" ORDER BY a.created_at, a.agent_id LIMIT $6::int + 1"

/* What an agent sees of its colleagues: enough to pick a transfer
 * target, nothing of their devices. */
#define DIRECTORY_JSON \
	"json_build_object('agent_id', a.agent_id, 'username', u.username," \
	" 'display_name', u.display_name, 'work_no', a.work_no," \
	" 'disabled', u.disabled)"


static void agent_list(struct http_req *req)
{
	static const char full_sql[] = LIST_SQL(AGENT_JSON,
		" OR a.sip_user ILIKE '%' || $3 || '%'");
	static const char dir_sql[] = LIST_SQL(DIRECTORY_JSON, "");
	const struct principal *p = http_req_principal(req);
	const char *sql = p->role >= ROLE_SUPERVISOR ? full_sql : dir_sql;
	const char *skill = http_req_query(req, "skill_id");
	const char *device = http_req_query(req, "device");
	struct api_page pg;
	const char *pv[3];

	if (!api_page_get(req, &pg))
		return;

	if (skill && !api_uuid_ok(skill)) {
		api_reply_invalid(req, "skill_id", "format",
				  "must be a UUID");
		return;
	}
	if (device && strcmp(device, "sip") && strcmp(device, "pstn") &&
	    strcmp(device, "webrtc")) {
		api_reply_invalid(req, "device", "enum",
				  "must be one of sip, pstn, webrtc");
		return;
	}

	pv[0] = skill;
	pv[1] = device;
	pv[2] = http_req_query(req, "q");
	api_page_query(req, &pg, sql, 3, pv);
}


/* Supervisors read every agent; an agent reads only its own row. */
static void agent_get(struct http_req *req)
{
	const struct principal *p = http_req_principal(req);
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "agent_id");

	if (!id)
		return;

	if (p->role < ROLE_SUPERVISOR && strcasecmp(p->id, id)) {
		http_reply_error(req, ENOENT);
		return;
	}

	api_query(req, &ctx, SELECT_SQL, 1, &id, api_row_200);
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


/* The agent's skills become the body's, if it has any. */
static int skills_add(struct db_txn *tx, struct http_req *req,
		      const char *id, char **textp)
{
	static const char del_sql[] =
		"DELETE FROM agent_skills WHERE agent_id = $1";
	static const char ins_sql[] =
		"INSERT INTO agent_skills (tenant_id, agent_id, skill_id,"
		" level) SELECT a.tenant_id, a.agent_id,"
		" (x->>'skill_id')::uuid, COALESCE((x->>'level')::int, 5)"
		" FROM agents a, jsonb_array_elements($2::jsonb) x"
		" WHERE a.agent_id = $1";
	static const char check_sql[] =
		"SELECT acdcfg_skills_check($1::jsonb)";
	const char *pv[2];
	int err;

	err = api_json_text(req, "skills", textp);
	if (err || !*textp)
		return err;

	pv[0] = id;
	pv[1] = *textp;
	err = db_txn_add(tx, check_sql, 1, &pv[1]);
	err = err ? err : db_txn_add(tx, del_sql, 1, pv);

	return err ? err : db_txn_add(tx, ins_sql, 2, pv);
}


static void change(struct http_req *req, const char *sql, unsigned n,
		   const char *const *pv, const char *action, api_rows_h *h)
{
	struct acdcfg_what w = {action, "agent", pv[0], "sip_secret",
				 NULL};
	struct db_txn *tx;
	char *skills = NULL;
	int err;

	err = acdcfg_begin(&tx, req, sql, n, pv, &w);
	if (!strcmp(action, "agent.delete"))
		goto run;

	err = err ? err : skills_add(tx, req, pv[0], &skills);
	if (!err && !strcmp(action, "agent.create"))
		err = db_txn_add(tx, "SELECT acdcfg_seat_check()", 0, NULL);
	err = err ? err : db_txn_add(tx, SELECT_SQL, 1, pv);

 run:
	acdcfg_run(req, tx, err, h);
	mem_deref(skills);
}


static void agent_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO agents (agent_id, tenant_id, work_no, device,"
		" sip_user, sip_secret, phone)"
		" SELECT $1, $2, $3, COALESCE($4, 'sip'), $5,"
		" COALESCE($6, ''), COALESCE($7, '')"
		" WHERE acdcfg_agent_user_check($1::uuid) RETURNING agent_id";
	char phone[40];
	const char *pv[7];

	if (!fields_ok(req) || !device_ok(req) ||
	    !phone_get(req, phone, sizeof(phone), &pv[6]))
		return;

	pv[0] = api_str(req, "user_id");
	pv[1] = http_req_principal(req)->tenant_id;
	pv[2] = api_str(req, "work_no");
	pv[3] = api_str(req, "device");
	pv[4] = api_str(req, "sip_user");
	pv[5] = api_str(req, "sip_secret");
	change(req, sql, 7, pv, "agent.create", created);
}


static void agent_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE agents SET work_no = COALESCE($2, work_no),"
		" device = COALESCE($3, device),"
		" sip_user = CASE WHEN $4::bool THEN $5 ELSE sip_user END,"
		" sip_secret = COALESCE($6, sip_secret),"
		" phone = COALESCE($7, phone), updated_at = now()"
		" WHERE agent_id = $1 RETURNING agent_id";
	const char *id = api_path_uuid(req, "agent_id");
	char phone[40];
	const char *pv[7];

	if (!id || !fields_ok(req) ||
	    !phone_get(req, phone, sizeof(phone), &pv[6]))
		return;

	pv[0] = id;
	pv[1] = api_str(req, "work_no");
	pv[2] = api_str(req, "device");
	pv[3] = json_object_get(http_req_json(req), "sip_user") ? "true" :
		"false";
	pv[4] = api_str(req, "sip_user");
	pv[5] = api_str(req, "sip_secret");
	change(req, sql, 7, pv, "agent.update", updated);
}


/* The user stays; only the seat goes (with its skills and any SIP
 * registration). A call ringing the agent is the runtime's business. */
static void agent_delete(struct http_req *req)
{
	static const char sql[] =
		"DELETE FROM agents WHERE agent_id = $1 RETURNING agent_id";
	const char *id = api_path_uuid(req, "agent_id");

	if (id)
		change(req, sql, 1, &id, "agent.delete", deleted);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/agents", HTTP_TENANT, ROLE_AGENT, NULL, 0,
	 agent_list},
	{"POST", "/api/v1/agents", HTTP_TENANT, ROLE_ADMIN, P(create_params),
	 agent_create},
	{"GET", "/api/v1/agents/{agent_id}", HTTP_TENANT, ROLE_AGENT, NULL, 0,
	 agent_get},
	{"PATCH", "/api/v1/agents/{agent_id}", HTTP_TENANT, ROLE_ADMIN,
	 P(update_params), agent_update},
	{"DELETE", "/api/v1/agents/{agent_id}", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, agent_delete},
};


/** Register the agents API. */
int agent_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
