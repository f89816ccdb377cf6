/* What an agent's console shows of a call before answering it: the
 * screen pop (caller and region, the number dialled, the IVR path and
 * variables, the queue, the wait, VIP). */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include "app.h"
#include "region/region.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_cti.h"


static void region_done(int err, const char *region, const char *carrier,
			void *arg)
{
	struct call *call = arg;

	if (!err && call->state != CALL_ENDED) {
		str_ncpy(call->region, region ? region : "",
			 sizeof(call->region));
		str_ncpy(call->carrier, carrier ? carrier : "",
			 sizeof(call->carrier));
	}

	mem_deref(call);
}


/**
 * Look the caller's region up while the call waits, so that an offer
 * carries it without waiting for the database.
 */
void call_cti_prepare(struct call *call)
{
	if (call->region[0] || !call->caller[0])
		return;

	if (region_lookup(call->app, call->tenant_id, call->caller,
			  region_done, mem_ref(call)))
		mem_deref(call);
}


static json_t *region_json(const struct call *call)
{
	if (!call->region[0])
		return json_null();

	return json_pack("{s:s, s:s?}", "name", call->region, "carrier",
			 call->carrier[0] ? call->carrier : NULL);
}


/** The call.offer message for the agent's console (new reference). */
json_t *call_cti_offer(const struct call_queue *cq)
{
	const struct call *call = cq->call;
	json_t *vars = call_ivr_vars(call);
	json_t *path = call->ivr_path ? json_copy(call->ivr_path) :
		json_array();
	uint64_t now = call_now_ms();

	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s,"
			 " s:{s:s, s:s, s:s},"
			 " s:I, s:b, s:i, s:o, s:o, s:i}",
			 "type", "call.offer", "call_id", call->call_id,
			 "caller", call->caller, "caller_region",
			 region_json(call), "number", call->number,
			 "number_label", call->number_label,
			 "queue", "queue_id", cq->qi.queue_id, "name",
			 cq->qi.name, "label", cq->qi.label,
			 "waited_ms", (json_int_t)(cq->queued_wall &&
						   now > cq->queued_wall ?
						   now - cq->queued_wall : 0),
			 "vip", cq->priority > 0, "priority", cq->priority,
			 "ivr_path", path ? path : json_array(),
			 "vars", vars ? vars : json_object(),
			 "ring_timeout_s", (int)cq->qi.ring_timeout_s);
}
