/* /api/v1/vip-callers: callers served first, one by one or as a list. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "http/param.h"
#include "acdcfg/acdcfg_int.h"
#include "acdcfg/vip_csv.h"

/*
 * A VIP caller is keyed by its number, normalized as callers are, so
 * the path's {number} may be written as the CRM has it. An import
 * replaces the priority and note of numbers already listed and adds the
 * rest, all or nothing: one bad line and nothing is written.
 */

#define VIP_JSON \
	"json_build_object('number', v.number, 'priority', v.priority," \
	" 'note', v.note, 'created_at', v.created_at)"

#define SELECT_SQL \
	"SELECT " VIP_JSON " FROM vip_callers v WHERE v.number = $1"

static const struct param create_params[] = {
	{"number", PARAM_STRING, true, 1, 40, NULL, false},
	{"priority", PARAM_INT, false, 1, 100, NULL, false},
	{"note", PARAM_STRING, false, 0, 200, NULL, false},
};

static const struct param update_params[] = {
	{"priority", PARAM_INT, false, 1, 100, NULL, false},
	{"note", PARAM_STRING, false, 0, 200, NULL, false},
};

struct vip_path {
	char number[40];
};


/* The {number} of the path, normalized; false after a 404 reply. */
static bool path_number(struct http_req *req, struct vip_path *vp)
{
	if (vip_number_norm(vp->number, sizeof(vp->number),
			    http_req_param(req, "number"))) {
		http_reply_error(req, ENOENT);
		return false;
	}

	return true;
}


static void vip_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " VIP_JSON ", v.created_at::text, v.number"
		" FROM vip_callers v WHERE ($1::text IS NULL"
		" OR v.number LIKE $1 || '%')"
		" AND ($2::timestamptz IS NULL OR (v.created_at, v.number)"
		" > ($2::timestamptz, $3::text))"
		" ORDER BY v.created_at, v.number LIMIT $4::int + 1";
	const char *q = http_req_query(req, "q");
	struct api_page pg;

	if (!api_page_get(req, &pg))
		return;

	if (q && (!q[0] || strspn(q, "0123456789") != strlen(q))) {
		api_reply_invalid(req, "q", "format",
				  "must be the first digits of a number");
		return;
	}

	api_page_query(req, &pg, sql, 1, &q);
}


/* Keyed by number: the path's is normalized first (path_number). */
static const struct acdcfg_table vips = {
	"vip_caller", "number", SELECT_SQL,
	"DELETE FROM vip_callers WHERE number = $1 RETURNING number",
};


static void vip_get(struct http_req *req)
{
	struct vip_path vp;

	if (path_number(req, &vp))
		acdcfg_get_key(req, &vips, vp.number);
}


static void vip_create(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO vip_callers (number, tenant_id, priority, note)"
		" VALUES ($1, $2, COALESCE($3::int, 10), COALESCE($4, ''))"
		" RETURNING number";
	char number[40], prio[16];
	const char *pv[4];

	if (vip_number_norm(number, sizeof(number),
			    api_str(req, "number"))) {
		api_reply_invalid(req, "number", "format",
				  "must be a telephone number of 3 to 20 "
				  "digits, e.g. 13800138000");
		return;
	}

	pv[0] = number;
	pv[1] = http_req_principal(req)->tenant_id;
	pv[2] = acdcfg_int(req, "priority", prio, sizeof(prio));
	pv[3] = api_str(req, "note");
	acdcfg_change(req, &vips, ACDCFG_CREATE, sql, 4, pv);
}


static void vip_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE vip_callers SET"
		" priority = COALESCE($2::int, priority),"
		" note = COALESCE($3, note)"
		" WHERE number = $1 RETURNING number";
	struct vip_path vp;
	const char *pv[3];
	char prio[16];

	if (!path_number(req, &vp))
		return;

	pv[0] = vp.number;
	pv[1] = acdcfg_int(req, "priority", prio, sizeof(prio));
	pv[2] = api_str(req, "note");
	acdcfg_change(req, &vips, ACDCFG_UPDATE, sql, 3, pv);
}


static void vip_delete(struct http_req *req)
{
	struct vip_path vp;
	const char *pv[1] = {vp.number};

	if (path_number(req, &vp))
		acdcfg_change(req, &vips, ACDCFG_DELETE, vips.delete_sql, 1,
			      pv);
}


/* {dry_run, total, created, updated} */
static void reply_counts(struct http_req *req, bool dry, unsigned total,
			 unsigned created_n)
{
	json_t *b = json_pack("{s:b,s:i,s:i,s:i}", "dry_run", dry, "total",
			      (int)total, "created", (int)created_n,
			      "updated", (int)(total - created_n));

	if (!b) {
		http_reply_error(req, ENOMEM);
		return;
	}

	http_reply_json(req, 200, b);
}


/* Rows of (created bool) from the upsert. */
static void imported(struct http_req *req, const struct db_res *res)
{
	unsigned n = db_nrows(res, 0), c = 0;

	for (unsigned i = 0; i < n; i++) {
		const char *v = db_val(res, 0, i, 0);

		c += v && !strcmp(v, "t");
	}

	reply_counts(req, false, n, c);
}


