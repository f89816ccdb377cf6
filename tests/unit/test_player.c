/* Unit tests for PCM (media/pcm.c) and the player (media/player.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "media/mixer.h"
#include "media/pcm.h"
#include "media/player.h"
#include "loop.h"

struct sink {
	struct mport *mp;
	int16_t heard[MEDIA_FRAME];
	bool silent;
};

struct done {
	unsigned n;
	int err;
	struct player **free_me;
};

static char tmpdir[64];


static void sink_write(const int16_t *frame, bool silent, void *arg)
{
	struct sink *sk = arg;

	memcpy(sk->heard, frame, sizeof(sk->heard));
	sk->silent = silent;
}


static void done_h(int err, void *arg)
{
	struct done *d = arg;

	++d->n;
	d->err = err;
	if (d->free_me)
		*d->free_me = mem_deref(*d->free_me);
	re_cancel();
}


static struct pcm *pcm_const(int16_t v, size_t n)
{
	struct pcm *pcm = NULL;
	int16_t *s = mem_zalloc((n ? n : 1) * sizeof(*s), NULL);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		s[i] = v;
	assert_int_equal(pcm_alloc(&pcm, s, n), 0);
	mem_deref(s);

	return pcm;
}


/* Samples [from, to) of the last frame all equal v. */
static void assert_span(const struct sink *sk, size_t from, size_t to,
			int16_t v)
{
	size_t i;

	for (i = from; i < to; i++)
		assert_int_equal(sk->heard[i], v);
}


static void setup_call(struct mixer **mxp, struct player **plp,
		       struct sink *sk)
{
	memset(sk, 0, sizeof(*sk));
	assert_int_equal(mixer_alloc(mxp), 0);
	assert_int_equal(player_alloc(plp, *mxp, "prompt"), 0);
	assert_int_equal(mport_alloc(&sk->mp, *mxp, "sink", NULL,
				     sink_write, sk), 0);
	mport_hear(sk->mp, player_port(*plp), true);
}


static void test_sequence(void **state)
{
	struct mixer *mx = NULL;
	struct player *pl = NULL;
	struct sink sk;
	struct done d = {0};
	struct pcm *list[2];
	(void)state;

	setup_call(&mx, &pl, &sk);
	list[0] = pcm_const(1, 240);
	list[1] = pcm_const(2, 100);

	assert_int_equal(player_play(pl, list, 2, false, done_h, &d), 0);
	assert_true(player_busy(pl));

	mtick_run(0);
	assert_span(&sk, 0, 160, 1);
	mtick_run(1);
	assert_span(&sk, 0, 80, 1);
	assert_span(&sk, 80, 160, 2);
	mtick_run(2);
	assert_span(&sk, 0, 20, 2);
	assert_span(&sk, 20, 160, 0);
	assert_false(sk.silent);

	/* done is never called from inside the mix */
	assert_false(player_busy(pl));
	assert_int_equal(d.n, 0);
	assert_int_equal(loop_run(1000), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.err, 0);

	mtick_run(3);
	assert_true(sk.silent);

	mem_deref(list[0]);
	mem_deref(list[1]);
	mem_deref(pl);
	mem_deref(sk.mp);
	mem_deref(mx);
}


static void test_loop_and_stop(void **state)
{
	struct mixer *mx = NULL;
	struct player *pl = NULL;
	struct sink sk;
	struct done d = {0}, d2 = {0};
	struct pcm *list[2];
	unsigned i;
	(void)state;

	setup_call(&mx, &pl, &sk);
	list[0] = pcm_const(5, 100);
	list[1] = pcm_const(0, 0);

	assert_int_equal(player_play(pl, list, 2, true, done_h, &d), 0);
	for (i = 0; i < 20; i++) {
		mtick_run(i);
		assert_span(&sk, 0, 160, 5);
	}

	/* the prompts are held by the player, not by us */
	mem_deref(list[0]);
	mem_deref(list[1]);
	mtick_run(20);
	assert_span(&sk, 0, 160, 5);

	/* barge-in */
	player_stop(pl);
	assert_false(player_busy(pl));
	assert_int_equal(d.n, 0);
	assert_int_equal(loop_run(1000), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.err, ECANCELED);
	mtick_run(21);
	assert_true(sk.silent);

	/* a new list replaces one in progress, cancelling it */
	list[0] = pcm_const(7, 1000);
	assert_int_equal(player_play(pl, list, 1, false, done_h, &d), 0);
	assert_int_equal(player_play(pl, list, 1, false, done_h, &d2), 0);
	assert_int_equal(loop_run(1000), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.err, ECANCELED);
	assert_int_equal(d2.n, 0);
	mtick_run(22);
	assert_span(&sk, 0, 160, 7);

	/* freeing a player with a notice pending: the notice is dropped */
	player_stop(pl);
	pl = mem_deref(pl);
	assert_int_equal(loop_run(50), ETIMEDOUT);
	assert_int_equal(d2.n, 0);

	mem_deref(list[0]);
	mem_deref(sk.mp);
	mem_deref(mx);
}


