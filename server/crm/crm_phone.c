/* The one spelling of a phone number that customers are stored and
 * looked up by (the rule of phone_norm() in migrations/0014). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include "crm/customer.h"

/**
 * The one spelling of a phone number, the rule of phone_norm() in
 * migrations/0014: its ASCII digits only, without the country code of a
 * Chinese mobile number (+86 138..., 0086 138... and 86 138... are
 * 138...). Everything else keeps all its digits: a fixed line's 010...
 * is not shortened.
 *
 * @param out  Buffer for the digits
 * @param sz   Size of out
 * @param in   Number as written
 *
 * @return 0 if success, EINVAL without input, E2BIG if out is too small
 */
int crm_phone_norm(char *out, size_t sz, const char *in)
{
	char head[5];
	size_t n = 0, skip = 0, o = 0;

	if (!out || !sz || !in)
		return EINVAL;

	for (const char *p = in; *p; p++) {
		if (*p < '0' || *p > '9')
			continue;
		if (n < sizeof(head))
			head[n] = *p;
		++n;
	}

	if (n == 15 && !memcmp(head, "00861", 5))
		skip = 4;
	else if (n == 13 && !memcmp(head, "861", 3))
		skip = 2;

	if (n - skip >= sz) {
		out[0] = '\0';
		return E2BIG;
	}

	for (const char *p = in; *p; p++) {
		if (*p < '0' || *p > '9')
			continue;
		if (skip)
			--skip;
		else
			out[o++] = *p;
	}
	out[o] = '\0';

	return 0;
}
