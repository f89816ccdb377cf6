/*
 * A browser's audio leg: ICE-lite, DTLS-SRTP, SRTP, Opus or PCMU, RTCP
 * and consent freshness on one UDP socket (BUNDLE, rtcp-mux). In a mixer
 * it is a port that speaks what the browser sends and sends what it
 * hears.
 */
#ifndef OPENSEAT_WEBRTC_H
#define OPENSEAT_WEBRTC_H

#include <stddef.h>
#include <stdint.h>

struct webrtc;
struct mixer;
struct mport;
struct mbuf;
struct sa;
struct re_printf;

enum webrtc_event {
	WEBRTC_ESTABLISHED = 1, /**< DTLS done, fingerprint ok, SRTP keys */
	WEBRTC_FAILED,          /**< DTLS failed, bad fingerprint, no SRTP */
	WEBRTC_TIMEOUT,         /**< no consent and no SRTP for timeout_ms */
};

/* Runs from the media tick, never inside our own work: may free w. */
typedef void (webrtc_event_h)(enum webrtc_event ev, const char *reason,
			      void *arg);

struct webrtc_cfg {
	const struct sa *laddr;   /**< local IP to bind the one socket on */
	const char *public_ip;    /**< for the candidate; NULL = laddr    */
	uint16_t port_min, port_max;
	const char *codecs;       /**< preference, e.g. "opus,PCMU"       */
	uint32_t timeout_ms;      /**< 0 = never                          */
};

struct webrtc_stats {
	uint64_t rx_packets, tx_packets, rx_lost;
	uint64_t rx_rejected;     /**< unvalidated source, SRTP auth/replay */
	double jitter_ms;         /**< ours, RFC 3550                     */
	double loss_pct;          /**< from the browser's RTCP RR         */
	double rtt_ms;            /**< from RR LSR/DLSR, 0 if unknown     */
	double peer_jitter_ms;    /**< from the browser's RR              */
};

int  webrtc_init(void);
void webrtc_close(void);

/*
 * Answer a browser's SDP offer.
 * @return 0, EPROTO (malformed SDP), ENOTSUP (no audio m-line or no
 * common codec), EBADMSG (no a=fingerprint, ice-ufrag or ice-pwd, or an
 * unusable a=setup). Nothing is allocated on error.
 */
int  webrtc_alloc(struct webrtc **wp, const struct webrtc_cfg *cfg,
		  const char *offer, size_t len, char **answerp,
		  webrtc_event_h *eh, void *arg);
int  webrtc_attach(struct webrtc *w, struct mixer *mx);
void webrtc_detach(struct webrtc *w);
struct mport *webrtc_port(const struct webrtc *w);
const char *webrtc_codec(const struct webrtc *w);
void webrtc_stats_get(const struct webrtc *w, struct webrtc_stats *st);
void webrtc_totals(struct webrtc_stats *st);

/* Additions beyond the agreed API. */
uint16_t webrtc_port_num(const struct webrtc *w);
int  webrtc_debug(struct re_printf *pf, const struct webrtc *w);

#endif
