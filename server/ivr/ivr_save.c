/* Saving flows: validate, check references in the tenant, store a version. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/http_int.h"
#include "http/api.h"
#include "http/param.h"
#include "ivr/ivr.h"
#include "ivr/ivr_int.h"
#include "ivr/ivr_api.h"

/*
 * A save is two round trips: the structure is checked here, then
 * ivr_refs_missing() says which tenant prompts and schedules the tenant
 * does not have; only a flow without errors is written, as a new
 * version with the references it uses (flow_prompts, flow_schedules),
 * in one transaction that also NOTIFYs the other nodes. The validate
 * endpoint runs the same two checks and writes nothing.
 */

enum save_mode { SAVE_VALIDATE, SAVE_CREATE, SAVE_UPDATE };


/* The graph being saved: the body (validate) or its "graph" field. */
static const json_t *graph_of(struct http_req *req)
{
	const json_t *body = http_req_json(req);

	if (!strcmp(http_req_path(req), "/api/v1/flows/validate"))
		return body;

	return json_object_get(body, "graph");
}


static void reply_errors(struct http_req *req, json_t *errors)
{
	if (!strcmp(http_req_path(req), "/api/v1/flows/validate")) {
		http_reply_json(req, 200, json_pack("{s:b,s:o}", "valid",
				json_array_size(errors) == 0, "errors",
				errors));
		return;
	}

	http_reply_json(req, 400, json_pack("{s:s,s:s,s:i,s:s,s:s,s:o}",
			"type", "/problems/invalid_flow", "title",
			"Bad Request", "status", 400, "code", "invalid_flow",
			"detail", "The flow has errors; see errors. Nothing "
			"was saved.", "errors", errors));
}


/* The prompt refs and schedule ids the graph uses, as JSON arrays. */
static int uses(const struct ivr_check *c, char **promptsp,
		char **schedsp)
{
	json_t *p = json_array(), *s = json_array();
	const json_t *r;
	char *pt, *st;
	size_t i;
	int err;

	json_array_foreach(ivr_check_refs(c), i, r) {
		const char *kind = json_string_value(json_object_get(r,
								    "kind"));

		if (!strcmp(kind, "queue"))
			continue;   /* looked up by name at run time */
		json_array_append(strcmp(kind, "schedule") ? p : s,
				  json_object_get(r, "ref"));
	}

	pt = json_dumps(p, JSON_COMPACT);
	st = json_dumps(s, JSON_COMPACT);
	err = pt && st ? 0 : ENOMEM;
	err = err ? err : str_dup(promptsp, pt);
	err = err ? err : str_dup(schedsp, st);
	free(pt);  /* ccheck: foreign */
	free(st);  /* ccheck: foreign */
	json_decref(p);
	json_decref(s);

	return err;
}


static int refs_stmts(struct db_txn *tx, const char *flow_id,
		      const struct ivr_check *c)
{
	static const char sql_pdel[] =
		"DELETE FROM flow_prompts WHERE flow_id = $1";
	static const char sql_pins[] =
		"INSERT INTO flow_prompts (tenant_id, flow_id, prompt_ref)"
		" SELECT f.tenant_id, f.flow_id, r FROM flows f,"
		" jsonb_array_elements_text($2::jsonb) r"
		" WHERE f.flow_id = $1 ON CONFLICT DO NOTHING";
	static const char sql_sdel[] =
		"DELETE FROM flow_schedules WHERE flow_id = $1";
	static const char sql_sins[] =
		"INSERT INTO flow_schedules (tenant_id, flow_id, schedule_id)"
		" SELECT f.tenant_id, f.flow_id, r::uuid FROM flows f,"
		" jsonb_array_elements_text($2::jsonb) r"
		" WHERE f.flow_id = $1 ON CONFLICT DO NOTHING";
	static const char sql_notify[] =
		"SELECT pg_notify('" IVR_CHANNEL "', $1::text)";
	char *prompts = NULL, *scheds = NULL;
	int err;

	err = uses(c, &prompts, &scheds);
	err = err ? err : db_txn_add(tx, sql_pdel, 1, &flow_id);
	err = err ? err : db_txn_add(tx, sql_pins, 2,
				     (const char *[]){flow_id, prompts});
	err = err ? err : db_txn_add(tx, sql_sdel, 1, &flow_id);
	err = err ? err : db_txn_add(tx, sql_sins, 2,
				     (const char *[]){flow_id, scheds});
	err = err ? err : db_txn_add(tx, sql_notify, 1, &flow_id);
	mem_deref(prompts);
	mem_deref(scheds);

	return err;
}


#define FLOW_JSON(graph) \
	"json_build_object('flow_id', f.flow_id, 'name', f.name," \
	" 'description', f.description, 'current_version'," \
	" f.current_version, 'version', f.current_version, 'graph', " graph \
	", 'created_at', f.created_at, 'updated_at', f.updated_at)"


static void saved(struct http_req *req, const struct db_res *res)
{
	const char *id = http_req_param(req, "flow_id");

	if (id && db_nrows(res, 0) >= 1)
		ivr_flow_forget(id);

	api_reply_row(req, id ? 200 : 201, res, 0);
}


static int text_of(const json_t *v, char **textp)
{
	char *s = json_dumps(v, JSON_COMPACT);
	int err;

	if (!s)
		return ENOMEM;

	err = str_dup(textp, s);
	free(s);  /* ccheck: foreign */

	return err;
}


