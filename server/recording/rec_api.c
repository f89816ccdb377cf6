/* The recordings' REST API: registration and the agents' playback rule. */
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include "auth/principal.h"
#include "recording/rec_api.h"
#include "http/param.h"
#include "recording/rec_api_int.h"

/*
 * Every read of a recording runs as one transaction of two statements:
 * REC_PLAYBACK_SQL first (may agents play recordings at all?), then the
 * read itself. The handler sees both and answers 403 to an agent when
 * the tenant turned agent playback off, whatever the read found.
 */


/**
 * Run sql (statement 1) after the playback rule (statement 0) for req.
 */
void rec_query(struct http_req *req, const char *sql, unsigned n,
	       const char *const *pv, api_rows_h *h)
{
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	int err;

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, REC_PLAYBACK_SQL, 0, NULL);
	err = err ? err : db_txn_add(tx, sql, n, pv);
	api_txn_run(req, tx, err, h);
}


/**
 * Whether req may see what statement 1 found; replies 403 if not.
 */
bool rec_playback_ok(struct http_req *req, const struct db_res *res)
{
	const char *v = db_val(res, 0, 0, 0);

	if (!rec_agent_forced(req) || (v && !strcmp(v, "t")))
		return true;

	http_reply_problem(req, 403, "recording_playback_off", "This "
			   "tenant does not let agents play recordings; "
			   "ask a supervisor.");
	return false;
}


/* exports before {recording_id}: the first route that matches serves */
static const struct http_route routes[] = {
	{"POST", "/api/v1/recordings/exports", HTTP_TENANT, ROLE_SUPERVISOR,
	 rec_filter_params, REC_NFILTER_PARAMS, rec_export_create},
	{"GET", "/api/v1/recordings/exports/{export_id}", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, rec_export_get},
	{"GET", "/api/v1/recordings/exports/{export_id}/file", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, rec_export_file},
	{"GET", "/api/v1/recordings", HTTP_TENANT, ROLE_AGENT, NULL, 0,
	 rec_list},
	{"GET", "/api/v1/recordings/{recording_id}", HTTP_TENANT,
	 ROLE_AGENT, NULL, 0, rec_get},
	{"GET", "/api/v1/recordings/{recording_id}/audio", HTTP_TENANT,
	 ROLE_AGENT, NULL, 0, rec_audio},
};


/** Register the recordings' API: search, audio and exports. */
int rec_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
