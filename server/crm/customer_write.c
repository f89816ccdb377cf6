/* POST and PATCH /api/v1/customers: numbers, tags and custom fields
 * checked, the change audited, customer.created/updated published. */
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
#include "crm/customer.h"
#include "crm/crm_field.h"
#include "crm/crm_int.h"

/*
 * A write takes two trips to the database. The first reads what the
 * checks need: the tenant's field definitions, whether the customer
 * exists (PATCH) and whether another customer owns one of the numbers.
 * The second is the change: the audited INSERT or UPDATE, the numbers
 * (all replaced when given), and the customer as the reply. A number
 * taken between the two trips fails the primary key (409 as well).
 *
 * PATCH merges `fields`: a key given replaces the stored value, null
 * removes it, keys not given keep theirs.
 */

#define TAG_MAX 32

struct cw {
	struct http_req *req;     /**< (ref) */
	bool create;
	char id[UUID_STRLEN];
	json_t *phones;           /**< normalized numbers, or NULL */
	json_t *fields;           /**< checked values, or NULL     */
	json_t *changed;          /**< names of what the body sets */
};

static const struct param create_params[] = {
	{"name", PARAM_STRING, true, 1, 100, NULL, false},
	{"company", PARAM_STRING, false, 0, 200, NULL, false},
	{"email", PARAM_STRING, false, 0, 254, NULL, false},
	{"region", PARAM_STRING, false, 0, 64, NULL, false},
	{"tags", PARAM_ARRAY, false, 0, 32, NULL, false},
	{"fields", PARAM_OBJECT, false, 0, 0, NULL, false},
	{"notes", PARAM_STRING, false, 0, 4000, NULL, false},
	{"phones", PARAM_ARRAY, true, 1, 20, NULL, false},
};

static const struct param update_params[] = {
	{"name", PARAM_STRING, false, 1, 100, NULL, false},
	{"company", PARAM_STRING, false, 0, 200, NULL, false},
	{"email", PARAM_STRING, false, 0, 254, NULL, false},
	{"region", PARAM_STRING, false, 0, 64, NULL, false},
	{"tags", PARAM_ARRAY, false, 0, 32, NULL, false},
	{"fields", PARAM_OBJECT, false, 0, 0, NULL, false},
	{"notes", PARAM_STRING, false, 0, 4000, NULL, false},
	{"phones", PARAM_ARRAY, false, 1, 20, NULL, false},
};

static const char prep_sql[] =
	"SELECT (" CRM_FIELDS_SQL ")::text,"
	" EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = $2),"
	" (SELECT json_build_object('phone', p.phone, 'customer_id',"
	" p.customer_id)::text FROM customer_phones p WHERE p.phone IN"
	" (SELECT jsonb_array_elements_text($1::jsonb))"
	" AND p.customer_id <> $2::uuid ORDER BY p.phone LIMIT 1)";

static const char phones_del_sql[] =
	"DELETE FROM customer_phones WHERE customer_id = $1";

/* No row when the audited statement matched none (a 404). */
static const char phones_add_sql[] =
	"INSERT INTO customer_phones (tenant_id, phone, customer_id,"
	" position) SELECT c.tenant_id, u.phone, c.customer_id, u.n - 1"
	" FROM customers c, jsonb_array_elements_text($2::jsonb)"
	" WITH ORDINALITY AS u (phone, n) WHERE c.customer_id = $1";

static const char select_sql[] =
	"SELECT " CUSTOMER_JSON("c") " FROM customers c"
	" WHERE c.customer_id = $1";


static void cw_destructor(void *arg)
{
	struct cw *w = arg;

	json_decref(w->phones);
	json_decref(w->fields);
	json_decref(w->changed);
	mem_deref(w->req);
}


static bool name_ok(struct http_req *req)
{
	const char *s = api_str(req, "name");

	if (s && !s[strspn(s, " ")]) {
		api_reply_invalid(req, "name", "length",
				  "must have a character besides spaces");
		return false;
	}

	return crm_text_ok(req, "name", true);
}


static bool email_ok(struct http_req *req)
{
	const char *s = api_str(req, "email");

	if (s && s[0] && !param_email_ok(s)) {
		api_reply_invalid(req, "email", "format",
				  "must be an e-mail address or empty");
		return false;
	}

	return crm_text_ok(req, "email", true);
}


