/* Unit tests for voicemail's WAV to MP3 encoder (voicemail/vm_encode.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sndfile.h>
#include <mpg123.h>
#include <re.h>
#include "voicemail/vm_int.h"

#define AMP 8000.0

static char dir[64];
static char wav[128];
static char mp3[128];


static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}


static bool tmp_left(void)
{
	char tmp[160];

	(void)re_snprintf(tmp, sizeof(tmp), "%s.tmp", mp3);
	return exists(tmp);
}


/* A WAV of `ms` of a 440 Hz tone in the given format. */
static void make_wav(const char *path, unsigned ms, int rate, int ch)
{
	SF_INFO info = {.samplerate = rate, .channels = ch,
			.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	sf_count_t n = (sf_count_t)rate * ms / 1000;
	short s[2];

	assert_non_null(f);
	for (sf_count_t i = 0; i < n; i++) {
		s[0] = s[1] = (short)lrint(AMP * sin(2 * M_PI * 440 * i /
						     rate));
		assert_int_equal(sf_writef_short(f, s, 1), 1);
	}
	sf_close(f);
}


/* Decode an MP3 and measure it. */
static void decode(const char *path, double *msp, double *rmsp)
{
	mpg123_handle *mh = mpg123_new(NULL, NULL);
	unsigned char buf[8192];
	double sum = 0;
	size_t n, total = 0;
	long rate;
	int ch, enc, r;

	assert_non_null(mh);
	assert_int_equal(mpg123_format_none(mh), MPG123_OK);
	assert_int_equal(mpg123_format(mh, 8000, MPG123_MONO,
				       MPG123_ENC_SIGNED_16), MPG123_OK);
	assert_int_equal(mpg123_open(mh, path), MPG123_OK);
	assert_int_equal(mpg123_getformat(mh, &rate, &ch, &enc), MPG123_OK);
	assert_int_equal(rate, 8000);
	assert_int_equal(ch, 1);

	do {
		r = mpg123_read(mh, buf, sizeof(buf), &n);
		for (size_t i = 0; i + 1 < n; i += 2) {
			int16_t v;

			memcpy(&v, buf + i, 2);
			sum += (double)v * v;
		}
		total += n / 2;
	} while (r == MPG123_OK);

	assert_int_equal(r, MPG123_DONE);
	mpg123_close(mh);
	mpg123_delete(mh);

	*msp = total * 1000.0 / 8000;
	*rmsp = total ? sqrt(sum / total) : 0;
}


static int setup(void **state)
{
	(void)state;
	(void)re_snprintf(dir, sizeof(dir), "/tmp/vm-enc-%d", (int)getpid());
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -1;
	(void)re_snprintf(wav, sizeof(wav), "%s/in.wav", dir);
	(void)re_snprintf(mp3, sizeof(mp3), "%s/out.mp3", dir);

	return 0;
}


static int teardown(void **state)
{
	(void)state;
	(void)unlink(wav);
	(void)unlink(mp3);
	(void)rmdir(dir);

	return 0;
}


static void test_encode_tone(void **state)
{
	struct vm_audio a;
	double ms, rms;
	(void)state;

	make_wav(wav, 3000, 8000, 1);
	assert_int_equal(vm_encode_mp3(wav, mp3, 0, VM_MIN_MS, &a), 0);
	assert_int_equal(a.duration_ms, 3000);
	assert_false(tmp_left());

	/* constant 16 kbit/s: about 2 KB a second */
	assert_in_range(a.size_bytes, 5000, 7000);

	decode(mp3, &ms, &rms);
	/* the codec's delay and last-frame padding add < 250 ms */
	assert_in_range((long)ms, 2950, 3250);
	assert_in_range((long)rms, (long)(AMP / M_SQRT2 * 0.85),
			(long)(AMP / M_SQRT2 * 1.15));
	assert_true(exists(wav));   /* the WAV is the caller's to remove */
}


static void test_trim(void **state)
{
	struct vm_audio a;
	double ms, rms;
	(void)state;

	make_wav(wav, 3000, 8000, 1);
	assert_int_equal(vm_encode_mp3(wav, mp3, 1000, VM_MIN_MS, &a), 0);
	assert_int_equal(a.duration_ms, 2000);
	decode(mp3, &ms, &rms);
	assert_in_range((long)ms, 1950, 2250);
}


static void test_short_dropped(void **state)
{
	struct vm_audio a;
	(void)state;

	(void)unlink(mp3);
	make_wav(wav, 600, 8000, 1);
	assert_int_equal(vm_encode_mp3(wav, mp3, 0, VM_MIN_MS, &a), ENODATA);
	assert_false(exists(mp3));
	assert_false(tmp_left());

	/* long enough, but not once the trailing silence is cut */
	make_wav(wav, 1500, 8000, 1);
	assert_int_equal(vm_encode_mp3(wav, mp3, 1000, VM_MIN_MS, &a),
			 ENODATA);
	assert_false(exists(mp3));
	assert_int_equal(vm_encode_mp3(wav, mp3, 5000, VM_MIN_MS, &a),
			 ENODATA);
	assert_false(exists(mp3));
}


static void test_missing(void **state)
{
	struct vm_audio a;
	char nowav[160];
	(void)state;

	(void)unlink(mp3);
	(void)re_snprintf(nowav, sizeof(nowav), "%s/none.wav", dir);
	assert_int_equal(vm_encode_mp3(nowav, mp3, 0, VM_MIN_MS, &a),
			 ENOENT);
	assert_non_null(strstr(a.error, "none.wav"));
	assert_false(exists(mp3));
	assert_false(tmp_left());
}


static void write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}


