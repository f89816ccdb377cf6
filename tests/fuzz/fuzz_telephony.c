/* libFuzzer target: numbers and trunk addresses from SIP and the API. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "telephony/telephony.h"
#include "telephony/tel_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void check_number(const char *in)
{
	char out[33], again[33];

	if (tel_normalize(out, sizeof(out), in))
		return;

	/* digits only, 3..32, and a fixed point */
	if (strlen(out) < 3 || strlen(out) > 32 ||
	    strspn(out, "0123456789") != strlen(out))
		__builtin_trap();
	if (tel_normalize(again, sizeof(again), out) || strcmp(out, again))
		__builtin_trap();
}


static void check_cidr(const char *in)
{
	struct tel_cidr c;
	const char *why = NULL;
	struct sa sa;

	if (tel_cidr_parse(&c, in, &why)) {
		if (!why)
			__builtin_trap();
		return;
	}

	if (c.bits > (c.v6 ? 128 : 32))
		__builtin_trap();

	/* the network address lies inside its own prefix */
	if (c.v6) {
		sa_set_in6(&sa, c.addr, 0);
	}
	else {
		uint32_t v;

		memcpy(&v, c.addr, 4);
		sa_set_in(&sa, ntohl(v), 0);
	}
	if (!tel_cidr_match(&c, &sa))
		__builtin_trap();
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[256];

	if (size >= sizeof(s))
		return 0;

	memcpy(s, data, size);
	s[size] = '\0';
	check_number(s);
	check_cidr(s);

	return 0;
}
