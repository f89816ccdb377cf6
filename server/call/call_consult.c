/* The agent's second line: consult a third party (an outside number
 * through the call's trunk, or a colleague: call_consult_agent.c) while
 * the caller holds, then hand the caller over (attended transfer), join
 * all three (conference) or hang up. */
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
#include "media/leg.h"
#include "media/mixer.h"
#include "media/sipedge.h"
#include "telephony/telephony.h"
#include "agent/softphone.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_agent_int.h"
#include "call/call_consult_int.h"
#include "call/call_console.h"

/*
 * Consulting puts the caller on hold (the queue's hold music) and dials
 * the number as a transfer would, from the number the caller dialled.
 * Once the third party answers, agent and third party hear each other.
 * "complete": caller and third party are bridged and the agent wraps up;
 * the call then ends when either hangs up. "conference": the caller
 * comes off hold and all three hear each other; the third party leaving
 * returns the call to two. "cancel" (or the third party hanging up
 * while consulted) leaves the caller on hold for the agent to resume.
 * Every step goes to the call's timeline and to the agent's console.
 */
static const char *const state_names[] = {"ringing", "answered",
					  "conference", "transferred"};


static void destructor(void *arg)
{
	struct call_consult *cs = arg;

	call_consult_agent_free(cs);
	cs->closing = true;     /* sipcall_hangup reports the close at once */
	if (cs->sc)
		sipcall_hangup(cs->sc, 487, NULL);
	mem_deref(cs->sc);
	mem_deref(cs->leg);
	mem_deref(cs->adm);
}


static json_t *target_json(const struct call_consult *cs)
{
	if (!cs->to_id[0] && cs->queue[0])   /* waiting in the queue */
		return json_pack("{s:s, s:s}", "to", "queue", "queue",
				 cs->queue);
	if (!cs->to_id[0])
		return json_pack("{s:s}", "to", "number");

	return json_pack("{s:s, s:s, s:s, s:s, s:s?}", "to",
			 cs->queue[0] ? "queue" : "agent", "target_agent_id",
			 cs->to_id, "target_work_no", cs->to_work_no,
			 "target_name", cs->to_name, "queue",
			 cs->queue[0] ? cs->queue : NULL);
}


/** The consultation's step: on the call's timeline and to the console
 * of the agent who consults. */
void call_consult_tell(struct call_consult *cs, const char *state,
		       int scode)
{
	struct call *call = cs->call;
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:i}", "state", state,
			       "number", cs->number, "agent_id", cs->agent_id,
			       "work_no", cs->work_no, "code", scode);
	json_t *msg = json_pack("{s:s, s:s, s:s, s:s, s:i}", "type",
				"call.consult", "call_id", call->call_id,
				"state", state, "number", cs->number, "code",
				scode);

	(void)json_object_update_missing_new(ev, target_json(cs));
	(void)json_object_update_missing_new(msg, target_json(cs));
	call_emit(call, "call.consult", ev);
	(void)softphone_send(cs->agent_id, msg);
}


/** The consulted party's port once it answered (talking, in the
 * conference or, after complete, with the caller), else NULL. */
struct mport *call_consult_party(const struct call *call)
{
	const struct call_consult *cs = call->consult;

	if (!cs || cs->state == CS_RINGING || cs->state == CS_QUEUED)
		return NULL;

	return cs->ca ? call_agent_leg_port(cs->ca) : leg_port(cs->leg);
}


/** Set who hears the third party for the consultation's state, and the
 * supervisors with it. */
void call_consult_rewire(struct call *call)
{
	struct call_consult *cs = call->consult;
	struct mport *c, *a, *t = call_consult_party(call);

	if (t) {
		c = leg_port(call->leg);
		a = call->cq ? call_agent_port(call->cq) : NULL;
		mport_hear(t, c, cs->state != CS_TALKING);
		mport_hear(c, t, cs->state != CS_TALKING);
		mport_hear(t, a, a && cs->state != CS_DONE);
		mport_hear(a, t, a && cs->state != CS_DONE);
	}

	call_monitor_rewire(call);
}


