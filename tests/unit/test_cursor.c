/* Unit tests for pagination cursors and limits (http/cursor.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "http/cursor.h"

#define TS  "2026-01-02 03:04:05.123456+00"
#define UID "3f2a0c1e-9b7d-4c55-8a1e-0123456789ab"


static void test_roundtrip(void **state)
{
	char cur[CURSOR_MAX + 1], ts[64], id[64];
	static const char *const tsv[] = {TS, "x", "a~b c", "?\?>>", ">"};

	(void)state;
	for (size_t i = 0; i < sizeof(tsv) / sizeof(tsv[0]); i++) {
		assert_int_equal(cursor_encode(cur, sizeof(cur), tsv[i], UID),
				 0);
		/* URL-safe: no +, /, = */
		assert_null(strpbrk(cur, "+/="));
		assert_int_equal(cursor_decode(cur, ts, sizeof(ts), id,
					       sizeof(id)), 0);
		assert_string_equal(ts, tsv[i]);
		assert_string_equal(id, UID);
	}

	/* "?\?>>|>" encodes to characters that differ in base64url */
	assert_int_equal(cursor_encode(cur, sizeof(cur), "?\?>>", ">"), 0);
	assert_string_equal(cur, "Pz8-Pnw-");
}


static void test_encode_bad(void **state)
{
	char cur[CURSOR_MAX + 1], small[8];
	char big[300];

	(void)state;
	assert_int_equal(cursor_encode(cur, sizeof(cur), "", UID), EINVAL);
	assert_int_equal(cursor_encode(cur, sizeof(cur), TS, ""), EINVAL);
	assert_int_equal(cursor_encode(cur, sizeof(cur), "a|b", UID), EINVAL);
	assert_int_equal(cursor_encode(cur, sizeof(cur), TS, "a\nb"), EINVAL);
	assert_int_equal(cursor_encode(cur, sizeof(cur), NULL, UID), EINVAL);
	assert_int_equal(cursor_encode(NULL, 10, TS, UID), EINVAL);
	assert_int_equal(cursor_encode(small, sizeof(small), TS, UID),
			 ENOSPC);

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_not_equal(cursor_encode(cur, sizeof(cur), big, UID), 0);
}


static void expect_garbage(const char *c)
{
	char ts[64] = "keep", id[64] = "keep";

	if (cursor_decode(c, ts, sizeof(ts), id, sizeof(id)) != EINVAL)
		fail_msg("cursor \"%s\" was accepted", c);
	assert_string_equal(ts, "keep");
	assert_string_equal(id, "keep");
}


static void test_decode_garbage(void **state)
{
	char cur[CURSOR_MAX + 1], ts[8], id[64], big[400];

	(void)state;
	expect_garbage("");
	expect_garbage("!!!!");
	expect_garbage("abc");           /* binary, no bar */
	expect_garbage("YWJj");          /* "abc": no bar */
	expect_garbage("fGFi");          /* "|ab": empty created_at */
	expect_garbage("YWJ8");          /* "ab|": empty id */
	expect_garbage("YXxifGM");       /* "a|b|c": bar in id */
	expect_garbage("YQp8Yg");        /* "a\n|b": control character */
	expect_garbage("YXxi==");        /* padding is not ours */
	expect_garbage("YXxi+");         /* standard alphabet */
	expect_garbage("YXxiA");         /* 5 chars: impossible length */
	expect_garbage("YXx i");
	memset(big, 'Q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_garbage(big);

	assert_int_equal(cursor_decode(NULL, id, sizeof(id), id, sizeof(id)),
			 EINVAL);

	/* valid cursor, but caller's buffer too small: rejected */
	assert_int_equal(cursor_encode(cur, sizeof(cur), TS, UID), 0);
	assert_int_equal(cursor_decode(cur, ts, sizeof(ts), id, sizeof(id)),
			 EINVAL);
}


static void test_noncanonical(void **state)
{
	char ts[64], id[64];

	(void)state;
	/* "ab|c" is YWJ8Yw; YWJ8Yx differs only in unused low bits of the
	 * last character and decodes to the same bytes: refused */
	assert_int_equal(cursor_decode("YWJ8Yw", ts, sizeof(ts), id,
				       sizeof(id)), 0);
	assert_string_equal(ts, "ab");
	assert_string_equal(id, "c");
	assert_int_equal(cursor_decode("YWJ8Yx", ts, sizeof(ts), id,
				       sizeof(id)), EINVAL);
}


static void test_limit(void **state)
{
	unsigned l = 7;

	(void)state;
	assert_int_equal(cursor_parse_limit(NULL, 50, 200, &l), 0);
	assert_int_equal(l, 50);
	assert_int_equal(cursor_parse_limit("1", 50, 200, &l), 0);
	assert_int_equal(l, 1);
	assert_int_equal(cursor_parse_limit("200", 50, 200, &l), 0);
	assert_int_equal(l, 200);

	l = 7;
	assert_int_equal(cursor_parse_limit("201", 50, 200, &l), EINVAL);
	assert_int_equal(cursor_parse_limit("0", 50, 200, &l), EINVAL);
	assert_int_equal(cursor_parse_limit("-1", 50, 200, &l), EINVAL);
	assert_int_equal(cursor_parse_limit("abc", 50, 200, &l), EINVAL);
	assert_int_equal(cursor_parse_limit("", 50, 200, &l), EINVAL);
	assert_int_equal(cursor_parse_limit("+5", 50, 200, &l), EINVAL);
	assert_int_equal(cursor_parse_limit(" 5", 50, 200, &l), EINVAL);
	assert_int_equal(cursor_parse_limit("5 ", 50, 200, &l), EINVAL);
	assert_int_equal(cursor_parse_limit("1.5", 50, 200, &l), EINVAL);
	assert_int_equal(cursor_parse_limit("4294967297", 50, 200, &l),
			 EINVAL);
	assert_int_equal(cursor_parse_limit("99999999999999999999", 50, 200,
					    &l), EINVAL);
	assert_int_equal(l, 7);
	assert_int_equal(cursor_parse_limit("5", 50, 200, NULL), EINVAL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_encode_bad),
		cmocka_unit_test(test_decode_garbage),
		cmocka_unit_test(test_noncanonical),
		cmocka_unit_test(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
