/*
 * Unit tests for WebRTC legs (media/webrtc*.c) against a browser written
 * with libre (webrtc_peer.c) over loopback: ICE checks, DTLS-SRTP with
 * the offer's fingerprint, SRTP audio both ways through a mixer, RTCP,
 * strict source, replay and consent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mixer.h"
#include "media/webrtc.h"
#include "webrtc_peer.h"
#include "loop.h"
#include "tone.h"

/* The server side: a leg in a mixer with a tone and a meter. */
struct call {
	struct webrtc *w;
	struct mixer *mx;
	struct mport *tone;
	struct mport *meter;
	char *answer;
	enum webrtc_event evv[4];
	char reason[64];
	unsigned nev;
	bool free_on_event;
	unsigned want_rejected;  /**< for rejected(), 0 means 1         */
	uint32_t phase;
	unsigned loud;           /**< frames the meter heard aloud     */
};

static struct sa lo;
static struct tls *tls_gcm;    /* a browser offering both profiles  */
static struct tls *tls_cm;     /* one offering AES-CM only          */
static struct tls *tls_plain;  /* one offering no SRTP at all       */

static void event_h(enum webrtc_event ev, const char *reason, void *arg)
{
	struct call *c = arg;

	if (c->nev < ARRAY_SIZE(c->evv))
		c->evv[c->nev++] = ev;
	str_ncpy(c->reason, reason, sizeof(c->reason));
	if (c->free_on_event)
		c->w = mem_deref(c->w);
}


static bool tone_read(int16_t *frame, void *arg)
{
	struct call *c = arg;

	tone_fill(frame, MEDIA_FRAME, 1000, &c->phase);

	return true;
}


static void meter_write(const int16_t *frame, bool silent, void *arg)
{
	struct call *c = arg;

	if (!silent && tone_loud(frame, MEDIA_FRAME))
		++c->loud;
}


static void call_alloc(struct call *c, const char *offer,
		       const char *codecs, uint32_t timeout_ms)
{
	struct webrtc_cfg cfg = {
		.laddr      = &lo,
		.port_min   = 43000,
		.port_max   = 43100,
		.codecs     = codecs,
		.timeout_ms = timeout_ms,
	};

	memset(c, 0, sizeof(*c));
	assert_int_equal(webrtc_alloc(&c->w, &cfg, offer, strlen(offer),
				      &c->answer, event_h, c), 0);
	assert_int_equal(mixer_alloc(&c->mx), 0);
	assert_int_equal(webrtc_attach(c->w, c->mx), 0);
	assert_int_equal(mport_alloc(&c->tone, c->mx, "tone", tone_read,
				     NULL, c), 0);
	assert_int_equal(mport_alloc(&c->meter, c->mx, "meter", NULL,
				     meter_write, c), 0);
	mport_hear(webrtc_port(c->w), c->tone, true);
	mport_hear(c->meter, webrtc_port(c->w), true);
}


static void call_close(struct call *c)
{
	mem_deref(c->tone);
	mem_deref(c->meter);
	mem_deref(c->w);
	mem_deref(c->mx);
	mem_deref(c->answer);
}


static bool has_event(void *arg)
{
	return ((struct call *)arg)->nev > 0;
}


static bool rejected(void *arg)
{
	const struct call *c = arg;
	struct webrtc_stats st;

	webrtc_stats_get(c->w, &st);

	return st.rx_rejected >= (c->want_rejected ? c->want_rejected : 1);
}


static bool checked(void *arg)
{
	const struct wpeer *p = arg;

	return p->stun_ok + p->stun_401 > 0;
}


static bool wpeer_estab(void *arg)
{
	return ((struct wpeer *)arg)->estab;
}


/*
 * The browser offers (with its own fingerprint, or another one if
 * bad_fp) and takes the answer.
 */
static void negotiate(struct call *c, struct wpeer *p, struct tls *tls,
		      bool bad_fp, const char *codecs, uint32_t timeout_ms)
{
	char *offer = NULL, *fp;

	assert_int_equal(wpeer_alloc(p, tls, &lo), 0);
	assert_int_equal(wpeer_offer(p, &offer), 0);
	if (bad_fp) {
		/* another certificate's: flip one hex digit */
		fp = strstr(offer, "sha-256 ") + 8;
		*fp = *fp == 'A' ? 'B' : 'A';
	}
	call_alloc(c, offer, codecs, timeout_ms);
	mem_deref(offer);
	assert_int_equal(wpeer_answer(p, c->answer), 0);
}


