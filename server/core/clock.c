/* Monotonic time in microseconds, for measuring durations. */
#include <time.h>
#include "core/clock.h"


/** Microseconds on the monotonic clock (libre 1.1 has only ms). */
uint64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
