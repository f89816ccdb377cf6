/* Unit tests for media legs (media/leg*.c) over loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <re.h>
#include <rem.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mixer.h"
#include "media/leg.h"
#include "media/jitter_int.h"
#include "loop.h"
#include "tone.h"

#define LATCH_N 5

/* What one leg's owner saw. */
struct seen {
	char digits[32];
	unsigned ndigits;
	uint32_t last_dur;
	enum leg_event evv[8];
	unsigned nev;
	char want_digits;        /**< stop the loop after this many    */
	enum leg_event want_ev;  /**< stop the loop on this event      */
	struct leg **free_leg;   /**< the owner frees the leg on events */
};

/* A side of a call: leg, mixer, a tone source and a meter. */
struct side {
	struct leg *leg;
	struct mixer *mx;
	struct mport *src;
	struct mport *meter;
	struct seen seen;
	double freq;             /**< tone the source plays, 0 = none */
	uint32_t phase;
	unsigned loud;           /**< frames heard above the level     */
	unsigned want_loud;
};

static struct sa lo;


static void dtmf_h(char digit, uint32_t dur_ms, void *arg)
{
	struct seen *s = arg;

	if (s->ndigits < sizeof(s->digits) - 1)
		s->digits[s->ndigits++] = digit;
	s->last_dur = dur_ms;
	if (s->want_digits && s->ndigits >= (unsigned)s->want_digits)
		re_cancel();
}


static void event_h(enum leg_event ev, void *arg)
{
	struct seen *s = arg;

	if (s->nev < ARRAY_SIZE(s->evv))
		s->evv[s->nev++] = ev;
	if (s->free_leg)
		*s->free_leg = mem_deref(*s->free_leg);
	if (ev == s->want_ev)
		re_cancel();
}


static bool tone_read(int16_t *frame, void *arg)
{
	struct side *sd = arg;

	if (sd->freq <= 0)
		return false;

	tone_fill(frame, MEDIA_FRAME, sd->freq, &sd->phase);

	return true;
}


static void meter_write(const int16_t *frame, bool silent, void *arg)
{
	struct side *sd = arg;

	if (!silent && tone_loud(frame, MEDIA_FRAME) &&
	    ++sd->loud == sd->want_loud)
		re_cancel();
}


static int side_alloc(struct side *sd, uint16_t pmin, const char *codecs,
		      bool latch, uint32_t timeout)
{
	struct leg_cfg cfg;
	int err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr    = &lo;
	cfg.port_min = pmin;
	cfg.port_max = pmin + 100;
	cfg.codecs   = codecs;
	cfg.nat_latch = latch;
	cfg.rtp_timeout_ms = timeout;

	err = leg_alloc(&sd->leg, &cfg, dtmf_h, event_h, &sd->seen);
	if (err)
		return err;

	err  = mixer_alloc(&sd->mx);
	err |= leg_attach(sd->leg, sd->mx);
	err |= mport_alloc(&sd->src, sd->mx, "tone", tone_read, NULL, sd);
	err |= mport_alloc(&sd->meter, sd->mx, "meter", NULL, meter_write,
			   sd);
	mport_hear(leg_port(sd->leg), sd->src, true);
	mport_hear(sd->meter, leg_port(sd->leg), true);

	return err;
}


static void side_free(struct side *sd)
{
	mem_deref(sd->meter);
	mem_deref(sd->src);
	mem_deref(sd->leg);
	mem_deref(sd->mx);
	memset(sd, 0, sizeof(*sd));
}


/* a offers, b answers, a takes the answer. */
static void connect_sides(struct side *a, struct side *b)
{
	struct mbuf *offer = NULL, *answer = NULL;

	assert_int_equal(leg_offer(a->leg, &offer), 0);
	assert_int_equal(leg_answer(b->leg, offer, &answer), 0);
	assert_int_equal(leg_answered(a->leg, answer), 0);
	mem_deref(offer);
	mem_deref(answer);
}


static void test_audio_flows(void **state)
{
	struct side a, b;
	struct leg_stats st;
	(void)state;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(side_alloc(&a, 20000, "PCMU,PCMA", false, 0), 0);
	assert_int_equal(side_alloc(&b, 20200, "PCMA,PCMU", false, 0), 0);

	assert_int_equal(leg_rtp_port(a.leg) % 2, 0);
	assert_in_range(leg_rtp_port(a.leg), 20000, 20098);

	connect_sides(&a, &b);
	assert_string_equal(leg_codec(b.leg), "PCMA");
	assert_string_equal(leg_codec(a.leg), "PCMA");

	assert_int_equal(leg_start(a.leg), 0);
	assert_int_equal(leg_start(b.leg), 0);

	a.freq = 440;
	b.want_loud = 10;
	assert_int_equal(loop_run(3000), 0);

	leg_stats_get(b.leg, &st);
	assert_true(st.rx_packets >= 10);
	assert_int_equal(st.rx_rejected, 0);
	assert_int_equal(st.rx_lost, 0);
	leg_stats_get(a.leg, &st);
	assert_true(st.tx_packets >= 10);

	side_free(&a);
	side_free(&b);
}



