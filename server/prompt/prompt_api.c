/* /api/v1/prompts: list, rename, preview and delete a tenant's prompts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#define LOG_MODULE "prompt"
#include "log/log.h"
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "prompt/prompt.h"
#include "prompt/prompt_int.h"

/*
 * Changes whose outcome touches files (delete) or needs its own answer
 * (rename: its own 409) run their transaction through a `pchange` that
 * holds the request but completes even when the client has left, so a
 * committed delete always removes its file and cache entry.
 */

struct pchange;
typedef void (pchange_h)(struct pchange *pc, int err,
			 const struct db_res *res);

struct pchange {
	struct http_req *req;            /**< (ref) */
	char tenant_id[UUID_STRLEN];
	char prompt_id[UUID_STRLEN];
	pchange_h *h;
};

static const struct param rename_params[] = {
	{"name", PARAM_STRING, true, 1, PROMPT_NAME_MAX, NULL, false},
};

static char too_large_detail[128];


static void pchange_destructor(void *arg)
{
	struct pchange *pc = arg;

	mem_deref(pc->req);
}


static void pchange_done(int err, const struct db_res *res, void *arg)
{
	struct pchange *pc = arg;

	pc->h(pc, err, res);
	mem_deref(pc);
}


/* Run tx for req; pc->h is called exactly once with the outcome. */
static void pchange_run(struct http_req *req, struct db_txn *tx,
			const char *prompt_id, pchange_h *h)
{
	struct pchange *pc = mem_zalloc(sizeof(*pc), pchange_destructor);
	int err;

	if (!pc) {
		mem_deref(tx);
		http_reply_error(req, ENOMEM);
		return;
	}

	pc->req = mem_ref(req);
	pc->h = h;
	str_ncpy(pc->tenant_id, http_req_principal(req)->tenant_id,
		 sizeof(pc->tenant_id));
	str_ncpy(pc->prompt_id, prompt_id, sizeof(pc->prompt_id));

	err = db_txn_exec(http_req_app(req)->db, tx, pchange_done, pc);
	if (err) {
		mem_deref(pc);
		http_reply_error(req, err);
	}
}


/* The {prompt_id} of the path in lower case, or a 404 reply. */
static bool path_prompt_id(struct http_req *req, char *id)
{
	const char *s = http_req_param(req, "prompt_id");

	if (!api_uuid_ok(s)) {
		http_reply_error(req, ENOENT);
		return false;
	}

	for (size_t i = 0; i < UUID_STRLEN; i++)
		id[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);

	return true;
}


static void prompt_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " PROMPT_JSON ", p.created_at::text, p.prompt_id::text"
		" FROM prompts p"
		" WHERE ($1::timestamptz IS NULL"
		" OR (p.created_at, p.prompt_id)"
		" > ($1::timestamptz, $2::uuid))"
		" ORDER BY p.created_at, p.prompt_id LIMIT $3::int + 1";

	api_list(req, sql);
}


static void prompt_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " PROMPT_JSON " FROM prompts p WHERE p.prompt_id = $1";
	struct db_ctx ctx = api_ctx(req);
	char id[UUID_STRLEN];
	const char *pv[1] = {id};

	if (path_prompt_id(req, id))
		api_query(req, &ctx, sql, 1, pv, api_row_200);
}


static void audio_found(struct http_req *req, const struct db_res *res)
{
	const char *fmt = http_req_query(req, "format");
	const char *id = db_val(res, 0, 0, 0);
	char path[PROMPT_PATH_MAX];

	if (db_nrows(res, 0) < 1 || !id ||
	    prompt_path(path, sizeof(path), http_req_app(req),
			http_req_principal(req)->tenant_id, id)) {
		http_reply_error(req, ENOENT);
		return;
	}

	prompt_reply_audio(req, path, fmt && !strcmp(fmt, "mp3"), id);
}


/* GET /api/v1/prompts/{prompt_id}/audio[?format=mp3] */
static void prompt_audio(struct http_req *req)
{
	static const char sql[] =
		"SELECT p.prompt_id::text FROM prompts p"
		" WHERE p.prompt_id = $1";
	const char *fmt = http_req_query(req, "format");
	struct db_ctx ctx = api_ctx(req);
	char id[UUID_STRLEN];
	const char *pv[1] = {id};

	if (fmt && strcmp(fmt, "wav") && strcmp(fmt, "mp3")) {
		api_reply_invalid(req, "format", "enum", "must be wav or mp3");
		return;
	}

	if (path_prompt_id(req, id))
		api_query(req, &ctx, sql, 1, pv, audio_found);
}


static void renamed(struct pchange *pc, int err, const struct db_res *res)
{
	const char *j;

	if (err == EEXIST) {
		http_reply_problem(pc->req, 409, "conflict",
				   "Another prompt already has this name.");
		return;
	}
	if (err) {
		http_reply_error(pc->req, err);
		return;
	}
	if (db_nrows(res, 0) < 1 || !(j = db_val(res, 0, 0, 0))) {
		http_reply_error(pc->req, ENOENT);
		return;
	}

	http_reply_raw(pc->req, 200, "application/json", j, strlen(j));
}


static char *name_detail(const char *name)
{
	json_t *d = json_pack("{s:s}", "name", name);
	char *s = d ? json_dumps(d, JSON_COMPACT) : NULL;
	char *out = NULL;

	json_decref(d);
	(void)str_dup(&out, s ? s : "{}");
	free(s);  /* ccheck: foreign */

	return out;
}


