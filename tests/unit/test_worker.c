/* Unit tests for the worker pool (worker/worker.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <re.h>
#include "worker/worker.h"
#include "loop.h"

#define NJOBS 200

struct job {
	unsigned in;
	unsigned out;
	pthread_t worker;
	bool done;
	int err;
	unsigned ncalls;
};

struct batch {
	struct job jobs[NJOBS];
	unsigned ndone;
	unsigned want;
	bool wrong_thread;
};

/* A gate a job can wait at until the test opens it. */
struct gate {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	bool started;
	bool open;
};

static pthread_t loop_thread;
static struct batch *cur_batch;
static struct gate gate;


static int square_work(void *arg)
{
	struct job *j = arg;

	j->out = j->in * j->in;
	j->worker = pthread_self();

	return j->in % 7 ? 0 : EPROTO;
}


static void count_done(int err, void *arg)
{
	struct job *j = arg;

	if (!pthread_equal(pthread_self(), loop_thread))
		cur_batch->wrong_thread = true;

	j->done = true;
	j->err = err;
	++j->ncalls;
	if (++cur_batch->ndone == cur_batch->want)
		re_cancel();
}


static int gate_work(void *arg)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->mutex);
	g->started = true;
	pthread_cond_broadcast(&g->cond);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->mutex);
	pthread_mutex_unlock(&g->mutex);

	return 0;
}


static void gate_init(struct gate *g)
{
	pthread_mutex_init(&g->mutex, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->started = false;
	g->open = false;
}


static void gate_wait_started(struct gate *g)
{
	pthread_mutex_lock(&g->mutex);
	while (!g->started)
		pthread_cond_wait(&g->cond, &g->mutex);
	pthread_mutex_unlock(&g->mutex);
}


static void gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mutex);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->mutex);
}


static void gate_destroy(struct gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->mutex);
}


static void test_many_jobs(void **state)
{
	struct worker_pool *wp = NULL;
	struct batch *b;
	unsigned i;
	(void)state;

	b = mem_zalloc(sizeof(*b), NULL);
	assert_non_null(b);
	cur_batch = b;
	b->want = NJOBS;

	assert_int_equal(worker_pool_alloc(&wp, 4, NJOBS), 0);

	for (i = 0; i < NJOBS; i++) {
		b->jobs[i].in = i + 1;
		assert_int_equal(worker_submit(wp, square_work, count_done,
					       &b->jobs[i]), 0);
	}

	assert_int_equal(loop_run(10000), 0);
	assert_int_equal(b->ndone, NJOBS);
	assert_false(b->wrong_thread);
	assert_int_equal(worker_pending(wp), 0);

	for (i = 0; i < NJOBS; i++) {
		struct job *j = &b->jobs[i];

		assert_true(j->done);
		assert_int_equal(j->ncalls, 1);
		assert_int_equal(j->out, j->in * j->in);
		assert_int_equal(j->err, j->in % 7 ? 0 : EPROTO);
		assert_false(pthread_equal(j->worker, loop_thread));
	}

	mem_deref(wp);
	mem_deref(b);
}


static void test_queue_full(void **state)
{
	struct worker_pool *wp = NULL;
	struct batch *b;
	(void)state;

	b = mem_zalloc(sizeof(*b), NULL);
	assert_non_null(b);
	cur_batch = b;
	gate_init(&gate);

	assert_int_equal(worker_pool_alloc(&wp, 1, 2), 0);

	/* the only thread is busy at the gate */
	assert_int_equal(worker_submit(wp, gate_work, NULL, &gate), 0);
	gate_wait_started(&gate);

	b->jobs[0].in = 3;
	b->jobs[1].in = 4;
	assert_int_equal(worker_submit(wp, square_work, count_done,
				       &b->jobs[0]), 0);
	assert_int_equal(worker_submit(wp, square_work, count_done,
				       &b->jobs[1]), 0);
	assert_int_equal(worker_submit(wp, square_work, count_done,
				       &b->jobs[2]), EBUSY);
	assert_int_equal(worker_pending(wp), 3);

	/* a refused job was not queued: it never completes */
	b->want = 2;
	gate_open(&gate);
	assert_int_equal(loop_run(5000), 0);
	assert_int_equal(b->jobs[0].out, 9);
	assert_int_equal(b->jobs[1].out, 16);
	assert_false(b->jobs[2].done);
	assert_int_equal(worker_pending(wp), 0);

	/* room again */
	b->want = 3;
	b->jobs[2].in = 5;
	assert_int_equal(worker_submit(wp, square_work, count_done,
				       &b->jobs[2]), 0);
	assert_int_equal(loop_run(5000), 0);
	assert_int_equal(b->jobs[2].out, 25);

	mem_deref(wp);
	gate_destroy(&gate);
	mem_deref(b);
}


