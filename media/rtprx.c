/* Receive statistics of one RTP stream (see rtprx_int.h). */
#include <string.h>
#include <re.h>
#include "media/rtprx_int.h"

enum {
	SEQ_RESTART = 3000,     /* a bigger jump is a new stream, not loss */
};


/**
 * Count one packet: sequence, loss and RFC 3550 jitter.
 *
 * @param now_us  arrival time on a monotonic clock
 *
 * @return RTPRX_DUP for a repeated sequence number (not to be played),
 * RTPRX_NEW for the first packet of a new source, otherwise RTPRX_OK
 */
enum rtprx_res rtprx_update(struct rtprx *rx, const struct rtp_header *hdr,
			    uint32_t clock, uint64_t now_us)
{
	int64_t arrival, transit, d;
	int16_t delta;

	arrival = (int64_t)(now_us * clock / 1000000u);
	transit = arrival - hdr->ts;

	if (!rx->ssrc_set || hdr->ssrc != rx->ssrc) {
		uint64_t lost = rx->lost;

		memset(rx, 0, sizeof(*rx));
		rx->lost     = lost;
		rx->ssrc_set = true;
		rx->ssrc     = hdr->ssrc;
		rx->max_seq  = hdr->seq;
		rx->base_seq = hdr->seq;
		rx->transit  = transit;
		rx->received = 1;
		return RTPRX_NEW;
	}

	delta = (int16_t)(hdr->seq - rx->max_seq);
	if (delta == 0)
		return RTPRX_DUP;

	if (delta > 0) {
		if (delta > 1 && delta < SEQ_RESTART)
			rx->lost += (uint64_t)(delta - 1);
		if (hdr->seq < rx->max_seq)
			rx->cycles += 1u << 16;
		rx->max_seq = hdr->seq;
	}

	++rx->received;
	d = transit - rx->transit;
	rx->transit = transit;
	if (d < 0)
		d = -d;
	rx->jitter += ((double)d - rx->jitter) / 16.0;

	return RTPRX_OK;
}


/** Fill a reception report block; starts the next report interval. */
void rtprx_report(struct rtprx *rx, struct rtcp_rr *rr)
{
	uint64_t ext = (uint64_t)rx->cycles + rx->max_seq;
	uint64_t expected = ext - rx->base_seq + 1;
	int64_t lost = (int64_t)expected - (int64_t)rx->received;
	int64_t exp_int = (int64_t)(expected - rx->expected_prior);
	int64_t lost_int = exp_int -
		(int64_t)(rx->received - rx->received_prior);

	rx->expected_prior = expected;
	rx->received_prior = rx->received;

	memset(rr, 0, sizeof(*rr));
	rr->ssrc     = rx->ssrc;
	rr->fraction = exp_int > 0 && lost_int > 0 ?
		(unsigned)((lost_int << 8) / exp_int) & 0xff : 0;
	rr->lost     = lost > 0x7fffff ? 0x7fffff : (int)lost;
	rr->last_seq = (uint32_t)ext;
	rr->jitter   = (uint32_t)rx->jitter;
}
