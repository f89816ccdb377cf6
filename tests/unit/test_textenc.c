/* Unit tests for text encodings (core/textenc.c): strict UTF-8, GBK
 * and GB18030 found and converted, cut and invalid bytes refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "core/textenc.h"

/* "张三,李四\n" in GBK */
static const char gbk[] = "\xd5\xc5\xc8\xfd,\xc0\xee\xcb\xc4\n";
/* U+20000 (𠀀), outside GBK: four bytes in GB18030 */
static const char gb4[] = "\x95\x32\x82\x36";


static void test_names(void **state)
{
	enum textenc e = TEXTENC_UTF8;

	(void)state;

	assert_int_equal(textenc_parse(&e, "auto"), 0);
	assert_int_equal(e, TEXTENC_AUTO);
	assert_int_equal(textenc_parse(&e, "UTF-8"), 0);
	assert_int_equal(e, TEXTENC_UTF8);
	assert_int_equal(textenc_parse(&e, "gbk"), 0);
	assert_int_equal(e, TEXTENC_GBK);
	assert_int_equal(textenc_parse(&e, "GB18030"), 0);
	assert_int_equal(e, TEXTENC_GB18030);
	assert_int_equal(textenc_parse(&e, "latin1"), EINVAL);
	assert_int_equal(textenc_parse(&e, ""), EINVAL);
	assert_int_equal(textenc_parse(&e, NULL), EINVAL);
	assert_string_equal(textenc_name(TEXTENC_GBK), "gbk");
	assert_string_equal(textenc_name(TEXTENC_UTF8), "utf-8");
}


static void test_utf8_strict(void **state)
{
	(void)state;

	assert_true(textenc_utf8_ok("", 0));
	assert_true(textenc_utf8_ok("a\0b", 3));
	assert_true(textenc_utf8_ok("张三 \xf0\x9f\x98\x80", 11));
	assert_true(textenc_utf8_ok("\xef\xbb\xbf" "a", 4));
	/* cut in the middle of a character, at the end or before ASCII */
	assert_false(textenc_utf8_ok("张", 2));
	assert_false(textenc_utf8_ok("a\xe5\xbc", 3));
	assert_false(textenc_utf8_ok("\xe5\xbc" "a", 3));
	assert_false(textenc_utf8_ok("\xf0\x9f\x98", 3));
	/* overlong, surrogate, past U+10FFFF, lone continuation */
	assert_false(textenc_utf8_ok("\xc0\xaf", 2));
	assert_false(textenc_utf8_ok("\xe0\x80\xaf", 3));
	assert_false(textenc_utf8_ok("\xed\xa0\x80", 3));
	assert_false(textenc_utf8_ok("\xf4\x90\x80\x80", 4));
	assert_false(textenc_utf8_ok("\x80", 1));
	assert_false(textenc_utf8_ok("\xff", 1));
	assert_false(textenc_utf8_ok(gbk, sizeof(gbk) - 1));

	assert_int_equal(textenc_utf8_len("张", 3), 3);
	assert_int_equal(textenc_utf8_len("张", 2), 0);
	assert_int_equal(textenc_utf8_len("a", 0), 0);
}


static struct mbuf *to_utf8(const char *buf, size_t len, enum textenc enc,
			    enum textenc *usedp, int want_err)
{
	struct mbuf *mb = (struct mbuf *)1;

	assert_int_equal(textenc_to_utf8(&mb, usedp, buf, len, enc),
			 want_err);

	return mb;
}


static void expect_text(struct mbuf *mb, const char *text)
{
	assert_non_null(mb);
	assert_int_equal(mb->end, strlen(text));
	assert_memory_equal(mb->buf, text, mb->end);
	mem_deref(mb);
}


