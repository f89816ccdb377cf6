/* The recording policy: tenant settings cached on the loop, decisions. */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "recording/rec_policy.h"

/*
 * Settings are read on every recorded call, so they live in memory: all
 * rows are loaded at start, and the settings API writes through here
 * after its transaction committed. A tenant without a row has the
 * defaults. (One node owns a tenant; see docs/SCALE-OUT.md.)
 */

struct entry {
	struct le le;              /**< in pol.byid (owning)           */
	char tenant_id[37];
	struct rec_settings s;
};

static struct {
	struct hash *byid;         /**< (own) struct entry             */
	struct app *app;           /**< (borrowed)                     */
	struct tmr tmr;            /**< retries the load               */
	bool loaded;
} pol;

enum { RETRY_MS = 200 };

static void load(void *arg);


/** The defaults: every call recorded from the agent's answer, stereo. */
void rec_policy_defaults(struct rec_settings *s)
{
	if (!s)
		return;

	memset(s, 0, sizeof(*s));
	str_ncpy(s->mode, "all", sizeof(s->mode));
	s->stereo = true;
	s->retention_days = 180;
	s->agent_playback = true;
}


static bool id_cmp(struct le *le, void *arg)
{
	const struct entry *e = le->data;

	return !strcmp(e->tenant_id, arg);
}


static struct entry *find(const char *tenant_id)
{
	if (!pol.byid || !tenant_id)
		return NULL;

	return list_ledata(hash_lookup(pol.byid,
				       hash_joaat_str(tenant_id), id_cmp,
				       (void *)tenant_id));
}


void rec_policy_settings(const char *tenant_id, struct rec_settings *s)
{
	const struct entry *e = find(tenant_id);

	if (!s)
		return;

	if (e)
		*s = e->s;
	else
		rec_policy_defaults(s);
}


/**
 * Remember a tenant's settings (after they were stored).
 *
 * @return 0 if success, otherwise errorcode
 */
int rec_policy_set(const char *tenant_id, const struct rec_settings *s)
{
	struct entry *e;

	if (!tenant_id || !s || !pol.byid)
		return EINVAL;

	e = find(tenant_id);
	if (!e) {
		e = mem_zalloc(sizeof(*e), NULL);
		if (!e)
			return ENOMEM;

		str_ncpy(e->tenant_id, tenant_id, sizeof(e->tenant_id));
		hash_append(pol.byid, hash_joaat_str(e->tenant_id), &e->le,
			    e);
	}

	e->s = *s;

	return 0;
}


/** The mode that applies: queue's, else number's, else tenant's. */
const char *rec_policy_mode(const struct rec_settings *s,
			    const char *number_mode, const char *queue_mode)
{
	if (queue_mode && queue_mode[0])
		return queue_mode;
	if (number_mode && number_mode[0])
		return number_mode;

	return s ? s->mode : "none";
}


/** Whether a mode records a call of this direction. */
bool rec_policy_records(const char *mode, bool outbound)
{
	if (!mode)
		return false;
	if (!strcmp(mode, "all"))
		return true;
	if (!strcmp(mode, "inbound"))
		return !outbound;
	if (!strcmp(mode, "outbound"))
		return outbound;

	return false;
}


static bool is(const char *v, const char *want)
{
	return v && !strcmp(v, want);
}


/**
 * Remember a tenant's settings from a row whose columns 1..6 are mode,
 * start_at, channels, notice, retention_days, agent_playback (the
 * start-up load and the settings API's reply both read them so).
 */
void rec_policy_set_row(const char *tenant_id, const struct db_res *res,
			unsigned stmt, unsigned row)
{
	struct rec_settings s;
	const char *v;

	rec_policy_defaults(&s);
	v = db_val(res, stmt, row, 1);
	str_ncpy(s.mode, v ? v : "all", sizeof(s.mode));
	s.from_call = is(db_val(res, stmt, row, 2), "call");
	s.stereo    = is(db_val(res, stmt, row, 3), "stereo");
	s.notice    = is(db_val(res, stmt, row, 4), "t");
	v = db_val(res, stmt, row, 5);
	s.retention_days = v ? (uint32_t)strtoul(v, NULL, 10) : 180;
	s.agent_playback = is(db_val(res, stmt, row, 6), "t");
	(void)rec_policy_set(tenant_id, &s);
}


static void loaded(int err, const struct db_res *res, void *arg)
{
	unsigned r, n;
	(void)arg;

	if (err) {
		log_warn("recording settings not loaded (%m): trying again",
			 err);
		if (err != ECANCELED)
			tmr_start(&pol.tmr, RETRY_MS, load, NULL);
		return;
	}

	n = db_nrows(res, 0);
	for (r = 0; r < n; r++)
		rec_policy_set_row(db_val(res, 0, r, 0), res, 0, r);

	pol.loaded = true;
	log_info("recording settings of %u tenants loaded", n);
}


/* Until the first load (the database may not be up yet), tenants have
 * the defaults: every call recorded. */
static void load(void *arg)
{
	static const char sql[] =
		"SELECT tenant_id::text, mode, start_at, channels, notice,"
		" retention_days, agent_playback FROM recording_settings";
	struct db_ctx ctx = {DB_OPERATOR, NULL};
	int err;
	(void)arg;

	if (!pol.app || pol.app->stopping)
		return;

	err = db_query(pol.app->db, &ctx, loaded, NULL, sql, 0, NULL);
	if (err)
		tmr_start(&pol.tmr, RETRY_MS, load, NULL);
}


int rec_policy_init(struct app *app)
{
	int err;

	if (!app)
		return EINVAL;

	err = hash_alloc(&pol.byid, 64);
	if (err)
		return err;

	pol.app = app;
	tmr_init(&pol.tmr);
	load(NULL);

	return 0;
}


void rec_policy_close(void)
{
	tmr_cancel(&pol.tmr);
	pol.app = NULL;
	if (pol.byid)
		hash_flush(pol.byid);
	pol.byid = mem_deref(pol.byid);
	pol.loaded = false;
}