/* A far end made of a bare RTP socket, sending on the media tick. */
struct peer {
	struct rtp_sock *rtp;
	struct sa dst;
	struct mtick_entry *tick;
	struct telev *telev;
	bool sending;
	bool alaw;
	int16_t amp;
	double f1, f2;
	const char *script;       /**< in-band digits to play, 5 frames on,
				       5 off */
	unsigned frame;
	uint16_t seq;
	uint32_t ssrc;
	uint32_t ts;
	uint32_t ev_ts;
	bool seq_gaps;            /**< skip a sequence number each time */
	unsigned sent;
	unsigned rx;
	unsigned ticks;
	unsigned stop_ticks;      /**< re_cancel() after this many */
};


static void peer_recv(const struct sa *src, const struct rtp_header *hdr,
		      struct mbuf *mb, void *arg)
{
	struct peer *p = arg;
	(void)src;
	(void)hdr;
	(void)mb;
	++p->rx;
}


static void peer_raw(struct peer *p, uint8_t pt, bool marker, uint32_t ts,
		     const uint8_t *payload, size_t len)
{
	struct rtp_header hdr;
	struct mbuf *mb = mbuf_alloc(256);

	memset(&hdr, 0, sizeof(hdr));
	hdr.ver  = RTP_VERSION;
	hdr.m    = marker;
	hdr.pt   = pt;
	hdr.seq  = p->seq;
	hdr.ts   = ts;
	hdr.ssrc = p->ssrc;
	p->seq += p->seq_gaps ? 2 : 1;

	assert_int_equal(rtp_hdr_encode(mb, &hdr), 0);
	assert_int_equal(mbuf_write_mem(mb, payload, len), 0);
	mb->pos = 0;
	assert_int_equal(udp_send(rtp_sock(p->rtp), &p->dst, mb), 0);
	mem_deref(mb);
	++p->sent;
}


static const struct {
	char digit;
	double f1, f2;
} dtmf_freqs[] = {
	{'1', 697, 1209}, {'5', 770, 1336}, {'9', 852, 1477},
	{'#', 941, 1477},
};


static void peer_script(struct peer *p)
{
	unsigned k = p->frame / 5;
	size_t i;

	p->f1 = p->f2 = 0;
	if (!p->script || k % 2 || k / 2 >= strlen(p->script))
		return;

	for (i = 0; i < ARRAY_SIZE(dtmf_freqs); i++) {
		if (dtmf_freqs[i].digit == p->script[k / 2]) {
			p->f1 = dtmf_freqs[i].f1;
			p->f2 = dtmf_freqs[i].f2;
		}
	}
}


static void peer_tick(uint64_t tick, void *arg)
{
	struct peer *p = arg;
	uint8_t pl[MEDIA_FRAME];
	struct mbuf *mb;
	bool marker;
	size_t i;
	(void)tick;

	if (p->stop_ticks && ++p->ticks == p->stop_ticks)
		re_cancel();

	if (!p->sending)
		return;

	peer_script(p);
	for (i = 0; i < MEDIA_FRAME; i++) {
		double t = (double)(p->frame * MEDIA_FRAME + i) / MEDIA_SRATE;
		int16_t v = (int16_t)(p->amp * (sin(2 * M_PI * p->f1 * t) +
						 sin(2 * M_PI * p->f2 * t)));

		if (!p->f1 && !p->f2)
			v = (int16_t)(p->amp * sin(2 * M_PI * 440 * t));
		pl[i] = p->alaw ? g711_pcm2alaw(v) : g711_pcm2ulaw(v);
	}
	++p->frame;

	mb = mbuf_alloc(16);
	if (p->telev && !telev_poll(p->telev, &marker, mb)) {
		if (marker)
			p->ev_ts = p->ts;
		peer_raw(p, 101, marker, p->ev_ts, mb->buf, mb->end);
	}
	else {
		peer_raw(p, p->alaw ? 8 : 0, false, p->ts, pl, sizeof(pl));
	}
	mem_deref(mb);
	p->ts += MEDIA_FRAME;
}


