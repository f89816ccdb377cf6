/* A caller's number as the attribution table spells its prefixes. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include "telephony/telephony.h"
#include "region/region.h"

enum {
	RAW_MAX = 40,     /* digits read before giving up, as tel_norm.c */
	IP_PREFIX_LEN = 5,
	IP_REST_MIN = 7,  /* an 11-digit number never loses its head */
};

/* Carriers' IP long-distance access codes, dialed before the number. */
static const char *const ip_prefixes[] = {
	"17951", "17911", "12593", "17909", "10193",
};


/* The digits of in; a "+" before any digit is dialed as "00". */
static int digits_of(char *d, size_t sz, const char *in)
{
	size_t n = 0;
	bool plus = false;

	for (; *in; in++) {
		if (*in == '+' && !n && !plus)
			plus = true;
		if (*in < '0' || *in > '9')
			continue;
		if (!n && plus) {
			d[n++] = '0';
			d[n++] = '0';
		}
		if (n + 1 >= sz)
			return EINVAL;
		d[n++] = *in;
	}

	d[n] = '\0';

	return n ? 0 : EINVAL;
}


static bool strip_ip_prefix(char *s)
{
	size_t n = strlen(s);

	if (n < IP_PREFIX_LEN + IP_REST_MIN)
		return false;

	for (size_t i = 0; i < ARRAY_SIZE(ip_prefixes); i++) {
		if (!strncmp(s, ip_prefixes[i], IP_PREFIX_LEN)) {
			memmove(s, s + IP_PREFIX_LEN, n - IP_PREFIX_LEN + 1);
			return true;
		}
	}

	return false;
}


/* One round: tel_normalize()'s rules, then what only lookups need. */
static bool norm_round(char *s, size_t sz)
{
	char t[RAW_MAX + 4];
	size_t n;

	/* too short for tel_normalize (1 or 2 digits) stays as it is */
	if (!tel_normalize(t, sizeof(t), s) && strcmp(t, s)) {
		str_ncpy(s, t, sz);
		return true;
	}

	/* "0086" before a number too short for tel_normalize ("+86 10") */
	n = strlen(s);
	if (n > 4 && !strncmp(s, "0086", 4)) {
		memmove(s, s + 4, n - 3);
		return true;
	}

	/* "86" before a fixed line without its 0: no national number of
	 * 12 digits or more starts with 86 (area codes 10, 2x, 3xx-9xx
	 * have no 86x, mobiles start with 1) */
	if (n >= 12 && !strncmp(s, "86", 2)) {
		memmove(s, s + 2, n - 1);
		return true;
	}

	return strip_ip_prefix(s);
}


/**
 * Normalize a caller's number for attribution: what tel_normalize()
 * does (drops "+86", "0086", "86" before an 11-digit mobile and the
 * trunk "0" of a full number), and besides
 *
 *  - any character other than a digit is dropped ("tel:+86-10…");
 *  - a carrier's IP access code before a number goes (17951, 17911,
 *    12593, 17909, 10193: "17951 13810001000" -> "13810001000");
 *  - "86" before a fixed line without its trunk 0 goes;
 *  - the trunk "0" of a partial fixed-line number goes too ("0755" ->
 *    "755"), as no prefix in the table starts with a single 0.
 *
 * International numbers keep their "00" ("+1 415…" -> "001415…") and
 * match only a tenant's own prefixes.
 *
 * @return 0 if success, EINVAL without digits or with more than 32,
 * ENOMEM if out is too small
 */
int region_normalize(char *out, size_t sz, const char *in)
{
	char s[RAW_MAX + 4];
	size_t n;
	int err;

	if (!out || !in)
		return EINVAL;

	err = digits_of(s, sizeof(s) - 2, in);
	if (err)
		return err;

	/* each round that changes s shortens it: this ends */
	while (norm_round(s, sizeof(s)))
		;

	if (s[0] == '0' && s[1] >= '1' && s[1] <= '9')
		memmove(s, s + 1, strlen(s));

	n = strlen(s);
	if (n > REGION_NUM_SZ - 1)
		return EINVAL;
	if (n >= sz)
		return ENOMEM;

	memcpy(out, s, n + 1);

	return 0;
}
