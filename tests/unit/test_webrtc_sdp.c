/* Unit tests for WebRTC offers and answers (media/webrtc_sdp.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <re.h>
#include "media/mtick.h"
#include "media/webrtc.h"
#include "webrtc_fx.h"

static struct sa lo;


/* The fixture with the first `from` replaced by `to` (mem_alloc'd). */
static char *edit(const char *sdp, const char *from, const char *to)
{
	const char *at = strstr(sdp, from);
	char *out = NULL;

	assert_non_null(at);
	assert_int_equal(re_sdprintf(&out, "%b%s%s", sdp,
				     (size_t)(at - sdp), to,
				     at + strlen(from)), 0);

	return out;
}


static int answer(const char *offer, const char *codecs,
		  struct webrtc **wp, char **ans)
{
	struct webrtc_cfg cfg = {
		.laddr    = &lo,
		.port_min = 42000,
		.port_max = 42100,
		.codecs   = codecs,
	};

	*wp  = NULL;
	*ans = NULL;

	return webrtc_alloc(wp, &cfg, offer, strlen(offer), ans, NULL,
			    NULL);
}


static void has(const char *ans, const char *line)
{
	if (!strstr(ans, line))
		fail_msg("answer lacks \"%s\":\n%s", line, ans);
}


static void test_chromium_offer(void **state)
{
	struct webrtc *w;
	char *ans, want[160];
	(void)state;

	assert_int_equal(answer(chromium_offer, "opus,PCMU", &w, &ans), 0);
	assert_string_equal(webrtc_codec(w), "opus");

	re_snprintf(want, sizeof(want), "m=audio %u UDP/TLS/RTP/SAVPF 111"
		    "\r\n", webrtc_port_num(w));
	has(ans, want);
	has(ans, "a=ice-lite\r\n");
	has(ans, "a=group:BUNDLE 0\r\n");
	has(ans, "a=mid:0\r\n");
	has(ans, "a=setup:passive\r\n");
	has(ans, "a=rtcp-mux\r\n");
	has(ans, "a=rtpmap:111 opus/48000/2\r\n");
	has(ans, "a=fmtp:111 minptime=10;useinbandfec=1;"
	    "maxplaybackrate=8000;sprop-maxcapturerate=8000;"
	    "maxaveragebitrate=20000\r\n");
	has(ans, "a=fingerprint:sha-256 ");
	has(ans, "a=ice-ufrag:");
	has(ans, "a=end-of-candidates\r\n");
	re_snprintf(want, sizeof(want), "a=candidate:1 1 udp 2130706431 "
		    "127.0.0.1 %u typ host\r\n", webrtc_port_num(w));
	has(ans, want);
	assert_null(strstr(ans, "PCMU"));
	assert_null(strstr(ans, "telephone-event"));

	mem_deref(ans);
	mem_deref(w);
}


/* Our fingerprint in the answer is our certificate's, colon hex. */
static void test_answer_fingerprint(void **state)
{
	struct webrtc *w;
	char *ans;
	struct pl fp;
	(void)state;

	assert_int_equal(answer(chromium_offer, NULL, &w, &ans), 0);
	assert_int_equal(re_regex(ans, strlen(ans),
				  "a=fingerprint:sha-256 [0-9A-F:]+\r\n",
				  &fp), 0);
	assert_int_equal(fp.l, 95);

	/* an ice-pwd long enough for RFC 8445 */
	assert_int_equal(re_regex(ans, strlen(ans),
				  "a=ice-pwd:[a-zA-Z0-9]+\r\n", &fp), 0);
	assert_true(fp.l >= 22);

	mem_deref(ans);
	mem_deref(w);
}


static void test_pcmu_preferred(void **state)
{
	struct webrtc *w;
	char *ans;
	(void)state;

	assert_int_equal(answer(chromium_offer, "PCMU,opus", &w, &ans), 0);
	assert_string_equal(webrtc_codec(w), "PCMU");
	has(ans, " UDP/TLS/RTP/SAVPF 0\r\n");
	has(ans, "a=rtpmap:0 PCMU/8000\r\n");
	assert_null(strstr(ans, "opus"));

	mem_deref(ans);
	mem_deref(w);
}