/* Each number in the stored spelling, 3 to 20 digits, none twice. */
static bool phones_take(struct http_req *req, struct cw *w)
{
	const json_t *in = json_object_get(http_req_json(req), "phones");
	char num[CRM_PHONE_SZ], field[32];
	size_t i;
	const json_t *v;

	if (!in)
		return true;

	w->phones = json_array();
	json_array_foreach(in, i, v) {
		const char *s = json_string_value(v);

		(void)re_snprintf(field, sizeof(field), "phones[%zu]", i);
		if (!s || crm_phone_norm(num, sizeof(num), s) ||
		    strlen(num) < 3) {
			api_reply_invalid(req, field, "format", "must be a "
					  "telephone number of 3 to 20 "
					  "digits");
			return false;
		}

		for (size_t j = 0; j < i; j++) {
			if (strcmp(num, json_string_value(
				   json_array_get(w->phones, j))))
				continue;
			api_reply_invalid(req, field, "duplicate", "is the "
					  "same number as an earlier one");
			return false;
		}

		if (json_array_append_new(w->phones, json_string(num))) {
			http_reply_error(req, ENOMEM);
			return false;
		}
	}

	return true;
}


static bool body_ok(struct http_req *req, struct cw *w)
{
	return name_ok(req) && email_ok(req) &&
		crm_text_ok(req, "company", true) &&
		crm_text_ok(req, "region", true) &&
		crm_text_ok(req, "notes", false) &&
		crm_names_ok(req, "tags", TAG_MAX) &&
		phones_take(req, w);
}


/* 409 naming the number and whose it is. */
static void reply_taken(struct http_req *req, const char *taken)
{
	json_t *t = json_loads(taken, 0, NULL);
	const char *phone = json_string_value(json_object_get(t, "phone"));
	const char *owner = json_string_value(json_object_get(t,
							     "customer_id"));
	char msg[160];
	json_t *pb;
	char *s;

	(void)re_snprintf(msg, sizeof(msg), "%s is the number of customer "
			  "%s", phone ? phone : "?", owner ? owner : "?");
	pb = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s?,s:s?,s:[{s:s,s:s,s:s}]}",
		       "type", "/problems/phone_taken", "title", "Conflict",
		       "status", 409, "code", "phone_taken", "detail", msg,
		       "phone", phone, "customer_id", owner, "errors",
		       "field", "phones", "code", "taken", "message", msg);
	s = pb ? json_dumps(pb, JSON_COMPACT) : NULL;
	json_decref(pb);
	json_decref(t);
	if (!s) {
		http_reply_error(req, ENOMEM);
		return;
	}

	http_reply_raw(req, 409, "application/problem+json", s, strlen(s));
	free(s);  /* ccheck: foreign */
}


/* The custom field values checked against the definitions. */
static bool fields_ok(struct cw *w, const char *defs_text)
{
	const json_t *in = json_object_get(http_req_json(w->req), "fields");
	json_t *defs = json_loads(defs_text ? defs_text : "[]", 0, NULL);
	struct crm_field_err e;
	char field[96];
	int err;

	if (!in && !w->create) {
		json_decref(defs);
		return true;
	}

	w->fields = in ? json_deep_copy(in) : json_object();
	err = defs && w->fields ? crm_fields_check_flags(defs, w->fields,
		w->create ? 0 : CRM_FIELD_PARTIAL, &e) : ENOMEM;
	json_decref(defs);
	if (err == EINVAL) {
		(void)re_snprintf(field, sizeof(field), "fields%s%s",
				  e.field[0] ? "." : "", e.field);
		api_reply_invalid(w->req, field, e.code, e.message);
	}
	else if (err)
		http_reply_error(w->req, err);

	return !err;
}


/* What the body changes: its keys, a custom field as fields.<key>. */
static int changed_list(struct cw *w)
{
	const char *key;
	json_t *v;

	w->changed = json_array();
	if (!w->changed)
		return ENOMEM;

	json_object_foreach(http_req_json(w->req), key, v) {
		if (!strcmp(key, "fields"))
			continue;
		if (json_array_append_new(w->changed, json_string(key)))
			return ENOMEM;
	}

	json_object_foreach(w->fields, key, v) {
		char name[80];

		(void)re_snprintf(name, sizeof(name), "fields.%s", key);
		if (json_array_append_new(w->changed, json_string(name)))
			return ENOMEM;
	}

	return 0;
}


