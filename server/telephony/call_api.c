/* /api/v1/calls: the call log (CDR) and each call's timeline. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "http/api.h"
#include "telephony/telephony.h"
#include "telephony/tel_int.h"

/*
 * The call engine writes calls and call_events; this is the read side.
 * Newest first, keyset pagination on (started_at, call_id) descending,
 * which is the order of the calls_tenant_started index.
 */

#define CALL_JSON "to_jsonb(c)"

#define EVENTS_JSON \
	"COALESCE((SELECT jsonb_agg(jsonb_build_object('seq', e.seq," \
	" 'type', e.type, 'data', e.data, 'created_at', e.created_at)" \
	" ORDER BY e.seq) FROM call_events e WHERE e.call_id = c.call_id)," \
	" '[]'::jsonb)"

static const char *const dispositions[] = {
	"completed", "abandoned", "voicemail", "transferred", "failed",
	"rejected", NULL
};

static const char *const directions[] = {"inbound", "outbound", NULL};

struct filters {
	const char *pv[9];
	char number[33];
	char caller[33];
	char ts[64], id[64], lim[16];
	unsigned limit;
};


static bool in_list(const char *const *v, const char *s)
{
	for (; *v; v++) {
		if (!strcmp(*v, s))
			return true;
	}

	return false;
}


/* ISO 8601 as PostgreSQL reads it: 2026-11-25, 2026-11-25T10:00:00Z ... */
static bool time_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 10 || n > 40)
		return false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (i < 4 ? !(c >= '0' && c <= '9') :
		    !((c >= '0' && c <= '9') || strchr("-:T.+Z ", c)))
			return false;
	}

	return s[4] == '-';
}


static bool enum_arg(struct http_req *req, const char *name,
		     const char *const *v, const char *msg, const char **pvp)
{
	const char *s = http_req_query(req, name);

	*pvp = s;
	if (s && !in_list(v, s)) {
		api_reply_invalid(req, name, "enum", msg);
		return false;
	}

	return true;
}


static bool time_arg(struct http_req *req, const char *name,
		     const char **pvp)
{
	const char *s = http_req_query(req, name);

	*pvp = s;
	if (s && !time_ok(s)) {
		api_reply_invalid(req, name, "format", "must be an ISO 8601 "
				  "time, e.g. 2026-11-25T08:00:00Z");
		return false;
	}

	return true;
}


/* A number filter: normalized; a caller that is no number (anonymous)
 * is matched as written. */
static bool number_arg(struct http_req *req, const char *name, char *buf,
		       size_t sz, bool raw_ok, const char **pvp)
{
	const char *s = http_req_query(req, name);

	*pvp = NULL;
	if (!s)
		return true;

	if (!tel_normalize(buf, sz, s)) {
		*pvp = buf;
		return true;
	}

	if (raw_ok && strlen(s) < sz) {
		str_ncpy(buf, s, sz);
		*pvp = buf;
		return true;
	}

	api_reply_invalid(req, name, "format", "must be a telephone number");
	return false;
}


static bool filters_get(struct http_req *req, struct filters *f)
{
	if (api_page_args(req, &f->limit, f->ts, sizeof(f->ts), f->id,
			  sizeof(f->id)))
		return false;

	if (!time_arg(req, "from", &f->pv[0]) ||
	    !time_arg(req, "to", &f->pv[1]) ||
	    !number_arg(req, "number", f->number, sizeof(f->number), false,
			&f->pv[2]) ||
	    !number_arg(req, "caller", f->caller, sizeof(f->caller), true,
			&f->pv[3]) ||
	    !enum_arg(req, "disposition", dispositions, "must be one of "
		      "completed, abandoned, voicemail, transferred, failed,"
		      " rejected", &f->pv[4]) ||
	    !enum_arg(req, "direction", directions,
		      "must be inbound or outbound", &f->pv[5]))
		return false;

	(void)re_snprintf(f->lim, sizeof(f->lim), "%u", f->limit);
	f->pv[6] = f->ts[0] ? f->ts : NULL;
	f->pv[7] = f->id[0] ? f->id : NULL;
	f->pv[8] = f->lim;

	return true;
}


static void list_done(struct http_req *req, const struct db_res *res)
{
	unsigned limit;
	char ts[64], id[64];

	(void)api_page_args(req, &limit, ts, sizeof(ts), id, sizeof(id));
	api_reply_page(req, res, 0, limit);
}


static void call_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " CALL_JSON ", c.started_at::text, c.call_id::text"
		" FROM calls c"
		" WHERE ($1::timestamptz IS NULL OR c.started_at >= $1)"
		" AND ($2::timestamptz IS NULL OR c.started_at < $2)"
		" AND ($3::text IS NULL OR c.number = $3)"
		" AND ($4::text IS NULL OR c.caller = $4)"
		" AND ($5::text IS NULL OR c.disposition = $5)"
		" AND ($6::text IS NULL OR c.direction = $6)"
		" AND ($7::timestamptz IS NULL OR (c.started_at, c.call_id)"
		" < ($7::timestamptz, $8::uuid))"
		" ORDER BY c.started_at DESC, c.call_id DESC"
		" LIMIT $9::int + 1";
	struct db_ctx ctx = api_ctx(req);
	struct filters f;

	memset(&f, 0, sizeof(f));
	if (!filters_get(req, &f))
		return;

	api_query(req, &ctx, sql, 9, f.pv, list_done);
}


static void row_200(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 200, res, 0);
}


static void call_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " CALL_JSON " || jsonb_build_object('events', "
		EVENTS_JSON ") FROM calls c WHERE c.call_id = $1";
	struct db_ctx ctx = api_ctx(req);
	const char *id = http_req_param(req, "call_id");

	if (!api_uuid_ok(id)) {
		http_reply_error(req, ENOENT);
		return;
	}

	api_query(req, &ctx, sql, 1, &id, row_200);
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/calls", HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0,
	 call_list},
	{"GET", "/api/v1/calls/{call_id}", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, call_get},
};


/** Register the call log API. */
int call_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
