/* Unit tests for the ACD routing core: strategies, order, offers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#include "acd/acd.h"
#include "acd_fx.h"

static void test_longest_idle_and_answer(void **state)
{
	struct acd_agent *a1, *a2, *a3;
	struct acd_call *c1, *c2;
	struct acd_queue_stats st;
	int i;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 3);
	a2 = agent("a2", 1);
	a3 = agent("a3", 2);
	login(a2, true);
	advance(10);
	login(a1, true);
	advance(10);
	login(a3, true);

	c1 = join("q1", 1);
	assert_offered(1, "a2");
	assert_state(a2, ACD_RINGING);
	assert_ptr_equal(acd_agent_call(a2), c1);
	assert_int_equal(acd_call_position(c1), 1);

	c2 = join("q1", 2);
	assert_offered(2, "a1");

	answer(a2, c1);
	assert_state(a2, ACD_ON_CALL);
	assert_int_equal(last_left(1), ACD_LEFT_ANSWERED);
	i = rec_find(&fx.rec, 0, 'L', "a2", 1);
	assert_true(i >= 0);

	/* the transitions reached the host in order */
	i = rec_find(&fx.rec, 0, 'S', "a2", 0);
	assert_int_equal(fx.rec.ev[i].to, ACD_READY);
	i = rec_find(&fx.rec, i + 1, 'S', "a2", 0);
	assert_int_equal(fx.rec.ev[i].to, ACD_RINGING);
	assert_int_equal(fx.rec.ev[i].call, 1);
	assert_string_equal(fx.rec.ev[i].queue, "q1");
	i = rec_find(&fx.rec, i + 1, 'S', "a2", 0);
	assert_int_equal(fx.rec.ev[i].to, ACD_ON_CALL);

	assert_int_equal(acd_offer_answered(a2, c1, fx.now), EALREADY);

	/* wrap-up 0: ready at once, and now the longest idle is a3 */
	advance(1000);
	end_call(a2);
	assert_state(a2, ACD_READY);
	(void)join("q1", 3);
	assert_offered(3, "a3");

	acd_queue_stats(acd_queue_find(fx.acd, "q1"), &st);
	assert_int_equal(st.waiting, 2);
	assert_int_equal(st.by_state[ACD_RINGING], 2);
	assert_int_equal(st.by_state[ACD_READY], 1);
	assert_int_equal(st.cnt.offered, 3);
	assert_int_equal(st.cnt.answered, 1);
	(void)c2;
}


static void test_level_before_idle(void **state)
{
	struct acd_queue_cfg cfg = qcfg("longest_idle");
	const char *sk[] = {"en"};
	struct acd_agent *a1, *a2, *a3;

	(void)state;
	cfg.skillv = sk;
	cfg.skillc = 1;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	a3 = agent("a3", 3);
	skills(a1, "en", 3);
	skills(a2, "en", 1);
	skills(a3, "fr", 1);
	login(a1, true);
	advance(5);
	login(a2, true);
	login(a3, true);

	(void)join("q1", 1);
	assert_offered(1, "a2");
	(void)join("q1", 2);
	assert_offered(2, "a1");

	/* a3 lacks the skill: the third call waits */
	(void)join("q1", 3);
	assert_offered(3, "");
	assert_state(a3, ACD_READY);
}


static void test_priority_then_arrival(void **state)
{
	struct acd_call *c1, *c2, *c3, *c4;
	struct acd_agent *a1;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);

	c1 = join("q1", 1);
	advance(10);
	c2 = join("q1", 2);
	advance(10);
	c3 = join_p("q1", 3, 5, NULL);
	advance(10);
	c4 = join_p("q1", 4, 5, NULL);
	assert_int_equal(acd_call_position(c3), 1);
	assert_int_equal(acd_call_position(c4), 2);
	assert_int_equal(acd_call_position(c1), 3);
	assert_int_equal(acd_call_position(c2), 4);
	assert_int_equal(acd_call_joined(c2), T0 + 10);

	login(a1, true);
	assert_offered(3, "a1");
	answer(a1, c3);
	end_call(a1);
	assert_offered(4, "a1");
	answer(a1, c4);
	end_call(a1);
	assert_offered(1, "a1");
	answer(a1, c1);
	end_call(a1);
	assert_offered(2, "a1");
}