static void on_event(enum leg_event ev, void *arg)
{
	struct call *call = arg;

	if (ev == LEG_RTP_TIMEOUT && call->consult)
		call_consult(call, "cancel", NULL);
}


static void on_estab(void *arg)
{
	struct call_consult *cs = arg;
	struct call *call = cs->call;

	(void)leg_start(cs->leg);
	if (leg_attach(cs->leg, call->mixer)) {
		call_consult(call, "cancel", NULL);
		return;
	}

	cs->state = CS_TALKING;
	call_consult_rewire(call);
	call_consult_tell(cs, state_names[CS_TALKING], 200);
}


static void on_closed(const struct sipcall_end *end, void *arg)
{
	struct call_consult *cs = arg;
	struct call *call = cs->call;
	enum consult_state st = cs->state;

	if (cs->closing)
		return;

	cs->sc = mem_deref(cs->sc);
	call_consult_tell(cs, st == CS_RINGING ? "failed" : "ended",
			  end->scode);
	call->consult = mem_deref(call->consult);
	if (st == CS_DONE)       /* the caller was with them alone */
		call_end(call, "agent", "transfer_bye");
}


static int dial(struct call *call, struct call_consult *cs)
{
	struct sipcall_handlers h = {on_estab, NULL, on_closed, cs};
	struct tel_number *num = tel_number_find(call->number);
	int err;

	err = num ? tel_admit(&cs->adm, call->trunk, num) : ENOENT;
	err = err ? err : call_dial_trunk(call, call->trunk, cs->number,
					  on_event, &h, &cs->leg, &cs->sc);
	mem_deref(num);

	return err;
}


static int start_number(struct call *call, struct call_consult *cs,
			const char *number)
{
	if (!call->trunk || !call->trunk->outbound_uri[0])
		return ENOTSUP;
	if (tel_normalize(cs->number, sizeof(cs->number), number) ||
	    !cs->number[0])
		return EINVAL;

	return dial(call, cs);
}


/* Dial the third party or ring the colleague, the caller held. */
static int start(struct call *call, const struct call_consult_to *to)
{
	struct queue_agent_state st;
	struct call_consult *cs;
	int err;

	if (!to || (!to->number + !to->agent + !to->queue) != 2)
		return EINVAL;
	if (call->consult)
		return EALREADY;

	cs = mem_zalloc(sizeof(*cs), destructor);
	if (!cs)
		return ENOMEM;

	cs->call = call;
	tmr_init(&cs->tmr);
	str_ncpy(cs->agent_id, call_queue_agent_of(call),
		 sizeof(cs->agent_id));
	str_ncpy(cs->work_no, call->cq->work_no, sizeof(cs->work_no));
	if (!queue_agent_get(call->tenant_id, cs->agent_id, &st))
		str_ncpy(cs->name, st.name, sizeof(cs->name));

	call->consult = cs;      /* the colleague's offer names who asks */
	if (to->number)
		err = start_number(call, cs, to->number);
	else
		err = call_consult_agent_start(cs, to->agent, to->queue);
	if (err) {
		call->consult = NULL;
		mem_deref(cs);
		return err;
	}

	(void)call_queue_hold(call, true);   /* EALREADY: held already */
	log_info("%H: agent consults %s%s", call_debug, call,
		 cs->state == CS_QUEUED ? "queue " : "", cs->to_work_no[0] ?
		 cs->to_work_no : cs->queue[0] ? cs->queue : cs->number);
	call_consult_tell(cs, cs->state == CS_QUEUED ? "queued" :
			  state_names[CS_RINGING], 0);

	return 0;
}


