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
