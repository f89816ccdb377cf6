/* A recording acd_ops for the routing core's tests: every callback is
 * logged in order; offers may fail or be answered from inside. */
#ifndef OPENSEAT_TEST_ACD_REC_H
#define OPENSEAT_TEST_ACD_REC_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define REC_MAX 8192

struct rec_ev {
	char type;              /* O offer, C cancel, S state, L left */
	char agent[32];
	int call;               /* the call's arg as an int, 0 none */
	int why;
	enum acd_agent_state from, to;
	char reason[32];
	char forced_by[32];
	char queue[32];
	uint64_t at;
};

struct rec;
typedef void (rec_offer_h)(struct rec *r, struct acd_agent *a,
			   struct acd_call *c);

struct rec {
	struct rec_ev ev[REC_MAX];
	size_t n;
	size_t dropped;
	int offer_err;          /* what ops->offer returns */
	rec_offer_h *on_offer;
	void (*on_state)(struct acd_agent *a,
			 const struct acd_transition *t);
	void (*on_left)(struct acd_call *c, enum acd_left why);
	void *arg;
};

static inline int rec_call_id(const struct acd_call *c)
{
	return c ? (int)(intptr_t)acd_call_arg(c) : 0;
}

static inline struct rec_ev *rec_add(struct rec *r, char type,
				     const struct acd_agent *a,
				     const struct acd_call *c, int why)
{
	struct rec_ev *e;

	if (r->n >= REC_MAX) {
		++r->dropped;
		return NULL;
	}

	e = &r->ev[r->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	if (a)
		snprintf(e->agent, sizeof(e->agent), "%s", acd_agent_id(a));
	e->call = rec_call_id(c);
	e->why = why;

	return e;
}

static inline int rec_offer(struct acd_agent *a, struct acd_call *c,
			    void *arg)
{
	struct rec *r = arg;

	rec_add(r, 'O', a, c, 0);
	if (r->on_offer)
		r->on_offer(r, a, c);

	return r->offer_err;
}

static inline void rec_cancel(struct acd_agent *a, struct acd_call *c,
			      enum acd_cancel why, void *arg)
{
	rec_add(arg, 'C', a, c, why);
}

static inline void rec_state(struct acd_agent *a,
			     const struct acd_transition *t, void *arg)
{
	struct rec *r = arg;
	struct rec_ev *e = rec_add(r, 'S', a, t->call, 0);

	if (!e)
		return;

	e->from = t->from;
	e->to = t->to;
	e->at = t->at;
	snprintf(e->reason, sizeof(e->reason), "%s", t->reason);
	snprintf(e->forced_by, sizeof(e->forced_by), "%s",
		 t->forced_by ? t->forced_by : "");
	snprintf(e->queue, sizeof(e->queue), "%s",
		 t->queue ? acd_queue_id(t->queue) : "");
	if (r->on_state)
		r->on_state(a, t);
}

static inline void rec_left(struct acd_call *c, enum acd_left why,
			    struct acd_agent *a, void *arg)
{
	struct rec *r = arg;

	rec_add(r, 'L', a, c, why);
	if (r->on_left)
		r->on_left(c, why);
}

static const struct acd_ops rec_ops = {
	rec_offer, rec_cancel, rec_state, rec_left,
};

/* Index of the first event from `from` matching; -1 if none. */
static inline int rec_find(const struct rec *r, size_t from, char type,
			   const char *agent, int call)
{
	for (size_t i = from; i < r->n; i++) {
		const struct rec_ev *e = &r->ev[i];

		if (e->type != type)
			continue;
		if (agent && strcmp(e->agent, agent))
			continue;
		if (call && e->call != call)
			continue;

		return (int)i;
	}

	return -1;
}

static inline unsigned rec_count(const struct rec *r, char type,
				 const char *agent, int call)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct rec_ev *e = &r->ev[i];

		if (e->type == type && (!agent || !strcmp(e->agent, agent)) &&
		    (!call || e->call == call))
			++n;
	}

	return n;
}

/* The agent of the last offer of call; "" if none. */
static inline const char *rec_offered_to(const struct rec *r, int call)
{
	for (size_t i = r->n; i-- > 0;) {
		if (r->ev[i].type == 'O' && r->ev[i].call == call)
			return r->ev[i].agent;
	}

	return "";
}

#endif
