/* Unit tests for the ACD routing core: an agent's own outbound call
 * (click-to-dial) keeps calls away and puts it back as it was. */
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


static void test_outbound_keeps_calls_away(void **state)
{
	struct acd_agent *a1;
	struct acd_call *c1;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	login(a1, true);
	assert_int_equal(acd_agent_outbound(a1, true, fx.now), 0);
	check();
	assert_state(a1, ACD_OUTBOUND);
	assert_int_equal(acd_agent_outbound(a1, true, fx.now), EBUSY);
	assert_int_equal(acd_agent_not_ready(a1, "x", NULL, fx.now), EBUSY);

	/* a caller waits; nothing is offered while the agent dials out */
	c1 = join("q1", 1);
	check();
	assert_int_equal(rec_count(&fx.rec, 'O', NULL, 1), 0);
	assert_int_equal(acd_call_position(c1), 1);

	/* done: ready again, and the waiting call is offered at once */
	assert_int_equal(acd_agent_outbound(a1, false, fx.now), 0);
	check();
	assert_offered(1, "a1");
	assert_int_equal(acd_agent_outbound(a1, false, fx.now), EALREADY);
}


static void test_outbound_returns_to_not_ready(void **state)
{
	struct acd_agent *a1;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	login(a1, false);
	assert_int_equal(acd_agent_not_ready(a1, "break", NULL, fx.now), 0);
	assert_int_equal(acd_agent_outbound(a1, true, fx.now), 0);
	assert_string_equal(acd_agent_reason(a1), "");
	assert_int_equal(acd_agent_outbound(a1, false, fx.now), 0);
	check();
	assert_state(a1, ACD_NOT_READY);
	assert_string_equal(acd_agent_reason(a1), "break");
}


static void test_outbound_refused_while_busy(void **state)
{
	struct acd_agent *a1, *a2;
	struct acd_call *c1;

	(void)state;
	queue("q1", NULL);
	a1 = agent("a1", 1);
	a2 = agent("a2", 2);
	assert_int_equal(acd_agent_outbound(a1, true, fx.now), EINVAL);
	login(a1, true);
	c1 = join("q1", 1);
	assert_offered(1, "a1");
	assert_int_equal(acd_agent_outbound(a1, true, fx.now), EBUSY);
	answer(a1, c1);
	assert_int_equal(acd_agent_outbound(a1, true, fx.now), EBUSY);
	end_call(a1);
	/* from wrap-up it may: wrap-up ends, ready afterwards */
	login(a2, false);
	assert_int_equal(acd_agent_outbound(a1, true, fx.now), 0);
	assert_int_equal(acd_next_deadline(fx.acd), 0);
	assert_int_equal(acd_agent_outbound(a1, false, fx.now), 0);
	check();
	assert_state(a1, ACD_READY);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		ACD_TEST(test_outbound_keeps_calls_away),
		ACD_TEST(test_outbound_returns_to_not_ready),
		ACD_TEST(test_outbound_refused_while_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
