/* libFuzzer target: recording files (a crash, a bad disk, a tampered
 * copy) through the reader and the salvage. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include "recording/rec_crypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t key[REC_KEY_BYTES];
static char path[64];
static uint8_t *real;       /* a real file: header, 2 chunks, FINAL */
static size_t real_len;


static void put_file(const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, n, f) != n)
		__builtin_trap();
	fclose(f);
}


static uint8_t *get_file(size_t *lenp)
{
	uint8_t *p = malloc(1 << 20);
	FILE *f = fopen(path, "rb");

	if (!p || !f)
		__builtin_trap();
	*lenp = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}


static void init(void)
{
	static char dir[] = "/tmp/openseat-fuzz-XXXXXX";
	struct rec_writer *w;
	uint8_t pcm[300];

	if (sodium_init() < 0 || !mkdtemp(dir))
		__builtin_trap();
	(void)snprintf(path, sizeof(path), "%s/f.osrec", dir);
	memset(key, 0x42, sizeof(key));
	memset(pcm, 0x11, sizeof(pcm));
	if (rec_writer_open(&w, path, key, 7) ||
	    rec_writer_put(w, pcm, 100) || rec_writer_flush(w) ||
	    rec_writer_put(w, pcm, sizeof(pcm)) ||
	    rec_writer_finish(w, NULL))
		__builtin_trap();
	real = get_file(&real_len);
	(void)unlink(path);
}


/*
 * The first byte picks how much of a real file comes before the input
 * (nothing, the header, the header and its first chunk, all of it), so
 * chunk parsing is reached at once; the fuzzer cannot forge a sealed
 * chunk, so what opens is a real chunk or nothing.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t cut[] = {0, 36, 36 + 4 + 117, (size_t)-1};
	uint8_t buf[8192], *out = NULL, *again = NULL;
	size_t m, n, len = 0, len2 = 0;
	bool complete = false, c2 = false;
	uint32_t key_no;
	int err;

	if (!real)
		init();
	if (!size || size > 4096)
		return 0;

	m = cut[data[0] % 4] < real_len ? cut[data[0] % 4] : real_len;
	memcpy(buf, real, m);
	memcpy(buf + m, data + 1, size - 1);
	n = m + size - 1;
	put_file(buf, n);

	(void)rec_file_key_no(path, &key_no);
	err = rec_file_read(path, key, &out, &len, &complete);
	if (!err && len > n)
		__builtin_trap();

	/* salvage keeps exactly the prefix the reader found */
	if (!err && len && !complete) {
		if (rec_file_salvage(path, key, NULL) ||
		    rec_file_read(path, key, &again, &len2, &c2) ||
		    !c2 || len2 != len || memcmp(out, again, len))
			__builtin_trap();
	}

	free(out);
	free(again);
	(void)unlink(path);

	return 0;
}
