/* The Range header of a recording's audio: parsed, checked, clamped. */
#include <stdbool.h>
#include <stddef.h>
#include <strings.h>
#include "recording/rec_range.h"

/*
 * RFC 9110 §14.2: a Range the server cannot parse is ignored (200 with
 * the whole), so only a well-formed single range that starts inside the
 * representation gets a 206, and a well-formed one that starts at or
 * past its end a 416. Several ranges also get the whole: a multipart
 * reply buys a player nothing. Numbers too long for 64 bits saturate —
 * they are still well-formed, just far past any file's end.
 */

struct spec {
	bool has_first, has_last;
	uint64_t first, last;
};


static const char *ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;

	return p;
}


/* Digits to a saturating number; false when there is no digit. */
static bool digits(const char **pp, uint64_t *vp)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return false;

	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
	}

	*pp = p;
	*vp = v;

	return true;
}


/* One range-spec: "a-b", "a-" or "-n"; p is advanced past it. */
static bool spec_parse(const char **pp, struct spec *s)
{
	const char *p = *pp;

	s->has_first = digits(&p, &s->first);
	if (*p++ != '-')
		return false;

	s->has_last = digits(&p, &s->last);
	if (!s->has_first && !s->has_last)
		return false;

	if (s->has_first && s->has_last && s->last < s->first)
		return false;

	*pp = p;

	return true;
}


/*
 * The range-set after "bytes=": a list whose empty elements are
 * allowed (RFC 9110 §5.6.1). Returns the number of specs, 0 if the
 * list is malformed; *s is the first.
 */
static unsigned set_parse(const char *p, struct spec *s)
{
	unsigned n = 0;

	for (;;) {
		struct spec cur;

		p = ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (!*p)
			break;

		if (!spec_parse(&p, &cur))
			return 0;

		if (!n++)
			*s = cur;

		p = ows(p);
		if (*p && *p != ',')
			return 0;
	}

	return n;
}


/**
 * Parse a Range header for a representation of size bytes.
 *
 * @param hdr     the header's value, or NULL when absent
 * @param firstp  first byte of the range (REC_RANGE_ONE)
 * @param lastp   last byte, inclusive, clamped to size - 1
 *
 * @return what to send: the whole, the one range, or a 416
 */
enum rec_range rec_range_parse(const char *hdr, uint64_t size,
			       uint64_t *firstp, uint64_t *lastp)
{
	struct spec s;

	if (!hdr || strncasecmp(hdr, "bytes=", 6))
		return REC_RANGE_NONE;

	if (set_parse(hdr + 6, &s) != 1)
		return REC_RANGE_NONE;

	if (!s.has_first) {
		/* a suffix: the last n bytes, all of them if n > size */
		if (!s.last || !size)
			return REC_RANGE_UNSAT;

		*firstp = s.last >= size ? 0 : size - s.last;
		*lastp = size - 1;
		return REC_RANGE_ONE;
	}

	if (s.first >= size)
		return REC_RANGE_UNSAT;

	*firstp = s.first;
	*lastp = s.has_last && s.last < size ? s.last : size - 1;

	return REC_RANGE_ONE;
}