/* A video m-line is refused with port 0 in its place, mid kept. */
static void test_video_refused(void **state)
{
	struct webrtc *w;
	char *offer, *ans;
	const char *a, *v;
	(void)state;

	offer = edit(chromium_offer, "a=ssrc:2662709812 cname",
		     "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
		     "c=IN IP4 0.0.0.0\r\na=mid:1\r\n"
		     "a=rtpmap:96 VP8/90000\r\na=ssrc:2662709812 cname");
	assert_int_equal(answer(offer, NULL, &w, &ans), 0);

	a = strstr(ans, "m=audio ");
	v = strstr(ans, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n");
	assert_non_null(a);
	assert_non_null(v);
	assert_true(a < v);
	has(v, "a=mid:1\r\n");

	mem_deref(ans);
	mem_deref(w);
	mem_deref(offer);
}


/* Attributes at session level count when the m-line has none. */
static void test_session_level(void **state)
{
	struct webrtc *w;
	char *o1, *o2, *ans;
	(void)state;

	o1 = edit(chromium_offer, "a=fingerprint:sha-256 " CHROMIUM_FP
		  "\r\n", "");
	o2 = edit(o1, "t=0 0\r\n", "t=0 0\r\na=fingerprint:sha-256 "
		  CHROMIUM_FP "\r\n");
	assert_int_equal(answer(o2, NULL, &w, &ans), 0);

	mem_deref(ans);
	mem_deref(w);
	mem_deref(o1);
	mem_deref(o2);
}


struct bad {
	const char *from, *to;
	const char *codecs;
	int err;
};


static void test_bad_offers(void **state)
{
	static const struct bad badv[] = {
		{"m=audio", "m=video", NULL, ENOTSUP},
		{"m=audio 9", "m=audio 0", NULL, ENOTSUP},
		{"UDP/TLS/RTP/SAVPF", "RTP/AVP", NULL, ENOTSUP},
		{"a=fingerprint:sha-256 " CHROMIUM_FP "\r\n", "", NULL,
		 EBADMSG},
		{"a=fingerprint:sha-256", "a=fingerprint:sha-1", NULL,
		 EBADMSG},
		{"53:66:03", "53:66;03", NULL, EBADMSG},
		{"53:66:03", "53:6", NULL, EBADMSG},
		{"a=ice-pwd:koMjblezfvbIROoRSd7OlDRD\r\n", "", NULL,
		 EBADMSG},
		{"a=ice-pwd:koMjblezfvbIROoRSd7OlDRD", "a=ice-pwd:short",
		 NULL, EBADMSG},
		{"a=ice-ufrag:XYNC\r\n", "", NULL, EBADMSG},
		{"a=ice-ufrag:XYNC", "a=ice-ufrag:X Y", NULL, EBADMSG},
		{"a=setup:actpass", "a=setup:passive", NULL, EBADMSG},
		{"a=setup:actpass", "a=setup:holdconn", NULL, EBADMSG},
		{"111 63 9 0 8 13 110 126", "111 9", "PCMU,PCMA", ENOTSUP},
		{"v=0", "v=1", NULL, EPROTO},
		{"m=audio 9", "m=audio 99999999", NULL, EPROTO},
		{"c=IN IP4 0.0.0.0", "c=IN IP4 x..y", NULL, EPROTO},
		{"m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
		 "m=audio 9", NULL, EPROTO},
	};
	size_t i;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(badv); i++) {
		struct webrtc *w;
		char *offer = edit(chromium_offer, badv[i].from, badv[i].to);
		char *ans;
		int err;

		err = answer(offer, badv[i].codecs, &w, &ans);
		if (err != badv[i].err)
			fail_msg("case %zu: %d, want %d", i, err,
				 badv[i].err);
		assert_null(w);
		assert_null(ans);
		mem_deref(offer);
	}
}


static void test_garbage(void **state)
{
	static const char *const gv[] = {
		"", "garbage", "v=0", "v=0\r\nm=audio\r\n",
		"\x00\x01\x02", "v=0\r\na=\x00\r\n",
	};
	struct webrtc *w;
	char *ans;
	size_t i;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(gv); i++) {
		int err = answer(gv[i], NULL, &w, &ans);

		assert_true(err == EPROTO || err == ENOTSUP);
		assert_null(w);
		assert_null(ans);
	}

	/* the length is what counts, not a terminating NUL */
	assert_int_equal(webrtc_alloc(&w, &(struct webrtc_cfg){.laddr = &lo},
				      chromium_offer, 20, &ans, NULL, NULL),
			 ENOTSUP);
	assert_int_equal(webrtc_alloc(NULL, NULL, NULL, 0, NULL, NULL,
				      NULL), EINVAL);
}


/* Every leg gets its own credentials and port. */
static void test_two_legs(void **state)
{
	struct webrtc *w1, *w2;
	char *a1, *a2;
	struct pl u1, u2;
	(void)state;

	assert_int_equal(answer(chromium_offer, NULL, &w1, &a1), 0);
	assert_int_equal(answer(chromium_offer, NULL, &w2, &a2), 0);
	assert_int_not_equal(webrtc_port_num(w1), webrtc_port_num(w2));
	assert_int_equal(re_regex(a1, strlen(a1), "a=ice-ufrag:[^\r]+",
				  &u1), 0);
	assert_int_equal(re_regex(a2, strlen(a2), "a=ice-ufrag:[^\r]+",
				  &u2), 0);
	assert_int_not_equal(pl_cmp(&u1, &u2), 0);

	mem_deref(a1);
	mem_deref(a2);
	mem_deref(w1);
	mem_deref(w2);
}


static int setup(void **state)
{
	int err;
	(void)state;

	err = libre_init();
	if (err)
		return err;

	sa_set_str(&lo, "127.0.0.1", 0);

	err = mtick_init();
	if (err)
		return err;

	return webrtc_init();
}


static int teardown(void **state)
{
	(void)state;
	webrtc_close();
	mtick_close();
	libre_close();

	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chromium_offer),
		cmocka_unit_test(test_answer_fingerprint),
		cmocka_unit_test(test_pcmu_preferred),
		cmocka_unit_test(test_video_refused),
		cmocka_unit_test(test_session_level),
		cmocka_unit_test(test_bad_offers),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_two_legs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
