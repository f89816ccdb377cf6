/* Unit tests for the CSV reader (core/csv.c): quoting, line breaks,
 * the BOM, bad records and where reading resumes, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include "core/csv.h"

static struct csv *csv;


static void open_n(const char *text, size_t len,
		   const struct csv_limits *lim)
{
	csv = mem_deref(csv);
	assert_int_equal(csv_alloc(&csv, text, len, lim), 0);
}


static void open_s(const char *text)
{
	open_n(text, strlen(text), NULL);
}


/* The next record is at line with exactly the given fields (NULL-ended). */
static void expect(unsigned line, ...)
{
	va_list ap;
	unsigned i = 0;
	const char *f;

	assert_int_equal(csv_next(csv), 0);
	assert_int_equal(csv_line(csv), line);

	va_start(ap, line);
	while ((f = va_arg(ap, const char *)) != NULL) {
		assert_string_equal(csv_field(csv, i), f);
		assert_int_equal(csv_field_len(csv, i), strlen(f));
		i++;
	}
	va_end(ap);

	assert_int_equal(csv_count(csv), i);
}


static void expect_bad(unsigned line, const char *code)
{
	const struct csv_error *e;

	assert_int_equal(csv_next(csv), EBADMSG);
	e = csv_error(csv);
	assert_int_equal(e->line, line);
	assert_string_equal(e->code, code);
	assert_true(strlen(e->message) > 10);
}


static void open_lim(const char *text, const struct csv_limits *lim)
{
	open_n(text, strlen(text), lim);
}


static void expect_end(void)
{
	assert_int_equal(csv_next(csv), ENODATA);
	assert_int_equal(csv_next(csv), ENODATA);
}


static void test_plain(void **state)
{
	(void)state;

	open_s("name,phone\r\n张三,13800138000\r\n李四,\r\n,\n");
	expect(1, "name", "phone", NULL);
	expect(2, "张三", "13800138000", NULL);
	expect(3, "李四", "", NULL);
	expect(4, "", "", NULL);
	expect_end();

	/* no line break after the last record; a lone CR ends a line */
	open_s("a,b\rc,d");
	expect(1, "a", "b", NULL);
	expect(2, "c", "d", NULL);
	expect_end();

	/* spaces are data, as RFC 4180 says */
	open_s(" a , b \n");
	expect(1, " a ", " b ", NULL);
	expect_end();
}


static void test_quotes(void **state)
{
	(void)state;

	open_s("\"a,b\",\"say \"\"hi\"\"\",\"\"\n"
	       "\"\"\"\",x\n");
	expect(1, "a,b", "say \"hi\"", "", NULL);
	expect(2, "\"", "x", NULL);
	expect_end();
}


static void test_newlines_in_quotes(void **state)
{
	(void)state;

	open_s("name,notes\r\n"
	       "王五,\"第一行\r\n第二行\n第三行\"\r\n"
	       "赵六,\"a\rb\"\r\n"
	       "next,line\n");
	expect(1, "name", "notes", NULL);
	expect(2, "王五", "第一行\r\n第二行\n第三行", NULL);
	expect(5, "赵六", "a\rb", NULL);
	expect(7, "next", "line", NULL);
	expect_end();
}


static void test_bom_and_empty(void **state)
{
	(void)state;

	open_s("\xef\xbb\xbfname,phone\n");
	expect(1, "name", "phone", NULL);
	expect_end();

	open_n("", 0, NULL);
	expect_end();

	open_s("\xef\xbb\xbf");
	expect_end();

	open_s("\n\r\n\n");
	expect_end();

	/* empty lines between records are skipped, counted as lines */
	open_s("a\n\n\r\nb\n\n");
	expect(1, "a", NULL);
	expect(4, "b", NULL);
	expect_end();

	/* only the first BOM is one */
	open_s("\xef\xbb\xbf\xef\xbb\xbf" "a\n");
	expect(1, "\xef\xbb\xbf" "a", NULL);
	expect_end();
}


static void test_quote_spaces(void **state)
{
	struct csv_limits lim = {0, 0, true};

	(void)state;

	open_lim(" \"a, b\" ,\t\"c\"\t, d \n\"x\" y\n", &lim);
	expect(1, "a, b", "c", " d ", NULL);
	expect_bad(2, "text_after_quote");
	expect_end();

	/* without it, the spaces are text and the quote is stray */
	open_s(" \"a\",b\n");
	expect_bad(1, "stray_quote");
	expect_end();
}


