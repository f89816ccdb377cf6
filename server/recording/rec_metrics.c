/* Recording metrics: recordings finished by status, audio lost, and the
 * encoder's backlog (streams handed over and not yet done). */
#include <re_types.h>
#include <re_fmt.h>
#include "metrics/metrics.h"
#include "recording/rec_enc.h"
#include "recording/rec_metrics.h"

static struct {
	struct metric *finished;
	struct metric *lost;
	struct metric *active;
	bool ready;
} m;


static void collect(void *arg)
{
	(void)arg;
	metric_set(m.active, NULL, rec_enc_active());
}


/** A recording is over: ready, partial or failed; audio lost (ms). */
void rec_metrics_finished(const char *status, uint32_t lost_ms)
{
	char lb[40];

	if (!m.ready)
		return;

	(void)re_snprintf(lb, sizeof(lb), "status=\"%s\"", status);
	metric_inc(m.finished, lb, 1);
	if (lost_ms)
		metric_inc(m.lost, NULL, lost_ms / 1000.0);
}


void rec_metrics_init(void)
{
	if (m.ready)
		return;

	m.finished = metric_counter("openseat_recordings_total",
				    "Recordings finished, by status (ready, "
				    "partial, failed).");
	m.lost = metric_counter("openseat_recording_audio_lost_seconds_"
				"total", "Audio dropped because an encoder "
				"fell behind (those recordings are "
				"partial).");
	m.active = metric_gauge("openseat_recordings_active",
				"Recordings being captured or finished by "
				"the encoder threads.");
	(void)metrics_on_collect(collect, NULL);
	m.ready = true;
}


/** The registry is about to be freed (the process stops). */
void rec_metrics_close(void)
{
	m.ready = false;
}
