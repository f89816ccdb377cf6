/*
 * CPU per concurrent browser call on the media tick, in process: N calls,
 * each a mixer joining a WebRTC leg (the agent's browser) and an RTP leg
 * (the customer, PCMU). Per 20 ms tick and call: SRTP decrypt + decode
 * into the jitter buffer, G.711 decode on the customer side, the mix,
 * then encode + SRTP encrypt + sendto towards the browser and G.711
 * encode + sendto towards the customer, and the legs' housekeeping.
 * The far ends' packets are made before the clock starts; receiving
 * calls the legs' packet handlers directly (no recvfrom).
 *
 * usage: webrtc_media [calls] [ticks] [runs]   (default 200, 250, 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <opus.h>
#include <re.h>
#include <rem_g711.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "media/mixer.h"
#include "media/leg.h"
#include "media/webrtc.h"
#include "media/codec_int.h"
#include "media/leg_int.h"
#include "media/webrtc_int.h"

enum { MAX_PKT = 1500, KEYLEN = 28 };

/* One call: the two legs, the mixer and the far ends' packets. */
struct bcall {
	struct webrtc *w;
	struct leg *leg;
	struct mixer *mx;
	struct srtp *browser;       /* encrypts what the browser sends */
	uint8_t (*pkt)[MAX_PKT];    /* one SRTP packet per tick        */
	size_t *len;
	uint16_t seq;
	uint32_t ts, cts;
};

static struct sa lo, sink_addr;
static struct udp_sock *sink;
static const uint8_t key[KEYLEN] = "0123456789abcdef0123456789ab";
static uint8_t pcmu[MEDIA_FRAME];


static const char offer_fmt[] =
	"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	"a=group:BUNDLE 0\r\n"
	"m=audio 9 UDP/TLS/RTP/SAVPF %s\r\nc=IN IP4 0.0.0.0\r\n"
	"a=ice-ufrag:bnch\r\na=ice-pwd:0123456789012345678901\r\n"
	"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
	"EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
	"a=setup:actpass\r\na=mid:0\r\na=rtcp-mux\r\n"
	"a=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n";


static void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s\n", what, strerror(err));
	exit(1);
}


/* The state DTLS would leave: keys set, peer validated. */
static void webrtc_up(struct bcall *c, const char *codec)
{
	char offer[1024], *answer = NULL;
	struct webrtc_cfg cfg = {.laddr = &lo, .codecs = codec};
	int err;

	snprintf(offer, sizeof(offer), offer_fmt,
		 strcmp(codec, "opus") ? "0" : "111");
	err = webrtc_alloc(&c->w, &cfg, offer, strlen(offer), &answer,
			   NULL, NULL);
	if (err)
		die("webrtc_alloc", err);
	mem_deref(answer);

	err  = srtp_alloc(&c->w->srtp_rx, SRTP_AES_128_GCM, key, KEYLEN, 0);
	err |= srtp_alloc(&c->w->srtp_tx, SRTP_AES_128_GCM, key, KEYLEN, 0);
	err |= srtp_alloc(&c->browser, SRTP_AES_128_GCM, key, KEYLEN, 0);
	if (err)
		die("srtp_alloc", err);

	c->w->state   = WEBRTC_ST_UP;
	c->w->latched = true;
	c->w->raddr   = sink_addr;
}


static void customer_up(struct bcall *c)
{
	struct leg_cfg cfg = {
		.laddr = &lo, .port_min = 40000, .port_max = 60000,
		.codecs = "PCMU",
	};
	struct mbuf *mb, *answer = NULL;
	int err;

	err = leg_alloc(&c->leg, &cfg, NULL, NULL, NULL);
	if (err)
		die("leg_alloc", err);

	mb = mbuf_alloc(256);
	mbuf_printf(mb, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %u RTP/AVP 0\r\n",
		    sa_port(&sink_addr));
	mb->pos = 0;
	err = leg_answer(c->leg, mb, &answer);
	if (!err)
		err = leg_start(c->leg);
	if (err)
		die("leg_answer", err);

	mem_deref(mb);
	mem_deref(answer);
}


