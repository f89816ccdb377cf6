/* A console's actions on a live call: hang up, hold, transfer — by the
 * agent who has the call, or a supervisor of its tenant. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#include "app.h"
#include "auth/principal.h"
#include "media/leg.h"
#include "media/mixer.h"
#include "media/pcm.h"
#include "media/player.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_agent_int.h"
#include "call/call_console.h"

/*
 * Another tenant's call is ENOENT like an unknown one. An agent may act
 * only on the call it answered (EACCES otherwise, so a console can say
 * so); a supervisor on any call of its tenant.
 */
static int own_call(const struct principal *p, const char *call_id,
		    struct call **callp)
{
	struct call *call = call_find_live(p->tenant_id, call_id);

	if (!call)
		return ENOENT;

	if (p->role < ROLE_SUPERVISOR &&
	    (p->kind != PRINCIPAL_USER ||
	     strcmp(call->outbound ? call->agent_id :
		    call_queue_agent_of(call), p->id)))
		return EACCES;

	*callp = call;

	return 0;
}


/**
 * Hang up: the agent's own part (a browser's offer is declined; a phone
 * is hung up as if its user did), or — by a supervisor — the whole call.
 */
int call_console_hangup(const struct principal *p, const char *call_id)
{
	struct call *call;
	int err;

	if (!call_rtc_hangup(p, call_id) || !call_dial_hangup(p, call_id))
		return 0;

	err = own_call(p, call_id, &call);
	if (err)
		return err;

	if (!strcmp(call_queue_agent_of(call), p->id)) {
		/* the agent's phone: as if it hung up */
		call_queue_agent_left(call->cq, p->id, "bye");
		return 0;
	}

	call_end(call, "supervisor", "supervisor_hangup");

	return 0;
}


int call_console_hold(const struct principal *p, const char *call_id,
		      bool on)
{
	struct call *call;
	int err = own_call(p, call_id, &call);

	return err ? err : call_queue_hold(call, on);
}


/**
 * Pause ("pause") or resume ("resume") the call's recording.
 *
 * @return 0 if success, ENODATA if the call is not recorded, EALREADY
 *         if it already was, EINVAL for another action
 */
int call_console_record(const struct principal *p, const char *call_id,
			const char *action)
{
	struct call *call;
	bool pause;
	int err;

	if (!action || (strcmp(action, "pause") && strcmp(action, "resume")))
		return EINVAL;

	err = own_call(p, call_id, &call);
	if (err)
		return err;

	pause = !strcmp(action, "pause");
	err = call_rec_pause(call, pause);

	return err == ENOENT ? ENODATA : err;
}


/** Blind transfer to exactly one of a queue, an agent, a number. */
int call_console_transfer(const struct principal *p, const char *call_id,
			  const char *queue, const char *agent_id,
			  const char *number)
{
	struct call *call;
	int err;

	if (!!queue + !!agent_id + !!number != 1)
		return EINVAL;

	err = own_call(p, call_id, &call);
	if (err)
		return err;

	if (!call_queue_agent_of(call)[0])
		return EALREADY;

	return queue ? call_queue_transfer_queue(call, queue) :
		agent_id ? call_queue_transfer_agent(call, agent_id) :
		call_queue_transfer_number(call, number);
}


/* Digits on their way to the caller: a player of their own, freed when
 * they have been played (or with the call's mixer). */
struct dtmf_send {
	struct player *pl;               /**< (ref) */
	struct pcm *pcm;                 /**< (ref) */
};


static void dtmf_destructor(void *arg)
{
	struct dtmf_send *ds = arg;

	mem_deref(ds->pl);
	mem_deref(ds->pcm);
}


static void dtmf_played(int err, void *arg)
{
	(void)err;
	mem_deref(arg);
}


/**
 * The agent's keypad: DTMF tones into the call, heard by the caller (an
 * IVR at the far end of a transfer, say). EINVAL: not DTMF digits.
 */
int call_console_dtmf(const struct principal *p, const char *call_id,
		      const char *digits)
{
	struct dtmf_send *ds;
	struct call *call;
	int err = own_call(p, call_id, &call);

	if (err)
		return err;
	if (!call->mixer || !call->leg || (!call->outbound &&
					   !call_queue_agent_of(call)[0]))
		return EALREADY;

	ds = mem_zalloc(sizeof(*ds), dtmf_destructor);
	if (!ds)
		return ENOMEM;

	err = pcm_dtmf(&ds->pcm, digits);
	err = err ? err : player_alloc(&ds->pl, call->mixer, "dtmf");
	if (!err)
		mport_hear(leg_port(call->leg), player_port(ds->pl), true);
	err = err ? err : player_play(ds->pl, &ds->pcm, 1, false,
				      dtmf_played, ds);
	if (err)
		mem_deref(ds);

	return err;
}


/** The agent's second line: consult, complete, conference, cancel.
 * *queuedp (optional): the consultation waits in its queue for an
 * agent. */
int call_console_consult(const struct principal *p, const char *call_id,
			 const char *action, const struct call_consult_to *to,
			 bool *queuedp)
{
	struct call *call;
	int err = own_call(p, call_id, &call);

	err = err ? err : call_consult(call, action, to);
	if (queuedp)
		*queuedp = !err && call_consult_queued(call);

	return err;
}
