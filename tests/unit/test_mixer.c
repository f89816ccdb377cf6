/* Unit tests for the mixer matrix (media/mixer.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "media/mixer.h"

/* A port that speaks a constant and remembers what it heard. */
struct tport {
	struct mport *mp;
	int16_t value;
	bool speaks;
	int16_t heard[MEDIA_FRAME];
	bool silent;
	unsigned writes;
	unsigned reads;
	void (*on_write)(struct tport *tp);
};

static struct mixer *gmx;
static struct tport *gports[3];


static bool const_read(int16_t *frame, void *arg)
{
	struct tport *tp = arg;
	size_t i;

	++tp->reads;
	if (!tp->speaks)
		return false;

	for (i = 0; i < MEDIA_FRAME; i++)
		frame[i] = tp->value;

	return true;
}


static void rec_write(const int16_t *frame, bool silent, void *arg)
{
	struct tport *tp = arg;

	memcpy(tp->heard, frame, sizeof(tp->heard));
	tp->silent = silent;
	++tp->writes;
	if (tp->on_write)
		tp->on_write(tp);
}


static void tport_init(struct tport *tp, struct mixer *mx, int16_t v)
{
	memset(tp, 0, sizeof(*tp));
	tp->value  = v;
	tp->speaks = true;
	assert_int_equal(mport_alloc(&tp->mp, mx, "t", const_read,
				     rec_write, tp), 0);
}


static void assert_heard(const struct tport *tp, int16_t v)
{
	size_t i;

	for (i = 0; i < MEDIA_FRAME; i++)
		assert_int_equal(tp->heard[i], v);
}


static void test_two_ports(void **state)
{
	struct mixer *mx = NULL;
	struct tport a, b;
	(void)state;

	assert_int_equal(mixer_alloc(&mx), 0);
	tport_init(&a, mx, 1000);
	tport_init(&b, mx, 7);
	assert_int_equal(mixer_ports(mx), 2);

	mport_hear(b.mp, a.mp, true);
	assert_true(mport_hears(b.mp, a.mp));
	assert_false(mport_hears(a.mp, b.mp));

	mtick_run(0);
	assert_heard(&b, 1000);
	assert_false(b.silent);
	assert_heard(&a, 0);
	assert_true(a.silent);
	assert_int_equal(a.reads, 1);

	/* a port that does not speak this tick is silence */
	a.speaks = false;
	mtick_run(1);
	assert_true(b.silent);
	assert_heard(&b, 0);

	/* hearing is switched off; a port never hears itself */
	a.speaks = true;
	mport_hear(b.mp, a.mp, false);
	mport_hear(a.mp, a.mp, true);
	assert_false(mport_hears(a.mp, a.mp));
	mtick_run(2);
	assert_true(b.silent);
	assert_true(a.silent);

	/* removing a talker removes it from every row */
	mport_hear(b.mp, a.mp, true);
	mem_deref(a.mp);
	assert_int_equal(mixer_ports(mx), 1);
	mtick_run(3);
	assert_true(b.silent);

	mem_deref(b.mp);
	mem_deref(mx);
}


/* Agent A hears caller C and supervisor B; B hears A; C hears A, B. */
static void test_whisper_matrix(void **state)
{
	struct mixer *mx = NULL;
	struct tport a, b, c;
	(void)state;

	assert_int_equal(mixer_alloc(&mx), 0);
	tport_init(&a, mx, 1);
	tport_init(&b, mx, 10);
	tport_init(&c, mx, 100);

	mport_hear(a.mp, b.mp, true);
	mport_hear(a.mp, c.mp, true);
	mport_hear(b.mp, a.mp, true);
	mport_hear(c.mp, a.mp, true);
	mport_hear(c.mp, b.mp, true);

	mtick_run(0);
	assert_heard(&a, 110);
	assert_heard(&b, 1);
	assert_heard(&c, 11);

	/* whisper off for the caller: C no longer hears B */
	mport_hear(c.mp, b.mp, false);
	mtick_run(1);
	assert_heard(&c, 1);
	assert_heard(&a, 110);

	mem_deref(a.mp);
	mem_deref(b.mp);
	mem_deref(c.mp);
	mem_deref(mx);
}