static void peer_init(struct peer *p, const struct leg *leg)
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(rtp_listen(&p->rtp, IPPROTO_UDP, &lo, 21000, 22000,
				    false, peer_recv, NULL, p), 0);
	p->dst  = lo;
	sa_set_port(&p->dst, leg_rtp_port(leg));
	p->ssrc = rand_u32();
	p->seq  = rand_u16();
	assert_int_equal(mtick_add(&p->tick, MTICK_SOURCE, peer_tick, p), 0);
}


static void peer_close(struct peer *p)
{
	mem_deref(p->tick);
	mem_deref(p->rtp);
	mem_deref(p->telev);
}


static uint16_t peer_port(const struct peer *p)
{
	return sa_port(rtp_local(p->rtp));
}


/* An offer from a far end at port with the given m= formats and extras. */
static struct mbuf *offer_for(uint16_t port, const char *fmts,
			      const char *extra)
{
	struct mbuf *mb = mbuf_alloc(512);

	assert_int_equal(mbuf_printf(mb,
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio %u RTP/AVP %s\r\n"
		"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
		"%s", port, fmts, extra), 0);
	mb->pos = 0;

	return mb;
}


static bool mb_has(const struct mbuf *mb, const char *str)
{
	return memmem(mb->buf, mb->end, str, strlen(str)) != NULL;
}


static const char te_attrs[] =
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";


static void answer_peer(struct side *sd, struct peer *p, const char *fmts,
			const char *extra)
{
	struct mbuf *offer = offer_for(peer_port(p), fmts, extra);
	struct mbuf *answer = NULL;

	assert_int_equal(leg_answer(sd->leg, offer, &answer), 0);
	mem_deref(offer);
	mem_deref(answer);
}


static void test_rfc4733(void **state)
{
	struct side a;
	struct peer p;
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(side_alloc(&a, 20400, "PCMU,PCMA", false, 0), 0);
	peer_init(&p, a.leg);
	answer_peer(&a, &p, "0 101", te_attrs);
	assert_string_equal(leg_codec(a.leg), "PCMU");
	assert_int_equal(leg_start(a.leg), 0);

	assert_int_equal(telev_alloc(&p.telev, MEDIA_PTIME), 0);
	p.sending = true;
	p.amp = 100;
	assert_int_equal(telev_send(p.telev, telev_digit2code('1'), false),
			 0);
	assert_int_equal(telev_send(p.telev, 0, true), 0);
	assert_int_equal(telev_send(p.telev, telev_digit2code('#'), false),
			 0);
	assert_int_equal(telev_send(p.telev, 0, true), 0);

	a.seen.want_digits = 2;
	assert_int_equal(loop_run(3000), 0);
	assert_string_equal(a.seen.digits, "1#");
	assert_true(a.seen.last_dur >= 100);

	/* each digit once: the repeated end packets are not new digits */
	a.seen.want_digits = 0;
	p.stop_ticks = 20;
	assert_int_equal(loop_run(3000), 0);
	assert_string_equal(a.seen.digits, "1#");

	peer_close(&p);
	side_free(&a);
}



static void telev_raw(struct peer *p, char digit, uint32_t ts, bool end,
		      uint16_t dur)
{
	uint8_t pl[4];

	pl[0] = (uint8_t)telev_digit2code(digit);
	pl[1] = end ? 0x8a : 0x0a;
	pl[2] = (uint8_t)(dur >> 8);
	pl[3] = (uint8_t)dur;
	peer_raw(p, 101, !end && dur == 160, ts, pl, sizeof(pl));
}


