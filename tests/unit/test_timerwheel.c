/* Unit tests for libre's timers on the timing wheel (media/timerwheel.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/timerwheel.h"

/*
 * The wheel reads the time through tmr_jiffies(); defining it here makes
 * the clock the test's (the static link binds the wheel to this one).
 * With fake_clock off it is the real monotonic clock, for re_main.
 */
static bool fake_clock;
static uint64_t fake_now;

uint64_t tmr_jiffies(void)
{
	struct timespec ts;

	if (fake_clock)
		return fake_now;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum { MAXT = 400 };

static struct probe {
	struct tmr tmr;
	uint64_t due;       /* when the model says it fires, 0 = not running */
	uint64_t fired_at;  /* the clock when it fired, 0 = not fired       */
	unsigned seq;       /* firing order                                 */
} probes[MAXT];
static unsigned nfired;


static void probe_h(void *arg)
{
	struct probe *p = arg;

	assert_int_equal(p->fired_at, 0);
	p->fired_at = fake_now;
	p->seq = ++nfired;
}


static void reset(void)
{
	for (unsigned i = 0; i < MAXT; ++i)
		tmr_cancel(&probes[i].tmr);
	memset(probes, 0, sizeof(probes));
	nfired = 0;
	if (!fake_clock)    /* the fake clock goes on from the real one */
		fake_now = tmr_jiffies();
	fake_clock = true;
	assert_int_equal(timerwheel_count(), 0);
}


static void start(unsigned i, uint64_t delay)
{
	probes[i].due = fake_now + delay;
	probes[i].fired_at = 0;
	tmr_start(&probes[i].tmr, delay, probe_h, &probes[i]);
}


static void advance(uint64_t to)
{
	fake_now = to;
	tmr_poll(NULL);
}


static void test_order_and_not_early(void **state)
{
	(void)state;
	reset();
	fake_now += 1000000;

	start(0, 5);
	start(1, 1);
	start(2, 3);
	start(3, 3);
	assert_int_equal(timerwheel_count(), 4);
	assert_int_equal(tmr_next_timeout(NULL), 1);
	assert_int_equal(tmr_get_expire(&probes[0].tmr), 5);

	advance(fake_now + 4);
	assert_int_equal(nfired, 3);
	assert_int_equal(probes[1].seq, 1);
	assert_true(probes[2].seq == 2 || probes[3].seq == 2);
	assert_int_equal(probes[0].fired_at, 0);
	assert_true(tmr_isrunning(&probes[0].tmr));
	assert_false(tmr_isrunning(&probes[1].tmr));
	assert_int_equal(tmr_next_timeout(NULL), 1);

	advance(fake_now + 1);
	assert_int_equal(probes[0].seq, 4);
	assert_int_equal(timerwheel_count(), 0);
	assert_int_equal(tmr_next_timeout(NULL), 0);
}


static void test_cancel_and_restart(void **state)
{
	(void)state;
	reset();
	fake_now += 5000;

	const uint64_t t0 = fake_now;

	start(0, 10);
	start(1, 10);
	tmr_cancel(&probes[0].tmr);
	tmr_cancel(&probes[0].tmr);     /* twice is harmless */
	assert_false(tmr_isrunning(&probes[0].tmr));
	start(1, 50);                   /* restart moves it */
	assert_int_equal(timerwheel_count(), 1);

	advance(fake_now + 20);
	assert_int_equal(nfired, 0);
	assert_int_equal(tmr_next_timeout(NULL), 30);
	advance(fake_now + 30);
	assert_int_equal(nfired, 1);
	assert_int_equal(probes[1].fired_at, t0 + 50);

	tmr_start(NULL, 5, probe_h, NULL);   /* no timer: nothing */
	start(2, 5);
	tmr_start(&probes[2].tmr, 5, NULL, NULL);  /* no handler: stop */
	assert_int_equal(timerwheel_count(), 0);
}


/*
 * A wheel left empty for seconds starts a new timer from now, not from
 * its last poll: a short timer stays in the finest level and the next
 * timeout is exact, even when a coarse boundary falls before it.
 */
static void test_idle_wheel_starts_from_now(void **state)
{
	(void)state;
	reset();
	advance(fake_now + 1);          /* the wheel's last look */
	fake_now += 5000;
	fake_now = ((fake_now >> 10) + 1) * 1024 - 25;   /* boundary in 25 */

	start(0, 50);
	assert_int_equal(tmr_next_timeout(NULL), 50);
	advance(fake_now + 49);
	assert_int_equal(nfired, 0);
	advance(fake_now + 1);
	assert_int_equal(probes[0].fired_at, probes[0].due);
}


static struct tmr chain_tmr, victim_tmr;
static unsigned chain_left;

static void chain_h(void *arg)
{
	(void)arg;
	/* a handler restarts itself at once and stops another timer */
	tmr_cancel(&victim_tmr);
	if (chain_left--)
		tmr_start(&chain_tmr, 0, chain_h, NULL);
}


static void victim_h(void *arg)
{
	(void)arg;
	fail_msg("a cancelled timer fired");
}


static void test_handler_restarts_and_cancels(void **state)
{
	(void)state;
	reset();
	fake_now += 777;
	chain_left = 3;

	tmr_start(&chain_tmr, 2, chain_h, NULL);
	tmr_start(&victim_tmr, 2, victim_h, NULL);
	advance(fake_now + 2);
	/* zero-delay restarts in a handler fire in the same poll, as in
	 * libre: the clock has not moved */
	assert_int_equal(chain_left, (unsigned)-1);
	assert_int_equal(timerwheel_count(), 0);
}


/* Long timers pass through every level and are neither early nor late. */
static void test_levels_and_beyond_span(void **state)
{
	static const uint64_t delays[] = {
		1023, 1024, 1025, 2047, 40000, 1048575, 1048576, 1048577,
		5000000, 1073741823, 1073741824, 2147483648ULL, 5000000000ULL,
	};
	const size_t n = ARRAY_SIZE(delays);
	(void)state;
	reset();
	fake_now += 123456789;

	for (size_t i = 0; i < n; ++i)
		start((unsigned)i, delays[i]);

	/* poll at every due time minus one, then at it */
	for (size_t i = 0; i < n; ++i) {
		advance(probes[i].due - 1);
		assert_int_equal(probes[i].fired_at, 0);
		advance(probes[i].due);
		assert_int_equal(probes[i].fired_at, probes[i].due);
		assert_int_equal(probes[i].seq, i + 1);
	}
	assert_int_equal(timerwheel_count(), 0);
}


static uint64_t rnd_state = 88172645463325252ULL;

static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}


