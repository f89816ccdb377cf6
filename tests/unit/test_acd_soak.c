/* A randomized soak of the ACD routing core: tenants, queues, agents and
 * callers doing anything in any order — agents on a call consulting a
 * queue too — the invariants checked after every step and every call
 * accounted for. ACD_SOAK_OPS / ACD_SOAK_SEED. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "acd/acd.h"
#include "acd_soak.h"


static int soak_offer(struct acd_agent *a, struct acd_call *c, void *arg)
{
	struct magent *m = &S.agentv[agent_ix(a)];
	struct mcall *mc = &S.callv[call_id(c)];
	(void)arg;

	if (m->offer)
		fail_msg("%s offered call %d while offered %d",
			 acd_agent_id(a), call_id(c), m->offer);
	if (mc->state != 1)
		fail_msg("call %d offered outside the core", call_id(c));
	if (m->st != ACD_RINGING || acd_agent_call(a) != c)
		fail_msg("offer to %s not ringing it", acd_agent_id(a));

	++S.offers;
	if (S.stepc < ARRAY_SIZE(S.stepv))
		S.stepv[S.stepc++] = call_id(c);

	/* a device that cannot be rung */
	if (rnd(50) == 0)
		return ENOTCONN;

	m->offer = call_id(c);

	/* the host answers at once, from inside the callback */
	if (rnd(20) == 0) {
		m->offer = 0;
		++S.answers;
		assert_int_equal(acd_offer_answered(a, c, S.now), 0);
	}

	return 0;
}


static void soak_cancel(struct acd_agent *a, struct acd_call *c,
			enum acd_cancel why, void *arg)
{
	struct magent *m = &S.agentv[agent_ix(a)];
	(void)arg;
	(void)why;

	if (m->offer != call_id(c))
		fail_msg("cancel of call %d to %s, not offered",
			 call_id(c), acd_agent_id(a));

	m->offer = 0;
	++S.cancels;
}


static void soak_state(struct acd_agent *a, const struct acd_transition *t,
		       void *arg)
{
	struct magent *m = &S.agentv[agent_ix(a)];
	(void)arg;

	if (t->from != m->st)
		fail_msg("%s: transition from %s, was %s", acd_agent_id(a),
			 acd_state_name(t->from), acd_state_name(m->st));
	if ((t->to == ACD_RINGING || t->to == ACD_ON_CALL) && !t->call)
		fail_msg("%s: %s without a call", acd_agent_id(a),
			 acd_state_name(t->to));
	if (t->at != S.now)
		fail_msg("%s: transition at %llu, now %llu", acd_agent_id(a),
			 (unsigned long long)t->at,
			 (unsigned long long)S.now);

	m->st = t->to;
	if (t->to != ACD_RINGING && t->to != ACD_ON_CALL)
		m->consulted = false;      /* released, or logged out */
	++m->transitions;
}


static void soak_left(struct acd_call *c, enum acd_left why,
		      struct acd_agent *a, void *arg)
{
	struct mcall *mc = &S.callv[call_id(c)];
	(void)arg;

	if (mc->state != 1)
		fail_msg("call %d left twice", call_id(c));
	if ((why == ACD_LEFT_ANSWERED) != (a != NULL))
		fail_msg("call %d left %d with agent %p", call_id(c), why,
			 (void *)a);

	if (mc->consult && a) {
		if (S.agentv[agent_ix(a)].st != ACD_RINGING ||
		    !acd_agent_consulted(a))
			fail_msg("consultation %d left for a%d, not reserved",
				 call_id(c), agent_ix(a));
		S.agentv[agent_ix(a)].consulted = true;
		++S.consults_reserved;
	}

	mc->state = 2;
	++mc->lefts;
	++S.lefts;
	++S.by_left[why];
}


static const struct acd_ops soak_ops = {
	soak_offer, soak_cancel, soak_state, soak_left,
};


static const char *skill_name(unsigned i)
{
	static const char *v[NSKILL] = {"en", "fr", "vip", "tech"};

	return v[i % NSKILL];
}