static void test_rfc4733_lost_end(void **state)
{
	struct side a;
	struct peer p;
	uint64_t t0;
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(side_alloc(&a, 21600, "PCMU", false, 0), 0);
	peer_init(&p, a.leg);
	answer_peer(&a, &p, "0 101", te_attrs);
	assert_int_equal(leg_start(a.leg), 0);

	/* every end packet of '7' lost: told after a quiet while */
	telev_raw(&p, '7', 1000, false, 160);
	telev_raw(&p, '7', 1000, false, 320);
	telev_raw(&p, '7', 1000, false, 480);
	t0 = tmr_jiffies();
	a.seen.want_digits = 1;
	assert_int_equal(loop_run(2000), 0);
	assert_string_equal(a.seen.digits, "7");
	assert_int_equal(a.seen.last_dur, 60);
	assert_true(tmr_jiffies() - t0 >= 250);

	/* the same digit twice is two events (two timestamps) */
	telev_raw(&p, '3', 2000, false, 160);
	telev_raw(&p, '3', 2000, true, 800);
	telev_raw(&p, '3', 2000, true, 800);
	telev_raw(&p, '3', 2000, true, 800);
	telev_raw(&p, '3', 3000, true, 400);
	telev_raw(&p, '3', 3000, true, 400);
	a.seen.want_digits = 3;
	assert_int_equal(loop_run(2000), 0);
	assert_string_equal(a.seen.digits, "733");
	assert_int_equal(a.seen.last_dur, 50);

	/* a start without its end, then a new event: both told, in order */
	telev_raw(&p, '5', 4000, false, 160);
	telev_raw(&p, '#', 5000, false, 160);
	telev_raw(&p, '#', 5000, true, 640);
	a.seen.want_digits = 5;
	assert_int_equal(loop_run(2000), 0);
	assert_string_equal(a.seen.digits, "7335#");

	/* nothing more arrives from the repeats or the timer */
	a.seen.want_digits = 0;
	p.stop_ticks = 20;
	assert_int_equal(loop_run(2000), 0);
	assert_string_equal(a.seen.digits, "7335#");

	peer_close(&p);
	side_free(&a);
}


static void test_inband_dtmf(void **state)
{
	struct side a;
	struct peer p;
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(side_alloc(&a, 20500, "PCMA,PCMU", false, 0), 0);
	peer_init(&p, a.leg);
	answer_peer(&a, &p, "8", "");
	assert_string_equal(leg_codec(a.leg), "PCMA");
	assert_int_equal(leg_start(a.leg), 0);

	p.alaw = true;
	p.amp = 6000;
	p.script = "591";
	p.sending = true;
	a.seen.want_digits = 3;
	assert_int_equal(loop_run(3000), 0);
	assert_string_equal(a.seen.digits, "591");

	/* silence after the script: no more digits */
	a.seen.want_digits = 0;
	p.amp = 0;
	p.stop_ticks = 15;
	assert_int_equal(loop_run(3000), 0);
	assert_string_equal(a.seen.digits, "591");

	peer_close(&p);
	side_free(&a);
}


/* Stop the loop once a leg rejected enough packets. */
struct rejwait {
	struct mtick_entry *tick;
	const struct leg *leg;
	uint64_t want;
};


static void rejwait_tick(uint64_t tick, void *arg)
{
	struct rejwait *rw = arg;
	struct leg_stats st;
	(void)tick;

	leg_stats_get(rw->leg, &st);
	if (st.rx_rejected >= rw->want)
		re_cancel();
}


static void test_strict_source(void **state)
{
	struct side a;
	struct peer p, rogue;
	struct rejwait rw = {NULL, NULL, 30};
	struct leg_stats st;
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(side_alloc(&a, 20600, "PCMU", false, 0), 0);
	peer_init(&p, a.leg);
	peer_init(&rogue, a.leg);
	answer_peer(&a, &p, "0", "");
	assert_int_equal(leg_start(a.leg), 0);

	/* the named peer is quiet, the rogue shouts */
	p.sending = true;
	rogue.sending = true;
	rogue.amp = 10000;
	a.want_loud = 1;
	rw.leg = a.leg;
	assert_int_equal(mtick_add(&rw.tick, MTICK_HOUSE, rejwait_tick, &rw),
			 0);
	assert_int_equal(loop_run(3000), 0);

	leg_stats_get(a.leg, &st);
	assert_true(st.rx_rejected >= 30);
	assert_true(st.rx_packets > 0);
	assert_int_equal(a.loud, 0);
	assert_true(p.rx > 0);
	assert_int_equal(rogue.rx, 0);

	mem_deref(rw.tick);
	peer_close(&p);
	peer_close(&rogue);
	side_free(&a);
}