static void test_ring_timeout_keeps_place(void **state)
{
	struct acd_call *c1, *c2;
	struct acd_agent *a1, *a2;
	struct acd_counters cnt;
	int i;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, true);

	c1 = join("q1", 1);
	advance(10);
	c2 = join("q1", 2);
	assert_offered(1, "a1");

	advance(14000);
	login(a2, true);
	assert_offered(2, "a2");
	assert_int_equal(acd_call_position(c2), 2);

	/* a1 does not answer: call 1 goes back ahead of everyone */
	next_deadline();
	i = rec_find(&fx.rec, 0, 'C', "a1", 1);
	assert_true(i >= 0);
	assert_int_equal(fx.rec.ev[i].why, ACD_CANCEL_TIMEOUT);
	assert_int_equal(acd_call_position(c1), 1);

	acd_agent_stats(a1, &cnt);
	assert_int_equal(cnt.misses[ACD_MISS_NO_ANSWER], 1);

	/* a2 is busy with call 2 and a1 just missed call 1, but it is the
	 * only one ready: offered again */
	assert_offered(1, "a1");
	assert_int_equal(rec_count(&fx.rec, 'O', "a1", 1), 2);

	/* a2 rejects call 2; a1 rings call 1, so a2 is offered it again */
	assert_int_equal(acd_offer_failed(a2, c2, ACD_MISS_REJECTED, fx.now),
			 0);
	check();
	assert_int_equal(acd_offer_failed(a2, c1, ACD_MISS_REJECTED, fx.now),
			 EALREADY);
	acd_agent_stats(a2, &cnt);
	assert_int_equal(cnt.misses[ACD_MISS_REJECTED], 1);
	assert_int_equal(rec_count(&fx.rec, 'O', "a2", 2), 2);
	assert_state(a2, ACD_RINGING);
}


static void test_reoffer_goes_to_next_agent(void **state)
{
	struct acd_agent *a1, *a2;
	struct acd_call *c1;

	(void)state;
	queue("q1", "top_down");
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, true);
	login(a2, true);

	c1 = join("q1", 1);
	assert_offered(1, "a1");
	assert_int_equal(acd_offer_failed(a1, c1, ACD_MISS_BUSY, fx.now), 0);
	check();
	/* top-down would pick a1 again: the next agent gets it */
	assert_offered(1, "a2");
	assert_int_equal(acd_offer_failed(a2, c1, ACD_MISS_BUSY, fx.now), 0);
	check();
	assert_offered(1, "a1");
}


static void test_miss_limit(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	struct acd_agent *a1;
	struct acd_call *c1;
	struct acd_queue_stats st;
	int i;

	(void)state;
	cfg.miss_limit = 2;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	login(a1, true);
	c1 = join("q1", 1);

	next_deadline();
	assert_state(a1, ACD_RINGING);
	next_deadline();
	assert_state(a1, ACD_NOT_READY);
	assert_string_equal(acd_agent_reason(a1), "no_answer");
	i = rec_find(&fx.rec, 0, 'S', "a1", 0);
	while (rec_find(&fx.rec, i + 1, 'S', "a1", 0) >= 0)
		i = rec_find(&fx.rec, i + 1, 'S', "a1", 0);
	assert_string_equal(fx.rec.ev[i].reason, "no_answer");
	assert_int_equal(fx.rec.ev[i].from, ACD_RINGING);

	acd_queue_stats(acd_queue_find(fx.acd, "q1"), &st);
	assert_int_equal(st.cnt.misses[ACD_MISS_NO_ANSWER], 2);
	assert_int_equal(acd_call_position(c1), 1);

	/* ready again: the count starts over */
	assert_int_equal(acd_agent_ready(a1, NULL, fx.now), 0);
	check();
	assert_int_equal(rec_count(&fx.rec, 'O', "a1", 1), 3);
	assert_int_equal(acd_offer_failed(a1, c1, ACD_MISS_UNREACHABLE,
					  fx.now), 0);
	check();
	assert_state(a1, ACD_RINGING);
}


static void test_offer_error_is_unreachable(void **state)
{
	struct acd_agent *a1, *a2;
	struct acd_counters cnt;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, true);
	advance(1);
	login(a2, true);

	fx.rec.offer_err = ENOTCONN;
	(void)join("q1", 1);
	/* both devices fail at once: no loop, both not ready */
	assert_state(a1, ACD_NOT_READY);
	assert_state(a2, ACD_NOT_READY);
	assert_string_equal(acd_agent_reason(a1), "device_offline");
	acd_agent_stats(a1, &cnt);
	assert_int_equal(cnt.misses[ACD_MISS_UNREACHABLE], 1);
	assert_int_equal(rec_count(&fx.rec, 'C', NULL, 0), 0);

	fx.rec.offer_err = 0;
	assert_int_equal(acd_agent_ready(a2, "sup1", fx.now), 0);
	check();
	assert_offered(1, "a2");
}


