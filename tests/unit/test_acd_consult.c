/* Unit tests for the ACD routing core: a colleague reserved for a
 * consultation is offered nothing else, and is released exactly once. */
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


/* a1 talks on call 1 and reserves a2 for a consultation about it. */
static struct acd_call *consulting(struct acd_agent *a1,
				   struct acd_agent *a2)
{
	struct acd_call *c1;

	login(a1, true);
	c1 = join("q1", 1);
	assert_offered(1, "a1");
	answer(a1, c1);
	login(a2, true);
	assert_int_equal(acd_consult_reserve(a2, c1, fx.now), 0);
	check();
	assert_state(a2, ACD_RINGING);
	assert_true(acd_agent_consulted(a2));

	return c1;
}


static void test_consult_take(void **state)
{
	struct acd_queue_cfg cfg = qcfg("longest_idle");
	struct acd_agent *a1, *a2;
	struct acd_call *c1, *c2;

	(void)state;
	cfg.wrapup_ms = 5000;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	c1 = consulting(a1, a2);

	/* a caller waits meanwhile: the reserved colleague is not offered */
	c2 = join("q1", 2);
	check();
	assert_int_equal(rec_count(&fx.rec, 'O', NULL, 2), 0);
	assert_int_equal(acd_agent_not_ready(a2, "x", NULL, fx.now), EBUSY);
	assert_int_equal(acd_agent_ready(a2, NULL, fx.now), EBUSY);

	assert_int_equal(acd_consult_take(a2, fx.now), EALREADY);
	assert_int_equal(acd_consult_answered(a2, fx.now), 0);
	check();
	assert_state(a2, ACD_ON_CALL);
	assert_ptr_equal(acd_agent_call(a2), c1);

	/* the colleague takes the call over; the first agent wraps up */
	end_call(a1);
	assert_state(a1, ACD_WRAP_UP);
	assert_int_equal(acd_consult_take(a2, fx.now), 0);
	check();
	assert_false(acd_agent_consulted(a2));
	assert_int_equal(acd_consult_release(a2, NULL, fx.now), EALREADY);
	assert_state(a2, ACD_ON_CALL);
	end_call(a2);
	assert_state(a2, ACD_WRAP_UP);
	assert_int_equal(acd_call_position(c2), 1);
}


static void test_consult_release(void **state)
{
	struct acd_agent *a1, *a2;
	struct acd_call *c2;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	(void)consulting(a1, a2);
	c2 = join("q1", 2);
	assert_int_equal(acd_consult_answered(a2, fx.now), 0);

	/* cancelled: ready again, no miss, and the waiting call goes to it */
	assert_int_equal(acd_consult_release(a2, NULL, fx.now), 0);
	check();
	assert_offered(2, "a2");
	assert_int_equal(acd_consult_release(a2, NULL, fx.now), EALREADY);
	answer(a2, c2);
	end_call(a2);
}


static void test_consult_miss(void **state)
{
	struct acd_queue_cfg cfg = qcfg("longest_idle");
	struct acd_counters cnt;
	struct acd_agent *a1, *a2;
	enum acd_miss miss = ACD_MISS_NO_ANSWER;

	(void)state;
	cfg.miss_limit = 1;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	(void)consulting(a1, a2);

	assert_int_equal(acd_consult_release(a2, &miss, fx.now), 0);
	check();
	assert_state(a2, ACD_NOT_READY);
	assert_string_equal(acd_agent_reason(a2), "no_answer");
	acd_agent_stats(a2, &cnt);
	assert_int_equal(cnt.misses[ACD_MISS_NO_ANSWER], 1);
	assert_int_equal(acd_consult_release(a2, &miss, fx.now), EALREADY);
}


