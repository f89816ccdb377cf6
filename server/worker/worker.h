/* A small pool of threads for blocking or CPU-heavy jobs. */
#ifndef OPENSEAT_WORKER_H
#define OPENSEAT_WORKER_H

struct worker_pool;

/** Runs on a worker thread: must not touch libre loop objects. */
typedef int  (worker_work_h)(void *arg);
/** Runs afterwards on the loop thread with work's return value. */
typedef void (worker_done_h)(int err, void *arg);

int  worker_pool_alloc(struct worker_pool **wpp, unsigned threads,
		       unsigned max_queue);
int  worker_submit(struct worker_pool *wp, worker_work_h *work,
		   worker_done_h *done, void *arg);
unsigned worker_pending(const struct worker_pool *wp);

#endif
