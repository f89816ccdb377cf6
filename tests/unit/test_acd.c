/* Unit tests for the ACD routing core: strategies, order, offers, timers. */
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
#include "acd_rec.h"

#define T0 1000000

static struct fx {
	struct acd *acd;
	struct rec rec;
	uint64_t now;
} fx;


static void check(void)
{
	char why[256];

	if (acd_check(fx.acd, why, sizeof(why)))
		fail_msg("acd_check: %s", why);
}


static int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.now = T0;
	assert_int_equal(acd_alloc(&fx.acd, &rec_ops, &fx.rec), 0);

	return 0;
}


static int teardown(void **state)
{
	(void)state;
	fx.acd = mem_deref(fx.acd);
	assert_int_equal(fx.rec.dropped, 0);

	return 0;
}


static struct acd_queue_cfg qcfg(const char *strategy)
{
	struct acd_queue_cfg cfg = {
		.strategy = acd_strategy_find(strategy),
		.ring_timeout_ms = 15000,
	};

	assert_non_null(cfg.strategy);

	return cfg;
}


static void queue_set(const char *qid, const struct acd_queue_cfg *cfg)
{
	assert_int_equal(acd_queue_set(fx.acd, "t1", qid, cfg, fx.now), 0);
	check();
}


static void queue(const char *qid, const char *strategy)
{
	struct acd_queue_cfg cfg = qcfg(strategy);

	queue_set(qid, &cfg);
}


static struct acd_agent *agent_t(const char *tenant, const char *id,
				 uint32_t order)
{
	struct acd_agent *a = NULL;

	assert_int_equal(acd_agent_add(fx.acd, &a, tenant, id, order, NULL),
			 0);
	assert_non_null(a);

	return a;
}


static struct acd_agent *agent(const char *id, uint32_t order)
{
	return agent_t("t1", id, order);
}


static void login(struct acd_agent *a, bool ready)
{
	assert_int_equal(acd_agent_login(a, ready, ready ? "" : "break",
					 fx.now), 0);
	check();
}


static void skills(struct acd_agent *a, const char *skill, unsigned level)
{
	struct acd_skill s = {skill, level};

	assert_int_equal(acd_agent_set_skills(a, &s, skill ? 1 : 0, fx.now),
			 0);
	check();
}


static struct acd_call *join_p(const char *qid, int id, int prio,
			       const char *sticky)
{
	struct acd_join j = {prio, sticky, (void *)(intptr_t)id};
	struct acd_call *c = NULL;

	assert_int_equal(acd_call_join(fx.acd, &c, qid, &j, fx.now), 0);
	assert_non_null(c);
	check();

	return c;
}


static struct acd_call *join(const char *qid, int id)
{
	return join_p(qid, id, 0, NULL);
}


static void advance(uint64_t ms)
{
	fx.now += ms;
	acd_tick(fx.acd, fx.now);
	check();
}


/* Run the clock to the next deadline. */
static void next_deadline(void)
{
	uint64_t at = acd_next_deadline(fx.acd);

	assert_true(at > 0);
	fx.now = at;
	acd_tick(fx.acd, fx.now);
	check();
}


static void answer(struct acd_agent *a, struct acd_call *c)
{
	assert_int_equal(acd_offer_answered(a, c, fx.now), 0);
	check();
}


static void end_call(struct acd_agent *a)
{
	assert_int_equal(acd_agent_call_ended(a, fx.now), 0);
	check();
}


static void assert_offered(int call, const char *agent)
{
	assert_string_equal(rec_offered_to(&fx.rec, call), agent);
}


static void assert_state(struct acd_agent *a, enum acd_agent_state st)
{
	if (acd_agent_state(a) != st)
		fail_msg("%s is %s, expected %s", acd_agent_id(a),
			 acd_state_name(acd_agent_state(a)),
			 acd_state_name(st));
}


static int last_left(int call)
{
	int i = -1, j;

	while ((j = rec_find(&fx.rec, i + 1, 'L', NULL, call)) >= 0)
		i = j;

	assert_true(i >= 0);
	assert_int_equal(rec_count(&fx.rec, 'L', NULL, call), 1);

	return fx.rec.ev[i].why;
}


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


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_longest_idle_and_answer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_before_idle,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_then_arrival,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_timeout_keeps_place,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reoffer_goes_to_next_agent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_miss_limit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_offer_error_is_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_all_race,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_ring_all_answer_in_callback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
