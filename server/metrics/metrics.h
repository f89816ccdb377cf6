/* Process-wide metrics registry rendered in Prometheus text format. */
#ifndef OPENSEAT_METRICS_H
#define OPENSEAT_METRICS_H

#include <stddef.h>

struct mbuf;
struct metric;

/** Label sets kept per family; further new sets are dropped and counted */
#define METRICS_MAX_SERIES 2000

struct metric *metric_counter(const char *name, const char *help);
struct metric *metric_gauge(const char *name, const char *help);
struct metric *metric_histogram(const char *name, const char *help,
				const double *bounds, unsigned nbounds);
/* labels: preformatted label pairs like `route="/api/v1/me",status="200"`
 * or NULL; values are escaped by the caller with metric_label_escape */
void metric_inc(struct metric *m, const char *labels, double v);
void metric_set(struct metric *m, const char *labels, double v);
void metric_observe(struct metric *m, const char *labels, double v);
typedef void (metrics_collect_h)(void *arg);   /* refresh gauges */
int  metrics_on_collect(metrics_collect_h *h, void *arg);
int  metrics_render(struct mbuf *mb);   /* text exposition format 0.0.4 */
void metrics_reset(void);               /* frees everything (tests, exit) */
int  metric_label_escape(char *out, size_t sz, const char *val);
void metric_le(char *out, size_t sz, double bound);   /* le="0.005" */

#endif
