/* The ACD soak's model of the host (test_acd_soak.c): what it saw of
 * every call and agent, its random numbers, and the consultation steps
 * (an agent on a call consulting a queue). Include once, after acd.h. */
#ifndef OPENSEAT_TEST_ACD_SOAK_H
#define OPENSEAT_TEST_ACD_SOAK_H

#define NTENANT 3
#define NQUEUE  7
#define NAGENT  24
#define NSKILL  4

struct mcall {
	struct acd_call *c;
	int state;               /* 0 unused, 1 in the core, 2 left */
	int queue;
	int prio;
	bool sticky;             /* joined naming a sticky agent */
	bool consult;            /* a consultation waiting in the queue */
	unsigned lefts;
};

struct magent {
	struct acd_agent *a;
	int offer;               /* call id offered (delivered), 0 none */
	enum acd_agent_state st;
	bool consulted;          /* reserved for a consultation */
	unsigned transitions;
};

static struct soak {
	struct acd *acd;
	uint64_t rnd;
	uint64_t now;
	struct mcall *callv;
	size_t callc, callsz;
	struct magent agentv[NAGENT];
	bool queue_up[NQUEUE];
	unsigned ops, offers, answers, misses, cancels, lefts;
	unsigned consults, consults_reserved;
	unsigned by_left[ACD_LEFT_DELETED + 1];
	int stepv[4096];         /* calls offered in this step */
	unsigned stepc;
	unsigned order_checks;
} S;


static uint32_t rnd(uint32_t n)
{
	/* xorshift64* */
	S.rnd ^= S.rnd >> 12;
	S.rnd ^= S.rnd << 25;
	S.rnd ^= S.rnd >> 27;

	return n ? (uint32_t)((S.rnd * 2685821657736338717ULL) >> 33) % n : 0;
}


static int call_id(const struct acd_call *c)
{
	return (int)(intptr_t)acd_call_arg(c);
}


static int agent_ix(const struct acd_agent *a)
{
	return (int)(intptr_t)acd_agent_arg(a);
}


/* An agent on a call consults a queue: the entry waits if nobody of it
 * is ready (else it is reserved for at once). */
static void op_consult(void)
{
	struct magent *m = &S.agentv[rnd(NAGENT)];
	struct acd_call *call = acd_agent_call(m->a);
	struct acd_join j = {0, NULL, NULL, 0, call};
	int q = (int)rnd(NQUEUE);
	struct mcall *mc;
	char qid[16];
	int err;

	if (m->st != ACD_ON_CALL || m->consulted || S.callc == S.callsz ||
	    !S.callc)
		return;

	snprintf(qid, sizeof(qid), "q%d", q);
	mc = &S.callv[S.callc];
	memset(mc, 0, sizeof(*mc));
	mc->state = 1;
	mc->queue = q;
	mc->prio = INT_MAX;
	mc->consult = true;
	j.arg = (void *)(intptr_t)S.callc;
	++S.callc;

	err = acd_call_join(S.acd, &mc->c, qid, &j, S.now);
	if (err) {
		if (err != ENOENT && err != ENODEV)
			fail_msg("consult join: %d", err);
		mc->state = 0;
	}
	else {
		++S.consults;
	}
}


/* The consulted agent answers, is released (a miss or not) or takes the
 * call over. */
static void op_consult_outcome(struct magent *m)
{
	enum acd_miss miss = (enum acd_miss)rnd(4);

	switch (rnd(3)) {

	case 0:
		assert_int_equal(acd_consult_release(m->a, rnd(2) ? &miss :
						     NULL, S.now), 0);
		break;

	case 1:
		(void)acd_consult_answered(m->a, S.now);
		break;

	default:
		if (!acd_consult_take(m->a, S.now))
			m->consulted = false;
		break;
	}
}

#endif