static uint64_t random_delay(void)
{
	switch (rnd(4)) {
	case 0:  return rnd(3);
	case 1:  return rnd(2000);
	case 2:  return rnd(100000);
	default: return rnd(3000000000ULL);
	}
}


/* Against a model: every timer fires at the first poll whose clock has
 * reached its due time, in due-time order, and only once. */
static void test_random_against_model(void **state)
{
	(void)state;
	reset();
	fake_now += 42;

	for (unsigned round = 0; round < 20000; ++round) {
		const unsigned i = (unsigned)rnd(MAXT);
		uint64_t due_by_seq[MAXT + 1];
		const unsigned prev = nfired;

		if (rnd(5) == 0) {
			tmr_cancel(&probes[i].tmr);
			probes[i].due = 0;
		}
		else {
			start(i, random_delay());
		}

		if (rnd(3))
			continue;

		advance(fake_now + (rnd(2) ? rnd(50) : random_delay()));
		for (unsigned k = 0; k < MAXT; ++k) {
			struct probe *p = &probes[k];
			const bool due = p->due && p->due <= fake_now;

			if (!p->due)
				continue;
			assert_int_equal(p->fired_at != 0, due);
			assert_int_equal(tmr_isrunning(&p->tmr), !due);
			if (!due)
				continue;
			assert_in_range(p->seq, prev + 1, nfired);
			due_by_seq[p->seq - prev] = p->due;
			p->due = 0;
		}
		for (unsigned s = 2; s <= nfired - prev; ++s)
			assert_true(due_by_seq[s - 1] <= due_by_seq[s]);
	}

	for (unsigned k = 0; k < MAXT; ++k)
		tmr_cancel(&probes[k].tmr);
	assert_int_equal(timerwheel_count(), 0);
}


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/* libre's own loop waits and polls through the wheel (real clock). */
static void test_re_main_runs_on_the_wheel(void **state)
{
	struct tmr stop;
	uint64_t t0;
	(void)state;
	fake_clock = false;
	assert_int_equal(timerwheel_count(), 0);
	assert_int_equal(timerwheel_check(), 0);

	tmr_init(&stop);
	t0 = tmr_jiffies();
	tmr_start(&stop, 30, stop_h, NULL);
	assert_int_equal(re_main(NULL), 0);
	assert_true(tmr_jiffies() - t0 >= 30);
	assert_false(tmr_isrunning(&stop));
}


int main(void)
{
	/* the real clock first: the fake one only moves forward from it */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_re_main_runs_on_the_wheel),
		cmocka_unit_test(test_order_and_not_early),
		cmocka_unit_test(test_cancel_and_restart),
		cmocka_unit_test(test_idle_wheel_starts_from_now),
		cmocka_unit_test(test_handler_restarts_and_cancels),
		cmocka_unit_test(test_levels_and_beyond_span),
		cmocka_unit_test(test_random_against_model),
	};
	int err;

	err = libre_init();
	if (err)
		return 1;
	err = cmocka_run_group_tests(tests, NULL, NULL);
	libre_close();

	return err;
}
