/* Unit tests for number attribution: normalization, BSON and CSV. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "region/region.h"
#include "region/region_int.h"


static void test_normalize(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{"13810001000", "13810001000"},
		{"+86 138 1000 1000", "13810001000"},
		{"+86-138-1000-1000", "13810001000"},
		{"008613810001000", "13810001000"},
		{"8613810001000", "13810001000"},
		{"013810001000", "13810001000"},
		{"010-12345678", "1012345678"},
		{"(0755) 8888 0000", "75588880000"},
		{"+86 10 8888 0000", "1088880000"},
		{"861088880000", "1088880000"},
		{"0086 0755 88880000", "75588880000"},
		{"17951 13810001000", "13810001000"},
		{"1795113810001000", "13810001000"},
		{"17911 010 12345678", "1012345678"},
		{"12593+8613810001000", "13810001000"},
		{"17909 0755 88880000", "75588880000"},
		{"10193 13810001000", "13810001000"},
		{"tel:+86-10-8888-0000", "1088880000"},
		{"sip:13810001000@example.com", "13810001000"},
		{"0755", "755"},
		{"010", "10"},
		{"10", "10"},
		{"1", "1"},
		{"17951", "17951"},
		{"17951234567", "17951234567"},
		{"+1 415 555 0100", "0014155550100"},
		{"+1", "001"},
		{"+86 10", "10"},
		{"+86 0755", "755"},
		{"004930123456", "004930123456"},
		{"95588", "95588"},
		{"4001000100", "4001000100"},
		/* found by fuzz_region: more rounds than a fixed number */
		{"8617951+868617951+868617951+861021028617951",
		 "1021028617951"},
	};
	static const char *const bad[] = {
		"", "abc", "+", "--", "123456789012345678901234567890123",
		"12345678901234567890123456789012345678901234567890",
	};
	char out[REGION_NUM_SZ];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		memset(out, 0, sizeof(out));
		if (region_normalize(out, sizeof(out), ok[i].in))
			fail_msg("%s: refused", ok[i].in);
		if (strcmp(out, ok[i].out))
			fail_msg("%s: %s, not %s", ok[i].in, out, ok[i].out);

		/* normalized numbers normalize to themselves */
		if (ok[i].out[0] != '0') {
			char again[REGION_NUM_SZ];

			assert_int_equal(region_normalize(again,
				sizeof(again), out), 0);
			assert_string_equal(again, out);
		}
	}

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (!region_normalize(out, sizeof(out), bad[i]))
			fail_msg("%s: accepted as %s", bad[i], out);
	}

	assert_int_equal(region_normalize(out, 5, "13810001000"), ENOMEM);
	assert_int_equal(region_normalize(NULL, 5, "1"), EINVAL);
	assert_int_equal(region_normalize(out, 5, NULL), EINVAL);
}


/* A BSON document of string elements, from "key", "value" pairs. */
static size_t bson(uint8_t *buf, size_t sz, const char *const *kv,
		   size_t n)
{
	size_t pos = 4;

	for (size_t i = 0; i + 1 < n; i += 2) {
		size_t kl = strlen(kv[i]) + 1, vl = strlen(kv[i + 1]) + 1;

		assert_true(pos + 1 + kl + 4 + vl + 1 <= sz);
		buf[pos++] = 0x02;
		memcpy(buf + pos, kv[i], kl);
		pos += kl;
		buf[pos++] = (uint8_t)vl;
		buf[pos++] = (uint8_t)(vl >> 8);
		buf[pos++] = 0;
		buf[pos++] = 0;
		memcpy(buf + pos, kv[i + 1], vl);
		pos += vl;
	}
	buf[pos++] = 0;
	buf[0] = (uint8_t)pos;
	buf[1] = (uint8_t)(pos >> 8);
	buf[2] = buf[3] = 0;

	return pos;
}


struct pairs {
	unsigned n;
	char keys[8][32];
	char vals[8][64];
	int fail_at;
};


static int pair_h(const char *key, const char *val, void *arg)
{
	struct pairs *p = arg;

	if (p->fail_at >= 0 && (int)p->n == p->fail_at)
		return ENOSPC;
	if (p->n < 8) {
		str_ncpy(p->keys[p->n], key, sizeof(p->keys[0]));
		str_ncpy(p->vals[p->n], val, sizeof(p->vals[0]));
	}
	++p->n;

	return 0;
}


static int read_doc(const uint8_t *buf, size_t len, struct pairs *p,
		    struct region_bson_err *e)
{
	memset(p, 0, sizeof(*p));
	p->fail_at = -1;
	memset(e, 0, sizeof(*e));

	return region_bson_read(buf, len, pair_h, p, e);
}


