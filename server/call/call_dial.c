/* Click-to-dial: the agent's leg first (browser, SIP phone or PSTN
 * number), then the customer through the tenant's trunk, from one of
 * the tenant's numbers. */
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
#include "auth/principal.h"
#include "media/leg.h"
#include "media/mixer.h"
#include "media/sipedge.h"
#include "media/webrtc.h"
#include "telephony/telephony.h"
#include "queue/queue.h"
#include "agent/softphone.h"
#include "call/call_int.h"
#include "call/call_console.h"
#include "call/call_cti.h"
#include "call/call_dial_int.h"

/*
 * The console offers its SDP with the number; once the browser's DTLS
 * is up the customer is dialled (so a failed microphone never rings a
 * customer). Dialled through the REST API for an agent on a SIP phone
 * or a PSTN number, the device rings first (call_dial_dev.c) and the
 * customer is dialled when the agent picks up. The agent is "outbound"
 * in the ACD for the whole call — no queue call is offered — and back to
 * what it was afterwards. The CDR
 * row is direction outbound, caller = the tenant's number shown,
 * callee = the customer, agent_id = the agent. Either side hanging up
 * ends the call.
 */
static void send_agent(const struct call_out *o, json_t *msg)
{
	(void)softphone_send(o->agent_id, msg);
}


static void out_destructor(void *arg)
{
	struct call_out *o = arg;

	o->closing = true;      /* sipcall_hangup reports the close at once */
	if (o->sc)
		sipcall_hangup(o->sc, 487, NULL);
	mem_deref(o->sc);
	call_dial_device_gone(o);
	mem_deref(o->rtc);
	mem_deref(o->adm);
	mem_deref(o->trunk);
	if (o->outbound_set)
		(void)queue_agent_outbound(o->tenant_id, o->agent_id, false);
	if (o->call_id[0])
		send_agent(o, json_pack("{s:s, s:s, s:s}", "type",
					"call.ended", "call_id", o->call_id,
					"cause", o->end_why ? o->end_why :
					"ended"));
}


/** End the outbound call (the console learns cause). */
void call_dial_end(struct call_out *o, const char *disposition,
		   const char *side, const char *cause)
{
	struct call *call = o->call;

	o->end_why = cause;
	if (disposition)
		call_set_disposition(call, disposition);
	call_end(call, side, cause);
}


static void on_leg_event(enum leg_event ev, void *arg)
{
	struct call *call = arg;

	if (ev == LEG_RTP_TIMEOUT && call->out)
		call_dial_end(call->out, NULL, "caller", "rtp_timeout");
}


static void on_answered(void *arg)
{
	struct call_out *o = arg;
	struct call *call = o->call;
	struct mport *c, *a;

	o->answered = true;
	(void)leg_start(call->leg);
	if (leg_attach(call->leg, call->mixer)) {
		call_dial_end(o, NULL, "system", "error");
		return;
	}

	c = leg_port(call->leg);
	a = call_dial_out_port(o);
	mport_hear(c, a, true);
	mport_hear(a, c, true);
	call->state = CALL_LIVE;
	call->t_answer = call_now_ms();
	call_cdr_answered(call);
	call_emit(call, "call.answered", json_pack("{s:s, s:s}", "agent_id",
		  o->agent_id, "direction", "outbound"));
	if (call_rec_answered(call, NULL))
		call_rec_notice(call, a);
	send_agent(o, json_pack("{s:s, s:s, s:s}", "type", "call.connected",
				"call_id", o->call_id, "codec",
				o->rtc ? webrtc_codec(o->rtc) : ""));
}


static const char *cause_of(uint16_t scode)
{
	switch (scode) {

	case 486:
	case 600:
		return "busy";
	case 408:
	case 480:
	case 487:
		return "no_answer";
	case 404:
	case 484:
	case 604:
		return "not_found";
	default:
		return "failed";
	}
}