static void test_latch_rules(void **state)
{
	struct side a;
	struct peer named, nat, rogue;
	struct rejwait rw = {NULL, NULL, 10};
	struct leg_stats st;
	uint64_t rej0;
	unsigned named_rx, nat_rx;
	char buf[256];
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(side_alloc(&a, 20700, "PCMU", true, 0), 0);
	peer_init(&named, a.leg);
	peer_init(&nat, a.leg);
	peer_init(&rogue, a.leg);
	answer_peer(&a, &named, "0", "");
	assert_int_equal(leg_start(a.leg), 0);
	rw.leg = a.leg;
	assert_int_equal(mtick_add(&rw.tick, MTICK_HOUSE, rejwait_tick, &rw),
			 0);

	/* broken sequence numbers never latch */
	rogue.seq_gaps = true;
	rogue.sending = true;
	rogue.amp = 10000;
	assert_int_equal(loop_run(3000), 0);
	rogue.sending = false;
	leg_stats_get(a.leg, &st);
	assert_int_equal(st.rx_packets, 0);
	assert_int_equal(a.loud, 0);

	/* five in a row from one source with one SSRC: latched */
	rej0 = st.rx_rejected;
	rw.want = UINT64_MAX;
	nat.sending = true;
	nat.amp = 10000;
	a.want_loud = 3;
	assert_int_equal(loop_run(3000), 0);
	leg_stats_get(a.leg, &st);
	assert_true(st.rx_packets > 0);
	assert_in_range(st.rx_rejected, rej0 + LATCH_N - 1, rej0 + LATCH_N);
	re_snprintf(buf, sizeof(buf), "%H", leg_debug, a.leg);
	assert_non_null(strstr(buf, "latched"));

	/* we now send to where the audio came from, not to the SDP's */
	named_rx = named.rx;
	nat_rx = nat.rx;
	nat.stop_ticks = nat.ticks + 10;
	assert_int_equal(loop_run(3000), 0);
	assert_true(nat.rx > nat_rx + 5);
	assert_in_range(named.rx, named_rx, named_rx + 1);

	/* never re-learned: a well-behaved stranger is refused for good */
	rogue.seq_gaps = false;
	rogue.sending = true;
	rw.want = st.rx_rejected + 30;
	assert_int_equal(loop_run(3000), 0);
	assert_int_equal(rogue.rx, 0);

	mem_deref(rw.tick);
	peer_close(&named);
	peer_close(&nat);
	peer_close(&rogue);
	side_free(&a);
}


static void test_no_latch_after_valid(void **state)
{
	struct side a;
	struct peer named, other;
	struct rejwait rw = {NULL, NULL, 20};
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(side_alloc(&a, 20800, "PCMU", true, 0), 0);
	peer_init(&named, a.leg);
	peer_init(&other, a.leg);
	answer_peer(&a, &named, "0", "");
	assert_int_equal(leg_start(a.leg), 0);

	named.sending = true;
	named.stop_ticks = 3;
	assert_int_equal(loop_run(3000), 0);
	named.sending = false;

	rw.leg = a.leg;
	assert_int_equal(mtick_add(&rw.tick, MTICK_HOUSE, rejwait_tick, &rw),
			 0);
	other.sending = true;
	other.amp = 10000;
	a.want_loud = 1;
	assert_int_equal(loop_run(3000), 0);
	assert_int_equal(a.loud, 0);
	assert_int_equal(other.rx, 0);

	mem_deref(rw.tick);
	peer_close(&named);
	peer_close(&other);
	side_free(&a);
}


