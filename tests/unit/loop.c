/* Test helper: run the libre loop until a handler stops it or time passes. */
#include <re.h>
#include "loop.h"

static bool timed_out;


static void timeout_handler(void *arg)
{
	(void)arg;
	timed_out = true;
	re_cancel();
}


/**
 * Run re_main until a handler calls re_cancel() or `ms` pass.
 *
 * @return 0 if a handler cancelled the loop, ETIMEDOUT if time ran out
 */
int loop_run(unsigned ms)
{
	struct tmr tmr;
	int err;

	tmr_init(&tmr);
	timed_out = false;
	tmr_start(&tmr, ms, timeout_handler, NULL);
	err = re_main(NULL);
	tmr_cancel(&tmr);
	if (err)
		return err;

	return timed_out ? ETIMEDOUT : 0;
}


static loop_cond_h *until_cond;
static void *until_arg;


static void until_poll(void *arg)
{
	struct tmr *t = arg;

	if (until_cond(until_arg))
		re_cancel();
	else
		tmr_start(t, 5, until_poll, t);
}


/**
 * Run re_main until cond(arg) holds (checked every 5 ms) or `ms` pass.
 *
 * @return whether cond holds at the end
 */
bool loop_until(loop_cond_h *cond, void *arg, unsigned ms)
{
	struct tmr t;

	if (cond(arg))
		return true;

	until_cond = cond;
	until_arg  = arg;
	tmr_init(&t);
	tmr_start(&t, 5, until_poll, &t);
	(void)loop_run(ms);
	tmr_cancel(&t);

	return cond(arg);
}
