/* Agent phone metrics: contacts registered and reachable, answers. */
#include <re_types.h>
#include <re_fmt.h>
#include "metrics/metrics.h"
#include "media/registrar.h"
#include "agent/agent_reg_int.h"

static struct {
	struct registrar *reg;       /**< (borrowed) NULL when closed */
	struct metric *contacts;
	struct metric *answers;
	bool ready;
} m;


static void collect(void *arg)
{
	unsigned reachable = 0, n;
	(void)arg;

	n = registrar_count(m.reg, &reachable);
	metric_set(m.contacts, "state=\"registered\"", n);
	metric_set(m.contacts, "state=\"reachable\"", reachable);
}


/** Count one final answer to a REGISTER. */
void agent_reg_count(uint16_t scode)
{
	char lb[32];

	(void)re_snprintf(lb, sizeof(lb), "code=\"%u\"", scode);
	metric_inc(m.answers, lb, 1);
}


/** Metrics of reg (NULL when closing: the gauges read 0). */
void agent_reg_metrics_init(struct registrar *reg)
{
	m.reg = reg;
	if (m.ready || !reg)
		return;

	m.contacts = metric_gauge("openseat_sip_registrations",
				  "Agent phone contacts registered, and "
				  "those answering OPTIONS.");
	m.answers = metric_counter("openseat_sip_register_answers_total",
				   "Final answers to REGISTER, by status "
				   "code.");
	(void)metrics_on_collect(collect, NULL);
	m.ready = true;
}
