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
#include "db/db_cache.h"
#include "schedule/schedule.h"
#include "ivr/ivr.h"
#include "http/fetch.h"
#include "ivr/ivr_int.h"
#include "ivr/ivr_api.h"
#define LOG_MODULE "ivr"
#include "log/log.h"

/*
 * A call keeps the reference it got for its whole life: replacing or
 * forgetting an entry never changes a flow a call is running. A new
 * version (PUT on this node, or NOTIFY IVR_CHANNEL from another)
 * forgets the entry (db_cache.c).
 */

struct get {
	ivr_flow_h *h;
	void *arg;
};


static int parse(void **objp, const struct db_res *res,
		 const char *tenant_id, const char *flow_id)
{
	const char *ver = db_val(res, 0, 0, 0);
	const char *text = db_val(res, 0, 0, 1);
	struct ivr_flow *flow = NULL;
	json_t *graph;
	int err;

	if (!ver || !text)
		return ENOENT;

	graph = json_loads(text, 0, NULL);
	err = ivr_flow_parse(&flow, graph, tenant_id, flow_id,
			     (unsigned)atoi(ver));
	json_decref(graph);
	if (err) {
		log_warn("flow %s v%s: stored graph refused (%m)", flow_id,
			 ver, err);
		return err;
	}

	*objp = flow;
	return 0;
}


static const struct db_cache_kind kind = {
	"SELECT f.current_version, v.graph::text FROM flows f"
	" JOIN flow_versions v ON v.flow_id = f.flow_id"
	" AND v.version = f.current_version"
	" WHERE f.flow_id = $1::uuid",
	parse
};

static struct db_cache fc = {&kind, NULL, LIST_INIT, 0, 0};


/** Drop flow_id's entry (NULL: all); running calls keep theirs. */
void ivr_flow_forget(const char *flow_id)
{
	db_cache_forget(&fc, flow_id);
}


static void got(int err, void *obj, void *arg)
{
	struct get *g = arg;

	g->h(err, obj, g->arg);
	mem_deref(g);
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
	struct ivr_flow *flow;
	struct get *g;
	int err;

	if (!tenant_id || !flow_id || !h)
		return EINVAL;

	flow = db_cache_find(&fc, tenant_id, flow_id);
	if (flow) {
		h(0, flow, arg);
		return 0;
	}

	g = mem_zalloc(sizeof(*g), NULL);
	if (!g)
		return ENOMEM;

	g->h = h;
	g->arg = arg;
	err = db_cache_load(&fc, tenant_id, flow_id, got, g);
	if (err)
		mem_deref(g);

	return err;
}


/** Start the flow and schedule caches and register the API. */
int ivr_init(struct app *app)
{
	int err;

	err = schedule_init(app);
	if (!err)
		err = db_cache_open(&fc, app ? app->db : NULL, IVR_CHANNEL);

	return err;
}


/** Drop the caches and the lookup client. */
void ivr_close(void)
{
	db_cache_close(&fc);
	schedule_close();
	fetch_close();
}
