/* Unit tests for the MP3 encoder threads (server/recording/rec_enc.c):
 * a tap's audio comes back out of the encrypted file as MP3, what the
 * audio holds is measured, and a file that cannot be created fails the
 * stream (the loop hears it) without stopping the tap's owner. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <re.h>
#include "app.h"
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "media/mixer.h"
#include "media/rectap.h"
#include "recording/rec_crypt.h"
#include "recording/rec_enc.h"
#include "recording/rec_store.h"
#include "loop.h"

static char dir[] = "/tmp/openseat-recenc-XXXXXX";
static struct app app;
static const uint8_t key[REC_KEY_BYTES] = {1, 2, 3};

struct outcome {
	bool done;
	bool failed;
	char error[160];
	struct rec_result res;
};

/* The customer talks for the first `talk` ticks, then is quiet. */
struct src {
	struct mixer *mx;
	struct mport *customer;
	unsigned n, talk;
};


static bool speak(int16_t *frame, void *arg)
{
	struct src *s = arg;

	if (s->n >= s->talk)
		return false;

	for (size_t i = 0; i < MEDIA_FRAME; i++)
		frame[i] = (int16_t)((i % 20) < 10 ? 8000 : -8000);

	return true;
}


static void hear(const int16_t *frame, bool silent, void *arg)
{
	(void)frame;
	(void)silent;
	(void)arg;
}


static void on_fail(int err, const char *error, void *arg)
{
	struct outcome *o = arg;

	(void)err;
	o->failed = true;
	str_ncpy(o->error, error, sizeof(o->error));
}


static void on_done(const struct rec_result *res, void *arg)
{
	struct outcome *o = arg;

	o->done = true;
	o->res  = *res;
}


static bool is_done(void *arg)
{
	return ((struct outcome *)arg)->done;
}


/* Run ticks at once (faster than real time): the ring holds buf_ms. */
static void record(const char *rel, unsigned talk, unsigned ticks,
		   uint32_t buf_ms, struct outcome *o)
{
	struct rectap *tap = NULL;
	struct rec_stream *st = NULL;
	struct src s = {.talk = talk};
	char path[512];
	struct rec_job job = {path, rel, key, 1, 32};

	memset(o, 0, sizeof(*o));
	assert_int_equal(rec_store_abs(path, sizeof(path), rel), 0);
	assert_int_equal(mixer_alloc(&s.mx), 0);
	assert_int_equal(mport_alloc(&s.customer, s.mx, "c", speak, hear,
				     &s), 0);
	assert_int_equal(rectap_alloc(&tap, s.customer, 2, buf_ms), 0);
	assert_int_equal(rec_enc_start(&st, tap, &job, on_fail, on_done, o),
			 0);
	for (s.n = 0; s.n < ticks; s.n++)
		mtick_run(s.n);

	rectap_stop(tap);
	mem_deref(tap);                   /* the stream holds its own */
	assert_true(loop_until(is_done, o, 5000));
	mem_deref(s.customer);
	mem_deref(s.mx);
}


static void test_audio_comes_back_as_mp3(void **state)
{
	const char *rel = "t1/2026/12/06/a.osrec";
	struct outcome o;
	char path[512];
	uint8_t *mp3 = NULL;
	size_t n = 0;
	bool complete = false;
	(void)state;

	assert_int_equal(rec_enc_active(), 0);
	record(rel, 100, 250, 6000, &o);
	assert_false(o.failed);
	assert_int_equal(o.res.err, 0);
	assert_int_equal(o.res.duration_ms, 250 * MEDIA_PTIME);
	assert_int_equal(o.res.dropped_ms, 0);
	assert_int_equal(o.res.longest_silence_ms, 150 * MEDIA_PTIME);
	assert_int_equal(o.res.talkover_ms, 0);   /* nobody answered */
	assert_int_equal(rec_enc_active(), 0);

	assert_int_equal(rec_store_abs(path, sizeof(path), rel), 0);
	assert_int_equal(rec_file_read(path, key, &mp3, &n, &complete), 0);
	assert_true(complete);
	/* 5 s at 32 kbit/s, give or take the encoder's frames */
	assert_in_range(n, 16000, 24000);
	assert_true(mp3[0] == 0xff && (mp3[1] & 0xe0) == 0xe0);
	free(mp3);  /* ccheck: foreign */
}


/* The encoder fell behind (here: a second of audio at once into half a
 * second of ring): what was lost is reported, never hidden. */
static void test_overflow_is_reported(void **state)
{
	struct outcome o;
	(void)state;

	record("t3/2026/12/06/c.osrec", 50, 50, 500, &o);
	assert_int_equal(o.res.err, 0);
	assert_int_equal(o.res.dropped_ms, 500);
	assert_int_equal(o.res.duration_ms, 500);
}


static void test_unwritable_file_fails_the_stream(void **state)
{
	const char *rel = "t2/2026/12/06/b.osrec";
	char path[600];
	struct outcome o;
	(void)state;

	/* a directory where the file should go: it cannot be created */
	assert_int_equal(rec_store_mkdirs(rel), 0);
	assert_int_equal(rec_store_abs(path, sizeof(path), rel), 0);
	assert_int_equal(mkdir(path, 0700), 0);

	record(rel, 10, 20, 1000, &o);
	assert_true(o.failed);
	assert_non_null(strstr(o.error, "creating the recording file"));
	assert_int_not_equal(o.res.err, 0);
	assert_int_equal(o.res.duration_ms, 20 * MEDIA_PTIME);
	assert_int_equal(rmdir(path), 0);
}


static int setup(void **state)
{
	char err[256];
	(void)state;

	if (libre_init() || !mkdtemp(dir))
		return -1;

	cfg_defaults(&app.cfg);
	str_ncpy(app.cfg.recording_dir, dir, sizeof(app.cfg.recording_dir));
	if (rec_store_init(&app, err, sizeof(err)))
		return -1;

	return rec_enc_init(1);
}


static int teardown(void **state)
{
	char cmd[128];
	(void)state;

	rec_enc_close();
	libre_close();
	re_snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);

	return system(cmd) == 0 ? 0 : -1;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audio_comes_back_as_mp3),
		cmocka_unit_test(test_overflow_is_reported),
		cmocka_unit_test(test_unwritable_file_fails_the_stream),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
