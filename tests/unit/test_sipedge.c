/* Unit tests for the SIP edge (media/sip*.c) against a libre peer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/leg.h"
#include "media/sipedge.h"
#include "media/sipedge_int.h"
#include "loop.h"

#define SDP_FMT "v=0\r\no=- 1 %u IN IP4 127.0.0.1\r\ns=-\r\n" \
	"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %u RTP/AVP %s\r\n%s"
#define PCMU "a=rtpmap:0 PCMU/8000\r\n"

enum mode { M_NONE = 0, M_REJECT, M_CHALLENGE, M_ACCEPT, M_EARLY };

/* The edge's owner: what it does with an INVITE and what it saw. */
struct owner {
	enum mode mode;
	uint16_t scode;              /**< for M_REJECT                   */
	const char *pass;            /**< digest: checked when set       */
	int digest_err;
	int accept_err;
	unsigned ninvite, nestab, nclosed;
	uint16_t progress;
	struct sipcall_end end;
	char reason[32];
	struct sipcall *sc;          /**< (ref) the last call            */
	struct leg *leg;             /**< (ref)                          */
	unsigned counted_req, counted_resp;
	char last_counted[64];
};

/* The far end: a second libre stack. */
struct peer {
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sipsess *sess;        /**< (ref)                          */
	struct sa laddr;
	const char *user, *pass;
	bool estab, answered, closed, se_hdr;
	char contact[128];           /**< in the 200 of our INVITE      */
	unsigned offers;             /**< offers we were asked to answer */
	int close_err;
	uint16_t close_scode, progress;
	char rx[512];                /**< "INVITE 183 BYE 200 ..."       */
	/* as a callee, for outbound calls */
	uint16_t callee_scode;
	bool challenge;
	struct sipsess *in;          /**< (ref)                          */
	bool got_auth;
};

static struct sa lo;
static struct sipedge *edge;
static struct owner own;
static struct peer peer;
static bool (*want)(void);
static uint16_t rtp_base = 31000;


static void poke(void)
{
	if (want && want())
		re_cancel();
}


static int wait_for(bool (*cond)(void), unsigned ms)
{
	if (cond())
		return 0;

	want = cond;
	(void)loop_run(ms);
	want = NULL;

	return cond() ? 0 : ETIMEDOUT;
}


/* --- the owner ----------------------------------------------------- */

static void o_estab(void *arg)
{
	(void)arg;
	++own.nestab;
	poke();
}


static void o_closed(const struct sipcall_end *end, void *arg)
{
	(void)arg;
	++own.nclosed;
	own.end = *end;
	str_ncpy(own.reason, end->reason ? end->reason : "",
		 sizeof(own.reason));
	poke();
}


static int leg_new(struct leg **legp)
{
	struct leg_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr    = &lo;
	cfg.port_min = rtp_base;
	cfg.port_max = rtp_base + 200;
	cfg.codecs   = "PCMU,PCMA";

	return leg_alloc(legp, &cfg, NULL, NULL, NULL);
}


static int o_accept(struct sipcall *sc, bool early)
{
	struct sipcall_handlers h = { o_estab, NULL, o_closed, NULL };

	own.leg = mem_deref(own.leg);
	assert_int_equal(leg_new(&own.leg), 0);

	return sipcall_accept(sc, own.leg, early, &h);
}


static void o_invite(struct sipcall *sc, const struct sip_msg *msg,
		     void *arg)
{
	(void)arg;
	++own.ninvite;
	mem_deref(own.sc);
	own.sc = mem_ref(sc);

	if (own.pass) {
		own.digest_err = sipedge_digest_check(msg, "openseat", "alice",
						      own.pass);
		if (own.digest_err == ENOENT) {
			assert_int_equal(sipcall_challenge(sc, "openseat"), 0);
			goto out;
		}
		if (own.digest_err) {
			assert_int_equal(sipcall_reject(sc, 403, NULL), 0);
			goto out;
		}
	}

	switch (own.mode) {

	case M_REJECT:
		assert_int_equal(sipcall_reject(sc, own.scode, NULL), 0);
		break;

	case M_CHALLENGE:
		assert_int_equal(sipcall_challenge(sc, "openseat"), 0);
		break;

	case M_ACCEPT:
	case M_EARLY:
		own.accept_err = o_accept(sc, own.mode == M_EARLY);
		break;

	default:
		break;
	}

 out:
	poke();
}


