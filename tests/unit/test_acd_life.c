/* Unit tests for the ACD routing core: agents and callers leaving,
 * queue changes, wrap-up, max wait, empty queues, sticky agents. */
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

static void test_caller_gone_while_ringing(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	struct acd_agent *a1;
	struct acd_call *c1;
	struct acd_queue_stats st;
	int i;

	(void)state;
	cfg.wrapup_ms = 30000;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	login(a1, true);
	c1 = join("q1", 1);
	assert_offered(1, "a1");

	acd_call_leave(c1, fx.now);
	check();
	i = rec_find(&fx.rec, 0, 'C', "a1", 1);
	assert_true(i >= 0);
	assert_int_equal(fx.rec.ev[i].why, ACD_CANCEL_CALLER_GONE);
	assert_true(rec_find(&fx.rec, i, 'L', NULL, 1) > i);
	assert_int_equal(last_left(1), ACD_LEFT_ABANDONED);
	/* no wrap-up, no miss */
	assert_state(a1, ACD_READY);
	acd_queue_stats(acd_queue_find(fx.acd, "q1"), &st);
	assert_int_equal(st.cnt.abandoned, 1);
	assert_int_equal(st.cnt.misses[ACD_MISS_NO_ANSWER], 0);
	assert_int_equal(st.waiting, 0);
	assert_int_equal(acd_offer_answered(a1, c1, fx.now), EALREADY);
	assert_int_equal(acd_next_deadline(fx.acd), 0);
}


static void test_agent_gone_while_ringing(void **state)
{
	struct acd_agent *a1, *a2;
	struct acd_call *c1;
	int i;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, true);
	c1 = join("q1", 1);
	(void)join("q1", 2);
	assert_offered(1, "a1");

	assert_int_equal(acd_agent_logout(a1, "sup1", fx.now), 0);
	check();
	i = rec_find(&fx.rec, 0, 'C', "a1", 1);
	assert_int_equal(fx.rec.ev[i].why, ACD_CANCEL_AGENT_GONE);
	i = rec_find(&fx.rec, i, 'S', "a1", 0);
	assert_int_equal(fx.rec.ev[i].to, ACD_LOGGED_OUT);
	assert_string_equal(fx.rec.ev[i].forced_by, "sup1");
	assert_int_equal(acd_call_position(c1), 1);

	/* call 1 kept its place: the next agent gets it, not call 2 */
	login(a2, true);
	assert_offered(1, "a2");
	assert_int_equal(acd_agent_not_ready(a2, "toilet", NULL, fx.now), 0);
	check();
	i = rec_find(&fx.rec, 0, 'C', "a2", 1);
	assert_int_equal(fx.rec.ev[i].why, ACD_CANCEL_AGENT_GONE);
	assert_string_equal(acd_agent_reason(a2), "toilet");
	assert_int_equal(acd_call_position(c1), 1);
	assert_int_equal(acd_agent_login(a2, true, NULL, fx.now), EALREADY);
	assert_int_equal(acd_agent_logout(a1, NULL, fx.now), EALREADY);
}


static void test_skills_removed_while_ringing(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	const char *sk[] = {"en"};
	struct acd_agent *a1, *a2;
	int i;

	(void)state;
	cfg.skillv = sk;
	cfg.skillc = 1;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	skills(a1, "en", 1);
	skills(a2, "en", 2);
	login(a1, true);
	login(a2, false);
	(void)join("q1", 1);
	assert_offered(1, "a1");

	skills(a1, "fr", 1);
	i = rec_find(&fx.rec, 0, 'C', "a1", 1);
	assert_int_equal(fx.rec.ev[i].why, ACD_CANCEL_NOT_MEMBER);
	assert_state(a1, ACD_READY);
	assert_int_equal(rec_count(&fx.rec, 'O', "a1", 0), 1);

	assert_int_equal(acd_agent_ready(a2, NULL, fx.now), 0);
	check();
	assert_offered(1, "a2");
}


