/* Unit tests for in-band DTMF generation (media/dtmf_tone.c): what it
 * makes is decoded back by librem's detector, and bad digit strings are
 * refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <re.h>
#include <rem.h>
#include "media/mconf.h"
#include "media/pcm.h"

struct heard {
	char digits[64];
	size_t n;
};


static void on_digit(char digit, void *arg)
{
	struct heard *h = arg;

	if (h->n + 1 < sizeof(h->digits))
		h->digits[h->n++] = digit;
}


/* Feed the audio to the detector 20 ms at a time, as the tick would. */
static void decode(const struct pcm *pcm, struct heard *h)
{
	struct dtmf_dec *dec = NULL;

	memset(h, 0, sizeof(*h));
	assert_int_equal(dtmf_dec_alloc(&dec, MEDIA_SRATE, 1, on_digit, h), 0);
	for (size_t i = 0; i + MEDIA_FRAME <= pcm->n; i += MEDIA_FRAME)
		dtmf_dec_probe(dec, pcm->s + i, MEDIA_FRAME);
	mem_deref(dec);
}


static void test_every_key_decodes(void **state)
{
	const char *all = "0123456789*#ABCD";
	struct pcm *pcm = NULL;
	struct heard h;

	(void)state;
	assert_int_equal(pcm_dtmf(&pcm, all), 0);
	assert_int_equal(pcm_duration_ms(pcm), 16 * 160);
	decode(pcm, &h);
	assert_string_equal(h.digits, all);
	mem_deref(pcm);
}


static void test_repeated_digits_stay_apart(void **state)
{
	struct pcm *pcm = NULL;
	struct heard h;

	(void)state;
	assert_int_equal(pcm_dtmf(&pcm, "1100##"), 0);
	decode(pcm, &h);
	assert_string_equal(h.digits, "1100##");
	mem_deref(pcm);
}


static void test_bad_digits_refused(void **state)
{
	static const char *const bad[] = {"", "12x", "1 2", "e",
		"012345678901234567890123456789012"};
	struct pcm *pcm = NULL;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(pcm_dtmf(&pcm, bad[i]), EINVAL);
		assert_null(pcm);
	}
	assert_int_equal(pcm_dtmf(&pcm, NULL), EINVAL);
	assert_int_equal(pcm_dtmf(NULL, "1"), EINVAL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key_decodes),
		cmocka_unit_test(test_repeated_digits_stay_apart),
		cmocka_unit_test(test_bad_digits_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
