/* libFuzzer target: a ticket type's workflow (ticket_flow_check). The
 * input is the states and the transitions as two JSON texts split at the
 * first newline. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>
#include "http/param.h"
#include "crm/ticket_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct param_error e;
	json_t *states, *trans;
	size_t n;
	int err;

	if (!nl)
		return 0;

	n = (size_t)(nl - data);
	states = json_loadb((const char *)data, n, 0, NULL);
	trans = json_loadb((const char *)nl + 1, size - n - 1, 0, NULL);
	memset(&e, 0, sizeof(e));
	err = ticket_flow_check(states, trans, &e);
	if (err != 0 && err != EINVAL)
		__builtin_trap();
	/* every refusal names a field, a code and says why */
	if (err && (!e.field[0] || !e.code[0] || !e.message[0] ||
		    !memchr(e.field, 0, sizeof(e.field)) ||
		    !memchr(e.message, 0, sizeof(e.message))))
		__builtin_trap();

	json_decref(states);
	json_decref(trans);
	return 0;
}
