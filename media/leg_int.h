/* The body of a leg, shared by leg.c, leg_sdp.c and leg_rx.c. */
#ifndef OPENSEAT_LEG_INT_H
#define OPENSEAT_LEG_INT_H

#include "media/jitter_int.h"
#include "media/rtprx_int.h"

enum {
	LEG_LATCH_N   = 5,    /* packets in a row before a NAT latch    */
	LEG_PENDING   = 16,   /* queued digits/events for the owner     */
	LEG_TELEV_PT  = 101,  /* our telephone-event payload type       */
	LEG_TELEV_END = 300,  /* ms without packets ends an event       */
};

struct mcodec;
struct mcodec_state;

/* A digit or event waiting to be told to the owner from the tick. */
struct leg_pending {
	char digit;                 /**< 0 for an event                 */
	uint32_t dur_ms;
	enum leg_event ev;
};

struct leg {
	struct le le;               /**< in the list of all legs        */
	struct sa laddr;
	char *public_ip;
	char *codecs;               /**< preference list, comma separated */
	uint32_t rtp_timeout_ms;
	bool nat_latch;

	struct rtp_sock *rtp;       /**< (own)                          */
	struct rtpsend_sock *rsend; /**< (own) freed before rtp         */
	struct sdp_session *sdp;    /**< (own)                          */
	struct sdp_media *sdpm;     /**< (own)                          */
	struct mtick_entry *house;  /**< (own)                          */
	struct mport *mp;           /**< (own) while attached           */
	struct mbuf *txmb;          /**< (own) reused for every packet  */
	struct dtmf_dec *dtmfdec;   /**< (own)                          */
	struct mcodec_state *cst;   /**< (own)                          */
	const struct mcodec *codec; /**< negotiated, NULL before        */
	int pt_tx;                  /**< payload type we send           */
	int pt_rx;                  /**< payload type we also accept    */
	int pt_telev;               /**< far end's telephone-event, -1  */
	bool negotiated;
	bool started;
	bool hold;
	bool rx_expected;           /**< far end sends (not recvonly)   */

	/* strict source */
	struct sa sdp_raddr;        /**< RTP address the SDP named      */
	struct sa raddr;            /**< where RTP is accepted and sent */
	struct sa raddr_rtcp;
	bool got_valid;             /**< a packet was accepted          */
	bool latched;
	struct {
		struct sa src;
		uint32_t ssrc;
		uint16_t seq;
		unsigned n;
	} cand;

	/* receive state */
	struct rtprx rx;
	uint64_t last_rx_ms;
	bool timed_out;

	/* RFC 4733 event in progress, keyed by its RTP timestamp */
	struct {
		bool active;
		bool told;
		char digit;
		uint32_t ts;
		uint32_t dur_ms;
		uint64_t last_ms;
	} tel;
	struct jitter jb;

	/* send state */
	uint32_t tx_ts;
	bool tx_marker;

	struct leg_pending pendv[LEG_PENDING];
	unsigned pend_head, pend_n;

	struct leg_stats st;
	leg_dtmf_h *dtmfh;
	leg_event_h *evh;
	void *arg;
};

extern struct leg_stats leg_tot;

void leg_pend(struct leg *leg, char digit, uint32_t dur_ms,
	      enum leg_event ev);
void leg_rtp_handler(const struct sa *src, const struct rtp_header *hdr,
		     struct mbuf *mb, void *arg);
void leg_rtcp_handler(const struct sa *src, struct rtcp_msg *msg,
		      void *arg);
void leg_inband_handler(char digit, void *arg);
void leg_telev_check(struct leg *leg);
int  leg_sdp_init(struct leg *leg);

#endif
