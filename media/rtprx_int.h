/*
 * Receive statistics of one RTP stream (RFC 3550 A.1, A.3, A.8):
 * sequence tracking, loss and interarrival jitter, and the reception
 * report block built from them. Shared by RTP legs and WebRTC legs.
 */
#ifndef OPENSEAT_RTPRX_INT_H
#define OPENSEAT_RTPRX_INT_H

#include <stdbool.h>
#include <stdint.h>

struct rtp_header;
struct rtcp_rr;

enum rtprx_res {
	RTPRX_DUP = 0,              /**< repeated sequence number       */
	RTPRX_OK,                   /**< counted                        */
	RTPRX_NEW,                  /**< first packet of a new SSRC     */
};

struct rtprx {
	bool ssrc_set;
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles;            /**< sequence wraps, << 16          */
	uint32_t base_seq;
	uint64_t received;
	uint64_t lost;              /**< gaps seen, for our counters    */
	uint64_t expected_prior;
	uint64_t received_prior;
	int64_t transit;            /**< RTP clock units                */
	double jitter;              /**< RTP clock units                */
};

enum rtprx_res rtprx_update(struct rtprx *rx, const struct rtp_header *hdr,
			    uint32_t clock, uint64_t now_us);
void rtprx_report(struct rtprx *rx, struct rtcp_rr *rr);

#endif
