/* The disposition of a call (code and notes of the agent's after-call
 * work), saved on its CDR row. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "auth/principal.h"
#include "call/call_wrap.h"

struct wrap_req {
	call_wrap_h *h;
	void *arg;
};


static bool flag(const struct db_res *res, unsigned col)
{
	const char *v = db_val(res, 0, 0, col);

	return v && !strcmp(v, "t");
}


static void saved(int err, const struct db_res *res, void *arg)
{
	struct wrap_req *wr = arg;

	/* a call the agent may not touch is not found, whatever the code */
	if (!err && !db_nrows(res, 0))
		err = EIO;
	else if (!err && !flag(res, 0))
		err = ENOENT;
	else if (!err && !flag(res, 1))
		err = EINVAL;
	else if (!err && !flag(res, 2))
		err = ENOENT;

	wr->h(err, wr->arg);
	mem_deref(wr);
}


/* Characters, as the database counts them (JSON text is UTF-8). */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;

	return n;
}


/**
 * Save the disposition. An agent may set it only on a call it answered
 * (ENOENT otherwise, as for an unknown call or another tenant's);
 * a supervisor on any call of its tenant. EINVAL: the code is not 1-64
 * characters or the notes are over 2000. h is called exactly once when
 * 0 is returned; with EINVAL when the tenant keeps a list of codes
 * (any enabled) and the code is not an enabled one of it. The list is
 * checked in the same statement, so the loop waits for nothing.
 */
int call_wrap_save(struct app *app, const struct principal *p,
		   const char *call_id, const char *code, const char *notes,
		   call_wrap_h *h, void *arg)
{
	static const char sql[] =
		"WITH v AS (SELECT NOT EXISTS (SELECT 1 FROM"
		" disposition_codes d WHERE d.tenant_id = $2::uuid AND"
		" d.enabled) OR EXISTS (SELECT 1 FROM disposition_codes d"
		" WHERE d.tenant_id = $2::uuid AND d.enabled AND d.code = $3)"
		" AS ok), c AS (SELECT call_id FROM calls WHERE"
		" call_id = $1::uuid AND tenant_id = $2::uuid AND"
		" ($6 = '' OR agent_id = $5::uuid)), u AS (UPDATE calls SET"
		" wrap_code = $3, wrap_notes = NULLIF($4, ''),"
		" wrap_by = $5::uuid, wrap_at = now() WHERE call_id IN"
		" (SELECT call_id FROM c) AND (SELECT ok FROM v)"
		" RETURNING call_id) SELECT EXISTS (SELECT 1 FROM c),"
		" (SELECT ok FROM v), EXISTS (SELECT 1 FROM u)";
	struct db_ctx ctx = {DB_TENANT, p->tenant_id};
	const char *pv[6];
	struct wrap_req *wr;
	int err;

	if (!code || !code[0] || chars(code) > 64 || chars(notes) > 2000)
		return EINVAL;
	if (p->kind != PRINCIPAL_USER)
		return EACCES;

	wr = mem_zalloc(sizeof(*wr), NULL);
	if (!wr)
		return ENOMEM;

	wr->h = h;
	wr->arg = arg;
	pv[0] = call_id;
	pv[1] = p->tenant_id;
	pv[2] = code;
	pv[3] = notes ? notes : "";
	pv[4] = p->id;
	pv[5] = p->role < ROLE_SUPERVISOR ? "agent" : "";

	err = db_query(app->db, &ctx, saved, wr, sql, 6, pv);
	if (err)
		mem_deref(wr);

	return err;
}
