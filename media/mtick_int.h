/* Media tick internals shared inside media/ and with unit tests. */
#ifndef OPENSEAT_MTICK_INT_H
#define OPENSEAT_MTICK_INT_H

#include <stdint.h>

/* Run every phase of one tick now, off the schedule (unit tests). */
void mtick_run(uint64_t tick);

/* Monotonic clock in microseconds. */
uint64_t mtick_now_us(void);

#endif