static void test_queue_deleted(void **state)
{
	struct acd_agent *a1, *a2;
	struct acd_call *c2;
	int i;

	(void)state;
	queue("q1", NULL);
	queue("q2", NULL);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, true);
	(void)join("q1", 1);
	(void)join("q1", 2);
	(void)join("q1", 3);
	c2 = join("q2", 4);
	assert_offered(1, "a1");

	acd_queue_remove(fx.acd, "q1", fx.now);
	check();
	i = rec_find(&fx.rec, 0, 'C', "a1", 1);
	assert_int_equal(fx.rec.ev[i].why, ACD_CANCEL_QUEUE_GONE);
	assert_int_equal(last_left(1), ACD_LEFT_DELETED);
	assert_int_equal(last_left(2), ACD_LEFT_DELETED);
	assert_int_equal(last_left(3), ACD_LEFT_DELETED);
	assert_null(acd_queue_find(fx.acd, "q1"));

	/* a1 is free again and takes the other queue's call */
	assert_offered(4, "a1");
	answer(a1, c2);
	login(a2, true);
	assert_int_equal(acd_call_join(fx.acd, &c2, "q1", NULL, fx.now),
			 ENOENT);
	acd_queue_remove(fx.acd, "q1", fx.now);
	check();
}


static void test_queue_edited(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	const char *sk[] = {"en"};
	struct acd_agent *a1, *a2;
	struct acd_call *c[4];

	(void)state;
	cfg.skillv = sk;
	cfg.skillc = 1;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	skills(a2, "en", 1);
	login(a1, true);
	login(a2, true);

	c[0] = join("q1", 1);
	assert_offered(1, "a2");
	c[1] = join("q1", 2);
	advance(10);
	c[2] = join_p("q1", 3, 2, NULL);
	advance(10);
	c[3] = join("q1", 4);

	/* no skills now: a1 serves too, the calls keep their order */
	cfg.skillc = 0;
	cfg.strategy = acd_strategy_find("top_down");
	queue_set("q1", &cfg);
	assert_offered(3, "a1");
	/* ringing calls count too: 3 (prio 2), then 1, 2, 4 */
	assert_int_equal(acd_call_position(c[0]), 2);
	assert_int_equal(acd_call_position(c[1]), 3);
	assert_int_equal(acd_call_position(c[3]), 4);

	/* a skill only a1 lacks: a1 stops ringing, call 3 waits on */
	cfg.skillc = 1;
	queue_set("q1", &cfg);
	assert_int_equal(fx.rec.ev[rec_find(&fx.rec, 0, 'C', "a1", 3)].why,
			 ACD_CANCEL_NOT_MEMBER);
	serve(a2, c[0]);
	serve(a2, c[2]);
	serve(a2, c[1]);
	serve(a2, c[3]);

	/* an id of another tenant, bad cfg */
	assert_int_equal(acd_queue_set(fx.acd, "t2", "q1", &cfg, fx.now),
			 EINVAL);
	cfg.skillv = NULL;
	assert_int_equal(acd_queue_set(fx.acd, "t1", "q9", &cfg, fx.now),
			 EINVAL);
	assert_null(acd_strategy_find("random"));
}


static void test_wrapup_two_queues(void **state)
{
	struct acd_queue_cfg short_q = qcfg(NULL), long_q = qcfg(NULL);
	struct acd_agent *a1;
	struct acd_call *c1, *c2;
	int i;

	(void)state;
	short_q.wrapup_ms = 5000;
	long_q.wrapup_ms = 60000;
	queue_set("short", &short_q);
	queue_set("long", &long_q);
	a1 = agent("a1", 1);
	login(a1, true);

	c1 = join("long", 1);
	answer(a1, c1);
	advance(20000);
	end_call(a1);
	assert_state(a1, ACD_WRAP_UP);
	i = rec_find(&fx.rec, 0, 'S', "a1", 1);
	while (fx.rec.ev[i].to != ACD_WRAP_UP)
		i = rec_find(&fx.rec, i + 1, 'S', "a1", 1);
	assert_string_equal(fx.rec.ev[i].queue, "long");
	assert_int_equal(acd_agent_call(a1), c1);
	assert_int_equal(acd_next_deadline(fx.acd), fx.now + 60000);

	/* a call of the other queue waits for the long wrap-up */
	c2 = join("short", 2);
	advance(59999);
	assert_state(a1, ACD_WRAP_UP);
	advance(1);
	serve(a1, c2);
	assert_state(a1, ACD_WRAP_UP);
	assert_int_equal(acd_next_deadline(fx.acd), fx.now + 5000);
	advance(5000);
	assert_state(a1, ACD_READY);
	assert_null(acd_agent_call(a1));
}


