/*
 * Unit tests for shared streams (media/mstream.c) heard as a port's bed
 * (media/mixer.c) and sent by legs (media/leg.c) over loopback. Ticks
 * are run by hand (mtick_run), so every frame is known.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <re.h>
#include <rem.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "media/mixer.h"
#include "media/mstream.h"
#include "media/pcm.h"
#include "media/player.h"
#include "media/leg.h"
#include "media/codec_int.h"
#include "media/mstream_int.h"
#include "loop.h"

enum { SONG = MEDIA_FRAME * 10, PKTS = 64 };

static struct sa lo;
static uint64_t tickn;

/* A port that remembers what it heard last, and what its tap saw. */
struct tport {
	struct mport *mp;
	int16_t heard[MEDIA_FRAME];
	int16_t tapped[MEDIA_FRAME];
	bool silent;
	unsigned writes;
	unsigned taps;
};

/* A far end: what arrived, packet by packet. */
struct rx {
	struct rtp_sock *rtp;
	unsigned n;
	uint16_t seq[PKTS];
	uint32_t ts[PKTS];
	uint32_t ssrc[PKTS];
	uint8_t pt[PKTS];
	uint8_t first[PKTS];       /**< the payload's first byte */
	size_t len[PKTS];
};


/* The song: sample i of the loop is i (mod SONG), so a frame tells
 * where in the song it is. */
static struct pcm *song(void)
{
	int16_t s[SONG];
	struct pcm *pcm = NULL;
	size_t i;

	for (i = 0; i < SONG; i++)
		s[i] = (int16_t)(i + 1);
	assert_int_equal(pcm_alloc(&pcm, s, SONG), 0);

	return pcm;
}


static void run_ticks(unsigned n)
{
	while (n--)
		mtick_run(tickn++);
}


static void tport_write(const int16_t *frame, bool silent, void *arg)
{
	struct tport *tp = arg;

	memcpy(tp->heard, frame, sizeof(tp->heard));
	tp->silent = silent;
	++tp->writes;
}


static void tport_tap(const int16_t *said, const int16_t *heard,
		      void *arg)
{
	struct tport *tp = arg;
	(void)said;

	if (heard)
		memcpy(tp->tapped, heard, sizeof(tp->tapped));
	++tp->taps;
}


static struct mstream *stream_playing(void)
{
	struct mstream *ms = NULL;
	struct pcm *pcm = song();

	assert_int_equal(mstream_alloc(&ms, "song"), 0);
	assert_int_equal(mstream_play(ms, &pcm, 1), 0);
	mem_deref(pcm);

	return ms;
}


static void test_join_mid_stream(void **state)
{
	struct mstream *ms = stream_playing();
	struct mixer *mx = NULL;
	struct tport a, b;
	(void)state;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(mixer_alloc(&mx), 0);
	assert_int_equal(mport_alloc(&a.mp, mx, "a", NULL, tport_write, &a),
			 0);
	assert_int_equal(mport_alloc(&b.mp, mx, "b", NULL, tport_write, &b),
			 0);

	/* the stream advances with nobody listening */
	run_ticks(3);
	mport_bed(a.mp, ms);
	run_ticks(1);
	assert_int_equal(a.heard[0], 3 * MEDIA_FRAME + 1);
	assert_false(a.silent);
	assert_true(b.silent);

	/* a second listener hears the very same frame */
	mport_bed(b.mp, ms);
	run_ticks(1);
	assert_int_equal(a.heard[0], 4 * MEDIA_FRAME + 1);
	assert_memory_equal(a.heard, b.heard, sizeof(a.heard));

	/* past the end of the song it starts again */
	run_ticks(6);
	assert_int_equal(a.heard[0], 1);
	assert_int_equal(a.heard[MEDIA_FRAME - 1], MEDIA_FRAME);

	mem_deref(a.mp);
	mem_deref(b.mp);
	mem_deref(mx);
	mem_deref(ms);
}


static void test_leave(void **state)
{
	struct mstream *ms = stream_playing();
	struct mixer *mx = NULL;
	struct tport a;
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(mixer_alloc(&mx), 0);
	assert_int_equal(mport_alloc(&a.mp, mx, "a", NULL, tport_write, &a),
			 0);

	mport_bed(a.mp, ms);
	assert_int_equal(mem_nrefs(ms), 2);
	assert_ptr_equal(mport_bed_get(a.mp), ms);
	run_ticks(2);
	assert_false(a.silent);

	mport_bed(a.mp, NULL);
	assert_int_equal(mem_nrefs(ms), 1);
	assert_null(mport_bed_get(a.mp));
	run_ticks(1);
	assert_true(a.silent);
	assert_int_equal(a.heard[0], 0);

	/* a port that goes away lets its bed go */
	mport_bed(a.mp, ms);
	a.mp = mem_deref(a.mp);
	assert_int_equal(mem_nrefs(ms), 1);

	mem_deref(mx);
	mem_deref(ms);
}


/* A prompt of the call speaks over the bed; the tap hears what the
 * port hears either way (recordings keep the music). */
