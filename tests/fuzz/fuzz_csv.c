/* libFuzzer target: uploaded CSV through textenc_to_utf8 and the CSV
 * reader, as the customer import reads it. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "core/csv.h"
#include "core/textenc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every record starts on a later line than the last, within limits;
 * every field is as long as it says; the reader always ends. */
static void read_all(const char *buf, size_t len, bool spaces)
{
	struct csv_limits lim = {256, 8, spaces};
	unsigned last = 0, records = 0;
	struct csv *csv;
	int err;

	if (csv_alloc(&csv, buf, len, &lim))
		return;

	while ((err = csv_next(csv)) != ENODATA) {
		unsigned line = err ? csv_error(csv)->line : csv_line(csv);

		if (line <= last || ++records > len + 1)
			__builtin_trap();
		last = line;
		if (err == EBADMSG) {
			if (!csv_error(csv)->code || csv_count(csv))
				__builtin_trap();
			continue;
		}
		if (err || !csv_count(csv) || csv_count(csv) > lim.fields_max)
			__builtin_trap();
		for (unsigned i = 0; i < csv_count(csv); i++) {
			if (strlen(csv_field(csv, i)) !=
			    csv_field_len(csv, i) ||
			    csv_field_len(csv, i) > lim.record_max)
				__builtin_trap();
		}
	}

	mem_deref(csv);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum textenc enc, used;
	struct mbuf *mb = NULL;
	bool spaces;

	/* first byte: the encoding asked for, spaces around quotes */
	if (!size)
		return 0;
	enc = (enum textenc)(data[0] % 4);
	spaces = data[0] & 4;
	data++;
	size--;

	if (textenc_to_utf8(&mb, &used, (const char *)data, size, enc))
		return 0;

	if (used == TEXTENC_AUTO)
		__builtin_trap();
	if (mb) {
		if (!textenc_utf8_ok((const char *)mb->buf, mb->end))
			__builtin_trap();
		read_all((const char *)mb->buf, mb->end, spaces);
	}
	else {
		read_all((const char *)data, size, spaces);
	}

	mem_deref(mb);

	return 0;
}
