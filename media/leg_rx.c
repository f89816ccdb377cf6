/*
 * The receive path of a leg: strict source checking (and the one NAT
 * latch), sequence and jitter statistics, RFC 4733 and in-band DTMF, and
 * decoding into the jitter buffer. Runs for every packet: no allocation.
 */
#include <string.h>
#include <re.h>
#include <rem_dtmf.h>
#include "media/mconf.h"
#include "media/leg.h"
#include "media/codec_int.h"
#include "media/mtick_int.h"
#include "media/leg_int.h"

static bool pt_known(const struct leg *leg, int pt)
{
	return pt == leg->pt_tx || pt == leg->pt_rx ||
		(leg->pt_telev >= 0 && pt == leg->pt_telev);
}


static void latch(struct leg *leg, const struct sa *src)
{
	leg->raddr      = *src;
	leg->raddr_rtcp = *src;
	sa_set_port(&leg->raddr_rtcp, sa_port(src) + 1);
	leg->latched = true;
	rtcp_start(leg->rtp, "openseat", &leg->raddr_rtcp);
}


/*
 * Media is accepted only from the address the SDP named. With nat_latch
 * one other source may be adopted, only while nothing valid has arrived
 * yet, and only after LEG_LATCH_N consecutive packets from it with one
 * SSRC and consecutive sequence numbers. Once anything was accepted the
 * source never changes again except through signalling (RTP bleed).
 */
static bool source_ok(struct leg *leg, const struct sa *src,
		      const struct rtp_header *hdr)
{
	if (sa_cmp(src, &leg->raddr, SA_ALL)) {
		leg->got_valid = true;
		return true;
	}

	if (!leg->nat_latch || leg->got_valid || leg->latched ||
	    !pt_known(leg, hdr->pt))
		return false;

	if (sa_cmp(src, &leg->cand.src, SA_ALL) &&
	    hdr->ssrc == leg->cand.ssrc &&
	    hdr->seq == (uint16_t)(leg->cand.seq + 1)) {
		++leg->cand.n;
	}
	else {
		leg->cand.src  = *src;
		leg->cand.ssrc = hdr->ssrc;
		leg->cand.n    = 1;
	}

	leg->cand.seq = hdr->seq;
	if (leg->cand.n < LEG_LATCH_N)
		return false;

	latch(leg, src);
	leg->got_valid = true;

	return true;
}


static void telev_tell(struct leg *leg)
{
	if (!leg->tel.active || leg->tel.told)
		return;

	leg->tel.told = true;
	leg_pend(leg, leg->tel.digit, leg->tel.dur_ms, 0);
}


/*
 * RFC 4733: an event is identified by its RTP timestamp and reported
 * once, at its first end packet. If every end packet was lost, it is
 * reported when the next event starts or LEG_TELEV_END ms pass.
 */
static void telev_rx(struct leg *leg, const struct rtp_header *hdr,
		     const struct mbuf *mb)
{
	const uint8_t *p = mbuf_buf(mb);
	int digit;

	if (mbuf_get_left(mb) < 4)
		return;

	digit = telev_code2digit(p[0]);
	if (digit < 0)
		return;

	if (!leg->tel.active || hdr->ts != leg->tel.ts) {
		telev_tell(leg);
		leg->tel.active = true;
		leg->tel.told   = false;
		leg->tel.ts     = hdr->ts;
		leg->tel.digit  = (char)digit;
	}

	leg->tel.dur_ms  = ((uint32_t)p[2] << 8 | p[3]) * 1000 / 8000;
	leg->tel.last_ms = tmr_jiffies();

	if (p[1] & 0x80)
		telev_tell(leg);
}


/** From the house tick: end an event whose end packets were lost. */
void leg_telev_check(struct leg *leg)
{
	if (leg->tel.active && !leg->tel.told &&
	    tmr_jiffies() - leg->tel.last_ms >= LEG_TELEV_END)
		telev_tell(leg);
}


/* Sequence and RFC 3550 jitter; false for a duplicate. */
static bool seq_update(struct leg *leg, const struct rtp_header *hdr)
{
	uint64_t lost = leg->rx.lost;
	bool had = leg->rx.ssrc_set;
	enum rtprx_res r;

	r = rtprx_update(&leg->rx, hdr, leg->codec->clock, mtick_now_us());
	if (r == RTPRX_NEW && had)
		jitter_reset(&leg->jb);

	leg->st.rx_lost += leg->rx.lost - lost;
	leg_tot.rx_lost += leg->rx.lost - lost;

	return r != RTPRX_DUP;
}


static void audio_rx(struct leg *leg, const struct rtp_header *hdr,
		     struct mbuf *mb)
{
	int16_t pcm[MCODEC_MAX_SAMPLES];
	size_t n = ARRAY_SIZE(pcm);

	if (!seq_update(leg, hdr))
		return;

	if (leg->codec->dec(leg->cst, pcm, &n, mbuf_buf(mb),
			    mbuf_get_left(mb)) || !n)
		return;

	if (leg->pt_telev < 0)
		dtmf_dec_probe(leg->dtmfdec, pcm, n);

	if (jitter_put(&leg->jb, hdr->ts, leg->codec->clock, pcm, n) ==
	    EALREADY) {
		++leg->st.rx_late;
		++leg_tot.rx_late;
	}
}


void leg_rtp_handler(const struct sa *src, const struct rtp_header *hdr,
		     struct mbuf *mb, void *arg)
{
	struct leg *leg = arg;

	if (!leg->started || !leg->codec)
		return;

	if (!source_ok(leg, src, hdr)) {
		++leg->st.rx_rejected;
		++leg_tot.rx_rejected;
		return;
	}

	++leg->st.rx_packets;
	++leg_tot.rx_packets;
	leg->last_rx_ms = tmr_jiffies();

	if (leg->pt_telev >= 0 && hdr->pt == leg->pt_telev)
		telev_rx(leg, hdr, mb);
	else if (hdr->pt == leg->pt_tx || hdr->pt == leg->pt_rx)
		audio_rx(leg, hdr, mb);
}


void leg_rtcp_handler(const struct sa *src, struct rtcp_msg *msg, void *arg)
{
	struct leg *leg = arg;
	(void)msg;

	if (!leg->started)
		return;

	if (!sa_cmp(src, &leg->raddr_rtcp, SA_ALL)) {
		++leg->st.rx_rejected;
		++leg_tot.rx_rejected;
		return;
	}

	leg->last_rx_ms = tmr_jiffies();
}


/* In-band digits (librem reports each tone once). */
void leg_inband_handler(char digit, void *arg)
{
	leg_pend(arg, digit, 0, 0);
}
