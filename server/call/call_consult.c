/* The agent's second line: consult a third party (an outside number,
 * through the call's trunk) while the caller holds, then hand the caller
 * over (attended transfer), join all three (conference) or hang up. */
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
enum consult_state { CS_RINGING = 0, CS_TALKING, CS_CONFERENCE, CS_DONE };

static const char *const state_names[] = {"ringing", "answered",
					  "conference", "transferred"};

struct call_consult {
	struct call *call;               /**< (borrowed) owner          */
	struct leg *leg;                 /**< (ref)                     */
	struct sipcall *sc;              /**< (ref)                     */
	struct tel_admission *adm;       /**< (ref)                     */
	char number[33];
	char agent_id[37];
	enum consult_state state;
	bool closing;                    /**< hung up by us: no report  */
};


static void destructor(void *arg)
{
	struct call_consult *cs = arg;

	cs->closing = true;     /* sipcall_hangup reports the close at once */
	if (cs->sc)
		sipcall_hangup(cs->sc, 487, NULL);
	mem_deref(cs->sc);
	mem_deref(cs->leg);
	mem_deref(cs->adm);
}


static void tell(struct call_consult *cs, const char *state, int scode)
{
	struct call *call = cs->call;

	call_emit(call, "call.consult", json_pack("{s:s, s:s, s:s, s:i}",
		  "state", state, "number", cs->number, "agent_id",
		  cs->agent_id, "code", scode));
	(void)softphone_send(cs->agent_id, json_pack("{s:s, s:s, s:s, s:s,"
		" s:i}", "type", "call.consult", "call_id", call->call_id,
		"state", state, "number", cs->number, "code", scode));
}


/** Set who hears the third party for the consultation's state. */
void call_consult_rewire(struct call *call)
{
	struct call_consult *cs = call->consult;
	struct mport *c, *a, *t;

	if (!cs || cs->state == CS_RINGING)
		return;

	c = leg_port(call->leg);
	a = call->cq ? call_agent_port(call->cq) : NULL;
	t = leg_port(cs->leg);
	mport_hear(t, c, cs->state != CS_TALKING);
	mport_hear(c, t, cs->state != CS_TALKING);
	if (a) {
		mport_hear(t, a, cs->state != CS_DONE);
		mport_hear(a, t, cs->state != CS_DONE);
	}
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
	tell(cs, state_names[CS_TALKING], 200);
}


static void on_closed(const struct sipcall_end *end, void *arg)
{
	struct call_consult *cs = arg;
	struct call *call = cs->call;
	enum consult_state st = cs->state;

	if (cs->closing)
		return;

	cs->sc = mem_deref(cs->sc);
	tell(cs, st == CS_RINGING ? "failed" : "ended", end->scode);
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


/* Dial the third party, the caller held. */
static int start(struct call *call, const char *number)
{
	struct call_consult *cs;
	int err;

	if (call->consult)
		return EALREADY;
	if (!call->trunk || !call->trunk->outbound_uri[0])
		return ENOTSUP;

	cs = mem_zalloc(sizeof(*cs), destructor);
	if (!cs)
		return ENOMEM;

	cs->call = call;
	str_ncpy(cs->agent_id, call_queue_agent_of(call),
		 sizeof(cs->agent_id));
	if (!number || tel_normalize(cs->number, sizeof(cs->number), number)
	    || !cs->number[0])
		err = EINVAL;
	else
		err = dial(call, cs);
	if (err) {
		mem_deref(cs);
		return err;
	}

	(void)call_queue_hold(call, true);   /* EALREADY: held already */
	call->consult = cs;
	log_info("%H: agent consults %s", call_debug, call, cs->number);
	tell(cs, state_names[CS_RINGING], 0);

	return 0;
}


static int complete(struct call *call, struct call_consult *cs)
{
	int err;

	if (cs->state != CS_TALKING && cs->state != CS_CONFERENCE)
		return EALREADY;

	err = call_queue_consult_done(call, cs->number);
	if (err)
		return err;

	cs->state = CS_DONE;
	call_set_disposition(call, "transferred");
	call_consult_rewire(call);
	tell(cs, state_names[CS_DONE], 200);

	return 0;
}


static int conference(struct call *call, struct call_consult *cs)
{
	if (cs->state != CS_TALKING)
		return cs->state == CS_CONFERENCE ? 0 : EALREADY;

	(void)call_queue_hold(call, false);
	cs->state = CS_CONFERENCE;
	call_consult_rewire(call);
	tell(cs, state_names[CS_CONFERENCE], 200);

	return 0;
}


/**
 * The agent's second line: action "start" (number required),
 * "complete", "conference" or "cancel".
 *
 * @return 0, ENOENT (no agent on the call, or no consultation),
 * EALREADY (not in a state for it), EINVAL (bad action or number),
 * ENOTSUP (the trunk has no outbound route), EBUSY (over a limit)
 */
int call_consult(struct call *call, const char *action, const char *number)
{
	struct call_consult *cs = call->consult;

	if (!action)
		return EINVAL;
	if (!strcmp(action, "start"))
		return call_queue_talking(call) ? start(call, number) : ENOENT;
	if (strcmp(action, "complete") && strcmp(action, "conference") &&
	    strcmp(action, "cancel"))
		return EINVAL;
	if (!cs || cs->state == CS_DONE)
		return ENOENT;

	if (!strcmp(action, "complete"))
		return complete(call, cs);
	if (!strcmp(action, "conference"))
		return conference(call, cs);

	tell(cs, "cancelled", 0);
	call->consult = mem_deref(cs);   /* the caller stays on hold */

	return 0;
}
