/* libFuzzer target: attribution data (BSON), tenants' CSV, numbers. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <re.h>
#include "region/region.h"
#include "region/region_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *cur;
static size_t cur_len;


/* Every key and value lies inside the input and ends there in a NUL. */
static int bson_h(const char *key, const char *val, void *arg)
{
	const char *lo = (const char *)cur, *hi = lo + cur_len;

	(void)arg;
	if (key < lo || key >= hi || val < lo || val >= hi ||
	    !memchr(key, 0, (size_t)(hi - key)) ||
	    !memchr(val, 0, (size_t)(hi - val)) || !key[0])
		__builtin_trap();

	return 0;
}


static unsigned last_line;


static int row_h(unsigned line, const char *prefix, const char *region,
		 void *arg)
{
	(void)arg;
	if (!region_prefix_ok(prefix) ||
	    !region_text_ok(region, REGION_TEXT_MAX) || line <= last_line)
		__builtin_trap();
	last_line = line;

	return 0;
}


static int bad_h(unsigned line, const char *code, const char *message,
		 void *arg)
{
	(void)arg;
	if (!code || !message || !message[0] || line <= last_line)
		__builtin_trap();
	last_line = line;

	return 0;
}


/* As the import reads a body: UTF-8, or else GB18030 converted. */
static void csv(const char *buf, size_t len)
{
	struct mbuf *mb = NULL;
	int err;

	if (!region_utf8_ok(buf, len) &&
	    !region_gb18030_to_utf8(&mb, buf, len)) {
		if (mb->end > len * 2 || strlen((char *)mb->buf) > mb->end)
			__builtin_trap();
		buf = (const char *)mb->buf;
		len = mb->end;
	}

	last_line = 0;
	err = region_csv_read(buf, len, row_h, bad_h, NULL);
	if (err && err != E2BIG)
		__builtin_trap();
	mem_deref(mb);
}


static void check_number(const uint8_t *data, size_t size)
{
	char in[128], out[REGION_NUM_SZ], again[REGION_NUM_SZ];

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';

	if (region_normalize(out, sizeof(out), in))
		return;

	if (!out[0] || strspn(out, "0123456789") != strlen(out))
		__builtin_trap();
	if (region_normalize(again, sizeof(again), out) ||
	    strcmp(out, again))
		__builtin_trap();
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct region_bson_err e = {0, NULL};
	int err;

	if (size < 1)
		return 0;

	switch (data[0] % 3) {

	case 0:
		cur = data + 1;
		cur_len = size - 1;
		err = region_bson_read(cur, cur_len, bson_h, NULL, &e);
		if (err && (err != EPROTO || !e.why || e.offset > cur_len))
			__builtin_trap();
		break;

	case 1:
		csv((const char *)data + 1, size - 1);
		break;

	default:
		check_number(data + 1, size - 1);
		break;
	}

	return 0;
}