static void o_count(bool request, const char *method, uint16_t scode,
		    void *arg)
{
	(void)arg;

	if (request)
		++own.counted_req;
	else
		++own.counted_resp;

	re_snprintf(own.last_counted, sizeof(own.last_counted), "%s %s %u",
		    request ? "req" : "resp", method, scode);
}


/* --- the peer ------------------------------------------------------ */

static void p_trace(bool tx, enum sip_transp tp, const struct sa *src,
		    const struct sa *dst, const uint8_t *pkt, size_t len,
		    void *arg)
{
	struct peer *p = arg;
	char tok[16];
	size_t n = strlen(p->rx);
	(void)tp;
	(void)src;
	(void)dst;

	if (tx || len < 12)
		return;

	if (!memcmp(pkt, "SIP/2.0 ", 8)) {
		re_snprintf(tok, sizeof(tok), "%b", pkt + 8, (size_t)3);
	}
	else {
		const uint8_t *sp = memchr(pkt, ' ', MIN(len, sizeof(tok)));

		re_snprintf(tok, sizeof(tok), "%b", pkt,
			    sp ? (size_t)(sp - pkt) : (size_t)0);
	}

	re_snprintf(p->rx + n, sizeof(p->rx) - n, "%s ", tok);
}


static int sdp_make(struct mbuf **mbp, unsigned ver, const char *pt,
		    const char *attrs);


/* Offered SDP in a 200 (our INVITE had none): answer PCMU. */
static int p_offer(struct mbuf **descp, const struct sip_msg *msg,
		   void *arg)
{
	struct peer *p = arg;
	(void)msg;

	++p->offers;
	poke();

	return sdp_make(descp, 5 + p->offers, "0", PCMU);
}


static int p_answer(const struct sip_msg *msg, void *arg)
{
	struct peer *p = arg;
	(void)msg;

	p->answered = true;
	poke();

	return 0;
}


static void p_progress(const struct sip_msg *msg, void *arg)
{
	struct peer *p = arg;

	p->progress = msg->scode;
	poke();
}


static void p_estab(const struct sip_msg *msg, void *arg)
{
	struct peer *p = arg;

	p->estab = true;
	p->se_hdr = sip_msg_hdr(msg, SIP_HDR_SESSION_EXPIRES) != NULL;
	if (sip_msg_hdr(msg, SIP_HDR_CONTACT))
		re_snprintf(p->contact, sizeof(p->contact), "%r",
			    &sip_msg_hdr(msg, SIP_HDR_CONTACT)->val);
	poke();
}


static void p_close(int err, const struct sip_msg *msg, void *arg)
{
	struct peer *p = arg;

	p->closed = true;
	p->close_err = err;
	p->close_scode = msg ? msg->scode : 0;
	poke();
}


static int p_auth(char **user, char **pass, const char *realm, void *arg)
{
	struct peer *p = arg;
	(void)realm;

	if (!p->user)
		return EAUTH;

	return str_dup(user, p->user) | str_dup(pass, p->pass);
}


static int sdp_make(struct mbuf **mbp, unsigned ver, const char *pt,
		    const char *attrs)
{
	struct mbuf *mb = mbuf_alloc(256);

	if (!mb)
		return ENOMEM;

	mbuf_printf(mb, SDP_FMT, ver, 40000, pt, attrs);
	mb->pos = 0;
	*mbp = mb;

	return 0;
}


/* The peer calls the edge; body may be NULL for "no SDP". */
static int p_call(const char *transp, struct mbuf *body, const char *hdrs)
{
	char uri[128];
	struct sa ea;

	assert_int_equal(sip_transp_laddr(edge->sip, &ea, SIP_TRANSP_UDP,
					  NULL), 0);
	re_snprintf(uri, sizeof(uri), "sip:100@127.0.0.1:%u%s",
		    sa_port(&ea) + (transp && strstr(transp, "tls") ? 1 : 0),
		    transp ? transp : "");

	return sipsess_connect(&peer.sess, peer.sock, uri, "Peer",
			       "sip:peer@127.0.0.1", "peer", NULL, 0,
			       "application/sdp", body, p_auth, &peer, false,
			       p_offer, p_answer, p_progress, p_estab, NULL,
			       NULL, p_close, &peer, hdrs);
}


