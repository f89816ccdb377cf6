/* Unit tests for the API keys' token buckets (auth/keyrate.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <re.h>
#include "auth/keyrate.h"

#define T0 1000000ULL


static struct keyrate *table(uint32_t rate, uint32_t burst, unsigned max)
{
	struct keyrate *kr = NULL;

	assert_int_equal(keyrate_alloc(&kr, rate, burst, max), 0);

	return kr;
}


/* A fresh key may send its burst at once, then waits for the refill. */
static void test_burst_then_refill(void **state)
{
	struct keyrate *kr = table(2, 3, 100);
	struct keyrate_state st;

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(keyrate_take(kr, "a", 0, 0, T0, &st), 0);
		assert_int_equal(st.limit, 3);
		assert_int_equal(st.remaining, 2 - i);
	}

	assert_int_equal(keyrate_take(kr, "a", 0, 0, T0, &st), EAGAIN);
	assert_int_equal(st.retry_s, 1);
	assert_int_equal(st.remaining, 0);

	/* 2 per second: one more after 500 ms, not after 499 */
	assert_int_equal(keyrate_take(kr, "a", 0, 0, T0 + 499, &st), EAGAIN);
	assert_int_equal(keyrate_take(kr, "a", 0, 0, T0 + 500, &st), 0);
	assert_int_equal(keyrate_take(kr, "a", 0, 0, T0 + 500, &st), EAGAIN);

	mem_deref(kr);
}


/* Keys do not share a bucket; a key's own limit overrides the default. */
static void test_keys_apart(void **state)
{
	struct keyrate *kr = table(20, 40, 100);
	struct keyrate_state st;

	(void)state;
	assert_int_equal(keyrate_take(kr, "slow", 1, 1, T0, &st), 0);
	assert_int_equal(st.limit, 1);
	assert_int_equal(keyrate_take(kr, "slow", 1, 1, T0, &st), EAGAIN);
	assert_int_equal(keyrate_take(kr, "fast", 0, 0, T0, &st), 0);
	assert_int_equal(st.limit, 40);
	assert_int_equal(st.remaining, 39);

	mem_deref(kr);
}


/* Retry-After is whole seconds, rounded up, never 0. */
static void test_retry_after(void **state)
{
	struct keyrate *kr = table(1, 1, 100);
	struct keyrate_state st;

	(void)state;
	assert_int_equal(keyrate_take(kr, "k", 0, 0, T0, &st), 0);
	assert_int_equal(keyrate_take(kr, "k", 0, 0, T0 + 1, &st), EAGAIN);
	assert_int_equal(st.retry_s, 1);
	assert_int_equal(keyrate_take(kr, "k", 0, 0, T0 + 999, &st), EAGAIN);
	assert_int_equal(st.retry_s, 1);

	/* a request is never more than 1 / rate away: 1 s at 1 per s */
	assert_int_equal(keyrate_take(kr, "h", 2, 4, T0, &st), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(keyrate_take(kr, "h", 2, 4, T0, &st), 0);
	assert_int_equal(keyrate_take(kr, "h", 1, 4, T0, &st), EAGAIN);
	assert_int_equal(st.retry_s, 1);

	mem_deref(kr);
}


/* A key's changed limit (PATCH by the admin) applies at once. */
static void test_limit_changed(void **state)
{
	struct keyrate *kr = table(20, 40, 100);
	struct keyrate_state st;

	(void)state;
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(keyrate_take(kr, "c", 10, 10, T0, &st), 0);
	assert_int_equal(keyrate_take(kr, "c", 1, 1, T0, &st), EAGAIN);
	assert_int_equal(st.limit, 1);

	/* a raised burst is there at once: 4 more, 3 s at 1/s, cap 5 */
	assert_int_equal(keyrate_take(kr, "c", 1, 5, T0 + 3000, &st), 0);
	assert_int_equal(st.limit, 5);
	assert_int_equal(st.remaining, 4);

	/* raised from 1 to 3 with nothing left: 2 at once */
	assert_int_equal(keyrate_take(kr, "d", 1, 1, T0, &st), 0);
	assert_int_equal(keyrate_take(kr, "d", 1, 3, T0, &st), 0);
	assert_int_equal(keyrate_take(kr, "d", 1, 3, T0, &st), 0);
	assert_int_equal(keyrate_take(kr, "d", 1, 3, T0, &st), EAGAIN);

	mem_deref(kr);
}


/* Idle keys are dropped once their bucket is full; the table never
 * holds more than its bound. */
static void test_bounded(void **state)
{
	struct keyrate *kr = table(10, 10, 5);
	struct keyrate_state st;
	char key[16];

	(void)state;
	for (unsigned i = 0; i < 50; i++) {
		(void)re_snprintf(key, sizeof(key), "k%u", i);
		assert_int_equal(keyrate_take(kr, key, 0, 0, T0, &st), 0);
		assert_true(keyrate_count(kr) <= 5);
	}

	assert_int_equal(keyrate_count(kr), 5);

	/* after a second of quiet the old buckets are full again: each
	 * request of the one busy key drops one of them */
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(keyrate_take(kr, "busy", 0, 0,
					      T0 + 2000 + i, &st), 0);
	assert_int_equal(keyrate_count(kr), 1);

	keyrate_forget(kr, "busy");
	assert_int_equal(keyrate_count(kr), 0);
	mem_deref(kr);
}


static void test_bad_args(void **state)
{
	struct keyrate *kr = NULL;
	struct keyrate_state st;

	(void)state;
	assert_int_equal(keyrate_alloc(&kr, 0, 1, 1), EINVAL);
	assert_int_equal(keyrate_alloc(&kr, 1, 0, 1), EINVAL);
	assert_int_equal(keyrate_alloc(&kr, 1, 1, 0), EINVAL);
	assert_null(kr);
	assert_int_equal(keyrate_take(NULL, "k", 0, 0, T0, &st), EINVAL);

	kr = table(1, 1, 1);
	assert_int_equal(keyrate_take(kr, NULL, 0, 0, T0, &st), EINVAL);
	/* a clock that went back never adds tokens */
	assert_int_equal(keyrate_take(kr, "k", 0, 0, T0, &st), 0);
	assert_int_equal(keyrate_take(kr, "k", 0, 0, T0 - 5000, &st),
			 EAGAIN);
	mem_deref(kr);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refill),
		cmocka_unit_test(test_keys_apart),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_limit_changed),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