static void test_bad_sdp(void **state)
{
	static const char hdr[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"
		"s=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n";
	const struct {
		const char *body;
		int err;
	} cases[] = {
		{"", EPROTO},
		{"garbage", EPROTO},
		{"v=0\r\nhello\r\n", EPROTO},
		{"v=0\r\n", ENOTSUP},
		{"m=audio 4000 RTP/AVP 0\r\n", EPROTO},
		{"%sm=video 4000 RTP/AVP 96\r\n", ENOTSUP},
		{"%sm=audio 4000 RTP/AVP 18\r\n", ENOTSUP},
		{"%sm=audio 4000 RTP/SAVP 0\r\n", ENOTSUP},
		{"%sm=audio 0 RTP/AVP 0\r\n", ENOTSUP},
		{"%sm=audio 99999999 RTP/AVP 0\r\n", EPROTO},
		{"%sm=audio 70000 RTP/AVP 0\r\n", EPROTO},
		{"%sm=audio x RTP/AVP 0\r\n", EPROTO},
		{"%sm=audio 4000 RTP/AVP 4294967296\r\n"
		 "a=rtpmap:4294967296 PCMU/8000\r\n", ENOTSUP},
		{"%sm=audio 4000 RTP/AVP 96\r\n"
		 "a=rtpmap:96 PCMU/99999999999999999\r\n", ENOTSUP},
		{"%sm=aud", EPROTO},
		{"%sm=audio 4000 RTP/AVP 0\r\nc=IN IP4 999.1.1.1\r\n",
		 EPROTO},
		{"%sm=audio 4000 RTP/AVP 0\r\nc=IN IP4\r\n", EPROTO},
	};
	struct side a;
	struct mbuf *mb, *answer = NULL;
	uint16_t port;
	size_t i;
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(side_alloc(&a, 20900, "PCMU,PCMA", false, 0), 0);

	/* a first good offer; bad ones afterwards change nothing */
	mb = offer_for(4000, "8", "");
	assert_int_equal(leg_answer(a.leg, mb, &answer), 0);
	mem_deref(mb);
	answer = mem_deref(answer);
	port = leg_rtp_port(a.leg);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		mb = mbuf_alloc(256);
		assert_int_equal(mbuf_printf(mb, cases[i].body, hdr), 0);
		mb->pos = 0;
		if (leg_answer(a.leg, mb, &answer) != cases[i].err)
			fail_msg("case %zu: %s", i, cases[i].body);
		assert_null(answer);
		assert_int_not_equal(leg_answered(a.leg, mb), 0);
		mem_deref(mb);
		assert_string_equal(leg_codec(a.leg), "PCMA");
		assert_int_equal(leg_rtp_port(a.leg), port);
	}

	/* NUL bytes and an oversized body */
	mb = mbuf_alloc(40000);
	assert_int_equal(mbuf_write_str(mb, hdr), 0);
	assert_int_equal(mbuf_write_u8(mb, 0), 0);
	mb->pos = 0;
	assert_int_equal(leg_answer(a.leg, mb, &answer), EPROTO);
	mb->pos = mb->end;
	for (i = 0; i < 4000; i++)
		assert_int_equal(mbuf_write_str(mb, "a=x:y\r\n"), 0);
	mb->pos = 0;
	assert_int_equal(leg_answer(a.leg, mb, &answer), EPROTO);
	mem_deref(mb);

	assert_int_equal(leg_answer(NULL, NULL, NULL), EINVAL);
	assert_int_equal(leg_answered(a.leg, NULL), EINVAL);

	side_free(&a);
}


static void test_hold_unhold(void **state)
{
	struct side a;
	struct peer p;
	struct mbuf *offer, *answer = NULL;
	struct leg_stats st0, st;
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(side_alloc(&a, 21000 - 100, "PCMU", false, 0), 0);
	peer_init(&p, a.leg);
	answer_peer(&a, &p, "0", "");
	assert_int_equal(leg_start(a.leg), 0);
	a.freq = 300;

	offer = offer_for(peer_port(&p), "0", "a=sendonly\r\n");
	assert_int_equal(leg_answer(a.leg, offer, &answer), 0);
	assert_true(mb_has(answer, "a=recvonly"));
	mem_deref(offer);
	answer = mem_deref(answer);

	a.seen.want_ev = LEG_HOLD;
	assert_int_equal(loop_run(1000), 0);
	assert_true(leg_on_hold(a.leg));

	/* nothing is sent while held */
	leg_stats_get(a.leg, &st0);
	p.stop_ticks = 10;
	assert_int_equal(loop_run(1000), 0);
	leg_stats_get(a.leg, &st);
	assert_int_equal(st.tx_packets, st0.tx_packets);

	offer = offer_for(peer_port(&p), "0", "a=sendrecv\r\n");
	assert_int_equal(leg_answer(a.leg, offer, &answer), 0);
	mem_deref(offer);
	answer = mem_deref(answer);
	a.seen.want_ev = LEG_UNHOLD;
	assert_int_equal(loop_run(1000), 0);
	assert_false(leg_on_hold(a.leg));

	/* the old style: c=0.0.0.0 */
	offer = mbuf_alloc(256);
	assert_int_equal(mbuf_printf(offer, "v=0\r\no=- 1 2 IN IP4 0.0.0.0"
				     "\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
				     "m=audio %u RTP/AVP 0\r\n",
				     peer_port(&p)), 0);
	offer->pos = 0;
	assert_int_equal(leg_answer(a.leg, offer, &answer), 0);
	mem_deref(offer);
	answer = mem_deref(answer);
	a.seen.want_ev = LEG_HOLD;
	assert_int_equal(loop_run(1000), 0);
	assert_true(leg_on_hold(a.leg));
	assert_int_equal(a.seen.nev, 3);

	peer_close(&p);
	side_free(&a);
}


static void offer_hold(struct side *sd, struct peer *p)
{
	struct mbuf *offer = offer_for(peer_port(p), "0", "a=inactive\r\n");
	struct mbuf *answer = NULL;

	assert_int_equal(leg_answer(sd->leg, offer, &answer), 0);
	mem_deref(offer);
	mem_deref(answer);
}