static int p_call_pcmu(const char *transp, const char *hdrs)
{
	struct mbuf *sdp;
	int err;

	assert_int_equal(sdp_make(&sdp, 1, "0", PCMU), 0);
	err = p_call(transp, sdp, hdrs);
	mem_deref(sdp);

	return err;
}


/* As a callee (outbound tests): challenge once, then scode. */
static void p_connh(const struct sip_msg *msg, void *arg)
{
	struct peer *p = arg;
	struct mbuf *sdp;
	int err;

	if (p->challenge && !sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION)) {
		(void)sip_treplyf(NULL, NULL, p->sip, msg, false, 401,
				  "Unauthorized",
				  "WWW-Authenticate: Digest realm=\"carrier\","
				  " nonce=\"0123456789abcdef\"\r\n"
				  "Content-Length: 0\r\n\r\n");
		return;
	}

	p->got_auth = sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION) != NULL;

	if (p->callee_scode == 183) {
		assert_int_equal(sdp_make(&sdp, 1, "0", PCMU), 0);
		err = sipsess_accept(&p->in, p->sock, msg, 183,
				     "Session Progress", "peer",
				     "application/sdp", sdp, NULL, NULL, false,
				     p_offer, p_answer, p_estab, NULL, NULL,
				     p_close, p, NULL);
		mem_deref(sdp);
		assert_int_equal(err, 0);
		return;
	}

	if (p->callee_scode == 180) {
		err = sipsess_accept(&p->in, p->sock, msg, 180, "Ringing",
				     "peer", "application/sdp", NULL, NULL,
				     NULL, false, p_offer, p_answer, p_estab,
				     NULL, NULL, p_close, p, NULL);
		assert_int_equal(err, 0);
		return;
	}

	if (p->callee_scode >= 300) {
		(void)sip_treply(NULL, p->sip, msg, p->callee_scode, "No");
		return;
	}

	assert_int_equal(sdp_make(&sdp, 1, "0", PCMU), 0);
	assert_int_equal(sipsess_accept(&p->in, p->sock, msg, 200, "OK",
					"peer", "application/sdp", sdp,
					NULL, NULL, false, p_offer, p_answer,
					p_estab, NULL, NULL, p_close, p,
					NULL), 0);
	mem_deref(sdp);
}


/* --- conditions ---------------------------------------------------- */

static bool c_estab(void) { return peer.estab && own.nestab; }
static bool c_oclosed(void) { return own.nclosed > 0; }
static bool c_pclosed(void) { return peer.closed; }
static bool c_progress(void) { return peer.progress == 183; }
static bool c_answered(void) { return peer.answered; }
static bool c_both_closed(void) { return peer.closed && own.nclosed; }
static bool c_out_estab(void) { return own.nestab && peer.estab; }
static bool c_cancelled_pending(void)
{
	return strstr(peer.rx, "487") != NULL;
}


static bool c_cancelled(void)
{
	return own.nclosed && strstr(peer.rx, "487");
}


static void peer_reset(void)
{
	peer.sess = mem_deref(peer.sess);
	peer.in = mem_deref(peer.in);
	peer.estab = peer.answered = peer.closed = false;
	peer.close_err = 0;
	peer.close_scode = peer.progress = 0;
	peer.rx[0] = '\0';
	own.nclosed = own.nestab = 0;
}


static void call_up(const char *transp)
{
	own.mode = M_ACCEPT;
	assert_int_equal(p_call_pcmu(transp, NULL), 0);
	assert_int_equal(wait_for(c_estab, 3000), 0);
	assert_int_equal(own.accept_err, 0);
	assert_int_equal(sipedge_calls(edge), 1);
}


static void resp_h(int err, const struct sip_msg *msg, void *arg)
{
	uint16_t *code = arg;

	*code = err ? 1 : msg->scode;
	re_cancel();
}


/* Send a request outside any dialog; the status code, 0 if none. */
static uint16_t p_request(const char *met, const char *transp)
{
	uint16_t code = 0;
	char uri[128];

	re_snprintf(uri, sizeof(uri), "sip:127.0.0.1:%u%s",
		    edge->port + (transp && strstr(transp, "tls") ? 1 : 0),
		    transp ? transp : "");
	assert_int_equal(sip_requestf(NULL, peer.sip, true, met, uri, NULL,
				      NULL, NULL, resp_h, &code,
				      "To: <%s>\r\n"
				      "From: <sip:peer@127.0.0.1>;tag=%x\r\n"
				      "Call-ID: %x\r\n"
				      "CSeq: 1 %s\r\n"
				      "Max-Forwards: 70\r\n"
				      "Content-Length: 0\r\n\r\n",
				      uri, rand_u32(), rand_u32(), met), 0);
	(void)loop_run(2000);

	return code;
}


