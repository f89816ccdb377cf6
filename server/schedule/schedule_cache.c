/* Parsed schedules by id, loaded from the database on first use. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "app.h"
#include "db/db.h"
#include "schedule/schedule.h"
#define LOG_MODULE "schedule"
#include "log/log.h"

/*
 * Entries live until their schedule changes: the API forgets them on
 * this node and NOTIFY SCHEDULE_CHANNEL tells the others. A load that
 * started before a change is not cached (the generation moved on), so a
 * stale answer cannot outlive the change. Callers get their own
 * reference; the cache holds one per entry.
 */

enum { CACHE_MAX = 4096 };

struct entry {
	struct le le;
	char tenant_id[37];
	char schedule_id[37];
	struct schedule *s;          /**< (ref) */
};

struct load {
	char tenant_id[37];
	char schedule_id[37];
	uint64_t gen;
	schedule_h *h;
	void *arg;
};

static struct {
	struct app *app;             /**< borrowed */
	struct list entryl;          /**< struct entry, owning */
	unsigned n;
	uint64_t gen;
} sc;


static void entry_destructor(void *arg)
{
	struct entry *e = arg;

	list_unlink(&e->le);
	mem_deref(e->s);
}


static struct entry *find(const char *tenant_id, const char *schedule_id)
{
	struct le *le;

	LIST_FOREACH(&sc.entryl, le) {
		struct entry *e = le->data;

		if (!strcmp(e->schedule_id, schedule_id) &&
		    !strcmp(e->tenant_id, tenant_id))
			return e;
	}

	return NULL;
}


/**
 * Put a parsed schedule in the cache (takes a reference on s). Loads
 * use it; tests use it to run flows without a database.
 */
int schedule_cache_put(const char *tenant_id, const char *schedule_id,
		       struct schedule *s)
{
	struct entry *e;

	if (!tenant_id || !schedule_id || !s)
		return EINVAL;

	e = find(tenant_id, schedule_id);
	if (e) {
		mem_deref(e);
		sc.n--;
	}
	if (sc.n >= CACHE_MAX) {
		mem_deref(list_ledata(sc.entryl.head));
		sc.n--;
	}

	e = mem_zalloc(sizeof(*e), entry_destructor);
	if (!e)
		return ENOMEM;

	str_ncpy(e->tenant_id, tenant_id, sizeof(e->tenant_id));
	str_ncpy(e->schedule_id, schedule_id, sizeof(e->schedule_id));
	e->s = mem_ref(s);
	list_append(&sc.entryl, &e->le, e);
	sc.n++;

	return 0;
}


/** Drop schedule_id from the cache (it changed or is gone). */
void schedule_forget(const char *schedule_id)
{
	struct le *le = sc.entryl.head;

	sc.gen++;
	while (le) {
		struct entry *e = le->data;

		le = le->next;
		if (!schedule_id || !strcmp(e->schedule_id, schedule_id)) {
			mem_deref(e);
			sc.n--;
		}
	}
}


static void loaded(int err, const struct db_res *res, void *arg)
{
	struct load *l = arg;
	const char *text = err ? NULL : db_val(res, 0, 0, 0);
	struct schedule *s = NULL;
	struct sched_error e;

	if (!err && !text)
		err = ENOENT;
	if (!err) {
		err = schedule_parse_text(&s, text, strlen(text), &e);
		if (err)
			log_warn("schedule %s: stored form refused: %s %s",
				 l->schedule_id, e.field, e.message);
	}
	if (!err && l->gen == sc.gen)
		(void)schedule_cache_put(l->tenant_id, l->schedule_id, s);

	l->h(err, s, l->arg);
	mem_deref(l);
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
	static const char sql[] =
		"SELECT json_build_object('timezone', timezone, 'weekly',"
		" weekly, 'exceptions', exceptions)::text"
		" FROM schedules WHERE schedule_id = $1::uuid";
	struct db_ctx ctx = {DB_TENANT, tenant_id};
	const char *pv[1] = {schedule_id};
	struct entry *e;
	struct load *l;
	int err;

	if (!tenant_id || !schedule_id || !h)
		return EINVAL;

	e = find(tenant_id, schedule_id);
	if (e) {
		h(0, mem_ref(e->s), arg);
		return 0;
	}

	if (!sc.app || !sc.app->db)
		return ENOENT;

	l = mem_zalloc(sizeof(*l), NULL);
	if (!l)
		return ENOMEM;

	str_ncpy(l->tenant_id, tenant_id, sizeof(l->tenant_id));
	str_ncpy(l->schedule_id, schedule_id, sizeof(l->schedule_id));
	l->gen = sc.gen;
	l->h = h;
	l->arg = arg;

	err = db_query(sc.app->db, &ctx, loaded, l, sql, 1, pv);
	if (err)
		mem_deref(l);

	return err;
}


static void notified(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)arg;
	schedule_forget(payload && payload[0] ? payload : NULL);
}


/** Start the cache; changes on other nodes arrive by NOTIFY. */
int schedule_init(struct app *app)
{
	sc.app = app;

	return app && app->db ? db_listen(app->db, SCHEDULE_CHANNEL,
					  notified, NULL) : 0;
}


/** Drop every entry. */
void schedule_close(void)
{
	schedule_forget(NULL);
	sc.app = NULL;
}
