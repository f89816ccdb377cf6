/* Unit tests for the recorder (media/recorder.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "media/mixer.h"
#include "media/offload.h"
#include "media/pcm.h"
#include "media/recorder.h"

/* What the recorder hears: a constant, or nothing. */
struct src {
	struct mport *mp;
	int16_t value;
	bool speaks;
};

struct done {
	unsigned n;
	int err;
	uint32_t dur;
};

/* A fake worker pool: remembers one job until the test runs it. */
struct fake_pool {
	offload_work_h *work;
	offload_done_h *done;
	void *arg;
	unsigned submitted;
};

static char tmpdir[64];


static bool src_read(int16_t *frame, void *arg)
{
	struct src *s = arg;
	size_t i;

	if (!s->speaks)
		return false;

	for (i = 0; i < MEDIA_FRAME; i++)
		frame[i] = (int16_t)(i % 2 ? s->value : -s->value);

	return true;
}


static void done_h(int err, uint32_t dur, void *arg)
{
	struct done *d = arg;

	++d->n;
	d->err = err;
	d->dur = dur;
}


static int fake_submit(offload_work_h *work, offload_done_h *done,
		       void *arg, void *hook_arg)
{
	struct fake_pool *fp = hook_arg;

	fp->work = work;
	fp->done = done;
	fp->arg  = arg;
	++fp->submitted;

	return 0;
}


static void make_path(char *buf, size_t sz, const char *name)
{
	re_snprintf(buf, sz, "%s/%s", tmpdir, name);
}


static void setup_rec(struct mixer **mxp, struct src *s,
		      struct recorder **recp, const char *path,
		      uint32_t max_ms)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(mixer_alloc(mxp), 0);
	assert_int_equal(mport_alloc(&s->mp, *mxp, "src", src_read, NULL, s),
			 0);
	assert_int_equal(recorder_alloc(recp, *mxp, path, max_ms), 0);
	mport_hear(recorder_port(*recp), s->mp, true);
}


static void run_frames(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		mtick_run(i);
}


static void test_content_and_duration(void **state)
{
	struct mixer *mx = NULL;
	struct recorder *rec = NULL;
	struct pcm *pcm = NULL;
	struct src s;
	struct done d = {0};
	char path[128];
	struct stat st;
	(void)state;

	make_path(path, sizeof(path), "five.wav");
	setup_rec(&mx, &s, &rec, path, 0);

	/* 5 s: more than one 64 KB block */
	s.speaks = true;
	s.value = 1234;
	run_frames(250);
	assert_int_equal(recorder_duration_ms(rec), 5000);
	assert_int_equal(recorder_silence_ms(rec), 0);
	assert_false(recorder_full(rec));

	assert_int_equal(recorder_close(rec, done_h, &d), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.err, 0);
	assert_int_equal(d.dur, 5000);
	assert_null(recorder_port(rec));
	assert_int_equal(recorder_close(rec, done_h, &d), EALREADY);

	/* frames after close go nowhere */
	run_frames(10);

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 44 + 5 * 16000);

	assert_int_equal(pcm_load_wav(&pcm, path), 0);
	assert_int_equal(pcm->n, 40000);
	assert_int_equal(pcm->s[0], -1234);
	assert_int_equal(pcm->s[1], 1234);
	assert_int_equal(pcm->s[39999], 1234);

	mem_deref(pcm);
	mem_deref(rec);
	mem_deref(s.mp);
	mem_deref(mx);
}


