/* One spelling per telephone number, so DIDs and callers compare equal. */
#include <string.h>
#include <re_types.h>
#include "telephony/telephony.h"

enum {
	NORM_MIN = 3,    /* shortest service numbers: 110, 120 */
	NORM_MAX = 32,
	RAW_MAX = 40,    /* digits read before giving up */
};


static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '-' || c == '(' || c == ')' ||
		c == '.';
}


/* The digits of in; *plusp if it began with '+'. */
static int digits_of(char *d, size_t *np, bool *plusp, const char *in)
{
	size_t n = 0;

	*plusp = false;
	for (; *in; in++) {
		if (is_sep(*in))
			continue;

		if (*in == '+' && !n && !*plusp) {
			*plusp = true;
			continue;
		}

		if (*in < '0' || *in > '9' || n >= RAW_MAX)
			return EINVAL;

		d[n++] = *in;
	}

	d[n] = '\0';
	*np = n;

	return 0;
}


/* One pass of the rules below; out holds RAW_MAX + 3 bytes. */
static int norm_step(char *out, const char *in)
{
	char d[RAW_MAX + 3];
	const char *p = d;
	size_t n;
	bool plus, intl = false;
	int err;

	err = digits_of(d + 2, &n, &plus, in);
	if (err)
		return err;

	p = d + 2;
	if (plus && !strncmp(p, "86", 2))
		p += 2;
	else if (plus) {
		d[0] = d[1] = '0';   /* room was kept for the 00 */
		p = d;
		intl = true;
	}
	else if (!strncmp(p, "0086", 4))
		p += 4;
	else if (!strncmp(p, "00", 2))
		intl = true;
	else if (n == 13 && !strncmp(p, "861", 3))
		p += 2;

	if (!intl && p[0] == '0' && p[1] >= '1' && p[1] <= '9' &&
	    strlen(p) >= 10)
		p++;

	memcpy(out, p, strlen(p) + 1);

	return 0;
}


/**
 * Normalize a dialed, calling or configured number to the digits stored
 * in `numbers.number` and `calls.number` / `calls.caller`:
 *
 *  1. spaces, tabs, '-', '(', ')' and '.' are dropped; '+' is allowed
 *     only first; anything else is EINVAL;
 *  2. China's country code goes: "+86…", "0086…", and "86" before an
 *     11-digit mobile number ("8613800138000");
 *  3. other international numbers keep the "00" access prefix ("+1 415"
 *     -> "001415…"), the way they are dialed from China;
 *  4. a domestic number of ten or more digits loses its one leading
 *     trunk prefix "0" ("010-12345678" -> "1012345678", "013800138000"
 *     -> "13800138000"), so the national and international spellings of
 *     one number agree;
 *  5. the result must have 3 to 32 digits.
 *
 * The steps repeat until nothing changes, so a normalized number
 * normalizes to itself ("+86 0086 10…" is "10…" too).
 *
 * @return 0 if success, EINVAL for a bad number, ENOMEM if out is small
 */
int tel_normalize(char *out, size_t sz, const char *in)
{
	char a[RAW_MAX + 3], b[RAW_MAX + 3];
	size_t n;
	int err;

	if (!out || !in)
		return EINVAL;

	err = norm_step(a, in);
	while (!err) {
		err = norm_step(b, a);
		if (err || !strcmp(a, b))
			break;
		memcpy(a, b, sizeof(a));
	}
	if (err)
		return err;

	n = strlen(a);
	if (n < NORM_MIN || n > NORM_MAX)
		return EINVAL;
	if (n >= sz)
		return ENOMEM;

	memcpy(out, a, n + 1);

	return 0;
}