static void test_consult_refused_and_lost(void **state)
{
	struct acd_agent *a1, *a2, *a3;
	struct acd_call *c1;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	a3 = agent("a3", 3);
	c1 = consulting(a1, a2);

	/* logged out, not ready, busy with this very consultation, itself */
	assert_int_equal(acd_consult_reserve(a3, c1, fx.now), EINVAL);
	login(a3, false);
	assert_int_equal(acd_consult_reserve(a3, c1, fx.now), EBUSY);
	assert_int_equal(acd_consult_reserve(a2, c1, fx.now), EBUSY);
	assert_int_equal(acd_consult_reserve(a1, c1, fx.now), EBUSY);

	/* a forced logout ends the reservation: nothing left to release */
	assert_int_equal(acd_agent_logout(a2, "sup", fx.now), 0);
	check();
	assert_false(acd_agent_consulted(a2));
	assert_int_equal(acd_consult_answered(a2, fx.now), EALREADY);
	assert_int_equal(acd_consult_release(a2, NULL, fx.now), EALREADY);
	check();
}


static void test_consult_pick(void **state)
{
	struct acd_agent *a1, *a2, *a3;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	a3 = agent("a3", 3);
	assert_null(acd_consult_pick(acd_queue_find(fx.acd, "q1")));
	login(a1, true);
	fx.now += 1000;
	login(a2, true);
	fx.now += 1000;
	login(a3, true);
	/* longest idle: the first to be ready */
	assert_ptr_equal(acd_consult_pick(acd_queue_find(fx.acd, "q1")), a1);
	assert_null(acd_consult_pick(NULL));
}


/* The consultation about c1 waits in qid (its arg: 9). */
static int consult_wait(struct acd_call *c1, const char *qid,
			struct acd_call **entryp)
{
	struct acd_join j = {0, NULL, (void *)(intptr_t)9, 0, c1};

	*entryp = NULL;
	return acd_call_join(fx.acd, entryp, qid, &j, fx.now);
}


static struct acd_call *talking(struct acd_agent *a1)
{
	struct acd_call *c1;

	login(a1, true);
	c1 = join("q1", 1);
	assert_offered(1, "a1");
	answer(a1, c1);

	return c1;
}


static void test_consult_waits(void **state)
{
	struct acd_queue_cfg cfg = qcfg("longest_idle");
	struct acd_agent *a1, *a2;
	struct acd_call *c1, *c2, *c3, *e;
	struct acd_queue_stats st;

	(void)state;
	cfg.max_length = 1;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	c1 = talking(a1);
	login(a2, false);

	/* a caller waits (the queue is full), then the consultation: it is
	 * not held back by max_length and goes ahead of the caller */
	c2 = join("q1", 2);
	fx.now += 10;
	assert_int_equal(0, consult_wait(c1, "q1", &e));
	assert_non_null(e);
	check();
	assert_ptr_equal(acd_call_consult(e), c1);
	assert_int_equal(acd_call_position(e), 1);
	/* the queue's callers: one, waiting since it joined */
	acd_queue_stats(acd_queue_find(fx.acd, "q1"), &st);
	assert_int_equal(st.waiting, 1);
	assert_int_equal(st.oldest_since, acd_call_joined(c2));
	assert_int_equal(acd_call_join(fx.acd, &c3, "q1", NULL, fx.now),
			 ENOSPC);

	/* a2 ready: reserved for the consultation, the caller not offered */
	assert_int_equal(acd_agent_ready(a2, NULL, fx.now), 0);
	check();
	assert_int_equal(last_left(9), ACD_LEFT_ANSWERED);
	assert_int_equal(rec_count(&fx.rec, 'O', NULL, 2), 0);
	assert_state(a2, ACD_RINGING);
	assert_true(acd_agent_consulted(a2));
	assert_ptr_equal(acd_agent_call(a2), c1);
	assert_string_equal(acd_agent_reason(a2), "");
	acd_queue_stats(acd_queue_find(fx.acd, "q1"), &st);
	assert_int_equal(st.cnt.answered, 1);     /* the caller of c1 */
	assert_int_equal(st.cnt.refused, 1);      /* c3 only */

	/* as an immediate consultation from here: cancelled, a2 takes the
	 * caller */
	assert_int_equal(acd_consult_answered(a2, fx.now), 0);
	assert_int_equal(acd_consult_release(a2, NULL, fx.now), 0);
	check();
	assert_offered(2, "a2");
}


