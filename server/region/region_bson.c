/* A reader for the one BSON shape the attribution data comes in. */
#include <string.h>
#include <re_types.h>
#include "region/region_int.h"

/*
 * The document is: int32 total length (little-endian, counting itself
 * and the final NUL), elements, 0x00. Each element is type 0x02
 * (string): the key as a C string, an int32 length counting the value's
 * trailing NUL, the UTF-8 bytes and that NUL. Nothing else occurs in the
 * files, so anything else is malformed: the file is outside input.
 */

enum {
	BSON_MIN = 5,
	BSON_STRING = 0x02,
};


static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}


static int bad(struct region_bson_err *e, size_t off, const char *why)
{
	if (e) {
		e->offset = off;
		e->why = why;
	}

	return EPROTO;
}


/* One string element at *posp (its type byte read); end is the offset
 * of the document's final NUL. */
static int element(const uint8_t *buf, size_t *posp, size_t end,
		   region_bson_h *h, void *arg, struct region_bson_err *e)
{
	size_t pos = *posp;
	const char *key = (const char *)buf + pos;
	const uint8_t *nul = memchr(buf + pos, 0, end - pos);
	uint32_t slen;
	int err;

	if (!nul)
		return bad(e, pos, "key has no NUL before the document ends");
	if (nul == buf + pos)
		return bad(e, pos, "empty key");

	pos = (size_t)(nul - buf) + 1;
	if (end - pos < 4)
		return bad(e, pos, "string length past the document's end");

	slen = le32(buf + pos);
	pos += 4;
	if (slen < 1 || slen > end - pos)
		return bad(e, pos - 4, "string length past the document's "
			   "end");
	if (buf[pos + slen - 1] != 0)
		return bad(e, pos + slen - 1, "string does not end in NUL");
	if (memchr(buf + pos, 0, slen - 1))
		return bad(e, pos, "string holds a NUL");

	err = h(key, (const char *)buf + pos, arg);
	if (err) {
		(void)bad(e, *posp, "element refused");
		return err;
	}

	*posp = pos + slen;

	return 0;
}


/**
 * Read a BSON document of string elements, calling h(key, value) for
 * each in order. h returning non-zero stops the read with that error.
 *
 * @param e Where and why a malformed document failed (may be NULL)
 *
 * @return 0 if success, EPROTO if malformed, otherwise h's error
 */
int region_bson_read(const uint8_t *buf, size_t len, region_bson_h *h,
		     void *arg, struct region_bson_err *e)
{
	size_t pos = 4, end;
	uint32_t dlen;
	int err;

	if (!buf || !h)
		return EINVAL;

	if (len < BSON_MIN)
		return bad(e, 0, "shorter than an empty document");

	dlen = le32(buf);
	if (dlen < BSON_MIN || dlen > len)
		return bad(e, 0, "document length past the end of the data");
	if (dlen < len)
		return bad(e, dlen, "data after the document's end");
	if (buf[dlen - 1] != 0)
		return bad(e, dlen - 1, "document does not end in NUL");

	end = dlen - 1;
	while (pos < end) {
		uint8_t type = buf[pos++];

		if (type != BSON_STRING)
			return bad(e, pos - 1, type ? "element is not of "
				   "type string (0x02)" :
				   "document ends before its length");

		err = element(buf, &pos, end, h, arg, e);
		if (err)
			return err;
	}

	return 0;
}