static void store(struct http_req *req, const struct ivr_check *c)
{
	static const char sql_create[] =
		"INSERT INTO flows AS f (flow_id, tenant_id, name,"
		" description, current_version)"
		" VALUES ($1, $2, $3, COALESCE($4, ''), 1)"
		" RETURNING " FLOW_JSON("$5::jsonb");
	static const char sql_update[] =
		"UPDATE flows f SET current_version = f.current_version + 1,"
		" name = COALESCE($3, f.name),"
		" description = COALESCE($4, f.description),"
		" updated_at = now() WHERE f.flow_id = $1 AND f.tenant_id = $2"
		" RETURNING " FLOW_JSON("$5::jsonb");
	static const char sql_version[] =
		"INSERT INTO flow_versions (tenant_id, flow_id, version,"
		" graph, created_by) SELECT f.tenant_id, f.flow_id,"
		" f.current_version, $2::jsonb, NULLIF($3, '')::uuid"
		" FROM flows f WHERE f.flow_id = $1";
	const struct principal *p = http_req_principal(req);
	const char *path_id = http_req_param(req, "flow_id");
	struct api_audit_what w = {p->tenant_id, path_id ? "flow.update" :
				   "flow.create", "flow", NULL, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	char id[UUID_STRLEN], *graph = NULL;
	const char *pv[5];
	int err;

	if (path_id)
		str_ncpy(id, path_id, sizeof(id));
	else
		uuid_v4(id);

	err = text_of(graph_of(req), &graph);
	pv[0] = id;
	pv[1] = p->tenant_id;
	pv[2] = api_str(req, "name");
	pv[3] = api_str(req, "description");
	pv[4] = graph;
	w.target_id = id;

	err = err ? err : db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, path_id ? sql_update :
					   sql_create, 5, pv, &w);
	err = err ? err : db_txn_add(tx, sql_version, 3,
				     (const char *[]){id, graph, p->id});
	err = err ? err : refs_stmts(tx, id, c);
	mem_deref(graph);
	api_txn_run(req, tx, err, saved);
}


static struct ivr_check *check_run(struct http_req *req)
{
	struct ivr_check *c = NULL;

	if (ivr_check_alloc(&c)) {
		http_reply_error(req, ENOMEM);
		return NULL;
	}

	(void)ivr_validate(c, graph_of(req));
	return c;
}


/* How a missing reference of each kind is reported; the last is the
 * default (prompts). */
static const struct {
	const char *kind, *field, *code, *message;
} missing_kinds[] = {
	{"schedule", "schedule_id", "unknown_schedule",
	 "no schedule with this id in your tenant: "},
	{"queue", "queue", "unknown_queue",
	 "no queue with this name or id in your tenant: "},
	{"prompt", "prompts", "missing_prompt",
	 "no prompt with this id in your tenant: "},
};


static size_t missing_kind(const char *kind)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(missing_kinds) - 1; i++) {
		if (kind && !strcmp(kind, missing_kinds[i].kind))
			break;
	}

	return i;
}


/* ivr_refs_missing() answered: [{node, kind, ref}] the tenant lacks. */
static void refs_checked(struct http_req *req, const struct db_res *res)
{
	const char *text = db_val(res, 0, 0, 0);
	json_t *missing = text ? json_loads(text, 0, NULL) : NULL;
	json_t *errors = json_array();
	struct ivr_check *c;
	const json_t *m;
	size_t i;

	json_array_foreach(missing, i, m) {
		const json_t *kind = json_object_get(m, "kind");
		size_t k = missing_kind(json_string_value(kind));

		json_array_append_new(errors, json_pack("{s:O,s:s,s:s,s:s+}",
			"node", json_object_get(m, "node"), "field",
			missing_kinds[k].field, "code", missing_kinds[k].code,
			"message", missing_kinds[k].message,
			json_string_value(json_object_get(m, "ref"))));
	}
	json_decref(missing);

	if (json_array_size(errors) ||
	    !strcmp(http_req_path(req), "/api/v1/flows/validate")) {
		reply_errors(req, errors);
		return;
	}

	json_decref(errors);
	c = check_run(req);
	if (c)
		store(req, c);
	mem_deref(c);
}


/* Check the graph; on success ask the database about references. */
static void save_begin(struct http_req *req)
{
	static const char sql[] = "SELECT ivr_refs_missing($1::jsonb)::text";
	struct db_ctx ctx = api_ctx(req);
	struct ivr_check *c = check_run(req);
	char *refs = NULL;
	int err;

	if (!c)
		return;

	if (ivr_check_nerrors(c)) {
		reply_errors(req, ivr_check_errors_json(c));
		mem_deref(c);
		return;
	}

	err = text_of(ivr_check_refs(c), &refs);
	mem_deref(c);
	if (err) {
		http_reply_error(req, err);
		return;
	}

	api_query(req, &ctx, sql, 1, (const char *const *)&refs,
		  refs_checked);
	mem_deref(refs);
}


/** POST /api/v1/flows and PUT /api/v1/flows/{flow_id} */
void ivr_api_save(struct http_req *req)
{
	const char *id = http_req_param(req, "flow_id");

	if (id && !api_uuid_ok(id)) {
		http_reply_error(req, ENOENT);
		return;
	}

	save_begin(req);
}


/** POST /api/v1/flows/validate: the body is the graph itself. */
void ivr_api_validate(struct http_req *req)
{
	size_t len = req->body ? req->body->end : 0;
	json_error_t jerr;

	req->json = json_loadb(len ? (const char *)req->body->buf : "", len,
			       JSON_REJECT_DUPLICATES, &jerr);
	if (!req->json) {
		http_reply_json(req, 200, json_pack("{s:b,s:[{s:n,s:s,s:s}]}",
				"valid", false, "errors", "node", "code",
				"invalid_json", "message", jerr.text));
		return;
	}

	save_begin(req);
}
