/* Parsed schedules by id, loaded from the database on first use. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "app.h"
#include "db/db.h"
#include "db/db_cache.h"
#include "schedule/schedule.h"
#define LOG_MODULE "schedule"
#include "log/log.h"

/*
 * Entries live until their schedule changes: the API forgets them on
 * this node and NOTIFY SCHEDULE_CHANNEL tells the others (db_cache.c).
 */

struct get {
	schedule_h *h;
	void *arg;
};


static int parse(void **objp, const struct db_res *res,
		 const char *tenant_id, const char *schedule_id)
{
	const char *text = db_val(res, 0, 0, 0);
	struct schedule *s = NULL;
	struct sched_error e;
	int err;

	(void)tenant_id;
	if (!text)
		return ENOENT;

	err = schedule_parse_text(&s, text, strlen(text), &e);
	if (err) {
		log_warn("schedule %s: stored form refused: %s %s",
			 schedule_id, e.field, e.message);
		return err;
	}

	*objp = s;
	return 0;
}


static const struct db_cache_kind kind = {
	"SELECT json_build_object('timezone', timezone, 'weekly',"
	" weekly, 'exceptions', exceptions)::text"
	" FROM schedules WHERE schedule_id = $1::uuid",
	parse
};

static struct db_cache sc = {&kind, NULL, LIST_INIT, 0, 0};


/**
 * Put a parsed schedule in the cache (takes a reference on s). Loads
 * use it; tests use it to run flows without a database.
 */
int schedule_cache_put(const char *tenant_id, const char *schedule_id,
		       struct schedule *s)
{
	return db_cache_put(&sc, tenant_id, schedule_id, s);
}


/** Drop schedule_id from the cache (it changed or is gone). */
void schedule_forget(const char *schedule_id)
{
	db_cache_forget(&sc, schedule_id);
}


static void got(int err, void *obj, void *arg)
{
	struct get *g = arg;

	g->h(err, obj, g->arg);
	mem_deref(g);
}


/**
 * The parsed schedule schedule_id of tenant_id: h gets a reference (the
 * callee derefs) or ENOENT. From the cache h runs before this returns;
 * otherwise after a database load.
 *
 * @return 0 if h will be called (or was), otherwise errorcode
 */
int schedule_get(const char *tenant_id, const char *schedule_id,
		 schedule_h *h, void *arg)
{
	struct schedule *s;
	struct get *g;
	int err;

	if (!tenant_id || !schedule_id || !h)
		return EINVAL;

	s = db_cache_find(&sc, tenant_id, schedule_id);
	if (s) {
		h(0, s, arg);
		return 0;
	}

	g = mem_zalloc(sizeof(*g), NULL);
	if (!g)
		return ENOMEM;

	g->h = h;
	g->arg = arg;
	err = db_cache_load(&sc, tenant_id, schedule_id, got, g);
	if (err)
		mem_deref(g);

	return err;
}


/** Start the cache; changes on other nodes arrive by NOTIFY. */
int schedule_init(struct app *app)
{
	return db_cache_open(&sc, app ? app->db : NULL, SCHEDULE_CHANNEL);
}


/** Drop every entry. */
void schedule_close(void)
{
	db_cache_close(&sc);
}
