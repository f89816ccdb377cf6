/* /api/v1/queues: where callers wait for an agent, and every setting. */
#include <stdlib.h>
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
#include "ivr/ivr.h"
#include "acdcfg/acdcfg_int.h"

/*
 * The body's settings reach the row through jsonb_populate_record(q,
 * body): a setting left out keeps the row's value (the column default
 * on create), so create and update share one statement and the column
 * list is written once. What another table decides (overflow target,
 * prompts, routes) is checked after the write by acdcfg_queue_check()
 * (migrations/0007), which rolls the change back with a field error.
 */

#define QUEUE_JSON \
	"(to_jsonb(q) - 'tenant_id') || jsonb_build_object('skills'," \
	" COALESCE((SELECT jsonb_agg(jsonb_build_object('skill_id'," \
	" s.skill_id, 'name', s.name) ORDER BY s.name) FROM queue_skills x" \
	" JOIN skills s ON s.skill_id = x.skill_id" \
	" WHERE x.queue_id = q.queue_id), '[]'))"

#define SELECT_SQL "SELECT " QUEUE_JSON " FROM queues q WHERE q.queue_id = $1"

#define SETTINGS \
	"name, label, strategy, priority, ring_timeout_s, wrapup_s," \
	" max_wait_s, max_length, overflow_action, overflow_target," \
	" overflow_prompt, join_empty, leave_empty, sl_threshold_s," \
	" hold_music, announce_every_s, announce_position, announce_wait," \
	" announce_work_no, survey, sticky_days, sticky_wait_s, miss_limit," \
	" routes, recording"

#define SETTINGS_R \
	"r.name, r.label, r.strategy, r.priority, r.ring_timeout_s," \
	" r.wrapup_s, r.max_wait_s, r.max_length, r.overflow_action," \
	" r.overflow_target, r.overflow_prompt, r.join_empty, r.leave_empty," \
	" r.sl_threshold_s, r.hold_music, r.announce_every_s," \
	" r.announce_position, r.announce_wait, r.announce_work_no," \
	" r.survey, r.sticky_days, r.sticky_wait_s, r.miss_limit, r.routes," \
	" r.recording"

#define SET_SQL \
	"UPDATE queues q SET (" SETTINGS ") = (SELECT " SETTINGS_R \
	" FROM jsonb_populate_record(q, $2::jsonb) r), updated_at = now()" \
	" WHERE q.queue_id = $1 RETURNING q.queue_id"

enum { SKILLS_MAX = 64, ROUTES_MAX = 32, REGIONS_MAX = 64 };

static const char *const strategies[] = {
	"longest_idle", "round_robin", "fewest_calls", "ring_all",
	"top_down", NULL
};
static const char *const overflows[] = {
	"voicemail", "queue", "ivr", "hangup", NULL
};
/* The recording policy of the queue's calls; null: as the number's. */
static const char *const rec_modes[] = {
	"all", "inbound", "outbound", "none", NULL
};
static const char *const join_empties[] = {
	"always", "logged_in", "ready", NULL
};

#define SETTING_PARAMS \
	{"label", PARAM_STRING, false, 0, 100, NULL, false}, \
	{"strategy", PARAM_ENUM, false, 0, 0, strategies, false}, \
	{"priority", PARAM_INT, false, 0, 100, NULL, false}, \
	{"ring_timeout_s", PARAM_INT, false, 5, 300, NULL, false}, \
	{"wrapup_s", PARAM_INT, false, 0, 3600, NULL, false}, \
	{"max_wait_s", PARAM_INT, false, 0, 86400, NULL, false}, \
	{"max_length", PARAM_INT, false, 0, 100000, NULL, false}, \
	{"overflow_action", PARAM_ENUM, false, 0, 0, overflows, false}, \
	{"overflow_target", PARAM_STRING, false, 0, 64, NULL, false}, \
	{"overflow_prompt", PARAM_STRING, false, 1, 80, NULL, true}, \
	{"join_empty", PARAM_ENUM, false, 0, 0, join_empties, false}, \
	{"leave_empty", PARAM_BOOL, false, 0, 0, NULL, false}, \
	{"sl_threshold_s", PARAM_INT, false, 1, 3600, NULL, false}, \
	{"hold_music", PARAM_STRING, false, 1, 80, NULL, true}, \
	{"announce_every_s", PARAM_INT, false, 0, 600, NULL, false}, \
	{"announce_position", PARAM_BOOL, false, 0, 0, NULL, false}, \
	{"announce_wait", PARAM_BOOL, false, 0, 0, NULL, false}, \
	{"announce_work_no", PARAM_BOOL, false, 0, 0, NULL, false}, \
	{"survey", PARAM_BOOL, false, 0, 0, NULL, false}, \
	{"sticky_days", PARAM_INT, false, 0, 365, NULL, false}, \
	{"sticky_wait_s", PARAM_INT, false, 0, 300, NULL, false}, \
	{"miss_limit", PARAM_INT, false, 0, 10, NULL, false}, \
	{"skills", PARAM_ARRAY, false, 0, SKILLS_MAX, NULL, false}, \
	{"routes", PARAM_ARRAY, false, 0, ROUTES_MAX, NULL, false}, \
	{"recording", PARAM_ENUM, false, 0, 0, rec_modes, true}