static void test_consult_wait_cap(void **state)
{
	struct acd_queue_cfg cfg = qcfg("longest_idle");
	struct acd_agent *a1, *a2;
	struct acd_call *c1, *e;
	struct acd_queue_stats st;

	(void)state;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	c1 = talking(a1);
	login(a2, false);

	/* no max wait in the queue: the fixed cap */
	assert_int_equal(0, consult_wait(c1, "q1", &e));
	advance(ACD_CONSULT_WAIT_MS - 1);
	assert_int_equal(rec_count(&fx.rec, 'L', NULL, 9), 0);
	advance(1);
	assert_int_equal(last_left(9), ACD_LEFT_TIMEOUT);

	/* the queue's own max wait */
	cfg.max_wait_ms = 5000;
	queue_set("q1", &cfg);
	fx.rec.n = 0;
	assert_int_equal(0, consult_wait(c1, "q1", &e));
	advance(5000);
	assert_int_equal(last_left(9), ACD_LEFT_TIMEOUT);
	acd_queue_stats(acd_queue_find(fx.acd, "q1"), &st);
	assert_int_equal(st.cnt.timeouts, 0);    /* no caller timed out */

	/* left by the host: once, and nobody is reserved afterwards */
	fx.rec.n = 0;
	assert_int_equal(0, consult_wait(c1, "q1", &e));
	acd_call_leave(e, fx.now);
	check();
	assert_int_equal(last_left(9), ACD_LEFT_ABANDONED);
	assert_int_equal(acd_agent_ready(a2, NULL, fx.now), 0);
	check();
	assert_state(a2, ACD_READY);
	assert_false(acd_agent_consulted(a2));
}


static void test_consult_wait_ring_all(void **state)
{
	struct acd_queue_cfg cfg = qcfg("ring_all");
	struct acd_agent *a1, *a2, *a3;
	struct acd_call *c1, *e;

	(void)state;
	cfg.join_empty = ACD_JOIN_READY;
	queue_set("q1", &cfg);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	a3 = agent("a3", 3);
	c1 = talking(a1);
	login(a2, false);
	login(a3, false);

	/* "ready" asks a consultation only for someone logged in */
	assert_int_equal(0, consult_wait(c1, "q1", &e));
	check();
	/* ring_all or not, one agent is reserved */
	assert_int_equal(acd_agent_ready(a2, NULL, fx.now), 0);
	assert_int_equal(acd_agent_ready(a3, NULL, fx.now), 0);
	check();
	assert_int_equal(rec_count(&fx.rec, 'L', NULL, 9), 1);
	assert_true(acd_agent_consulted(a2) != acd_agent_consulted(a3));
	assert_int_equal(consult_wait(c1, "nope", &e), ENOENT);
}


static void test_consult_wait_refused(void **state)
{
	struct acd_queue_cfg cfg = qcfg("longest_idle");
	struct acd_agent *a1;
	struct acd_call *c1, *e;

	(void)state;
	queue("q1", NULL);
	cfg.join_empty = ACD_JOIN_LOGGED_IN;
	cfg.skillv = (const char *const[]){"fr"};
	cfg.skillc = 1;
	queue_set("q2", &cfg);
	a1 = agent("a1", 1);
	c1 = talking(a1);

	/* q2's empty policy: nobody logged in, the consultation is refused
	 * as a caller would be */
	assert_int_equal(consult_wait(c1, "q2", &e), ENODEV);
	assert_null(e);
	check();
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		ACD_TEST(test_consult_take),
		ACD_TEST(test_consult_release),
		ACD_TEST(test_consult_miss),
		ACD_TEST(test_consult_refused_and_lost),
		ACD_TEST(test_consult_pick),
		ACD_TEST(test_consult_waits),
		ACD_TEST(test_consult_wait_cap),
		ACD_TEST(test_consult_wait_ring_all),
		ACD_TEST(test_consult_wait_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
