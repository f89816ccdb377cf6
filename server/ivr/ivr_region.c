/* The area switch's question: which region is this caller's number in? */
#include <jansson.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_mbuf.h>
#include <re_tmr.h>
#include "app.h"
#include "region/region.h"
#include "ivr/ivr.h"
#include "ivr/ivr_int.h"

/*
 * The answer is region_lookup()'s (server/region): the tenant's own
 * prefixes, then the platform's attribution table, longest prefix
 * first. No match: ENOENT, and the switch takes its default branch.
 * The switch needs no carrier, and its handler keeps the shape it has.
 */

struct region_q {
	ivr_region_h *h;
	void *arg;
};


static void done(int err, const char *region, const char *carrier,
		 void *arg)
{
	struct region_q *q = arg;

	(void)carrier;
	q->h(err, region, q->arg);
	mem_deref(q);
}


/**
 * Look up the caller's region; h gets it, ENOENT when none is known.
 *
 * @return 0 if the query was sent (h will be called exactly once)
 */
int ivr_region_lookup(struct app *app, const char *tenant_id,
		      const char *caller, ivr_region_h *h, void *arg)
{
	struct region_q *q;
	int err;

	if (!h)
		return EINVAL;

	q = mem_zalloc(sizeof(*q), NULL);
	if (!q)
		return ENOMEM;

	q->h = h;
	q->arg = arg;
	err = region_lookup(app, tenant_id, caller, done, q);
	if (err)
		mem_deref(q);

	return err;
}
