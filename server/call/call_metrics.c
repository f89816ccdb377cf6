/* Telephony metrics: SIP traffic, calls, RTP and the media tick. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "metrics/metrics.h"
#include "media/leg.h"
#include "media/mtick.h"
#include "media/rtpsend.h"
#include "media/webrtc.h"
#include "agent/softphone.h"
#include "call/call.h"
#include "call/call_int.h"

static struct {
	struct metric *sip_req;
	struct metric *sip_resp;
	struct metric *rejected;
	struct metric *ended;
	struct metric *active;
	struct metric *rtp;
	struct metric *rtp_lost;
	struct metric *rtp_rejected;
	struct metric *jitter;
	struct metric *tick_late;
	struct metric *tick_late_max;
	struct metric *ticks_skipped;
	struct metric *tick_slices;
	struct metric *sender;
	struct metric *softphones;
	struct metric *srtp;
	struct metric *srtp_rejected;
	bool ready;
} m;


/** Count an INVITE refused at the gate, by reason. */
void call_count_rejected(const char *reason)
{
	char lb[64];

	(void)re_snprintf(lb, sizeof(lb), "reason=\"%s\"", reason);
	metric_inc(m.rejected, lb, 1);
}


/** Count a call that ended, by disposition. */
void call_count_ended(const char *disposition)
{
	char lb[64];

	(void)re_snprintf(lb, sizeof(lb), "disposition=\"%s\"",
			  disposition);
	metric_inc(m.ended, lb, 1);
}


/** The SIP edge's count handler: requests in, responses out. */
void call_count_sip(bool request, const char *method, uint16_t scode,
		    void *arg)
{
	char esc[32], lb[80];

	(void)arg;
	if (metric_label_escape(esc, sizeof(esc), method ? method : "?"))
		str_ncpy(esc, "?", sizeof(esc));

	if (request) {
		(void)re_snprintf(lb, sizeof(lb), "method=\"%s\"", esc);
		metric_inc(m.sip_req, lb, 1);
	}
	else {
		(void)re_snprintf(lb, sizeof(lb), "method=\"%s\",code=\"%u\"",
				  esc, scode);
		metric_inc(m.sip_resp, lb, 1);
	}
}


/* The browser side: softphones online, SRTP to and from browsers. */
static void collect_webrtc(void)
{
	struct webrtc_stats ws;

	webrtc_totals(&ws);
	metric_set(m.softphones, NULL, softphone_count());
	metric_set(m.srtp, "dir=\"rx\"", (double)ws.rx_packets);
	metric_set(m.srtp, "dir=\"tx\"", (double)ws.tx_packets);
	metric_set(m.srtp_rejected, NULL, (double)ws.rx_rejected);
}


/* The RTP sender thread: what the ticks queued, what left, what the
 * kernel refused, and how often a tick had to wait for the thread. */
static void collect_sender(void)
{
	struct rtpsend_stats rs;

	rtpsend_stats_get(&rs);
	metric_set(m.sender, "what=\"queued\"", (double)rs.queued);
	metric_set(m.sender, "what=\"sent\"", (double)rs.sent);
	metric_set(m.sender, "what=\"failed\"", (double)rs.failed);
	metric_set(m.sender, "what=\"tick_waits\"", (double)rs.waits);
}


static void collect(void *arg)
{
	struct call_totals t;
	struct leg_stats ls;
	struct mtick_stats ts;
	char lb[32];

	(void)arg;
	call_totals_get(&t);
	metric_set(m.active, NULL, t.active);

	leg_totals(&ls);
	metric_set(m.rtp, "dir=\"rx\"", (double)ls.rx_packets);
	metric_set(m.rtp, "dir=\"tx\"", (double)ls.tx_packets);
	metric_set(m.rtp_lost, NULL, (double)ls.rx_lost);
	metric_set(m.rtp_rejected, NULL, (double)ls.rx_rejected);
	metric_set(m.jitter, NULL, ls.jitter_ms / 1000.0);
	collect_webrtc();

	mtick_stats_get(&ts, 1);
	for (unsigned i = 0; i < ARRAY_SIZE(ts.late_bucket); i++) {
		metric_le(lb, sizeof(lb), mtick_late_bounds[i] / 1000.0);
		metric_set(m.tick_late, lb, (double)ts.late_bucket[i]);
	}
	metric_set(m.tick_late_max, NULL, ts.late_max_ms / 1000.0);
	metric_set(m.ticks_skipped, NULL, (double)ts.skipped);
	metric_set(m.tick_slices, NULL, (double)ts.slices);
	collect_sender();
}


void call_metrics_init(void)
{
	if (m.ready)
		return;

	m.sip_req = metric_counter("openseat_sip_requests_total",
				   "SIP requests received, by method.");
	m.sip_resp = metric_counter("openseat_sip_responses_total",
				    "SIP responses sent, by method and "
				    "status code.");
	m.rejected = metric_counter("openseat_calls_rejected_total",
				    "INVITEs refused, by reason.");
	m.ended = metric_counter("openseat_calls_total",
				 "Calls ended, by disposition.");
	m.active = metric_gauge("openseat_calls_active",
				"Calls in progress on this node.");
	m.rtp = metric_gauge("openseat_rtp_packets",
			     "RTP packets received and sent since start.");
	m.rtp_lost = metric_gauge("openseat_rtp_lost_packets",
				  "RTP packets lost (sequence gaps) since "
				  "start.");
	m.rtp_rejected = metric_gauge("openseat_rtp_rejected_packets",
				      "RTP packets dropped for coming from "
				      "an address the SDP did not name.");
	m.jitter = metric_gauge("openseat_rtp_jitter_seconds",
				"Mean interarrival jitter of live legs.");
	m.tick_late = metric_gauge("openseat_media_tick_lateness_bucket",
				   "Media ticks per lateness bucket "
				   "(seconds, not cumulative).");
	m.tick_late_max = metric_gauge("openseat_media_tick_lateness_max_"
				       "seconds", "Worst media tick lateness "
				       "since the last scrape.");
	m.ticks_skipped = metric_gauge("openseat_media_ticks_skipped",
				       "Media ticks dropped because the loop "
				       "fell far behind.");
	m.tick_slices = metric_gauge("openseat_media_tick_slices",
				     "Times a long media tick paused to let "
				     "the loop's other work in (slices of "
				     "2 ms).");
	m.sender = metric_gauge("openseat_rtp_sender",
				"The media tick's RTP sends made by the "
				"sender thread since start: queued, sent, "
				"failed, and ticks that waited for it.");
	m.softphones = metric_gauge("openseat_softphones",
				    "Agents whose browser softphone is "
				    "registered (or in its grace period).");
	m.srtp = metric_gauge("openseat_webrtc_packets",
			      "SRTP audio packets from and to browsers "
			      "since start.");
	m.srtp_rejected = metric_gauge("openseat_webrtc_rejected_packets",
				       "Packets from browsers dropped: an "
				       "address ICE did not validate, failed "
				       "SRTP authentication or a replay.");
	(void)metrics_on_collect(collect, NULL);
	m.ready = true;
}
