/*
 * The media tick's RTP sends, made by one sender thread: the loop only
 * queues each packet, the kernel's UDP send runs beside it.
 */
#ifndef OPENSEAT_RTPSEND_H
#define OPENSEAT_RTPSEND_H

#include <stdint.h>

struct udp_sock;
struct rtpsend_sock;

/** What the sender did, for /metrics and benchmarks. */
struct rtpsend_stats {
	uint64_t queued;      /**< packets handed to the thread         */
	uint64_t sent;        /**< sent by the thread                   */
	uint64_t failed;      /**< sendto failed (counted, not retried) */
	uint64_t waits;       /**< ticks that waited for the thread     */
};

int  rtpsend_init(void);
void rtpsend_close(void);
int  rtpsend_attach(struct rtpsend_sock **rsp, struct udp_sock *us,
		    int af);
void rtpsend_batch_begin(void);
void rtpsend_batch_end(void);
void rtpsend_stats_get(struct rtpsend_stats *st);

#endif
