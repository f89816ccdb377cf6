/* Exports a stop or a crash cut short: failed, their partial files gone. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "worker/worker.h"
#include "recording/rec_store.h"
#include "recording/rec_export.h"

/*
 * An export job lives in this process only: one still 'queued' or
 * 'running' when this process is ready was cut short by the one before
 * (a stop mid-job, kill -9). Its row becomes 'failed' so that nobody
 * waits for it, and what it had written (encrypted, unsealed) is
 * removed on the worker pool. Like the recordings' recovery, this
 * assumes one process per database. New exports wait for the sweep
 * (rec_export_swept), so it never fails one of this process.
 */

static bool sweep_done;

struct sweep {
	char (*pathv)[600];           /**< (own) absolute file names */
	unsigned n;
	unsigned removed;
};


static void sweep_destructor(void *arg)
{
	struct sweep *s = arg;

	mem_deref(s->pathv);
}


/* Worker thread: the partial files, gone if they were ever made. */
static int unlink_work(void *arg)
{
	struct sweep *s = arg;

	for (unsigned i = 0; i < s->n; i++) {
		if (!unlink(s->pathv[i]))
			s->removed++;
		else if (errno != ENOENT)
			return errno;
	}

	return 0;
}


static void unlinked(int err, void *arg)
{
	struct sweep *s = arg;

	if (err)
		log_warn("exports cut short: a partial file stays: %m", err);
	log_info("exports cut short by a restart: %u failed, %u partial "
		 "files removed", s->n, s->removed);
	mem_deref(s);
}


static void swept(int err, const struct db_res *res, void *arg)
{
	struct app *app = arg;
	unsigned n = err ? 0 : db_nrows(res, 0);
	struct sweep *s;

	sweep_done = true;
	if (err) {
		log_warn("exports cut short: not marked failed: %m", err);
		return;
	}
	if (!n)
		return;

	s = mem_zalloc(sizeof(*s), sweep_destructor);
	if (s)
		s->pathv = mem_zalloc(n * sizeof(*s->pathv), NULL);
	if (!s || !s->pathv) {
		mem_deref(s);
		return;
	}

	for (unsigned i = 0; i < n; i++) {
		const char *rel = db_val(res, 0, i, 0);

		if (rel && !rec_store_abs(s->pathv[s->n], sizeof(*s->pathv),
					  rel))
			s->n++;
	}

	if (worker_submit(app->workers, unlink_work, unlinked, s))
		mem_deref(s);
}


/**
 * Mark the exports a previous process left unfinished as failed and
 * remove their partial files. Call once the database and the keys are
 * ready, before any export of this process could have started.
 */
void rec_export_sweep(struct app *app)
{
	static const struct db_ctx op = {DB_OPERATOR, NULL};
	int err;

	err = db_query(app->db, &op, swept, app,
		       "UPDATE recording_exports SET status = 'failed',"
		       " error = 'interrupted by a restart; export again',"
		       " finished_at = now()"
		       " WHERE status IN ('queued', 'running')"
		       " RETURNING path", 0, NULL);
	if (err) {
		log_warn("exports cut short: not marked failed: %m", err);
		sweep_done = true;
	}
}


/** Whether exports may start: the previous process's are settled. */
bool rec_export_swept(void)
{
	return sweep_done;
}
