/* The head of an HTTP response to an outgoing request: outside input. */
#include <ctype.h>
#include <string.h>
#include <re_types.h>
#include <re_list.h>
#include <re_fmt.h>
#include "http/outreq_int.h"

/*
 * Only what the client needs: the status, how the body ends (length,
 * chunked, or the connection closing) and whether the connection may be
 * kept. Anything malformed is EPROTO, and the request fails with it.
 */


static bool token_has(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok);

	while (n) {
		size_t l = 0, e;

		while (n && (*v == ' ' || *v == '\t' || *v == ',')) {
			v++;
			n--;
		}
		while (l < n && v[l] != ',')
			l++;
		e = l;
		while (e && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e == tl && !strncasecmp(v, tok, tl))
			return true;
		v += l;
		n -= l;
	}

	return false;
}


static int clen_parse(struct outreq_head *hd, const char *v, size_t n)
{
	int64_t x = 0;

	if (!n || n > 18 || strspn(v, "0123456789") < n)
		return EPROTO;

	for (size_t i = 0; i < n; i++)
		x = x * 10 + (v[i] - '0');

	if (hd->clen >= 0 && hd->clen != x)
		return EPROTO;          /* two different lengths */

	hd->clen = x;
	return 0;
}


static int header(struct outreq_head *hd, const char *p, size_t n)
{
	const char *colon = memchr(p, ':', n);
	size_t nl, vl;
	const char *v;

	if (!colon || colon == p)
		return EPROTO;

	nl = (size_t)(colon - p);
	for (size_t i = 0; i < nl; i++) {
		if (p[i] <= ' ' || p[i] >= 0x7f)
			return EPROTO;
	}

	v = colon + 1;
	vl = n - nl - 1;
	while (vl && (*v == ' ' || *v == '\t'))
		v++, vl--;
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;

	if (nl == 14 && !strncasecmp(p, "content-length", nl))
		return clen_parse(hd, v, vl);
	if (nl == 17 && !strncasecmp(p, "transfer-encoding", nl))
		hd->chunked = token_has(v, vl, "chunked");
	else if (nl == 10 && !strncasecmp(p, "connection", nl) &&
		 token_has(v, vl, "close"))
		hd->close = true;

	return 0;
}


static int status_line(struct outreq_head *hd, const char *p, size_t n)
{
	if (n < 12 || (strncmp(p, "HTTP/1.1 ", 9) &&
		       strncmp(p, "HTTP/1.0 ", 9)))
		return EPROTO;

	if (strspn(p + 9, "0123456789") < 3 || (n > 12 && p[12] != ' '))
		return EPROTO;

	hd->status = (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 +
				(p[11] - '0'));
	if (hd->status < 100)
		return EPROTO;

	hd->close = p[7] == '0';     /* HTTP/1.0: no keep-alive here */
	return 0;
}


/**
 * Parse a response head from the first n bytes received.
 *
 * @return 0 if parsed (hd->len says where the body starts), ENODATA if
 *         the head is not complete yet, EPROTO if malformed
 */
int outreq_head_parse(struct outreq_head *hd, const char *p, size_t n)
{
	const char *end = NULL, *line;
	int err;

	if (!hd || !p)
		return EINVAL;

	for (size_t i = 0; i + 3 < n; i++) {
		if (!memcmp(p + i, "\r\n\r\n", 4)) {
			end = p + i;
			break;
		}
	}
	if (!end)
		return ENODATA;

	memset(hd, 0, sizeof(*hd));
	hd->clen = -1;
	hd->len = (size_t)(end - p) + 4;

	line = p;
	for (bool first = true; line < end + 2; first = false) {
		const char *eol = line;

		while (eol < end && !(eol[0] == '\r' && eol[1] == '\n'))
			eol++;
		if (memchr(line, '\0', (size_t)(eol - line)) ||
		    memchr(line, '\n', (size_t)(eol - line)))
			return EPROTO;

		err = first ? status_line(hd, line, (size_t)(eol - line))
			: header(hd, line, (size_t)(eol - line));
		if (err)
			return err;
		line = eol + 2;
	}

	if (hd->chunked)
		hd->clen = -1;      /* chunked wins over a length */

	return 0;
}


static int chunk_size(const char *p, size_t n, size_t *sizep, size_t *linep)
{
	size_t i = 0, sz = 0;

	while (i < n && i < 16 && isxdigit((unsigned char)p[i])) {
		char c = (char)tolower((unsigned char)p[i]);

		sz = sz * 16 + (size_t)(c <= '9' ? c - '0' : c - 'a' + 10);
		i++;
	}
	if (i == 0 || i == 16)
		return i == 0 && n == 0 ? ENODATA : EPROTO;

	/* chunk extensions (";name=value") are allowed and ignored */
	if (i < n && p[i] != '\r' && p[i] != ';')
		return EPROTO;
	while (i + 1 < n && !(p[i] == '\r' && p[i + 1] == '\n'))
		i++;
	if (i + 1 >= n)
		return n > 1024 ? EPROTO : ENODATA;

	*sizep = sz;
	*linep = i + 2;
	return 0;
}


/**
 * Read a chunked body received so far: the data into out (at most max
 * bytes kept), and whether the last chunk and the trailer arrived.
 *
 * @return 0 (*donep says if complete), or EPROTO if malformed
 */
int outreq_chunked_scan(const char *p, size_t n, char *out, size_t max,
		    size_t *outlenp, bool *donep)
{
	size_t pos = 0, o = 0;

	*donep = false;
	for (;;) {
		size_t sz, line;
		int err = chunk_size(p + pos, n - pos, &sz, &line);

		if (err == ENODATA)
			break;
		if (err)
			return err;

		pos += line;
		if (sz == 0) {
			/* trailers end with an empty line */
			for (size_t i = pos; i + 1 < n; i++) {
				if (p[i] == '\r' && p[i + 1] == '\n' &&
				    (i == pos || (i >= 2 && p[i - 2] == '\r' &&
						  p[i - 1] == '\n'))) {
					*donep = true;
					break;
				}
			}
			break;
		}

		if (n - pos < sz + 2) {
			size_t part = min(n - pos, sz);

			memcpy(out + o, p + pos, min(part, max - o));
			o += min(part, max - o);
			break;
		}
		if (p[pos + sz] != '\r' || p[pos + sz + 1] != '\n')
			return EPROTO;

		memcpy(out + o, p + pos, min(sz, max - o));
		o += min(sz, max - o);
		pos += sz + 2;
	}

	*outlenp = o;
	return 0;
}
