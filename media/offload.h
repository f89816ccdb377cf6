/*
 * How media/ runs blocking work (fsync, file finishing) off the loop
 * without knowing the server's worker pool: the server installs a hook.
 * Without one, work runs inline (unit tests).
 */
#ifndef OPENSEAT_OFFLOAD_H
#define OPENSEAT_OFFLOAD_H

typedef int  (offload_work_h)(void *arg);
typedef void (offload_done_h)(int err, void *arg);
typedef int  (offload_submit_h)(offload_work_h *work, offload_done_h *done,
				void *arg, void *hook_arg);

void offload_set(offload_submit_h *submit, void *hook_arg);
int  offload_run(offload_work_h *work, offload_done_h *done, void *arg);

#endif