/* PATCH /api/v1/prompts/{prompt_id} {"name": ...} */
static void prompt_rename(struct http_req *req)
{
	static const char sql[] =
		"UPDATE prompts p SET name = $2, updated_at = now()"
		" WHERE p.prompt_id = $1 RETURNING " PROMPT_JSON;
	const char *tenant = http_req_principal(req)->tenant_id;
	const char *name = api_str(req, "name");
	struct api_audit_what w = {tenant, "prompt.update", "prompt", NULL,
				   NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	char id[UUID_STRLEN];
	const char *pv[2] = {id, name};
	char *detail;
	int err;

	if (!path_prompt_id(req, id))
		return;

	if (!prompt_name_ok(name)) {
		api_reply_invalid(req, "name", "format",
				  "must not start or end with a space or "
				  "contain control characters");
		return;
	}

	w.target_id = id;
	detail = name_detail(name);
	w.detail_sql = detail;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 2, pv, &w);
	mem_deref(detail);
	if (err) {
		mem_deref(tx);
		http_reply_error(req, err);
		return;
	}

	pchange_run(req, tx, id, renamed);
}


static void reply_in_use(struct http_req *req, const char *names)
{
	json_t *flows = json_loads(names ? names : "[]", 0, NULL);
	char detail[400];
	size_t off = 0, i;
	json_t *v, *pb;

	off += (size_t)re_snprintf(detail, sizeof(detail),
				   "Flows still play this prompt:");
	json_array_foreach(flows, i, v) {
		off += (size_t)re_snprintf(detail + off, sizeof(detail) - off,
					   "%s %s", i ? "," : "",
					   json_string_value(v));
	}
	(void)re_snprintf(detail + off, sizeof(detail) - off,
			  ". Change those flows first.");

	pb = json_pack("{s:s, s:s, s:i, s:s, s:s, s:o*}",
		       "type", "/problems/prompt_in_use", "title", "Conflict",
		       "status", 409, "code", "prompt_in_use",
		       "detail", detail, "flows", flows);
	if (!pb) {
		http_reply_error(req, ENOMEM);
		return;
	}

	http_reply_json(req, 409, pb);
}


static void deleted(struct pchange *pc, int err, const struct db_res *res)
{
	const char *names;
	char path[PROMPT_PATH_MAX];

	if (err) {
		http_reply_error(pc->req, err);
		return;
	}

	if (db_nrows(res, 0) < 1) {
		names = db_val(res, 1, 0, 0);
		if (names && strcmp(names, "[]"))
			reply_in_use(pc->req, names);
		else
			http_reply_error(pc->req, ENOENT);
		return;
	}

	/* committed: the file and any cached copy go now */
	prompt_evict(pc->tenant_id, pc->prompt_id);
	if (!prompt_path(path, sizeof(path), http_req_app(pc->req),
			 pc->tenant_id, pc->prompt_id) &&
	    unlink(path) && errno != ENOENT)
		log_warn("prompt %s: remove %s: %m", pc->prompt_id, path,
			 errno);

	http_reply_empty(pc->req, 204);
}


/* DELETE /api/v1/prompts/{prompt_id}: refused while a flow plays it. */
static void prompt_delete(struct http_req *req)
{
	static const char sql[] =
		"DELETE FROM prompts p WHERE p.prompt_id = $1 AND"
		" cardinality(prompt_flow_names($1::text)) = 0"
		" RETURNING " PROMPT_JSON;
	static const char users[] =
		"SELECT array_to_json(prompt_flow_names($1::text))::text";
	const char *tenant = http_req_principal(req)->tenant_id;
	struct api_audit_what w = {tenant, "prompt.delete", "prompt", NULL,
				   NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	char id[UUID_STRLEN];
	const char *pv[1] = {id};
	int err;

	if (!path_prompt_id(req, id))
		return;

	w.target_id = id;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 1, pv, &w);
	err = err ? err : db_txn_add(tx, users, 1, pv);
	if (err) {
		mem_deref(tx);
		http_reply_error(req, err);
		return;
	}

	pchange_run(req, tx, id, deleted);
}


#define P(t) t, ARRAY_SIZE(t)

/* builtin before {prompt_id}: the first matching route wins */
static const struct http_route routes[] = {
	{"GET", "/api/v1/prompts", HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0,
	 prompt_list},
	{"POST", "/api/v1/prompts", HTTP_TENANT, ROLE_ADMIN, NULL, 0,
	 prompt_upload},
	{"GET", "/api/v1/prompts/builtin", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, prompt_builtin_list},
	{"GET", "/api/v1/prompts/builtin/{lang}/{name}/audio", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, prompt_builtin_audio},
	{"GET", "/api/v1/prompts/{prompt_id}", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, prompt_get},
	{"PATCH", "/api/v1/prompts/{prompt_id}", HTTP_TENANT, ROLE_ADMIN,
	 P(rename_params), prompt_rename},
	{"DELETE", "/api/v1/prompts/{prompt_id}", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, prompt_delete},
	{"GET", "/api/v1/prompts/{prompt_id}/audio", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, prompt_audio},
};

static struct http_body_limit upload_limit = {
	&routes[1], 0, "too_large", too_large_detail
};


/**
 * Register the prompt routes and their upload limit, list the built-ins
 * and start the cache.
 *
 * @return 0 if success, otherwise errorcode
 */
int prompt_init(struct app *app)
{
	int err;

	upload_limit.max = app->cfg.prompt_max_bytes;
	(void)re_snprintf(too_large_detail, sizeof(too_large_detail),
			  "The audio file is larger than %u KB; shorten it "
			  "or export it as MP3.",
			  app->cfg.prompt_max_bytes / 1024);

	err = http_routes_add(routes, ARRAY_SIZE(routes));
	err = err ? err : http_body_limit_add(&upload_limit);
	err = err ? err : prompt_builtin_scan(app);
	err = err ? err : prompt_cache_init(PROMPT_CACHE_BYTES);

	return err;
}


void prompt_close(void)
{
	prompt_cache_close();
	prompt_builtin_close();
}
