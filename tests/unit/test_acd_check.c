/* Unit tests for the ACD routing core: bad arguments refused, and
 * acd_check() naming each invariant broken by hand. */
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
#include "acd/acd_int.h"
#include "acd_fx.h"


static void test_bad_arguments(void **state)
{
	struct acd_queue_cfg cfg = qcfg(NULL);
	struct acd_agent *a1;
	struct acd_call *c = NULL;
	struct acd_queue_stats st;
	struct acd_counters cnt;
	char buf[128];

	(void)state;
	assert_int_equal(acd_alloc(NULL, &rec_ops, NULL), EINVAL);
	assert_int_equal(acd_queue_set(fx.acd, "", "q1", &cfg, fx.now),
			 EINVAL);
	assert_int_equal(acd_queue_set(fx.acd, "t1", NULL, &cfg, fx.now),
			 EINVAL);
	assert_int_equal(acd_queue_set(fx.acd, "t1", "q1", NULL, fx.now),
			 EINVAL);
	cfg.skillc = 1;
	assert_int_equal(acd_queue_set(fx.acd, "t1", "q1", &cfg, fx.now),
			 EINVAL);
	assert_null(acd_queue_find(fx.acd, "q1"));
	assert_int_equal(acd_agent_add(fx.acd, &a1, "t1", "", 1, NULL),
			 EINVAL);
	assert_int_equal(acd_agent_add(NULL, &a1, "t1", "a1", 1, NULL),
			 EINVAL);
	assert_int_equal(acd_call_join(fx.acd, &c, "nope", NULL, fx.now),
			 ENOENT);
	assert_int_equal(acd_call_join(fx.acd, NULL, "nope", NULL, fx.now),
			 EINVAL);

	a1 = agent("a1", 1);
	assert_int_equal(acd_agent_set_skills(a1, NULL, 1, fx.now), EINVAL);
	assert_int_equal(acd_agent_ready(a1, NULL, fx.now), EINVAL);
	assert_int_equal(acd_agent_not_ready(a1, "x", NULL, fx.now), EINVAL);
	assert_int_equal(acd_agent_wrapup_extend(a1, 1, fx.now), EINVAL);
	assert_int_equal(acd_offer_answered(a1, NULL, fx.now), EALREADY);
	assert_int_equal(acd_offer_answered(NULL, NULL, fx.now), EALREADY);
	assert_int_equal(acd_agent_login(NULL, true, NULL, fx.now), EINVAL);
	acd_call_leave(NULL, fx.now);
	acd_agent_remove(NULL, fx.now);
	acd_tick(NULL, fx.now);
	acd_queue_remove(fx.acd, "nope", fx.now);
	acd_queue_stats(NULL, &st);
	assert_int_equal(st.waiting, 0);
	acd_agent_stats(NULL, &cnt);
	assert_int_equal(cnt.offered, 0);
	assert_int_equal(acd_next_deadline(NULL), 0);
	assert_int_equal(acd_check(NULL, buf, sizeof(buf)), EINVAL);
	assert_null(acd_agent_find(fx.acd, NULL));
	assert_string_equal(acd_state_name((enum acd_agent_state)42), "?");
	check();

	/* the printers name what a log line is about */
	login(a1, false);
	re_snprintf(buf, sizeof(buf), "%H", acd_agent_debug, a1);
	assert_string_equal(buf, "agent a1 tenant t1 not_ready break");
	queue("q1", "top_down");
	re_snprintf(buf, sizeof(buf), "%H", acd_queue_debug,
		    acd_queue_find(fx.acd, "q1"));
	assert_string_equal(buf, "queue q1 tenant t1 top_down calls 0 "
			    "ready 0/1");
}


static void assert_broken(const char *what)
{
	char why[256];

	assert_int_equal(acd_check(fx.acd, why, sizeof(why)), EINVAL);
	if (!strstr(why, what))
		fail_msg("acd_check said '%s', expected '%s'", why, what);
}


/* acd_check can fail: break each invariant by hand, then mend it. */
static void test_check_finds_breakage(void **state)
{
	struct acd_queue *q;
	struct acd_agent *a1, *a2;
	struct acd_member *m;
	struct acd_call *c2, *c3;
	struct acd_offer *o;
	uint64_t k;

	(void)state;
	queue("q1", NULL);
	q = acd_queue_find(fx.acd, "q1");
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	login(a1, true);
	login(a2, false);
	(void)join("q1", 1);
	c2 = join("q1", 2);
	c3 = join("q1", 3);

	/* a ringing agent without its offer */
	o = a1->offer;
	a1->offer = NULL;
	assert_broken("ringing if and only if offered");
	a1->offer = o;
	check();

	/* a member ready while calls wait */
	m = list_ledata(list_head(&a2->memberl));
	--q->by_state[ACD_NOT_READY];
	++q->by_state[ACD_READY];
	a2->state = ACD_READY;
	acd_heap_push(&q->ready, &m->hn);
	assert_broken("a call waits while a member is ready");
	acd_heap_remove(&q->ready, &m->hn);
	a2->state = ACD_NOT_READY;
	--q->by_state[ACD_READY];
	++q->by_state[ACD_NOT_READY];
	check();

	/* callers out of order */
	k = c2->hn.k[2];
	c2->hn.k[2] = c3->hn.k[2] + 1;
	assert_broken("heap out of order");
	c2->hn.k[2] = k;
	check();

	/* counts */
	++q->ncalls;
	assert_broken("calls miscounted");
	--q->ncalls;
	++q->nlogged;
	assert_broken("members by state miscounted");
	--q->nlogged;
	check();
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		ACD_TEST(test_bad_arguments),
		ACD_TEST(test_check_finds_breakage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
