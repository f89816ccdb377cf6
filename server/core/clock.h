/* Monotonic time in microseconds, for measuring durations. */
#ifndef OPENSEAT_CLOCK_H
#define OPENSEAT_CLOCK_H

#include <stdint.h>

uint64_t clock_us(void);

#endif
