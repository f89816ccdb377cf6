/* The one 20 ms media tick per loop, on an absolute schedule. */
#ifndef OPENSEAT_MTICK_H
#define OPENSEAT_MTICK_H

#include <stdint.h>

struct mtick_entry;

/**
 * Called once per tick, in the order entries were added, on the loop
 * thread. Legs, mixers and recorders register themselves; nothing else
 * in media/ runs a periodic timer of its own.
 */
typedef void (mtick_h)(uint64_t tick, void *arg);

/** Lateness of ticks (how long after its due time a tick ran). */
struct mtick_stats {
	uint64_t ticks;              /**< ticks run                    */
	uint64_t skipped;            /**< ticks dropped when far behind */
	uint64_t slices;             /**< times a long tick let I/O in  */
	uint64_t late_bucket[8];     /**< counts per mtick_late_bounds  */
	double   late_max_ms;        /**< worst lateness since reset    */
};

/* Upper bounds (ms) of the lateness buckets, the last is +Inf. */
extern const double mtick_late_bounds[8];

int  mtick_init(void);
void mtick_close(void);
int  mtick_add(struct mtick_entry **ep, int phase, mtick_h *h, void *arg);
void mtick_stats_get(struct mtick_stats *st, int reset_max);
uint64_t mtick_skipped(void);

/*
 * Phases run in this order within one tick: sources fill their frame
 * (legs pull from the jitter buffer, players advance), mixers mix and
 * deliver, then housekeeping (RTCP, RTP timeouts).
 */
enum mtick_phase {
	MTICK_SOURCE = 0,
	MTICK_MIX    = 1,
	MTICK_HOUSE  = 2,
};

#endif