static void test_silence_tracking(void **state)
{
	struct mixer *mx = NULL;
	struct recorder *rec = NULL;
	struct src s;
	char path[128];
	(void)state;

	make_path(path, sizeof(path), "silence.wav");
	setup_rec(&mx, &s, &rec, path, 0);

	s.speaks = true;
	s.value = 5000;
	run_frames(10);
	assert_int_equal(recorder_silence_ms(rec), 0);

	/* quiet audio counts as silence, so does no talker at all */
	s.value = 50;
	run_frames(10);
	assert_int_equal(recorder_silence_ms(rec), 200);
	s.speaks = false;
	run_frames(15);
	assert_int_equal(recorder_silence_ms(rec), 500);
	assert_int_equal(recorder_duration_ms(rec), 700);

	s.speaks = true;
	s.value = 5000;
	run_frames(1);
	assert_int_equal(recorder_silence_ms(rec), 0);

	/* freed without close: the file is still finished */
	rec = mem_deref(rec);
	{
		struct pcm *pcm = NULL;

		assert_int_equal(pcm_load_wav(&pcm, path), 0);
		assert_int_equal(pcm->n, 36 * MEDIA_FRAME);
		assert_int_equal(pcm->s[20 * MEDIA_FRAME], 0);
		mem_deref(pcm);
	}

	mem_deref(s.mp);
	mem_deref(mx);
}


static void test_max_length(void **state)
{
	struct mixer *mx = NULL;
	struct recorder *rec = NULL;
	struct src s;
	struct done d = {0};
	char path[128];
	struct stat st;
	(void)state;

	make_path(path, sizeof(path), "max.wav");
	setup_rec(&mx, &s, &rec, path, 100);

	s.speaks = true;
	s.value = 1000;
	run_frames(4);
	assert_false(recorder_full(rec));
	run_frames(1);
	assert_true(recorder_full(rec));
	run_frames(20);
	assert_int_equal(recorder_duration_ms(rec), 100);

	assert_int_equal(recorder_close(rec, done_h, &d), 0);
	assert_int_equal(d.dur, 100);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 44 + 1600);

	mem_deref(rec);
	mem_deref(s.mp);
	mem_deref(mx);
}


static void test_close_offloaded(void **state)
{
	struct fake_pool fp;
	struct mixer *mx = NULL;
	struct recorder *rec = NULL;
	struct src s;
	struct done d = {0};
	char path[128];
	struct stat st;
	int err;
	(void)state;

	memset(&fp, 0, sizeof(fp));
	make_path(path, sizeof(path), "offload.wav");
	setup_rec(&mx, &s, &rec, path, 0);
	s.speaks = true;
	s.value = 1000;
	run_frames(50);

	offload_set(fake_submit, &fp);
	assert_int_equal(recorder_close(rec, done_h, &d), 0);
	offload_set(NULL, NULL);

	/* nothing happened on the loop: the job waits for a worker */
	assert_int_equal(fp.submitted, 1);
	assert_int_equal(d.n, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);

	/* the recorder may go before its file is finished */
	rec = mem_deref(rec);

	err = fp.work(fp.arg);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 44 + 16000);
	fp.done(err, fp.arg);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.err, 0);
	assert_int_equal(d.dur, 1000);

	mem_deref(s.mp);
	mem_deref(mx);
}


static void test_bad_input(void **state)
{
	struct mixer *mx = NULL;
	struct recorder *rec = NULL;
	char path[128];
	(void)state;

	assert_int_equal(mixer_alloc(&mx), 0);
	make_path(path, sizeof(path), "no/such/dir.wav");
	assert_int_equal(recorder_alloc(&rec, mx, path, 0), ENOENT);
	assert_int_equal(recorder_alloc(&rec, mx, "", 0), EINVAL);
	assert_int_equal(recorder_alloc(&rec, NULL, path, 0), EINVAL);
	assert_int_equal(recorder_alloc(NULL, mx, path, 0), EINVAL);
	assert_null(rec);
	assert_int_equal(mixer_ports(mx), 0);
	assert_int_equal(recorder_close(NULL, NULL, NULL), EINVAL);
	assert_int_equal(recorder_duration_ms(NULL), 0);
	assert_false(recorder_full(NULL));

	mem_deref(mx);
}


static int setup(void **state)
{
	(void)state;

	re_snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_recorder.XXXXXX");
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
		cmocka_unit_test(test_content_and_duration),
		cmocka_unit_test(test_silence_tracking),
		cmocka_unit_test(test_max_length),
		cmocka_unit_test(test_close_offloaded),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
