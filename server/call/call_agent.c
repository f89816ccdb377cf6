/* Agent legs of a queued call: ring the agent's device, report the
 * outcome to the ACD, bridge the one who answered. */
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
#include "media/webrtc.h"
#include "media/mixer.h"
#include "media/sipedge.h"
#include "telephony/telephony.h"
#include "agent/agent_reg.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_agent_int.h"

/*
 * A device rings through the SIP edge like any outbound call: a SIP
 * phone at the contact it registered (NAT: at the address it registered
 * from), a PSTN number through the trunk the call came in on. The
 * caller's number is the From, so the phone shows who calls. The browser
 * is rung over its console's WebSocket (call_rtc.c). A leg that fails
 * before answering is a miss of the ACD, by cause; one the ACD withdrew
 * (timeout, taken, caller gone) is hung up quietly.
 */
static void destructor(void *arg)
{
	struct call_agent *ca = arg;

	list_unlink(&ca->le);
	ca->closing = true;     /* sipcall_hangup reports the close at once */
	if (ca->sc)
		sipcall_hangup(ca->sc, 487, NULL);
	if (ca->browser)
		call_rtc_gone(ca);
	mem_deref(ca->sc);
	mem_deref(ca->leg);
	mem_deref(ca->rtc);
	mem_deref(ca->adm);
}


static void on_dtmf(char digit, uint32_t dur_ms, void *arg)
{
	(void)digit;
	(void)dur_ms;
	(void)arg;
}


static void on_event(enum leg_event ev, void *arg)
{
	struct call_agent *ca = arg;

	if (ev == LEG_RTP_TIMEOUT && ca->answered)
		call_agent_leg_failed(ca, 0, "rtp_timeout");
}


/** The device answered: the ACD decides whether it gets the call. */
void call_agent_leg_answered(struct call_agent *ca)
{
	if (ca->answered)
		return;

	ca->answered = true;
	if (ca->leg)
		(void)leg_start(ca->leg);
	if (ca->consult)
		call_consult_leg_answered(ca);
	else
		call_queue_agent_answered(ca->cq, ca, ca->agent_id);
}


static void on_estab(void *arg)
{
	call_agent_leg_answered(arg);
}


static enum acd_miss miss_of(const struct sipcall_end *end)
{
	switch (end->scode) {

	case 486:
	case 600:
		return ACD_MISS_BUSY;

	case 603:
		return ACD_MISS_REJECTED;

	case 408:
	case 487:
		return ACD_MISS_NO_ANSWER;

	default:
		return ACD_MISS_UNREACHABLE;
	}
}


/**
 * The device's part ended by itself: after answering the agent left;
 * before, the offer failed (a miss of the ACD, by cause).
 */
void call_agent_leg_failed(struct call_agent *ca, int miss,
			   const char *cause)
{
	struct call_queue *cq = ca->cq;
	char agent_id[37];

	if (ca->consult) {
		call_consult_leg_ended(ca, ca->answered ? -1 : miss, cause);
		return;
	}

	str_ncpy(agent_id, ca->agent_id, sizeof(agent_id));
	if (ca->answered) {
		call_queue_agent_left(cq, agent_id, cause);
		return;
	}

	log_info("agent %s did not take the call (%s)", ca->work_no, cause);
	mem_deref(ca);
	if (cq->ac)
		queue_offer_failed(cq->ac, agent_id, (enum acd_miss)miss);
}


static void on_closed(const struct sipcall_end *end, void *arg)
{
	struct call_agent *ca = arg;
	char cause[64];

	if (ca->closing)
		return;

	ca->sc = mem_deref(ca->sc);
	if (ca->answered)
		str_ncpy(cause, end->reason ? end->reason : "bye",
			 sizeof(cause));
	else
		(void)re_snprintf(cause, sizeof(cause), "%u %s", end->scode,
				  end->reason ? end->reason : "");

	call_agent_leg_failed(ca, miss_of(end), cause);
}


static int dial_pstn(struct call_agent *ca, struct call *call,
		     const struct queue_agent_info *a,
		     struct sipcall_dial *d, char *buf, size_t sz)
{
	const struct tel_trunk *trunk = call->trunk;
	struct tel_number *num;
	int err;

