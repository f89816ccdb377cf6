/* Unit tests for uploaded audio: sniffing, decoding, resampling, WAV, MP3. */
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
#include <re.h>
#include "media/mconf.h"
#include "media/pcm.h"
#include "prompt/prompt_codec.h"

#define MAXS 300

static char tmpdir[64];

struct blob {
	uint8_t *p;
	size_t n;
};


static void blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}


static struct blob slurp(const char *path)
{
	struct blob b = {NULL, 0};
	FILE *f = fopen(path, "rb");
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b.p = malloc(n > 0 ? (size_t)n : 1);
	assert_non_null(b.p);
	b.n = fread(b.p, 1, (size_t)n, f);
	fclose(f);

	return b;
}


/* A 440 Hz sine at half scale made by sox: "-r 44100 -c 2 -b 16" ... */
static struct blob sox_sine(const char *name, const char *fmt, double secs)
{
	char path[160], cmd[400];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "sox -D -n %s '%s' synth %g sine 440 "
		 "vol 0.5 2>/dev/null", fmt, path, secs);
	assert_int_equal(system(cmd), 0);

	return slurp(path);
}


struct stats {
	double rms;
	double peak;
	unsigned crossings;
};


static struct stats measure(const struct prompt_audio *pa)
{
	struct stats st = {0, 0, 0};
	double sum = 0;

	/* skip the edges, where the resampler's filter rings in and out */
	for (size_t i = 200; i + 200 < pa->n; i++) {
		double v = pa->s[i] / 32768.0;

		sum += v * v;
		st.peak = fmax(st.peak, fabs(v));
		if ((pa->s[i - 1] < 0) != (pa->s[i] < 0))
			++st.crossings;
	}
	st.rms = sqrt(sum / (double)(pa->n - 400));

	return st;
}


/* Duration, level (a sine's RMS is peak/sqrt 2) and pitch survive. */
static void check_sine(const struct prompt_audio *pa, double secs)
{
	struct stats st = measure(pa);
	double want_x = 2 * 440 * ((double)pa->n - 400) / MEDIA_SRATE;

	assert_true(fabs((double)pa->n - secs * MEDIA_SRATE) <= 80);
	assert_true(fabs(st.peak - 0.891) < 0.02);
	assert_true(fabs(st.rms / st.peak - 1 / sqrt(2)) < 0.02);
	assert_true(fabs(st.crossings - want_x) < want_x * 0.02);
}


static void decode_ok(const struct blob *b, const char *format,
		      unsigned rate, unsigned ch, double secs)
{
	struct prompt_audio *pa = NULL;

	assert_int_equal(prompt_decode(&pa, b->p, b->n, MAXS), 0);
	assert_string_equal(pa->format, format);
	assert_int_equal(pa->srate_in, rate);
	assert_int_equal(pa->channels_in, ch);
	check_sine(pa, secs);
	mem_deref(pa);
}


static void test_wav_44k_stereo(void **state)
{
	struct blob b = sox_sine("a.wav", "-r 44100 -c 2 -b 16", 2);

	(void)state;
	decode_ok(&b, "wav", 44100, 2, 2);
	blob_free(&b);
}


static void test_wav_16k_8k(void **state)
{
	struct blob b = sox_sine("b.wav", "-r 16000 -c 1 -b 16", 1.5);
	struct blob c = sox_sine("c.wav", "-r 8000 -c 1 -b 16", 1);

	(void)state;
	decode_ok(&b, "wav", 16000, 1, 1.5);
	decode_ok(&c, "wav", 8000, 1, 1);
	blob_free(&b);
	blob_free(&c);
}


static void test_wav_8bit_float(void **state)
{
	struct blob b = sox_sine("d.wav", "-r 22050 -c 1 -b 8 -e unsigned",
				 1);
	struct blob c = sox_sine("e.wav",
				 "-r 48000 -c 2 -b 32 -e floating-point", 1);
	struct blob d = sox_sine("f.aiff", "-r 11025 -c 1 -b 24", 1);

	(void)state;
	decode_ok(&b, "wav", 22050, 1, 1);
	decode_ok(&c, "wav", 48000, 2, 1);
	decode_ok(&d, "aiff", 11025, 1, 1);
	blob_free(&b);
	blob_free(&c);
	blob_free(&d);
}


