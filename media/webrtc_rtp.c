/*
 * SRTP and SRTCP of a WebRTC leg: audio in (decrypt, statistics, decode
 * into the jitter buffer), audio out (encode, encrypt, send) and our
 * RTCP reports, the browser's reports read for loss, jitter and RTT.
 */
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/mconf.h"
#include "media/webrtc.h"
#include "media/codec_int.h"
#include "media/mtick_int.h"
#include "media/webrtc_int.h"

enum {
	NTP_EPOCH  = 2208988800u,   /* 1900 to 1970 in seconds            */
	RR_SIZE    = 24,
};

typedef int (rtcp_part_h)(struct mbuf *mb, void *arg);


static void count_lost(struct webrtc *w, uint64_t before)
{
	w->st.rx_lost    += w->rx.lost - before;
	webrtc_tot.rx_lost += w->rx.lost - before;
}


static void audio_in(struct webrtc *w, const struct rtp_header *hdr,
		     struct mbuf *mb)
{
	int16_t pcm[MCODEC_MAX_SAMPLES];
	size_t n = ARRAY_SIZE(pcm);
	uint64_t lost = w->rx.lost;
	bool had = w->rx.ssrc_set;
	enum rtprx_res r;

	r = rtprx_update(&w->rx, hdr, w->codec->clock, mtick_now_us());
	count_lost(w, lost);
	if (r == RTPRX_DUP)
		return;
	if (r == RTPRX_NEW && had)
		jitter_reset(&w->jb);

	if (w->codec->dec(w->cst, pcm, &n, mbuf_buf(mb),
			  mbuf_get_left(mb)) || !n)
		return;

	(void)jitter_put(&w->jb, hdr->ts, w->codec->clock, pcm, n);
}


/*
 * An SRTP packet from the validated peer. libre's srtp_decrypt checks
 * the authentication tag (or GCM tag) and a 64-packet replay window
 * (RFC 3711 3.3.2): both failures count as rejected.
 */
void webrtc_rtp_recv(struct webrtc *w, struct mbuf *mb)
{
	struct rtp_header hdr;

	if (w->state != WEBRTC_ST_UP)
		return;

	if (srtp_decrypt(w->srtp_rx, mb)) {
		webrtc_reject(w);
		return;
	}

	if (rtp_hdr_decode(&hdr, mb))
		return;

	if (hdr.pad && mbuf_get_left(mb)) {
		uint8_t padn = mb->buf[mb->end - 1];

		if (padn > mbuf_get_left(mb))
			return;
		mb->end -= padn;
	}

	w->last_ok_ms = tmr_jiffies();
	++w->st.rx_packets;
	++webrtc_tot.rx_packets;

	if (hdr.pt == w->pt)
		audio_in(w, &hdr, mb);
}


/**
 * Encode and send one frame. The browser's jitter buffer expects the
 * timestamp to advance by a frame per tick whatever we send.
 *
 * @return 0 if sent, otherwise errorcode
 */
int webrtc_rtp_send(struct webrtc *w, const int16_t *frame)
{
	struct mbuf *mb = w->txmb;
	struct rtp_header hdr;
	size_t len = MCODEC_MAX_PAYLOAD;
	int err;

	err = w->codec->enc(w->cst, mb->buf + RTP_HEADER_SIZE, &len, frame);
	if (err)
		return err;

	memset(&hdr, 0, sizeof(hdr));
	hdr.ver  = RTP_VERSION;
	hdr.m    = w->marker;
	hdr.pt   = (uint8_t)w->pt;
	hdr.seq  = w->seq++;
	hdr.ts   = w->ts;
	hdr.ssrc = w->ssrc;

	w->ts += MEDIA_FRAME * (w->codec->clock / MEDIA_SRATE);
	w->marker = false;

	mb->pos = 0;
	mb->end = RTP_HEADER_SIZE + len;
	err = rtp_hdr_encode(mb, &hdr);
	mb->pos = 0;
	if (!err)
		err = srtp_encrypt(w->srtp_tx, mb);
	if (!err)
		err = udp_send(w->us, &w->raddr, mb);
	if (err)
		return err;

	++w->st.tx_packets;
	++webrtc_tot.tx_packets;
	w->tx_octets += len;

	return 0;
}


static void ntp_now(uint32_t *sec, uint32_t *frac)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	*sec  = (uint32_t)ts.tv_sec + NTP_EPOCH;
	*frac = (uint32_t)(((uint64_t)ts.tv_nsec << 32) / 1000000000u);
}


