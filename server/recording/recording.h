/*
 * One recording of one call, on the loop: the tap on the customer's
 * mixer port, the encoder stream, the row in `recordings`, and the
 * recording.* events. A recording lives on after its call until the
 * encoder has finished the file and the row is complete.
 */
#ifndef OPENSEAT_RECORDING_H
#define OPENSEAT_RECORDING_H

#include <stdbool.h>
#include <stdint.h>

struct app;
struct mport;
struct recording;

struct recording_spec {
	const char *tenant_id;
	const char *call_id;
	struct mport *mp;           /**< the customer's port (borrowed) */
	unsigned channels;          /**< 2: customer left, agent right  */
};

int  recording_init(struct app *app);
void recording_close(void);
void recording_drain(void (*drainedh)(void *arg), void *arg);
int  recording_start(struct recording **recp,
		     const struct recording_spec *spec);
int  recording_pause(struct recording *rec, bool paused);
bool recording_paused(const struct recording *rec);
void recording_hold(struct recording *rec, bool held);
void recording_stop(struct recording *rec);
const char *recording_id(const struct recording *rec);

#endif
