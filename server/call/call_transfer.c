/* The transfer node: call an external number through the trunk, bridge. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "app.h"
#include "media/leg.h"
#include "media/mixer.h"
#include "media/sipedge.h"
#include "telephony/telephony.h"
#include "ivr/ivr.h"
#include "call/call_int.h"

/*
 * The outbound leg goes out through the trunk the call came in on (its
 * outbound_uri and credentials) and counts against the same limits as
 * any call on that trunk. Until the far end answers, the IVR run waits
 * (ivr_run_resume reports the outcome); once it answers, the caller and
 * the far end hear each other in the call's mixer and the IVR is over.
 * The far end hanging up ends the call; so does the caller.
 */
struct call_xfer {
	struct call *call;           /**< (borrowed) owner            */
	struct leg *leg;             /**< (ref)                       */
	struct sipcall *sc;          /**< (ref)                       */
	struct tel_admission *adm;   /**< (ref)                       */
	bool answered;
};


static void destructor(void *arg)
{
	struct call_xfer *x = arg;

	if (x->sc)
		sipcall_hangup(x->sc, 487, NULL);
	mem_deref(x->sc);
	mem_deref(x->leg);
	mem_deref(x->adm);
}


static void on_event(enum leg_event ev, void *arg)
{
	struct call *call = arg;

	if (ev == LEG_RTP_TIMEOUT)
		call_end(call, "system", "transfer_rtp_timeout");
}


static void on_estab(void *arg)
{
	struct call_xfer *x = arg;
	struct call *call = x->call;
	struct mport *a = leg_port(call->leg);
	struct mport *b;

	x->answered = true;
	(void)leg_start(x->leg);
	if (leg_attach(x->leg, call->mixer)) {
		call_end(call, "system", "error");
		return;
	}

	b = leg_port(x->leg);
	call_play_stop(call);
	mport_hear(a, b, true);
	mport_hear(b, a, true);
	call_set_disposition(call, "transferred");
	call_emit(call, "call.transferred", NULL);
	call_ivr_resume(call, 0);
}


static void on_closed(const struct sipcall_end *end, void *arg)
{
	struct call_xfer *x = arg;
	struct call *call = x->call;
	bool answered = x->answered;

	x->sc = mem_deref(x->sc);
	if (answered) {
		call_end(call, "agent", "transfer_bye");
		return;
	}

	log_info("%H: transfer failed (%u %s)", call_debug, call,
		 end->scode, end->reason ? end->reason : "");
	call->xfer = mem_deref(call->xfer);
	if (call_queue_xfer_failed(call))
		return;
	call_ivr_resume(call, end->scode == 486 ? EBUSY : ECONNREFUSED);
}


/** "sip:host:port" + number -> "sip:number@host:port" (a trunk's
 *  outbound route dialling a number) */
int call_dial_uri(char *out, size_t sz, const char *outbound,
		  const char *number)
{
	const char *host = outbound;

	if (!strncmp(host, "sip:", 4))
		host += 4;
	if (!host[0] || strchr(host, '@'))
		return EINVAL;

	return re_snprintf(out, sz, "sip:%s@%s", number, host) < 0 ?
		ENOMEM : 0;
}


/* Digits are the far end's business, not ours, on an outbound leg. */
static void dtmf_ignored(char digit, uint32_t dur_ms, void *arg)
{
	(void)digit;
	(void)dur_ms;
	(void)arg;
}


/**
 * Dial number through trunk as the call's outbound leg (a transfer, a
 * consultation, a click-to-dial): from the call's number, with the
 * trunk's credentials. *legp gets a leg of the call (its events go to
 * evh with the call as arg), *scp a referenced sipcall.
 */
int call_dial_trunk(struct call *call, const struct tel_trunk *trunk,
		    const char *number, leg_event_h *evh,
		    const struct sipcall_handlers *h, struct leg **legp,
		    struct sipcall **scp)
{
	struct sipcall_dial d;
	char uri[320], from[128];
	int err;

	err = call_dial_uri(uri, sizeof(uri), trunk->outbound_uri, number);
	err = err ? err : call_leg_alloc(call, legp, dtmf_ignored, evh);
	if (err)
		return err;

	(void)re_snprintf(from, sizeof(from), "sip:%s@%s", call->number,
			  call_media_ip());
	memset(&d, 0, sizeof(d));
	d.uri = uri;
	d.from_uri = from;
	d.auth_user = trunk->auth_user[0] ? trunk->auth_user : NULL;
	d.auth_pass = trunk->auth_secret[0] ? trunk->auth_secret : NULL;

	err = sipedge_connect(scp, call_sip_edge(), &d, *legp, h);
	if (!err)
		mem_ref(*scp);

	return err;
}


/**
 * Transfer the call to an external number through its trunk.
 *
 * @return 0 if the outbound call is on its way, otherwise errorcode
 * (ENOTSUP: the trunk has no outbound route; EBUSY: over a limit)
 */
int call_transfer(struct call *call, const char *number)
{
	struct sipcall_handlers h = {on_estab, NULL, on_closed, NULL};
	const struct tel_trunk *trunk = call->trunk;
	struct tel_number *num = NULL;
	struct call_xfer *x;
	char digits[33];
	int err;

	if (call->xfer || !call->mixer)
		return EBUSY;
	if (!trunk || !trunk->outbound_uri[0])
		return ENOTSUP;
	if (tel_normalize(digits, sizeof(digits), number) || !digits[0])
		return EINVAL;

	x = mem_zalloc(sizeof(*x), destructor);
	if (!x)
		return ENOMEM;

	x->call = call;
	h.arg = x;
	num = tel_number_find(call->number);
	err = num ? tel_admit(&x->adm, trunk, num) : ENOENT;
	err = err ? err : call_dial_trunk(call, trunk, digits, on_event, &h,
					  &x->leg, &x->sc);
	mem_deref(num);
	if (err) {
		mem_deref(x);
		return err;
	}

	call->xfer = x;
	log_info("%H: transferring to %s", call_debug, call, digits);

	return 0;
}