static void queue_set(int i)
{
	static const char *strat[] = {"longest_idle", "round_robin",
		"fewest_calls", "top_down", "ring_all"};
	const char *skv[2];
	struct acd_queue_cfg cfg = {
		.strategy = acd_strategy_find(strat[rnd(5)]),
		.priority = (int)rnd(3),
		.ring_timeout_ms = rnd(3) ? 5000 + rnd(20000) : 0,
		.wrapup_ms = rnd(2) ? rnd(30000) : 0,
		.max_wait_ms = rnd(2) ? 30000 + rnd(300000) : 0,
		.max_length = rnd(4) ? 0 : 5 + rnd(50),
		.sticky_wait_ms = rnd(2) ? rnd(20000) : 0,
		.miss_limit = rnd(4),
		.join_empty = (enum acd_join_empty)rnd(3),
		.leave_empty = rnd(4) == 0,
		.skillv = skv,
		.skillc = rnd(3),
	};
	char tenant[16], qid[16];

	for (size_t k = 0; k < cfg.skillc; k++)
		skv[k] = skill_name(rnd(NSKILL));

	snprintf(tenant, sizeof(tenant), "t%d", i % NTENANT);
	snprintf(qid, sizeof(qid), "q%d", i);
	assert_int_equal(acd_queue_set(S.acd, tenant, qid, &cfg, S.now), 0);
	S.queue_up[i] = true;
}


static void agent_add(int i)
{
	char tenant[16], id[16];
	struct acd_skill sk[NSKILL];
	size_t n = rnd(NSKILL + 1);

	snprintf(tenant, sizeof(tenant), "t%d", i % NTENANT);
	snprintf(id, sizeof(id), "a%d", i);
	memset(&S.agentv[i], 0, sizeof(S.agentv[i]));
	assert_int_equal(acd_agent_add(S.acd, &S.agentv[i].a, tenant, id,
				       rnd(100), (void *)(intptr_t)i), 0);
	for (size_t k = 0; k < n; k++) {
		sk[k].skill_id = skill_name(k);
		sk[k].level = 1 + rnd(9);
	}
	assert_int_equal(acd_agent_set_skills(S.agentv[i].a, sk, n, S.now),
			 0);
}


static void op_join(void)
{
	int q = (int)rnd(NQUEUE);
	struct acd_join j = {(int)rnd(3) - 1, NULL, NULL, 0, NULL};
	char qid[16], sticky[16];
	struct mcall *mc;
	int err;

	if (S.callc == S.callsz) {
		S.callsz = S.callsz ? S.callsz * 2 : 1024;
		S.callv = realloc(S.callv, S.callsz * sizeof(*S.callv));
		assert_non_null(S.callv);
	}

	/* ids start at 1 */
	if (!S.callc)
		memset(&S.callv[S.callc++], 0, sizeof(*S.callv));

	snprintf(qid, sizeof(qid), "q%d", q);
	if (rnd(4) == 0) {
		snprintf(sticky, sizeof(sticky), "a%u", rnd(NAGENT));
		j.sticky_agent_id = sticky;
	}

	mc = &S.callv[S.callc];
	memset(mc, 0, sizeof(*mc));
	mc->state = 1;
	mc->queue = q;
	mc->prio = j.priority;
	mc->sticky = j.sticky_agent_id != NULL;
	j.arg = (void *)(intptr_t)S.callc;
	++S.callc;

	err = acd_call_join(S.acd, &mc->c, qid, &j, S.now);
	if (err) {
		if (err != ENOENT && err != ENOSPC && err != ENODEV)
			fail_msg("join: %d", err);
		if (mc->lefts)
			fail_msg("refused call %d left", (int)S.callc - 1);
		mc->state = 0;
	}
}


static struct mcall *some_call(void)
{
	for (int tries = 0; tries < 8 && S.callc > 1; tries++) {
		size_t lo = S.callc > 300 ? S.callc - 300 : 1;
		uint32_t span = (uint32_t)(S.callc - lo);
		struct mcall *mc = &S.callv[lo + rnd(span)];

		if (mc->state == 1)
			return mc;
	}

	return NULL;
}


