/* Opaque keyset pagination cursors: base64url of "created_at|id". */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "http/cursor.h"

/* Raw "created_at|id" text that fits a CURSOR_MAX cursor. */
#define RAW_MAX (CURSOR_MAX / 4 * 3)


/* Part of a cursor: printable ASCII without '|', not empty. */
static bool part_ok(const char *s, size_t len)
{
	if (!len)
		return false;

	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '|')
			return false;
	}

	return true;
}


/**
 * Encode a pagination cursor from the last row's sort key
 *
 * @param out        Buffer for the cursor (base64url, no padding)
 * @param sz         Size of out
 * @param created_at Sort timestamp as text
 * @param id         Row id as text
 *
 * @return 0 if success, otherwise errorcode
 */
int cursor_encode(char *out, size_t sz, const char *created_at,
		  const char *id)
{
	char raw[RAW_MAX];
	char b64[CURSOR_MAX + 4];
	size_t clen, ilen, rlen, blen = sizeof(b64);
	int err;

	if (!out || !sz || !created_at || !id)
		return EINVAL;

	clen = strlen(created_at);
	ilen = strlen(id);
	if (!part_ok(created_at, clen) || !part_ok(id, ilen))
		return EINVAL;

	rlen = clen + 1 + ilen;
	if (rlen > sizeof(raw))
		return EOVERFLOW;

	memcpy(raw, created_at, clen);
	raw[clen] = '|';
	memcpy(raw + clen + 1, id, ilen);

	err = base64_encode((uint8_t *)raw, rlen, b64, &blen);
	if (err)
		return err;

	while (blen && b64[blen - 1] == '=')
		--blen;

	if (blen >= sz)
		return ENOSPC;

	for (size_t i = 0; i < blen; i++) {
		if (b64[i] == '+')
			out[i] = '-';
		else if (b64[i] == '/')
			out[i] = '_';
		else
			out[i] = b64[i];
	}
	out[blen] = '\0';

	return 0;
}


/* base64url without padding -> standard base64 with padding. */
static int to_std(char *dst, size_t dsz, const char *src, size_t *lenp)
{
	size_t n = strlen(src), i;

	if (!n || n > CURSOR_MAX || n % 4 == 1 || n + 3 >= dsz)
		return EINVAL;

	for (i = 0; i < n; i++) {
		char c = src[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9')))
			return EINVAL;
		dst[i] = c;
	}

	while (i % 4)
		dst[i++] = '=';
	dst[i] = '\0';
	*lenp = i;

	return 0;
}


static int copy_part(char *dst, size_t dsz, const char *s, size_t len)
{
	if (!part_ok(s, len) || len >= dsz)
		return EINVAL;

	memcpy(dst, s, len);
	dst[len] = '\0';

	return 0;
}


/**
 * Decode a pagination cursor made by cursor_encode
 *
 * @param cursor     Cursor from the client
 * @param created_at Buffer for the sort timestamp
 * @param csz        Size of created_at
 * @param id         Buffer for the row id
 * @param isz        Size of id
 *
 * @return 0 if success, EINVAL if the cursor is not one we made
 */
int cursor_decode(const char *cursor, char *created_at, size_t csz,
		  char *id, size_t isz)
{
	char b64[CURSOR_MAX + 4];
	uint8_t raw[RAW_MAX + 4];
	size_t blen, rlen = sizeof(raw);
	const char *bar;
	char cbuf[RAW_MAX + 4], ibuf[RAW_MAX + 4];
	char again[CURSOR_MAX + 4];
	int err;

	if (!cursor || !created_at || !csz || !id || !isz)
		return EINVAL;

	err = to_std(b64, sizeof(b64), cursor, &blen);
	if (err)
		return err;

	if (base64_decode(b64, blen, raw, &rlen) || rlen > RAW_MAX)
		return EINVAL;

	bar = memchr(raw, '|', rlen);
	if (!bar)
		return EINVAL;

	/* decode into scratch first: outputs change only on success */
	err = copy_part(cbuf, sizeof(cbuf), (const char *)raw,
			(size_t)(bar - (const char *)raw));
	if (!err)
		err = copy_part(ibuf, sizeof(ibuf), bar + 1,
				rlen - (size_t)(bar + 1 - (const char *)raw));
	if (err || strlen(cbuf) >= csz || strlen(ibuf) >= isz)
		return EINVAL;

	/* only the canonical encoding is accepted */
	if (cursor_encode(again, sizeof(again), cbuf, ibuf) ||
	    strcmp(again, cursor))
		return EINVAL;

	str_ncpy(created_at, cbuf, csz);
	str_ncpy(id, ibuf, isz);

	return 0;
}


/**
 * Parse the limit query parameter of a list request
 *
 * @param s      Query value, or NULL if absent
 * @param def    Limit when s is NULL
 * @param max    Largest limit accepted
 * @param limitp Parsed limit
 *
 * @return 0 if success, EINVAL if s is not a whole number in 1..max
 */
int cursor_parse_limit(const char *s, unsigned def, unsigned max,
		       unsigned *limitp)
{
	unsigned long v = 0;

	if (!limitp)
		return EINVAL;

	if (!s) {
		*limitp = def;
		return 0;
	}

	if (!*s || strlen(s) > 10)
		return EINVAL;

	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}

	if (v < 1 || v > max)
		return EINVAL;

	*limitp = (unsigned)v;

	return 0;
}