static void test_ragged(void **state)
{
	(void)state;

	/* the reader reports what is there; the caller judges widths */
	open_s("a,b,c\n1\n1,2,3,4\n");
	expect(1, "a", "b", "c", NULL);
	expect(2, "1", NULL);
	expect(3, "1", "2", "3", "4", NULL);
	expect_end();
}


static void test_bad_records(void **state)
{
	static const char nul[] = "a\0b,1\n\"x\0\",2\n\"y\"\0\nc,3";

	(void)state;

	open_s("ok,1\n"
	       "bad\"quote,2\n"
	       "\"closed\"x,3\n"
	       "\"closed\" ,3\n"
	       "fine,4\n");
	expect(1, "ok", "1", NULL);
	expect_bad(2, "stray_quote");
	expect_bad(3, "text_after_quote");
	expect_bad(4, "text_after_quote");
	expect(5, "fine", "4", NULL);
	expect_end();

	/* an opening quote never closed costs its own line only */
	open_s("a,\"never closed\nb,2\nc,3\n");
	expect_bad(1, "unterminated_quote");
	expect(2, "b", "2", NULL);
	expect(3, "c", "3", NULL);
	expect_end();

	/* a NUL byte, quoted or not */
	open_n(nul, sizeof(nul) - 1, NULL);
	expect_bad(1, "nul_byte");
	expect_bad(2, "nul_byte");
	expect_bad(3, "nul_byte");
	expect(4, "c", "3", NULL);
	expect_end();

	/* a bad record with CRLF resumes at the next line */
	open_s("x\"y\r\nz\r\n");
	expect_bad(1, "stray_quote");
	expect(2, "z", NULL);
	expect_end();
}


static void test_limits(void **state)
{
	struct csv_limits lim = {16, 3, false};
	char *big;

	(void)state;

	open_lim("1,2,3\n1,2,3,4\n1,2\n", &lim);
	expect(1, "1", "2", "3", NULL);
	expect_bad(2, "too_many_columns");
	expect(3, "1", "2", NULL);
	expect_end();

	open_lim("0123456789abcdef\n0123456789abcdefg\n\"0123456789\n"
		 "abcdefgh\"\nok\n", &lim);
	expect(1, "0123456789abcdef", NULL);
	expect_bad(2, "record_too_long");
	expect_bad(3, "record_too_long");
	expect_bad(4, "stray_quote");   /* inside the failed record */
	expect(5, "ok", NULL);
	expect_end();

	/* a stray opening quote in a big file stops at the record limit
	 * instead of swallowing the file */
	big = malloc(4 * 100000 + 2);
	assert_non_null(big);
	big[0] = '"';
	for (size_t i = 0; i < 100000; i++)
		memcpy(big + 1 + 4 * i, "a,b\n", 4);
	open_n(big, 4 * 100000 + 1, &lim);
	expect_bad(1, "record_too_long");
	for (unsigned i = 2; i <= 100000; i++)
		expect(i, "a", "b", NULL);
	expect_end();
	free(big);
}


static void test_default_limits(void **state)
{
	size_t n = 70 * 1024;
	char *big = malloc(n + 8);
	unsigned i;

	(void)state;

	assert_non_null(big);
	memset(big, 'x', n);
	memcpy(big + n, "\nok\n", 4);
	open_n(big, n + 4, NULL);
	expect_bad(1, "record_too_long");
	expect(2, "ok", NULL);
	expect_end();

	/* 256 fields are fine, 257 are not */
	for (i = 0; i < 257; i++)
		big[i * 2] = 'a', big[i * 2 + 1] = ',';
	big[256 * 2 - 1] = '\n';
	big[256 * 2 + 1] = '\n';
	open_n(big, 257 * 2, NULL);
	assert_int_equal(csv_next(csv), 0);
	assert_int_equal(csv_count(csv), 256);
	assert_string_equal(csv_field(csv, 255), "a");
	assert_string_equal(csv_field(csv, 256), "");
	expect(2, "a", NULL);
	expect_end();

	big[256 * 2 - 1] = ',';
	open_n(big, 257 * 2, NULL);
	expect_bad(1, "too_many_columns");
	expect_end();
	free(big);

	assert_int_equal(csv_alloc(NULL, "", 0, NULL), EINVAL);
	assert_int_equal(csv_next(NULL), EINVAL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_newlines_in_quotes),
		cmocka_unit_test(test_bom_and_empty),
		cmocka_unit_test(test_quote_spaces),
		cmocka_unit_test(test_ragged),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_default_limits),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	mem_deref(csv);

	return rc;
}