static void call_setup(struct bcall *c, const char *codec, unsigned ticks)
{
	int err;

	memset(c, 0, sizeof(*c));
	webrtc_up(c, codec);
	customer_up(c);

	err  = mixer_alloc(&c->mx);
	err |= webrtc_attach(c->w, c->mx);
	err |= leg_attach(c->leg, c->mx);
	if (err)
		die("mixer", err);

	mport_hear(webrtc_port(c->w), leg_port(c->leg), true);
	mport_hear(leg_port(c->leg), webrtc_port(c->w), true);

	c->pkt = mem_zalloc(ticks * sizeof(*c->pkt), NULL);
	c->len = mem_zalloc(ticks * sizeof(*c->len), NULL);
	if (!c->pkt || !c->len)
		die("packets", ENOMEM);
}


static void call_free(struct bcall *c)
{
	mem_deref(c->mx);
	mem_deref(c->w);
	mem_deref(c->leg);
	mem_deref(c->browser);
	mem_deref(c->pkt);
	mem_deref(c->len);
}


/* Speech-like: two tones under a 4 Hz envelope, plus noise. */
static void voice(int16_t *s, size_t n, uint32_t *phase, uint32_t rate)
{
	size_t i;

	for (i = 0; i < n; i++, ++*phase) {
		double t = (double)*phase / rate;
		double env = 0.5 + 0.5 * sin(2 * M_PI * 4 * t);

		s[i] = (int16_t)(env * (6000 * sin(2 * M_PI * 220 * t) +
					3000 * sin(2 * M_PI * 1330 * t)) +
				 (rand() % 600) - 300);
	}
}


/* What a browser sends for `ticks` ticks: Opus at 48 kHz or PCMU. */
static void browser_packets(struct bcall *c, OpusEncoder *enc,
			    unsigned ticks, uint32_t *phase)
{
	int16_t pcm[960];
	unsigned t;

	for (t = 0; t < ticks; t++) {
		struct mbuf mb;
		struct rtp_header hdr;
		int n;

		memset(&hdr, 0, sizeof(hdr));
		hdr.ver  = RTP_VERSION;
		hdr.pt   = enc ? 111 : 0;
		hdr.seq  = c->seq++;
		hdr.ts   = c->ts;
		hdr.ssrc = 0xb0b;
		c->ts   += enc ? 960 : MEDIA_FRAME;

		if (enc) {
			voice(pcm, 960, phase, 48000);
			n = opus_encode(enc, pcm, 960, c->pkt[t] + 12, 1200);
		}
		else {
			memcpy(c->pkt[t] + 12, pcmu, MEDIA_FRAME);
			n = MEDIA_FRAME;
		}

		memset(&mb, 0, sizeof(mb));
		mb.buf  = c->pkt[t];
		mb.size = MAX_PKT;
		(void)rtp_hdr_encode(&mb, &hdr);
		mb.pos = 0;
		mb.end = 12 + (size_t)n;
		if (srtp_encrypt(c->browser, &mb))
			die("srtp_encrypt", EINVAL);
		c->len[t] = mb.end;
	}
}


/* One tick of one call: both far ends' packets arrive. */
static void arrive(struct bcall *c, unsigned t, struct mbuf *mb)
{
	struct rtp_header hdr;
	struct sa src = sink_addr;

	mb->pos = 0;
	mb->end = c->len[t];
	memcpy(mb->buf, c->pkt[t], c->len[t]);
	webrtc_rtp_recv(c->w, mb);

	memset(&hdr, 0, sizeof(hdr));
	hdr.ver  = RTP_VERSION;
	hdr.pt   = 0;
	hdr.seq  = (uint16_t)(c->seq + 7);
	hdr.ts   = c->cts;
	hdr.ssrc = 0xc057;
	c->cts  += MEDIA_FRAME;
	mb->pos = 0;
	mb->end = MEDIA_FRAME;
	memcpy(mb->buf, pcmu, MEDIA_FRAME);
	leg_rtp_handler(&src, &hdr, mb, c->leg);
}


