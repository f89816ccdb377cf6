/* Unit tests for encrypted recording files (recording/rec_crypt.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sodium.h>
#include "recording/rec_crypt.h"
#include "recording/rec_file.h"

#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define CHUNK_FILE (REC_FILE_LEN_BYTES + REC_CHUNK_MAX + ABYTES)

static char dir[64];
static char path[128];
static uint8_t key[REC_KEY_BYTES];
static uint8_t *plain;      /* 4 chunks' worth of known bytes */
static const size_t plain_max = 4 * REC_CHUNK_MAX + 100;


static int setup(void **state)
{
	(void)state;
	if (sodium_init() < 0)
		return -1;
	strcpy(dir, "/tmp/openseat-rec-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	(void)snprintf(path, sizeof(path), "%s/r.osrec", dir);
	randombytes_buf(key, sizeof(key));
	plain = malloc(plain_max);
	if (!plain)
		return -1;
	for (size_t i = 0; i < plain_max; i++)
		plain[i] = (uint8_t)(i * 7 + i / 251);

	return 0;
}


static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	free(plain);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}


static int each(void **state)
{
	(void)state;
	(void)unlink(path);
	return 0;
}


static off_t fsize(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_size;
}


/* Write `n` bytes of `plain` in pieces of `step`, then finish. */
static void write_file(size_t n, size_t step)
{
	struct rec_writer *w = NULL;
	uint64_t size = 0;

	assert_int_equal(rec_writer_open(&w, path, key, 3), 0);
	for (size_t off = 0; off < n; off += step) {
		size_t k = n - off < step ? n - off : step;

		assert_int_equal(rec_writer_put(w, plain + off, k), 0);
	}
	assert_int_equal(rec_writer_finish(w, &size), 0);
	assert_int_equal(size, fsize(path));
}


/* Read the file back; its plaintext must be the first `n` of plain. */
static void expect_read(size_t n, bool complete)
{
	uint8_t *data = NULL;
	size_t len = 99;
	bool c = !complete;

	assert_int_equal(rec_file_read(path, key, &data, &len, &c), 0);
	assert_int_equal(len, n);
	assert_int_equal(c, complete);
	if (n)
		assert_memory_equal(data, plain, n);
	else
		assert_null(data);
	free(data);
}


static int read_err(const uint8_t *k)
{
	uint8_t *data = NULL;
	size_t len = 0;
	bool c = false;
	int err = rec_file_read(path, k, &data, &len, &c);

	free(data);
	return err;
}


static void poke(off_t off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, p, n, off), (ssize_t)n);
	close(fd);
}


/* Tamper with one byte: flipped, so it always changes (writing a fixed
 * value leaves the byte as it was one time in 256). */
static void flip(off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t b;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= 0xff;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}


static void test_round_trip(void **state)
{
	const size_t sizes[] = {
		0, 1, REC_CHUNK_MAX - 1, REC_CHUNK_MAX, REC_CHUNK_MAX + 1,
		2 * REC_CHUNK_MAX, 3 * REC_CHUNK_MAX + 17,
	};
	const size_t steps[] = {1000, 4096, REC_CHUNK_MAX, 3 * REC_CHUNK_MAX};
	uint32_t key_no = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]);
		     j++) {
			each(NULL);
			write_file(sizes[i], steps[j]);
			expect_read(sizes[i], true);
		}
	}

	assert_int_equal(rec_file_key_no(path, &key_no), 0);
	assert_int_equal(key_no, 3);
}


/* Not plaintext on disk: the known bytes do not appear in the file. */
static void test_encrypted(void **state)
{
	uint8_t buf[4096];
	FILE *f;
	size_t n;

	(void)state;
	write_file(sizeof(buf), 512);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(n > 100);
	assert_null(memmem(buf, n, plain + 200, 32));
}


static void test_never_overwrites(void **state)
{
	struct rec_writer *w = NULL;

	(void)state;
	write_file(10, 10);
	assert_int_equal(rec_writer_open(&w, path, key, 1), EEXIST);
	assert_int_equal(rec_writer_open(&w, path, key, 0), EINVAL);
	expect_read(10, true);
}


static void test_abort_removes(void **state)
{
	struct rec_writer *w = NULL;

	(void)state;
	assert_int_equal(rec_writer_open(&w, path, key, 1), 0);
	assert_int_equal(rec_writer_put(w, plain, 100), 0);
	rec_writer_abort(w);
	assert_int_equal(access(path, F_OK), -1);
}


/* Cut at chunk boundaries and inside chunks: the whole chunks before
 * the cut come back, complete=false. */