static void test_edge_cases(void **state)
{
	struct mixer *mx = NULL;
	struct player *pl = NULL;
	struct sink sk;
	struct done d = {0};
	struct pcm *empty, *list[2] = {NULL, NULL};
	(void)state;

	setup_call(&mx, &pl, &sk);
	empty = pcm_const(0, 0);

	/* nothing to play, even looping: done at once (later) */
	assert_int_equal(player_play(pl, &empty, 1, true, done_h, &d), 0);
	assert_false(player_busy(pl));
	assert_int_equal(loop_run(1000), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.err, 0);

	assert_int_equal(player_play(pl, list, 2, false, done_h, &d),
			 EINVAL);
	assert_int_equal(player_play(NULL, &empty, 1, false, NULL, NULL),
			 EINVAL);
	assert_int_equal(player_play(pl, NULL, 1, false, NULL, NULL),
			 EINVAL);
	assert_int_equal(player_alloc(NULL, mx, "x"), EINVAL);
	assert_int_equal(player_alloc(&pl, NULL, "x"), EINVAL);
	assert_false(player_busy(NULL));
	player_stop(NULL);

	/* the owner frees the player from its done handler */
	list[0] = pcm_const(3, 10);
	d.free_me = &pl;
	assert_int_equal(player_play(pl, list, 1, false, done_h, &d), 0);
	mtick_run(0);
	assert_int_equal(loop_run(1000), 0);
	assert_null(pl);
	assert_int_equal(d.n, 2);
	mtick_run(1);
	assert_true(sk.silent);

	mem_deref(list[0]);
	mem_deref(empty);
	mem_deref(sk.mp);
	mem_deref(mx);
}


static void put_le(FILE *f, uint32_t v, unsigned bytes)
{
	unsigned i;

	for (i = 0; i < bytes; i++)
		fputc((int)((v >> (8 * i)) & 0xff), f);
}


/* A PCM WAV with the given format and n frames of value 100. */
static void write_wav(const char *path, uint32_t srate, unsigned ch,
		      unsigned bits, unsigned n)
{
	unsigned bytes = n * ch * bits / 8, i;
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fwrite("RIFF", 1, 4, f);
	put_le(f, 36 + bytes, 4);
	fwrite("WAVEfmt ", 1, 8, f);
	put_le(f, 16, 4);
	put_le(f, 1, 2);
	put_le(f, ch, 2);
	put_le(f, srate, 4);
	put_le(f, srate * ch * bits / 8, 4);
	put_le(f, ch * bits / 8, 2);
	put_le(f, bits, 2);
	fwrite("data", 1, 4, f);
	put_le(f, bytes, 4);
	for (i = 0; i < n * ch; i++)
		put_le(f, 100, bits / 8);
	fclose(f);
}


static void test_pcm(void **state)
{
	struct pcm *pcm = NULL;
	char path[128];
	FILE *f;
	(void)state;

	assert_int_equal(pcm_silence(&pcm, 1500), 0);
	assert_int_equal(pcm->n, 12000);
	assert_int_equal(pcm_duration_ms(pcm), 1500);
	assert_int_equal(pcm->s[11999], 0);
	pcm = mem_deref(pcm);
	assert_int_equal(pcm_duration_ms(NULL), 0);
	assert_int_equal(pcm_alloc(&pcm, NULL, 5), EINVAL);
	assert_int_equal(pcm_silence(NULL, 5), EINVAL);
	assert_int_equal(pcm_silence(&pcm, 0xffffffffu), EINVAL);

	re_snprintf(path, sizeof(path), "%s/ok.wav", tmpdir);
	write_wav(path, 8000, 1, 16, 4000);
	assert_int_equal(pcm_load_wav(&pcm, path), 0);
	assert_int_equal(pcm->n, 4000);
	assert_int_equal(pcm->s[0], 100);
	assert_int_equal(pcm->s[3999], 100);
	assert_int_equal(pcm_duration_ms(pcm), 500);
	pcm = mem_deref(pcm);

	/* other formats, garbage, truncated, missing: clear errors */
	re_snprintf(path, sizeof(path), "%s/16k.wav", tmpdir);
	write_wav(path, 16000, 1, 16, 100);
	assert_int_equal(pcm_load_wav(&pcm, path), EINVAL);

	re_snprintf(path, sizeof(path), "%s/stereo.wav", tmpdir);
	write_wav(path, 8000, 2, 16, 100);
	assert_int_equal(pcm_load_wav(&pcm, path), EINVAL);

	re_snprintf(path, sizeof(path), "%s/8bit.wav", tmpdir);
	write_wav(path, 8000, 1, 8, 100);
	assert_int_equal(pcm_load_wav(&pcm, path), EINVAL);

	re_snprintf(path, sizeof(path), "%s/garbage.wav", tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("this is not a wave file at all, just some text......", f);
	fclose(f);
	assert_int_equal(pcm_load_wav(&pcm, path), EINVAL);

	re_snprintf(path, sizeof(path), "%s/short.wav", tmpdir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("RIFF", f);
	fclose(f);
	assert_int_equal(pcm_load_wav(&pcm, path), EINVAL);

	re_snprintf(path, sizeof(path), "%s/missing.wav", tmpdir);
	assert_int_equal(pcm_load_wav(&pcm, path), ENOENT);
	assert_null(pcm);
	assert_int_equal(pcm_load_wav(&pcm, NULL), EINVAL);
}


static int setup(void **state)
{
	(void)state;

	re_snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_player.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;

	return libre_init();
}


static int teardown(void **state)
{
	char cmd[128];
	(void)state;

	libre_close();
	re_snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);

	return system(cmd) ? -1 : 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_loop_and_stop),
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_pcm),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
