/*
 * Concurrent recorded calls, in process: N calls, each a mixer where a
 * customer and an agent talk (speech-like tones, both directions), with
 * a stereo recording tap on the customer's port, on the real 20 ms media
 * tick of a libre loop; recording_encoders threads (1 by default) encode
 * MP3 and write encrypted files while the calls go on.
 *
 * Per N it reports: the encoder's CPU per call (process CPU minus the
 * loop thread's), whether it kept up (no frame lost to a full ring),
 * the media tick's lateness, the bytes written per second, and the time
 * from a tap's stop (the hang-up) to the encoder's done handler (where
 * recording.ready is published), with calls hanging up spread over one
 * second.
 *
 * usage: recording [N ...]   (default 100 250 500 750 1000)
 * env:   BENCH_SECONDS (20), BENCH_ENCODERS (1), BENCH_DIR (/tmp)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <re.h>
#include "app.h"
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mixer.h"
#include "media/rectap.h"
#include "recording/rec_crypt.h"
#include "recording/rec_enc.h"
#include "recording/rec_store.h"

struct bcall {
	struct mixer *mx;
	struct mport *customer, *agent;
	struct rectap *tap;
	uint64_t stopped_us;
	double done_ms;
	unsigned phase;
	bool done;
};

static struct {
	struct bcall *calls;
	unsigned n, stopped, done;
	uint64_t bytes;
	uint32_t dropped_ms;
	struct tmr tmr;
	const uint8_t *key;
} b;

static int16_t voice[2][MEDIA_FRAME * 50];   /* 1 s of each side */


static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}


static double cpu_s(int who)
{
	struct timespec ts;
	struct rusage ru;

	if (who == 0) {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		return (double)ts.tv_sec + ts.tv_nsec / 1e9;
	}

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}


/* Speech-like: a tone whose loudness comes and goes (syllables). */
static void make_voice(void)
{
	for (int s = 0; s < 2; s++) {
		double f = s ? 220 : 330;

		for (size_t i = 0; i < ARRAY_SIZE(voice[s]); i++) {
			double env = 0.5 + 0.5 * sin(2 * M_PI * (s ? 3 : 4) *
						     i / MEDIA_SRATE);

			double v = sin(2 * M_PI * f * i / MEDIA_SRATE);

			voice[s][i] = (int16_t)(6000 * env * v);
		}
	}
}


static bool speak(struct bcall *c, int side, int16_t *frame)
{
	size_t off = (c->phase++ % 50) * MEDIA_FRAME;

	memcpy(frame, voice[side] + off, MEDIA_FRAME * sizeof(*frame));
	return true;
}


static bool customer_h(int16_t *frame, void *arg)
{
	return speak(arg, 0, frame);
}


static bool agent_h(int16_t *frame, void *arg)
{
	return speak(arg, 1, frame);
}


static void hear_h(const int16_t *frame, bool silent, void *arg)
{
	(void)frame;
	(void)silent;
	(void)arg;
}


static void on_done(const struct rec_result *res, void *arg)
{
	struct bcall *c = arg;

	c->done_ms = (now_us() - c->stopped_us) / 1000.0;
	c->done = true;
	b.bytes += res->size_bytes;
	b.dropped_ms += res->dropped_ms;
	if (res->err)
		fprintf(stderr, "recording failed: %s\n", res->error);
	if (++b.done == b.n)
		re_cancel();
}


static int call_start(struct bcall *c, unsigned i, const char *run)
{
	char rel[128], path[512];
	struct rec_stream *st;
	struct rec_job job = {path, rel, b.key, 1, 32};
	int err;

	re_snprintf(rel, sizeof(rel), "%s/2026/12/06/%u.osrec", run, i);
	err = rec_store_abs(path, sizeof(path), rel);
	err = err ? err : mixer_alloc(&c->mx);
	err = err ? err : mport_alloc(&c->customer, c->mx, "c", customer_h,
				      hear_h, c);
	err = err ? err : mport_alloc(&c->agent, c->mx, "a", agent_h,
				      hear_h, c);
	if (err)
		return err;

	mport_hear(c->customer, c->agent, true);
	mport_hear(c->agent, c->customer, true);
	err = rectap_alloc(&c->tap, c->customer, 2, 4000);
	err = err ? err : rec_enc_start(&st, c->tap, &job, NULL, on_done, c);

	return err;
}


static void end_window(void *arg)
{
	(void)arg;
	re_cancel();
}


/* Hang up n/50 calls per tick: every call within one second. */
static void hang_up(void *arg)
{
	unsigned per = b.n / 50 ? b.n / 50 : 1, k;
	(void)arg;

	for (k = 0; k < per && b.stopped < b.n; k++) {
		struct bcall *c = &b.calls[b.stopped++];

		c->stopped_us = now_us();
		rectap_stop(c->tap);
	}

	if (b.stopped < b.n)
		tmr_start(&b.tmr, MEDIA_PTIME, hang_up, NULL);
}


