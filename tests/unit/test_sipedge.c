/* The SIP edge (media/sip*.c) answering calls from a libre peer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <re.h>
#include "media/leg.h"
#include "media/sipedge.h"
#include "media/sipedge_int.h"
#include "loop.h"
#include "sippeer.h"

static void test_options(void **state)
{
	(void)state;

	assert_int_equal(p_request("OPTIONS", NULL), 200);
	assert_string_equal(own.last_counted, "resp OPTIONS 200");
	assert_true(own.counted_req >= 1);
	assert_int_equal(p_request("OPTIONS", ";transport=tcp"), 200);
	assert_int_equal(p_request("REGISTER", NULL), 405);
	assert_int_equal(p_request("FOOBAR", NULL), 501);
	assert_string_equal(own.last_counted, "resp OTHER 501");
	assert_int_equal(sipedge_calls(edge), 0);
}


static void test_accept_remote_bye(void **state)
{
	char contact[64];
	(void)state;

	call_up(NULL);
	assert_string_equal(leg_codec(own.leg), "PCMU");
	re_snprintf(contact, sizeof(contact), "<sip:openseat@127.0.0.1:%u>",
		    edge->port);
	assert_string_equal(peer.contact, contact);

	peer.sess = mem_deref(peer.sess);      /* BYE */
	assert_int_equal(wait_for(c_oclosed, 3000), 0);
	assert_int_equal(own.nclosed, 1);
	assert_int_equal(own.end.side, SIPCALL_REMOTE);
	assert_string_equal(own.reason, "bye");
	assert_int_equal(sipedge_calls(edge), 0);
	assert_true(own.counted_resp >= 2);
}


static void test_local_hangup(void **state)
{
	(void)state;

	call_up(";transport=tcp");
	sipcall_hangup(own.sc, 0, "agent");
	assert_int_equal(own.nclosed, 1);
	assert_int_equal(own.end.side, SIPCALL_LOCAL);
	assert_string_equal(own.reason, "agent");

	assert_int_equal(wait_for(c_pclosed, 3000), 0);
	assert_int_equal(peer.close_err, ECONNRESET);
	assert_non_null(strstr(peer.rx, "BYE"));

	sipcall_hangup(own.sc, 0, "again");    /* no second report */
	assert_int_equal(own.nclosed, 1);
}


static void test_reject(void **state)
{
	static const uint16_t codes[] = { 404, 480, 503 };
	size_t i;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(codes); i++) {
		peer_reset();
		own.mode  = M_REJECT;
		own.scode = codes[i];
		assert_int_equal(p_call_pcmu(NULL, NULL), 0);
		assert_int_equal(wait_for(c_pclosed, 3000), 0);
		assert_int_equal(peer.close_scode, codes[i]);
		assert_int_equal(own.nclosed, 0);
		assert_int_equal(sipedge_calls(edge), 0);
		assert_int_equal(sipcall_reject(own.sc, 404, NULL),
				 ECANCELED);
	}
}


static void test_not_acceptable(void **state)
{
	struct mbuf *sdp;
	(void)state;

	own.mode = M_ACCEPT;
	assert_int_equal(sdp_make(&sdp, 1, "18", "a=rtpmap:18 G729/8000\r\n"),
			 0);
	assert_int_equal(p_call(NULL, sdp, NULL), 0);
	mem_deref(sdp);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);
	assert_int_equal(peer.close_scode, 488);
	assert_int_equal(own.accept_err, ENOTSUP);

	peer_reset();
	sdp = mbuf_alloc(64);
	mbuf_printf(sdp, "this is not SDP\r\nm=audio x\r\n");
	sdp->pos = 0;
	assert_int_equal(p_call(NULL, sdp, NULL), 0);
	mem_deref(sdp);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);
	assert_int_equal(peer.close_scode, 488);
	assert_int_equal(own.accept_err, EPROTO);
	assert_int_equal(own.nclosed, 0);
	assert_int_equal(sipedge_calls(edge), 0);
}


static void test_challenge(void **state)
{
	(void)state;

	own.mode  = M_ACCEPT;
	own.pass  = "secret";
	peer.user = "alice";
	peer.pass = "secret";
	assert_int_equal(p_call_pcmu(NULL, NULL), 0);
	assert_int_equal(wait_for(c_estab, 3000), 0);
	assert_int_equal(own.ninvite, 2);
	assert_int_equal(own.digest_err, 0);
	assert_non_null(strstr(peer.rx, "401"));

	peer_reset();
	own.ninvite = 0;
	peer.pass = "wrong";
	assert_int_equal(p_call_pcmu(NULL, NULL), 0);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);
	assert_int_equal(own.digest_err, EACCES);
	assert_int_equal(peer.close_scode, 403);
}


