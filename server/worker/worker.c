/* Worker pool: threads run jobs, their results come back on the loop. */
#include <pthread.h>
#include <re.h>
#include "worker/worker.h"

/*
 * Threading rules
 *
 * Jobs are allocated and freed on the loop thread only. Worker threads
 * merely move them between the pool's lists while holding the mutex and
 * call the work function; they never allocate or dereference libre
 * objects. A job's argument belongs to the job from submit until its
 * done handler has run.
 *
 * Finished jobs go onto the `done` list; a single message through libre's
 * mqueue (at most one in flight) wakes the loop, which drains the list
 * and calls the done handlers.
 *
 * Destruction (on the loop thread) stops the threads, waiting for running
 * jobs to finish, and then calls every outstanding done handler from the
 * destructor itself: finished jobs with their result, jobs still queued
 * with ECANCELED. Thus each submitted job gets exactly one done call and
 * no handler is ever called after the pool is gone.
 */

struct worker_job {
	struct le le;
	worker_work_h *work;
	worker_done_h *done;
	void *arg;
	int err;
};

struct worker_pool {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	bool mutex_ok;
	bool cond_ok;
	pthread_t *threads;
	unsigned nthreads;      /* started threads */
	unsigned max_queue;
	struct list queue;      /* submitted, not yet started */
	struct list done;       /* finished, not yet delivered */
	unsigned nrunning;
	bool stop;
	bool wake_pending;      /* a wake-up message is in the mqueue */
	struct mqueue *mq;
};


static void job_finish(struct worker_job *job, int err)
{
	list_unlink(&job->le);
	if (job->done)
		job->done(err, job->arg);
	mem_deref(job);
}


static void destructor(void *arg)
{
	struct worker_pool *wp = arg;
	struct le *le;
	unsigned i;

	if (wp->mutex_ok) {
		pthread_mutex_lock(&wp->mutex);
		wp->stop = true;
		if (wp->cond_ok)
			pthread_cond_broadcast(&wp->cond);
		pthread_mutex_unlock(&wp->mutex);
	}

	for (i = 0; i < wp->nthreads; i++)
		pthread_join(wp->threads[i], NULL);

	/* no other thread runs now: the lists are ours */
	while ((le = list_head(&wp->done))) {
		struct worker_job *job = le->data;

		job_finish(job, job->err);
	}

	while ((le = list_head(&wp->queue)))
		job_finish(le->data, ECANCELED);

	wp->mq = mem_deref(wp->mq);
	wp->threads = mem_deref(wp->threads);

	if (wp->cond_ok)
		pthread_cond_destroy(&wp->cond);
	if (wp->mutex_ok)
		pthread_mutex_destroy(&wp->mutex);
}


static void *thread_main(void *arg)
{
	struct worker_pool *wp = arg;

	pthread_mutex_lock(&wp->mutex);

	for (;;) {
		struct worker_job *job;
		bool wake = false;

		while (!wp->stop && list_isempty(&wp->queue))
			pthread_cond_wait(&wp->cond, &wp->mutex);

		if (wp->stop)
			break;

		job = list_ledata(list_head(&wp->queue));
		list_unlink(&job->le);
		++wp->nrunning;
		pthread_mutex_unlock(&wp->mutex);

		job->err = job->work(job->arg);

		pthread_mutex_lock(&wp->mutex);
		--wp->nrunning;
		list_append(&wp->done, &job->le, job);
		if (!wp->wake_pending) {
			wp->wake_pending = true;
			wake = true;
		}

		if (wake && mqueue_push(wp->mq, 0, NULL)) {
			/* the next finished job tries again */
			wp->wake_pending = false;
		}
	}

	pthread_mutex_unlock(&wp->mutex);

	return NULL;
}