static void on_closed(const struct sipcall_end *end_info, void *arg)
{
	struct call_out *o = arg;

	if (o->closing)
		return;

	o->sc = mem_deref(o->sc);
	if (o->answered)
		call_dial_end(o, NULL, "caller", "bye");
	else
		call_dial_end(o, "failed", "system",
			      cause_of(end_info->scode));
}


/** The agent's media is up: ring the customer. */
void call_dial_customer(struct call_out *o)
{
	struct sipcall_handlers h = {on_answered, NULL, on_closed, o};
	struct call *call = o->call;
	int err;

	err = call_dial_trunk(call, o->trunk, call->callee, on_leg_event,
			      &h, &call->leg, &o->sc);
	if (err) {
		log_warn("%H: customer not dialled: %m", call_debug, call,
			 err);
		call_dial_end(o, "failed", "system", "dial_failed");
		return;
	}

	o->dialled = true;
	send_agent(o, json_pack("{s:s, s:s, s:s}", "type", "call.dialing",
				"call_id", o->call_id, "number",
				call->callee));
}


static void rtc_event(enum webrtc_event ev, const char *reason, void *arg)
{
	struct call_out *o = arg;

	switch (ev) {

	case WEBRTC_ESTABLISHED:
		if (!o->dialled)
			call_dial_customer(o);
		break;

	case WEBRTC_FAILED:
		if (!o->dialled) {
			log_info("%H: agent media failed: %s", call_debug,
				 o->call, reason ? reason : "");
			call_dial_end(o, "failed", "agent", "media_failed");
		}
		break;   /* later: a reload; the session times out */

	case WEBRTC_TIMEOUT:
		call_dial_end(o, o->answered ? NULL : "failed", "agent",
		    "media_timeout");
		break;
	}
}


/* The number shown to the customer: the one asked for, or the tenant's
 * default. */
static struct tel_number *from_number(const char *tenant_id,
				      const char *from)
{
	struct tel_number *num = from ? tel_number_find(from) :
		tel_number_of_tenant(tenant_id);

	if (num && strcmp(num->tenant_id, tenant_id))
		num = mem_deref(num);

	return num;
}


/* Everything but the call: the browser's session (sdp given), the ACD,
 * the trunk. */
static int prepare(struct call_out **op, const struct call_dial_who *w,
		   const struct tel_number *num, const char *sdp,
		   char **answerp)
{
	struct call_out *o = mem_zalloc(sizeof(*o), out_destructor);
	int err;

	if (!o)
		return ENOMEM;

	str_ncpy(o->tenant_id, w->tenant_id, sizeof(o->tenant_id));
	str_ncpy(o->agent_id, w->agent_id, sizeof(o->agent_id));
	o->trunk = tel_trunk_for_number(num);
	err = o->trunk ? 0 : ENETUNREACH;
	if (!err && sdp)
		err = call_webrtc_alloc(call_app(), &o->rtc, sdp, answerp,
					rtc_event, o);
	err = err ? err : queue_agent_outbound(w->tenant_id, w->agent_id,
					       true);
	o->outbound_set = !err;
	if (err == EINVAL || err == ENOENT)
		err = ENODEV;        /* logged out */
	if (!err && tel_admit(&o->adm, o->trunk, num))
		err = EDQUOT;        /* over the trunk's or tenant's limit */
	if (err) {
		mem_deref(o);
		return err;
	}

	*op = o;

	return 0;
}


/* The call with its mixer and the agent's leg on its way. */
static int start(struct call_out *o, struct call *call,
		 const struct call_dial_who *w)
{
	int err;

	o->call = call;
	call->out = o;
	str_ncpy(o->call_id, call->call_id, sizeof(o->call_id));
	err = mixer_alloc(&call->mixer);
	if (err)
		return err;

	if (o->rtc)
		return webrtc_attach(o->rtc, call->mixer);

	return call_dial_ring_device(o, w->device, w->phone);
}


