/* /api/v1/disposition-codes: a tenant's outcomes of a call (咨询, 投诉
 * ...), the list an agent picks from in after-call work. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "acdcfg/acdcfg_int.h"

#define CODE_JSON \
	"json_build_object('code_id', d.code_id, 'code', d.code," \
	" 'position', d.position, 'enabled', d.enabled," \
	" 'created_at', d.created_at, 'updated_at', d.updated_at)"

#define SELECT_SQL \
	"SELECT " CODE_JSON " FROM disposition_codes d WHERE d.code_id = $1"

/* 64 characters of at most 4 bytes each, and the NUL. */
#define CODE_MAX 257

static const struct param create_params[] = {
	{"code", PARAM_STRING, true, 1, 64, NULL, false},
	{"position", PARAM_INT, false, 0, 1000, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};

static const struct param update_params[] = {
	{"code", PARAM_STRING, false, 1, 64, NULL, false},
	{"position", PARAM_INT, false, 0, 1000, NULL, false},
	{"enabled", PARAM_BOOL, false, 0, 0, NULL, false},
};


/*
 * The body's code without the spaces around it, which a pasted code
 * often carries (the table refuses them). False if a 400 was replied:
 * nothing is left, or a tab or newline. *codep is NULL when the body
 * has no code.
 */
static bool code_trim(struct http_req *req, char buf[CODE_MAX],
		      const char **codep)
{
	const char *s = api_str(req, "code");
	size_t n;

	*codep = NULL;
	if (!s)
		return true;

	/* the param table lets tabs and newlines through (notes want them) */
	if (strpbrk(s, "\t\n")) {
		api_reply_invalid(req, "code", "format",
				  "must not contain control characters");
		return false;
	}

	while (*s == ' ')
		++s;
	n = strlen(s);
	while (n && s[n - 1] == ' ')
		--n;

	if (!n || n >= CODE_MAX) {
		api_reply_invalid(req, "code", "length",
				  "must be 1 to 64 characters besides "
				  "spaces");
		return false;
	}

	memcpy(buf, s, n);
	buf[n] = '\0';
	*codep = buf;
	return true;
}


/* A cursor of ours: the last row's position (0..1000) and its id. */
static bool cursor_ok(const char *pos, const char *id)
{
	size_t n = strlen(pos);

	if (!pos[0] && !id[0])
		return true;

	if (!n || n > 4 || strspn(pos, "0123456789") != n ||
	    !api_uuid_ok(id))
		return false;

	return true;
}


/*
 * By position, then code: the order the console shows. The cursor holds
 * the last row's position and id; its code is read back from that row
 * (a code is no cursor text), so a row deleted between two pages ends
 * its position's run early rather than repeating rows.
 */
static void code_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " CODE_JSON ", d.position::text, d.code_id::text"
		" FROM disposition_codes d WHERE $1::int IS NULL OR"
		" (d.position, d.code, d.code_id) > ($1::int, (SELECT c.code"
		" FROM disposition_codes c WHERE c.code_id = $2::uuid),"
		" $2::uuid) ORDER BY d.position, d.code, d.code_id"
		" LIMIT $3::int + 1";
	struct db_ctx ctx = api_ctx(req);
	struct api_page pg;
	const char *pv[3];

	if (!api_page_get(req, &pg))
		return;

	if (!cursor_ok(pg.ts, pg.id)) {
		http_reply_problem(req, 400, "validation_failed",
				   "cursor is not one this server gave out;"
				   " start again without it.");
		return;
	}

	pv[0] = pg.ts[0] ? pg.ts : NULL;
	pv[1] = pg.id[0] ? pg.id : NULL;
	pv[2] = pg.lim;
	api_query(req, &ctx, sql, 3, pv, api_page_done);
}


static const struct acdcfg_table codes = {
	"disposition_code", "code_id", SELECT_SQL,
	/* Calls keep their code as text, so reports of the past still
	 * count. */
	"DELETE FROM disposition_codes WHERE code_id = $1"
	" RETURNING code_id",
};


static void code_get(struct http_req *req)
{
	acdcfg_get(req, &codes);
}


/* A code that exists already is a 409 (the table's unique key). */
static void code_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO disposition_codes (code_id, tenant_id, code,"
		" position, enabled) VALUES ($1, $2, $3, COALESCE($4::int, 0),"
		" COALESCE($5::bool, true)) RETURNING code_id";
	char code_id[UUID_STRLEN], pos[16], code[CODE_MAX];
	const char *pv[5];

	if (!code_trim(req, code, &pv[2]))
		return;

	uuid_v4(code_id);
	pv[0] = code_id;
	pv[1] = http_req_principal(req)->tenant_id;
	pv[3] = acdcfg_int(req, "position", pos, sizeof(pos));
	pv[4] = api_bool(req, "enabled");
	acdcfg_change(req, &codes, ACDCFG_CREATE, sql, 5, pv);
}


/* Renaming a code leaves calls saved with the old one as they were. */
static void code_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE disposition_codes SET code = COALESCE($2, code),"
		" position = COALESCE($3::int, position),"
		" enabled = COALESCE($4::bool, enabled), updated_at = now()"
		" WHERE code_id = $1 RETURNING code_id";
	const char *id = api_path_uuid(req, "code_id");
	char pos[16], code[CODE_MAX];
	const char *pv[4];

	if (!id || !code_trim(req, code, &pv[1]))
		return;

	pv[0] = id;
	pv[2] = acdcfg_int(req, "position", pos, sizeof(pos));
	pv[3] = api_bool(req, "enabled");
	acdcfg_change(req, &codes, ACDCFG_UPDATE, sql, 4, pv);
}


static void code_delete(struct http_req *req)
{
	acdcfg_delete(req, &codes);
}


#define P(t) t, ARRAY_SIZE(t)

/* Agents read the list to pick a code in after-call work. */
static const struct http_route routes[] = {
	{"GET", "/api/v1/disposition-codes", HTTP_TENANT, ROLE_AGENT, NULL,
	 0, code_list},
	{"POST", "/api/v1/disposition-codes", HTTP_TENANT, ROLE_ADMIN,
	 P(create_params), code_create},
	{"GET", "/api/v1/disposition-codes/{code_id}", HTTP_TENANT,
	 ROLE_AGENT, NULL, 0, code_get},
	{"PATCH", "/api/v1/disposition-codes/{code_id}", HTTP_TENANT,
	 ROLE_ADMIN, P(update_params), code_update},
	{"DELETE", "/api/v1/disposition-codes/{code_id}", HTTP_TENANT,
	 ROLE_ADMIN, NULL, 0, code_delete},
};


/** Register the disposition codes API. */
int disposition_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
