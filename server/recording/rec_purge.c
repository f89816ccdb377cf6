/* The retention purge: old recordings' rows, then their files. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "worker/worker.h"
#include "core/clock.h"
#include "recording/rec_ops.h"
#include "recording/rec_purge.h"
#include "recording/rec_store.h"

#define HOUR_MS    (3600LL * 1000)
#define DAY_MS     (24 * HOUR_MS)
#define CHINA_MS   (8 * HOUR_MS)

/*
 * Rows go first, in one transaction that also writes one audit row per
 * tenant; only then are the files unlinked, on the worker pool. A file
 * someone is playing stays readable to them until they close it (an
 * unlinked open file lives on); a new request finds no row: 404. Rows
 * still 'recording' are never purged.
 */

struct purge {
	struct app *app;              /**< borrowed */
	rec_purge_h *h;
	void *arg;
	char **pathv;                 /**< absolute file names (mem) */
	unsigned n;
	struct rec_purge_result res;
};

static struct {
	struct app *app;              /**< borrowed */
	struct tmr tmr;
} pg;


static void purge_destructor(void *arg)
{
	struct purge *p = arg;

	for (unsigned i = 0; i < p->n; i++)
		mem_deref(p->pathv[i]);
	mem_deref(p->pathv);
}


/* Worker: unlink each file, then the day and month directories when
 * they are left empty (rmdir fails harmlessly otherwise). */
static int unlink_work(void *arg)
{
	struct purge *p = arg;

	for (unsigned i = 0; i < p->n; i++) {
		char dir[PATH_MAX];
		char *slash;

		if (unlink(p->pathv[i]) && errno != ENOENT)
			++p->res.unlink_errors;

		str_ncpy(dir, p->pathv[i], sizeof(dir));
		for (int up = 0; up < 2; up++) {
			slash = strrchr(dir, '/');
			if (!slash)
				break;
			*slash = '\0';
			if (rmdir(dir))
				break;
		}
	}

	return 0;
}


static void unlink_done(int err, void *arg)
{
	struct purge *p = arg;

	if (p->res.unlink_errors)
		log_warn("purge: %u file(s) could not be removed",
			 p->res.unlink_errors);
	if (p->h)
		p->h(err, &p->res, p->arg);
	mem_deref(p);
}


/* One log line per tenant; rows come ordered by tenant. */
static void log_tenants(const struct db_res *res)
{
	unsigned n = db_nrows(res, 0), first = 0;
	uint64_t bytes = 0;

	for (unsigned i = 0; i < n; i++) {
		const char *t = db_val(res, 0, i, 0);

		bytes += strtoull(db_val(res, 0, i, 2), NULL, 10);
		if (i + 1 < n && !strcmp(t, db_val(res, 0, i + 1, 0)))
			continue;

		log_info("purge: tenant %s: %u recording(s), %llu bytes "
			 "older than %s days deleted", t, i + 1 - first,
			 (unsigned long long)bytes, db_val(res, 0, i, 3));
		first = i + 1;
		bytes = 0;
	}
}


static int collect(struct purge *p, const struct db_res *res)
{
	unsigned n = db_nrows(res, 0);

	p->pathv = mem_zalloc((n ? n : 1) * sizeof(*p->pathv), NULL);
	if (!p->pathv)
		return ENOMEM;

	for (unsigned i = 0; i < n; i++) {
		char abs[PATH_MAX];
		const char *t = db_val(res, 0, i, 0);

		p->res.deleted++;
		p->res.bytes += strtoull(db_val(res, 0, i, 2), NULL, 10);
		if (!i || strcmp(t, db_val(res, 0, i - 1, 0)))
			p->res.tenants++;

		/* a path the server would not have made is not followed */
		if (rec_store_abs(abs, sizeof(abs), db_val(res, 0, i, 1)))
			continue;
		if (str_dup(&p->pathv[p->n], abs))
			return ENOMEM;
		p->n++;
	}

	return 0;
}


static void deleted(int err, const struct db_res *res, void *arg)
{
	struct purge *p = arg;

	err = err ? err : collect(p, res);
	if (err) {
		log_error("purge: %m", err);
		goto fail;
	}

	log_tenants(res);
	if (!p->res.deleted)
		log_info("purge: nothing older than retention");

	err = worker_submit(p->app->workers, unlink_work, unlink_done, p);
	if (!err)
		return;
	log_error("purge: files not removed: %m", err);

 fail:
	if (p->h)
		p->h(err, &p->res, p->arg);
	mem_deref(p);
}


/* Exports past their day: the rows say expired, then the files go. */
static void exports_expired(int err, const struct db_res *res, void *arg)
{
	struct purge *p = arg;

	err = err ? err : collect(p, res);
	if (err) {
		log_error("purge: exports: %m", err);
		mem_deref(p);
		return;
	}

	if (p->n)
		log_info("purge: %u export(s) older than a day removed", p->n);

	if (worker_submit(p->app->workers, unlink_work, unlink_done, p))
		mem_deref(p);
}


