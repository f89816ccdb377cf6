/* Text checks for imported rows, and PostgreSQL array literals. */
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