static void test_cancel_early(void **state)
{
	(void)state;

	own.mode = M_EARLY;
	assert_int_equal(p_call_pcmu(NULL, NULL), 0);
	assert_int_equal(wait_for(c_progress, 3000), 0);

	peer.sess = mem_deref(peer.sess);      /* CANCEL */
	assert_int_equal(wait_for(c_cancelled, 3000), 0);
	assert_int_equal(own.end.side, SIPCALL_REMOTE);
	assert_int_equal(own.end.scode, 487);
	assert_string_equal(own.reason, "cancel");
	assert_int_equal(sipedge_calls(edge), 0);
}


static void test_early_then_answer(void **state)
{
	(void)state;

	own.mode = M_EARLY;
	assert_int_equal(p_call_pcmu(NULL, NULL), 0);
	assert_int_equal(wait_for(c_progress, 3000), 0);
	assert_int_equal(own.nestab, 0);

	assert_int_equal(sipcall_answer(own.sc), 0);
	assert_int_equal(wait_for(c_estab, 3000), 0);
	assert_int_equal(sipcall_answer(own.sc), EALREADY);
}


static void test_reinvite_hold(void **state)
{
	struct mbuf *sdp;
	(void)state;

	call_up(NULL);
	assert_false(leg_on_hold(own.leg));

	peer.answered = false;
	assert_int_equal(sdp_make(&sdp, 2, "0", PCMU "a=sendonly\r\n"), 0);
	assert_int_equal(sipsess_modify(peer.sess, sdp), 0);
	mem_deref(sdp);
	assert_int_equal(wait_for(c_answered, 3000), 0);
	assert_true(leg_on_hold(own.leg));

	peer.answered = false;
	assert_int_equal(sdp_make(&sdp, 3, "0", PCMU), 0);
	assert_int_equal(sipsess_modify(peer.sess, sdp), 0);
	mem_deref(sdp);
	assert_int_equal(wait_for(c_answered, 3000), 0);
	assert_false(leg_on_hold(own.leg));

	/* codec change: the new offer has only A-law */
	peer.answered = false;
	assert_int_equal(sdp_make(&sdp, 4, "8", "a=rtpmap:8 PCMA/8000\r\n"),
			 0);
	assert_int_equal(sipsess_modify(peer.sess, sdp), 0);
	mem_deref(sdp);
	assert_int_equal(wait_for(c_answered, 3000), 0);
	assert_string_equal(leg_codec(own.leg), "PCMA");
	assert_int_equal(own.nclosed, 0);
}


static void test_no_sdp_invite(void **state)
{
	(void)state;

	own.mode = M_ACCEPT;
	assert_int_equal(p_call(NULL, NULL, NULL), 0);
	assert_int_equal(wait_for(c_estab, 3000), 0);
	assert_string_equal(leg_codec(own.leg), "PCMU");
}


static void test_session_timer(void **state)
{
	(void)state;

	edge->session_expires = 1;
	own.mode = M_ACCEPT;
	assert_int_equal(p_call_pcmu(NULL, "Supported: timer\r\n"
				     "Session-Expires: 1;refresher=uac\r\n"),
			 0);
	assert_int_equal(wait_for(c_estab, 3000), 0);
	assert_true(peer.se_hdr);
	assert_int_equal(own.nclosed, 0);

	assert_int_equal(wait_for(c_both_closed, 3000), 0);
	assert_int_equal(own.end.side, SIPCALL_LOCAL);
	assert_string_equal(own.reason, "session_timer");
	assert_non_null(strstr(peer.rx, "BYE"));
}


static bool c_update_ok(void);
static uint16_t update_code;
static bool c_update_ok(void) { return update_code != 0; }


static void upd_h(int err, const struct sip_msg *msg, void *arg)
{
	(void)arg;
	update_code = err ? 1 : msg->scode;
	poke();
}


