/*
 * CPU per caller on hold on the media tick, in process: N waiting
 * callers, each a call's mixer with the customer's RTP leg (PCMA) and
 * the call's player, sending to one sink socket on loopback. Two ways
 * to hear the music:
 *   player  every call's player loops the music itself; the mixer gives
 *           the leg the player's frame and the leg encodes and sends it
 *   stream  one shared stream (media/mstream.c) is every leg's bed: read
 *           and encoded once per tick, each leg stamps its own header
 *           on the shared payload and sends it
 *   sender  the shared stream, with the tick's sends made by the RTP
 *           sender thread (media/rtpsend.c) instead of the loop
 * Reported, per caller per tick (median of runs): the tick's wall time,
 * the loop thread's CPU time (what delays everything else on the loop)
 * and the process's (the loop and the sender thread together). Build
 * with -DHOLD_NO_STREAM for a tree without shared streams (player only).
 *
 * usage: hold_media [callers] [ticks] [runs] [player|stream|sender]
 *        (default 1000, 250, 5, all)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "media/mixer.h"
#include "media/pcm.h"
#include "media/player.h"
#include "media/leg.h"
#include "media/rtpsend.h"
#ifndef HOLD_NO_STREAM
#include "media/mstream.h"
#endif

/* One waiting caller's call. */
struct hcall {
	struct leg *leg;
	struct mixer *mx;
	struct player *pl;
};

static struct sa lo;
static struct udp_sock *sink;
static uint64_t tickn;


static void sink_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	(void)src;
	(void)mb;
	(void)arg;
}


/* Ten seconds of a 440 Hz tone with a 3 Hz tremolo: music enough. */
static struct pcm *music(void)
{
	enum { N = MEDIA_SRATE * 10 };
	static int16_t s[N];
	struct pcm *pcm = NULL;
	size_t i;

	for (i = 0; i < N; i++) {
		double t = (double)i / MEDIA_SRATE;

		s[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * t) *
				 (0.6 + 0.4 * sin(2 * M_PI * 3 * t)));
	}
	if (pcm_alloc(&pcm, s, N))
		exit(1);

	return pcm;
}


static int call_open(struct hcall *c, uint16_t port)
{
	struct leg_cfg cfg;
	struct mbuf *offer = mbuf_alloc(512), *answer = NULL;
	int err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr    = &lo;
	cfg.port_min = 20000;
	cfg.port_max = 60000;
	cfg.codecs   = "PCMA";

	err = leg_alloc(&c->leg, &cfg, NULL, NULL, NULL);
	err = err ? err : mbuf_printf(offer,
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %u RTP/AVP 8\r\n",
		port);
	offer->pos = 0;
	err = err ? err : leg_answer(c->leg, offer, &answer);
	err = err ? err : leg_start(c->leg);
	err = err ? err : mixer_alloc(&c->mx);
	err = err ? err : leg_attach(c->leg, c->mx);
	err = err ? err : player_alloc(&c->pl, c->mx, "ivr");
	if (!err)
		mport_hear(leg_port(c->leg), player_port(c->pl), true);

	mem_deref(offer);
	mem_deref(answer);

	return err;
}


static void call_close(struct hcall *c)
{
	mem_deref(c->pl);
	mem_deref(c->leg);
	mem_deref(c->mx);
}


static double clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);

	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}


/* Per caller per tick, µs: wall, the loop thread's CPU, the process's. */
struct cost {
	double wall, loop, proc;
};


static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}


static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_d);

	return v[n / 2];
}


/* Medians over runs of the mean tick cost per caller. */
static struct cost measure(unsigned n, unsigned ticks, unsigned runs)
{
	static const clockid_t ids[3] = {CLOCK_MONOTONIC,
		CLOCK_THREAD_CPUTIME_ID, CLOCK_PROCESS_CPUTIME_ID};
	double per[3][16];
	unsigned r, k, c;

	for (r = 0; r < runs && r < 16; r++) {
		double t0[3];

		for (c = 0; c < 3; c++)
			t0[c] = clock_us(ids[c]);
		for (k = 0; k < ticks; k++)
			mtick_run(tickn++);
		for (c = 0; c < 3; c++)
			per[c][r] = (clock_us(ids[c]) - t0[c]) / ticks / n;
	}

	return (struct cost){median(per[0], r), median(per[1], r),
			     median(per[2], r)};
}


static int run(const char *mode, unsigned n, unsigned ticks,
	       unsigned runs, uint16_t port)
{
	struct hcall *cv = mem_zalloc(n * sizeof(*cv), NULL);
	struct pcm *pcm = music();
#ifndef HOLD_NO_STREAM
	struct mstream *ms = NULL;
#endif
	unsigned i;
	int err = 0;

	if (!cv)
		return ENOMEM;

	if (!strcmp(mode, "sender"))
		err = rtpsend_init();
#ifndef HOLD_NO_STREAM
	if (strcmp(mode, "player")) {
		err = mstream_alloc(&ms, "music");
		err = err ? err : mstream_play(ms, &pcm, 1);
	}
#endif
	for (i = 0; i < n && !err; i++) {
		err = call_open(&cv[i], port);
		if (err)
			break;
#ifndef HOLD_NO_STREAM
		if (ms) {
			mport_bed(leg_port(cv[i].leg), ms);
			continue;
		}
#endif
		err = player_play(cv[i].pl, &pcm, 1, true, NULL, NULL);
	}

	if (!err) {
		struct cost c;

		(void)measure(n, 25, 1);   /* warm up */
		c = measure(n, ticks, runs);
		printf("| %s | %u | %.2f | %.2f | %.2f |\n", mode, n, c.wall,
		       c.loop, c.proc);
	}
	else {
		fprintf(stderr, "%s: %s\n", mode, strerror(err));
	}

	for (i = 0; i < n; i++)
		call_close(&cv[i]);
	mem_deref(cv);
#ifndef HOLD_NO_STREAM
	mem_deref(ms);
#endif
	mem_deref(pcm);
	rtpsend_close();

	return err;
}


int main(int argc, char *argv[])
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
	unsigned ticks = argc > 2 ? (unsigned)atoi(argv[2]) : 250;
	unsigned runs = argc > 3 ? (unsigned)atoi(argv[3]) : 5;
	const char *only = argc > 4 ? argv[4] : "";
	struct sa sa;
	uint16_t port;
	int err;

	err = libre_init();
	err = err ? err : fd_setsize(4 * (int)n + 64);
	if (err)
		return 1;

	sa_set_str(&lo, "127.0.0.1", 0);
	sa = lo;
	sa_set_port(&sa, 61000);
	err = udp_listen(&sink, &sa, sink_recv, NULL);
	if (err)
		return 1;
	port = sa_port(&sa);

	printf("| music | callers | µs per caller per tick: wall |"
	       " loop thread CPU | process CPU |\n"
	       "| --- | --- | --- | --- | --- |\n");
	if (!*only || !strcmp(only, "player"))
		err = run("player", n, ticks, runs, port);
#ifndef HOLD_NO_STREAM
	if (!*only || !strcmp(only, "stream"))
		err |= run("stream", n, ticks, runs, port);
	if (!*only || !strcmp(only, "sender"))
		err |= run("sender", n, ticks, runs, port);
#endif

	mem_deref(sink);
	libre_close();

	return err ? 1 : 0;
}