static void test_truncated(void **state)
{
	const off_t hdr = REC_FILE_HDR_BYTES;
	const struct {
		off_t at;
		size_t want;
	} cuts[] = {
		{hdr + 2 * CHUNK_FILE, 2 * REC_CHUNK_MAX},
		{hdr + 2 * CHUNK_FILE + 2, 2 * REC_CHUNK_MAX},
		{hdr + 2 * CHUNK_FILE + 50, 2 * REC_CHUNK_MAX},
		{hdr + CHUNK_FILE + 1000, REC_CHUNK_MAX},
		{hdr + CHUNK_FILE - 1, 0},
		{hdr + 3, 0},
		{hdr, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		each(NULL);
		write_file(2 * REC_CHUNK_MAX + 100, 5000);
		assert_int_equal(truncate(path, cuts[i].at), 0);
		expect_read(cuts[i].want, false);
	}

	/* a header cut short is not a recording file */
	assert_int_equal(truncate(path, hdr - 1), 0);
	assert_int_equal(read_err(key), EPROTO);
}


static void test_tampered(void **state)
{
	const off_t hdr = REC_FILE_HDR_BYTES;

	(void)state;
	/* in the first chunk: nothing opens */
	write_file(2 * REC_CHUNK_MAX + 100, 5000);
	flip(hdr + 100);
	assert_int_equal(read_err(key), EBADMSG);

	/* in the secretstream header: the first chunk fails */
	each(NULL);
	write_file(100, 100);
	flip(REC_FILE_MAGIC_BYTES + 4 + 3);
	assert_int_equal(read_err(key), EBADMSG);

	/* in the last chunk: the chunks before it, not complete */
	each(NULL);
	write_file(2 * REC_CHUNK_MAX + 100, 5000);
	flip(hdr + 2 * CHUNK_FILE + 10);
	expect_read(2 * REC_CHUNK_MAX, false);

	/* bytes after the FINAL chunk */
	each(NULL);
	write_file(100, 100);
	poke(fsize(path), "junk", 4);
	expect_read(100, false);
}


static void test_wrong_key(void **state)
{
	uint8_t other[REC_KEY_BYTES];

	(void)state;
	write_file(1000, 1000);
	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(read_err(other), EBADMSG);
	assert_int_equal(rec_file_salvage(path, other, NULL), EBADMSG);
	expect_read(1000, true);
}


static void test_wrong_magic(void **state)
{
	uint32_t key_no = 0;

	(void)state;
	write_file(1000, 1000);
	poke(0, "ID3", 3);
	assert_int_equal(read_err(key), EPROTO);
	assert_int_equal(rec_file_key_no(path, &key_no), EPROTO);

	/* key number 0 is never written */
	each(NULL);
	write_file(1000, 1000);
	poke(REC_FILE_MAGIC_BYTES, "\0\0\0\0", 4);
	assert_int_equal(read_err(key), EPROTO);
}


static void test_absurd_length(void **state)
{
	const off_t hdr = REC_FILE_HDR_BYTES;
	const uint8_t huge[4] = {0xff, 0xff, 0xff, 0x7f};
	const uint8_t small[4] = {ABYTES - 1, 0, 0, 0};
	const uint8_t over[4] = {(CHUNK_FILE - 3) & 0xff,
				 ((CHUNK_FILE - 3) >> 8) & 0xff,
				 ((CHUNK_FILE - 3) >> 16) & 0xff, 0};

	(void)state;
	write_file(1000, 1000);
	poke(hdr, huge, 4);
	assert_int_equal(read_err(key), EPROTO);
	poke(hdr, small, 4);
	assert_int_equal(read_err(key), EPROTO);
	poke(hdr, over, 4);
	assert_int_equal(read_err(key), EPROTO);

	/* a bad length after good chunks ends the valid prefix */
	each(NULL);
	write_file(REC_CHUNK_MAX + 10, 5000);
	poke(hdr + CHUNK_FILE, huge, 4);
	expect_read(REC_CHUNK_MAX, false);
}


static void test_missing_and_empty(void **state)
{
	uint32_t key_no;
	FILE *f;

	(void)state;
	assert_int_equal(read_err(key), ENOENT);
	assert_int_equal(rec_file_key_no(path, &key_no), ENOENT);
	assert_int_equal(rec_file_salvage(path, key, NULL), ENOENT);

	f = fopen(path, "wb");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(read_err(key), EPROTO);
	assert_int_equal(rec_file_key_no(path, &key_no), EPROTO);
	assert_int_equal(rec_file_salvage(path, key, NULL), EPROTO);
}


static void test_salvage(void **state)
{
	const off_t hdr = REC_FILE_HDR_BYTES;
	char tmp[160];
	uint64_t size = 0;
	off_t before;

	(void)state;
	/* complete: left as it is */
	write_file(3000, 1000);
	before = fsize(path);
	assert_int_equal(rec_file_salvage(path, key, &size), 0);
	assert_int_equal(size, before);
	assert_int_equal(fsize(path), before);

	/* cut: the valid prefix becomes a complete file */
	each(NULL);
	write_file(2 * REC_CHUNK_MAX + 100, 5000);
	assert_int_equal(truncate(path, hdr + 2 * CHUNK_FILE + 30), 0);
	assert_int_equal(rec_file_salvage(path, key, &size), 0);
	assert_int_equal(size, fsize(path));
	expect_read(2 * REC_CHUNK_MAX, true);
	(void)snprintf(tmp, sizeof(tmp), "%s.salvage", path);
	assert_int_equal(access(tmp, F_OK), -1);

	/* nothing valid */
	each(NULL);
	write_file(REC_CHUNK_MAX + 100, 5000);
	assert_int_equal(truncate(path, hdr + 10), 0);
	assert_int_equal(rec_file_salvage(path, key, &size), ENODATA);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_round_trip, each),
		cmocka_unit_test_setup(test_encrypted, each),
		cmocka_unit_test_setup(test_never_overwrites, each),
		cmocka_unit_test_setup(test_abort_removes, each),
		cmocka_unit_test_setup(test_truncated, each),
		cmocka_unit_test_setup(test_tampered, each),
		cmocka_unit_test_setup(test_wrong_key, each),
		cmocka_unit_test_setup(test_wrong_magic, each),
		cmocka_unit_test_setup(test_absurd_length, each),
		cmocka_unit_test_setup(test_missing_and_empty, each),
		cmocka_unit_test_setup(test_salvage, each),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