static void test_bson_valid(void **state)
{
	static const char *const kv[] = {
		"10", "北京市", "13810", "北京市", "755", "广东省深圳市",
	};
	uint8_t buf[256];
	struct region_bson_err e;
	struct pairs p;
	size_t len;

	(void)state;
	len = bson(buf, sizeof(buf), kv, ARRAY_SIZE(kv));
	assert_int_equal(read_doc(buf, len, &p, &e), 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.keys[0], "10");
	assert_string_equal(p.vals[0], "北京市");
	assert_string_equal(p.keys[2], "755");
	assert_string_equal(p.vals[2], "广东省深圳市");

	/* the empty document */
	len = bson(buf, sizeof(buf), NULL, 0);
	assert_int_equal(len, 5);
	assert_int_equal(read_doc(buf, len, &p, &e), 0);
	assert_int_equal(p.n, 0);

	/* the handler's error stops the read */
	len = bson(buf, sizeof(buf), kv, ARRAY_SIZE(kv));
	memset(&p, 0, sizeof(p));
	p.fail_at = 1;
	assert_int_equal(region_bson_read(buf, len, pair_h, &p, &e), ENOSPC);
	assert_int_equal(p.n, 1);
}


static void expect_bad(const uint8_t *buf, size_t len, const char *why)
{
	struct region_bson_err e;
	struct pairs p;

	assert_int_equal(read_doc(buf, len, &p, &e), EPROTO);
	assert_non_null(e.why);
	if (why && !strstr(e.why, why))
		fail_msg("'%s' is not about '%s'", e.why, why);
	assert_true(e.offset <= len);
}


static void test_bson_malformed(void **state)
{
	static const char *const kv[] = {"10", "北京市", "20", "广州"};
	uint8_t buf[256], copy[256];
	size_t len;

	(void)state;
	len = bson(buf, sizeof(buf), kv, ARRAY_SIZE(kv));

	/* truncated anywhere */
	for (size_t cut = 0; cut < len; cut++) {
		memcpy(copy, buf, cut);
		expect_bad(copy, cut, NULL);
	}

	/* data after the end */
	memcpy(copy, buf, len);
	copy[len] = 0;
	expect_bad(copy, len + 1, "after");

	/* a length shorter than the elements: they run past the end */
	memcpy(copy, buf, len);
	copy[0] = (uint8_t)(len - 3);
	expect_bad(copy, len - 3, NULL);

	/* document length past the data */
	memcpy(copy, buf, len);
	copy[0] = (uint8_t)(len + 10);
	expect_bad(copy, len, "length");
	copy[0] = 0xff;
	copy[3] = 0x7f;
	expect_bad(copy, len, "length");

	/* wrong element type: an int32 (0x10) */
	memcpy(copy, buf, len);
	copy[4] = 0x10;
	expect_bad(copy, len, "not of type string");

	/* a string length past the end, huge, zero */
	memcpy(copy, buf, len);
	copy[8] = 0xf0;
	expect_bad(copy, len, "past");
	copy[8] = 0xff;
	copy[9] = copy[10] = copy[11] = 0xff;
	expect_bad(copy, len, "past");
	copy[8] = copy[9] = copy[10] = copy[11] = 0;
	expect_bad(copy, len, "past");

	/* a string without its NUL */
	memcpy(copy, buf, len);
	copy[8 + 4 + 10 - 1] = 'x';
	expect_bad(copy, len, "NUL");

	/* a NUL inside the value */
	memcpy(copy, buf, len);
	copy[8 + 4 + 2] = 0;
	expect_bad(copy, len, "NUL");

	/* no final NUL */
	memcpy(copy, buf, len);
	copy[len - 1] = 1;
	expect_bad(copy, len, "NUL");

	/* an empty key */
	memcpy(copy, buf, len);
	copy[5] = 0;
	expect_bad(copy, len, NULL);

	/* a key with no NUL before the end */
	{
		static const uint8_t k[] = {9, 0, 0, 0, 2, '1', '2', '3', 0};

		expect_bad(k, sizeof(k), NULL);
	}

	assert_int_equal(region_bson_read(NULL, 5, pair_h, NULL, NULL),
			 EINVAL);
}


struct csv {
	unsigned good, bad;
	char prefix[8][20];
	char region[8][128];
	unsigned good_line[8];
	unsigned bad_line[16];
	char bad_code[16][20];
};


static int csv_good(unsigned line, const char *prefix, const char *region,
		    void *arg)
{
	struct csv *c = arg;

	if (c->good < 8) {
		str_ncpy(c->prefix[c->good], prefix, sizeof(c->prefix[0]));
		str_ncpy(c->region[c->good], region, sizeof(c->region[0]));
		c->good_line[c->good] = line;
	}
	++c->good;

	return 0;
}


