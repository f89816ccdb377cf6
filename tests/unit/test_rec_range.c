/* Unit tests for the recording audio's Range parser (rec_range.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "recording/rec_range.h"

#define SIZE 1000u


static void expect_one(const char *hdr, uint64_t size, uint64_t first,
		       uint64_t last)
{
	uint64_t f = 7, l = 7;

	assert_int_equal(rec_range_parse(hdr, size, &f, &l), REC_RANGE_ONE);
	assert_int_equal(f, first);
	assert_int_equal(l, last);
}


static void expect_kind(const char *hdr, uint64_t size, enum rec_range k)
{
	uint64_t f = 7, l = 7;

	assert_int_equal(rec_range_parse(hdr, size, &f, &l), k);
	if (k != REC_RANGE_ONE) {
		/* nothing written when there is no range to send */
		assert_int_equal(f, 7);
		assert_int_equal(l, 7);
	}
}


static void test_single(void **state)
{
	(void)state;
	expect_one("bytes=0-", SIZE, 0, 999);
	expect_one("bytes=0-0", SIZE, 0, 0);
	expect_one("bytes=10-19", SIZE, 10, 19);
	expect_one("bytes=999-", SIZE, 999, 999);
	expect_one("bytes=500-5000", SIZE, 500, 999);
	expect_one("bytes=-1", SIZE, 999, 999);
	expect_one("bytes=-100", SIZE, 900, 999);
	expect_one("bytes=-1000", SIZE, 0, 999);
	expect_one("bytes=-5000", SIZE, 0, 999);
	expect_one("Bytes=1-2", SIZE, 1, 2);
	expect_one("bytes= 1-2 ", SIZE, 1, 2);
	expect_one("bytes=1-2,", SIZE, 1, 2);
	expect_one("bytes=,1-2", SIZE, 1, 2);
	/* a last byte past any 64-bit size is still well-formed */
	expect_one("bytes=5-999999999999999999999999999", SIZE, 5, 999);
}


static void test_unsatisfiable(void **state)
{
	(void)state;
	expect_kind("bytes=1000-", SIZE, REC_RANGE_UNSAT);
	expect_kind("bytes=1000-2000", SIZE, REC_RANGE_UNSAT);
	expect_kind("bytes=-0", SIZE, REC_RANGE_UNSAT);
	expect_kind("bytes=0-", 0, REC_RANGE_UNSAT);
	expect_kind("bytes=-5", 0, REC_RANGE_UNSAT);
	/* overflowing digits saturate: far past the end */
	expect_kind("bytes=99999999999999999999999999-", SIZE,
		    REC_RANGE_UNSAT);
	expect_kind("bytes=18446744073709551615-", SIZE, REC_RANGE_UNSAT);
}


/* RFC 9110: a Range that does not parse is ignored (200, the whole) */
static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "bytes", "bytes=", "bytes= ", "bytes=,", "bytes=-",
		"bytes=abc", "bytes=1", "bytes=a-b", "bytes=1-a",
		"bytes=5-4", "bytes=-5-10", "bytes=--5", "bytes=+1-2",
		"bytes=1 -2", "bytes=1- 2", "bytes=1-2x", "bytes=0x10-",
		"bytes=1-2;3", "bits=0-1", "items=0-", "bytes 0-1",
		"bytes=\t", "bytes=1-2 3-4", "=0-1", "bytes=-1-",
		"bytes=99999999999999999999-1",
		"bytes=\xff\xfe",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_kind(bad[i], SIZE, REC_RANGE_NONE);

	expect_kind(NULL, SIZE, REC_RANGE_NONE);
}


/* several ranges: the whole file, never a multipart reply */
static void test_several(void **state)
{
	(void)state;
	expect_kind("bytes=0-1,5-6", SIZE, REC_RANGE_NONE);
	expect_kind("bytes=0-1, -5", SIZE, REC_RANGE_NONE);
	expect_kind("bytes=2000-,3000-", SIZE, REC_RANGE_NONE);
	expect_kind("bytes=0-1,bad", SIZE, REC_RANGE_NONE);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_unsatisfiable),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_several),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