static void mqueue_handler(int id, void *data, void *arg)
{
	struct worker_pool *wp = arg;
	(void)id;
	(void)data;

	/* a done handler may drop the last reference to the pool */
	mem_ref(wp);

	pthread_mutex_lock(&wp->mutex);
	wp->wake_pending = false;

	while (!list_isempty(&wp->done) && !wp->stop) {
		struct worker_job *job = list_ledata(list_head(&wp->done));

		list_unlink(&job->le);
		pthread_mutex_unlock(&wp->mutex);

		job_finish(job, job->err);

		pthread_mutex_lock(&wp->mutex);
	}

	pthread_mutex_unlock(&wp->mutex);

	mem_deref(wp);
}


/**
 * Allocate a worker pool; call on the loop thread that gets the results.
 *
 * @param wpp        Pointer to the allocated pool
 * @param threads    Number of threads (1..256)
 * @param max_queue  Most jobs waiting to start (at least 1)
 *
 * @return 0 if success, otherwise errorcode
 */
int worker_pool_alloc(struct worker_pool **wpp, unsigned threads,
		      unsigned max_queue)
{
	struct worker_pool *wp;
	unsigned i;
	int err;

	if (!wpp || !threads || threads > 256 || !max_queue)
		return EINVAL;

	wp = mem_zalloc(sizeof(*wp), destructor);
	if (!wp)
		return ENOMEM;

	wp->max_queue = max_queue;
	list_init(&wp->queue);
	list_init(&wp->done);

	err = pthread_mutex_init(&wp->mutex, NULL);
	if (err)
		goto out;
	wp->mutex_ok = true;

	err = pthread_cond_init(&wp->cond, NULL);
	if (err)
		goto out;
	wp->cond_ok = true;

	err = mqueue_alloc(&wp->mq, mqueue_handler, wp);
	if (err)
		goto out;

	wp->threads = mem_zalloc(threads * sizeof(*wp->threads), NULL);
	if (!wp->threads) {
		err = ENOMEM;
		goto out;
	}

	for (i = 0; i < threads; i++) {
		err = pthread_create(&wp->threads[i], NULL, thread_main, wp);
		if (err)
			goto out;
		wp->nthreads = i + 1;
	}

 out:
	if (err)
		mem_deref(wp);
	else
		*wpp = wp;

	return err;
}


/**
 * Queue a job. On success `done` is called exactly once, on the loop
 * thread: with work's return value, or with ECANCELED if the pool is
 * destroyed before the job started. On error it is never called.
 *
 * @param wp    Worker pool
 * @param work  Runs on a worker thread; must not touch loop objects
 * @param done  Runs on the loop thread afterwards (may be NULL)
 * @param arg   Handler argument, owned by the job until done has run
 *
 * @return 0 if success, EBUSY if the queue is full, otherwise errorcode
 */
int worker_submit(struct worker_pool *wp, worker_work_h *work,
		  worker_done_h *done, void *arg)
{
	struct worker_job *job;
	int err = 0;

	if (!wp || !work)
		return EINVAL;

	job = mem_zalloc(sizeof(*job), NULL);
	if (!job)
		return ENOMEM;

	job->work = work;
	job->done = done;
	job->arg  = arg;

	pthread_mutex_lock(&wp->mutex);

	if (wp->stop)
		err = ECANCELED;
	else if (list_count(&wp->queue) >= wp->max_queue)
		err = EBUSY;
	else {
		list_append(&wp->queue, &job->le, job);
		pthread_cond_signal(&wp->cond);
	}

	pthread_mutex_unlock(&wp->mutex);

	if (err)
		mem_deref(job);

	return err;
}


/**
 * Count jobs submitted whose done handler has not run yet.
 *
 * @param wp  Worker pool
 *
 * @return queued + running + finished-but-undelivered jobs
 */
unsigned worker_pending(const struct worker_pool *wp)
{
	struct worker_pool *w = (struct worker_pool *)wp;
	unsigned n;

	if (!w)
		return 0;

	pthread_mutex_lock(&w->mutex);
	n = list_count(&w->queue) + w->nrunning + list_count(&w->done);
	pthread_mutex_unlock(&w->mutex);

	return n;
}
