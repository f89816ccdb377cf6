/* Routing decisions per second of the ACD core, in process: 10,000 calls
 * waiting, 1,000 agents each going ready -> offered -> answer -> call
 * ended -> ready again (and the next offer at once). Then the other way
 * round: no call waits, 1,000 agents ready, each call that joins is
 * offered to the best of them.
 *
 * usage: acd_route [decisions] [runs]   (default 1,000,000 and 5)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "acd/acd.h"

#define NCALLS  10000
#define NAGENTS 1000

struct bench {
	struct acd *acd;
	struct acd_call *offered[NAGENTS];   /* what each agent rings */
	struct acd_agent *agentv[NAGENTS];
	uint64_t decisions;
	uint64_t now;
	unsigned nqueues;
	uintptr_t next_call;
	uintptr_t last;                      /* agent of the last offer */
};


static int b_offer(struct acd_agent *a, struct acd_call *c, void *arg)
{
	struct bench *b = arg;

	b->last = (uintptr_t)acd_agent_arg(a);
	b->offered[b->last] = c;
	++b->decisions;

	return 0;
}


static void b_cancel(struct acd_agent *a, struct acd_call *c,
		     enum acd_cancel why, void *arg)
{
	(void)a;
	(void)c;
	(void)why;
	(void)arg;
	fprintf(stderr, "unexpected cancel\n");
	exit(1);
}


static const struct acd_ops b_ops = {b_offer, b_cancel, NULL, NULL};


static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);

	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}


static void join(struct bench *b)
{
	struct acd_join j = {(int)(b->next_call % 3), NULL,
		(void *)b->next_call, 0, NULL};
	struct acd_call *c;
	char qid[16];
	int err;

	snprintf(qid, sizeof(qid), "q%u",
		 (unsigned)(b->next_call % b->nqueues));
	++b->next_call;
	err = acd_call_join(b->acd, &c, qid, &j, b->now);
	if (err) {
		fprintf(stderr, "join: %s\n", strerror(err));
		exit(1);
	}
}


/* nqueues queues; with more than one, every agent serves three of them
 * (skills) and the queues have different priorities, so each decision
 * also arbitrates between an agent's queues. */
static void setup(struct bench *b, unsigned nqueues, unsigned ncalls)
{
	memset(b, 0, sizeof(*b));
	b->nqueues = nqueues;
	b->now = 1000;
	b->next_call = 1;
	if (acd_alloc(&b->acd, &b_ops, b))
		exit(1);

	for (unsigned i = 0; i < nqueues; i++) {
		char qid[16], skill[16];
		const char *skv[1] = {skill};
		struct acd_queue_cfg cfg = {
			.strategy = acd_strategy_find("longest_idle"),
			.priority = (int)(i % 3),
			.ring_timeout_ms = 20000,
			.skillv = skv,
			.skillc = nqueues > 1,
		};

		snprintf(qid, sizeof(qid), "q%u", i);
		snprintf(skill, sizeof(skill), "s%u", i);
		if (acd_queue_set(b->acd, "t1", qid, &cfg, b->now))
			exit(1);
	}

	for (uintptr_t i = 0; i < NAGENTS; i++) {
		char id[16], sk[3][16];
		struct acd_skill skv[3];

		snprintf(id, sizeof(id), "a%u", (unsigned)i);
		if (acd_agent_add(b->acd, &b->agentv[i], "t1", id,
				  (uint32_t)i, (void *)i))
			exit(1);
		for (unsigned k = 0; k < 3; k++) {
			snprintf(sk[k], sizeof(sk[k]), "s%u",
				 (unsigned)((i + k) % nqueues));
			skv[k].skill_id = sk[k];
			skv[k].level = 1 + (unsigned)((i + k) % 3);
		}
		if (acd_agent_set_skills(b->agentv[i], skv, 3, b->now) ||
		    acd_agent_login(b->agentv[i], false, "start", b->now))
			exit(1);
	}

	for (unsigned i = 0; i < ncalls; i++)
		join(b);
}


static void answer_end(struct bench *b, unsigned i)
{
	struct acd_agent *a = b->agentv[i];

	if (acd_offer_answered(a, b->offered[i], b->now)) {
		fprintf(stderr, "%s: no live offer\n", acd_agent_id(a));
		exit(1);
	}
	b->offered[i] = NULL;
	if (acd_agent_call_ended(a, b->now))
		exit(1);
}


/* No call waits: each call that joins goes to the best ready agent. */
static void cycle_ready(struct bench *b, uint64_t decisions)
{
	while (b->decisions < decisions) {
		uint64_t n = b->decisions;

		++b->now;
		join(b);
		if (b->decisions != n + 1)
			exit(1);
		answer_end(b, (unsigned)b->last);
	}
}


static void cycle_waiting(struct bench *b, uint64_t decisions)
{
	unsigned i = 0;

	while (b->decisions < decisions) {
		unsigned k = i;

		++b->now;
		i = (i + 1) % NAGENTS;

		/* wrap-up 0: ready, and offered the next call at once; if
		 * none of its queues had a call, it is when one joins */
		if (b->offered[k])
			answer_end(b, k);
		join(b);
	}
}


/* @return decisions per second of wall time; *cpup: of CPU time */
static double run(unsigned nqueues, unsigned ncalls, uint64_t decisions,
		  double *cpup)
{
	struct bench b;
	double t0, c0, t;

	setup(&b, nqueues, ncalls);
	t0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);

	/* every agent ready: each is offered a waiting call at once */
	for (unsigned k = 0; k < NAGENTS; k++)
		(void)acd_agent_ready(b.agentv[k], NULL, b.now);

	if (ncalls)
		cycle_waiting(&b, decisions);
	else
		cycle_ready(&b, decisions);

	t = clock_s(CLOCK_MONOTONIC) - t0;
	*cpup = (double)b.decisions / (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0);
	{
		char why[128];

		if (acd_check(b.acd, why, sizeof(why))) {
			fprintf(stderr, "acd_check: %s\n", why);
			exit(1);
		}
	}
	mem_deref(b.acd);

	return (double)b.decisions / t;
}


static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}


int main(int argc, char *argv[])
{
	uint64_t decisions = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	unsigned runs = argc > 2 ? (unsigned)atoi(argv[2]) : 5;
	const unsigned layouts[][2] = {{1, NCALLS}, {10, NCALLS}, {1, 0}};

	if (runs < 1 || runs > 99)
		runs = 5;

	for (size_t l = 0; l < ARRAY_SIZE(layouts); l++) {
		double v[99], cpu[99];

		for (unsigned r = 0; r < runs; r++)
			v[r] = run(layouts[l][0], layouts[l][1], decisions,
				   &cpu[r]);

		qsort(v, runs, sizeof(v[0]), cmp_d);
		qsort(cpu, runs, sizeof(cpu[0]), cmp_d);
		printf("acd_route: %u queue(s), %u calls waiting, %u agents: "
		       "%.0f decisions/s (median of %u runs of %llu; "
		       "min %.0f, max %.0f; per CPU second %.0f)\n",
		       layouts[l][0], layouts[l][1], NAGENTS, v[runs / 2],
		       runs, (unsigned long long)decisions, v[0], v[runs - 1],
		       cpu[runs / 2]);
	}

	return 0;
}
