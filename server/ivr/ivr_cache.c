/* Parsed current flow versions by flow id, loaded on first use. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include "app.h"
#include "db/db.h"
#include "schedule/schedule.h"
#include "ivr/ivr.h"
#include "http/fetch.h"
#include "ivr/ivr_int.h"
#include "ivr/ivr_api.h"
#define LOG_MODULE "ivr"
#include "log/log.h"

/*
 * The cache holds one reference per entry; every caller gets its own,
 * which a call keeps for its whole life: replacing or forgetting an
 * entry never changes a flow a call is running. A new version (PUT on
 * this node, or NOTIFY IVR_CHANNEL from another) forgets the entry; a
 * load that started before that is answered but not cached.
 */

enum { CACHE_MAX = 4096 };

struct entry {
	struct le le;
	struct ivr_flow *flow;       /**< (ref) */
};

struct load {
	char tenant_id[37];
	char flow_id[37];
	uint64_t gen;
	ivr_flow_h *h;
	void *arg;
};

static struct {
	struct app *app;             /**< borrowed */
	struct list entryl;          /**< struct entry, owning */
	unsigned n;
	uint64_t gen;
} fc;


static void entry_destructor(void *arg)
{
	struct entry *e = arg;

	list_unlink(&e->le);
	mem_deref(e->flow);
}


static struct entry *find(const char *tenant_id, const char *flow_id)
{
	struct le *le;

	LIST_FOREACH(&fc.entryl, le) {
		struct entry *e = le->data;

		if (!strcmp(e->flow->flow_id, flow_id) &&
		    !strcmp(e->flow->tenant_id, tenant_id))
			return e;
	}

	return NULL;
}


static void put(struct ivr_flow *flow)
{
	struct entry *e = find(flow->tenant_id, flow->flow_id);

	if (e) {
		mem_deref(e);
		fc.n--;
	}
	if (fc.n >= CACHE_MAX) {
		mem_deref(list_ledata(fc.entryl.head));
		fc.n--;
	}

	e = mem_zalloc(sizeof(*e), entry_destructor);
	if (!e)
		return;

	e->flow = mem_ref(flow);
	list_append(&fc.entryl, &e->le, e);
	fc.n++;
}


/** Drop flow_id's entry (NULL: all); running calls keep theirs. */
void ivr_flow_forget(const char *flow_id)
{
	struct le *le = fc.entryl.head;

	fc.gen++;
	while (le) {
		struct entry *e = le->data;

		le = le->next;
		if (!flow_id || !strcmp(e->flow->flow_id, flow_id)) {
			mem_deref(e);
			fc.n--;
		}
	}
}


static void loaded(int err, const struct db_res *res, void *arg)
{
	struct load *l = arg;
	const char *ver = err ? NULL : db_val(res, 0, 0, 0);
	const char *text = err ? NULL : db_val(res, 0, 0, 1);
	struct ivr_flow *flow = NULL;
	json_t *graph = NULL;

	if (!err && (!ver || !text))
		err = ENOENT;
	if (!err) {
		graph = json_loads(text, 0, NULL);
		err = ivr_flow_parse(&flow, graph, l->tenant_id, l->flow_id,
				     (unsigned)atoi(ver));
		json_decref(graph);
		if (err)
			log_warn("flow %s v%s: stored graph refused (%m)",
				 l->flow_id, ver, err);
	}
	if (!err && l->gen == fc.gen)
		put(flow);

	l->h(err, flow, l->arg);
	mem_deref(l);
}


/**
 * The current version of flow_id in tenant_id, parsed: h gets a
 * reference (the callee derefs it) or ENOENT (no such flow, or no
 * version yet). From the cache h runs before this returns.
 *
 * @return 0 if h will be called (or was), otherwise errorcode
 */
int ivr_flow_get(const char *tenant_id, const char *flow_id, ivr_flow_h *h,
		 void *arg)
{
	static const char sql[] =
		"SELECT f.current_version, v.graph::text FROM flows f"
		" JOIN flow_versions v ON v.flow_id = f.flow_id"
		" AND v.version = f.current_version"
		" WHERE f.flow_id = $1::uuid";
	struct db_ctx ctx = {DB_TENANT, tenant_id};
	const char *pv[1] = {flow_id};
	struct entry *e;
	struct load *l;
	int err;

	if (!tenant_id || !flow_id || !h)
		return EINVAL;

	e = find(tenant_id, flow_id);
	if (e) {
		h(0, mem_ref(e->flow), arg);
		return 0;
	}

	if (!fc.app || !fc.app->db)
		return ENOENT;

	l = mem_zalloc(sizeof(*l), NULL);
	if (!l)
		return ENOMEM;

	str_ncpy(l->tenant_id, tenant_id, sizeof(l->tenant_id));
	str_ncpy(l->flow_id, flow_id, sizeof(l->flow_id));
	l->gen = fc.gen;
	l->h = h;
	l->arg = arg;

	err = db_query(fc.app->db, &ctx, loaded, l, sql, 1, pv);
	if (err)
		mem_deref(l);

	return err;
}


static void notified(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)arg;
	ivr_flow_forget(payload && payload[0] ? payload : NULL);
}


/** Start the flow and schedule caches and register the API. */
int ivr_init(struct app *app)
{
	int err;

	fc.app = app;
	err = schedule_init(app);
	if (!err && app && app->db)
		err = db_listen(app->db, IVR_CHANNEL, notified, NULL);

	return err;
}


/** Drop the caches and the lookup client. */
void ivr_close(void)
{
	ivr_flow_forget(NULL);
	schedule_close();
	fetch_close();
	fc.app = NULL;
}