static void test_rtp_timeout(void **state)
{
	struct side a;
	struct peer p;
	struct mbuf *offer, *answer = NULL;
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(side_alloc(&a, 21100 - 100, "PCMU", false, 200), 0);
	peer_init(&p, a.leg);
	answer_peer(&a, &p, "0", "");
	assert_int_equal(leg_start(a.leg), 0);

	a.seen.want_ev = LEG_RTP_TIMEOUT;
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.seen.nev, 1);

	/* once only */
	p.stop_ticks = 20;
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.seen.nev, 1);

	/* a far end that only listens is not expected to send */
	leg_stop(a.leg);
	offer = offer_for(peer_port(&p), "0", "a=recvonly\r\n");
	assert_int_equal(leg_answer(a.leg, offer, &answer), 0);
	assert_true(mb_has(answer, "a=sendonly"));
	assert_false(leg_on_hold(a.leg));
	mem_deref(offer);
	answer = mem_deref(answer);
	assert_int_equal(leg_start(a.leg), 0);
	p.stop_ticks += 20;
	assert_int_equal(loop_run(2000), 0);
	assert_int_equal(a.seen.nev, 1);

	/* the owner frees the leg from its event handler, mid-call */
	a.seen.free_leg = &a.leg;
	offer_hold(&a, &p);
	a.seen.want_ev = LEG_HOLD;
	assert_int_equal(loop_run(2000), 0);
	assert_null(a.leg);
	assert_int_equal(mixer_ports(a.mx), 2);
	p.stop_ticks += 5;
	assert_int_equal(loop_run(2000), 0);

	peer_close(&p);
	side_free(&a);
}


static void test_opus(void **state)
{
	struct side a, b;
	(void)state;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(side_alloc(&a, 21200, "opus,PCMU", false, 0), 0);
	assert_int_equal(side_alloc(&b, 21300, "opus", false, 0), 0);
	connect_sides(&a, &b);
	assert_string_equal(leg_codec(a.leg), "opus");
	assert_string_equal(leg_codec(b.leg), "opus");
	assert_int_equal(leg_start(a.leg), 0);
	assert_int_equal(leg_start(b.leg), 0);

	a.freq = 500;
	b.want_loud = 10;
	assert_int_equal(loop_run(3000), 0);

	side_free(&a);
	side_free(&b);
}


static void test_alloc_errors(void **state)
{
	struct leg_cfg cfg;
	struct leg *leg = NULL;
	struct leg_stats tot;
	(void)state;

	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr = &lo;
	cfg.port_min = 21400;
	cfg.port_max = 21401;
	assert_int_equal(leg_alloc(&leg, &cfg, NULL, NULL, NULL), EINVAL);

	/* an odd minimum is rounded up: 21401..21403 holds one pair */
	cfg.port_min = 21401;
	cfg.port_max = 21404;
	assert_int_equal(leg_alloc(&leg, &cfg, NULL, NULL, NULL), 0);
	assert_int_equal(leg_rtp_port(leg), 21402);
	leg = mem_deref(leg);
	cfg.port_max = 21403;
	assert_int_equal(leg_alloc(&leg, &cfg, NULL, NULL, NULL), EINVAL);

	cfg.port_max = 21500;
	cfg.codecs = "G729,iLBC";
	assert_int_equal(leg_alloc(&leg, &cfg, NULL, NULL, NULL), EINVAL);
	assert_null(leg);
	assert_int_equal(leg_alloc(&leg, NULL, NULL, NULL, NULL), EINVAL);

	cfg.codecs = NULL;
	assert_int_equal(leg_alloc(&leg, &cfg, NULL, NULL, NULL), 0);
	assert_int_equal(leg_start(leg), EPROTO);
	assert_null(leg_codec(leg));
	assert_null(leg_port(leg));
	leg_detach(leg);
	leg_stop(leg);
	mem_deref(leg);

	leg_totals(&tot);
	assert_true(tot.rx_packets > 0);
	assert_true(tot.rx_rejected > 0);
}



static void test_reoffer_codec_change(void **state)
{
	struct side a;
	struct peer p;
	struct mbuf *offer, *answer = NULL;
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_int_equal(side_alloc(&a, 21500, "PCMU,PCMA", false, 0), 0);
	peer_init(&p, a.leg);
	answer_peer(&a, &p, "0 8", "");
	assert_string_equal(leg_codec(a.leg), "PCMU");
	assert_int_equal(leg_start(a.leg), 0);

	/* the far end now offers only A-law: we follow, audio still flows */
	offer = offer_for(peer_port(&p), "8", "");
	assert_int_equal(leg_answer(a.leg, offer, &answer), 0);
	assert_true(mb_has(answer, "RTP/AVP 8"));
	assert_false(mb_has(answer, "PCMU"));
	assert_string_equal(leg_codec(a.leg), "PCMA");
	mem_deref(offer);
	mem_deref(answer);

	p.alaw = true;
	p.amp = 8000;
	p.sending = true;
	a.want_loud = 5;
	assert_int_equal(loop_run(3000), 0);

	peer_close(&p);
	side_free(&a);
}