static void test_detect(void **state)
{
	enum textenc used = TEXTENC_AUTO;
	struct mbuf *mb;

	(void)state;

	/* UTF-8 is read in place */
	mb = to_utf8("张三,1\n", 9, TEXTENC_AUTO, &used, 0);
	assert_null(mb);
	assert_int_equal(used, TEXTENC_UTF8);

	/* GBK is found and converted */
	mb = to_utf8(gbk, sizeof(gbk) - 1, TEXTENC_AUTO, &used, 0);
	assert_int_equal(used, TEXTENC_GB18030);
	expect_text(mb, "张三,李四\n");

	/* as asked */
	mb = to_utf8(gbk, sizeof(gbk) - 1, TEXTENC_GBK, &used, 0);
	assert_int_equal(used, TEXTENC_GBK);
	expect_text(mb, "张三,李四\n");
	mb = to_utf8(gb4, 4, TEXTENC_GB18030, &used, 0);
	expect_text(mb, "\xf0\xa0\x80\x80");

	/* told UTF-8, given GBK */
	mb = to_utf8(gbk, sizeof(gbk) - 1, TEXTENC_UTF8, &used, EILSEQ);
	assert_null(mb);

	/* ASCII reads the same in GBK */
	mb = to_utf8("a,b\n", 4, TEXTENC_GBK, &used, 0);
	expect_text(mb, "a,b\n");

	/* empty */
	mb = to_utf8("", 0, TEXTENC_AUTO, NULL, 0);
	assert_null(mb);
}


static void test_bad_bytes(void **state)
{
	struct mbuf *mb;

	(void)state;

	/* GBK cut after a lead byte: neither UTF-8 nor whole GB18030 */
	mb = to_utf8(gbk, 3, TEXTENC_AUTO, NULL, EILSEQ);
	assert_null(mb);
	mb = to_utf8(gbk, 3, TEXTENC_GBK, NULL, EILSEQ);
	assert_null(mb);
	/* a four-byte GB18030 sequence cut short */
	mb = to_utf8(gb4, 3, TEXTENC_GB18030, NULL, EILSEQ);
	assert_null(mb);
	/* 0xff is no lead byte in GB18030 */
	mb = to_utf8("a\xff\xff" "b", 4, TEXTENC_AUTO, NULL, EILSEQ);
	assert_null(mb);

	assert_int_equal(textenc_to_utf8(NULL, NULL, "", 0, TEXTENC_AUTO),
			 EINVAL);
}


static void test_big(void **state)
{
	size_t n = 300000;
	struct mbuf *in = mbuf_alloc(n * 9);
	struct mbuf *mb;

	(void)state;

	/* far past the first output guess: the buffer grows */
	assert_non_null(in);
	for (size_t i = 0; i < n / 10; i++)
		assert_int_equal(mbuf_write_mem(in, (const uint8_t *)gbk,
						sizeof(gbk) - 1), 0);
	mb = to_utf8((const char *)in->buf, in->end, TEXTENC_AUTO, NULL, 0);
	assert_non_null(mb);
	assert_int_equal(mb->end, (n / 10) * 14);
	assert_memory_equal(mb->buf + mb->end - 14, "张三,李四\n", 14);
	mem_deref(mb);
	mem_deref(in);
}


static void test_from_utf8(void **state)
{
	struct mbuf *mb = mbuf_alloc(4);

	(void)state;

	assert_non_null(mb);
	assert_int_equal(textenc_from_utf8(mb, "张三,李四\n", 14,
					   TEXTENC_GBK), 0);
	assert_int_equal(mb->end, sizeof(gbk) - 1);
	assert_memory_equal(mb->buf, gbk, mb->end);

	/* appends; a character GBK lacks is kept (GB18030) */
	assert_int_equal(textenc_from_utf8(mb, "\xf0\xa0\x80\x80", 4,
					   TEXTENC_GBK), 0);
	assert_memory_equal(mb->buf + sizeof(gbk) - 1, gb4, 4);

	mb->pos = mb->end = 0;
	assert_int_equal(textenc_from_utf8(mb, "张", 3, TEXTENC_UTF8), 0);
	assert_int_equal(mb->end, 3);
	assert_int_equal(textenc_from_utf8(mb, "\xe5\xbc", 2, TEXTENC_GBK),
			 EILSEQ);
	mem_deref(mb);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_utf8_strict),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_from_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
