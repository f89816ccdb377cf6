/* Click-to-dial's agent leg on a device: the agent's registered SIP
 * phone, or its PSTN number through the tenant's trunk. */
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
#include "media/sipedge.h"
#include "telephony/telephony.h"
#include "agent/agent_reg.h"
#include "call/call_int.h"
#include "call/call_dial_int.h"

/*
 * Rung like a queued call's agent leg (call_agent.c), but the phone
 * shows the customer about to be called, and a PSTN leg shows the
 * tenant's number the customer will see. The agent picking up dials the
 * customer; the agent not picking up fails the call ("agent_no_answer")
 * before any customer rang; the agent hanging up later ends it.
 */
static void on_dtmf(char digit, uint32_t dur_ms, void *arg)
{
	(void)digit;
	(void)dur_ms;
	(void)arg;
}


static void on_event(enum leg_event ev, void *arg)
{
	struct call_out *o = arg;

	if (ev == LEG_RTP_TIMEOUT && o->agent_up)
		call_dial_end(o, NULL, "agent", "rtp_timeout");
}


static void on_estab(void *arg)
{
	struct call_out *o = arg;
	struct call *call = o->call;

	if (o->agent_up)
		return;

	(void)leg_start(o->aleg);
	if (leg_attach(o->aleg, call->mixer)) {
		call_dial_end(o, "failed", "system", "error");
		return;
	}

	o->agent_up = true;
	call_dial_customer(o);
}


static void on_closed(const struct sipcall_end *end, void *arg)
{
	struct call_out *o = arg;

	if (o->closing)
		return;

	o->asc = mem_deref(o->asc);
	if (o->answered)
		call_dial_end(o, NULL, "agent", "bye");
	else if (o->agent_up)
		call_dial_end(o, "abandoned", "agent", "agent_hangup");
	else
		call_dial_end(o, "failed", "agent", end->scode == 486 ?
			      "agent_busy" : "agent_no_answer");
}


static int dial_pstn(struct call_out *o, const char *phone,
		     struct sipcall_dial *d, char *buf, size_t sz)
{
	const struct tel_trunk *trunk = o->trunk;
	struct tel_number *num;
	int err;

	if (!trunk || !trunk->outbound_uri[0] || !phone || !phone[0])
		return ENODEV;

	err = call_dial_uri(buf, sz, trunk->outbound_uri, phone);
	if (err)
		return err;

	num = tel_number_find(o->call->number);
	err = num ? tel_admit(&o->aadm, trunk, num) : ENOENT;
	mem_deref(num);

	d->uri = buf;
	d->auth_user = trunk->auth_user[0] ? trunk->auth_user : NULL;
	d->auth_pass = trunk->auth_secret[0] ? trunk->auth_secret : NULL;

	return err == EBUSY ? EDQUOT : err;
}


/**
 * Ring the agent's SIP phone ("sip") or PSTN number ("pstn", phone).
 *
 * @return 0 if ringing, ENODEV (not registered, unreachable, no number
 * or no route), EDQUOT (over a limit), otherwise errorcode
 */
int call_dial_ring_device(struct call_out *o, const char *device,
			  const char *phone)
{
	struct sipcall_handlers h = {on_estab, NULL, on_closed, o};
	struct call *call = o->call;
	struct sipcall_dial d;
	char buf[AGENT_REG_DIAL_MAX], from[160];
	bool pstn = device && !strcmp(device, "pstn");
	int err;

	memset(&d, 0, sizeof(d));
	if (pstn)
		err = dial_pstn(o, phone, &d, buf, sizeof(buf));
	else if (device && !strcmp(device, "sip"))
		err = agent_reg_dial(o->agent_id, &d, buf, sizeof(buf));
	else
		err = ENODEV;
	if (err == ENOENT || err == EHOSTUNREACH || err == EOVERFLOW)
		err = ENODEV;

	/* a phone shows whom it will call; a carrier wants our number */
	(void)re_snprintf(from, sizeof(from), "sip:%s@%s",
			  pstn ? call->number : call->callee,
			  call_media_ip());
	d.from_uri = from;

	err = err ? err : call_leg_alloc_for(call, &o->aleg, on_dtmf,
					     on_event, o);
	err = err ? err : sipedge_connect(&o->asc, call_sip_edge(), &d,
					  o->aleg, &h);
	if (err)
		return err;

	mem_ref(o->asc);
	call_emit(call, "agent.offered", json_pack("{s:s, s:s}", "agent_id",
		  o->agent_id, "device", pstn ? "pstn" : "sip"));

	return 0;
}


/** Hang the device leg up quietly (the call is over). */
void call_dial_device_gone(struct call_out *o)
{
	if (o->asc)
		sipcall_hangup(o->asc, 487, NULL);
	o->asc = mem_deref(o->asc);
	o->aleg = mem_deref(o->aleg);
	o->aadm = mem_deref(o->aadm);
}
