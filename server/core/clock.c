/* Monotonic time for durations; the wall clock (UTC, testable offset). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "core/clock.h"

/* Added to the real UTC time by clock_wall_ms(); set once at start. */
static int64_t wall_offset_ms;


/** Microseconds on the monotonic clock (libre 1.1 has only ms). */
uint64_t clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);

	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}


static int64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);

	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}


/* "2026-11-23T10:00:00Z" exactly, into ms since the epoch. */
static int parse_instant(const char *s, int64_t *msp)
{
	unsigned y, mo, d, h, mi, se;
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30,
					 31, 30, 31};
	int n = 0;

	if (strlen(s) != 20 ||
	    sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2uZ%n", &y, &mo, &d, &h, &mi,
		   &se, &n) != 6 || n != 20)
		return EINVAL;

	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
		return EINVAL;

	if (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)))
		return EINVAL;

	*msp = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se)
		* 1000;
	return 0;
}


/* "+N" / "-N" seconds, N at most ~100 years. */
static int parse_seconds(const char *s, int64_t *msp)
{
	bool neg = s[0] == '-';
	int64_t v = 0;

	if (!s[1])
		return EINVAL;

	for (const char *p = s + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > 3200000000LL)
			return EINVAL;
		v = v * 10 + (*p - '0');
	}

	*msp = (neg ? -v : v) * 1000;
	return 0;
}


/**
 * Set the wall clock from the config key clock_offset: "" real time,
 * "+N"/"-N" seconds ahead or behind, "@2026-11-23T10:00:00Z" the clock
 * reads that instant now and runs on from there. Tests use it to be at
 * a given time of day without waiting for it.
 *
 * @return 0 if success, EINVAL if spec is malformed (nothing changed)
 */
int clock_setup(const char *spec)
{
	int64_t ms;
	int err;

	if (!spec || !spec[0]) {
		wall_offset_ms = 0;
		return 0;
	}

	if (spec[0] == '+' || spec[0] == '-') {
		err = parse_seconds(spec, &ms);
		if (!err)
			wall_offset_ms = ms;
		return err;
	}

	if (spec[0] == '@') {
		err = parse_instant(spec + 1, &ms);
		if (!err)
			wall_offset_ms = ms - real_ms();
		return err;
	}

	return EINVAL;
}


/** Milliseconds since the epoch, UTC, with the configured offset. */
int64_t clock_wall_ms(void)
{
	return real_ms() + wall_offset_ms;
}


/** The offset clock_setup() chose, in ms. */
int64_t clock_offset_ms(void)
{
	return wall_offset_ms;
}