/* One row: (new numbers, listed numbers). */
static void dry_done(struct http_req *req, const struct db_res *res)
{
	const char *a = db_val(res, 0, 0, 0), *b = db_val(res, 0, 0, 1);
	unsigned c = a ? (unsigned)atoi(a) : 0;

	reply_counts(req, true, c + (b ? (unsigned)atoi(b) : 0), c);
}


static void reply_errors(struct http_req *req, json_t *errors)
{
	char detail[96];
	json_t *pb;
	char *s;

	(void)re_snprintf(detail, sizeof(detail), "%zu line(s) are not valid"
			  "; nothing was imported.", json_array_size(errors));
	pb = json_pack("{s:s,s:s,s:i,s:s,s:s,s:O}", "type",
		       "/problems/validation_failed", "title", "Bad Request",
		       "status", 400, "code", "validation_failed", "detail",
		       detail, "errors", errors);
	s = pb ? json_dumps(pb, JSON_COMPACT) : NULL;
	json_decref(pb);
	if (!s) {
		http_reply_error(req, ENOMEM);
		return;
	}

	http_reply_raw(req, 400, "application/problem+json", s, strlen(s));
	free(s);  /* ccheck: foreign */
}


static void import_run(struct http_req *req, const char *rows, size_t n,
		       bool dry)
{
	static const char dry_sql[] =
		"SELECT count(*) FILTER (WHERE v.number IS NULL),"
		" count(v.number) FROM jsonb_to_recordset($1::jsonb)"
		" AS x (number text) LEFT JOIN vip_callers v"
		" ON v.number = x.number";
	static const char sql[] =
		"INSERT INTO vip_callers AS v (tenant_id, number, priority,"
		" note) SELECT $1, x.number, x.priority, x.note"
		" FROM jsonb_to_recordset($2::jsonb)"
		" AS x (number text, priority int, note text)"
		" ON CONFLICT (tenant_id, number) DO UPDATE"
		" SET priority = EXCLUDED.priority, note = EXCLUDED.note"
		" RETURNING xmax = 0";
	struct acdcfg_what w = {"vip_caller.import", "vip_caller", NULL,
				NULL, NULL};
	struct db_ctx ctx = api_ctx(req);
	const char *pv[2];
	struct db_txn *tx;
	char detail[48];
	int err;

	if (dry) {
		api_query(req, &ctx, dry_sql, 1, &rows, dry_done);
		return;
	}

	(void)re_snprintf(detail, sizeof(detail), "{\"rows\": %zu}", n);
	w.detail = detail;
	pv[0] = http_req_principal(req)->tenant_id;
	pv[1] = rows;
	err = acdcfg_begin(&tx, req, sql, 2, pv, &w);
	acdcfg_run(req, tx, err, imported);
}


/* POST /api/v1/vip-callers/import[?dry_run=true], body text/csv. */
static void vip_import(struct http_req *req)
{
	const char *dry = http_req_query(req, "dry_run");
	struct mbuf *mb = http_req_body_take(req);
	json_t *rows = json_array(), *errors = json_array();
	char *text = NULL;
	int err;

	if (dry && strcmp(dry, "true") && strcmp(dry, "false")) {
		api_reply_invalid(req, "dry_run", "type",
				  "must be true or false");
		goto out;
	}

	err = vip_csv_parse(mb ? (const char *)mb->buf : "",
			    mb ? mb->end : 0, rows, errors);
	if (err) {
		http_reply_error(req, err);
		goto out;
	}
	if (json_array_size(errors)) {
		reply_errors(req, errors);
		goto out;
	}

	text = json_dumps(rows, JSON_COMPACT);
	if (!text) {
		http_reply_error(req, ENOMEM);
		goto out;
	}

	import_run(req, text, json_array_size(rows),
		   dry && !strcmp(dry, "true"));

 out:
	free(text);  /* ccheck: foreign */
	json_decref(rows);
	json_decref(errors);
	mem_deref(mb);
}


#define P(t) t, ARRAY_SIZE(t)

/* import before {number}: the first matching route wins */
static const struct http_route routes[] = {
	{"GET", "/api/v1/vip-callers", HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0,
	 vip_list},
	{"POST", "/api/v1/vip-callers", HTTP_TENANT, ROLE_ADMIN,
	 P(create_params), vip_create},
	{"POST", "/api/v1/vip-callers/import", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, vip_import},
	{"GET", "/api/v1/vip-callers/{number}", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, vip_get},
	{"PATCH", "/api/v1/vip-callers/{number}", HTTP_TENANT, ROLE_ADMIN,
	 P(update_params), vip_update},
	{"DELETE", "/api/v1/vip-callers/{number}", HTTP_TENANT, ROLE_ADMIN,
	 NULL, 0, vip_delete},
};


/* 10,000 callers with notes pass; the usual body limit would not. */
static const struct http_body_limit import_limit = {
	&routes[2], 4u << 20, "body_too_large",
	"A VIP list may be up to 4 MiB; split it."
};


/** Register the VIP callers API. */
int vip_api_init(void)
{
	int err = http_routes_add(routes, ARRAY_SIZE(routes));

	return err ? err : http_body_limit_add(&import_limit);
}