/* Offer, answer, one good ICE check with USE-CANDIDATE, DTLS. */
static void connect_peer(struct call *c, struct wpeer *p, struct tls *tls,
			 const char *codecs, uint32_t timeout_ms)
{
	negotiate(c, p, tls, false, codecs, timeout_ms);
	assert_int_equal(wpeer_check(p, p->us, p->spwd, true), 0);
	assert_true(loop_until(checked, p, 2000));
	assert_int_equal(p->stun_ok, 1);
	assert_int_equal(wpeer_dtls(p), 0);
}


struct both {
	struct call *c;
	struct wpeer *p;
	unsigned n;
};


static bool audio_both_ways(void *arg)
{
	const struct both *b = arg;

	return b->c->loud >= b->n && b->p->rx_loud >= b->n;
}


static void run_call(struct tls *tls, const char *codecs, const char *name)
{
	struct call c;
	struct wpeer p;
	struct both b = {&c, &p, 10};
	struct webrtc_stats st;

	connect_peer(&c, &p, tls, codecs, 0);
	assert_true(loop_until(has_event, &c, 5000));
	assert_int_equal(c.evv[0], WEBRTC_ESTABLISHED);
	assert_true(loop_until(wpeer_estab, &p, 2000));
	assert_string_equal(webrtc_codec(c.w), name);

	wpeer_talk(&p, true);
	assert_true(loop_until(audio_both_ways, &b, 5000));
	wpeer_talk(&p, false);

	webrtc_stats_get(c.w, &st);
	assert_true(st.rx_packets >= 10);
	assert_true(st.tx_packets >= 10);
	assert_int_equal(st.rx_rejected, 0);
	assert_int_equal(st.rx_lost, 0);

	wpeer_close(&p);
	call_close(&c);
}


static void test_opus_gcm(void **state)
{
	(void)state;
	run_call(tls_gcm, "opus,PCMU", "opus");
}


static void test_pcmu_aes_cm(void **state)
{
	(void)state;
	run_call(tls_cm, "PCMU", "PCMU");
}


/* A check with the wrong password: 401, and the source is not latched
 * (DTLS from it is dropped). */
static void test_ice_auth(void **state)
{
	struct webrtc_stats st;
	struct call c;
	struct wpeer p;
	struct mbuf *mb;
	(void)state;

	negotiate(&c, &p, tls_gcm, false, NULL, 0);
	assert_int_equal(wpeer_check(&p, p.us, "wrongwrongwrongwrongwrong",
				     true),
			 0);
	assert_true(loop_until(checked, &p, 2000));
	assert_int_equal(p.stun_401, 1);
	assert_int_equal(p.stun_ok, 0);

	/* a DTLS record from the unvalidated address is dropped */
	mb = mbuf_alloc(32);
	assert_non_null(mb);
	mbuf_write_u8(mb, 22);
	mbuf_fill(mb, 0xfe, 20);
	mb->pos = 0;
	assert_int_equal(udp_send(p.us, &p.server, mb), 0);
	mem_deref(mb);
	assert_true(loop_until(rejected, &c, 2000));
	webrtc_stats_get(c.w, &st);
	assert_int_equal(st.rx_rejected, 1);

	/* the right password: success with the mapped address */
	assert_int_equal(wpeer_check(&p, p.us, p.spwd, false), 0);
	p.stun_401 = 0;
	assert_true(loop_until(checked, &p, 2000));
	assert_int_equal(p.stun_ok, 1);
	{
		struct sa local;

		assert_int_equal(udp_local_get(p.us, &local), 0);
		assert_true(sa_cmp(&p.mapped, &local, SA_ALL));
	}

	assert_int_equal(c.nev, 0);
	wpeer_close(&p);
	call_close(&c);
}


/* The client's certificate is not the one the offer named. */
static void test_fingerprint_mismatch(void **state)
{
	struct webrtc_stats st;
	struct call c;
	struct wpeer p;
	(void)state;

	negotiate(&c, &p, tls_gcm, true, NULL, 0);
	assert_int_equal(wpeer_check(&p, p.us, p.spwd, true), 0);
	assert_true(loop_until(checked, &p, 2000));
	assert_int_equal(wpeer_dtls(&p), 0);

	assert_true(loop_until(has_event, &c, 5000));
	assert_int_equal(c.evv[0], WEBRTC_FAILED);
	assert_non_null(strstr(c.reason, "fingerprint"));

	/* whatever the client sends, no audio is delivered */
	if (loop_until(wpeer_estab, &p, 1000) && p.tx) {
		wpeer_talk(&p, true);
		(void)loop_run(300);
		wpeer_talk(&p, false);
	}
	webrtc_stats_get(c.w, &st);
	assert_int_equal(st.rx_packets, 0);
	assert_int_equal(c.loud, 0);
	assert_int_equal(p.rx_rtp, 0);

	wpeer_close(&p);
	call_close(&c);
}


