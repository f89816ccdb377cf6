/* The body of a WebRTC leg, shared by the webrtc*.c files. */
#ifndef OPENSEAT_WEBRTC_INT_H
#define OPENSEAT_WEBRTC_INT_H

#include "media/jitter_int.h"
#include "media/rtprx_int.h"

enum {
	WEBRTC_FP_LEN   = 32,     /* SHA-256 fingerprint                 */
	WEBRTC_MAX_M    = 16,     /* m-lines an offer may have           */
	WEBRTC_PENDING  = 4,      /* events waiting for the owner        */
	WEBRTC_RTCP_MS  = 5000,   /* our SR/RR interval                  */
	WEBRTC_UFRAG_SZ = 257,    /* RFC 8839: ufrag up to 256 chars     */
};

struct mcodec;
struct mcodec_state;

/* What we take from an offer; the pl's point into the offer text. */
struct webrtc_offer {
	struct pl ufrag, pwd, mid;
	struct pl proto;            /**< the audio m-line's, echoed     */
	uint8_t fp[WEBRTC_FP_LEN];  /**< a=fingerprint:sha-256          */
	const struct mcodec *mc;    /**< chosen codec                   */
	int pt;                     /**< its payload type in the offer  */
	bool bundle;                /**< a=group:BUNDLE present         */
	unsigned audio;             /**< index of the audio m-line      */
	unsigned nm;
	struct {
		struct pl media, proto, fmt, mid;
	} mv[WEBRTC_MAX_M];
};

enum webrtc_state {
	WEBRTC_ST_NEW = 0,          /**< waiting for ICE and DTLS       */
	WEBRTC_ST_UP,               /**< SRTP keys set                  */
	WEBRTC_ST_DEAD,             /**< failed or timed out            */
};

struct webrtc_pending {
	enum webrtc_event ev;
	const char *reason;         /**< static text                    */
};

struct webrtc {
	struct le le;               /**< in the list of all, not owned  */
	struct udp_sock *us;        /**< (own) the one socket           */
	struct udp_helper *uh;      /**< (own) RFC 7983 demux           */
	struct dtls_sock *dsock;    /**< (own)                          */
	struct tls_conn *tc;        /**< (own) the accepted DTLS conn   */
	struct srtp *srtp_rx;       /**< (own) the browser's key        */
	struct srtp *srtp_tx;       /**< (own) ours                     */
	struct mtick_entry *house;  /**< (own)                          */
	struct mport *mp;           /**< (own) while attached           */
	struct mbuf *txmb;          /**< (own) reused for every packet  */
	struct mcodec_state *cst;   /**< (own)                          */
	const struct mcodec *codec;
	int pt;
	enum webrtc_state state;
	uint32_t timeout_ms;

	/* ICE */
	char ufrag[9];              /**< ours                           */
	char pwd[25];               /**< ours, RFC 8445: >= 22 chars     */
	char rufrag[WEBRTC_UFRAG_SZ];
	uint8_t rfp[WEBRTC_FP_LEN]; /**< the offer's fingerprint        */
	uint8_t lfp[WEBRTC_FP_LEN]; /**< our certificate's              */
	struct sa laddr;            /**< where the socket is bound      */
	struct sa raddr;            /**< the validated peer             */
	bool latched;
	uint64_t last_ok_ms;        /**< authenticated STUN or SRTP     */

	/* receive */
	struct rtprx rx;
	struct jitter jb;

	/* send */
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	bool marker;
	uint64_t tx_octets;

	/* RTCP */
	uint64_t rtcp_ms;           /**< when we last sent a report      */
	uint32_t sr_lsr;            /**< middle NTP bits of its last SR  */
	uint64_t sr_rx_us;          /**< when that SR arrived            */

	struct webrtc_pending pendv[WEBRTC_PENDING];
	unsigned pend_head, pend_n;

	struct webrtc_stats st;
	webrtc_event_h *eh;
	void *arg;
};

extern struct webrtc_stats webrtc_tot;

/* webrtc.c */
void webrtc_pend(struct webrtc *w, enum webrtc_event ev,
		 const char *reason);

/* webrtc_sdp.c */
int  webrtc_sdp_parse(struct webrtc_offer *o, const char *p, size_t len,
		      const char *codecs);
int  webrtc_sdp_answer(char **answerp, const struct webrtc *w,
		       const struct webrtc_offer *o, const char *ip);

/* webrtc_ice.c */
int  webrtc_ice_listen(struct webrtc *w, uint16_t pmin, uint16_t pmax);
void webrtc_reject(struct webrtc *w);

/* webrtc_dtls.c */
int  webrtc_dtls_listen(struct webrtc *w);
int  webrtc_fingerprint(uint8_t *fp, size_t len);

/* webrtc_rtp.c */
void webrtc_rtp_recv(struct webrtc *w, struct mbuf *mb);
void webrtc_rtcp_recv(struct webrtc *w, struct mbuf *mb);
void webrtc_rtcp_send(struct webrtc *w);
int  webrtc_rtp_send(struct webrtc *w, const int16_t *frame);

#endif