static int cmp_double(const void *a, const void *c)
{
	double x = *(const double *)a, y = *(const double *)c;

	return (x > y) - (x < y);
}


static void report(unsigned n, unsigned secs, double enc_cpu,
		   double loop_cpu, const struct mtick_stats *s0,
		   const struct mtick_stats *st)
{
	double *lat = calloc(n, sizeof(*lat));
	uint64_t over5 = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		lat[i] = b.calls[i].done_ms;
	qsort(lat, n, sizeof(*lat), cmp_double);
	for (i = 4; i < 8; i++)
		over5 += st->late_bucket[i] - s0->late_bucket[i];

	printf("%5u calls  encoder %5.1f%% of a core (%.3f%% per call)  "
	       "loop %5.1f%%  lost %u ms  ticks late >5 ms: %llu of %llu "
	       "(max %.1f ms)  write %.0f kB/s  stop->done p50 %.0f ms "
	       "p99 %.0f ms\n", n, 100 * enc_cpu / secs,
	       100 * enc_cpu / secs / n, 100 * loop_cpu / secs,
	       b.dropped_ms, (unsigned long long)over5,
	       (unsigned long long)(st->ticks - s0->ticks), st->late_max_ms,
	       b.bytes / 1000.0 / secs, lat[n / 2], lat[(n * 99) / 100]);
	fflush(stdout);
	free(lat);
}


static int run(unsigned n, unsigned secs)
{
	struct mtick_stats s0, st;
	double c0, l0, c1, l1;
	char name[32];
	unsigned i;
	int err = 0;

	memset(&b.calls, 0, sizeof(b.calls));
	b.calls = calloc(n, sizeof(*b.calls));
	b.n = n;
	b.stopped = b.done = 0;
	b.bytes = 0;
	b.dropped_ms = 0;
	re_snprintf(name, sizeof(name), "run%u", n);
	for (i = 0; i < n && !err; i++)
		err = call_start(&b.calls[i], i, name);
	if (err)
		return err;

	/* a second to settle, then the measured window */
	tmr_start(&b.tmr, 1000, end_window, NULL);
	re_main(NULL);
	mtick_stats_get(&s0, 1);
	c0 = cpu_s(1);
	l0 = cpu_s(0);
	tmr_start(&b.tmr, secs * 1000, end_window, NULL);
	re_main(NULL);
	c1 = cpu_s(1);
	l1 = cpu_s(0);
	mtick_stats_get(&st, 1);

	hang_up(NULL);
	re_main(NULL);
	report(n, secs, (c1 - c0) - (l1 - l0), l1 - l0, &s0, &st);

	for (i = 0; i < n; i++) {
		mem_deref(b.calls[i].tap);
		mem_deref(b.calls[i].customer);
		mem_deref(b.calls[i].agent);
		mem_deref(b.calls[i].mx);
	}
	free(b.calls);
	b.calls = NULL;

	return 0;
}


int main(int argc, char **argv)
{
	static const unsigned def[] = {100, 250, 500, 750, 1000};
	static const uint8_t key[REC_KEY_BYTES] = {7};
	const char *secs_env = getenv("BENCH_SECONDS");
	const char *enc_env = getenv("BENCH_ENCODERS");
	const char *dir_env = getenv("BENCH_DIR");
	unsigned secs = secs_env ? (unsigned)atoi(secs_env) : 20;
	unsigned encs = enc_env ? (unsigned)atoi(enc_env) : 1;
	char dir[256], errbuf[256], cmd[300];
	static struct app app;
	int i, err;

	re_snprintf(dir, sizeof(dir), "%s/openseat-bench-rec-XXXXXX",
		    dir_env ? dir_env : "/tmp");
	if (!mkdtemp(dir) || libre_init() || mtick_init())
		return 1;

	make_voice();
	b.key = key;
	cfg_defaults(&app.cfg);
	str_ncpy(app.cfg.recording_dir, dir, sizeof(app.cfg.recording_dir));
	err = rec_store_init(&app, errbuf, sizeof(errbuf));
	err = err ? err : rec_enc_init(encs);
	if (err) {
		fprintf(stderr, "set-up failed: %s (%d)\n", errbuf, err);
		return 1;
	}

	printf("# %u s per run, %u encoder thread(s), stereo MP3 32 kbit/s, "
	       "files in %s\n", secs, encs, dir);
	for (i = 1; i < argc || (argc == 1 && i <= (int)ARRAY_SIZE(def));
	     i++) {
		unsigned n = argc > 1 ? (unsigned)atoi(argv[i]) : def[i - 1];

		if (run(n, secs))
			return 1;
	}

	rec_enc_close();
	mtick_close();
	libre_close();
	re_snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);

	return system(cmd) ? 1 : 0;
}
