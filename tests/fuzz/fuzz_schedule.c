/* libFuzzer target: schedule JSON and TZif bytes through the parsers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include "schedule/schedule.h"
#include "schedule/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct schedule *s = NULL;
	struct sched_error e;
	struct tz *tz = NULL;

	if (schedule_parse_text(&s, (const char *)data, size, &e) == 0) {
		/* a few instants across years, days and DST changes */
		for (int64_t t = 0; t < 40; t++)
			(void)schedule_open(s, 1700000000000LL +
					    t * 997LL * 3600 * 1000);
		mem_deref(s);
	}

	/* the same bytes as a zone file */
	if (tz_parse(&tz, data, size) == 0) {
		for (int64_t t = -2; t < 40; t++)
			(void)tz_offset(tz, t * 86400LL * 400);
		mem_deref(tz);
	}

	return 0;
}
