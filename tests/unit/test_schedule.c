/* Unit tests for the wall clock, time zones and schedules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "core/clock.h"
#include "schedule/schedule.h"
#include "schedule/tz.h"


/* "2026-03-06 14:30" UTC in ms */
static int64_t utc(const char *s)
{
	unsigned y, mo, d, h, mi;

	assert_int_equal(sscanf(s, "%u-%u-%u %u:%u", &y, &mo, &d, &h, &mi),
			 5);

	return (tz_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60)
		* 1000;
}


static struct schedule *sched(const char *json)
{
	struct sched_error e;
	struct schedule *s = NULL;
	int err;

	err = schedule_parse_text(&s, json, strlen(json), &e);
	if (err)
		fail_msg("%s: %s %s %s", json, e.field, e.code, e.message);

	return s;
}


static void test_clock_offsets(void **state)
{
	int64_t real, t;

	(void)state;
	assert_int_equal(clock_setup(""), 0);
	real = clock_wall_ms();
	assert_true(real > utc("2024-01-01 00:00"));
	assert_int_equal(clock_offset_ms(), 0);

	assert_int_equal(clock_setup("+3600"), 0);
	assert_int_equal(clock_offset_ms(), 3600000);
	t = clock_wall_ms();
	assert_true(t - real >= 3600000 && t - real < 3660000);

	assert_int_equal(clock_setup("-60"), 0);
	assert_int_equal(clock_offset_ms(), -60000);

	assert_int_equal(clock_setup("@2026-11-23T10:00:00Z"), 0);
	t = clock_wall_ms();
	assert_true(t >= utc("2026-11-23 10:00"));
	assert_true(t < utc("2026-11-23 10:01"));

	/* bad specs are refused and change nothing */
	static const char *const bad[] = {
		"3600", "+", "-x", "+1e3", "@2026-11-23",
		"@2026-13-01T00:00:00Z",
		"@2026-02-29T00:00:00Z", "@2026-11-23T24:00:00Z",
		"@2026-11-23T10:00:00", "@2026-11-23T10:00:00Z ", "tomorrow",
		"+99999999999999999999",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(clock_setup(bad[i]), EINVAL);
	assert_true(clock_wall_ms() < utc("2026-11-23 10:01"));

	assert_int_equal(clock_setup("@2028-02-29T23:59:59Z"), 0);
	assert_int_equal(clock_setup(NULL), 0);
	assert_int_equal(clock_offset_ms(), 0);
}


static void test_tz_names(void **state)
{
	struct tz *tz = NULL;

	(void)state;
	assert_true(tz_name_ok("Asia/Shanghai"));
	assert_true(tz_name_ok("America/Argentina/Buenos_Aires"));
	assert_true(tz_name_ok("Etc/GMT+8"));
	assert_true(tz_name_ok("UTC"));
	assert_false(tz_name_ok(""));
	assert_false(tz_name_ok("../etc/passwd"));
	assert_false(tz_name_ok("Asia/../../etc/passwd"));
	assert_false(tz_name_ok("/etc/passwd"));
	assert_false(tz_name_ok("Asia//Shanghai"));
	assert_false(tz_name_ok("Asia/Shanghai/"));
	assert_false(tz_name_ok("Asia/.hidden"));
	assert_false(tz_name_ok("Asia/Shang hai"));
	assert_false(tz_name_ok(NULL));

	assert_int_equal(tz_get(&tz, "Nowhere/Atlantis"), ENOENT);
	assert_int_equal(tz_get(&tz, "../../etc/passwd"), EINVAL);
	/* a directory, not a zone */
	assert_int_equal(tz_get(&tz, "Asia"), ENOENT);

	assert_int_equal(tz_get(&tz, "Asia/Shanghai"), 0);
	assert_int_equal(tz_offset(tz, utc("2026-07-01 00:00") / 1000), 28800);
	mem_deref(tz);

	/* junk is not a zone */
	assert_int_equal(tz_parse(&tz, (const uint8_t *)"TZif2", 5), EPROTO);
	assert_int_equal(tz_parse(&tz, (const uint8_t *)"hello world", 11),
			 EPROTO);
}


static void test_tz_dst(void **state)
{
	struct tz *tz = NULL;

	(void)state;
	assert_int_equal(tz_get(&tz, "America/New_York"), 0);
	/* 2026-03-08 02:00 EST becomes 03:00 EDT (07:00 UTC) */
	assert_int_equal(tz_offset(tz, utc("2026-03-08 06:59") / 1000),
			 -5 * 3600);
	assert_int_equal(tz_offset(tz, utc("2026-03-08 07:00") / 1000),
			 -4 * 3600);
	/* 2026-11-01 02:00 EDT becomes 01:00 EST (06:00 UTC) */
	assert_int_equal(tz_offset(tz, utc("2026-11-01 05:59") / 1000),
			 -4 * 3600);
	assert_int_equal(tz_offset(tz, utc("2026-11-01 06:00") / 1000),
			 -5 * 3600);
	/* past the file's transitions the footer rule applies */
	assert_int_equal(tz_offset(tz, utc("2045-07-01 12:00") / 1000),
			 -4 * 3600);
	assert_int_equal(tz_offset(tz, utc("2045-12-01 12:00") / 1000),
			 -5 * 3600);
	assert_int_equal(tz_offset(tz, utc("2045-03-12 06:59") / 1000),
			 -5 * 3600);
	assert_int_equal(tz_offset(tz, utc("2045-03-12 07:00") / 1000),
			 -4 * 3600);
	mem_deref(tz);

	/* southern hemisphere: Sydney is on daylight time in January */
	assert_int_equal(tz_get(&tz, "Australia/Sydney"), 0);
	assert_int_equal(tz_offset(tz, utc("2045-01-15 00:00") / 1000),
			 11 * 3600);
	assert_int_equal(tz_offset(tz, utc("2045-07-15 00:00") / 1000),
			 10 * 3600);
	mem_deref(tz);
}


static void test_schedule_dst(void **state)
{
	struct schedule *s;

	(void)state;
	s = sched("{\"timezone\": \"America/New_York\", \"weekly\":"
		  " [{\"days\": [1,2,3,4,5], \"from\": \"09:00\","
		  " \"to\": \"17:00\"}]}");
	/* Friday before the change: 14:30 UTC is 09:30 EST */
	assert_true(schedule_open(s, utc("2026-03-06 14:30")));
	assert_false(schedule_open(s, utc("2026-03-06 13:30")));
	/* Monday after: 13:30 UTC is already 09:30 EDT */
	assert_true(schedule_open(s, utc("2026-03-09 13:30")));
	assert_false(schedule_open(s, utc("2026-03-09 21:30")));
	assert_true(schedule_open(s, utc("2026-03-09 20:59")));
	/* the footer years */
	assert_true(schedule_open(s, utc("2040-07-02 13:30")));
	assert_false(schedule_open(s, utc("2040-01-02 13:30")));
	assert_true(schedule_open(s, utc("2040-01-02 14:30")));
	assert_int_equal(strcmp(schedule_tz_name(s), "America/New_York"), 0);
	mem_deref(s);
}


static void test_schedule_overnight_and_holidays(void **state)
{
	struct schedule *s;

	(void)state;
	/* Shanghai is UTC+8: local = UTC + 8 h */
	s = sched("{\"name\": \"night\", \"timezone\": \"Asia/Shanghai\","
		  " \"weekly\": [{\"days\": [5], \"from\": \"22:00\","
		  " \"to\": \"06:00\"}, {\"days\": [1,2,3,4,5],"
		  " \"from\": \"09:00\", \"to\": \"18:00\"}],"
		  " \"exceptions\": [{\"date\": \"2026-10-01\","
		  " \"closed\": true}, {\"date\": \"2026-09-27\","
		  " \"from\": \"09:00\", \"to\": \"12:00\"},"
		  " {\"date\": \"2026-09-27\", \"from\": \"13:00\","
		  " \"to\": \"24:00\"}]}");

	/* Friday 2026-11-27 23:00 local, Saturday 05:59, 06:00 */
	assert_true(schedule_open(s, utc("2026-11-27 15:00")));
	assert_true(schedule_open(s, utc("2026-11-27 21:59")));
	assert_false(schedule_open(s, utc("2026-11-27 22:00")));
	/* Saturday 23:00 and Thursday 23:00: no overnight range */
	assert_false(schedule_open(s, utc("2026-11-28 15:00")));
	assert_false(schedule_open(s, utc("2026-11-26 15:00")));
	/* Monday 2026-11-23 10:00 local, 08:59 */
	assert_true(schedule_open(s, utc("2026-11-23 02:00")));
	assert_false(schedule_open(s, utc("2026-11-23 00:59")));
	/* National Day, a Thursday: closed all day */
	assert_false(schedule_open(s, utc("2026-10-01 02:00")));
	assert_true(schedule_open(s, utc("2026-10-02 02:00")));
	/* a working Sunday with two ranges */
	assert_true(schedule_open(s, utc("2026-09-27 01:30")));
	assert_false(schedule_open(s, utc("2026-09-27 04:30")));
	assert_true(schedule_open(s, utc("2026-09-27 15:59")));
	assert_false(schedule_open(s, utc("2026-09-27 16:00")));
	mem_deref(s);

	/* no ranges: never open */
	s = sched("{\"timezone\": \"UTC\"}");
	assert_false(schedule_open(s, utc("2026-11-23 12:00")));
	mem_deref(s);
	assert_false(schedule_open(NULL, 0));
}


/* Every bad schedule is refused with the field and a code. */
static void test_schedule_bad_input(void **state)
{
	static const struct {
		const char *json, *field, *code;
	} bad[] = {
		{"[]", "", "type"},
		{"{", "", "json"},
		{"{}", "timezone", "required"},
		{"{\"timezone\": 8}", "timezone", "required"},
		{"{\"timezone\": \"../../etc/passwd\"}", "timezone",
		 "timezone"},
		{"{\"timezone\": \"Mars/Olympus\"}", "timezone", "timezone"},
		{"{\"timezone\": \"UTC\", \"x\": 1}", "x", "unknown"},
		{"{\"timezone\": \"UTC\", \"weekly\": {}}", "weekly", "type"},
		{"{\"timezone\": \"UTC\", \"weekly\": [1]}", "weekly[0]",
		 "type"},
		{"{\"timezone\": \"UTC\", \"weekly\": [{\"days\": [0],"
		 " \"from\": \"09:00\", \"to\": \"10:00\"}]}",
		 "weekly[0].days", "range"},
		{"{\"timezone\": \"UTC\", \"weekly\": [{\"days\": [],"
		 " \"from\": \"09:00\", \"to\": \"10:00\"}]}",
		 "weekly[0].days", "type"},
		{"{\"timezone\": \"UTC\", \"weekly\": [{\"days\": [1],"
		 " \"from\": \"9:00\", \"to\": \"10:00\"}]}",
		 "weekly[0].from", "format"},
		{"{\"timezone\": \"UTC\", \"weekly\": [{\"days\": [1],"
		 " \"from\": \"09:00\", \"to\": \"24:01\"}]}",
		 "weekly[0].to", "format"},
		{"{\"timezone\": \"UTC\", \"weekly\": [{\"days\": [1],"
		 " \"from\": \"24:00\", \"to\": \"10:00\"}]}",
		 "weekly[0].from", "format"},
		{"{\"timezone\": \"UTC\", \"weekly\": [{\"days\": [1],"
		 " \"from\": \"10:00\", \"to\": \"10:00\"}]}",
		 "weekly[0].to", "range"},
		{"{\"timezone\": \"UTC\", \"weekly\": [{\"days\": [1],"
		 " \"from\": \"10:00\", \"to\": \"11:00\", \"y\": 1}]}",
		 "weekly[0]", "type"},
		{"{\"timezone\": \"UTC\", \"exceptions\": [{\"date\":"
		 " \"2026-02-30\", \"closed\": true}]}",
		 "exceptions[0].date", "format"},
		{"{\"timezone\": \"UTC\", \"exceptions\": [{\"date\":"
		 " \"2026-1-01\", \"closed\": true}]}",
		 "exceptions[0].date", "format"},
		{"{\"timezone\": \"UTC\", \"exceptions\": [{\"date\":"
		 " \"2026-10-01\", \"closed\": \"yes\"}]}",
		 "exceptions[0].closed", "type"},
		{"{\"timezone\": \"UTC\", \"exceptions\": [{\"date\":"
		 " \"2026-10-01\", \"closed\": true, \"from\": \"09:00\"}]}",
		 "exceptions[0]", "conflict"},
		{"{\"timezone\": \"UTC\", \"exceptions\": [{\"date\":"
		 " \"2026-10-01\", \"from\": \"12:00\", \"to\": \"09:00\"}]}",
		 "exceptions[0].to", "range"},
		{"{\"timezone\": \"UTC\", \"exceptions\": [{\"date\":"
		 " \"2026-10-01\"}]}", "exceptions[0].from", "format"},
	};
	struct schedule *s;
	struct sched_error e;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		s = NULL;
		memset(&e, 0, sizeof(e));
		assert_int_equal(schedule_parse_text(&s, bad[i].json,
						     strlen(bad[i].json), &e),
				 EINVAL);
		assert_null(s);
		if (strcmp(e.field, bad[i].field) ||
		    strcmp(e.code, bad[i].code))
			fail_msg("%s: got %s/%s want %s/%s", bad[i].json,
				 e.field, e.code, bad[i].field, bad[i].code);
		assert_true(strlen(e.message) > 0);
	}
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_offsets),
		cmocka_unit_test(test_tz_names),
		cmocka_unit_test(test_tz_dst),
		cmocka_unit_test(test_schedule_dst),
		cmocka_unit_test(test_schedule_overnight_and_holidays),
		cmocka_unit_test(test_schedule_bad_input),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	tz_flush();
	return r;
}
