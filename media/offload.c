/* How media/ hands blocking work to the server's worker pool. */
#include <re_types.h>
#include "media/offload.h"

static offload_submit_h *offload_submit;
static void *offload_hook_arg;


/**
 * Install the hook that runs blocking work off the loop; NULL removes it.
 *
 * @param submit   Submit function (e.g. onto the worker pool)
 * @param hook_arg Its argument
 */
void offload_set(offload_submit_h *submit, void *hook_arg)
{
	offload_submit   = submit;
	offload_hook_arg = hook_arg;
}


/**
 * Run work off the loop, then done on the loop. Without a hook the work
 * runs inline and done is called before this returns.
 *
 * @return 0 if the work was accepted (done will be called), otherwise
 * errorcode (done is not called)
 */
int offload_run(offload_work_h *work, offload_done_h *done, void *arg)
{
	int err;

	if (!work)
		return EINVAL;

	if (offload_submit)
		return offload_submit(work, done, arg, offload_hook_arg);

	err = work(arg);
	if (done)
		done(err, arg);

	return 0;
}