static int csv_bad(unsigned line, const char *code, const char *message,
		   void *arg)
{
	struct csv *c = arg;

	assert_non_null(message);
	if (c->bad < 16) {
		c->bad_line[c->bad] = line;
		str_ncpy(c->bad_code[c->bad], code, sizeof(c->bad_code[0]));
	}
	++c->bad;

	return 0;
}


static int csv(struct csv *c, const char *text, size_t len)
{
	memset(c, 0, sizeof(*c));

	return region_csv_read(text, len, csv_good, csv_bad, c);
}


static void test_csv_good(void **state)
{
	static const char text[] =
		"\xef\xbb\xbfprefix,region\r\n"
		"138,北京市\r\n"
		"\r\n"
		"  0755 , \"广东省,深圳市\"\r\n"
		"\"139\",\"说 \"\"你好\"\"\"\n"
		"+86 10,北京\r"
		"021,上海市";
	struct csv c;

	(void)state;
	assert_int_equal(csv(&c, text, sizeof(text) - 1), 0);
	assert_int_equal(c.bad, 0);
	assert_int_equal(c.good, 5);
	assert_string_equal(c.prefix[0], "138");
	assert_string_equal(c.region[0], "北京市");
	assert_int_equal(c.good_line[0], 2);
	assert_string_equal(c.prefix[1], "755");
	assert_string_equal(c.region[1], "广东省,深圳市");
	assert_int_equal(c.good_line[1], 4);
	assert_string_equal(c.region[2], "说 \"你好\"");
	assert_string_equal(c.prefix[3], "10");
	assert_int_equal(c.good_line[3], 6);
	assert_string_equal(c.prefix[4], "21");
	assert_int_equal(c.good_line[4], 7);

	/* no header; the first row is data */
	assert_int_equal(csv(&c, "10,北京\n", 8 + 1), 0);
	assert_int_equal(c.good, 1);

	/* empty and blank files have no rows */
	assert_int_equal(csv(&c, "", 0), 0);
	assert_int_equal(c.good + c.bad, 0);
	assert_int_equal(csv(&c, "\xef\xbb\xbf\r\n \n", 6), 0);
	assert_int_equal(c.good + c.bad, 0);
	assert_int_equal(csv(&c, "prefix,region\n", 14), 0);
	assert_int_equal(c.good + c.bad, 0);
}


static void test_csv_bad(void **state)
{
	static const char text[] =
		"138,北京市\n"                 /* 1 good */
		"abc,北京\n"                   /* 2 prefix */
		",北京\n"                      /* 3 prefix empty */
		"139\n"                        /* 4 columns */
		"139,北京,extra\n"             /* 5 columns */
		"139,\n"                       /* 6 region */
		"139,\"unterminated\n"         /* 7 syntax */
		"139,\"x\"y\n"                 /* 8 syntax */
		"139,a\"b\n"                   /* 9 syntax */
		"12345678901234567,北京\n"     /* 10 prefix too long */
		"139,\xff\xfe\n"               /* 11 not UTF-8 */
		"139,a\x01" "b\n"              /* 12 control */
		"prefix,region\n"              /* 13 a header late: prefix */
		"150,上海\n";                  /* 14 good */
	static const unsigned lines[] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					 13};
	struct csv c;

	(void)state;
	assert_int_equal(csv(&c, text, sizeof(text) - 1), 0);
	assert_int_equal(c.good, 2);
	assert_int_equal(c.good_line[1], 14);
	assert_int_equal(c.bad, ARRAY_SIZE(lines));
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		if (c.bad_line[i] != lines[i])
			fail_msg("error %zu on line %u, not %u", i,
				 c.bad_line[i], lines[i]);
	}
	assert_string_equal(c.bad_code[0], "prefix");
	assert_string_equal(c.bad_code[2], "columns");
	assert_string_equal(c.bad_code[4], "region");
	assert_string_equal(c.bad_code[5], "syntax");

	/* a NUL byte in a line */
	assert_int_equal(csv(&c, "138,a\0b\n139,c\n", 14), 0);
	assert_int_equal(c.bad, 1);
	assert_string_equal(c.bad_code[0], "encoding");
	assert_int_equal(c.good, 1);

	/* a region of 101 characters */
	{
		char t[600] = "138,";

		for (int i = 0; i < 101; i++)
			strcat(t, "中");
		assert_int_equal(csv(&c, t, strlen(t)), 0);
		assert_int_equal(c.bad, 1);
		t[strlen(t) - 3] = '\0';
		assert_int_equal(csv(&c, t, strlen(t)), 0);
		assert_int_equal(c.good, 1);
	}
}