static int complete(struct call *call, struct call_consult *cs)
{
	int err;

	if (cs->state != CS_TALKING && cs->state != CS_CONFERENCE)
		return EALREADY;
	if (cs->ca)
		return call_consult_agent_complete(cs);

	err = call_queue_consult_done(call, cs->number);
	if (err)
		return err;

	cs->state = CS_DONE;
	call_set_disposition(call, "transferred");
	call_consult_rewire(call);
	call_consult_tell(cs, state_names[CS_DONE], 200);

	return 0;
}


static int conference(struct call *call, struct call_consult *cs)
{
	if (cs->state != CS_TALKING)
		return cs->state == CS_CONFERENCE ? 0 : EALREADY;

	(void)call_queue_hold(call, false);
	cs->state = CS_CONFERENCE;
	call_consult_rewire(call);
	call_consult_tell(cs, state_names[CS_CONFERENCE], 200);

	return 0;
}


/**
 * Why a consultation of a colleague or a queue could not start, for
 * both edges (REST and WebSocket): the HTTP status and the code and
 * message they show, or 0 when err is not about the colleague.
 */
int call_consult_problem(int err, const struct call_consult_to *to,
			 const char **code, const char **message)
{
	bool queue = to && to->queue;

	if (!to || (!to->agent && !to->queue))
		return 0;

	switch (err) {

	case ENXIO:
		*code = queue ? "queue_not_found" : "agent_not_found";
		*message = queue ? "The tenant has no such queue." :
			"The tenant has no such agent.";
		return 404;
	case ENODEV:
		*code = "agent_logged_out";
		*message = "That agent is not logged in.";
		return 409;
	case EBUSY:
		*code = "agent_busy";
		*message = "That agent is not ready: ringing, talking, in "
			"wrap-up or not ready.";
		return 409;
	case EHOSTUNREACH:
		*code = "agent_unreachable";
		*message = "That agent's phone or console cannot be rung now.";
		return 409;
	case EAGAIN:
		*code = "no_agent_available";
		*message = "Nobody in that queue is ready now; try again, or "
			"consult an agent by name.";
		return 409;
	default:
		return 0;
	}
}


/** Whether the call's consultation waits in a queue for an agent. */
bool call_consult_queued(const struct call *call)
{
	return call && call->consult && call->consult->state == CS_QUEUED;
}


/** The consultation goes, whatever state it was in. */
void call_consult_drop(struct call *call)
{
	call->consult = mem_deref(call->consult);
}


/**
 * The agent's second line: action "start" (exactly one of to's number,
 * agent — id or work number — or queue), "complete", "conference" or
 * "cancel".
 *
 * @return 0, ENOENT (no agent on the call, or no consultation),
 * EALREADY (not in a state for it), EINVAL (bad action or number),
 * ENOTSUP (the trunk has no outbound route), EBUSY (over a limit; a
 * colleague: not ready), ENXIO (no such agent or queue), ENODEV (the
 * colleague is logged out), EHOSTUNREACH (its device cannot be rung),
 * EAGAIN (nobody in the queue is logged in: its empty policy refuses;
 * with someone logged in but nobody ready the consultation waits:
 * call_consult_queued())
 */
int call_consult(struct call *call, const char *action,
		 const struct call_consult_to *to)
{
	struct call_consult *cs = call->consult;

	if (!action)
		return EINVAL;
	if (!strcmp(action, "start"))
		return call_queue_talking(call) ? start(call, to) : ENOENT;
	if (strcmp(action, "complete") && strcmp(action, "conference") &&
	    strcmp(action, "cancel"))
		return EINVAL;
	if (!cs || cs->state == CS_DONE)
		return ENOENT;

	if (!strcmp(action, "complete"))
		return complete(call, cs);
	if (!strcmp(action, "conference"))
		return conference(call, cs);

	call_consult_tell(cs, "cancelled", 0);
	call_consult_drop(call);    /* the caller stays on hold */

	return 0;
}