/* Audit detail: what changed and the values written (numbers and
 * custom fields as stored). */
static char *audit_detail(const struct cw *w)
{
	json_t *vals = json_deep_copy(http_req_json(w->req));
	json_t *d = json_object();
	char *s = NULL;

	if (vals && d && w->phones)
		(void)json_object_set(vals, "phones", w->phones);
	if (vals && d && w->fields)
		(void)json_object_set(vals, "fields", w->fields);
	if (vals && d && !json_object_set(d, "changed", w->changed) &&
	    !json_object_set(d, "values", vals))
		s = crm_json_text(d);

	json_decref(vals);
	json_decref(d);
	return s;
}


static void cw_done(int err, const struct db_res *res, void *arg)
{
	struct cw *w = arg;
	unsigned n = db_res_stmts(res);
	const char *j = NULL;
	char *ev = NULL;
	json_t *d;

	if (http_req_gone(w->req))
		goto out;

	if (err) {
		crm_reply_err(w->req, err, res);
		goto out;
	}

	if (n < 2 || db_nrows(res, 0) < 1 || db_nrows(res, n - 1) < 1 ||
	    !(j = db_val(res, n - 1, 0, 0))) {
		http_reply_error(w->req, ENOENT);
		goto out;
	}

	d = json_pack("{s:s,s:O}", "customer_id", w->id, "changed",
		      w->changed);
	ev = d ? crm_json_text(d) : NULL;
	json_decref(d);
	api_publish(http_req_principal(w->req)->tenant_id, w->create ?
		    "customer.created" : "customer.updated", ev);
	http_reply_raw(w->req, w->create ? 201 : 200, "application/json", j,
		       strlen(j));

 out:
	mem_deref(ev);
	mem_deref(w);
}


/* The values of the audited statement, $1 the customer's id. */
static int write_params(struct cw *w, const char **pv, char **tagsp,
			char **fieldsp)
{
	const struct principal *p = http_req_principal(w->req);
	int err;

	err = api_json_text(w->req, "tags", tagsp);
	if (!err && w->fields) {
		*fieldsp = crm_json_text(w->fields);
		err = *fieldsp ? 0 : ENOMEM;
	}

	pv[0] = w->id;
	pv[1] = api_str(w->req, "name");
	pv[2] = api_str(w->req, "company");
	pv[3] = api_str(w->req, "email");
	pv[4] = api_str(w->req, "region");
	pv[5] = *tagsp;
	pv[6] = *fieldsp;
	pv[7] = api_str(w->req, "notes");
	pv[8] = p->kind == PRINCIPAL_OPERATOR ? "" : p->id;

	return err;
}


static int audited_add(struct cw *w, struct db_txn **txp)
{
	static const char create_sql[] =
		"INSERT INTO customers (customer_id, tenant_id, name, company,"
		" email, region, tags, fields, notes, created_by, updated_by)"
		" SELECT $1, NULLIF(current_setting('openseat.tenant_id'),"
		" '')::uuid, $2, COALESCE($3, ''), COALESCE($4, ''),"
		" COALESCE($5, ''), ARRAY(SELECT"
		" jsonb_array_elements_text(COALESCE($6::jsonb, '[]'))),"
		" COALESCE($7::jsonb, '{}'), COALESCE($8, ''),"
		" NULLIF($9, '')::uuid, NULLIF($9, '')::uuid"
		" RETURNING customer_id";
	static const char update_sql[] =
		"UPDATE customers SET name = COALESCE($2, name),"
		" company = COALESCE($3, company),"
		" email = COALESCE($4, email),"
		" region = COALESCE($5, region), tags = CASE WHEN $6::jsonb"
		" IS NULL THEN tags ELSE ARRAY(SELECT"
		" jsonb_array_elements_text($6::jsonb)) END,"
		" fields = CASE WHEN $7::jsonb IS NULL THEN fields ELSE"
		" jsonb_strip_nulls(fields || $7::jsonb) END,"
		" notes = COALESCE($8, notes),"
		" updated_by = NULLIF($9, '')::uuid, updated_at = now()"
		" WHERE customer_id = $1 RETURNING customer_id";
	struct crm_change c = {w->create ? "customer.create" :
			       "customer.update", "customer", w->id, NULL};
	char *tags = NULL, *fields = NULL;
	const char *pv[9];
	int err;

	err = write_params(w, pv, &tags, &fields);
	c.detail = err ? NULL : audit_detail(w);
	err = err ? err : (c.detail ? 0 : ENOMEM);
	err = err ? err : crm_begin(txp, w->req, w->create ? create_sql :
				    update_sql, 9, pv, &c);

	mem_deref((char *)c.detail);
	mem_deref(tags);
	mem_deref(fields);
	return err;
}


