/* /api/v1/recording/settings: a tenant's recording policy. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "http/param.h"
#include "recording/rec_policy.h"
#include "recording/rec_settings_api.h"

static const char *const modes[] = {"all", "inbound", "outbound", "none",
				    NULL};
static const char *const starts[] = {"answer", "call", NULL};
static const char *const channels[] = {"stereo", "mono", NULL};

static const struct param put_params[] = {
	{"mode", PARAM_ENUM, false, 0, 0, modes, false},
	{"start_at", PARAM_ENUM, false, 0, 0, starts, false},
	{"channels", PARAM_ENUM, false, 0, 0, channels, false},
	{"notice", PARAM_BOOL, false, 0, 0, NULL, false},
	{"retention_days", PARAM_INT, false, 1, 3650, NULL, false},
	{"agent_playback", PARAM_BOOL, false, 0, 0, NULL, false},
};

/* Columns: the JSON reply, then the values the cache keeps. */
#define SETTINGS_SQL \
	"SELECT jsonb_build_object('mode', COALESCE(s.mode, 'all')," \
	" 'start_at', COALESCE(s.start_at, 'answer'), 'channels'," \
	" COALESCE(s.channels, 'stereo'), 'notice', COALESCE(s.notice," \
	" false), 'retention_days', COALESCE(s.retention_days, 180)," \
	" 'agent_playback', COALESCE(s.agent_playback, true)," \
	" 'updated_at', s.updated_at)," \
	" COALESCE(s.mode, 'all'), COALESCE(s.start_at, 'answer')," \
	" COALESCE(s.channels, 'stereo'), COALESCE(s.notice, false)," \
	" COALESCE(s.retention_days, 180)," \
	" COALESCE(s.agent_playback, true)" \
	" FROM (SELECT 1) one LEFT JOIN recording_settings s" \
	" ON s.tenant_id = $1"


static void settings_get(struct http_req *req)
{
	struct db_ctx ctx = api_ctx(req);
	const char *tenant_id = http_req_principal(req)->tenant_id;

	api_query(req, &ctx, SETTINGS_SQL, 1, &tenant_id, api_row_200);
}


/* Committed: the cache follows, then the reply. */
static void put_done(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 1) == 1)
		rec_policy_set_row(http_req_principal(req)->tenant_id, res, 1,
				   0);

	api_reply_row(req, 200, res, 1);
}


static void settings_put(struct http_req *req)
{
	static const char sql[] =
		"INSERT INTO recording_settings AS s (tenant_id, mode,"
		" start_at, channels, notice, retention_days, agent_playback)"
		" VALUES ($1, COALESCE($2, 'all'), COALESCE($3, 'answer'),"
		" COALESCE($4, 'stereo'), COALESCE($5::bool, false),"
		" COALESCE($6::int, 180), COALESCE($7::bool, true))"
		" ON CONFLICT (tenant_id) DO UPDATE SET"
		" mode = COALESCE($2, s.mode),"
		" start_at = COALESCE($3, s.start_at),"
		" channels = COALESCE($4, s.channels),"
		" notice = COALESCE($5::bool, s.notice),"
		" retention_days = COALESCE($6::int, s.retention_days),"
		" agent_playback = COALESCE($7::bool, s.agent_playback),"
		" updated_at = now() RETURNING s.tenant_id";
	const char *tenant_id = http_req_principal(req)->tenant_id;
	struct api_audit_what w = {tenant_id, "recording.settings",
				   "recording_settings", tenant_id, NULL};
	json_t *days = json_object_get(http_req_json(req), "retention_days");
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx;
	const char *pv[7];
	char dbuf[16];
	int err;

	pv[0] = tenant_id;
	pv[1] = api_str(req, "mode");
	pv[2] = api_str(req, "start_at");
	pv[3] = api_str(req, "channels");
	pv[4] = api_bool(req, "notice");
	pv[5] = NULL;
	if (json_is_integer(days)) {
		re_snprintf(dbuf, sizeof(dbuf), "%lld",
			    (long long)json_integer_value(days));
		pv[5] = dbuf;
	}
	pv[6] = api_bool(req, "agent_playback");

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 7, pv, &w);
	err = err ? err : db_txn_add(tx, SETTINGS_SQL, 1, pv);
	api_txn_run(req, tx, err, put_done);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"GET", "/api/v1/recording/settings", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, settings_get},
	{"PUT", "/api/v1/recording/settings", HTTP_TENANT, ROLE_ADMIN,
	 P(put_params), settings_put},
};


/** Register the recording settings API. */
int rec_settings_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}