static void test_wrapup_end_extend(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	struct acd_agent *a1;
	struct acd_call *c1;

	(void)state;
	cfg.wrapup_ms = 10000;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	login(a1, true);
	assert_int_equal(acd_agent_wrapup_end(a1, fx.now), EINVAL);
	assert_int_equal(acd_agent_call_ended(a1, fx.now), EINVAL);

	c1 = join("q1", 1);
	answer(a1, c1);
	assert_int_equal(acd_agent_ready(a1, NULL, fx.now), EBUSY);
	assert_int_equal(acd_agent_not_ready(a1, "x", NULL, fx.now), EBUSY);
	end_call(a1);
	assert_int_equal(acd_agent_wrapup_extend(a1, 5000, fx.now), 0);
	check();
	advance(14999);
	assert_state(a1, ACD_WRAP_UP);
	advance(1);
	assert_state(a1, ACD_READY);
	assert_int_equal(acd_agent_wrapup_extend(a1, 5000, fx.now), EINVAL);

	c1 = join("q1", 2);
	answer(a1, c1);
	end_call(a1);
	advance(100);
	assert_int_equal(acd_agent_wrapup_end(a1, fx.now), 0);
	check();
	assert_state(a1, ACD_READY);
	assert_int_equal(acd_next_deadline(fx.acd), 0);
}


static void test_max_wait_while_ringing(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	struct acd_agent *a1;
	struct acd_queue_stats st;
	int i;

	(void)state;
	cfg.max_wait_ms = 20000;
	cfg.ring_timeout_ms = 30000;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	(void)join("q1", 1);
	advance(15000);
	login(a1, true);
	assert_offered(1, "a1");

	/* the caller's max wait comes first: the ring stops, no miss */
	next_deadline();
	assert_int_equal(fx.now, T0 + 20000);
	i = rec_find(&fx.rec, 0, 'C', "a1", 1);
	assert_int_equal(fx.rec.ev[i].why, ACD_CANCEL_CALLER_GONE);
	assert_int_equal(last_left(1), ACD_LEFT_TIMEOUT);
	assert_state(a1, ACD_READY);
	acd_queue_stats(acd_queue_find(fx.acd, "q1"), &st);
	assert_int_equal(st.cnt.timeouts, 1);
	assert_int_equal(st.cnt.misses[ACD_MISS_NO_ANSWER], 0);
	assert_int_equal(acd_next_deadline(fx.acd), 0);
}


static void test_max_length_and_join_empty(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	struct acd_agent *a1;
	struct acd_call *c;
	struct acd_join j = {0, NULL, NULL, 0, NULL};
	struct acd_queue_stats st;

	(void)state;
	cfg.max_length = 2;
	cfg.join_empty = ACD_JOIN_LOGGED_IN;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	assert_int_equal(acd_call_join(fx.acd, &c, "q1", &j, fx.now), ENODEV);
	login(a1, false);
	(void)join("q1", 1);
	(void)join("q1", 2);
	assert_int_equal(acd_call_join(fx.acd, &c, "q1", &j, fx.now), ENOSPC);

	cfg.join_empty = ACD_JOIN_READY;
	cfg.max_length = 0;
	queue_set("q1", &cfg);
	assert_int_equal(acd_call_join(fx.acd, &c, "q1", &j, fx.now), ENODEV);
	acd_queue_stats(acd_queue_find(fx.acd, "q1"), &st);
	assert_int_equal(st.cnt.refused, 3);
	assert_int_equal(st.waiting, 2);
	assert_int_equal(st.oldest_since, T0);
}