/* A browser that negotiates no SRTP profile fails the call. */
static void test_no_srtp_profile(void **state)
{
	struct call c;
	struct wpeer p;
	(void)state;

	connect_peer(&c, &p, tls_plain, NULL, 0);
	assert_true(loop_until(has_event, &c, 5000));
	assert_int_equal(c.evv[0], WEBRTC_FAILED);
	assert_non_null(strstr(c.reason, "SRTP"));

	wpeer_close(&p);
	call_close(&c);
}


static bool rx_n(void *arg)
{
	struct webrtc_stats st;

	webrtc_stats_get(((struct both *)arg)->c->w, &st);

	return st.rx_packets >= ((struct both *)arg)->n;
}


/* SRTP from another port, and a replayed packet: dropped, counted. */
static void test_source_and_replay(void **state)
{
	struct webrtc_stats st;
	struct call c;
	struct wpeer p;
	struct both b = {&c, &p, 3};
	(void)state;

	connect_peer(&c, &p, tls_gcm, NULL, 0);
	assert_true(loop_until(has_event, &c, 5000));
	assert_int_equal(c.evv[0], WEBRTC_ESTABLISHED);
	assert_true(loop_until(wpeer_estab, &p, 2000));

	assert_int_equal(wpeer_send(&p, p.us), 0);
	assert_int_equal(wpeer_send(&p, p.us), 0);
	assert_int_equal(wpeer_send(&p, p.us), 0);
	assert_true(loop_until(rx_n, &b, 2000));

	/* valid SRTP, right keys, wrong source port */
	assert_int_equal(wpeer_send(&p, p.us2), 0);
	assert_true(loop_until(rejected, &c, 2000));
	webrtc_stats_get(c.w, &st);
	assert_int_equal(st.rx_packets, 3);
	assert_int_equal(st.rx_rejected, 1);

	/* a packet accepted once, then again byte for byte: a replay */
	assert_int_equal(wpeer_send(&p, p.us), 0);
	b.n = 4;
	assert_true(loop_until(rx_n, &b, 2000));
	assert_int_equal(wpeer_resend_last(&p), 0);
	c.want_rejected = 2;
	assert_true(loop_until(rejected, &c, 2000));
	webrtc_stats_get(c.w, &st);
	assert_int_equal(st.rx_packets, 4);
	assert_int_equal(st.rx_rejected, 2);

	wpeer_close(&p);
	call_close(&c);
}


static unsigned want_ok;


static bool checked_n(void *arg)
{
	const struct wpeer *p = arg;

	return p->stun_ok >= want_ok;
}


/*
 * The first authenticated check latches its source (us2), USE-CANDIDATE
 * from another (us) moves the peer there; a later check without it from
 * us2 does not move it back. DTLS and SRTP follow the nominated source.
 */
static void test_nomination_moves_peer(void **state)
{
	struct webrtc_stats st;
	struct call c;
	struct wpeer p;
	struct both b = {&c, &p, 1};
	(void)state;

	negotiate(&c, &p, tls_gcm, false, NULL, 0);
	assert_int_equal(wpeer_check(&p, p.us2, p.spwd, false), 0);
	assert_true(loop_until(checked, &p, 2000));
	assert_int_equal(wpeer_check(&p, p.us, p.spwd, true), 0);
	want_ok = 2;
	assert_true(loop_until(checked_n, &p, 2000));
	assert_int_equal(wpeer_check(&p, p.us2, p.spwd, false), 0);
	want_ok = 3;
	assert_true(loop_until(checked_n, &p, 2000));

	assert_int_equal(wpeer_dtls(&p), 0);
	assert_true(loop_until(has_event, &c, 5000));
	assert_int_equal(c.evv[0], WEBRTC_ESTABLISHED);
	assert_true(loop_until(wpeer_estab, &p, 2000));

	assert_int_equal(wpeer_send(&p, p.us), 0);
	assert_true(loop_until(rx_n, &b, 2000));
	assert_int_equal(wpeer_send(&p, p.us2), 0);
	assert_true(loop_until(rejected, &c, 2000));
	webrtc_stats_get(c.w, &st);
	assert_int_equal(st.rx_packets, 1);

	wpeer_close(&p);
	call_close(&c);
}


static bool got_rr(void *arg)
{
	struct webrtc_stats st;

	webrtc_stats_get(((struct call *)arg)->w, &st);

	return st.loss_pct > 0;
}


static bool got_sr(void *arg)
{
	return ((struct wpeer *)arg)->rx_sr > 0;
}