static void test_session_refresh(void **state)
{
	int i;
	(void)state;

	edge->session_expires = 1;
	own.mode = M_ACCEPT;
	assert_int_equal(p_call_pcmu(NULL, "Supported: timer\r\n"), 0);
	assert_int_equal(wait_for(c_estab, 3000), 0);
	assert_true(peer.se_hdr);

	/* refresh with UPDATE every 600 ms for 2.4 s: the call stays */
	for (i = 0; i < 4; i++) {
		(void)loop_run(600);
		update_code = 0;
		assert_int_equal(sip_drequestf(NULL, peer.sip, true, "UPDATE",
					       sipsess_dialog(peer.sess), 0,
					       NULL, NULL, upd_h, NULL,
					       "Supported: timer\r\n"
					       "Content-Length: 0\r\n\r\n"),
				 0);
		assert_int_equal(wait_for(c_update_ok, 2000), 0);
		assert_int_equal(update_code, 200);
	}
	assert_int_equal(own.nclosed, 0);
}


/* A refresh by re-INVITE gets a 200 without Session-Expires: off. */
static void test_session_reinvite(void **state)
{
	struct mbuf *sdp;
	(void)state;

	edge->session_expires = 1;
	own.mode = M_ACCEPT;
	assert_int_equal(p_call_pcmu(NULL, "Supported: timer\r\n"), 0);
	assert_int_equal(wait_for(c_estab, 3000), 0);
	assert_true(peer.se_hdr);

	peer.answered = false;
	assert_int_equal(sdp_make(&sdp, 2, "0", PCMU), 0);
	assert_int_equal(sipsess_modify(peer.sess, sdp), 0);
	mem_deref(sdp);
	assert_int_equal(wait_for(c_answered, 3000), 0);

	assert_int_equal(wait_for(c_oclosed, 2500), ETIMEDOUT);
	assert_int_equal(own.nclosed, 0);
}


static void test_pending_timeout(void **state)
{
	struct sipcall_handlers h = { o_estab, NULL, o_closed, NULL };
	struct leg *leg;
	(void)state;

	sipedge_pending_set(edge, 200);
	own.mode = M_NONE;
	assert_int_equal(p_call_pcmu(NULL, NULL), 0);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);
	assert_int_equal(peer.close_scode, 500);
	assert_int_equal(sipedge_calls(edge), 0);

	assert_int_equal(leg_new(&leg), 0);
	assert_int_equal(sipcall_accept(own.sc, leg, false, &h), ECANCELED);
	mem_deref(leg);
}


static bool c_offered(void) { return peer.offers > 0; }


/* A re-INVITE without SDP: our offer in the 200, the answer in ACK. */
static void test_reinvite_no_sdp(void **state)
{
	(void)state;

	call_up(NULL);
	assert_int_equal(sipsess_modify(peer.sess, NULL), 0);
	assert_int_equal(wait_for(c_offered, 3000), 0);
	(void)loop_run(100);
	assert_int_equal(own.nclosed, 0);
	assert_string_equal(leg_codec(own.leg), "PCMU");
	assert_false(leg_on_hold(own.leg));
}


static bool c_trying(void) { return strstr(peer.rx, "100") != NULL; }


static void test_cancel_pending(void **state)
{
	struct sipcall_handlers h = { o_estab, NULL, o_closed, NULL };
	struct leg *leg;
	(void)state;

	own.mode = M_NONE;
	assert_int_equal(p_call_pcmu(NULL, NULL), 0);
	assert_int_equal(wait_for(c_trying, 3000), 0);
	assert_int_equal(sipedge_calls(edge), 1);

	peer.sess = mem_deref(peer.sess);      /* CANCEL */
	assert_int_equal(wait_for(c_cancelled_pending, 3000), 0);
	assert_int_equal(sipedge_calls(edge), 0);

	/* the owner's late answer finds the caller gone */
	assert_int_equal(leg_new(&leg), 0);
	assert_int_equal(sipcall_accept(own.sc, leg, false, &h), ECANCELED);
	assert_int_equal(sipcall_reject(own.sc, 404, NULL), ECANCELED);
	mem_deref(leg);
	assert_int_equal(own.nclosed, 0);
}


static void test_bad_extension(void **state)
{
	(void)state;

	own.mode = M_ACCEPT;
	assert_int_equal(p_call_pcmu(NULL, "Require: 100rel\r\n"), 0);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);
	assert_int_equal(peer.close_scode, 420);
	assert_int_equal(own.ninvite, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_options),
		T(test_accept_remote_bye),
		T(test_local_hangup),
		T(test_reject),
		T(test_not_acceptable),
		T(test_challenge),
		T(test_cancel_early),
		T(test_cancel_pending),
		T(test_early_then_answer),
		T(test_reinvite_hold),
		T(test_reinvite_no_sdp),
		T(test_no_sdp_invite),
		T(test_bad_extension),
		T(test_session_timer),
		T(test_session_refresh),
		T(test_session_reinvite),
		T(test_pending_timeout),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