/* --- tests --------------------------------------------------------- */

static void test_options(void **state)
{
	(void)state;

	assert_int_equal(p_request("OPTIONS", NULL), 200);
	assert_string_equal(own.last_counted, "resp OPTIONS 200");
	assert_true(own.counted_req >= 1);
	assert_int_equal(p_request("OPTIONS", ";transport=tcp"), 200);
	assert_int_equal(p_request("REGISTER", NULL), 405);
	assert_int_equal(p_request("FOOBAR", NULL), 501);
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


static void test_outbound(void **state)
{
	struct sipcall_dial d;
	struct sipcall_handlers h = { o_estab, NULL, o_closed, NULL };
	struct sipcall *sc;
	char uri[64];
	(void)state;

	peer.challenge = true;
	re_snprintf(uri, sizeof(uri), "sip:200@127.0.0.1:%u",
		    sa_port(&peer.laddr));
	memset(&d, 0, sizeof(d));
	d.uri = uri;
	d.from_uri = "sip:4001000100@openseat";
	d.auth_user = "trunk";
	d.auth_pass = "pw";

	assert_int_equal(leg_new(&own.leg), 0);
	assert_int_equal(sipedge_connect(&sc, edge, &d, own.leg, &h), 0);
	assert_int_equal(wait_for(c_out_estab, 3000), 0);
	assert_true(peer.got_auth);
	assert_int_equal(sipedge_calls(edge), 1);

	peer.in = mem_deref(peer.in);          /* BYE from the callee */
	assert_int_equal(wait_for(c_oclosed, 3000), 0);
	assert_string_equal(own.reason, "bye");
	assert_int_equal(sipedge_calls(edge), 0);

	/* busy */
	peer_reset();
	peer.callee_scode = 486;
	assert_int_equal(sipedge_connect(&sc, edge, &d, own.leg, &h), 0);
	assert_int_equal(wait_for(c_oclosed, 3000), 0);
	assert_int_equal(own.end.scode, 486);
	assert_string_equal(own.reason, "rejected");
}


static void o_progress(uint16_t scode, void *arg)
{
	(void)arg;
	own.progress = scode;
	poke();
}


static bool c_ringing(void) { return own.progress == 180; }
static bool c_out_cancelled(void) { return peer.closed; }


/* We hang up an outbound call while it rings: CANCEL. */
static void test_outbound_cancel(void **state)
{
	struct sipcall_handlers h = { o_estab, o_progress, o_closed, NULL };
	struct sipcall_dial d;
	struct sipcall *sc;
	char uri[64];
	(void)state;

	peer.callee_scode = 180;
	re_snprintf(uri, sizeof(uri), "sip:200@127.0.0.1:%u;transport=tcp",
		    sa_port(&peer.laddr));
	memset(&d, 0, sizeof(d));
	d.uri = uri;
	d.from_uri = "sip:4001000100@openseat";
	d.from_name = "OpenSeat";

	assert_int_equal(leg_new(&own.leg), 0);
	assert_int_equal(sipedge_connect(&sc, edge, &d, own.leg, &h), 0);
	assert_int_equal(wait_for(c_ringing, 3000), 0);
	assert_non_null(sipcall_call_id(sc));

	sipcall_hangup(sc, 0, "caller_gone");
	assert_int_equal(own.nclosed, 1);
	assert_int_equal(own.end.side, SIPCALL_LOCAL);
	assert_int_equal(wait_for(c_out_cancelled, 3000), 0);
	assert_non_null(strstr(peer.rx, "CANCEL"));
	assert_int_equal(sipedge_calls(edge), 0);
}


static bool c_early(void) { return own.progress == 183; }


/* The callee's 183 carries its answer: media starts before the 200. */
static void test_outbound_early_media(void **state)
{
	struct sipcall_handlers h = { o_estab, o_progress, o_closed, NULL };
	struct sipcall_dial d;
	struct sipcall *sc;
	struct mbuf *sdp;
	char uri[64];
	(void)state;

	peer.callee_scode = 183;
	re_snprintf(uri, sizeof(uri), "sip:200@127.0.0.1:%u",
		    sa_port(&peer.laddr));
	memset(&d, 0, sizeof(d));
	d.uri = uri;
	d.from_uri = "sip:4001000100@openseat";

	assert_int_equal(leg_new(&own.leg), 0);
	assert_int_equal(sipedge_connect(&sc, edge, &d, own.leg, &h), 0);
	assert_int_equal(wait_for(c_early, 3000), 0);
	assert_string_equal(leg_codec(own.leg), "PCMU");
	assert_int_equal(own.nestab, 0);

	assert_int_equal(sdp_make(&sdp, 1, "0", PCMU), 0);
	assert_int_equal(sipsess_answer(peer.in, 200, "OK", sdp, NULL), 0);
	mem_deref(sdp);
	assert_int_equal(wait_for(c_out_estab, 3000), 0);
	assert_int_equal(own.nclosed, 0);
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


static void test_shutdown(void **state)
{
	(void)state;

	call_up(NULL);
	sipedge_shutdown(edge);
	assert_int_equal(own.nclosed, 1);
	assert_int_equal(own.end.side, SIPCALL_LOCAL);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);

	peer_reset();
	assert_int_equal(p_call_pcmu(NULL, NULL), 0);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);
	assert_int_equal(peer.close_scode, 503);
	assert_int_equal(p_request("OPTIONS", NULL), 503);
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


static void test_contact(void **state)
{
	char *uri = NULL;
	char exp[96];
	(void)state;

	assert_int_equal(str_dup(&edge->public_addr, "203.0.113.5"), 0);
	assert_int_equal(sipedge_contact(&uri, edge, SIP_TRANSP_UDP), 0);
	re_snprintf(exp, sizeof(exp), "sip:openseat@203.0.113.5:%u",
		    edge->port);
	assert_string_equal(uri, exp);
	uri = mem_deref(uri);

	assert_int_equal(sipedge_contact(&uri, edge, SIP_TRANSP_TLS), 0);
	re_snprintf(exp, sizeof(exp),
		    "sip:openseat@203.0.113.5:%u;transport=tls",
		    edge->port + 1);
	assert_string_equal(uri, exp);
	uri = mem_deref(uri);

	edge->public_addr = mem_deref(edge->public_addr);
	assert_int_equal(str_dup(&edge->public_addr, "2001:db8::1"), 0);
	assert_int_equal(sipedge_contact(&uri, edge, SIP_TRANSP_TCP), 0);
	re_snprintf(exp, sizeof(exp),
		    "sip:openseat@[2001:db8::1]:%u;transport=tcp",
		    edge->port);
	assert_string_equal(uri, exp);
	mem_deref(uri);
}


static const char tls_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBhzCCAS2gAwIBAgIUYY53ARFltupqm3cYgAU2qkUL7rEwCgYIKoZIzj0EAwIw\n"
	"GDEWMBQGA1UEAwwNb3BlbnNlYXQtdGVzdDAgFw0yNjExMjUxMDMxMTRaGA8yMTI2\n"
	"MTEwMTEwMzExNFowGDEWMBQGA1UEAwwNb3BlbnNlYXQtdGVzdDBZMBMGByqGSM49\n"
	"AgEGCCqGSM49AwEHA0IABH2JeNGJWwbdgH1gExg2t8++76tdpV+AA4WOR0CAs+Wx\n"
	"Eje0nW2+ifYWBxArXd6w1SThQ60m61zDiOV0kGSqpFujUzBRMB0GA1UdDgQWBBQp\n"
	"r6jr3vsp8/F3t0dkH8fw5BMN+jAfBgNVHSMEGDAWgBQpr6jr3vsp8/F3t0dkH8fw\n"
	"5BMN+jAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDEEgwIS+Vu\n"
	"1zIV7l0f0w8WC5/JVxb58ktrxr43yf9+6AIgPs+HZpzKyM3uqYbBfr953i82G7fV\n"
	"QT3Ln/q4gfSQX70=\n"
	"-----END CERTIFICATE-----\n"
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJNr+qvuEw/M1fhNA\n"
	"pUUGY0cW36mtfaCKrQXHF8EUQ4ihRANCAAR9iXjRiVsG3YB9YBMYNrfPvu+rXaVf\n"
	"gAOFjkdAgLPlsRI3tJ1tvon2FgcQK13esNUk4UOtJutcw4jldJBkqqRb\n"
	"-----END PRIVATE KEY-----\n";


/* TLS on port + 1 with a certificate; the peer does not verify it. */
static void test_tls(void **state)
{
	char path[] = "/tmp/sipedge-tls-XXXXXX";
	struct sipedge_cfg cfg;
	struct tls *tls = NULL;
	struct sa la;
	int fd;
	(void)state;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, tls_pem, sizeof(tls_pem) - 1),
			 (ssize_t)sizeof(tls_pem) - 1);
	close(fd);

	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr = "127.0.0.1";
	cfg.tls_cert = path;
	edge = mem_deref(edge);
	assert_int_equal(sipedge_alloc(&edge, &cfg, o_invite, o_count, NULL),
			 0);

	/* the peer serves TLS too: our BYE goes to its Contact */
	assert_int_equal(tls_alloc(&tls, TLS_METHOD_SSLV23, path, NULL), 0);
	unlink(path);
	sa_set_str(&la, "127.0.0.1", 0);
	assert_int_equal(sip_transp_add(peer.sip, SIP_TRANSP_TLS, &la, tls),
			 0);
	mem_deref(tls);

	assert_int_equal(p_request("OPTIONS", ";transport=tls"), 200);
	call_up(";transport=tls");
	sipcall_hangup(own.sc, 0, NULL);
	assert_int_equal(wait_for(c_pclosed, 3000), 0);
}


