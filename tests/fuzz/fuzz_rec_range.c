/* libFuzzer target: the recording audio's Range header (rec_range.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "recording/rec_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/*
 * The first 8 bytes are the representation's size, the rest the
 * header. Whatever comes, a range to send lies inside the file.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t len = 0, first = 0, last = 0;
	char *hdr;

	if (size < 8)
		return 0;

	memcpy(&len, data, 8);
	len %= 1u << 30;

	hdr = malloc(size - 8 + 1);  /* ccheck: foreign */
	if (!hdr)
		return 0;
	memcpy(hdr, data + 8, size - 8);
	hdr[size - 8] = '\0';

	if (rec_range_parse(hdr, len, &first, &last) == REC_RANGE_ONE &&
	    (first > last || last >= len))
		abort();

	free(hdr);  /* ccheck: foreign */

	return 0;
}