static void test_csv_limits(void **state)
{
	struct mbuf *mb = mbuf_alloc(1 << 20);
	struct csv c;

	(void)state;
	assert_non_null(mb);

	/* a huge line: reported, and the next line still read */
	assert_int_equal(mbuf_write_str(mb, "138,"), 0);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(mbuf_write_u8(mb, 'x'), 0);
	assert_int_equal(mbuf_write_str(mb, "\n139,北京\n"), 0);
	assert_int_equal(csv(&c, (char *)mb->buf, mb->end), 0);
	assert_int_equal(c.bad, 1);
	assert_string_equal(c.bad_code[0], "line_too_long");
	assert_int_equal(c.good, 1);
	assert_int_equal(c.good_line[0], 2);

	/* the row limit */
	mbuf_reset(mb);
	for (int i = 0; i < REGION_CSV_ROWS_MAX; i++)
		assert_int_equal(mbuf_printf(mb, "%d,x\n", 100000 + i), 0);
	assert_int_equal(csv(&c, (char *)mb->buf, mb->end), 0);
	assert_int_equal(c.good, REGION_CSV_ROWS_MAX);
	assert_int_equal(mbuf_write_str(mb, "1,x\n"), 0);
	assert_int_equal(csv(&c, (char *)mb->buf, mb->end), E2BIG);

	mem_deref(mb);
}


static void test_text(void **state)
{
	struct mbuf *mb = mbuf_alloc(64);

	(void)state;
	assert_true(region_text_ok("北京市", 3));
	assert_false(region_text_ok("北京市", 2));
	assert_false(region_text_ok("", 10));
	assert_false(region_text_ok("\xc0\x80", 10));     /* overlong */
	assert_false(region_text_ok("\xed\xa0\x80", 10)); /* surrogate */
	assert_false(region_text_ok("\xe4\xb8", 10));     /* cut */
	assert_false(region_text_ok("a\tb", 10));
	assert_true(region_prefix_ok("1"));
	assert_true(region_prefix_ok("1234567890123456"));
	assert_false(region_prefix_ok("12345678901234567"));
	assert_false(region_prefix_ok(""));
	assert_false(region_prefix_ok("12a"));

	assert_int_equal(region_pgarr_end(mb), 0);
	assert_string_equal((char *)mb->buf, "{}");
	mbuf_reset(mb);
	assert_int_equal(region_pgarr_add(mb, "a\"b\\c"), 0);
	assert_int_equal(region_pgarr_add(mb, "北京, 市"), 0);
	assert_int_equal(region_pgarr_end(mb), 0);
	assert_string_equal((char *)mb->buf, "{\"a\\\"b\\\\c\",\"北京, 市\"}");
	mem_deref(mb);
}


/* What spreadsheets on Chinese Windows save: GBK, read as GB18030. */
static void test_encodings(void **state)
{
	/* "755,深圳\r\n" in GBK */
	static const char gbk[] = "755,\xc9\xee\xdb\xda\r\n";
	struct mbuf *mb = NULL;

	(void)state;
	assert_true(region_utf8_ok("", 0));
	assert_true(region_utf8_ok("北京,\0\r\n", 11));
	assert_false(region_utf8_ok(gbk, sizeof(gbk) - 1));
	assert_false(region_utf8_ok("\xe4\xb8", 2));        /* cut at end */
	assert_false(region_utf8_ok("a\xe4", 2));
	assert_false(region_utf8_ok("\xc0\x80", 2));

	assert_int_equal(region_gb18030_to_utf8(&mb, gbk, sizeof(gbk) - 1),
			 0);
	assert_string_equal((char *)mb->buf, "755,深圳\r\n");
	assert_int_equal(mb->end, strlen("755,深圳\r\n"));
	mb = mem_deref(mb);

	/* not GB18030 either: a lone lead byte at the end, 0xff */
	assert_int_equal(region_gb18030_to_utf8(&mb, "a\xc9", 2), EILSEQ);
	assert_null(mb);
	assert_int_equal(region_gb18030_to_utf8(&mb, "\xff\xff", 2), EILSEQ);
	assert_int_equal(region_gb18030_to_utf8(&mb, "", 0), 0);
	assert_int_equal(mb->end, 0);
	mem_deref(mb);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_bson_valid),
		cmocka_unit_test(test_bson_malformed),
		cmocka_unit_test(test_csv_good),
		cmocka_unit_test(test_csv_bad),
		cmocka_unit_test(test_csv_limits),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_encodings),
	};
	int r;

	r = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();

	return r;
}
