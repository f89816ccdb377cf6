/* What the ACD configuration handlers share: changes, errors, pages. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "http/param.h"
#include "acdcfg/acdcfg.h"
#include "acdcfg/acdcfg_int.h"

/*
 * A change is one transaction: the audited statement, what goes with it
 * (skills, checks in SQL), the NOTIFY that makes the runtime reload the
 * tenant, and a last SELECT of the resource as the reply. A check in SQL
 * (migrations/0007) fails with SQLSTATE OS400 (OS409 for a conflict)
 * "field|code|message", OSQTA when the seat quota is used up; a unique
 * or foreign key violation names its constraint. Either way the
 * transaction rolls back and the reply names the field.
 */

#define NOTIFY_SQL "SELECT pg_notify('" ACD_CHANNEL "', $1::text)"

/* Violations of named constraints, as the field they are about. */
static const struct api_conflict conflicts[] = {
	{"skills_tenant_name", 409, "name_taken", "name", "taken",
	 "another skill of this tenant has this name"},
	{"agents_pkey", 409, "already_agent", "user_id", "taken",
	 "this user is an agent already"},
	{"agents_tenant_work_no", 409, "work_no_taken", "work_no", "taken",
	 "another agent of this tenant has this work number"},
	{"agents_sip_user", 409, "sip_user_taken", "sip_user", "taken",
	 "this SIP user name is taken (SIP user names are unique across "
	 "the platform)"},
	{"agents_check", 400, "validation_failed", "device", "required",
	 "a sip device needs sip_user and a sip_secret of at least 8 "
	 "characters"},
	{"agents_check1", 400, "validation_failed", "phone", "required",
	 "a pstn device needs a phone number"},
	{"agent_skills_pkey", 400, "validation_failed", "skills",
	 "duplicate", "names a skill twice"},
	{"agent_skills_tenant_id_skill_id_fkey", 400, "validation_failed",
	 "skills", "not_found", "no skill with this id in your tenant"},
	{"notready_reasons_tenant_name", 409, "name_taken", "name", "taken",
	 "another reason of this tenant has this name"},
	{"disposition_codes_tenant_id_code_key", 409, "code_taken", "code",
	 "taken", "another disposition code of this tenant is the same"},
	{"queues_tenant_name", 409, "name_taken", "name", "taken",
	 "another queue of this tenant has this name"},
	{"queue_skills_pkey", 400, "validation_failed", "skills",
	 "duplicate", "names a skill twice"},
	{"queue_skills_tenant_id_skill_id_fkey", 400, "validation_failed",
	 "skills", "not_found", "no skill with this id in your tenant"},
	{"vip_callers_pkey", 409, "number_taken", "number", "taken",
	 "this number is a VIP caller already"},
};

/**
 * Reply with a problem whose errors[] names one field.
 *
 * @param problem  Problem code, e.g. "work_no_taken"
 */
void acdcfg_reply_field(struct http_req *req, unsigned status,
			const char *problem, const char *field,
			const char *code, const char *message)
{
	api_reply_field(req, status, problem, field, code, message);
}


/*
 * An OS400 or OS409 message: "field|code|message". A conflict's code is
 * also its problem code (e.g. queue_in_use).
 */
static void reply_check(struct http_req *req, unsigned status,
			const char *msg)
{
	if (!api_reply_check(req, status, msg))
		http_reply_error(req, EINVAL);
}


static void change_failed(struct http_req *req, int err,
			  const struct db_res *res)
{
	const char *state = db_sqlstate(res);
	const char *msg = db_errmsg(res);

	if (state && msg && !strcmp(state, "OS400"))
		reply_check(req, 400, msg);
	else if (state && msg && !strcmp(state, "OS409"))
		reply_check(req, 409, msg);
	else if (state && !strcmp(state, "OSQTA"))
		http_reply_error(req, EDQUOT);
	else if (!api_reply_conflict(req, msg, conflicts,
				     ARRAY_SIZE(conflicts)))
		http_reply_error(req, err);
}


/* The body as audit detail, a secret replaced by whether it changed. */
static char *audit_detail(struct http_req *req, const char *secret)
{
	json_t *d = http_req_json(req) ? json_deep_copy(http_req_json(req)) :
		json_object();
	char *s, *out = NULL;

	if (!d)
		return NULL;

	if (secret && json_object_get(d, secret)) {
		char changed[64];

		(void)re_snprintf(changed, sizeof(changed), "%s_changed",
				  secret);
		(void)json_object_del(d, secret);
		(void)json_object_set_new(d, changed, json_true());
	}

	s = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	(void)str_dup(&out, s ? s : "{}");
	free(s);  /* ccheck: foreign */

	return out;
}


/**
 * Start a change: a transaction holding the audited statement (its
 * audit row is written only if it matched a row).
 *
 * @return 0 if success, otherwise errorcode
 */
int acdcfg_begin(struct db_txn **txp, struct http_req *req,
		 const char *sql, unsigned n, const char *const *pv,
		 const struct acdcfg_what *w)
{
	struct api_audit_what aw = {http_req_principal(req)->tenant_id,
				    w->action, w->target_type, w->target_id,
				    NULL};
	struct db_ctx ctx = api_ctx(req);
	char *detail = NULL;
	int err;

	*txp = NULL;
	if (w->detail) {
		if (str_dup(&detail, w->detail))
			return ENOMEM;
	}
	else if (strcmp(http_req_method(req), "DELETE")) {
		detail = audit_detail(req, w->secret);
		if (!detail)
			return ENOMEM;
	}

	aw.detail_sql = detail;
	err = db_txn_alloc(txp, &ctx);
	err = err ? err : api_audit_change(*txp, req, sql, n, pv, &aw);
	mem_deref(detail);
	if (err)
		*txp = mem_deref(*txp);

	return err;
}


/**
 * Finish a change: NOTIFY the runtime and run it. h gets the rows; every
 * error is replied to here. Takes tx; err is the caller's error so far.
 */
void acdcfg_run(struct http_req *req, struct db_txn *tx, int err,
		api_rows_h *h)
{
	const char *tenant_id = http_req_principal(req)->tenant_id;

	err = err ? err : db_txn_add(tx, NOTIFY_SQL, 1, &tenant_id);
	api_change_run(req, tx, err, h, change_failed);
}


/**
 * Reply with the resource the change's last statement before the NOTIFY
 * selected; no row means the first statement matched nothing (404).
 */
void acdcfg_reply_last(struct http_req *req, const struct db_res *res,
		       unsigned status)
{
	unsigned n = db_res_stmts(res);

	if (n < 2 || db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	if (status == 204)
		http_reply_empty(req, 204);
	else
		api_reply_row(req, status, res, n - 2);
}


/** An integer body field as text in buf, or NULL when absent. */
const char *acdcfg_int(struct http_req *req, const char *field, char *buf,
		       size_t sz)
{
	json_t *v = json_object_get(http_req_json(req), field);

	if (!json_is_integer(v))
		return NULL;

	(void)re_snprintf(buf, sz, "%lld", (long long)json_integer_value(v));
	return buf;
}


/** Register the ACD configuration API. */
int acdcfg_api_init(void)
{
	int err = 0;

	err |= skill_api_init();
	err |= agent_api_init();
	err |= agent_reg_api_init();
	err |= reason_api_init();
	err |= disposition_api_init();
	err |= queue_api_init();
	err |= vip_api_init();

	return err ? ENOMEM : 0;
}
