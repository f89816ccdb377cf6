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
#define LOG_MODULE "call"
#include "log/log.h"
#include "app.h"
#include "region/region.h"
#include "crm/screenpop.h"
#include "agent/softphone.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_agent_int.h"
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


/* The consoles that already had the offer (or dialled) learn it now. */
static void customer_send(const struct call *call)
{
	struct le *le;

	if (call->outbound) {
		(void)softphone_send(call->agent_id, json_pack("{s:s, s:s,"
				     " s:O}", "type", "call.customer",
				     "call_id", call->call_id, "customer",
				     call->customer));
		return;
	}

	for (le = call->cq ? call->cq->agents.head : NULL; le;
	     le = le->next) {
		const struct call_agent *ca = le->data;

		if (ca->browser)
			(void)softphone_send(ca->agent_id, json_pack(
				"{s:s, s:s, s:O}", "type", "call.customer",
				"call_id", call->call_id, "customer",
				call->customer));
	}
}


static void popped(struct json_t *customer, void *arg)
{
	struct call *call = arg;

	call->pop = screenpop_cancel(call->pop);
	if (call->state == CALL_ENDED || call->customer) {
		json_decref(customer);
		return;
	}

	/* an unknown caller's form is prefilled with the region */
	if (json_is_false(json_object_get(customer, "found")) &&
	    call->region[0])
		json_object_set_new(customer, "region",
				    json_string(call->region));
	call->customer = customer;
	customer_send(call);
}


/**
 * Start the screen pop of the customer's number (the caller, or whom
 * an agent dialled): the call keeps the result for every offer after.
 */
void call_cti_pop(struct call *call)
{
	struct screenpop_call c = {call->tenant_id, call->call_id,
				   call->outbound ? call->callee :
				   call->caller, call->number};

	if (call->pop || call->customer)
		return;

	if (screenpop_start(&call->pop, call->app, &c, popped, call))
		log_warn("%H: no screen pop", call_debug, call);
}


/**
 * Look the caller's region and customer up while the call waits, so
 * that an offer carries them without waiting for the database.
 */
void call_cti_prepare(struct call *call)
{
	call_cti_pop(call);
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

	/* customer null: the lookup is still running (call.customer) */
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s,"
			 " s:{s:s, s:s, s:s},"
			 " s:I, s:b, s:i, s:o, s:o, s:i, s:O?}",
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
			 "ring_timeout_s", (int)cq->qi.ring_timeout_s,
			 "customer", call->customer);
}
