/* libFuzzer target: a review's scores against a form (qa_score). The
 * input is the form's criteria and the scores as two JSON texts split at
 * the first newline. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_mem.h>
#include "recording/qa_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	struct qa_score_error e;
	json_t *criteria, *scores;
	char total[24];
	char *stored = NULL;
	size_t n;
	int err;

	if (!nl)
		return 0;

	n = (size_t)(nl - data);
	criteria = json_loadb((const char *)data, n, 0, NULL);
	scores = json_loadb((const char *)nl + 1, size - n - 1, 0, NULL);
	if (criteria && scores) {
		memset(&e, 0, sizeof(e));
		err = qa_score(criteria, scores, &stored, total,
			       sizeof(total), &e);
		if (err != 0 && err != EINVAL && err != EPROTO &&
		    err != ENOMEM)
			__builtin_trap();
		if ((err == 0) != (stored != NULL))
			__builtin_trap();
		if (err == EINVAL && (!e.field[0] || !e.code[0] ||
				      !e.message[0]))
			__builtin_trap();
		if (!err && !memchr(total, '.', sizeof(total)))
			__builtin_trap();
	}

	mem_deref(stored);
	json_decref(criteria);
	json_decref(scores);
	return 0;
}
