/* The routing cache: load trunks and numbers, reload when they change. */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#define LOG_MODULE "telephony"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "telephony/telephony.h"
#include "telephony/tel_int.h"
#include "telephony/tel_api.h"

/*
 * Reloads come from changes made through this node's API (directly), from
 * other nodes (NOTIFY on TEL_CHANNEL), and from a slow timer that covers
 * notifications lost while the LISTEN connection was down. At most one
 * load runs; a request during it runs one more load after it, so the
 * last change is always seen. A failed load keeps the old tables and
 * retries soon.
 */

enum {
	START_MS = 20,       /* waiting for the pool's first connection */
	RETRY_MS = 1000,
	REFRESH_MS = 60000,
};

static struct {
	struct app *app;     /**< NULL when closed */
	struct tmr tmr;
	bool loaded;
	bool loading;
	bool again;
} tel;

static const char sql_trunks[] =
	"SELECT trunk_id::text, COALESCE(tenant_id::text, ''), name,"
	" codecs, auth_user, auth_secret, outbound_uri, max_calls,"
	" max_cps, array_to_string(allow_addrs, ',')"
	" FROM trunks WHERE enabled ORDER BY created_at, trunk_id";

static const char sql_numbers[] =
	"SELECT n.number_id::text, n.number, n.tenant_id::text, t.code,"
	" t.status = 'active', t.max_calls, COALESCE(n.trunk_id::text, ''),"
	" COALESCE(n.flow_id::text, ''), n.routes::text,"
	" COALESCE(n.recording, ''), n.label"
	" FROM numbers n JOIN tenants t ON t.tenant_id = n.tenant_id"
	" WHERE n.enabled";


static void timer_start(uint64_t ms);


static const char *val(const struct db_res *res, unsigned stmt,
		       unsigned row, unsigned col)
{
	const char *v = db_val(res, stmt, row, col);

	return v ? v : "";
}


static int add_trunks(struct tel_snap *snap, const struct db_res *res)
{
	for (unsigned i = 0; i < db_nrows(res, 0); i++) {
		struct tel_trunk t;
		int err;

		memset(&t, 0, sizeof(t));
		str_ncpy(t.trunk_id, val(res, 0, i, 0), sizeof(t.trunk_id));
		str_ncpy(t.tenant_id, val(res, 0, i, 1), sizeof(t.tenant_id));
		str_ncpy(t.name, val(res, 0, i, 2), sizeof(t.name));
		str_ncpy(t.codecs, val(res, 0, i, 3), sizeof(t.codecs));
		str_ncpy(t.auth_user, val(res, 0, i, 4), sizeof(t.auth_user));
		str_ncpy(t.auth_secret, val(res, 0, i, 5),
			 sizeof(t.auth_secret));
		str_ncpy(t.outbound_uri, val(res, 0, i, 6),
			 sizeof(t.outbound_uri));
		t.max_calls = (uint32_t)strtoul(val(res, 0, i, 7), NULL, 10);
		t.max_cps = (uint32_t)strtoul(val(res, 0, i, 8), NULL, 10);

		err = tel_snap_add_trunk(snap, &t, val(res, 0, i, 9));
		if (err)
			return err;
	}

	return 0;
}


static int add_numbers(struct tel_snap *snap, const struct db_res *res)
{
	for (unsigned i = 0; i < db_nrows(res, 1); i++) {
		struct tel_number n;
		int err;

		memset(&n, 0, sizeof(n));
		str_ncpy(n.number_id, val(res, 1, i, 0), sizeof(n.number_id));
		str_ncpy(n.number, val(res, 1, i, 1), sizeof(n.number));
		str_ncpy(n.tenant_id, val(res, 1, i, 2), sizeof(n.tenant_id));
		str_ncpy(n.tenant_code, val(res, 1, i, 3),
			 sizeof(n.tenant_code));
		n.tenant_active = !strcmp(val(res, 1, i, 4), "t");
		n.tenant_max_calls = (uint32_t)strtoul(val(res, 1, i, 5),
						       NULL, 10);
		str_ncpy(n.trunk_id, val(res, 1, i, 6), sizeof(n.trunk_id));
		str_ncpy(n.flow_id, val(res, 1, i, 7), sizeof(n.flow_id));
		str_ncpy(n.recording, val(res, 1, i, 9), sizeof(n.recording));
		str_ncpy(n.label, val(res, 1, i, 10), sizeof(n.label));

		err = tel_snap_add_number(snap, &n, val(res, 1, i, 8));
		if (err)
			return err;
	}

	return 0;
}


