/* Unit tests for the prompt cache: load, share, evict, cancel, fall back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <re.h>
#include "app.h"
#include "media/mconf.h"
#include "media/pcm.h"
#include "worker/worker.h"
#include "prompt/prompt.h"
#include "prompt/prompt_codec.h"
#include "loop.h"

#define TENANT "11111111-2222-4333-8444-555555555555"
#define P1     "aaaaaaaa-0000-4000-8000-000000000001"
#define P2     "aaaaaaaa-0000-4000-8000-000000000002"
#define P3     "aaaaaaaa-0000-4000-8000-000000000003"

static char tmpdir[64];
static struct app app;

struct got {
	unsigned n;
	int err;
	struct pcm *pcm;            /**< (ref) */
	unsigned stop_after;
	struct prompt_req **free_me;
};


static void got_h(int err, struct pcm *pcm, void *arg)
{
	struct got *g = arg;

	++g->n;
	g->err = err;
	mem_deref(g->pcm);
	g->pcm = mem_ref(pcm);
	if (g->free_me)
		*g->free_me = mem_deref(*g->free_me);
	if (g->n >= g->stop_after)
		re_cancel();
}


/* A WAV of n samples, all of value v. */
static void wav(const char *path, size_t n, int16_t v)
{
	int16_t *s = mem_alloc(n * sizeof(*s), NULL);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = v;
	assert_int_equal(prompt_wav_write(path, s, n), 0);
	mem_deref(s);
}


static void tenant_wav(const char *id, size_t n, int16_t v)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/prompts/%s/%s.wav", tmpdir, TENANT,
		 id);
	wav(path, n, v);
}


static void got_reset(struct got *g)
{
	g->pcm = mem_deref(g->pcm);
	memset(g, 0, sizeof(*g));
	g->stop_after = 1;
}


static void test_load_then_hit(void **state)
{
	struct prompt_req *r1 = NULL, *r2 = NULL;
	struct got a = {0}, b = {0};
	struct pcm *c;

	(void)state;
	got_reset(&a);
	got_reset(&b);
	tenant_wav(P1, 800, 1000);

	assert_null(prompt_cached(TENANT, P1, NULL));
	assert_int_equal(prompt_load(&r1, &app, TENANT, P1, NULL, got_h, &a),
			 0);
	assert_int_equal(a.n, 0);     /* never before prompt_load returns */
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.pcm->n, 800);
	assert_int_equal(a.pcm->s[10], 1000);
	assert_true(prompt_cache_bytes() >= 1600);

	/* from memory: the same audio, still delivered after return */
	assert_int_equal(prompt_load(&r2, &app, TENANT, P1, "en", got_h, &b),
			 0);
	assert_int_equal(b.n, 0);
	assert_int_equal(loop_run(2000), 0);
	assert_ptr_equal(b.pcm, a.pcm);
	c = prompt_cached(TENANT, P1, NULL);
	assert_ptr_equal(c, a.pcm);

	mem_deref(c);
	mem_deref(r1);
	mem_deref(r2);
	got_reset(&a);
	got_reset(&b);
}


/* Two requests during one load share it; freeing one cancels only it. */
static void test_shared_and_cancel(void **state)
{
	struct prompt_req *r1 = NULL, *r2 = NULL, *r3 = NULL;
	struct got a = {0}, b = {0}, c = {0};

	(void)state;
	got_reset(&a);
	got_reset(&b);
	got_reset(&c);
	tenant_wav(P2, 1600, -500);

	assert_int_equal(prompt_load(&r1, &app, TENANT, P2, NULL, got_h, &a),
			 0);
	assert_int_equal(prompt_load(&r2, &app, TENANT, P2, NULL, got_h, &b),
			 0);
	assert_int_equal(prompt_load(&r3, &app, TENANT, P2, NULL, got_h, &c),
			 0);
	r2 = mem_deref(r2);             /* its requester went away */
	c.free_me = &r3;                /* frees itself in its handler */
	c.stop_after = 1;
	a.stop_after = 99;
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(b.n, 0);
	assert_int_equal(c.n, 1);
	assert_null(r3);
	assert_ptr_equal(a.pcm, c.pcm);

	mem_deref(r1);
	got_reset(&a);
	got_reset(&b);
	got_reset(&c);
}