static void op_offer_outcome(struct magent *m)
{
	struct mcall *mc = &S.callv[m->offer];
	int err;

	m->offer = 0;
	if (rnd(3)) {
		++S.answers;
		err = acd_offer_answered(m->a, mc->c, S.now);
	}
	else {
		++S.misses;
		err = acd_offer_failed(m->a, mc->c, (enum acd_miss)rnd(4),
				       S.now);
	}

	assert_int_equal(err, 0);
}


static void op_agent(int i)
{
	struct magent *m = &S.agentv[i];

	switch (rnd(14)) {

	case 0:
	case 1:
		(void)acd_agent_login(m->a, rnd(4), "break", S.now);
		break;

	case 2:
		(void)acd_agent_logout(m->a, rnd(2) ? "sup" : NULL, S.now);
		break;

	case 3:
	case 4:
	case 5:
		(void)acd_agent_ready(m->a, NULL, S.now);
		break;

	case 6:
		(void)acd_agent_not_ready(m->a, "lunch", NULL, S.now);
		break;

	case 7:
	case 8:
	case 9:
		(void)acd_agent_call_ended(m->a, S.now);
		break;

	case 10:
		if (rnd(2))
			(void)acd_agent_wrapup_end(m->a, S.now);
		else
			(void)acd_agent_wrapup_extend(m->a, rnd(5000), S.now);
		break;

	case 11: {
		struct acd_skill sk = {skill_name(rnd(NSKILL)), 1 + rnd(9)};

		assert_int_equal(acd_agent_set_skills(m->a, &sk, rnd(2),
						      S.now), 0);
		break;
	}

	default:
		if (rnd(20) == 0) {
			acd_agent_remove(m->a, S.now);
			agent_add(i);
		}
		break;
	}
}


static void step(void)
{
	uint32_t r = rnd(100);
	struct mcall *mc;
	int i;

	if (r < 25) {
		if (rnd(8))
			op_join();
		else
			op_consult();
	}
	else if (r < 32) {
		if ((mc = some_call()))
			acd_call_leave(mc->c, S.now);
	}
	else if (r < 55) {
		i = (int)rnd(NAGENT);
		if (S.agentv[i].offer)
			op_offer_outcome(&S.agentv[i]);
		else if (S.agentv[i].consulted && rnd(2))
			op_consult_outcome(&S.agentv[i]);
		else
			op_agent(i);
	}
	else if (r < 80) {
		op_agent((int)rnd(NAGENT));
	}
	else if (r < 99) {
		uint64_t next = acd_next_deadline(S.acd);

		S.now += rnd(2) && next > S.now ? next - S.now : rnd(3000);
		acd_tick(S.acd, S.now);
	}
	else {
		i = (int)rnd(NQUEUE);
		if (rnd(3) == 0) {
			char qid[16];

			snprintf(qid, sizeof(qid), "q%d", i);
			acd_queue_remove(S.acd, qid, S.now);
			S.queue_up[i] = false;
		}
		else {
			queue_set(i);
		}
	}
}


/* Lower is served first: priority, then arrival (ids grow with time). */
static bool before(int x, int y)
{
	const struct mcall *a = &S.callv[x], *b = &S.callv[y];

	return a->prio != b->prio ? a->prio > b->prio : x < y;
}


static bool offered_now(int id)
{
	for (unsigned i = 0; i < S.stepc; i++) {
		if (S.stepv[i] == id)
			return true;
	}

	for (int i = 0; i < NAGENT; i++) {
		if (S.agentv[i].offer == id)
			return true;
	}

	return false;
}


/* Queue order: a call offered in this step came before every call of
 * its queue still waiting at its end (sticky calls may skip the line,
 * so they are left out on both sides). */