static const struct param create_params[] = {
	{"name", PARAM_STRING, true, 1, 64, NULL, false},
	SETTING_PARAMS,
};

static const struct param update_params[] = {
	{"name", PARAM_STRING, false, 1, 64, NULL, false},
	SETTING_PARAMS,
};

static const struct param route_params[] = {
	{"schedule_id", PARAM_UUID, false, 0, 0, NULL, false},
	{"regions", PARAM_ARRAY, false, 1, REGIONS_MAX, NULL, false},
	{"queue_id", PARAM_UUID, true, 0, 0, NULL, false},
};


/* IVR flows name queues by name or by id: a name may not look like one. */
static bool name_ok(struct http_req *req)
{
	if (api_uuid_ok(api_str(req, "name"))) {
		api_reply_invalid(req, "name", "format",
				  "must not look like a queue id (UUID); "
				  "flows name queues by name or id");
		return false;
	}

	return acdcfg_name_ok(req);
}


/* A built-in prompt is checked as the IVR checks it: by a flow that
 * plays it. A tenant prompt id is checked in SQL. */
static bool builtin_ok(const char *ref)
{
	struct ivr_check *c = NULL;
	json_t *g;
	bool ok;

	g = json_pack("{s:s,s:{s:{s:s,s:[s],s:s},s:{s:s}}}", "start", "p",
		      "nodes", "p", "kind", "play", "prompts", ref, "next",
		      "h", "h", "kind", "hangup");
	ok = g && !ivr_check_alloc(&c) && !ivr_validate(c, g) &&
		ivr_check_nerrors(c) == 0;
	json_decref(g);
	mem_deref(c);

	return ok;
}


static bool prompt_ok(struct http_req *req, const char *field)
{
	const char *ref = api_str(req, field);

	if (!ref || (!strncmp(ref, "builtin/", 8) ? builtin_ok(ref) :
		     api_uuid_ok(ref)))
		return true;

	api_reply_invalid(req, field, "format",
			  "must be a built-in prompt (builtin/<name>) or "
			  "a prompt id");
	return false;
}


/* skills: skill ids, or {skill_id} objects as a GET returns them. */
static bool skills_ok(struct http_req *req)
{
	json_t *a = json_object_get(http_req_json(req), "skills");
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v) {
		const char *id = json_string_value(json_is_object(v) ?
			json_object_get(v, "skill_id") : v);
		char field[32];

		if (api_uuid_ok(id))
			continue;

		(void)re_snprintf(field, sizeof(field), "skills[%zu]", i);
		api_reply_invalid(req, field, "format",
				  "must be a skill id (UUID)");
		return false;
	}

	return true;
}


static bool regions_ok(struct http_req *req, size_t i, const json_t *r)
{
	json_t *regions = json_object_get(r, "regions");
	size_t k;
	json_t *v;

	json_array_foreach(regions, k, v) {
		const char *s = json_string_value(v);
		char field[48];

		if (s && s[0] && s[0] != ' ' && strlen(s) <= 100)
			continue;

		(void)re_snprintf(field, sizeof(field),
				  "routes[%zu].regions[%zu]", i, k);
		api_reply_invalid(req, field, "format",
				  "must be a region name such as 北京市");
		return false;
	}

	return true;
}


