/*
 * Test helper for the SIP edge: the edge's owner and a far end built on
 * a second libre stack, with fixtures that give each test a fresh pair.
 */
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
#include "sippeer.h"

static struct sa lo;
struct sipedge *edge;
struct owner own;
struct peer peer;
static bool (*want)(void);
static uint16_t rtp_base = 31000;


void poke(void)
{
	if (want && want())
		re_cancel();
}


int wait_for(bool (*cond)(void), unsigned ms)
{
	if (cond())
		return 0;

	want = cond;
	(void)loop_run(ms);
	want = NULL;

	return cond() ? 0 : ETIMEDOUT;
}


/* --- the owner ----------------------------------------------------- */

void o_estab(void *arg)
{
	(void)arg;
	++own.nestab;
	poke();
}


void o_closed(const struct sipcall_end *end, void *arg)
{
	(void)arg;
	++own.nclosed;
	own.end = *end;
	str_ncpy(own.reason, end->reason ? end->reason : "",
		 sizeof(own.reason));
	poke();
}


int leg_new(struct leg **legp)
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


void o_invite(struct sipcall *sc, const struct sip_msg *msg, void *arg)
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


void o_count(bool request, const char *method, uint16_t scode, void *arg)
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


int sdp_make(struct mbuf **mbp, unsigned ver, const char *pt,
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
int p_call(const char *transp, struct mbuf *body, const char *hdrs)
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


int p_call_pcmu(const char *transp, const char *hdrs)
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


void peer_reset(void)
{
	peer.sess = mem_deref(peer.sess);
	peer.in = mem_deref(peer.in);
	peer.estab = peer.answered = peer.closed = false;
	peer.close_err = 0;
	peer.close_scode = peer.progress = 0;
	peer.rx[0] = '\0';
	own.nclosed = own.nestab = 0;
}


void call_up(const char *transp)
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
uint16_t p_request(const char *met, const char *transp)
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


void o_progress(uint16_t scode, void *arg)
{
	(void)arg;
	own.progress = scode;
	poke();
}


/* --- fixtures ------------------------------------------------------ */

int setup(void **state)
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


int teardown(void **state)
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


int group_setup(void **state)
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


int group_teardown(void **state)
{
	(void)state;
	mtick_close();
	libre_close();

	return 0;
}


