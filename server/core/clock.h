/* Monotonic time for durations; the wall clock (UTC, testable offset). */
#ifndef OPENSEAT_CLOCK_H
#define OPENSEAT_CLOCK_H

#include <stdint.h>

uint64_t clock_us(void);

int      clock_setup(const char *spec);
int64_t  clock_wall_ms(void);
int64_t  clock_offset_ms(void);

#endif