static void test_errors(void **state)
{
	struct prompt_req *r = NULL;
	struct got a = {0};
	char path[256];

	(void)state;
	got_reset(&a);

	/* malformed references are refused at once */
	assert_int_equal(prompt_load(&r, &app, TENANT, "../etc/passwd",
				     NULL, got_h, &a), EINVAL);
	assert_int_equal(prompt_load(&r, &app, TENANT, "builtin/../x",
				     NULL, got_h, &a), EINVAL);
	assert_int_equal(prompt_load(&r, &app, "nope", P1, NULL, got_h, &a),
			 EINVAL);
	assert_null(r);

	/* a missing file */
	assert_int_equal(prompt_load(&r, &app, TENANT, P3, NULL, got_h, &a),
			 0);
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.err, ENOENT);
	assert_null(a.pcm);
	r = mem_deref(r);

	/* not the engine format: refused, and not remembered */
	got_reset(&a);
	snprintf(path, sizeof(path), "%s/prompts/%s/%s.wav", tmpdir, TENANT,
		 P3);
	{
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		fputs("not a wav file at all", f);
		fclose(f);
	}
	assert_int_equal(prompt_load(&r, &app, TENANT, P3, NULL, got_h, &a),
			 0);
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.err, EINVAL);
	r = mem_deref(r);

	/* fixed on disk: the next load finds it */
	got_reset(&a);
	tenant_wav(P3, 400, 7);
	assert_int_equal(prompt_load(&r, &app, TENANT, P3, NULL, got_h, &a),
			 0);
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.pcm->n, 400);
	r = mem_deref(r);
	got_reset(&a);
}


/* Evicting (delete, replace) makes the next load read the file again. */
static void test_evict(void **state)
{
	struct prompt_req *r = NULL;
	struct got a = {0};
	struct pcm *old;

	(void)state;
	got_reset(&a);
	tenant_wav(P1, 800, 1000);
	assert_int_equal(prompt_load(&r, &app, TENANT, P1, NULL, got_h, &a),
			 0);
	assert_int_equal(loop_run(2000), 0);
	old = mem_ref(a.pcm);
	r = mem_deref(r);

	tenant_wav(P1, 240, 3);
	prompt_evict(TENANT, P1);
	assert_null(prompt_cached(TENANT, P1, NULL));
	got_reset(&a);
	assert_int_equal(prompt_load(&r, &app, TENANT, P1, NULL, got_h, &a),
			 0);
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.pcm->n, 240);
	assert_int_equal(old->n, 800);      /* a player keeps its copy */

	/* evicted while loading: the waiter still gets it, the cache not */
	r = mem_deref(r);
	prompt_evict(TENANT, P1);
	got_reset(&a);
	assert_int_equal(prompt_load(&r, &app, TENANT, P1, NULL, got_h, &a),
			 0);
	prompt_evict(TENANT, P1);
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.err, 0);
	assert_null(prompt_cached(TENANT, P1, NULL));

	mem_deref(old);
	mem_deref(r);
	got_reset(&a);
}


