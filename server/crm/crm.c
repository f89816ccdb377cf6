/* What the customer and custom field handlers share: changes, errors. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "crm/crm_int.h"

/*
 * A change is one transaction: the audited statement (its audit row is
 * written only when it matched a row), what goes with it, and a last
 * SELECT of the resource as the reply. A unique violation names its
 * constraint; the table below turns it into the field it is about.
 */

static const struct api_conflict conflicts[] = {
	{"customer_phones_pkey", 409, "phone_taken", "phones", "taken",
	 "a number is another customer's (changed meanwhile); read the "
	 "customer again"},
	{"customer_fields_tenant_id_key_key", 409, "key_taken", "key",
	 "taken", "another custom field of this tenant has this key"},
	{"customer_fields_options", 400, "validation_failed", "options",
	 "required", "a select field needs 1 to 100 options; other types "
	 "take none"},
	{"customers_name_check", 400, "validation_failed", "name", "format",
	 "must be 1 to 100 characters, no control characters"},
	{"customer_fields_label_check", 400, "validation_failed", "label",
	 "format", "must be 1 to 64 characters, no control characters"},
	{"tickets_customer_id_fkey", 409, "customer_in_use", "customer_id",
	 "in_use", "the customer has business records (业务记录); they keep "
	 "it: the customer cannot be deleted"},
};

/** Reply to a failed change: a violated constraint names its field. */
void crm_reply_err(struct http_req *req, int err, const struct db_res *res)
{
	const char *msg = db_errmsg(res);

	if (!api_reply_conflict(req, msg, conflicts, ARRAY_SIZE(conflicts)))
		http_reply_error(req, err);
}


/**
 * Start a change: a transaction holding the audited statement.
 *
 * @return 0 if success, otherwise errorcode
 */
int crm_begin(struct db_txn **txp, struct http_req *req, const char *sql,
	      unsigned n, const char *const *pv, const struct crm_change *c)
{
	struct api_audit_what aw = {http_req_principal(req)->tenant_id,
				    c->action, c->target_type, c->target_id,
				    c->detail};
	struct db_ctx ctx = api_ctx(req);
	int err;

	err = db_txn_alloc(txp, &ctx);
	err = err ? err : api_audit_change(*txp, req, sql, n, pv, &aw);
	if (err)
		*txp = mem_deref(*txp);

	return err;
}


/**
 * Run a change; h gets the rows, every error is replied to here. Takes
 * tx; err is the caller's error so far.
 */
void crm_run(struct http_req *req, struct db_txn *tx, int err,
	     api_rows_h *h)
{
	api_change_run(req, tx, err, h, crm_reply_err);
}


/**
 * The {name} of the path as a UUID in lower case (the spelling audit
 * rows name it by), or a 404 reply and NULL.
 */
const char *crm_path_id(struct http_req *req, const char *name,
			char buf[UUID_STRLEN])
{
	const char *id = http_req_param(req, name);

	if (!api_uuid_ok(id)) {
		http_reply_error(req, ENOENT);
		return NULL;
	}

	for (size_t i = 0; i < UUID_STRLEN; i++)
		buf[i] = (char)tolower((unsigned char)id[i]);

	return buf;
}


/** Page arguments as text; false if a 400 was replied. */
bool crm_page(struct http_req *req, unsigned *limitp, char ts[64],
	      char id[64], char lim[16])
{
	if (api_page_args(req, limitp, ts, 64, id, 64))
		return false;

	(void)re_snprintf(lim, 16, "%u", *limitp);
	return true;
}


/** Reply with a page of (json, created_at, id) rows. */
void crm_list_done(struct http_req *req, const struct db_res *res)
{
	unsigned limit;
	char ts[64], id[64];

	(void)api_page_args(req, &limit, ts, sizeof(ts), id, sizeof(id));
	api_reply_page(req, res, 0, limit);
}


/*
 * A page of something a customer has (its calls, its history): the
 * first statement finds the customer (none: 404), the second is the
 * page.
 */
void crm_sub_list_done(struct http_req *req, const struct db_res *res)
{
	unsigned limit;
	char ts[64], id[64];

	if (db_res_stmts(res) < 2 || db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	(void)api_page_args(req, &limit, ts, sizeof(ts), id, sizeof(id));
	api_reply_page(req, res, 1, limit);
}


/*
 * A string field of the body without control characters (a tab or a
 * newline is allowed unless one_line). False if a 400 was replied.
 */
bool crm_text_ok(struct http_req *req, const char *field, bool one_line)
{
	const char *s = api_str(req, field);

	if (!s)
		return true;

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == 0x7f || (c < 0x20 &&
				  (one_line || (c != '\n' && c != '\t')))) {
			api_reply_invalid(req, field, "format",
					  "must not contain control "
					  "characters");
			return false;
		}
	}

	return true;
}


static bool name_ok(struct http_req *req, const char *field,
		    const json_t *a, size_t i, size_t max)
{
	const char *s = json_string_value(json_array_get(a, i));
	char name[48];
	size_t n = 0;

	(void)re_snprintf(name, sizeof(name), "%s[%zu]", field, i);
	if (!s) {
		api_reply_invalid(req, name, "type", "must be a string");
		return false;
	}

	for (const char *p = s; *p; p++) {
		n += ((unsigned char)*p & 0xc0) != 0x80;
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			n = max + 1;
	}
	if (!n || n > max || !s[strspn(s, " ")]) {
		char msg[80];

		(void)re_snprintf(msg, sizeof(msg), "must be 1 to %zu "
				  "characters, no control characters", max);
		api_reply_invalid(req, name, "length", msg);
		return false;
	}

	for (size_t j = 0; j < i; j++) {
		if (!strcmp(s, json_string_value(json_array_get(a, j)))) {
			api_reply_invalid(req, name, "duplicate",
					  "is the same as an earlier one");
			return false;
		}
	}

	return true;
}


/**
 * Each item of the body's array field is a string of 1 to max
 * characters (not only spaces, no control characters), none twice
 * (tags, a select's options). False if a 400 was replied, naming the
 * item (tags[2]).
 */
bool crm_names_ok(struct http_req *req, const char *field, size_t max)
{
	const json_t *a = json_object_get(http_req_json(req), field);

	for (size_t i = 0; i < json_array_size(a); i++) {
		if (!name_ok(req, field, a, i, max))
			return false;
	}

	return true;
}


/** Compact JSON text of j as a mem_ object, NULL on ENOMEM. */
char *crm_json_text(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	char *out = NULL;

	if (s)
		(void)str_dup(&out, s);
	free(s);  /* ccheck: foreign */

	return out;
}