/* Each route: a schedule, regions or both, and the queue it sends to. */
static bool routes_ok(struct http_req *req)
{
	json_t *a = json_object_get(http_req_json(req), "routes");
	size_t i;
	json_t *r;

	if (!api_array_ok(req, "routes", route_params,
			     ARRAY_SIZE(route_params)))
		return false;

	json_array_foreach(a, i, r) {
		char field[32];

		if (!regions_ok(req, i, r))
			return false;

		if (json_object_get(r, "schedule_id") ||
		    json_object_get(r, "regions"))
			continue;

		(void)re_snprintf(field, sizeof(field), "routes[%zu]", i);
		api_reply_invalid(req, field, "required",
				  "give schedule_id, regions or both");
		return false;
	}

	return true;
}


/* A UUID string of obj's field in lower case, as ids print. */
static void id_lower(json_t *obj, const char *field)
{
	json_t *v = json_object_get(obj, field);
	char id[40];

	if (!api_uuid_ok(json_string_value(v)))
		return;

	str_ncpy(id, json_string_value(v), sizeof(id));
	for (char *c = id; *c; c++)
		*c = (char)((*c >= 'A' && *c <= 'F') ? *c + 32 : *c);
	(void)json_string_set(v, id);
}


/*
 * Ids are stored as PostgreSQL prints them, so the runtime and the
 * checks compare them as text: the overflow target and the routes'.
 */
static void ids_lower(struct http_req *req)
{
	json_t *body = http_req_json(req);
	size_t i;
	json_t *r;

	id_lower(body, "overflow_target");
	json_array_foreach(json_object_get(body, "routes"), i, r) {
		id_lower(r, "schedule_id");
		id_lower(r, "queue_id");
	}
}


static bool fields_ok(struct http_req *req)
{
	json_t *every = json_object_get(http_req_json(req),
					"announce_every_s");

	if (!name_ok(req) || !prompt_ok(req, "hold_music") ||
	    !prompt_ok(req, "overflow_prompt") || !skills_ok(req) ||
	    !routes_ok(req))
		return false;

	if (json_is_integer(every) && json_integer_value(every) > 0 &&
	    json_integer_value(every) < 10) {
		api_reply_invalid(req, "announce_every_s", "range",
				  "must be 0 (never) or 10 to 600");
		return false;
	}

	ids_lower(req);
	return true;
}


static const struct acdcfg_table queues = {
	"queue", "queue_id", SELECT_SQL,
	NULL,  /* queue_delete: not while another queue sends calls here */
};


static void queue_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " QUEUE_JSON ", q.created_at::text, q.queue_id::text"
		" FROM queues q"
		" WHERE ($1::timestamptz IS NULL OR (q.created_at, q.queue_id)"
		" > ($1::timestamptz, $2::uuid))"
		" ORDER BY q.created_at, q.queue_id LIMIT $3::int + 1";

	api_list(req, sql);
}


static void queue_get(struct http_req *req)
{
	acdcfg_get(req, &queues);
}


/* The queue's skills become the body's, if it has any. */
static int skills_add(struct db_txn *tx, const char *id, const char *skills)
{
	static const char del_sql[] =
		"DELETE FROM queue_skills WHERE queue_id = $1";
	static const char ins_sql[] =
		"INSERT INTO queue_skills (tenant_id, queue_id, skill_id)"
		" SELECT q.tenant_id, q.queue_id, (CASE jsonb_typeof(x)"
		" WHEN 'object' THEN x->>'skill_id' ELSE x #>> '{}' END)::uuid"
		" FROM queues q, jsonb_array_elements($2::jsonb) x"
		" WHERE q.queue_id = $1";
	const char *pv[2] = {id, skills};
	int err;

	if (!skills)
		return 0;

	err = db_txn_add(tx, "SELECT acdcfg_skills_check($1::jsonb)", 1,
			 &pv[1]);
	err = err ? err : db_txn_add(tx, del_sql, 1, pv);

	return err ? err : db_txn_add(tx, ins_sql, 2, pv);
}


/*
 * The change (an INSERT or the settings UPDATE), then on create the
 * settings, the skills, the checks and the queue as the reply.
 */
