/* Recording metrics for /metrics. */
#ifndef OPENSEAT_REC_METRICS_H
#define OPENSEAT_REC_METRICS_H

#include <stdint.h>

void rec_metrics_init(void);
void rec_metrics_close(void);
void rec_metrics_finished(const char *status, uint32_t lost_ms);

#endif