	if (!trunk || !trunk->outbound_uri[0] || !a->phone[0])
		return ENOTSUP;

	err = call_dial_uri(buf, sz, trunk->outbound_uri, a->phone);
	if (err)
		return err;

	num = tel_number_find(call->number);
	err = num ? tel_admit(&ca->adm, trunk, num) : ENOENT;
	mem_deref(num);

	d->uri = buf;
	d->auth_user = trunk->auth_user[0] ? trunk->auth_user : NULL;
	d->auth_pass = trunk->auth_secret[0] ? trunk->auth_secret : NULL;

	return err;
}


/* Ring a SIP phone or a PSTN number: an outbound INVITE. */
static int ring_sip(struct call_agent *ca, const struct queue_agent_info *a)
{
	struct sipcall_handlers h = {on_estab, NULL, on_closed, ca};
	struct call_queue *cq = ca->cq;
	struct call *call = cq->call;
	struct sipcall_dial d;
	char buf[AGENT_REG_DIAL_MAX], from[160], disp[48];
	bool pstn = !strcmp(a->device, "pstn");
	int err;

	memset(&d, 0, sizeof(d));
	if (pstn)
		err = dial_pstn(ca, call, a, &d, buf, sizeof(buf));
	else
		err = agent_reg_dial(a->agent_id, &d, buf, sizeof(buf));

	/* a phone shows the customer; a carrier wants one of our numbers */
	(void)re_snprintf(from, sizeof(from), "sip:%s@%s",
			  pstn ? call->number :
			  call->caller[0] ? call->caller : "anonymous",
			  call_media_ip());
	d.from_uri = from;
	d.from_name = cq->qi.label[0] ? cq->qi.label : NULL;
	if (ca->consult) {      /* the phone shows who consults */
		(void)re_snprintf(disp, sizeof(disp), "咨询 %s",
				  call_consult_by(call));
		d.from_name = disp;
	}

	err = err ? err : call_leg_alloc_for(call, &ca->leg, on_dtmf,
					     on_event, ca);
	err = err ? err : sipedge_connect(&ca->sc, call_sip_edge(), &d,
					  ca->leg, &h);
	if (!err)
		mem_ref(ca->sc);

	return err;
}


/* A leg for agent a, rung on its device (not yet in any list). */
static int ring(struct call_agent **cap, struct call_queue *cq,
		const struct queue_agent_info *a, bool consult)
{
	struct call *call = cq->call;
	struct call_agent *ca;
	int err;

	if (!call || !call->mixer)
		return ENODEV;

	ca = mem_zalloc(sizeof(*ca), destructor);
	if (!ca)
		return ENOMEM;

	ca->cq = cq;
	ca->consult = consult;
	str_ncpy(ca->agent_id, a->agent_id, sizeof(ca->agent_id));
	str_ncpy(ca->work_no, a->work_no, sizeof(ca->work_no));
	str_ncpy(ca->call_id, call->call_id, sizeof(ca->call_id));

	if (!strcmp(a->device, "webrtc")) {
		ca->browser = true;
		err = call_rtc_ring(ca);
	}
	else if (!strcmp(a->device, "sip") || !strcmp(a->device, "pstn"))
		err = ring_sip(ca, a);
	else
		err = ENOTSUP;

	if (err) {
		log_info("%H: agent %s not rung: %m", call_debug, call,
			 a->work_no, err);
		ca->browser = false;    /* nothing to tell the console */
		mem_deref(ca);
		return err;
	}

	*cap = ca;

	return 0;
}


/**
 * Ring the agent's device for the queued call.
 *
 * @return 0 if ringing; otherwise errorcode (the ACD counts it as the
 * device being unreachable)
 */
int call_agent_ring(struct call_queue *cq,
		    const struct queue_agent_info *a)
{
	struct call_agent *ca;
	int err;

	err = ring(&ca, cq, a, false);
	if (err)
		return err;

	list_append(&cq->agents, &ca->le, ca);
	++cq->offers;
	call_emit(cq->call, "agent.offered",
		  json_pack("{s:s, s:s, s:s, s:s}", "agent_id", a->agent_id,
			    "work_no", a->work_no, "queue_id",
			    cq->qi.queue_id, "device", a->device));

	return 0;
}


