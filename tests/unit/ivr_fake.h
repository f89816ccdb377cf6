/* Test helper: a fake call engine (host) for the IVR interpreter. */
#ifndef OPENSEAT_TEST_IVR_FAKE_H
#define OPENSEAT_TEST_IVR_FAKE_H

#include <stdbool.h>
#include "ivr/ivr.h"

struct fake {
	struct ivr_run *run;
	char log[8192];         /* "P:ref,ref;" "S;" "V:box;" "E:how;" ... */
	char events[8192];      /* "ivr.node:menu;" ...                     */
	char ended[16];
	unsigned plays;
	bool barge;
	bool auto_played;       /* finish plays from a zero timer           */
	int play_err;           /* what play returns                        */
	int queue_ret;          /* what queue returns                       */
	int resume_with;        /* auto resume voicemail/transfer/queue     */
	bool auto_resume;
	const char *free_in;    /* "play", "end", ... : free the run there  */
	bool freed;
	struct app *app;        /* for area switches, or NULL            */
	unsigned ops_after_free;
};

extern const struct ivr_host_ops fake_ops;

void fake_init(struct fake *f);
void fake_close(struct fake *f);
struct ivr_flow *fake_flow(const char *json);
int  fake_run(struct fake *f, struct ivr_flow *flow, const char *caller);
int  fake_until_end(struct fake *f, unsigned ms);
void fake_free(struct fake *f);
bool fake_logged(const struct fake *f, const char *s);

#endif
