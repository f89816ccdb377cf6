/* ACD metrics: waiting calls and longest wait per queue, agents by
 * state, and what happened to offers and calls. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#include "metrics/metrics.h"
#include "queue/queue_int.h"

/*
 * Queues are labelled by queue id only: the tenant behind an id is the
 * operator's to look up, not the scraper's to see.
 */
static struct {
	struct metric *events;
	struct metric *waiting;
	struct metric *longest;
	struct metric *agents;
	struct metric *latency;
	bool ready;
} m;


/** Count an ACD outcome: offered, answered, abandoned, no_answer ... */
void queue_count(const char *what)
{
	char lb[48];

	(void)re_snprintf(lb, sizeof(lb), "event=\"%s\"", what);
	metric_inc(m.events, lb, 1);
}


/* ms: an offer decided within the loop's own latency is in the first */
static const double latency_bounds[] = {
	0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0};


/** From the moment a call could be offered (it joined, or an agent
 *  became ready for it) to the agent's device being rung. A call
 *  offered again after a miss counts from its join: the figure is meant
 *  for queues whose agents answer. */
void queue_offer_latency(uint64_t ms)
{
	metric_observe(m.latency, NULL, (double)ms / 1000.0);
}


static bool collect_queue(struct le *le, void *arg)
{
	struct qqueue *qq = le->data;
	struct acd_queue *q = acd_queue_find(rt.acd, qq->info.queue_id);
	struct acd_queue_stats st;
	uint64_t now = *(uint64_t *)arg;
	char lb[64];

	if (!q)
		return false;

	acd_queue_stats(q, &st);
	(void)re_snprintf(lb, sizeof(lb), "queue=\"%s\"", qq->info.queue_id);
	metric_set(m.waiting, lb, st.waiting);
	metric_set(m.longest, lb, st.oldest_since ?
		   (double)(now - st.oldest_since) / 1000.0 : 0.0);

	return false;
}


static bool count_agent(struct le *le, void *arg)
{
	struct qagent *qa = le->data;
	unsigned *by_state = arg;

	++by_state[acd_agent_state(qa->a)];

	return false;
}


static void collect(void *arg)
{
	unsigned by_state[ACD_OUTBOUND + 1];
	uint64_t now = queue_now();
	char lb[48];

	(void)arg;
	if (!rt.acd)
		return;

	memset(by_state, 0, sizeof(by_state));
	(void)hash_apply(rt.queues, collect_queue, &now);
	(void)hash_apply(rt.agents, count_agent, by_state);
	for (unsigned s = 0; s <= ACD_OUTBOUND; s++) {
		(void)re_snprintf(lb, sizeof(lb), "state=\"%s\"",
				  acd_state_name((enum acd_agent_state)s));
		metric_set(m.agents, lb, by_state[s]);
	}
}


void queue_metrics_init(void)
{
	if (m.ready)
		return;

	m.events = metric_counter("openseat_acd_events_total",
				  "ACD outcomes: offers, answers, no-answers "
				  "by cause, abandons, overflows.");
	m.waiting = metric_gauge("openseat_queue_waiting_calls",
				 "Calls waiting in a queue, by queue id.");
	m.longest = metric_gauge("openseat_queue_longest_wait_seconds",
				 "How long the longest waiting call has "
				 "waited, by queue id.");
	m.agents = metric_gauge("openseat_agents",
				"Agents on this node by state.");
	m.latency = metric_histogram("openseat_acd_offer_latency_seconds",
				     "From a call being offerable (joined, "
				     "or an agent ready for it) to the "
				     "agent's device being rung.",
				     latency_bounds,
				     ARRAY_SIZE(latency_bounds));
	(void)metrics_on_collect(collect, NULL);
	m.ready = true;
}