static void jb_put(struct jitter *jb, unsigned k, int16_t v)
{
	int16_t f[MEDIA_FRAME];
	size_t i;

	for (i = 0; i < MEDIA_FRAME; i++)
		f[i] = v;
	(void)jitter_put(jb, 5000 + k * MEDIA_FRAME, 8000, f, MEDIA_FRAME);
}


/* Play one frame; return its first sample, or -1 for silence. */
static int jb_get(struct jitter *jb)
{
	int16_t f[MEDIA_FRAME];

	return jitter_get(jb, f) ? f[0] : -1;
}


static void test_jitter_buffer(void **state)
{
	struct jitter *jb = mem_zalloc(sizeof(*jb), NULL);
	int16_t f[MEDIA_FRAME];
	unsigned k;
	(void)state;

	/* reordered packets play in timestamp order after the delay */
	jb_put(jb, 0, 10);
	jb_put(jb, 2, 12);
	jb_put(jb, 1, 11);
	assert_int_equal(jb_get(jb), -1);
	assert_int_equal(jb_get(jb), -1);
	assert_int_equal(jb_get(jb), 10);
	assert_int_equal(jb_get(jb), 11);
	assert_int_equal(jb_get(jb), 12);

	/* a lost packet: repeated once at half level, then silence */
	jb_put(jb, 3, 100);
	jb_put(jb, 6, 16);
	assert_int_equal(jb_get(jb), 100);
	assert_int_equal(jb_get(jb), 50);
	assert_int_equal(jb_get(jb), -1);
	assert_int_equal(jb_get(jb), 16);

	/* too late for playout: counted, not played */
	jb_put(jb, 5, 15);
	assert_int_equal(jb->late, 1);

	/* a burst: the buffer trims itself back to its target delay */
	for (k = 7; k < 17; k++)
		jb_put(jb, k, (int16_t)k);
	for (k = 0; k < 10; k++)
		(void)jb_get(jb);
	assert_true(jb->dropped > 0);
	assert_true(jb->hi - jb->play <= JITTER_DELAY + JITTER_TRIM);

	/* a timestamp jump is a new stream, not a flood of late packets */
	jb_put(jb, 100000, 7);
	assert_int_equal(jb->resyncs, 1);
	assert_int_equal(jb_get(jb), -1);
	assert_int_equal(jb_get(jb), -1);
	assert_int_equal(jb_get(jb), 7);

	/* a gap (underrun) rebuilds the delay when audio returns */
	assert_int_equal(jb_get(jb), -1);
	assert_true(jb->underrun);
	jb_put(jb, 100050, 9);
	assert_int_equal(jb_get(jb), -1);
	assert_int_equal(jb_get(jb), -1);
	assert_int_equal(jb_get(jb), 9);

	/* bad input */
	assert_int_equal(jitter_put(jb, 0, 0, f, MEDIA_FRAME), EINVAL);
	assert_int_equal(jitter_put(jb, 0, 8000, NULL, 1), EINVAL);
	assert_int_equal(jitter_put(jb, 0, 8000, f, JITTER_RING), EINVAL);

	mem_deref(jb);
}


static int setup(void **state)
{
	int err;
	(void)state;

	err = libre_init();
	if (err)
		return err;

	sa_set_str(&lo, "127.0.0.1", 0);

	return mtick_init();
}


static int teardown(void **state)
{
	(void)state;
	mtick_close();
	libre_close();

	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audio_flows),
		cmocka_unit_test(test_rfc4733),
		cmocka_unit_test(test_rfc4733_lost_end),
		cmocka_unit_test(test_inband_dtmf),
		cmocka_unit_test(test_strict_source),
		cmocka_unit_test(test_latch_rules),
		cmocka_unit_test(test_no_latch_after_valid),
		cmocka_unit_test(test_bad_sdp),
		cmocka_unit_test(test_hold_unhold),
		cmocka_unit_test(test_rtp_timeout),
		cmocka_unit_test(test_opus),
		cmocka_unit_test(test_alloc_errors),
		cmocka_unit_test(test_reoffer_codec_change),
		cmocka_unit_test(test_jitter_buffer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