static void test_destroy_pending(void **state)
{
	struct worker_pool *wp = NULL;
	struct batch *b;
	unsigned i;
	(void)state;

	b = mem_zalloc(sizeof(*b), NULL);
	assert_non_null(b);
	cur_batch = b;
	b->want = 1000;   /* never cancel the loop */
	gate_init(&gate);

	assert_int_equal(worker_pool_alloc(&wp, 1, 16), 0);
	assert_int_equal(worker_submit(wp, gate_work, NULL, &gate), 0);
	gate_wait_started(&gate);

	for (i = 1; i <= 8; i++) {
		b->jobs[i].in = 7 * i + 1;
		assert_int_equal(worker_submit(wp, square_work, count_done,
					       &b->jobs[i]), 0);
	}

	/* the running job finishes; each job gets exactly one done call,
	 * from within the destructor: a result or ECANCELED */
	gate_open(&gate);
	mem_deref(wp);

	assert_int_equal(b->ndone, 8);
	for (i = 1; i <= 8; i++) {
		struct job *j = &b->jobs[i];

		assert_int_equal(j->ncalls, 1);
		if (j->err != ECANCELED) {
			assert_int_equal(j->err, 0);
			assert_int_equal(j->out, j->in * j->in);
		}
	}

	/* nothing arrives afterwards */
	assert_int_equal(loop_run(30), ETIMEDOUT);
	assert_int_equal(b->ndone, 8);

	gate_destroy(&gate);
	mem_deref(b);
}


static struct worker_pool *self_pool;


static void deref_pool_done(int err, void *arg)
{
	struct job *j = arg;

	j->err = err;
	++j->ncalls;
	++cur_batch->ndone;
	if (self_pool) {
		self_pool = mem_deref(self_pool);
		re_cancel();
	}
}


static void test_destroy_from_done(void **state)
{
	struct batch *b;
	unsigned i;
	(void)state;

	b = mem_zalloc(sizeof(*b), NULL);
	assert_non_null(b);
	cur_batch = b;

	assert_int_equal(worker_pool_alloc(&self_pool, 2, 64), 0);
	for (i = 0; i < 20; i++) {
		b->jobs[i].in = i + 1;
		assert_int_equal(worker_submit(self_pool, square_work,
					       deref_pool_done,
					       &b->jobs[i]), 0);
	}

	assert_int_equal(loop_run(5000), 0);
	assert_null(self_pool);
	assert_int_equal(b->ndone, 20);
	for (i = 0; i < 20; i++)
		assert_int_equal(b->jobs[i].ncalls, 1);

	mem_deref(b);
}


static void test_bad_input(void **state)
{
	struct worker_pool *wp = NULL;
	(void)state;

	assert_int_equal(worker_pool_alloc(NULL, 1, 1), EINVAL);
	assert_int_equal(worker_pool_alloc(&wp, 0, 1), EINVAL);
	assert_int_equal(worker_pool_alloc(&wp, 1, 0), EINVAL);
	assert_int_equal(worker_pool_alloc(&wp, 100000, 1), EINVAL);
	assert_null(wp);

	assert_int_equal(worker_submit(NULL, square_work, NULL, NULL),
			 EINVAL);
	assert_int_equal(worker_pool_alloc(&wp, 1, 1), 0);
	assert_int_equal(worker_submit(wp, NULL, NULL, NULL), EINVAL);
	assert_int_equal(worker_pending(wp), 0);
	assert_int_equal(worker_pending(NULL), 0);
	mem_deref(wp);
}


static int setup(void **state)
{
	(void)state;
	loop_thread = pthread_self();

	return libre_init();
}


static int teardown(void **state)
{
	(void)state;
	libre_close();

	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_jobs),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_destroy_pending),
		cmocka_unit_test(test_destroy_from_done),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
