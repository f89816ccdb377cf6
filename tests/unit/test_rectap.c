/* Unit tests for the recording tap (media/rectap.c) and the recording
 * policy's decisions (server/recording/rec_policy.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "media/mixer.h"
#include "media/rectap.h"
#include "recording/rec_policy.h"
#include "loop.h"

/* The customer says `said`; the agent, whom the customer hears, says
 * `agent`. */
struct call {
	struct mixer *mx;
	struct mport *customer;
	struct mport *agent;
	int16_t said;
	int16_t agent_says;
};


static bool say_customer(int16_t *frame, void *arg)
{
	struct call *c = arg;

	for (size_t i = 0; i < MEDIA_FRAME; i++)
		frame[i] = c->said;

	return c->said != 0;
}


static bool say_agent(int16_t *frame, void *arg)
{
	struct call *c = arg;

	for (size_t i = 0; i < MEDIA_FRAME; i++)
		frame[i] = c->agent_says;

	return c->agent_says != 0;
}


static void hear(const int16_t *frame, bool silent, void *arg)
{
	(void)frame;
	(void)silent;
	(void)arg;
}


static void call_init(struct call *c, int16_t said, int16_t agent)
{
	memset(c, 0, sizeof(*c));
	c->said = said;
	c->agent_says = agent;
	assert_int_equal(mixer_alloc(&c->mx), 0);
	assert_int_equal(mport_alloc(&c->customer, c->mx, "customer",
				     say_customer, hear, c), 0);
	assert_int_equal(mport_alloc(&c->agent, c->mx, "agent", say_agent,
				     hear, c), 0);
	mport_hear(c->customer, c->agent, true);
	mport_hear(c->agent, c->customer, true);
}


static void call_close(struct call *c)
{
	mem_deref(c->customer);
	mem_deref(c->agent);
	mem_deref(c->mx);
}


static uint64_t ticks;

static void run(unsigned n)
{
	while (n--)
		mtick_run(ticks++);
}


static void test_stereo_customer_left_agent_right(void **state)
{
	int16_t pcm[4 * MEDIA_FRAME * 2];
	struct rectap *tap = NULL;
	struct call c;
	(void)state;

	call_init(&c, 1000, -2000);
	assert_int_equal(rectap_alloc(&tap, c.customer, 2, 200), 0);
	run(3);
	assert_int_equal(rectap_ms(tap), 60);
	assert_int_equal(rectap_read(tap, pcm, 4), 3);
	for (size_t i = 0; i < 3 * MEDIA_FRAME; i++) {
		assert_int_equal(pcm[2 * i], 1000);
		assert_int_equal(pcm[2 * i + 1], -2000);
	}
	assert_int_equal(rectap_read(tap, pcm, 4), 0);
	assert_false(rectap_done(tap));

	rectap_stop(tap);
	run(2);
	assert_int_equal(rectap_read(tap, pcm, 4), 0);
	assert_true(rectap_done(tap));
	assert_int_equal(rectap_ms(tap), 60);
	mem_deref(tap);
	call_close(&c);
}


static void test_mono_sums_saturated(void **state)
{
	int16_t pcm[MEDIA_FRAME];
	struct rectap *tap = NULL;
	struct call c;
	(void)state;

	call_init(&c, 30000, 10000);
	assert_int_equal(rectap_alloc(&tap, c.customer, 1, 100), 0);
	run(1);
	assert_int_equal(rectap_read(tap, pcm, 1), 1);
	assert_int_equal(pcm[0], 32767);
	assert_int_equal(pcm[MEDIA_FRAME - 1], 32767);
	mem_deref(tap);
	call_close(&c);
}


static void test_pause_records_silence(void **state)
{
	int16_t pcm[3 * MEDIA_FRAME * 2];
	struct rectap *tap = NULL;
	struct call c;
	(void)state;

	call_init(&c, 1000, 500);
	assert_int_equal(rectap_alloc(&tap, c.customer, 2, 200), 0);
	run(1);
	rectap_pause(tap, true);
	assert_true(rectap_paused(tap));
	run(1);
	rectap_pause(tap, false);
	run(1);
	assert_int_equal(rectap_read(tap, pcm, 3), 3);
	assert_int_equal(pcm[0], 1000);
	assert_int_equal(pcm[2 * MEDIA_FRAME], 0);        /* paused */
	assert_int_equal(pcm[2 * MEDIA_FRAME + 1], 0);
	assert_int_equal(pcm[4 * MEDIA_FRAME + 1], 500);
	assert_int_equal(rectap_ms(tap), 60);             /* time runs on */
	mem_deref(tap);
	call_close(&c);
}


/* An encoder that falls behind loses frames, counted, never hidden. */
static void test_full_ring_drops_and_counts(void **state)
{
	int16_t pcm[10 * MEDIA_FRAME * 2];
	struct rectap *tap = NULL;
	struct call c;
	(void)state;

	call_init(&c, 1000, 0);
	assert_int_equal(rectap_alloc(&tap, c.customer, 2, 100), 0);
	run(8);
	assert_int_equal(rectap_dropped_ms(tap), 3 * MEDIA_PTIME);
	assert_int_equal(rectap_ms(tap), 8 * MEDIA_PTIME);
	assert_int_equal(rectap_read(tap, pcm, 10), 5);
	run(1);
	assert_int_equal(rectap_read(tap, pcm, 10), 1);
	mem_deref(tap);
	call_close(&c);
}



