/* IANA time zones from the system's TZif files, cached in memory. */
#ifndef OPENSEAT_TZ_H
#define OPENSEAT_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz;

/** A local calendar moment. wday: 1 = Monday .. 7 = Sunday. */
struct tz_local {
	int year;
	unsigned month, day, wday;
	unsigned minute;             /**< of the day, 0..1439 */
};

bool    tz_name_ok(const char *name);
int     tz_get(struct tz **tzp, const char *name);
int     tz_parse(struct tz **tzp, const uint8_t *buf, size_t len);
int32_t tz_offset(const struct tz *tz, int64_t utc_s);
void    tz_local(const struct tz *tz, int64_t utc_ms, struct tz_local *lt);
void    tz_set_dir(const char *dir);
void    tz_flush(void);

int64_t tz_days_from_civil(int64_t y, unsigned m, unsigned d);
void    tz_civil_from_days(int64_t days, int *yp, unsigned *mp,
			   unsigned *dp);

#endif