static void test_corrupt(void **state)
{
	static const char junk[] = "RIFF\x10\0\0\0WAVEjunkjunkjunkjunkjunk";
	uint8_t big[4096];
	struct vm_audio a;
	(void)state;

	(void)unlink(mp3);
	write_bytes(wav, junk, sizeof(junk));
	assert_int_equal(vm_encode_mp3(wav, mp3, 0, VM_MIN_MS, &a), EPROTO);
	assert_true(a.error[0] != '\0');
	assert_false(exists(mp3));
	assert_false(tmp_left());

	write_bytes(wav, "", 0);
	assert_int_equal(vm_encode_mp3(wav, mp3, 0, VM_MIN_MS, &a), EPROTO);
	assert_false(exists(mp3));

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7919 >> 3);
	write_bytes(wav, big, sizeof(big));
	assert_int_equal(vm_encode_mp3(wav, mp3, 0, VM_MIN_MS, &a), EPROTO);
	assert_false(exists(mp3));
	assert_false(tmp_left());
}


/* A header that promises 3 s over half a second of data. */
static void test_truncated(void **state)
{
	struct vm_audio a;
	(void)state;

	(void)unlink(mp3);
	make_wav(wav, 3000, 8000, 1);
	assert_int_equal(truncate(wav, 44 + 8000), 0);
	assert_int_equal(vm_encode_mp3(wav, mp3, 0, VM_MIN_MS, &a), ENODATA);
	assert_false(exists(mp3));
	assert_false(tmp_left());
}


static void test_other_format(void **state)
{
	struct vm_audio a;
	(void)state;

	(void)unlink(mp3);
	make_wav(wav, 2000, 16000, 1);
	assert_int_equal(vm_encode_mp3(wav, mp3, 0, VM_MIN_MS, &a), EINVAL);
	make_wav(wav, 2000, 8000, 2);
	assert_int_equal(vm_encode_mp3(wav, mp3, 0, VM_MIN_MS, &a), EINVAL);
	assert_non_null(strstr(a.error, "8 kHz mono"));
	assert_false(exists(mp3));
}


static void test_unwritable(void **state)
{
	struct vm_audio a;
	char bad[160];
	(void)state;

	make_wav(wav, 2000, 8000, 1);
	(void)re_snprintf(bad, sizeof(bad), "%s/no/such/dir/x.mp3", dir);
	assert_int_equal(vm_encode_mp3(wav, bad, 0, VM_MIN_MS, &a), ENOENT);
	assert_true(a.error[0] != '\0');
	assert_int_equal(vm_encode_mp3(NULL, mp3, 0, VM_MIN_MS, &a), EINVAL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_tone),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_short_dropped),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_other_format),
		cmocka_unit_test(test_unwritable),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