/* The middle 32 bits of the NTP time now (RFC 3550 6.4.1). */
static uint32_t ntp_mid(void)
{
	uint32_t sec, frac;

	ntp_now(&sec, &frac);

	return sec << 16 | frac >> 16;
}


static void report_block(struct webrtc *w, const struct rtcp_rr *rr)
{
	uint32_t delay;

	if (rr->ssrc != w->ssrc)
		return;

	w->st.loss_pct       = rr->fraction * 100.0 / 256.0;
	w->st.peer_jitter_ms = rr->jitter * 1000.0 / w->codec->clock;

	if (!rr->lsr)
		return;

	/* units of 1/65536 s; a negative delay is a clock step, skip */
	delay = ntp_mid() - rr->lsr - rr->dlsr;
	if (delay < 0x80000000u)
		w->st.rtt_ms = delay * 1000.0 / 65536.0;
}


static void rtcp_msg_handle(struct webrtc *w, const struct rtcp_msg *msg)
{
	const struct rtcp_rr *rrv = NULL;
	uint32_t i;

	if (msg->hdr.pt == RTCP_SR) {
		w->sr_lsr   = msg->r.sr.ntp_sec << 16 |
			msg->r.sr.ntp_frac >> 16;
		w->sr_rx_us = mtick_now_us();
		rrv = msg->r.sr.rrv;
	}
	else if (msg->hdr.pt == RTCP_RR) {
		rrv = msg->r.rr.rrv;
	}

	for (i = 0; rrv && i < msg->hdr.count; i++)
		report_block(w, &rrv[i]);
}


/** A compound SRTCP packet from the validated peer. */
void webrtc_rtcp_recv(struct webrtc *w, struct mbuf *mb)
{
	if (w->state != WEBRTC_ST_UP)
		return;

	if (srtcp_decrypt(w->srtp_rx, mb)) {
		webrtc_reject(w);
		return;
	}

	w->last_ok_ms = tmr_jiffies();
	while (mbuf_get_left(mb) >= 4) {
		struct rtcp_msg *msg = NULL;

		if (rtcp_decode(&msg, mb))
			break;

		rtcp_msg_handle(w, msg);
		mem_deref(msg);
	}
}


static int rr_encode(struct mbuf *mb, void *arg)
{
	struct webrtc *w = arg;
	struct rtcp_rr rr;
	uint32_t dlsr = 0;
	int err;

	if (!w->rx.ssrc_set)
		return 0;

	rtprx_report(&w->rx, &rr);
	if (w->sr_lsr)
		dlsr = (uint32_t)((mtick_now_us() - w->sr_rx_us) * 65536 /
				  1000000u);

	err  = mbuf_write_u32(mb, htonl(rr.ssrc));
	err |= mbuf_write_u32(mb, htonl((uint32_t)rr.fraction << 24 |
					((uint32_t)rr.lost & 0xffffff)));
	err |= mbuf_write_u32(mb, htonl(rr.last_seq));
	err |= mbuf_write_u32(mb, htonl(rr.jitter));
	err |= mbuf_write_u32(mb, htonl(w->sr_lsr));
	err |= mbuf_write_u32(mb, htonl(dlsr));

	return err;
}


static int sdes_encode(struct mbuf *mb, void *arg)
{
	struct webrtc *w = arg;

	return rtcp_sdes_encode(mb, w->ssrc, 1, RTCP_SDES_CNAME, "openseat");
}


/**
 * Send our report (from the house tick every WEBRTC_RTCP_MS): an SR
 * once we have sent audio, else an RR, with one report block about the
 * browser's stream once it sent any, and SDES CNAME (RFC 3550 6.1).
 */
void webrtc_rtcp_send(struct webrtc *w)
{
	uint32_t count = w->rx.ssrc_set ? 1 : 0, sec, frac;
	struct mbuf *mb = mbuf_alloc(128);
	int err;

	if (!mb)
		return;

	ntp_now(&sec, &frac);
	if (w->st.tx_packets)
		err = rtcp_encode(mb, RTCP_SR, count, w->ssrc, sec, frac,
				  w->ts, (uint32_t)w->st.tx_packets,
				  (uint32_t)w->tx_octets,
				  rr_encode, w);
	else
		err = rtcp_encode(mb, RTCP_RR, count, w->ssrc,
				  rr_encode, w);

	if (!err)
		err = rtcp_encode(mb, RTCP_SDES, 1,
				  sdes_encode, w);

	mb->pos = 0;
	if (!err)
		err = srtcp_encrypt(w->srtp_tx, mb);
	if (!err)
		(void)udp_send(w->us, &w->raddr, mb);

	mem_deref(mb);
}