static void test_saturation_and_gain(void **state)
{
	struct mixer *mx = NULL, *other = NULL;
	struct tport a, b, l, x;
	(void)state;

	assert_int_equal(mixer_alloc(&mx), 0);
	assert_int_equal(mixer_alloc(&other), 0);
	tport_init(&a, mx, 30000);
	tport_init(&b, mx, 30000);
	tport_init(&l, mx, 0);
	tport_init(&x, other, 5);
	mport_hear(l.mp, a.mp, true);
	mport_hear(l.mp, b.mp, true);

	/* ports of another mixer cannot be heard */
	mport_hear(l.mp, x.mp, true);
	assert_false(mport_hears(l.mp, x.mp));

	mtick_run(0);
	assert_heard(&l, 32767);

	a.value = -30000;
	b.value = -30000;
	mtick_run(1);
	assert_heard(&l, -32768);

	/* +6 dB doubles (within rounding), -60 dB and below is near 0 */
	a.value = 1000;
	b.speaks = false;
	mport_gain(a.mp, 6);
	mtick_run(2);
	assert_in_range(l.heard[0], 1990, 2000);

	mport_gain(a.mp, -200);
	mtick_run(3);
	assert_in_range(l.heard[0], 0, 1);

	mport_gain(a.mp, 100);
	a.value = 10000;
	mtick_run(4);
	assert_heard(&l, 32767);

	mport_gain(NULL, 0);
	mport_hear(NULL, a.mp, true);
	assert_false(mport_hears(NULL, a.mp));
	assert_int_equal(mixer_ports(NULL), 0);
	assert_int_equal(mixer_alloc(NULL), EINVAL);
	assert_int_equal(mport_alloc(NULL, mx, "x", NULL, NULL, NULL),
			 EINVAL);

	mem_deref(a.mp);
	mem_deref(b.mp);
	mem_deref(l.mp);
	mem_deref(x.mp);
	mem_deref(mx);
	mem_deref(other);
}


/* A handler tears the whole call down in the middle of the mix. */
static void teardown_all(struct tport *tp)
{
	unsigned i;
	(void)tp;

	for (i = 0; i < ARRAY_SIZE(gports); i++) {
		if (gports[i])
			gports[i]->mp = mem_deref(gports[i]->mp);
	}
	gmx = mem_deref(gmx);
}


static void test_free_during_mix(void **state)
{
	struct tport a, b, c;
	(void)state;

	assert_int_equal(mixer_alloc(&gmx), 0);
	tport_init(&a, gmx, 1);
	tport_init(&b, gmx, 2);
	tport_init(&c, gmx, 3);
	gports[0] = &a;
	gports[1] = &b;
	gports[2] = &c;
	mport_hear(a.mp, b.mp, true);
	mport_hear(b.mp, a.mp, true);
	mport_hear(c.mp, a.mp, true);

	a.on_write = teardown_all;
	mtick_run(0);

	assert_int_equal(a.writes, 1);
	assert_int_equal(b.writes, 0);
	assert_int_equal(c.writes, 0);
	assert_null(gmx);

	/* the mixer's tick entry is gone too */
	mtick_run(1);
	assert_int_equal(a.writes, 1);
	memset(gports, 0, sizeof(gports));
}


static int setup(void **state)
{
	(void)state;

	return libre_init();
}


static int teardown(void **state)
{
	(void)state;
	libre_close();

	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_ports),
		cmocka_unit_test(test_whisper_matrix),
		cmocka_unit_test(test_saturation_and_gain),
		cmocka_unit_test(test_free_during_mix),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
