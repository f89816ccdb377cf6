/* Webhook metrics: deliveries by result, latency, the queue's depth. */
#include <re_types.h>
#include <re_list.h>
#include <re_fmt.h>
#include "metrics/metrics.h"
#include "webhook/wh_int.h"

static const double lat_bounds[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

static struct {
	struct metric *attempts;
	struct metric *latency;
	struct metric *depth;
} wm;


/** Register the metrics (once per process; metrics_reset frees them). */
void wh_metrics_init(void)
{
	wm.attempts = metric_counter("openseat_webhook_attempts_total",
				     "Webhook delivery attempts by result: "
				     "delivered, rejected (a non-2xx "
				     "status), timeout, refused (egress "
				     "policy), error.");
	wm.latency = metric_histogram("openseat_webhook_attempt_seconds",
				      "Time from connecting to the "
				      "response, per attempt.",
				      lat_bounds, ARRAY_SIZE(lat_bounds));
	wm.depth = metric_gauge("openseat_webhook_queue_depth",
				"Webhook deliveries due or being "
				"delivered (all nodes).");
	metric_set(wm.depth, NULL, 0);   /* shown before the first count */
}


void wh_metrics_delivery(const char *result, double seconds)
{
	char labels[48];

	(void)re_snprintf(labels, sizeof(labels), "result=\"%s\"", result);
	metric_inc(wm.attempts, labels, 1);
	metric_observe(wm.latency, NULL, seconds);
}


void wh_metrics_queue(double depth)
{
	metric_set(wm.depth, NULL, depth);
}
