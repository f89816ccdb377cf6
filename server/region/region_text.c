/* Text checks for imported rows, and PostgreSQL array literals. */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "core/textenc.h"
#include "region/region_int.h"


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
		/* a NUL inside a sequence ends it: never read past it */
		size_t n = textenc_utf8_len((const char *)p, 4);

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
	return textenc_utf8_ok(s, len);
}


/**
 * Convert GB18030 (which includes GBK and GB2312, what spreadsheet
 * programs save CSV as on Chinese Windows) to UTF-8, NUL-ended.
 *
 * @return 0 and *mbp, or EILSEQ if buf is not GB18030, ENOMEM
 */
int region_gb18030_to_utf8(struct mbuf **mbp, const char *buf, size_t len)
{
	return textenc_to_utf8(mbp, NULL, buf, len, TEXTENC_GB18030);
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