static void test_leave_empty(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	struct acd_agent *a1, *a2;
	struct acd_queue_stats st;

	(void)state;
	cfg.leave_empty = true;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, false);
	login(a2, false);
	(void)join("q1", 1);
	(void)join("q1", 2);

	assert_int_equal(acd_agent_logout(a1, NULL, fx.now), 0);
	check();
	assert_int_equal(rec_count(&fx.rec, 'L', NULL, 0), 0);
	assert_int_equal(acd_agent_logout(a2, NULL, fx.now), 0);
	check();
	assert_int_equal(last_left(1), ACD_LEFT_EMPTY);
	assert_int_equal(last_left(2), ACD_LEFT_EMPTY);
	acd_queue_stats(acd_queue_find(fx.acd, "q1"), &st);
	assert_int_equal(st.cnt.emptied, 2);
}


static void test_sticky(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	struct acd_agent *a1, *a2;
	struct acd_call *c1, *c2;

	(void)state;
	cfg.sticky_wait_ms = 10000;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, true);
	login(a2, true);
	c1 = join("q1", 1);
	serve(a1, c1);
	assert_int_equal(acd_agent_not_ready(a1, "lunch", NULL, fx.now), 0);
	assert_int_equal(acd_agent_not_ready(a2, "lunch", NULL, fx.now), 0);

	/* the repeat caller waits for a1 while a2 is free */
	c2 = join_p("q1", 2, 0, "a1");
	assert_int_equal(acd_agent_ready(a2, NULL, fx.now), 0);
	check();
	assert_offered(2, "");
	assert_int_equal(acd_call_position(c2), 1);
	assert_int_equal(acd_agent_ready(a1, NULL, fx.now), 0);
	check();
	serve(a1, c2);

	/* a1 busy past the sticky wait: then anyone */
	assert_int_equal(acd_agent_not_ready(a1, "lunch", NULL, fx.now), 0);
	c2 = join_p("q1", 3, 0, "a1");
	advance(9999);
	assert_offered(3, "");
	advance(1);
	serve(a2, c2);

	/* sticky agent logged out or unknown: no wait at all */
	assert_int_equal(acd_agent_logout(a1, NULL, fx.now), 0);
	c2 = join_p("q1", 4, 0, "a1");
	serve(a2, c2);
	c2 = join_p("q1", 5, 0, "nobody");
	serve(a2, c2);

	/* the sticky agent logs out during the wait: anyone at once */
	login(a1, false);
	assert_int_equal(acd_agent_not_ready(a2, "x", NULL, fx.now), 0);
	c2 = join_p("q1", 6, 0, "a1");
	assert_int_equal(acd_agent_ready(a2, NULL, fx.now), 0);
	assert_offered(6, "");
	assert_int_equal(acd_agent_logout(a1, NULL, fx.now), 0);
	check();
	serve(a2, c2);
}


static void test_miss_causes_counted(void **state)
{
	struct acd_agent *a1, *a2;
	struct acd_call *c1;
	struct acd_counters cnt;
	struct acd_queue_stats st;
	const enum acd_miss causes[] = {ACD_MISS_BUSY, ACD_MISS_REJECTED,
		ACD_MISS_UNREACHABLE, ACD_MISS_NO_ANSWER, ACD_MISS_BUSY};

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, true);
	c1 = join("q1", 1);
	for (size_t i = 0; i < ARRAY_SIZE(causes); i++) {
		assert_int_equal(acd_offer_failed(a1, c1, causes[i], fx.now),
				 0);
		check();
	}
	assert_int_equal(acd_offer_failed(a1, c1, (enum acd_miss)9, fx.now),
			 EINVAL);
	assert_int_equal(acd_offer_failed(a2, c1, ACD_MISS_BUSY, fx.now),
			 EALREADY);

	acd_agent_stats(a1, &cnt);
	assert_int_equal(cnt.offered, 6);
	assert_int_equal(cnt.misses[ACD_MISS_BUSY], 2);
	assert_int_equal(cnt.misses[ACD_MISS_REJECTED], 1);
	assert_int_equal(cnt.misses[ACD_MISS_UNREACHABLE], 1);
	assert_int_equal(cnt.misses[ACD_MISS_NO_ANSWER], 1);
	acd_queue_stats(acd_queue_find(fx.acd, "q1"), &st);
	assert_memory_equal(st.cnt.misses, cnt.misses, sizeof(cnt.misses));
	assert_int_equal(st.cnt.offered, 6);

	/* an answer ends the run of misses */
	answer(a1, c1);
	acd_agent_stats(a1, &cnt);
	assert_int_equal(cnt.answered, 1);
}