/**
 * Ring a colleague the call's agent consults (call_consult_agent.c owns
 * the leg; its outcome goes there, not to the ACD's offer).
 *
 * @return 0 if ringing, otherwise errorcode
 */
int call_agent_ring_consult(struct call_queue *cq,
			    const struct queue_agent_info *a,
			    struct call_agent **cap)
{
	return cq && a && cap ? ring(cap, cq, a, true) : EINVAL;
}


static struct call_agent *find(struct call_queue *cq, const char *agent_id)
{
	struct le *le;

	for (le = cq->agents.head; le; le = le->next) {
		struct call_agent *ca = le->data;

		if (!strcmp(ca->agent_id, agent_id))
			return ca;
	}

	return NULL;
}


/** The ACD withdrew the offer: stop ringing (never a miss from here). */
void call_agent_cancel(struct call_queue *cq, const char *agent_id,
		       const char *why)
{
	struct call_agent *ca = find(cq, agent_id);

	if (!ca || ca == cq->conn)
		return;

	ca->end_why = why;
	mem_deref(ca);
}


/** The port of an agent's device in the call's mixer (NULL: none). */
struct mport *call_agent_leg_port(const struct call_agent *ca)
{
	if (ca->browser)
		return ca->rtc ? webrtc_port(ca->rtc) : NULL;

	return ca->leg ? leg_port(ca->leg) : NULL;
}


int call_agent_leg_attach(struct call_agent *ca, struct mixer *mx)
{
	if (ca->browser)
		return ca->rtc ? webrtc_attach(ca->rtc, mx) : ENODEV;

	return leg_attach(ca->leg, mx);
}


/** Caller and the answering agent hear each other. */
void call_agent_bridge(struct call_queue *cq)
{
	struct call_agent *ca = cq->conn;
	struct call *call = cq->call;
	struct mport *a, *b;

	if (!ca || !call || ca->bridged)
		return;

	if (call_agent_leg_attach(ca, call->mixer)) {
		call_queue_agent_left(cq, ca->agent_id, "error");
		return;
	}

	a = leg_port(call->leg);
	b = call_agent_leg_port(ca);
	mport_hear(a, b, true);
	mport_hear(b, a, true);
	ca->bridged = true;
	if (ca->browser)
		call_rtc_connected(ca);
	call_monitor_rewire(call);
}


/**
 * The agent's device has a new port (a browser that reconnected): put
 * it where the old one was — hearing the caller unless on hold — and
 * the supervisors' taps with it.
 */
void call_agent_rebridge(struct call_agent *ca)
{
	struct call_queue *cq = ca->cq;
	struct call *call = cq->call;
	struct mport *a, *b;
	bool on;

	if (!ca->bridged || !call || !call->mixer)
		return;

	if (call_agent_leg_attach(ca, call->mixer)) {
		call_agent_leg_failed(ca, 0, "error");
		return;
	}

	if (ca->consult) {
		call_consult_rewire(call);
		return;
	}

	on = cq->phase == CQ_TALKING;
	a = leg_port(call->leg);
	b = call_agent_leg_port(ca);
	mport_hear(a, b, on);
	mport_hear(b, a, on);
	call_monitor_rewire(call);
	call_consult_rewire(call);
}


/** Tell the answering agent's console why its call ends (static). */
void call_agent_end_why(struct call_queue *cq, const char *why)
{
	if (cq->conn)
		cq->conn->end_why = why;
}


/** Hang every agent leg up (the call is over or the agent left). */
void call_agent_hangup_all(struct call_queue *cq)
{
	cq->conn = NULL;
	list_flush(&cq->agents);
}


/** The answering agent's port in the call's mixer, or NULL. */
struct mport *call_agent_port(const struct call_queue *cq)
{
	return cq->conn && cq->conn->bridged ?
		call_agent_leg_port(cq->conn) : NULL;
}
