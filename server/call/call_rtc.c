/* The browser softphone as an agent device: an offer goes to the
 * agent's console over its WebSocket; the console answers with its SDP
 * offer and openseat's WebRTC session becomes the agent's leg. */
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
#include "media/webrtc.h"
#include "agent/softphone.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"
#include "call/call_agent_int.h"
#include "call/call_cti.h"
#include "call/call_console.h"

/*
 * The ACD offers as to any device; "answered" for the ACD is the moment
 * DTLS is up and the offer's fingerprint checked, not the click: a
 * console whose media never comes up misses the offer like a phone that
 * never answers. After answering, the session may be replaced
 * (call.reconnect after a reload or a network change); the call itself
 * waits for webrtc_grace without media before it gives the agent up.
 */
enum { QUALITY_MS = 5000 };


static void send_agent(const struct call_agent *ca, json_t *msg)
{
	(void)softphone_send(ca->agent_id, msg);
}


/** Ring the browser: the screen pop goes to the console's tab. */
int call_rtc_ring(struct call_agent *ca)
{
	json_t *msg = call_cti_offer(ca->cq);

	tmr_init(&ca->quality);
	if (!msg)
		return ENOMEM;
	if (ca->consult)
		call_consult_offer_note(ca->cq->call, msg);

	return softphone_send(ca->agent_id, msg) ? EHOSTUNREACH : 0;
}


/** The leg is being freed: tell the console why its call went. */
void call_rtc_gone(struct call_agent *ca)
{
	const struct call_queue *cq = ca->cq;
	bool had_call = ca->answered && (ca->consult ||
					 !strcmp(cq->agent_id, ca->agent_id));

	tmr_cancel(&ca->quality);
	if (had_call)
		send_agent(ca, json_pack("{s:s, s:s, s:s}", "type",
					 "call.ended", "call_id", ca->call_id,
					 "cause", ca->end_why ? ca->end_why :
					 "ended"));
	else
		send_agent(ca, json_pack("{s:s, s:s, s:s}", "type",
					 "call.cancel", "call_id", ca->call_id,
					 "reason", ca->end_why ? ca->end_why :
					 ca->answered ? "taken" :
					 "caller_gone"));
}


static void quality_tick(void *arg)
{
	struct call_agent *ca = arg;
	struct webrtc_stats st;

	tmr_start(&ca->quality, QUALITY_MS, quality_tick, ca);
	if (!ca->rtc)
		return;

	webrtc_stats_get(ca->rtc, &st);
	send_agent(ca, json_pack("{s:s, s:s, s:f, s:f, s:f, s:I, s:I}",
				 "type", "call.quality", "call_id",
				 ca->call_id, "loss_pct", st.loss_pct,
				 "jitter_ms", st.jitter_ms, "rtt_ms",
				 st.rtt_ms, "rx_packets",
				 (json_int_t)st.rx_packets, "rx_lost",
				 (json_int_t)st.rx_lost));
}


/** Caller and agent hear each other now. */
void call_rtc_connected(struct call_agent *ca)
{
	send_agent(ca, json_pack("{s:s, s:s, s:s}", "type", "call.connected",
				 "call_id", ca->call_id, "codec",
				 ca->rtc ? webrtc_codec(ca->rtc) : ""));
	tmr_start(&ca->quality, QUALITY_MS, quality_tick, ca);
}


static void rtc_event(enum webrtc_event ev, const char *reason, void *arg)
{
	struct call_agent *ca = arg;

	switch (ev) {

	case WEBRTC_ESTABLISHED:
		if (!ca->answered)
			call_agent_leg_answered(ca);
		break;

	case WEBRTC_FAILED:
		log_info("agent %s: browser media failed: %s", ca->work_no,
			 reason ? reason : "");
		/* answered: a closing page (reload) ends its DTLS too; the
		 * console reconnects or the session times out */
		if (ca->answered)
			break;
		send_agent(ca, json_pack("{s:s, s:s, s:s}", "type",
					 "call.media_failed", "call_id",
					 ca->call_id, "reason",
					 reason ? reason : "dtls"));
		ca->end_why = "media_failed";
		call_agent_leg_failed(ca, ACD_MISS_UNREACHABLE,
				      "media_failed");
		break;

	case WEBRTC_TIMEOUT:
		ca->end_why = "media_timeout";
		call_agent_leg_failed(ca, ACD_MISS_UNREACHABLE,
				      "media_timeout");
		break;
	}
}


/* The browser leg of this user on the call, ringing or answered. */
static struct call_agent *browser_leg(const struct principal *p,
				      const char *call_id)
{
	struct call *call = call_find_live(p->tenant_id, call_id);
	struct call_agent *cl;
	struct le *le;

	if (!call || !call->cq)
		return NULL;

	cl = call_consult_leg(call, p->id);    /* consulted by a colleague */
	if (cl)
		return cl->browser ? cl : NULL;

	for (le = call->cq->agents.head; le; le = le->next) {
		struct call_agent *ca = le->data;

		if (ca->browser && !strcmp(ca->agent_id, p->id))
			return ca;
	}

	return NULL;
}


/** The agent answers an offer with its browser's SDP offer. */
int call_console_answer(const struct principal *p, const char *call_id,
			const char *sdp, char **answerp)
{
	struct call_agent *ca = browser_leg(p, call_id);

	if (!ca)
		return ENOENT;
	if (ca->rtc || ca->answered)
		return EALREADY;

	return call_webrtc_alloc(ca->cq->call->app, &ca->rtc, sdp, answerp,
				 rtc_event, ca);
}


/** A new media session for the agent's call (reload, network change). */
int call_console_reconnect(const struct principal *p, const char *call_id,
			   const char *sdp, char **answerp)
{
	struct call_agent *ca = browser_leg(p, call_id);
	struct webrtc *w = NULL;
	int err;

	if (!ca)
		return ENOENT;
	if (!ca->answered)
		return EALREADY;

	err = call_webrtc_alloc(ca->cq->call->app, &w, sdp, answerp, rtc_event,
				ca);
	if (err)
		return err;

	mem_deref(ca->rtc);
	ca->rtc = w;
	log_info("agent %s: browser media replaced", ca->work_no);
	call_agent_rebridge(ca);

	return 0;
}


/** The agent declines the offer: a miss of the ACD ("rejected"). */
int call_console_reject(const struct principal *p, const char *call_id)
{
	struct call_agent *ca = browser_leg(p, call_id);

	if (!ca)
		return ENOENT;
	if (ca->answered)
		return EALREADY;

	ca->end_why = "rejected";
	call_agent_leg_failed(ca, ACD_MISS_REJECTED, "rejected");

	return 0;
}


/** The agent's browser leg hangs up: as a phone's BYE. */
int call_rtc_hangup(const struct principal *p, const char *call_id)
{
	struct call_agent *ca = browser_leg(p, call_id);

	if (!ca)
		return ENOENT;
	if (!ca->answered)
		return call_console_reject(p, call_id);

	ca->end_why = "agent_hangup";
	call_agent_leg_failed(ca, 0, "bye");

	return 0;
}


/**
 * A console registered the agent's softphone again (a reload): the call
 * ringing for the agent is offered to it once more.
 */
void call_console_reoffer(const struct principal *p, const char *call_id)
{
	struct call_agent *ca = browser_leg(p, call_id);

	if (ca && !ca->answered && !ca->rtc)
		(void)call_rtc_ring(ca);
}