/* --- fixtures ------------------------------------------------------ */

static int setup(void **state)
{
	struct sipedge_cfg cfg;
	int err;
	(void)state;

	memset(&own, 0, sizeof(own));
	memset(&peer, 0, sizeof(peer));
	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr = "127.0.0.1";
	cfg.user_agent = "OpenSeat-test";
	rtp_base = rtp_base >= 60000 ? 31000 : rtp_base + 200;

	err = sipedge_alloc(&edge, &cfg, o_invite, o_count, NULL);
	if (err)
		return err;

	err = sip_alloc(&peer.sip, NULL, 32, 32, 32, "peer", NULL, &peer);
	if (err)
		return err;

	sip_set_trace_handler(peer.sip, p_trace);
	sa_set_str(&peer.laddr, "127.0.0.1", 0);
	err  = sip_transp_add(peer.sip, SIP_TRANSP_UDP, &peer.laddr);
	err |= sip_transp_laddr(peer.sip, &peer.laddr, SIP_TRANSP_UDP, NULL);
	err |= sip_transp_add(peer.sip, SIP_TRANSP_TCP, &peer.laddr);
	if (err)
		return err;

	return sipsess_listen(&peer.sock, peer.sip, 32, p_connh, &peer);
}


static int teardown(void **state)
{
	(void)state;

	peer.sess = mem_deref(peer.sess);
	peer.in = mem_deref(peer.in);
	own.sc = mem_deref(own.sc);
	sipedge_shutdown(edge);
	(void)loop_run(30);
	edge = mem_deref(edge);
	own.leg = mem_deref(own.leg);

	sipsess_close_all(peer.sock);
	peer.sock = mem_deref(peer.sock);
	sip_close(peer.sip, true);
	peer.sip = mem_deref(peer.sip);
	(void)loop_run(30);

	return 0;
}


static int group_setup(void **state)
{
	int err;
	(void)state;

	err = libre_init();
	if (err)
		return err;

	sa_set_str(&lo, "127.0.0.1", 0);
	rtp_base = (uint16_t)(31000 + (getpid() % 100) * 200);

	return mtick_init();
}


static int group_teardown(void **state)
{
	(void)state;
	mtick_close();
	libre_close();

	return 0;
}


#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

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
		T(test_early_then_answer),
		T(test_reinvite_hold),
		T(test_no_sdp_invite),
		T(test_session_timer),
		T(test_session_refresh),
		T(test_pending_timeout),
		T(test_outbound),
		T(test_outbound_cancel),
		T(test_outbound_early_media),
		T(test_reinvite_no_sdp),
		T(test_shutdown),
		T(test_cancel_pending),
		T(test_bad_extension),
		T(test_contact),
		T(test_tls),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
