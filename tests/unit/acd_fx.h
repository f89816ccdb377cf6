/* The routing core's test fixture: a core on a fake clock, recording
 * every callback, and short steps that check the invariants after each
 * operation. */
#ifndef OPENSEAT_TEST_ACD_FX_H
#define OPENSEAT_TEST_ACD_FX_H

#include "acd_rec.h"

#define T0 1000000

static struct fx {
	struct acd *acd;
	struct rec rec;
	uint64_t now;
} fx;


static inline void check(void)
{
	char why[256];

	if (acd_check(fx.acd, why, sizeof(why)))
		fail_msg("acd_check: %s", why);
}


static inline int setup(void **state)
{
	(void)state;
	memset(&fx, 0, sizeof(fx));
	fx.now = T0;
	assert_int_equal(acd_alloc(&fx.acd, &rec_ops, &fx.rec), 0);

	return 0;
}


static inline int teardown(void **state)
{
	(void)state;
	fx.acd = mem_deref(fx.acd);
	assert_int_equal(fx.rec.dropped, 0);

	return 0;
}


static inline struct acd_queue_cfg qcfg(const char *strategy)
{
	struct acd_queue_cfg cfg = {
		.strategy = acd_strategy_find(strategy),
		.ring_timeout_ms = 15000,
	};

	assert_non_null(cfg.strategy);

	return cfg;
}


static inline void queue_set(const char *qid, const struct acd_queue_cfg *cfg)
{
	assert_int_equal(acd_queue_set(fx.acd, "t1", qid, cfg, fx.now), 0);
	check();
}


static inline void queue(const char *qid, const char *strategy)
{
	struct acd_queue_cfg cfg = qcfg(strategy);

	queue_set(qid, &cfg);
}


static inline struct acd_agent *agent_t(const char *tenant,
					const char *id, uint32_t order)
{
	struct acd_agent *a = NULL;

	assert_int_equal(acd_agent_add(fx.acd, &a, tenant, id, order, NULL),
			 0);
	assert_non_null(a);

	return a;
}


static inline struct acd_agent *agent(const char *id, uint32_t order)
{
	return agent_t("t1", id, order);
}


static inline void login(struct acd_agent *a, bool ready)
{
	assert_int_equal(acd_agent_login(a, ready, ready ? "" : "break",
					 fx.now), 0);
	check();
}


static inline void skills(struct acd_agent *a, const char *skill,
			  unsigned level)
{
	struct acd_skill s = {skill, level};

	assert_int_equal(acd_agent_set_skills(a, &s, skill ? 1 : 0, fx.now),
			 0);
	check();
}


static inline struct acd_call *join_p(const char *qid, int id,
				      int prio, const char *sticky)
{
	struct acd_join j = {prio, sticky, (void *)(intptr_t)id, 0, NULL};
	struct acd_call *c = NULL;

	assert_int_equal(acd_call_join(fx.acd, &c, qid, &j, fx.now), 0);
	assert_non_null(c);
	check();

	return c;
}


static inline struct acd_call *join(const char *qid, int id)
{
	return join_p(qid, id, 0, NULL);
}


static inline void advance(uint64_t ms)
{
	fx.now += ms;
	acd_tick(fx.acd, fx.now);
	check();
}


/* Run the clock to the next deadline. */
static inline void next_deadline(void)
{
	uint64_t at = acd_next_deadline(fx.acd);

	assert_true(at > 0);
	fx.now = at;
	acd_tick(fx.acd, fx.now);
	check();
}


static inline void answer(struct acd_agent *a, struct acd_call *c)
{
	assert_int_equal(acd_offer_answered(a, c, fx.now), 0);
	check();
}


static inline void end_call(struct acd_agent *a)
{
	assert_int_equal(acd_agent_call_ended(a, fx.now), 0);
	check();
}


static inline void assert_offered(int call, const char *agent)
{
	assert_string_equal(rec_offered_to(&fx.rec, call), agent);
}


static inline void assert_state(struct acd_agent *a, enum acd_agent_state st)
{
	if (acd_agent_state(a) != st)
		fail_msg("%s is %s, expected %s", acd_agent_id(a),
			 acd_state_name(acd_agent_state(a)),
			 acd_state_name(st));
}


static inline int last_left(int call)
{
	int i = -1, j;

	while ((j = rec_find(&fx.rec, i + 1, 'L', NULL, call)) >= 0)
		i = j;

	assert_true(i >= 0);
	assert_int_equal(rec_count(&fx.rec, 'L', NULL, call), 1);

	return fx.rec.ev[i].why;
}


/* Answer the offer of call id to agent a (asserting who was offered),
 * then end the call. */
static inline void serve(struct acd_agent *a, struct acd_call *c)
{
	assert_offered(rec_call_id(c), acd_agent_id(a));
	answer(a, c);
	end_call(a);
}



#define ACD_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#endif