/* Our SR reaches the browser; its RR gives loss, jitter and RTT. */
static void test_rtcp(void **state)
{
	struct webrtc_stats st, tot;
	struct call c;
	struct wpeer p;
	struct both b = {&c, &p, 5};
	(void)state;

	connect_peer(&c, &p, tls_gcm, NULL, 0);
	assert_true(loop_until(has_event, &c, 5000));
	assert_true(loop_until(wpeer_estab, &p, 2000));
	wpeer_talk(&p, true);
	assert_true(loop_until(audio_both_ways, &b, 5000));

	/* 64/256 lost, 480 units of 48 kHz jitter, LSR 150 ms ago */
	assert_int_equal(wpeer_send_rr(&p, 64, 480, 150), 0);
	assert_true(loop_until(got_rr, &c, 2000));
	webrtc_stats_get(c.w, &st);
	assert_true(fabs(st.loss_pct - 25.0) < 0.01);
	assert_true(fabs(st.peer_jitter_ms - 10.0) < 0.01);
	assert_true(st.rtt_ms > 140 && st.rtt_ms < 2000);

	webrtc_totals(&tot);
	assert_true(tot.rx_packets >= st.rx_packets);
	assert_true(tot.loss_pct > 0);

	/* the first report goes out 5 s after the answer */
	assert_true(loop_until(got_sr, &p, 7000));
	assert_int_equal(p.rx_rr_blocks, p.rx_sr);
	wpeer_talk(&p, false);

	wpeer_close(&p);
	call_close(&c);
}


/* No consent checks and no media: WEBRTC_TIMEOUT; the owner frees. */
static void test_consent_timeout(void **state)
{
	struct call c;
	struct wpeer p;
	(void)state;

	connect_peer(&c, &p, tls_gcm, NULL, 1000);
	assert_true(loop_until(has_event, &c, 5000));
	assert_int_equal(c.evv[0], WEBRTC_ESTABLISHED);

	c.free_on_event = true;
	c.nev = 0;
	assert_true(loop_until(has_event, &c, 4000));
	assert_int_equal(c.evv[0], WEBRTC_TIMEOUT);
	assert_null(c.w);

	wpeer_close(&p);
	call_close(&c);
}


/* Consent checks keep an idle leg alive. */
static void test_consent_kept(void **state)
{
	struct call c;
	struct wpeer p;
	unsigned i;
	(void)state;

	connect_peer(&c, &p, tls_gcm, NULL, 1000);
	assert_true(loop_until(has_event, &c, 5000));
	assert_int_equal(c.evv[0], WEBRTC_ESTABLISHED);

	/* 1.5 s without media, a check every 100 ms */
	for (i = 0; i < 15; i++) {
		assert_int_equal(wpeer_check(&p, p.us, p.spwd, false), 0);
		(void)loop_run(100);
	}
	assert_int_equal(c.nev, 1);

	wpeer_close(&p);
	call_close(&c);
}


static int tls_client(struct tls **tlsp, const char *srtp)
{
	int err = tls_alloc(tlsp, TLS_METHOD_DTLS, NULL, NULL);

	if (!err)
		err = tls_set_selfsigned_rsa(*tlsp, "browser", 2048);
	if (!err && srtp)
		err = tls_set_srtp(*tlsp, srtp);

	return err;
}


static int setup(void **state)
{
	int err;
	(void)state;

	err = libre_init();
	if (err)
		return err;

	sa_set_str(&lo, "127.0.0.1", 0);

	err  = mtick_init();
	err |= webrtc_init();
	err |= tls_client(&tls_gcm, "SRTP_AEAD_AES_128_GCM:"
			  "SRTP_AES128_CM_SHA1_80");
	err |= tls_client(&tls_cm, "SRTP_AES128_CM_SHA1_80");
	err |= tls_client(&tls_plain, NULL);

	return err;
}


static int teardown(void **state)
{
	(void)state;
	tls_gcm   = mem_deref(tls_gcm);
	tls_cm    = mem_deref(tls_cm);
	tls_plain = mem_deref(tls_plain);
	webrtc_close();
	mtick_close();
	libre_close();

	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opus_gcm),
		cmocka_unit_test(test_pcmu_aes_cm),
		cmocka_unit_test(test_ice_auth),
		cmocka_unit_test(test_fingerprint_mismatch),
		cmocka_unit_test(test_no_srtp_profile),
		cmocka_unit_test(test_source_and_replay),
		cmocka_unit_test(test_nomination_moves_peer),
		cmocka_unit_test(test_rtcp),
		cmocka_unit_test(test_consent_timeout),
		cmocka_unit_test(test_consent_kept),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
