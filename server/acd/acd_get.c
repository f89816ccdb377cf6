/* What the host may read of agents and queues, and their printers. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_list.h>
#include "acd/acd_int.h"


enum acd_agent_state acd_agent_state(const struct acd_agent *a)
{
	return a ? a->state : ACD_LOGGED_OUT;
}


/** The not-ready reason ("" in any other state) */
const char *acd_agent_reason(const struct acd_agent *a)
{
	return a && a->reason ? a->reason : "";
}


/** Is the agent a member of the queue (it holds every skill asked)? */
bool acd_agent_serves(const struct acd_agent *a, const struct acd_queue *q)
{
	return a && q && acd_member_find(q, a) != NULL;
}


/** When the agent entered its current state (ms) */
uint64_t acd_agent_since(const struct acd_agent *a)
{
	return a ? a->since : 0;
}


const char *acd_agent_id(const struct acd_agent *a)
{
	return a ? a->agent_id : NULL;
}


void *acd_agent_arg(const struct acd_agent *a)
{
	return a ? a->arg : NULL;
}


/** The call the agent rings, talks on or wraps up, else NULL */
struct acd_call *acd_agent_call(const struct acd_agent *a)
{
	return a ? a->call : NULL;
}


/** The agent's offers, answers and misses by cause since it was added */
void acd_agent_stats(const struct acd_agent *a, struct acd_counters *cnt)
{
	if (!cnt)
		return;

	if (a)
		*cnt = a->cnt;
	else
		memset(cnt, 0, sizeof(*cnt));
}


const char *acd_state_name(enum acd_agent_state state)
{
	switch (state) {

	case ACD_LOGGED_OUT: return "logged_out";
	case ACD_READY:      return "ready";
	case ACD_NOT_READY:  return "not_ready";
	case ACD_RINGING:    return "ringing";
	case ACD_ON_CALL:    return "on_call";
	case ACD_WRAP_UP:    return "wrap_up";
	case ACD_OUTBOUND:   return "outbound";
	default:             return "?";
	}
}


/** Print an agent for logs (%H): id, tenant, state and reason. */
int acd_agent_debug(struct re_printf *pf, const struct acd_agent *a)
{
	if (!a)
		return 0;

	return re_hprintf(pf, "agent %s tenant %s %s%s%s", a->agent_id,
			  a->tenant->tenant_id, acd_state_name(a->state),
			  a->reason ? " " : "", a->reason ? a->reason : "");
}


/** Print a queue for logs (%H): id, tenant, calls and members. */
int acd_queue_debug(struct re_printf *pf, const struct acd_queue *q)
{
	if (!q)
		return 0;

	return re_hprintf(pf, "queue %s tenant %s %s calls %u ready %u/%u",
			  q->queue_id, q->tenant->tenant_id,
			  q->cfg.strategy->name, q->ncalls,
			  q->by_state[ACD_READY], q->nlogged);
}
