/* /api/v1/recordings: search the recordings, read one. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include "recording/rec_api_int.h"

/*
 * Newest first, keyset pagination on (started_at, recording_id)
 * descending, the order of the recordings_tenant_started index.
 */


static void list_done(struct http_req *req, const struct db_res *res)
{
	unsigned limit;
	char ts[64], id[64];

	if (!rec_playback_ok(req, res))
		return;

	(void)api_page_args(req, &limit, ts, sizeof(ts), id, sizeof(id));
	api_reply_page(req, res, 1, limit);
}


/** GET /api/v1/recordings: the search, a page at a time. */
void rec_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " REC_ITEM_JSON ", r.started_at::text,"
		" r.recording_id::text" REC_FROM REC_WHERE
		" AND ($14::timestamptz IS NULL OR (r.started_at,"
		" r.recording_id) < ($14::timestamptz, $15::uuid))"
		" ORDER BY r.started_at DESC, r.recording_id DESC"
		" LIMIT $16::int + 1";
	struct rec_filter f;
	const char *pv[REC_NFILTERS + 3];
	char ts[64], id[64], lim[16];
	unsigned limit;

	memset(&f, 0, sizeof(f));
	if (api_page_args(req, &limit, ts, sizeof(ts), id, sizeof(id)) ||
	    !rec_filter_get(req, &f, rec_arg_query))
		return;

	(void)re_snprintf(lim, sizeof(lim), "%u", limit);
	memcpy(pv, f.pv, sizeof(f.pv));
	pv[REC_NFILTERS] = ts[0] ? ts : NULL;
	pv[REC_NFILTERS + 1] = id[0] ? id : NULL;
	pv[REC_NFILTERS + 2] = lim;

	rec_query(req, sql, ARRAY_SIZE(pv), pv, list_done);
}


static void get_done(struct http_req *req, const struct db_res *res)
{
	if (rec_playback_ok(req, res))
		api_reply_row(req, 200, res, 1);
}


/** GET /api/v1/recordings/{recording_id} */
void rec_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " REC_ITEM_JSON REC_FROM
		" WHERE r.recording_id = $1::uuid AND" REC_AGENT_SQL("2");
	const char *pv[2];

	pv[0] = http_req_param(req, "recording_id");
	pv[1] = rec_agent_forced(req);
	if (!api_uuid_ok(pv[0])) {
		http_reply_error(req, ENOENT);
		return;
	}

	rec_query(req, sql, 2, pv, get_done);
}

