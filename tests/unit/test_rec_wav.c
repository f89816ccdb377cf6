/* Unit tests for the recording's MP3 → WAV decoder (rec_wav.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lame/lame.h>
#include "recording/rec_wav.h"

enum { RATE = 8000, SECS = 2 };


static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}


static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}


/* SECS seconds of a 400 Hz tone on the right only, as the encoder of
 * the recordings makes it (8 kHz, 32 kbit/s). */
static uint8_t *mp3_make(int channels, size_t *lenp)
{
	static short l[RATE * SECS], r[RATE * SECS];
	size_t cap = RATE * SECS * 2 + 7200;
	uint8_t *mp3 = malloc(cap);
	lame_global_flags *gf = lame_init();
	int n, m;

	assert_non_null(mp3);
	assert_non_null(gf);
	for (int i = 0; i < RATE * SECS; i++) {
		l[i] = 0;
		r[i] = (short)(8000 * sin(2 * M_PI * 400 * i / RATE));
	}

	lame_set_in_samplerate(gf, RATE);
	lame_set_out_samplerate(gf, RATE);
	lame_set_num_channels(gf, channels);
	lame_set_mode(gf, channels == 2 ? STEREO : MONO);
	lame_set_brate(gf, 32);
	assert_true(lame_init_params(gf) >= 0);

	n = lame_encode_buffer(gf, r, channels == 2 ? l : r, RATE * SECS,
			       mp3, (int)cap);
	assert_true(n >= 0);
	m = lame_encode_flush(gf, mp3 + n, (int)cap - n);
	assert_true(m >= 0);
	lame_close(gf);

	*lenp = (size_t)(n + m);
	return mp3;
}


static void check_wav(int channels)
{
	uint8_t *mp3, *wav = NULL;
	size_t n, wlen = 0, frames;

	mp3 = mp3_make(channels, &n);
	assert_int_equal(rec_wav_from_mp3(mp3, n, &wav, &wlen), 0);

	assert_memory_equal(wav, "RIFF", 4);
	assert_int_equal(rd32(wav + 4), wlen - 8);
	assert_memory_equal(wav + 8, "WAVEfmt ", 8);
	assert_int_equal(rd16(wav + 20), 1);
	assert_int_equal(rd16(wav + 22), channels);
	assert_int_equal(rd32(wav + 24), RATE);
	assert_int_equal(rd32(wav + 28), RATE * channels * 2);
	assert_int_equal(rd16(wav + 34), 16);
	assert_memory_equal(wav + 36, "data", 4);
	assert_int_equal(rd32(wav + 40), wlen - 44);

	/* the decoder's delay and padding aside, as long as the input */
	frames = (wlen - 44) / (2u * (unsigned)channels);
	assert_true(frames >= RATE * SECS && frames < RATE * SECS + 3000);

	free(wav);
	free(mp3);
}


static void test_stereo(void **state)
{
	(void)state;
	check_wav(2);
}


static void test_mono(void **state)
{
	(void)state;
	check_wav(1);
}


static void test_bad(void **state)
{
	static const uint8_t junk[] = "OSREC1\0\0 not an MP3 at all";
	uint8_t zeros[4096] = {0};
	uint8_t *wav = NULL, *mp3;
	size_t wlen = 0, n;

	(void)state;
	assert_int_equal(rec_wav_from_mp3(junk, sizeof(junk), &wav, &wlen),
			 EBADMSG);
	assert_int_equal(rec_wav_from_mp3(zeros, sizeof(zeros), &wav,
					  &wlen), EBADMSG);
	assert_int_equal(rec_wav_from_mp3(zeros, 0, &wav, &wlen), EBADMSG);
	assert_int_equal(rec_wav_from_mp3(NULL, 10, &wav, &wlen), EINVAL);
	assert_int_equal(rec_wav_from_mp3(junk, 4, NULL, &wlen), EINVAL);
	assert_null(wav);

	/* cut short (a partial recording): what is there decodes */
	mp3 = mp3_make(2, &n);
	assert_int_equal(rec_wav_from_mp3(mp3, n / 2, &wav, &wlen), 0);
	assert_true(wlen > 44 && wlen < 44 + RATE * SECS * 4);
	free(wav);
	free(mp3);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stereo),
		cmocka_unit_test(test_mono),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