/* The host puts the agent on a break as soon as it hears it rings. */
static void break_on_ringing(struct acd_agent *a,
			     const struct acd_transition *t)
{
	if (t->to == ACD_RINGING && !strcmp(acd_agent_id(a), "a1"))
		assert_int_equal(acd_agent_not_ready(a, "away", NULL, fx.now),
				 0);
}


static void test_offer_withdrawn_before_delivery(void **state)
{
	struct acd_agent *a1, *a2;
	int i, j;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, true);
	advance(10);
	login(a2, true);

	fx.rec.on_state = break_on_ringing;
	(void)join("q1", 1);
	check();

	/* a1's offer was withdrawn before its callback ran: never
	 * delivered, never cancelled; a2 was offered the call after a1's
	 * transitions, which came in order */
	assert_int_equal(rec_count(&fx.rec, 'O', "a1", 1), 0);
	assert_int_equal(rec_count(&fx.rec, 'C', "a1", 1), 0);
	assert_offered(1, "a2");
	assert_state(a1, ACD_NOT_READY);
	i = rec_find(&fx.rec, 0, 'S', "a1", 1);
	assert_int_equal(fx.rec.ev[i].to, ACD_RINGING);
	j = rec_find(&fx.rec, i + 1, 'S', "a1", 0);
	assert_int_equal(fx.rec.ev[j].from, ACD_RINGING);
	assert_int_equal(fx.rec.ev[j].to, ACD_NOT_READY);
	assert_string_equal(fx.rec.ev[j].reason, "away");
	assert_true(rec_find(&fx.rec, 0, 'O', "a2", 1) > j);
}


static struct acd_call *overflowed;


/* Overflow to another queue from inside call_left, as the host does:
 * the same caller, its id + 100. */
static void overflow_on_timeout(struct acd_call *c, enum acd_left why)
{
	struct acd_join j = {0, NULL, NULL, 0, NULL};

	if (why != ACD_LEFT_TIMEOUT)
		return;

	j.arg = (void *)(intptr_t)(rec_call_id(c) + 100);
	assert_int_equal(acd_call_join(fx.acd, &overflowed, "q2", &j,
				       fx.now), 0);
	assert_non_null(overflowed);
}


static void test_overflow_from_callback(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	const char *sk[] = {"fr"};
	struct acd_agent *a1;
	int left;

	(void)state;
	cfg.max_wait_ms = 30000;
	cfg.skillv = sk;
	cfg.skillc = 1;
	queue_set("q1", &cfg);
	queue("q2", NULL);
	a1 = agent("a1", 1);
	login(a1, true);

	(void)join("q1", 1);
	assert_offered(1, "");
	fx.rec.on_left = overflow_on_timeout;
	advance(30000);

	/* the nested join's offer is delivered after the call_left that
	 * caused it */
	left = rec_find(&fx.rec, 0, 'L', NULL, 1);
	assert_true(left >= 0);
	assert_int_equal(fx.rec.ev[left].why, ACD_LEFT_TIMEOUT);
	assert_true(rec_find(&fx.rec, 0, 'O', "a1", 101) > left);
	assert_ptr_equal(acd_agent_call(a1), overflowed);
	assert_int_equal(acd_call_position(overflowed), 1);
	answer(a1, overflowed);
	assert_int_equal(last_left(101), ACD_LEFT_ANSWERED);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		ACD_TEST(test_caller_gone_while_ringing),
		ACD_TEST(test_agent_gone_while_ringing),
		ACD_TEST(test_skills_removed_while_ringing),
		ACD_TEST(test_queue_deleted),
		ACD_TEST(test_queue_edited),
		ACD_TEST(test_wrapup_two_queues),
		ACD_TEST(test_wrapup_end_extend),
		ACD_TEST(test_max_wait_while_ringing),
		ACD_TEST(test_max_length_and_join_empty),
		ACD_TEST(test_leave_empty),
		ACD_TEST(test_sticky),
		ACD_TEST(test_miss_causes_counted),
		ACD_TEST(test_offer_withdrawn_before_delivery),
		ACD_TEST(test_overflow_from_callback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
