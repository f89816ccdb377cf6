/* Text checks for imported rows, and PostgreSQL array literals. */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "region/region_int.h"


/* Bytes of the UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned c = s[0];
	unsigned cp;

	if (c < 0x80)
		return 1;
	else if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;

	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}

	/* overlong, surrogates, past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;

	return n;
}


/**
 * True if s is valid UTF-8 of 1 to max_chars characters without control
 * characters.
 */
bool region_text_ok(const char *s, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	if (!s || !*s)
		return false;

	while (*p) {
		size_t n = utf8_len(p);

		if (!n || *p < 0x20 || *p == 0x7f)
			return false;
		p += n;
		if (++chars > max_chars)
			return false;
	}

	return true;
}


/** True if the len bytes at s are valid UTF-8 (NUL bytes allowed). */
bool region_utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;

	while (p < end) {
		size_t n;

		if (!*p) {
			++p;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xf4 && (size_t)(end - p) < 4) {
			/* utf8_len reads up to 4 bytes: copy the tail */
			unsigned char tail[5] = {0};

			memcpy(tail, p, (size_t)(end - p));
			n = utf8_len(tail);
			if (!n || n > (size_t)(end - p))
				return false;
		}
		else {
			n = utf8_len(p);
		}
		if (!n)
			return false;
		p += n;
	}

	return true;
}


/**
 * Convert GB18030 (which includes GBK and GB2312, what spreadsheet
 * programs save CSV as on Chinese Windows) to UTF-8.
 *
 * @return 0 and *mbp, or EILSEQ if buf is not GB18030, ENOMEM
 */
int region_gb18030_to_utf8(struct mbuf **mbp, const char *buf, size_t len)
{
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	struct mbuf *mb;
	char *in = (char *)buf, *out;
	size_t inleft = len, outleft;
	int err = 0;

	if (cd == (iconv_t)-1)
		return errno;

	/* a GB18030 character of 1-4 bytes is 1-4 bytes of UTF-8 */
	mb = mbuf_alloc(len * 2 + 1);
	if (!mb) {
		err = ENOMEM;
		goto out;
	}

	out = (char *)mb->buf;
	outleft = mb->size - 1;
	if (iconv(cd, &in, &inleft, &out, &outleft) == (size_t)-1 ||
	    iconv(cd, NULL, NULL, &out, &outleft) == (size_t)-1)
		err = errno == E2BIG ? ENOMEM : EILSEQ;

	mb->end = (size_t)(out - (char *)mb->buf);
	mb->buf[mb->end] = '\0';

 out:
	iconv_close(cd);
	if (err)
		mem_deref(mb);
	else
		*mbp = mb;

	return err;
}


/** True if s is 1 to 16 digits, as a prefix column allows. */
bool region_prefix_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > REGION_PREFIX_MAX)
		return false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
	}

	return true;
}


/**
 * Append one element to a text[] literal being built in mb ("{" is
 * written before the first): quoted, with '"' and '\' escaped.
 */
int region_pgarr_add(struct mbuf *mb, const char *s)
{
	int err;

	err = mbuf_write_u8(mb, mb->end ? ',' : '{');
	err |= mbuf_write_u8(mb, '"');
	for (; *s && !err; s++) {
		if (*s == '"' || *s == '\\')
			err = mbuf_write_u8(mb, '\\');
		err |= mbuf_write_u8(mb, (uint8_t)*s);
	}
	err |= mbuf_write_u8(mb, '"');

	return err ? ENOMEM : 0;
}


/** Close a text[] literal ("{}" if nothing was added) and NUL-end it. */
int region_pgarr_end(struct mbuf *mb)
{
	int err = 0;

	if (!mb->end)
		err = mbuf_write_u8(mb, '{');
	err |= mbuf_write_u8(mb, '}');
	err |= mbuf_write_u8(mb, '\0');
	mb->end--;       /* the NUL is not part of the literal's length */

	return err ? ENOMEM : 0;
}
