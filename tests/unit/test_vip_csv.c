/* Unit tests for VIP caller lists (acdcfg/vip_csv.c): rows, every kind
 * of bad line, and limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "acdcfg/vip_csv.h"

static json_t *rows, *errors;


static void parse(const char *text, size_t len)
{
	json_decref(rows);
	json_decref(errors);
	rows = json_array();
	errors = json_array();
	assert_int_equal(vip_csv_parse(text, len, rows, errors), 0);
}


static void parse_s(const char *text)
{
	parse(text, strlen(text));
}


static void expect_row(size_t i, const char *number, int prio,
		       const char *note)
{
	json_t *r = json_array_get(rows, i);

	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "number")),
			    number);
	assert_int_equal(json_integer_value(json_object_get(r, "priority")),
			 prio);
	assert_string_equal(json_string_value(json_object_get(r, "note")),
			    note);
}


static void expect_error(size_t i, int line, const char *field,
			 const char *code)
{
	json_t *e = json_array_get(errors, i);

	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(e, "line")), line);
	assert_string_equal(json_string_value(json_object_get(e, "field")),
			    field);
	assert_string_equal(json_string_value(json_object_get(e, "code")),
			    code);
	assert_true(strlen(json_string_value(json_object_get(e,
							     "message"))) > 0);
}


static void test_rows(void **state)
{
	(void)state;

	parse_s("\xef\xbb\xbfNumber,priority,note\r\n"
		"13800138000,50,\"老客户, 北京\"\r\n"
		"\r\n"
		"  010-6552 9988 , , \n"
		"4001234567,100,\"说 \"\"加急\"\"\"\n"
		"13600136000");
	assert_int_equal(json_array_size(errors), 0);
	assert_int_equal(json_array_size(rows), 4);
	expect_row(0, "13800138000", 50, "老客户, 北京");
	expect_row(2, "4001234567", 100, "说 \"加急\"");
	expect_row(3, "13600136000", VIP_PRIORITY_DEFAULT, "");
	assert_int_equal(strspn(json_string_value(json_object_get(
		json_array_get(rows, 1), "number")), "0123456789"),
		strlen(json_string_value(json_object_get(
		json_array_get(rows, 1), "number"))));
}


static void test_header_only_first(void **state)
{
	(void)state;

	/* "number" on a later line is a bad number, not a header */
	parse_s("13800138000\nnumber,priority,note\n");
	assert_int_equal(json_array_size(rows), 1);
	assert_int_equal(json_array_size(errors), 2);
	expect_error(0, 2, "number", "format");
	expect_error(1, 2, "priority", "range");
}


static void test_bad_lines(void **state)
{
	char note[260];

	(void)state;

	memset(note, 'x', 201);
	note[201] = '\0';
	{
		char text[1024];

		(void)snprintf(text, sizeof(text),
			       "12,5,short\n"
			       "13700137000,0,zero\n"
			       "13700137001,101,\n"
			       "13700137002,abc,\n"
			       "13700137003,-5,\n"
			       "13700137004,5,a,b\n"
			       "13700137005,5,\"open\n"
			       "13700137006,5,\"x\"y\n"
			       "13700137007,5,%s\n"
			       "13700137008,5,ctl\x01\n"
			       "13700137009,5,bad \xff utf8\n"
			       "1370013700a,5,\n"
			       "137001370091234567890,5,\n"
			       "13700137010,5,ok\n"
			       "137-0013-7010,6,again\n"
			       "13700137011,99999999999999999999,\n",
			       note);
		parse_s(text);
	}
	assert_int_equal(json_array_size(rows), 1);
	expect_row(0, "13700137010", 5, "ok");
	expect_error(0, 1, "number", "format");
	expect_error(1, 2, "priority", "range");
	expect_error(2, 3, "priority", "range");
	expect_error(3, 4, "priority", "range");
	expect_error(4, 5, "priority", "range");
	expect_error(5, 6, "line", "columns");
	expect_error(6, 7, "line", "quote");
	expect_error(7, 8, "line", "quote");
	expect_error(8, 9, "note", "length");
	expect_error(9, 10, "note", "format");
	expect_error(10, 11, "note", "format");
	expect_error(11, 12, "number", "format");
	expect_error(12, 13, "number", "format");
	expect_error(13, 15, "number", "duplicate");
	expect_error(14, 16, "priority", "range");
	assert_int_equal(json_array_size(errors), 15);
}


static void test_two_errors_one_line(void **state)
{
	(void)state;

	parse_s("12,0,ok\n");
	assert_int_equal(json_array_size(errors), 2);
	expect_error(0, 1, "number", "format");
	expect_error(1, 1, "priority", "range");
}


static void test_empty(void **state)
{
	(void)state;

	parse("", 0);
	expect_error(0, 0, "line", "empty");
	parse_s("\n \n\t\n");
	expect_error(0, 3, "line", "empty");
	parse_s("number,priority,note\n");
	expect_error(0, 1, "line", "empty");
	parse_s("\xef\xbb\xbf");
	assert_int_equal(json_array_size(errors), 1);
}


static void test_nul_and_long(void **state)
{
	static const char nul[] = "13800138000,5,a\0b\n13900139000\n";
	char *big = malloc(5000);

	(void)state;

	parse(nul, sizeof(nul) - 1);
	assert_int_equal(json_array_size(rows), 1);
	expect_error(0, 1, "line", "format");

	assert_non_null(big);
	memset(big, '1', 4999);
	big[4999] = '\0';
	parse_s(big);
	assert_int_equal(json_array_size(rows), 0);
	expect_error(0, 1, "line", "length");

	big[0] = '"';
	parse_s(big);
	expect_error(0, 1, "line", "quote");
	free(big);
}


static void test_limits(void **state)
{
	size_t n = VIP_CSV_ROWS_MAX + 5, len = 0;
	char *text = malloc(n * 13 + 1);

	(void)state;

	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "1380%07zu\n", i);
	parse(text, len);
	assert_int_equal(json_array_size(rows), VIP_CSV_ROWS_MAX);
	assert_int_equal(json_array_size(errors), 5);
	expect_error(0, VIP_CSV_ROWS_MAX + 1, "line", "too_many");

	/* errors stop being recorded past the cap, rows too */
	len = 0;
	for (size_t i = 0; i < 300; i++)
		len += (size_t)sprintf(text + len, "x%zu\n", i);
	parse(text, len);
	assert_int_equal(json_array_size(errors), VIP_CSV_ERRORS_MAX);
	assert_int_equal(json_array_size(rows), 0);
	free(text);
}


static void test_number_norm(void **state)
{
	char out[40];

	(void)state;

	assert_int_equal(vip_number_norm(out, sizeof(out), "13800138000"), 0);
	assert_string_equal(out, "13800138000");
	assert_int_equal(vip_number_norm(out, sizeof(out), "12"), EINVAL);
	assert_int_equal(vip_number_norm(out, sizeof(out), "abc"), EINVAL);
	assert_int_equal(vip_number_norm(out, sizeof(out), ""), EINVAL);
	assert_int_equal(vip_number_norm(out, sizeof(out), NULL), EINVAL);
	assert_int_equal(vip_number_norm(out, sizeof(out),
					 "123456789012345678901"), EINVAL);
}


static int teardown(void **state)
{
	(void)state;
	json_decref(rows);
	json_decref(errors);
	rows = errors = NULL;
	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_header_only_first),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_two_errors_one_line),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_nul_and_long),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_number_norm),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
