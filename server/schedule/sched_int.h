/* Schedules inside: the parsed form schedule_open() reads. */
#ifndef OPENSEAT_SCHED_INT_H
#define OPENSEAT_SCHED_INT_H

#include <stdint.h>

struct tz;

/** Minutes of the day: [from, to), to may be 1440; overnight if to<from */
struct sched_range {
	uint8_t days;                /**< bit d-1 for day d, 1 = Monday */
	uint16_t from, to;
};

/** A dated exception: closed all day, or open [from, to) only. */
struct sched_exc {
	int32_t day;                 /**< days since 1970-01-01, local  */
	bool closed;
	uint16_t from, to;
};

struct schedule {
	struct tz *tz;               /**< (ref)                         */
	char tz_name[65];
	struct sched_range weekly[64];
	unsigned nweekly;
	struct sched_exc *excv;      /**< sorted by day                 */
	unsigned nexc;
};

#endif
