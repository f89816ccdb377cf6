/* /api/v1/qa/forms: a tenant's QA forms of weighted criteria. */
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
#include "recording/qa.h"
#include "recording/qa_int.h"

/*
 * A form is a name and 1..20 criteria {name, weight, max_score}; the
 * weights sum to 100 so a review's total reads as a percentage. Scores
 * name their criterion, so criterion names are unique within a form.
 * A form that reviews use cannot be deleted (they keep pointing at it):
 * it is retired with active false, and new reviews refuse it.
 */

#define FORM_JSON \
	"json_build_object('form_id', f.form_id, 'name', f.name," \
	" 'criteria', f.criteria, 'active', f.active," \
	" 'created_at', f.created_at, 'updated_at', f.updated_at)"

static const struct param form_params[] = {
	{"name", PARAM_STRING, true, 1, QA_NAME_MAX, NULL, false},
	{"criteria", PARAM_ARRAY, true, 1, QA_CRITERIA_MAX, NULL, false},
	{"active", PARAM_BOOL, false, 0, 0, NULL, false},
};

static const struct param criterion_params[] = {
	{"name", PARAM_STRING, true, 1, QA_NAME_MAX, NULL, false},
	{"weight", PARAM_INT, true, 1, 100, NULL, false},
	{"max_score", PARAM_INT, true, 1, 100, NULL, false},
};

/* A 409 whose errors[] names the field, like a 400's. */
static void reply_conflict(struct http_req *req, const char *code,
			   const char *field, const char *detail)
{
	char type[64];
	json_t *pb;
	char *s;

	(void)re_snprintf(type, sizeof(type), "/problems/%s", code);
	pb = json_pack("{s:s,s:s,s:i,s:s,s:s,s:[{s:s,s:s,s:s}]}",
		       "type", type, "title", "Conflict", "status", 409,
		       "code", code, "detail", detail, "errors",
		       "field", field, "code", code, "message", detail);
	s = pb ? json_dumps(pb, JSON_COMPACT) : NULL;
	json_decref(pb);
	if (!s) {
		http_reply_error(req, ENOMEM);
		return;
	}

	http_reply_raw(req, 409, "application/problem+json", s, strlen(s));
	free(s);  /* ccheck: foreign */
}


/* The two constraint failures a client can cause and fix. */
static bool reply_constraint(struct http_req *req, const struct db_res *res)
{
	const char *state = db_sqlstate(res);
	const char *msg = db_errmsg(res);

	if (!state || !msg)
		return false;

	if (!strcmp(state, "23505") &&
	    strstr(msg, "qa_forms_tenant_id_name")) {
		reply_conflict(req, "name_taken", "name",
			       "Another QA form of this tenant has this "
			       "name; choose another.");
		return true;
	}

	if (!strcmp(state, "23503") && strstr(msg, "qa_reviews_form_id") &&
	    strstr(msg, "update or delete on")) {
		reply_conflict(req, "form_in_use", "form_id",
			       "Reviews were scored with this form, so it "
			       "stays; set active to false to retire it.");
		return true;
	}

	/* a review whose form or recording was deleted meanwhile */
	if (!strcmp(state, "23503") && strstr(msg, "qa_reviews")) {
		http_reply_problem(req, 404, "not_found", "The recording or "
				   "the form was deleted meanwhile.");
		return true;
	}

	return false;
}


static void change_failed(struct http_req *req, int err,
			  const struct db_res *res)
{
	if (!reply_constraint(req, res))
		http_reply_error(req, err);
}


/**
 * Run a change's transaction (takes tx); constraint failures reply
 * 409 naming the field, other errors through the errno table.
 */
void qa_run(struct http_req *req, struct db_txn *tx, int err,
	    api_rows_h *h)
{
	api_change_run(req, tx, err, h, change_failed);
}


/** Reply 201 with the JSON of the first statement's row, or 404. */
void qa_reply_created(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 201, res, 0);
}


/** Reply 200 with the JSON of the first statement's row, or 404. */
void qa_reply_ok(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 200, res, 0);
}


static bool spaced(const char *s)
{
	size_t n = strlen(s);

	return n && (s[0] == ' ' || s[n - 1] == ' ');
}


/* Item i's name must differ from the names before it. */
static bool name_repeated(json_t *a, size_t i, const char *name)
{
	for (size_t j = 0; j < i; j++) {
		json_t *o = json_array_get(a, j);

		if (!strcmp(json_string_value(json_object_get(o, "name")),
			    name))
			return true;
	}

	return false;
}


/* What the table cannot say: names trimmed and unique, weights 100. */
static bool criteria_ok(struct http_req *req)
{
	json_t *a = json_object_get(http_req_json(req), "criteria");
	json_int_t sum = 0;
	char field[48], msg[80];
	size_t i;
	json_t *v;

	if (!api_array_ok(req, "criteria", criterion_params,
			 ARRAY_SIZE(criterion_params)))
		return false;

	json_array_foreach(a, i, v) {
		const char *name = json_string_value(json_object_get(v,
								     "name"));

		(void)re_snprintf(field, sizeof(field), "criteria[%zu].name",
				  i);
		if (spaced(name) || name_repeated(a, i, name)) {
			api_reply_invalid(req, field, spaced(name) ?
					  "format" : "duplicate", spaced(name)
					  ? "must not begin or end with a "
					  "space" : "names a criterion twice");
			return false;
		}

		sum += json_integer_value(json_object_get(v, "weight"));
	}

	if (sum == 100)
		return true;

	(void)re_snprintf(msg, sizeof(msg), "the weights must sum to 100; "
			  "they sum to %lld", (long long)sum);
	api_reply_invalid(req, "criteria", "weights", msg);
	return false;
}