static void test_prompt_interrupts(void **state)
{
	struct mstream *ms = stream_playing();
	struct mixer *mx = NULL;
	struct player *pl = NULL;
	struct pcm *beep = NULL;
	int16_t s[MEDIA_FRAME * 2];
	struct tport a;
	size_t i;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(s); i++)
		s[i] = -7;
	assert_int_equal(pcm_alloc(&beep, s, ARRAY_SIZE(s)), 0);

	memset(&a, 0, sizeof(a));
	assert_int_equal(mixer_alloc(&mx), 0);
	assert_int_equal(mport_alloc(&a.mp, mx, "a", NULL, tport_write, &a),
			 0);
	assert_int_equal(player_alloc(&pl, mx, "prompt"), 0);
	mport_hear(a.mp, player_port(pl), true);
	mport_tap(a.mp, tport_tap, &a);
	mport_bed(a.mp, ms);

	run_ticks(1);
	assert_int_equal(a.heard[0], 1);
	assert_int_equal(a.tapped[0], 1);

	assert_int_equal(player_play(pl, &beep, 1, false, NULL, NULL), 0);
	run_ticks(2);
	assert_int_equal(a.heard[0], -7);
	assert_int_equal(a.tapped[0], -7);
	assert_false(a.silent);

	/* the music went on meanwhile: back mid-song */
	run_ticks(1);
	assert_int_equal(a.heard[0], 3 * MEDIA_FRAME + 1);
	assert_int_equal(a.tapped[0], 3 * MEDIA_FRAME + 1);

	mem_deref(pl);
	mem_deref(beep);
	mem_deref(a.mp);
	mem_deref(mx);
	mem_deref(ms);
}


static void rx_recv(const struct sa *src, const struct rtp_header *hdr,
		    struct mbuf *mb, void *arg)
{
	struct rx *r = arg;
	(void)src;

	if (r->n == PKTS)
		return;

	r->seq[r->n]   = hdr->seq;
	r->ts[r->n]    = hdr->ts;
	r->ssrc[r->n]  = hdr->ssrc;
	r->pt[r->n]    = hdr->pt;
	r->len[r->n]   = mbuf_get_left(mb);
	r->first[r->n] = mbuf_get_left(mb) ? mbuf_buf(mb)[0] : 0;
	++r->n;
}


/* A leg in its own mixer whose far end is r, talking codec. */
static struct leg *leg_to(struct rx *r, struct mixer **mxp,
			  const char *codec)
{
	struct leg_cfg cfg;
	struct leg *leg = NULL;
	struct mbuf *offer = mbuf_alloc(512), *answer = NULL;

	memset(r, 0, sizeof(*r));
	assert_int_equal(rtp_listen(&r->rtp, IPPROTO_UDP, &lo, 24000, 25000,
				    false, rx_recv, NULL, r), 0);

	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr    = &lo;
	cfg.port_min = 23000;
	cfg.port_max = 24000;
	cfg.codecs   = codec;
	assert_int_equal(leg_alloc(&leg, &cfg, NULL, NULL, NULL), 0);

	assert_int_equal(mbuf_printf(offer,
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %u RTP/AVP 0 8\r\n",
		sa_port(rtp_local(r->rtp))), 0);
	offer->pos = 0;
	assert_int_equal(leg_answer(leg, offer, &answer), 0);
	assert_int_equal(leg_start(leg), 0);
	assert_int_equal(mixer_alloc(mxp), 0);
	assert_int_equal(leg_attach(leg, *mxp), 0);
	mem_deref(offer);
	mem_deref(answer);

	return leg;
}


struct want {
	struct rx *rv;
	size_t n;
	unsigned pkts;
};


static bool all_arrived(void *arg)
{
	const struct want *w = arg;
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (w->rv[i].n < w->pkts)
			return false;
	}

	return true;
}


/* Five callers, three on u-law and two on A-law: one encode per codec
 * per tick, and each caller's packets carry its own header. */
static void test_codecs_encoded_once(void **state)
{
	static const char *codecs[] = {"PCMU", "PCMU", "PCMA", "PCMU",
				       "PCMA"};
	struct mstream *ms = stream_playing();
	struct mstream_stats st;
	struct mixer *mxv[5];
	struct leg *legv[5];
	struct rx rv[5];
	struct want w = {rv, 5, 4};
	size_t i;
	(void)state;

	for (i = 0; i < 5; i++) {
		legv[i] = leg_to(&rv[i], &mxv[i], codecs[i]);
		mport_bed(leg_port(legv[i]), ms);
	}

	run_ticks(4);
	mstream_stats_get(ms, &st);
	assert_int_equal(st.encodes, 2 * 4);
	assert_true(loop_until(all_arrived, &w, 2000));

	for (i = 0; i < 5; i++) {
		bool alaw = !strcmp(codecs[i], "PCMA");

		assert_int_equal(rv[i].pt[3], alaw ? 8 : 0);
		assert_int_equal(rv[i].len[3], MEDIA_FRAME);
		assert_int_equal(rv[i].first[3], alaw ?
				 g711_pcm2alaw(3 * MEDIA_FRAME + 1) :
				 g711_pcm2ulaw(3 * MEDIA_FRAME + 1));
		assert_int_equal((uint16_t)(rv[i].seq[3] - rv[i].seq[0]), 3);
		assert_int_equal(rv[i].ts[3] - rv[i].ts[0], 3 * MEDIA_FRAME);
		if (i)
			assert_int_not_equal(rv[i].ssrc[0], rv[0].ssrc[0]);
	}

	for (i = 0; i < 5; i++) {
		mem_deref(legv[i]);
		mem_deref(mxv[i]);
		mem_deref(rv[i].rtp);
	}
	assert_int_equal(mem_nrefs(ms), 1);
	mem_deref(ms);
}