static void change_exec(struct cw *w)
{
	struct db_txn *tx = NULL;
	char *phones = NULL;
	const char *pv[2] = {w->id, NULL};
	int err;

	err = changed_list(w);
	err = err ? err : audited_add(w, &tx);
	if (!err && w->phones) {
		phones = crm_json_text(w->phones);
		pv[1] = phones;
		err = phones ? 0 : ENOMEM;
		if (!err && !w->create)
			err = db_txn_add(tx, phones_del_sql, 1, pv);
		err = err ? err : db_txn_add(tx, phones_add_sql, 2, pv);
	}
	err = err ? err : db_txn_add(tx, select_sql, 1, pv);
	mem_deref(phones);
	if (err) {
		mem_deref(tx);
		http_reply_error(w->req, err);
		return;
	}

	/* cw_done holds a reference of its own; exec takes tx */
	err = db_txn_exec(http_req_app(w->req)->db, tx, cw_done, mem_ref(w));
	if (err) {
		mem_deref(w);
		http_reply_error(w->req, err);
	}
}


static void prep_done(int err, const struct db_res *res, void *arg)
{
	struct cw *w = arg;
	const char *exists, *taken;

	if (http_req_gone(w->req))
		goto out;

	if (err || db_nrows(res, 0) < 1) {
		http_reply_error(w->req, err ? err : EPROTO);
		goto out;
	}

	exists = db_val(res, 0, 0, 1);
	taken = db_val(res, 0, 0, 2);
	if (!w->create && (!exists || strcmp(exists, "t")))
		http_reply_error(w->req, ENOENT);
	else if (taken)
		reply_taken(w->req, taken);
	else if (fields_ok(w, db_val(res, 0, 0, 0)))
		change_exec(w);

 out:
	mem_deref(w);
}


static void write_start(struct http_req *req, bool create)
{
	struct db_ctx ctx = api_ctx(req);
	struct cw *w = mem_zalloc(sizeof(*w), cw_destructor);
	char *phones = NULL;
	const char *pv[2];
	int err;

	if (!w) {
		http_reply_error(req, ENOMEM);
		return;
	}

	w->req = mem_ref(req);
	w->create = create;
	if (create)
		uuid_v4(w->id);
	else if (!crm_path_id(req, "customer_id", w->id))
		goto out;

	if (!body_ok(req, w))
		goto out;

	phones = w->phones ? crm_json_text(w->phones) : NULL;
	pv[0] = phones;
	pv[1] = w->id;
	err = w->phones && !phones ? ENOMEM :
		db_query(http_req_app(req)->db, &ctx, prep_done, w,
			 prep_sql, 2, pv);
	if (err)
		http_reply_error(req, err);
	else
		w = NULL;  /* prep_done's now */

 out:
	mem_deref(phones);
	mem_deref(w);
}


static void customer_create(struct http_req *req)
{
	write_start(req, true);
}


static void customer_update(struct http_req *req)
{
	write_start(req, false);
}


#define P(t) t, ARRAY_SIZE(t)

/* Agents and supervisors keep customers up to date during calls. */
static const struct http_route routes[] = {
	{"POST", "/api/v1/customers", HTTP_TENANT, ROLE_AGENT,
	 P(create_params), customer_create},
	{"PATCH", "/api/v1/customers/{customer_id}", HTTP_TENANT,
	 ROLE_AGENT, P(update_params), customer_update},
};


/** Register the customer writes. */
int customer_write_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