static int build(const struct db_res *res)
{
	struct tel_snap *snap = NULL;
	int err;

	if (db_res_stmts(res) < 2)
		return EPROTO;

	err = tel_snap_alloc(&snap);
	err = err ? err : add_trunks(snap, res);
	err = err ? err : add_numbers(snap, res);
	if (err) {
		mem_deref(snap);
		return err;
	}

	log_info("routing tables loaded: %u trunks, %u numbers",
		 tel_snap_ntrunks(snap), tel_snap_nnumbers(snap));
	tel_snap_install(snap);

	return 0;
}


static void loaded(int err, const struct db_res *res, void *arg)
{
	(void)arg;

	if (!tel.app)
		return;

	tel.loading = false;
	if (!err)
		err = build(res);

	if (err == ECANCELED || tel.app->stopping)
		return;

	if (err) {
		log_warn("routing tables not loaded (%m); retrying", err);
		timer_start(RETRY_MS);
		return;
	}

	tel.loaded = true;
	if (tel.again) {
		tel.again = false;
		(void)tel_reload();
		return;
	}

	timer_start(REFRESH_MS);
}


/**
 * Load trunks and numbers again and swap them in when they arrive.
 *
 * @return 0 if a load is running or queued, otherwise errorcode
 */
int tel_reload(void)
{
	static const struct db_ctx ctx = {DB_OPERATOR, NULL};
	struct db_txn *tx = NULL;
	int err;

	if (!tel.app || !tel.app->db || tel.app->stopping)
		return ENOENT;

	if (tel.loading) {
		tel.again = true;
		return 0;
	}

	/* the SIP edge refuses calls until the first load: do not idle */
	if (!db_ready(tel.app->db)) {
		timer_start(tel.loaded ? RETRY_MS : START_MS);
		return 0;
	}

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, sql_trunks, 0, NULL);
	err = err ? err : db_txn_add(tx, sql_numbers, 0, NULL);
	if (!err) {
		err = db_txn_exec(tel.app->db, tx, loaded, NULL);
		tx = NULL;      /* db_txn_exec owns it in every case */
	}
	if (err) {
		mem_deref(tx);
		timer_start(RETRY_MS);
		return err;
	}

	tel.loading = true;
	tmr_cancel(&tel.tmr);

	return 0;
}


static void timeout(void *arg)
{
	(void)arg;
	(void)tel_reload();
}


static void timer_start(uint64_t ms)
{
	if (tel.app && !tel.app->stopping)
		tmr_start(&tel.tmr, ms, timeout, NULL);
}


static void notified(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)payload;
	(void)arg;

	if (tel.app)
		(void)tel_reload();
}


/**
 * Start the routing cache: limits from the config, LISTEN for changes,
 * and the first load (tel_loaded() turns true when it arrived).
 *
 * @return 0 if success, otherwise errorcode
 */
int tel_init(struct app *app)
{
	const struct cfg *c;
	int err;

	if (!app)
		return EINVAL;

	c = &app->cfg;
	err = tel_limits_init(c->sip_auth_max_failures,
			      c->sip_auth_window * 1000ULL,
			      c->sip_auth_ban * 1000ULL);
	if (err)
		return err;

	tmr_init(&tel.tmr);
	tel.app = app;
	tel.loaded = tel.loading = tel.again = false;

	if (app->db) {
		err = db_listen(app->db, TEL_CHANNEL, notified, NULL);
		if (err) {
			tel_close();
			return err;
		}
		(void)tel_reload();
	}

	return 0;
}


/** Stop reloading and free the tables; references handed out stay. */
void tel_close(void)
{
	tmr_cancel(&tel.tmr);
	tel.app = NULL;
	tel.loaded = tel.loading = tel.again = false;
	tel_snap_install(NULL);
	tel_limits_close();
}


/** True once the tables were loaded at least once. */
bool tel_loaded(void)
{
	return tel.loaded;
}


/** Register /api/v1/trunks, /api/v1/numbers and /api/v1/calls. */
int tel_api_init(void)
{
	int err = trunk_api_init();

	err = err ? err : number_api_init();

	return err ? err : call_api_init();
}
