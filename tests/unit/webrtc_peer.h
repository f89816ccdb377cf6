/*
 * Test helper: a browser written with libre. One UDP socket that sends
 * ICE checks, runs a DTLS client with its own certificate, and sends and
 * receives SRTP audio (a tone) and SRTCP, as Chromium does.
 */
#ifndef OPENSEAT_WEBRTC_PEER_H
#define OPENSEAT_WEBRTC_PEER_H

#include <stdbool.h>
#include <stdint.h>

struct tls;
struct mcodec;
struct mcodec_state;

struct wpeer {
	struct udp_sock *us;        /**< (own)                          */
	struct udp_sock *us2;       /**< (own) another port, spoofing   */
	struct dtls_sock *ds;       /**< (own)                          */
	struct tls_conn *tc;        /**< (own)                          */
	struct srtp *tx, *rx;       /**< (own)                          */
	struct mbuf *last;          /**< (own) last SRTP packet sent    */
	struct mcodec_state *cst;   /**< (own)                          */
	struct tmr tmr;             /**< sends a frame every 20 ms      */
	const struct mcodec *codec;
	struct tls *tls;            /**< borrowed context               */
	struct sa server;           /**< the answer's candidate         */
	char sufrag[64], spwd[64];  /**< from the answer                */
	int pt;
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts, phase;

	/* what it saw */
	unsigned stun_ok, stun_401;
	struct sa mapped;
	bool estab, closed, nokeys;
	unsigned rx_rtp, rx_loud, rx_sr, rx_rr_blocks;
	uint32_t server_ssrc;
};

int  wpeer_alloc(struct wpeer *p, struct tls *tls, const struct sa *lo);
void wpeer_close(struct wpeer *p);
int  wpeer_offer(const struct wpeer *p, char **offerp);
int  wpeer_answer(struct wpeer *p, const char *answer);
int  wpeer_check(struct wpeer *p, struct udp_sock *us, const char *pwd,
		 bool use_cand);
int  wpeer_dtls(struct wpeer *p);
int  wpeer_send(struct wpeer *p, struct udp_sock *us);
int  wpeer_resend_last(struct wpeer *p);
int  wpeer_send_rr(struct wpeer *p, uint8_t fraction, uint32_t jitter,
		  uint32_t rtt_ms);
void wpeer_talk(struct wpeer *p, bool on);

#endif