/* MP3 made here with libmp3lame: 44.1 kHz stereo and 22.05 kHz mono. */
static void mp3_case(unsigned rate, unsigned ch, double secs)
{
	size_t frames = (size_t)(secs * rate);
	int16_t *s = mem_alloc(frames * ch * sizeof(*s), NULL);
	struct prompt_audio *pa = NULL;
	uint8_t *mp3 = NULL;
	size_t len = 0;

	assert_non_null(s);
	for (size_t i = 0; i < frames; i++) {
		double v = 0.5 * sin(2 * M_PI * 440 * (double)i / rate);

		for (unsigned c = 0; c < ch; c++)
			s[i * ch + c] = (int16_t)lrint(v * 32767);
	}

	assert_int_equal(prompt_mp3_encode(&mp3, &len, s, frames, rate, ch),
			 0);
	assert_true(len > 1000);
	assert_int_equal(prompt_decode(&pa, mp3, len, MAXS), 0);
	assert_string_equal(pa->format, "mp3");
	assert_int_equal(pa->srate_in, rate);
	assert_int_equal(pa->channels_in, ch);
	/* an MP3 carries encoder delay and padding: 1152 frames or so */
	assert_true(fabs((double)pa->n - secs * MEDIA_SRATE) <
		    0.1 * MEDIA_SRATE);
	assert_true(fabs(measure(pa).peak - 0.891) < 0.05);

	mem_deref(pa);
	mem_deref(mp3);
	mem_deref(s);
}


static void test_mp3(void **state)
{
	(void)state;
	mp3_case(44100, 2, 2);
	mp3_case(22050, 1, 1);
}


/* The output is a WAV that media's own loader takes. */
static void test_wav_roundtrip(void **state)
{
	struct blob b = sox_sine("g.wav", "-r 44100 -c 1 -b 16", 1);
	struct prompt_audio *pa = NULL;
	struct pcm *pcm = NULL;
	char path[128];

	(void)state;
	assert_int_equal(prompt_decode(&pa, b.p, b.n, MAXS), 0);
	snprintf(path, sizeof(path), "%s/out.wav", tmpdir);
	assert_int_equal(prompt_wav_write(path, pa->s, pa->n), 0);
	assert_int_equal(pcm_load_wav(&pcm, path), 0);
	assert_int_equal(pcm->n, pa->n);
	assert_memory_equal(pcm->s, pa->s, pa->n * sizeof(int16_t));

	mem_deref(pcm);
	mem_deref(pa);
	blob_free(&b);
}


static void expect(const void *p, size_t n, int err)
{
	struct prompt_audio *pa = NULL;

	assert_int_equal(prompt_decode(&pa, p, n, MAXS), err);
	assert_null(pa);
}


static void test_not_audio(void **state)
{
	static const uint8_t png[] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10,
				      0, 0, 0, 13, 'I', 'H', 'D', 'R'};
	static const char json[] = "{\"name\": \"hello\"}";
	static const char avi[] = "RIFF\x10\0\0\0AVI LIST\0\0\0\0";

	(void)state;
	expect(png, sizeof(png), EMEDIUMTYPE);
	expect(json, strlen(json), EMEDIUMTYPE);
	expect(avi, sizeof(avi) - 1, EMEDIUMTYPE);
	expect("x", 1, EMEDIUMTYPE);
	expect("", 0, ENODATA);
	expect(NULL, 0, ENODATA);
	assert_string_equal(prompt_err_code(EMEDIUMTYPE), "not_audio");
	assert_string_equal(prompt_err_code(ENODATA), "empty_audio");
	assert_null(prompt_err_code(ENOMEM));
}


static void test_corrupt(void **state)
{
	struct blob b = sox_sine("h.wav", "-r 16000 -c 1 -b 16", 1);
	struct blob fl = sox_sine("h.flac", "-r 16000 -c 1 -b 16", 1);
	uint8_t junk[2048];

	(void)state;
	/* cut short in transfer */
	expect(b.p, b.n / 2, EBADMSG);
	expect(b.p, 30, EBADMSG);
	expect(b.p, 12, EBADMSG);
	expect(fl.p, fl.n / 2, EBADMSG);

	/* known magic, garbage after it */
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7919 >> 3);
	memcpy(junk, "fLaC", 4);
	expect(junk, sizeof(junk), EBADMSG);
	memcpy(junk, "OggS", 4);
	expect(junk, sizeof(junk), EBADMSG);
	memcpy(junk, "ID3\x03\0\0\0\0\0\x10", 10);
	memset(junk + 10, 0, sizeof(junk) - 10);
	expect(junk, sizeof(junk), EBADMSG);

	/* a format header with an impossible sample rate */
	memcpy(b.p + 24, "\0\0\0\0", 4);
	expect(b.p, b.n, EBADMSG);

	blob_free(&b);
	blob_free(&fl);
}


