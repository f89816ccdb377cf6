/* Text encodings of uploaded files: strict UTF-8, GBK/GB18030. */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "core/textenc.h"

/*
 * Chinese tenants upload CSV saved by spreadsheets as UTF-8 or, on
 * Chinese Windows, as GBK. A file that is valid UTF-8 is read as UTF-8:
 * GBK text of any length is almost never valid UTF-8 by chance, while
 * UTF-8 Chinese text is rarely valid GB18030 — so the order of the
 * guesses matters and UTF-8 goes first. GB18030 is a superset of GBK
 * and GB2312, so one converter reads all three.
 */

static const struct {
	const char *name;
	enum textenc enc;
} names[] = {
	{"auto", TEXTENC_AUTO},
	{"utf-8", TEXTENC_UTF8},
	{"utf8", TEXTENC_UTF8},
	{"gbk", TEXTENC_GBK},
	{"gb2312", TEXTENC_GBK},
	{"gb18030", TEXTENC_GB18030},
};


/**
 * The encoding called name (auto, utf-8, gbk, gb18030; any case).
 *
 * @return 0 if success, EINVAL for an unknown name
 */
int textenc_parse(enum textenc *encp, const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(names); i++) {
		if (!strcasecmp(names[i].name, name)) {
			*encp = names[i].enc;
			return 0;
		}
	}

	return EINVAL;
}


/** The canonical name of enc, as the API reports it. */
const char *textenc_name(enum textenc enc)
{
	switch (enc) {

	case TEXTENC_UTF8:    return "utf-8";
	case TEXTENC_GBK:     return "gbk";
	case TEXTENC_GB18030: return "gb18030";
	default:              return "auto";
	}
}


/**
 * Bytes of the UTF-8 character at s (1-4, at most len), or 0 if it is
 * not a whole, shortest-form character of at most U+10FFFF outside the
 * surrogates.
 */
size_t textenc_utf8_len(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp;
	size_t n;

	if (!len)
		return 0;
	if (u[0] < 0x80)
		return 1;
	else if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, cp = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, cp = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, cp = u[0] & 0x07;
	else
		return 0;

	if (n > len)
		return 0;

	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (u[i] & 0x3f);
	}

	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;

	return n;
}


/** True if the len bytes at s are valid UTF-8 (NUL bytes included). */
bool textenc_utf8_ok(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n;

		/* ASCII runs are most of a CSV file */
		if (!((unsigned char)s[i] & 0x80)) {
			i++;
			continue;
		}

		n = textenc_utf8_len(s + i, len - i);
		if (!n)
			return false;
		i += n;
	}

	return true;
}


/* Convert all of in with cd, appending to mb. */
static int convert(struct mbuf *mb, iconv_t cd, const char *buf,
		   size_t len)
{
	char *in = (char *)buf;
	size_t inleft = len;

	for (;;) {
		size_t room = mbuf_get_space(mb);
		char *out;
		size_t outleft, r;
		int err;

		if (room < 64 + inleft) {
			err = mbuf_resize(mb, mb->size + 2 * inleft + 256);
			if (err)
				return err;
			room = mbuf_get_space(mb);
		}

		out = (char *)mbuf_buf(mb);
		outleft = room;
		r = iconv(cd, inleft ? &in : NULL, &inleft, &out, &outleft);
		mb->end = mb->pos = mb->size - outleft;
		if (r != (size_t)-1 && !inleft)
			return 0;
		if (r == (size_t)-1 && errno != E2BIG)
			return EILSEQ;   /* EILSEQ, or EINVAL: cut short */
	}
}


static int conv_alloc(struct mbuf **mbp, const char *to, const char *from,
		      const char *buf, size_t len)
{
	iconv_t cd = iconv_open(to, from);
	struct mbuf *mb;
	int err;

	if (cd == (iconv_t)-1)
		return errno;

	mb = mbuf_alloc(len + len / 2 + 16);
	err = mb ? convert(mb, cd, buf, len) : ENOMEM;
	iconv_close(cd);

	/* NUL-ended for readers of C strings; the NUL is not in end */
	err = err ? err : mbuf_write_u8(mb, 0);
	if (err) {
		mem_deref(mb);
		return err;
	}

	mb->end--;
	mb->pos = 0;
	*mbp = mb;

	return 0;
}


/**
 * Read buf in encoding enc as UTF-8. When buf already is (valid) UTF-8,
 * *mbp is set to NULL and the caller reads buf itself; otherwise *mbp is
 * the converted text, followed by a NUL that end does not count.
 *
 * @param usedp  the encoding found (never TEXTENC_AUTO), or NULL
 * @return 0 if success, EILSEQ if buf is not text in enc (or in either
 * encoding, for auto), ENOMEM
 */
int textenc_to_utf8(struct mbuf **mbp, enum textenc *usedp,
		    const char *buf, size_t len, enum textenc enc)
{
	int err;

	if (!mbp || (!buf && len))
		return EINVAL;

	*mbp = NULL;
	if (enc == TEXTENC_AUTO || enc == TEXTENC_UTF8) {
		if (textenc_utf8_ok(buf, len)) {
			if (usedp)
				*usedp = TEXTENC_UTF8;
			return 0;
		}
		if (enc == TEXTENC_UTF8)
			return EILSEQ;
	}

	err = conv_alloc(mbp, "UTF-8", "GB18030", buf, len);
	if (!err && usedp)
		*usedp = enc == TEXTENC_AUTO ? TEXTENC_GB18030 : enc;

	return err;
}


/**
 * Append the UTF-8 text s to mb in enc (auto and utf-8 copy it; gbk
 * writes GB18030, which is GBK for every character GBK has and never
 * loses one it has not).
 *
 * @return 0 if success, EILSEQ if s is not UTF-8, ENOMEM
 */
int textenc_from_utf8(struct mbuf *mb, const char *s, size_t len,
		      enum textenc enc)
{
	iconv_t cd;
	int err;

	if (!mb || (!s && len))
		return EINVAL;

	if (enc == TEXTENC_AUTO || enc == TEXTENC_UTF8)
		return mbuf_write_mem(mb, (const uint8_t *)s, len);

	cd = iconv_open("GB18030", "UTF-8");
	if (cd == (iconv_t)-1)
		return errno;

	err = convert(mb, cd, s, len);
	iconv_close(cd);

	return err;
}