static void test_ring_all_race(void **state)
{
	struct acd_agent *a[4];
	struct acd_call *c1;
	const char *id;
	int i, j;

	(void)state;
	queue("q1", "ring_all");
	for (i = 0; i < 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "a%d", i);
		a[i] = agent(name, i);
		login(a[i], true);
	}

	c1 = join("q1", 1);
	assert_int_equal(rec_count(&fx.rec, 'O', NULL, 1), 4);
	for (i = 0; i < 4; i++)
		assert_state(a[i], ACD_RINGING);

	/* two answers in the same ms: one wins */
	assert_int_equal(acd_offer_answered(a[2], c1, fx.now), 0);
	assert_int_equal(acd_offer_answered(a[1], c1, fx.now), EALREADY);
	check();
	assert_int_equal(last_left(1), ACD_LEFT_ANSWERED);
	assert_state(a[2], ACD_ON_CALL);
	for (i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		assert_state(a[i], ACD_READY);
		id = acd_agent_id(a[i]);
		assert_int_equal(rec_count(&fx.rec, 'C', id, 1), 1);
		j = rec_find(&fx.rec, 0, 'C', id, 1);
		assert_int_equal(fx.rec.ev[j].why, ACD_CANCEL_TAKEN);
	}

	/* the next call rings the three free agents */
	(void)join("q1", 2);
	assert_int_equal(rec_count(&fx.rec, 'O', NULL, 2), 3);
	assert_int_equal(acd_offer_failed(a[0], c1, ACD_MISS_BUSY, fx.now),
			 EALREADY);
}


static void answer_on_offer(struct rec *r, struct acd_agent *a,
			    struct acd_call *c)
{
	(void)r;
	/* the host answers from inside the offer callback */
	assert_int_equal(acd_offer_answered(a, c, fx.now), 0);
}


static void test_ring_all_answer_in_callback(void **state)
{
	struct acd_agent *a1, *a2;

	(void)state;
	queue("q1", "ring_all");
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, true);
	login(a2, true);

	fx.rec.on_offer = answer_on_offer;
	(void)join("q1", 1);
	check();
	/* the first offer delivered was answered; the second was withdrawn
	 * before delivery: never delivered, never cancelled */
	assert_int_equal(rec_count(&fx.rec, 'O', NULL, 1), 1);
	assert_int_equal(rec_count(&fx.rec, 'C', NULL, 1), 0);
	assert_int_equal(last_left(1), ACD_LEFT_ANSWERED);
	assert_int_equal((acd_agent_state(a1) == ACD_ON_CALL) +
			 (acd_agent_state(a2) == ACD_ON_CALL), 1);
}



static void test_round_robin(void **state)
{
	struct acd_agent *a[4];
	struct acd_call *c;
	const char *want[] = {"a1", "a2", "a3", "a1", "a2", "a3", "a2"};
	int i;

	(void)state;
	queue("q1", "round_robin");
	a[1] = agent("a1", 1);
	a[2] = agent("a2", 2);
	a[3] = agent("a3", 3);
	login(a[3], true);
	login(a[1], true);
	login(a[2], true);

	for (i = 0; i < 6; i++) {
		c = join("q1", 10 + i);
		serve(a[want[i][1] - '0'], c);
	}

	/* memory: a3 had the last call; it goes on break, the turn moves
	 * past it, and when back it is not served first */
	assert_int_equal(acd_agent_not_ready(a[1], "lunch", NULL, fx.now), 0);
	c = join("q1", 20);
	serve(a[2], c);
	c = join("q1", 21);
	serve(a[3], c);
	assert_int_equal(acd_agent_ready(a[1], NULL, fx.now), 0);
	c = join("q1", 22);
	serve(a[1], c);
	c = join("q1", 23);
	serve(a[2], c);
}


static void test_fewest_calls(void **state)
{
	struct acd_agent *a1, *a2, *a3;
	struct acd_call *c;

	(void)state;
	queue("q1", "fewest_calls");
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	a3 = agent("a3", 3);
	login(a1, true);
	advance(1);
	login(a2, true);
	advance(1);
	login(a3, true);

	c = join("q1", 1);
	serve(a1, c);
	c = join("q1", 2);
	serve(a2, c);
	c = join("q1", 3);
	serve(a3, c);
	c = join("q1", 4);
	serve(a1, c);

	/* a2 and a3 have one call, a1 two: a2 idle longer than a3 */
	c = join("q1", 5);
	serve(a2, c);
	c = join("q1", 6);
	serve(a3, c);

	/* a login starts the count again */
	assert_int_equal(acd_agent_logout(a1, NULL, fx.now), 0);
	login(a1, true);
	c = join("q1", 7);
	serve(a1, c);
}