static void test_empty_and_silent(void **state)
{
	struct blob b = sox_sine("i.wav", "-r 8000 -c 1 -b 16", 0.5);
	char path[128], cmd[256];
	struct blob z;

	(void)state;
	/* a header and no samples */
	snprintf(path, sizeof(path), "%s/z.wav", tmpdir);
	snprintf(cmd, sizeof(cmd), "sox -D -n -r 8000 -c 1 -b 16 '%s' "
		 "trim 0 0 2>/dev/null", path);
	assert_int_equal(system(cmd), 0);
	z = slurp(path);
	expect(z.p, z.n, ENODATA);
	blob_free(&z);

	/* only digital silence */
	memset(b.p + 44, 0, b.n - 44);
	expect(b.p, b.n, ENODATA);
	blob_free(&b);
}


static void test_too_long(void **state)
{
	struct blob b = sox_sine("j.wav", "-r 8000 -c 1 -b 16", 3);
	struct prompt_audio *pa = NULL;
	uint8_t *mp3 = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(prompt_decode(&pa, b.p, b.n, 2), EFBIG);
	assert_null(pa);
	assert_int_equal(prompt_decode(&pa, b.p, b.n, 3), 0);
	pa = mem_deref(pa);

	/* a streaming WAV (data size unknown) is counted as it decodes */
	memset(b.p + 40, 0xff, 4);
	assert_int_equal(prompt_decode(&pa, b.p, b.n, 2), EFBIG);

	/* an MP3 has no length in its header: counted as it decodes */
	assert_int_equal(prompt_mp3_encode(&mp3, &len, (int16_t *)(b.p + 44),
					   (b.n - 44) / 2, 8000, 1), 0);
	assert_int_equal(prompt_decode(&pa, mp3, len, 2), EFBIG);
	assert_null(pa);

	mem_deref(mp3);
	blob_free(&b);
}


/* NaN and infinity in a float file neither crash nor poison the rest. */
static void test_float_nan(void **state)
{
	struct blob b = sox_sine("k.wav",
				 "-r 8000 -c 1 -b 32 -e floating-point", 1);
	struct prompt_audio *pa = NULL;
	size_t data = b.n - 4000 * 4;
	float bad[3] = {NAN, INFINITY, -INFINITY};

	(void)state;
	memcpy(b.p + data, bad, sizeof(bad));
	assert_int_equal(prompt_decode(&pa, b.p, b.n, MAXS), 0);
	assert_true(fabs(measure(pa).peak - 0.891) < 0.02);
	mem_deref(pa);
	blob_free(&b);
}


static void test_sniff(void **state)
{
	static const uint8_t frame[] = {0xff, 0xfb, 0x90, 0x64};
	static const uint8_t badframe[] = {0xff, 0xfb, 0xf0, 0x64};
	enum prompt_kind k;

	(void)state;
	assert_int_equal(prompt_sniff(frame, sizeof(frame), &k), 0);
	assert_int_equal(k, PROMPT_KIND_MP3);
	assert_int_equal(prompt_sniff(badframe, sizeof(badframe), &k),
			 EMEDIUMTYPE);
	assert_int_equal(prompt_sniff((const uint8_t *)"FORM", 4, &k), 0);
	assert_int_equal(k, PROMPT_KIND_OTHER);
	assert_int_equal(prompt_sniff((const uint8_t *)"RIFF", 4, &k),
			 EBADMSG);
}


static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/openseat-prompt.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}


static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wav_44k_stereo),
		cmocka_unit_test(test_wav_16k_8k),
		cmocka_unit_test(test_wav_8bit_float),
		cmocka_unit_test(test_mp3),
		cmocka_unit_test(test_wav_roundtrip),
		cmocka_unit_test(test_not_audio),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_empty_and_silent),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_float_nan),
		cmocka_unit_test(test_sniff),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