/* The byte budget keeps the most recently used. */
static void test_lru(void **state)
{
	struct prompt_req *r = NULL;
	struct pcm *p;
	struct got a = {0};
	const char *ids[3] = {P1, P2, P3};

	(void)state;
	prompt_cache_close();
	assert_int_equal(prompt_cache_init(20000), 0);
	for (int i = 0; i < 3; i++) {
		tenant_wav(ids[i], 4000, (int16_t)(i + 1));  /* 8000 bytes */
		got_reset(&a);
		assert_int_equal(prompt_load(&r, &app, TENANT, ids[i], NULL,
					     got_h, &a), 0);
		assert_int_equal(loop_run(2000), 0);
		assert_int_equal(a.err, 0);
		r = mem_deref(r);
		if (i == 1)    /* touch P1: P2 is now the oldest */
			mem_deref(prompt_cached(TENANT, P1, NULL));
	}
	got_reset(&a);

	assert_true(prompt_cache_bytes() <= 20000);
	p = prompt_cached(TENANT, P2, NULL);
	assert_null(p);
	p = prompt_cached(TENANT, P1, NULL);
	assert_non_null(p);
	mem_deref(p);
	p = prompt_cached(TENANT, P3, NULL);
	assert_non_null(p);
	mem_deref(p);

	prompt_cache_close();
	assert_int_equal(prompt_cache_init(PROMPT_CACHE_BYTES), 0);
}


/* Built-ins by language, an unknown language and a missing one fall
 * back to zh-CN. */
static void test_builtin(void **state)
{
	struct prompt_req *r = NULL;
	char path[256];
	struct got a = {0};

	(void)state;
	snprintf(path, sizeof(path), "%s/builtin/zh-CN/hold.wav", tmpdir);
	wav(path, 100, 1);
	snprintf(path, sizeof(path), "%s/builtin/en/hold.wav", tmpdir);
	wav(path, 200, 2);
	snprintf(path, sizeof(path), "%s/builtin/zh-CN/beep.wav", tmpdir);
	wav(path, 300, 3);

	got_reset(&a);
	assert_int_equal(prompt_load(&r, &app, TENANT, "builtin/hold", "en",
				     got_h, &a), 0);
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.pcm->n, 200);
	r = mem_deref(r);

	got_reset(&a);
	assert_int_equal(prompt_load(&r, &app, NULL, "builtin/hold", "fr",
				     got_h, &a), 0);
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.pcm->n, 100);
	r = mem_deref(r);

	got_reset(&a);
	assert_int_equal(prompt_load(&r, &app, NULL, "builtin/beep", "en",
				     got_h, &a), 0);
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.err, 0);
	assert_int_equal(a.pcm->n, 300);
	r = mem_deref(r);
	got_reset(&a);
}


/* Shutting down with a load in flight: the waiter hears ECANCELED. */
static void test_shutdown(void **state)
{
	struct prompt_req *r = NULL;
	struct got a = {0};

	(void)state;
	got_reset(&a);
	prompt_evict(TENANT, P2);
	assert_int_equal(prompt_load(&r, &app, TENANT, P2, NULL, got_h, &a),
			 0);
	app.workers = mem_deref(app.workers);
	assert_true(a.n == 1 && (a.err == ECANCELED || a.err == 0));
	mem_deref(r);
	got_reset(&a);
	assert_int_equal(worker_pool_alloc(&app.workers, 2, 64), 0);
}


static int setup(void **state)
{
	char cmd[512];

	(void)state;
	strcpy(tmpdir, "/tmp/openseat-pcache.XXXXXX");
	if (!mkdtemp(tmpdir) || libre_init())
		return -1;

	snprintf(cmd, sizeof(cmd), "mkdir -p %s/prompts/%s %s/builtin/zh-CN"
		 " %s/builtin/en", tmpdir, TENANT, tmpdir, tmpdir);
	if (system(cmd))
		return -1;

	cfg_defaults(&app.cfg);
	str_ncpy(app.cfg.var_dir, tmpdir, sizeof(app.cfg.var_dir));
	snprintf(app.cfg.prompts_dir, sizeof(app.cfg.prompts_dir),
		 "%s/builtin", tmpdir);

	if (worker_pool_alloc(&app.workers, 2, 64))
		return -1;

	return prompt_cache_init(PROMPT_CACHE_BYTES);
}


static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	prompt_cache_close();
	app.workers = mem_deref(app.workers);
	libre_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);

	return system(cmd) == 0 ? 0 : -1;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_then_hit),
		cmocka_unit_test(test_shared_and_cancel),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_evict),
		cmocka_unit_test(test_lru),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_shutdown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
