/* Unit tests for the codec table (media/codec.c): G.711 at the edges of
 * the sample range. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/codec_int.h"


/* The loudest samples either way, -32768 included, encode and come back
 * at the ends of the range (the encoders once read before their table). */
static void check_extremes(const char *name)
{
	const struct mcodec *c = mcodec_find(name);
	int16_t in[MEDIA_FRAME], out[MEDIA_FRAME];
	uint8_t buf[MEDIA_FRAME];
	size_t len = sizeof(buf), n = MEDIA_FRAME;

	assert_non_null(c);
	for (size_t i = 0; i < MEDIA_FRAME; i++)
		in[i] = i % 2 ? INT16_MIN : INT16_MAX;

	assert_int_equal(c->enc(NULL, buf, &len, in), 0);
	assert_int_equal(len, MEDIA_FRAME);
	assert_int_equal(c->dec(NULL, out, &n, buf, len), 0);
	assert_int_equal(n, MEDIA_FRAME);
	for (size_t i = 0; i < MEDIA_FRAME; i++) {
		if (i % 2)
			assert_true(out[i] < -30000);
		else
			assert_true(out[i] > 30000);
	}

	/* -32768 is the code word of -32767 */
	for (size_t i = 0; i < MEDIA_FRAME; i++)
		in[i] = i % 2 ? INT16_MIN : INT16_MIN + 1;
	len = sizeof(buf);
	assert_int_equal(c->enc(NULL, buf, &len, in), 0);
	for (size_t i = 1; i < MEDIA_FRAME; i += 2)
		assert_int_equal(buf[i], buf[i - 1]);
}


static void test_pcma_extremes(void **state)
{
	(void)state;
	check_extremes("PCMA");
}


static void test_pcmu_extremes(void **state)
{
	(void)state;
	check_extremes("PCMU");
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcma_extremes),
		cmocka_unit_test(test_pcmu_extremes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