static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);

	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}


static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}


/* @return µs of CPU per call per tick, the median of `runs` */
static double run(const char *codec, unsigned ncalls, unsigned ticks,
		  unsigned runs)
{
	struct bcall *cv = mem_zalloc(ncalls * sizeof(*cv), NULL);
	OpusEncoder *enc = NULL;
	struct mbuf *mb = mbuf_alloc(MAX_PKT);
	double us[16];
	uint32_t phase = 0;
	uint64_t tick = 0;
	unsigned i, r, t;
	int oerr;

	if (!strcmp(codec, "opus")) {
		enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP,
					  &oerr);
		/* as Chromium encodes under our maxplaybackrate=8000
		 * and maxaveragebitrate=20000 */
		opus_encoder_ctl(enc, OPUS_SET_BITRATE(20000));
		opus_encoder_ctl(enc, OPUS_SET_MAX_BANDWIDTH(
					 OPUS_BANDWIDTH_NARROWBAND));
	}

	for (i = 0; i < ncalls; i++)
		call_setup(&cv[i], codec, ticks);

	for (r = 0; r < runs; r++) {
		double t0;

		for (i = 0; i < ncalls; i++)
			browser_packets(&cv[i], enc, ticks, &phase);

		t0 = cpu_s();
		for (t = 0; t < ticks; t++) {
			for (i = 0; i < ncalls; i++)
				arrive(&cv[i], t, mb);
			mtick_run(++tick);
		}
		us[r] = (cpu_s() - t0) * 1e6 / ((double)ticks * ncalls);
	}

	for (i = 0; i < ncalls; i++) {
		struct webrtc_stats st;

		webrtc_stats_get(cv[i].w, &st);
		if (st.rx_packets != (uint64_t)ticks * runs ||
		    st.tx_packets < (uint64_t)ticks * runs - 2)
			die("packets lost in the bench", EPROTO);
		call_free(&cv[i]);
	}

	if (enc)
		opus_encoder_destroy(enc);
	mem_deref(mb);
	mem_deref(cv);
	qsort(us, runs, sizeof(us[0]), cmp_double);

	return us[runs / 2];
}


int main(int argc, char *argv[])
{
	unsigned ncalls = argc > 1 ? (unsigned)atoi(argv[1]) : 200;
	unsigned ticks  = argc > 2 ? (unsigned)atoi(argv[2]) : 250;
	unsigned runs   = argc > 3 ? (unsigned)atoi(argv[3]) : 5;
	const char *codecs[] = {"opus", "PCMU"};
	size_t i;
	int err;

	if (!ncalls || !ticks || !runs || runs > 16)
		die("usage: webrtc_media [calls] [ticks] [runs<=16]", EINVAL);

	err = libre_init();
	if (!err)
		err = webrtc_init();
	if (err)
		die("init", err);

	sa_set_str(&lo, "127.0.0.1", 0);
	sa_set_str(&sink_addr, "127.0.0.1", 0);
	err = udp_listen(&sink, &sink_addr, NULL, NULL);
	if (!err)
		err = udp_local_get(sink, &sink_addr);
	if (err)
		die("sink", err);

	for (i = 0; i < MEDIA_FRAME; i++)
		pcmu[i] = g711_pcm2ulaw((int16_t)(4000 * sin(i * 0.3)));

	printf("webrtc_media: %u calls, %u ticks (%.1f s of audio), "
	       "median of %u runs\n", ncalls, ticks, ticks * 0.02, runs);
	for (i = 0; i < ARRAY_SIZE(codecs); i++) {
		double us = run(codecs[i], ncalls, ticks, runs);

		printf("  browser %-4s + customer PCMU: %6.1f us CPU per call"
		       " per 20 ms tick -> %5.0f calls per core\n",
		       codecs[i], us, 20000.0 / us);
	}

	mem_deref(sink);
	webrtc_close();
	libre_close();

	return 0;
}