static void change(struct http_req *req, const char *sql, unsigned n,
		   const char *const *pv, const char *action, api_rows_h *h)
{
	struct acdcfg_what w = {action, "queue", pv[0], NULL, NULL};
	struct db_txn *tx;
	char *body = NULL, *skills = NULL;
	const char *spv[2] = {pv[0], NULL};
	int err;

	err = acdcfg_begin(&tx, req, sql, n, pv, &w);
	if (!err && !strcmp(action, "queue.create")) {
		char *s = json_dumps(http_req_json(req), JSON_COMPACT);

		err = s ? str_dup(&body, s) : ENOMEM;
		free(s);  /* ccheck: foreign */
		spv[1] = body;
		err = err ? err : db_txn_add(tx, SET_SQL, 2, spv);
	}

	err = err ? err : api_json_text(req, "skills", &skills);
	err = err ? err : skills_add(tx, pv[0], skills);
	err = err ? err : db_txn_add(tx, "SELECT acdcfg_queue_check($1)", 1,
				     pv);
	err = err ? err : db_txn_add(tx, SELECT_SQL, 1, pv);
	acdcfg_run(req, tx, err, h);
	mem_deref(body);
	mem_deref(skills);
}


static void queue_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO queues (queue_id, tenant_id, name)"
		" VALUES ($1, $2, $3) RETURNING queue_id";
	char queue_id[UUID_STRLEN];
	const char *pv[3];

	if (!fields_ok(req))
		return;

	uuid_v4(queue_id);
	pv[0] = queue_id;
	pv[1] = http_req_principal(req)->tenant_id;
	pv[2] = api_str(req, "name");
	change(req, sql, 3, pv, "queue.create", acdcfg_created);
}


static void queue_update(struct http_req *req)
{
	const char *id = api_path_uuid(req, "queue_id");
	char *body = NULL;
	const char *pv[2];
	char *s;

	if (!id || !fields_ok(req))
		return;

	s = json_dumps(http_req_json(req), JSON_COMPACT);
	if (!s || str_dup(&body, s)) {
		free(s);  /* ccheck: foreign */
		http_reply_error(req, ENOMEM);
		return;
	}
	free(s);  /* ccheck: foreign */

	pv[0] = id;
	pv[1] = body;
	change(req, SET_SQL, 2, pv, "queue.update", acdcfg_updated);
	mem_deref(body);
}


/* Not deleted: stmt 1 says whether it exists (then another queue still
 * sends calls to it). */
static void deleted(struct http_req *req, const struct db_res *res)
{
	const char *exists = db_val(res, 1, 0, 0);

	if (db_nrows(res, 0) >= 1)
		http_reply_empty(req, 204);
	else if (exists && !strcmp(exists, "t"))
		http_reply_problem(req, 409, "queue_in_use",
				   "Another queue overflows or routes calls "
				   "to this queue; change it first.");
	else
		http_reply_error(req, ENOENT);
}


/* Calls waiting in it are the runtime's business (it reloads). */
static void queue_delete(struct http_req *req)
{
	static const char sql[] =
		"DELETE FROM queues q WHERE q.queue_id = $1::uuid AND NOT"
		" EXISTS (SELECT 1 FROM queues o"
		" WHERE o.queue_id <> q.queue_id"
		" AND ((o.overflow_action = 'queue'"
		" AND lower(o.overflow_target) = $1::text)"
		" OR o.routes @> jsonb_build_array(jsonb_build_object("
		"'queue_id', $1::text)))) RETURNING q.queue_id";
	static const char why_sql[] =
		"SELECT EXISTS (SELECT 1 FROM queues WHERE queue_id = $1)";
	struct acdcfg_what w = {"queue.delete", "queue", NULL, NULL, NULL};
	const char *id = api_path_uuid(req, "queue_id");
	struct db_txn *tx;
	int err;

	if (!id)
		return;

	w.target_id = id;
	err = acdcfg_begin(&tx, req, sql, 1, &id, &w);
	err = err ? err : db_txn_add(tx, why_sql, 1, &id);
	acdcfg_run(req, tx, err, deleted);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/queues", HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0,
	 queue_list},
	{"POST", "/api/v1/queues", HTTP_TENANT, ROLE_ADMIN, P(create_params),
	 queue_create},
	{"GET", "/api/v1/queues/{queue_id}", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, queue_get},
	{"PATCH", "/api/v1/queues/{queue_id}", HTTP_TENANT, ROLE_ADMIN,
	 P(update_params), queue_update},
	{"DELETE", "/api/v1/queues/{queue_id}", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, queue_delete},
};


/** Register the queues API. */
int queue_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