/* An export's zip is kept a day after it was asked for. */
static void expire_exports(struct app *app, const char *now)
{
	const struct db_ctx ctx = {DB_OPERATOR, NULL};
	const char *pv[1] = {now};
	struct purge *p;

	p = mem_zalloc(sizeof(*p), purge_destructor);
	if (!p)
		return;
	p->app = app;

	if (db_query(app->db, &ctx, exports_expired, p,
		"WITH old AS (SELECT export_id, path FROM recording_exports"
		" WHERE status IN ('ready', 'failed') AND path IS NOT NULL"
		" AND created_at < to_timestamp($1::bigint / 1000.0)"
		" - interval '1 day' FOR UPDATE)"
		" UPDATE recording_exports e SET status = 'expired',"
		" path = NULL FROM old WHERE e.export_id = old.export_id"
		" RETURNING e.tenant_id::text, old.path, '0'", 1, pv))
		mem_deref(p);
}


/**
 * Purge every tenant's recordings older than its retention_days (180
 * without settings) as of now_ms, and exports older than a day.
 *
 * @param now_ms the wall clock (clock_wall_ms), a parameter for tests
 * @param h      called when the files are gone, or NULL
 *
 * @return 0 if success, otherwise errorcode
 */
int rec_purge_run(struct app *app, int64_t now_ms, rec_purge_h *h,
		  void *arg)
{
	const struct db_ctx ctx = {DB_OPERATOR, NULL};
	struct purge *p;
	char now[32];
	const char *pv[1] = {now};
	int err;

	p = mem_zalloc(sizeof(*p), purge_destructor);
	if (!p)
		return ENOMEM;
	p->app = app;
	p->h = h;
	p->arg = arg;

	(void)re_snprintf(now, sizeof(now), "%lld", (long long)now_ms);
	err = db_query(app->db, &ctx, deleted, p,
		"WITH del AS (DELETE FROM recordings r USING tenants t"
		" LEFT JOIN recording_settings s"
		" ON s.tenant_id = t.tenant_id"
		" WHERE r.tenant_id = t.tenant_id AND r.status <> 'recording'"
		" AND r.started_at < to_timestamp($1::bigint / 1000.0)"
		" - make_interval(days => COALESCE(s.retention_days, 180))"
		" RETURNING r.tenant_id, r.path,"
		" COALESCE(r.size_bytes, 0) AS size,"
		" COALESCE(s.retention_days, 180) AS days),"
		" aud AS (INSERT INTO audit_log (tenant_id, actor_kind,"
		" action, target_type, target_id, detail)"
		" SELECT tenant_id, 'system', 'recording.purged', 'tenant',"
		" tenant_id::text, jsonb_build_object('deleted', count(*),"
		" 'bytes', sum(size), 'retention_days', min(days))"
		" FROM del GROUP BY tenant_id)"
		" SELECT tenant_id::text, path, size::text, days::text"
		" FROM del ORDER BY tenant_id", 1, pv);
	if (err)
		mem_deref(p);
	else
		expire_exports(app, now);

	return err;
}


/* ms until the next purge hour, China time, after now_ms */
static uint64_t until_next(int64_t now_ms, unsigned hour)
{
	int64_t local = now_ms + CHINA_MS;
	int64_t day = local - local % DAY_MS;
	int64_t at = day + (int64_t)hour * HOUR_MS;

	if (at <= local)
		at += DAY_MS;

	return (uint64_t)(at - local);
}


static void daily(void *arg);


static void schedule(void)
{
	uint64_t ms = until_next(clock_wall_ms(),
				 pg.app->cfg.recording_purge_hour);

	/* re-aimed at least hourly: the clock may be set meanwhile */
	tmr_start(&pg.tmr, ms < HOUR_MS ? ms + 1000 : HOUR_MS, daily, NULL);
}


static void daily(void *arg)
{
	int64_t now = clock_wall_ms();
	int64_t local = now + CHINA_MS;
	unsigned hour = (unsigned)((local % DAY_MS) / HOUR_MS);
	int err;

	(void)arg;
	if (hour == pg.app->cfg.recording_purge_hour &&
	    !pg.app->stopping) {
		log_info("purge: daily retention purge");
		err = rec_purge_run(pg.app, now, NULL, NULL);
		if (err)
			log_error("purge: %m", err);
	}

	schedule();
}


/** Start the daily purge timer. */
int rec_purge_init(struct app *app)
{
	pg.app = app;
	tmr_init(&pg.tmr);
	schedule();

	return 0;
}


void rec_purge_close(void)
{
	tmr_cancel(&pg.tmr);
}