static bool body_ok(struct http_req *req)
{
	if (spaced(api_str(req, "name"))) {
		api_reply_invalid(req, "name", "format",
				  "must not begin or end with a space");
		return false;
	}

	return criteria_ok(req);
}


/* Oldest first; ?active=true leaves out retired forms. */
static void form_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " FORM_JSON ", f.created_at::text, f.form_id::text"
		" FROM qa_forms f"
		" WHERE ($1::timestamptz IS NULL OR (f.created_at,"
		" f.form_id) > ($1::timestamptz, $2::uuid))"
		" AND ($4::bool IS NULL OR f.active = $4::bool)"
		" ORDER BY f.created_at, f.form_id LIMIT $3::int + 1";
	const char *active = http_req_query(req, "active");
	struct db_ctx ctx = api_ctx(req);
	char ts[64], id[64], lim[16];
	const char *pv[4];
	unsigned limit;

	if (api_page_args(req, &limit, ts, sizeof(ts), id, sizeof(id)))
		return;

	if (active && strcmp(active, "true") && strcmp(active, "false")) {
		api_reply_invalid(req, "active", "enum",
				  "must be true or false");
		return;
	}

	(void)re_snprintf(lim, sizeof(lim), "%u", limit);
	pv[0] = ts[0] ? ts : NULL;
	pv[1] = id[0] ? id : NULL;
	pv[2] = lim;
	pv[3] = active;
	api_query(req, &ctx, sql, 4, pv, api_page_done);
}


static void form_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " FORM_JSON " FROM qa_forms f WHERE f.form_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "form_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, qa_reply_ok);
}


/* One audited statement in its own transaction. */
static void form_change(struct http_req *req, const char *sql, unsigned n,
			const char *const *pv, const struct api_audit_what *w,
			api_rows_h *h)
{
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	int err;

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, n, pv, w);
	qa_run(req, tx, err, h);
}


static void form_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO qa_forms AS f (form_id, tenant_id, name,"
		" criteria, active) VALUES ($1, $2, $3, $4::jsonb,"
		" COALESCE($5::bool, true)) RETURNING " FORM_JSON;
	const char *tenant_id = http_req_principal(req)->tenant_id;
	struct api_audit_what w = {tenant_id, "qa_form.create", "qa_form",
				   NULL, NULL};
	char form_id[UUID_STRLEN];
	char *criteria = NULL;
	const char *pv[5];

	if (!body_ok(req))
		return;

	if (api_json_text(req, "criteria", &criteria)) {
		http_reply_error(req, ENOMEM);
		return;
	}

	uuid_v4(form_id);
	pv[0] = w.target_id = form_id;
	pv[1] = tenant_id;
	pv[2] = api_str(req, "name");
	pv[3] = criteria;
	pv[4] = api_bool(req, "active");
	form_change(req, sql, 5, pv, &w, qa_reply_created);
	mem_deref(criteria);
}


/*
 * Replaces name and criteria. Reviews already made keep their scores
 * with the weights they were scored under (qa_review.c stores them).
 */
static void form_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE qa_forms f SET name = $2, criteria = $3::jsonb,"
		" active = COALESCE($4::bool, active), updated_at = now()"
		" WHERE f.form_id = $1 RETURNING " FORM_JSON;
	const char *id = api_path_uuid(req, "form_id");
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   "qa_form.update", "qa_form", id, NULL};
	char *criteria = NULL;
	const char *pv[4];

	if (!id || !body_ok(req))
		return;

	if (api_json_text(req, "criteria", &criteria)) {
		http_reply_error(req, ENOMEM);
		return;
	}

	pv[0] = id;
	pv[1] = api_str(req, "name");
	pv[2] = criteria;
	pv[3] = api_bool(req, "active");
	form_change(req, sql, 4, pv, &w, qa_reply_ok);
	mem_deref(criteria);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 0) < 1)
		http_reply_error(req, ENOENT);
	else
		http_reply_empty(req, 204);
}


static void form_delete(struct http_req *req)
{
	static const char sql[] =
		"DELETE FROM qa_forms f WHERE f.form_id = $1"
		" RETURNING f.form_id";
	const char *id = api_path_uuid(req, "form_id");
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   "qa_form.delete", "qa_form", id, NULL};

	if (id)
		form_change(req, sql, 1, &id, &w, deleted);
}


#define P(t) t, ARRAY_SIZE(t)

/* Agents read the forms their calls are scored with. */
static const struct http_route routes[] = {
	{"GET", "/api/v1/qa/forms", HTTP_TENANT, ROLE_AGENT, NULL, 0,
	 form_list},
	{"POST", "/api/v1/qa/forms", HTTP_TENANT, ROLE_SUPERVISOR,
	 P(form_params), form_create},
	{"GET", "/api/v1/qa/forms/{form_id}", HTTP_TENANT, ROLE_AGENT,
	 NULL, 0, form_get},
	{"PUT", "/api/v1/qa/forms/{form_id}", HTTP_TENANT, ROLE_SUPERVISOR,
	 P(form_params), form_update},
	{"DELETE", "/api/v1/qa/forms/{form_id}", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, form_delete},
};


/** Register the QA forms, reviews and results API. */
int qa_api_init(void)
{
	int err = http_routes_add(routes, ARRAY_SIZE(routes));

	return err ? err : qa_review_api_init();
}