static void test_top_down_skips_breaks(void **state)
{
	struct acd_agent *a1, *a2, *a3;
	struct acd_call *c;

	(void)state;
	queue("q1", "top_down");
	a3 = agent("a3", 30);
	a1 = agent("a1", 10);
	a2 = agent("a2", 20);
	login(a3, true);
	login(a2, true);
	login(a1, false);

	/* the first by order is on a break: the next takes the call */
	c = join("q1", 1);
	serve(a2, c);
	c = join("q1", 2);
	serve(a2, c);
	assert_int_equal(acd_agent_ready(a1, NULL, fx.now), 0);
	c = join("q1", 3);
	serve(a1, c);
	assert_int_equal(acd_agent_not_ready(a2, "meeting", NULL, fx.now), 0);
	assert_int_equal(acd_agent_not_ready(a1, "meeting", NULL, fx.now), 0);
	c = join("q1", 4);
	serve(a3, c);
}


static void test_arbitration(void **state)
{
	struct acd_queue_cfg lo = qcfg(NULL), hi = qcfg(NULL);
	struct acd_agent *a1;
	struct acd_call *c1, *c2, *c3, *c4;

	(void)state;
	lo.priority = 1;
	hi.priority = 5;
	queue_set("lo", &lo);
	queue_set("hi", &hi);
	queue_set("lo2", &lo);
	a1 = agent("a1", 1);

	c1 = join("lo", 1);
	advance(100);
	c2 = join("lo2", 2);
	advance(100);
	c3 = join("hi", 3);
	advance(100);
	c4 = join("hi", 4);

	/* queue priority first, even over callers who waited longer */
	login(a1, true);
	serve(a1, c3);
	serve(a1, c4);
	/* equal priority: the caller who waited longest */
	serve(a1, c1);
	serve(a1, c2);
}


static void test_500_calls_3_agents(void **state)
{
	struct acd_call *c[500];
	struct acd_agent *a[3];
	unsigned served[3] = {0, 0, 0};
	int i, k, left = 500;

	(void)state;
	queue("q1", NULL);
	for (k = 0; k < 3; k++) {
		char id[16];

		snprintf(id, sizeof(id), "a%d", k);
		a[k] = agent(id, k);
		login(a[k], true);
	}

	for (i = 0; i < 500; i++)
		c[i] = join("q1", i + 1);

	assert_int_equal(acd_call_position(c[499]), 500);

	/* served strictly in arrival order, never two calls per agent */
	for (i = 0; left; i++) {
		for (k = 0; k < 3 && left; k++) {
			struct acd_call *cur = acd_agent_call(a[k]);

			assert_non_null(cur);
			assert_int_equal(acd_agent_state(a[k]), ACD_RINGING);
			answer(a[k], cur);
			++served[k];
			--left;
		}
		for (k = 0; k < 3; k++) {
			if (acd_agent_state(a[k]) == ACD_ON_CALL)
				end_call(a[k]);
		}
	}

	for (i = 0; i < 500; i++)
		assert_int_equal(last_left(i + 1), ACD_LEFT_ANSWERED);
	for (i = 1; i < 500; i++)
		assert_true(rec_find(&fx.rec, 0, 'O', NULL, i) <
			    rec_find(&fx.rec, 0, 'O', NULL, i + 1));
	assert_true(served[0] >= 166 && served[1] >= 166 && served[2] >= 166);
}


static void test_tenants_apart(void **state)
{
	struct acd_agent *a1, *b1;
	struct acd_queue_cfg cfg = qcfg(NULL);

	(void)state;
	assert_int_equal(acd_queue_set(fx.acd, "t2", "q2", &cfg, fx.now), 0);
	queue("q1", NULL);
	b1 = agent_t("t2", "b1", 1);
	login(b1, true);
	(void)join("q1", 1);
	assert_offered(1, "");
	a1 = agent("a1", 1);
	login(a1, true);
	assert_offered(1, "a1");
	(void)join("q2", 2);
	assert_offered(2, "b1");
	assert_int_equal(acd_agent_add(fx.acd, NULL, "t1", "a1", 1, NULL),
			 EEXIST);
	acd_agent_remove(a1, fx.now);
	check();
	assert_null(acd_agent_find(fx.acd, "a1"));
	assert_int_equal(acd_call_position(NULL), 0);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		ACD_TEST(test_longest_idle_and_answer),
		ACD_TEST(test_level_before_idle),
		ACD_TEST(test_priority_then_arrival),
		ACD_TEST(test_ring_timeout_keeps_place),
		ACD_TEST(test_reoffer_goes_to_next_agent),
		ACD_TEST(test_miss_limit),
		ACD_TEST(test_offer_error_is_unreachable),
		ACD_TEST(test_ring_all_race),
		ACD_TEST(test_ring_all_answer_in_callback),
		ACD_TEST(test_round_robin),
		ACD_TEST(test_fewest_calls),
		ACD_TEST(test_top_down_skips_breaks),
		ACD_TEST(test_arbitration),
		ACD_TEST(test_500_calls_3_agents),
		ACD_TEST(test_tenants_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