/**
 * Click-to-dial for an agent: sdp is the browser's offer (NULL: ring
 * the agent's SIP phone or PSTN number, w->device), number the
 * customer, w->from one of the tenant's numbers (NULL: the default).
 * call_id (37 bytes) gets the new call's id.
 *
 * @return 0, EINVAL (not a phone number), ENOENT (no such number of the
 * tenant), ENETUNREACH (no trunk dials out), ENODEV (logged out, or the
 * device cannot be rung), EBUSY (ringing or on a call), EDQUOT (over a
 * trunk's or the tenant's limit), EPROTO/ENOTSUP/EBADMSG (SDP)
 */
int call_dial_agent(const struct call_dial_who *w, const char *number,
		    const char *sdp, char **answerp, char *call_id)
{
	struct tel_number *num;
	struct call_out *o = NULL;
	struct call *call = NULL;
	char digits[33];
	int err;

	if (!number || tel_normalize(digits, sizeof(digits), number) ||
	    !digits[0])
		return EINVAL;

	num = from_number(w->tenant_id, w->from);
	if (!num)
		return ENOENT;

	err = prepare(&o, w, num, sdp, answerp);
	err = err ? err : call_alloc_out(&call, call_app(), num, o->trunk,
					 digits, w->agent_id);
	mem_deref(num);
	if (err) {
		mem_deref(o);
		return err;
	}

	str_ncpy(call_id, call->call_id, 37);
	call_emit(call, "call.created", json_pack(
		  "{s:s, s:s, s:s, s:s, s:s, s:s*}", "direction", "outbound",
		  "number", call->number, "callee", digits, "agent_id",
		  w->agent_id, "origin", w->origin ? w->origin : "console",
		  "request_id", w->request_id));
	err = start(o, call, w);
	if (err) {
		call_dial_end(o, "failed", "system", err == ENODEV ?
			      "no_device" : "error");
		return err;
	}

	log_info("%H: agent dials out (%s)", call_debug, call,
		 sdp ? "browser" : w->device);
	call_cti_pop(call);

	return 0;
}


/**
 * Click-to-dial from the agent's browser (see call_dial_agent).
 * request_id: the API request that asked the console to dial, or NULL.
 */
int call_console_dial(const struct principal *p, const char *number,
		      const char *from, const char *sdp,
		      const char *request_id, char **answerp, char *call_id)
{
	struct call_dial_who w;
	int err;

	memset(&w, 0, sizeof(w));
	w.tenant_id = p->tenant_id;
	w.agent_id = p->id;
	w.from = from;
	w.device = "webrtc";
	w.origin = request_id ? "api" : "console";
	w.request_id = request_id;

	err = call_dial_agent(&w, number, sdp, answerp, call_id);

	return err == EDQUOT ? EBUSY : err;
}


/** The agent (or a supervisor) hangs an outbound call up. */
int call_dial_hangup(const struct principal *p, const char *call_id)
{
	struct call *call = call_find_live(p->tenant_id, call_id);

	if (!call || !call->out)
		return ENOENT;
	if (strcmp(call->agent_id, p->id) && p->role < ROLE_SUPERVISOR)
		return EACCES;

	call_dial_end(call->out, call->out->answered ? NULL : "abandoned",
	    strcmp(call->agent_id, p->id) ? "supervisor" : "agent",
	    "agent_hangup");

	return 0;
}


/** The agent's port (browser or device) in the call's mixer, or NULL. */
struct mport *call_dial_out_port(const struct call_out *o)
{
	if (o->rtc)
		return webrtc_port(o->rtc);

	return o->aleg && o->agent_up ? leg_port(o->aleg) : NULL;
}


/** The agent's port in an outbound call's mixer, or NULL. */
struct mport *call_dial_agent_port(const struct call *call)
{
	return call->out ? call_dial_out_port(call->out) : NULL;
}
