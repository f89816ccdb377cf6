/*
 * A media leg: one RTP/RTCP session with a far end, its SDP offer/answer,
 * codec (G.711 u-law/A-law, Opus), jitter buffer, RFC 4733 and in-band
 * DTMF, and strict source checking. In a mixer it is a port that speaks
 * what it received and sends what it hears.
 */
#ifndef OPENSEAT_LEG_H
#define OPENSEAT_LEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct leg;
struct mixer;
struct mport;
struct mbuf;
struct sa;
struct re_printf;

/** Why a leg's media stopped on its own. */
enum leg_event {
	LEG_RTP_TIMEOUT = 1,   /**< no RTP/RTCP for rtp_timeout_ms      */
	LEG_HOLD,              /**< far end put us on hold (re-offer)   */
	LEG_UNHOLD,            /**< far end took us off hold            */
};

/** A DTMF digit ('0'-'9', '*', '#', 'A'-'D') ended; dur in ms. */
typedef void (leg_dtmf_h)(char digit, uint32_t dur_ms, void *arg);
typedef void (leg_event_h)(enum leg_event ev, void *arg);

struct leg_cfg {
	const struct sa *laddr;     /**< local IP to bind RTP on          */
	const char *public_ip;      /**< put in SDP; NULL = laddr         */
	uint16_t port_min;          /**< even RTP ports in [min, max)     */
	uint16_t port_max;
	const char *codecs;         /**< preference, e.g. "PCMA,PCMU"     */
	uint32_t rtp_timeout_ms;    /**< 0 = never                        */
	bool nat_latch;             /**< latch the source once (see .c)   */
};

struct leg_stats {
	uint64_t rx_packets, tx_packets;
	uint64_t rx_lost;           /**< sequence gaps                    */
	uint64_t rx_rejected;       /**< from a wrong source address      */
	uint64_t rx_late;           /**< too late for the jitter buffer   */
	double   jitter_ms;         /**< RFC 3550 interarrival jitter     */
};

int  leg_alloc(struct leg **legp, const struct leg_cfg *cfg,
	       leg_dtmf_h *dtmfh, leg_event_h *evh, void *arg);

/*
 * SDP. An incoming offer: leg_answer() picks the first codec of the
 * preference the offer also has, and writes the answer.
 * @return 0, EPROTO (malformed SDP), ENOTSUP (no common codec or no
 * audio) -> 488
 */
int  leg_answer(struct leg *leg, struct mbuf *offer, struct mbuf **answerp);
/* Our offer (outbound call), then the far end's answer. */
int  leg_offer(struct leg *leg, struct mbuf **offerp);
int  leg_answered(struct leg *leg, struct mbuf *answer);

/* Media runs only once started (on ACK / 200 OK); stop freezes it. */
int  leg_start(struct leg *leg);
void leg_stop(struct leg *leg);

int  leg_attach(struct leg *leg, struct mixer *mx);
void leg_detach(struct leg *leg);
struct mport *leg_port(const struct leg *leg);

const char *leg_codec(const struct leg *leg);
uint16_t leg_rtp_port(const struct leg *leg);
bool leg_on_hold(const struct leg *leg);
void leg_stats_get(const struct leg *leg, struct leg_stats *st);
int  leg_debug(struct re_printf *pf, const struct leg *leg);

/* Process-wide RTP counters, for /metrics. */
void leg_totals(struct leg_stats *st);

#endif