static void stall_h(void *arg)
{
	(void)arg;
	usleep(150 * 1000);          /* something else blocks the loop */
}


static void stop_h(void *arg)
{
	(void)arg;
	re_cancel();
}


/*
 * A stalled loop skips ticks: the recording gets silence for each, so
 * it is as long as the schedule (ticks run + skipped) and the gap is
 * counted (stalled), not dropped.
 */
static void test_stall_fills_silence(void **state)
{
	static int16_t pcm[100 * MEDIA_FRAME * 2];
	struct mtick_stats st0, st;
	struct tmr stall, stop;
	struct rectap *tap = NULL;
	struct call c;
	size_t n, silent = 0;
	(void)state;

	call_init(&c, 1000, -2000);
	tmr_init(&stall);
	tmr_init(&stop);
	assert_int_equal(rectap_alloc(&tap, c.customer, 2, 2000), 0);
	mtick_stats_get(&st0, 0);
	assert_int_equal(mtick_init(), 0);
	tmr_start(&stall, 50, stall_h, NULL);
	tmr_start(&stop, 400, stop_h, NULL);
	assert_int_equal(loop_run(5000), 0);
	mtick_close();
	mtick_stats_get(&st, 0);

	assert_true(st.skipped > st0.skipped);
	assert_int_equal(rectap_stalled_ms(tap),
			 (st.skipped - st0.skipped) * MEDIA_PTIME);
	assert_int_equal(rectap_ms(tap), (st.ticks - st0.ticks +
					  st.skipped - st0.skipped) *
			 MEDIA_PTIME);
	assert_int_equal(rectap_dropped_ms(tap), 0);

	n = rectap_read(tap, pcm, 100);
	assert_int_equal(n * MEDIA_PTIME, rectap_ms(tap));
	for (size_t f = 0; f < n; ++f)
		silent += pcm[f * MEDIA_FRAME * 2] == 0;
	assert_int_equal(silent * MEDIA_PTIME, rectap_stalled_ms(tap));
	mem_deref(tap);
	call_close(&c);
}

/* The customer's leg goes first (the call ends): the tap stops. */
static void test_port_gone_stops_the_tap(void **state)
{
	int16_t pcm[2 * MEDIA_FRAME * 2];
	struct rectap *tap = NULL;
	struct call c;
	(void)state;

	call_init(&c, 1000, 0);
	assert_int_equal(rectap_alloc(&tap, c.customer, 2, 100), 0);
	run(1);
	c.customer = mem_deref(c.customer);
	run(1);
	assert_int_equal(rectap_read(tap, pcm, 2), 1);
	assert_true(rectap_done(tap));
	rectap_stop(tap);                 /* harmless after */
	mem_deref(tap);
	call_close(&c);
}


static void test_bad_arguments(void **state)
{
	struct rectap *tap = NULL;
	struct call c;
	(void)state;

	call_init(&c, 1, 1);
	assert_int_equal(rectap_alloc(&tap, c.customer, 3, 100), EINVAL);
	assert_int_equal(rectap_alloc(&tap, c.customer, 2, 10), EINVAL);
	assert_int_equal(rectap_alloc(&tap, NULL, 2, 100), EINVAL);
	assert_null(tap);
	assert_int_equal(rectap_read(NULL, NULL, 1), 0);
	assert_true(rectap_done(NULL));
	call_close(&c);
}


static void test_policy(void **state)
{
	struct rec_settings s;
	(void)state;

	rec_policy_defaults(&s);
	assert_string_equal(s.mode, "all");
	assert_true(s.stereo);
	assert_false(s.from_call);
	assert_true(rec_policy_records("all", false));
	assert_true(rec_policy_records("inbound", false));
	assert_false(rec_policy_records("inbound", true));
	assert_true(rec_policy_records("outbound", true));
	assert_false(rec_policy_records("none", true));
	assert_false(rec_policy_records("sometimes", false));
	assert_false(rec_policy_records(NULL, false));

	/* the most specific level wins */
	assert_string_equal(rec_policy_mode(&s, "", ""), "all");
	assert_string_equal(rec_policy_mode(&s, "none", NULL), "none");
	assert_string_equal(rec_policy_mode(&s, "none", "inbound"),
			    "inbound");
	assert_string_equal(rec_policy_mode(NULL, NULL, NULL), "none");
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
		cmocka_unit_test(test_stereo_customer_left_agent_right),
		cmocka_unit_test(test_mono_sums_saturated),
		cmocka_unit_test(test_pause_records_silence),
		cmocka_unit_test(test_full_ring_drops_and_counts),
		cmocka_unit_test(test_stall_fills_silence),
		cmocka_unit_test(test_port_gone_stops_the_tap),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_policy),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
