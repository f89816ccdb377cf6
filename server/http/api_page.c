/* Lists, single rows and path ids: the reads every resource API shares. */
#include <re_types.h>
#include <re_fmt.h>
#include "http/api.h"

/*
 * A list is one query whose rows are (json, created_at, id), ordered by
 * (created_at, id) and one longer than the limit (api_reply_page). Its
 * SQL takes the handler's filters first, then the cursor's created_at,
 * the cursor's id (both NULL on the first page) and the limit.
 */

enum { FILTERS_MAX = 8 };


/**
 * Read the page of the query string into pg; false after a 400 reply
 * (bad limit or cursor).
 */
bool api_page_get(struct http_req *req, struct api_page *pg)
{
	if (api_page_args(req, &pg->limit, pg->ts, sizeof(pg->ts), pg->id,
			  sizeof(pg->id)))
		return false;

	(void)re_snprintf(pg->lim, sizeof(pg->lim), "%u", pg->limit);
	return true;
}


/** Reply with the page the list query of api_page_query returned. */
void api_page_done(struct http_req *req, const struct db_res *res)
{
	struct api_page pg;

	(void)api_page_args(req, &pg.limit, pg.ts, sizeof(pg.ts), pg.id,
			    sizeof(pg.id));
	api_reply_page(req, res, 0, pg.limit);
}


/**
 * Run a list query: $1..$n are the filters pv (NULL: none), then the
 * cursor and the limit of pg. Replies with the page.
 */
void api_page_query(struct http_req *req, const struct api_page *pg,
		    const char *sql, unsigned n, const char *const *pv)
{
	struct db_ctx ctx = api_ctx(req);
	const char *all[FILTERS_MAX + 3];

	if (n > FILTERS_MAX) {
		http_reply_error(req, EINVAL);
		return;
	}

	for (unsigned i = 0; i < n; i++)
		all[i] = pv[i];

	all[n] = pg->ts[0] ? pg->ts : NULL;
	all[n + 1] = pg->id[0] ? pg->id : NULL;
	all[n + 2] = pg->lim;
	api_query(req, &ctx, sql, n + 3, all, api_page_done);
}


/** GET a list without filters: sql takes $1, $2 the cursor, $3 limit. */
void api_list(struct http_req *req, const char *sql)
{
	struct api_page pg;

	if (api_page_get(req, &pg))
		api_page_query(req, &pg, sql, 0, NULL);
}


/** Reply 200 with the first row of the first statement (404: none). */
void api_row_200(struct http_req *req, const struct db_res *res)
{
	api_reply_row(req, 200, res, 0);
}


/** The path parameter name as a UUID, or NULL after a 404 reply. */
const char *api_path_uuid(struct http_req *req, const char *name)
{
	const char *id = http_req_param(req, name);

	if (!api_uuid_ok(id)) {
		http_reply_error(req, ENOENT);
		return NULL;
	}

	return id;
}