static void verify_order(void)
{
	int best[NQUEUE];

	for (int q = 0; q < NQUEUE; q++)
		best[q] = 0;

	for (size_t k = S.callc > 400 ? S.callc - 400 : 1; k < S.callc;
	     k++) {
		const struct mcall *mc = &S.callv[k];

		if (mc->state != 1 || mc->sticky || offered_now((int)k))
			continue;
		if (!best[mc->queue] || before((int)k, best[mc->queue]))
			best[mc->queue] = (int)k;
	}

	for (unsigned i = 0; i < S.stepc; i++) {
		const struct mcall *mc = &S.callv[S.stepv[i]];
		int b = best[mc->queue];

		if (mc->sticky || !b)
			continue;

		++S.order_checks;
		if (before(b, S.stepv[i]))
			fail_msg("op %u: call %d offered while call %d of "
				 "queue %d waits ahead of it", S.ops,
				 S.stepv[i], b, mc->queue);
	}

	S.stepc = 0;
}


/* What the host saw agrees with what the core says. */
static void verify(void)
{
	char why[256];

	if (acd_check(S.acd, why, sizeof(why)))
		fail_msg("op %u: acd_check: %s", S.ops, why);

	for (int i = 0; i < NAGENT; i++) {
		const struct magent *m = &S.agentv[i];
		enum acd_agent_state st = acd_agent_state(m->a);

		if (st != m->st)
			fail_msg("op %u: a%d is %s, host saw %s", S.ops, i,
				 acd_state_name(st), acd_state_name(m->st));
		if (m->consulted != acd_agent_consulted(m->a))
			fail_msg("op %u: a%d consulted %d, host saw %d", S.ops,
				 i, acd_agent_consulted(m->a), m->consulted);
		if ((st == ACD_RINGING && !m->consulted) != (m->offer != 0))
			fail_msg("op %u: a%d %s, offer %d", S.ops, i,
				 acd_state_name(st), m->offer);
		if (m->offer && call_id(acd_agent_call(m->a)) != m->offer)
			fail_msg("op %u: a%d rings another call", S.ops, i);
	}
}


static void test_soak(void **state)
{
	const char *e = getenv("ACD_SOAK_OPS");
	unsigned nops = e ? (unsigned)atoi(e) : 200000;
	size_t joined = 0;
	int i;

	(void)state;
	memset(&S, 0, sizeof(S));
	e = getenv("ACD_SOAK_SEED");
	S.rnd = e ? strtoull(e, NULL, 0) : 0x5eed0acdULL;
	S.now = 1000000;
	assert_int_equal(acd_alloc(&S.acd, &soak_ops, NULL), 0);

	for (i = 0; i < NQUEUE; i++)
		queue_set(i);
	for (i = 0; i < NAGENT; i++)
		agent_add(i);

	for (S.ops = 0; S.ops < nops; S.ops++) {
		step();
		verify();
		verify_order();
	}

	/* every queue removed: every call still in the core leaves */
	for (i = 0; i < NQUEUE; i++) {
		char qid[16];

		snprintf(qid, sizeof(qid), "q%d", i);
		acd_queue_remove(S.acd, qid, S.now);
	}
	verify();

	for (size_t k = 1; k < S.callc; k++) {
		const struct mcall *mc = &S.callv[k];

		if (!mc->state)
			continue;

		++joined;
		if (mc->state != 2 || mc->lefts != 1)
			fail_msg("call %zu: state %d, left %u times", k,
				 mc->state, mc->lefts);
	}

	assert_int_equal(joined, S.lefts);
	printf("# soak: %u ops, %zu calls joined, %u offers, %u answered, "
	       "%u failed, %u cancelled; left answered %u abandoned %u "
	       "timeout %u empty %u deleted %u\n", nops, joined, S.offers,
	       S.answers, S.misses, S.cancels, S.by_left[ACD_LEFT_ANSWERED],
	       S.by_left[ACD_LEFT_ABANDONED], S.by_left[ACD_LEFT_TIMEOUT],
	       S.by_left[ACD_LEFT_EMPTY], S.by_left[ACD_LEFT_DELETED]);
	printf("# soak: queue order checked on %u offers; %u consultations "
	       "joined, %u reserved an agent\n", S.order_checks, S.consults,
	       S.consults_reserved);
	assert_true(S.by_left[ACD_LEFT_ANSWERED] > 0);
	assert_true(S.consults_reserved > 0);

	S.acd = mem_deref(S.acd);
	free(S.callv);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_soak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