/* Music, an announcement of the call's own, music again: one RTP
 * stream to the far end, sequence and timestamp unbroken. */
static void test_continuity_across_prompt(void **state)
{
	struct mstream *ms = stream_playing();
	struct mixer *mx = NULL;
	struct player *pl = NULL;
	struct pcm *beep = NULL;
	int16_t s[MEDIA_FRAME * 3];
	struct leg *leg;
	struct rx r;
	struct want w = {&r, 1, 9};
	unsigned i;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(s); i++)
		s[i] = 1000;
	assert_int_equal(pcm_alloc(&beep, s, ARRAY_SIZE(s)), 0);

	leg = leg_to(&r, &mx, "PCMA");
	assert_int_equal(player_alloc(&pl, mx, "announce"), 0);
	mport_hear(leg_port(leg), player_port(pl), true);
	mport_bed(leg_port(leg), ms);

	run_ticks(3);
	assert_int_equal(player_play(pl, &beep, 1, false, NULL, NULL), 0);
	run_ticks(3);
	run_ticks(3);
	assert_true(loop_until(all_arrived, &w, 2000));

	for (i = 1; i < 9; i++) {
		assert_int_equal((uint16_t)(r.seq[i] - r.seq[i - 1]), 1);
		assert_int_equal(r.ts[i] - r.ts[i - 1], MEDIA_FRAME);
		assert_int_equal(r.ssrc[i], r.ssrc[0]);
	}
	assert_int_equal(r.first[2], g711_pcm2alaw(2 * MEDIA_FRAME + 1));
	for (i = 3; i < 6; i++)
		assert_int_equal(r.first[i], g711_pcm2alaw(1000));
	assert_int_equal(r.first[6], g711_pcm2alaw(6 * MEDIA_FRAME + 1));

	mem_deref(pl);
	mem_deref(beep);
	mem_deref(leg);
	mem_deref(mx);
	mem_deref(r.rtp);
	mem_deref(ms);
}


/* Bad arguments; an empty stream; Opus keeps state per listener, so no
 * shared payload is made for it (its leg encodes the frame itself). */
static void test_bad_use(void **state)
{
	struct mstream *ms = NULL;
	struct mstream_stats st;
	struct pcm *empty = NULL;
	size_t len;
	(void)state;

	assert_int_equal(mstream_alloc(NULL, "x"), EINVAL);
	assert_int_equal(mstream_alloc(&ms, NULL), 0);
	assert_string_equal(mstream_name(ms), "stream");
	assert_int_equal(mstream_play(ms, NULL, 1), EINVAL);
	assert_int_equal(mstream_play(ms, &empty, 1), EINVAL);
	assert_int_equal(pcm_alloc(&empty, NULL, 0), 0);
	assert_int_equal(mstream_play(ms, &empty, 1), 0);

	/* nothing to play is silence, not a spin */
	run_ticks(2);
	assert_int_equal(mstream_frame(ms)[0], 0);
	mstream_stats_get(ms, &st);
	assert_int_equal(st.frames, 2);
	assert_int_equal(st.encodes, 0);

	len = 1;
	assert_null(mstream_payload(ms, mcodec_find("opus"), &len));
	assert_non_null(mstream_payload(ms, mcodec_find("PCMU"), &len));
	assert_int_equal(len, MEDIA_FRAME);
	assert_null(mstream_payload(ms, NULL, &len));
	mstream_stats_get(ms, &st);
	assert_int_equal(st.encodes, 1);

	mport_bed(NULL, ms);
	assert_null(mport_bed_get(NULL));
	assert_null(mstream_frame(NULL));
	mem_deref(empty);
	mem_deref(ms);
}


static int setup(void **state)
{
	int err;
	(void)state;

	err = libre_init();
	if (err)
		return err;

	sa_set_str(&lo, "127.0.0.1", 0);

	return 0;
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
		cmocka_unit_test(test_join_mid_stream),
		cmocka_unit_test(test_leave),
		cmocka_unit_test(test_prompt_interrupts),
		cmocka_unit_test(test_codecs_encoded_once),
		cmocka_unit_test(test_continuity_across_prompt),
		cmocka_unit_test(test_bad_use),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
