/*
 * ICE-lite on a WebRTC leg's one socket: RFC 7983 demultiplexing and the
 * STUN Binding responder (RFC 8445 7.3). The peer is latched on the
 * first authenticated check and moved on USE-CANDIDATE; DTLS, SRTP and
 * SRTCP from any other address are dropped and counted.
 */
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/webrtc.h"
#include "media/webrtc_int.h"

enum {
	LAYER_DEMUX = -100,        /* below DTLS: sees every packet first */
};


void webrtc_reject(struct webrtc *w)
{
	++w->st.rx_rejected;
	++webrtc_tot.rx_rejected;
}


/* USERNAME is "<our ufrag>:<the browser's ufrag>" (RFC 8445 7.2.2). */
static bool user_ok(const struct webrtc *w, const char *user)
{
	size_t n = strlen(w->ufrag);

	return user && !strncmp(user, w->ufrag, n) && user[n] == ':' &&
		!strcmp(user + n + 1, w->rufrag);
}


static void latch(struct webrtc *w, const struct sa *src, bool nominate)
{
	if (w->latched && !nominate)
		return;

	if (w->latched && !sa_cmp(src, &w->raddr, SA_ALL) && w->tc)
		dtls_set_peer(w->tc, src);

	w->raddr   = *src;
	w->latched = true;
}


static void binding(struct webrtc *w, const struct sa *src,
		    const struct stun_msg *msg)
{
	struct stun_attr *user = stun_msg_attr(msg, STUN_ATTR_USERNAME);
	size_t klen = strlen(w->pwd);

	if (!user || !user_ok(w, user->v.username) ||
	    stun_msg_chk_mi(msg, (uint8_t *)w->pwd, klen)) {
		(void)stun_ereply(IPPROTO_UDP, w->us, src, 0, msg, 401,
				  "Unauthorized", NULL, 0, true, 0);
		return;
	}

	/* always to the packet's source: a browser may send from another
	 * interface than the one it offered */
	if (stun_reply(IPPROTO_UDP, w->us, src, 0, msg, (uint8_t *)w->pwd,
		       klen, true, 1, STUN_ATTR_XOR_MAPPED_ADDR, src))
		return;

	if (w->state == WEBRTC_ST_DEAD)
		return;

	latch(w, src, stun_msg_attr(msg, STUN_ATTR_USE_CAND) != NULL);
	w->last_ok_ms = tmr_jiffies();
}


static void check_recv(struct webrtc *w, const struct sa *src,
		      struct mbuf *mb)
{
	struct stun_msg *msg = NULL;

	if (stun_msg_decode(&msg, mb, NULL))
		return;

	/* checks without a valid FINGERPRINT are not ICE: discard */
	if (stun_msg_method(msg) == STUN_METHOD_BINDING &&
	    stun_msg_class(msg) == STUN_CLASS_REQUEST &&
	    stun_msg_attr(msg, STUN_ATTR_FINGERPRINT) &&
	    !stun_msg_chk_fingerprint(msg))
		binding(w, src, msg);

	mem_deref(msg);
}


/* RFC 7983 (and RFC 5761 for RTCP): one socket, first byte decides. */
static bool demux(struct sa *src, struct mbuf *mb, void *arg)
{
	struct webrtc *w = arg;
	const uint8_t *p = mbuf_buf(mb);
	size_t left = mbuf_get_left(mb);

	if (!left)
		return true;

	if (p[0] < 4) {
		check_recv(w, src, mb);
		return true;
	}

	if (!w->latched || !sa_cmp(src, &w->raddr, SA_ALL)) {
		webrtc_reject(w);
		return true;
	}

	if (p[0] >= 20 && p[0] <= 63)
		return false;            /* DTLS, the helper above */

	if (p[0] < 128 || p[0] > 191)
		return true;

	if (left >= 2 && p[1] >= 192 && p[1] <= 223)
		webrtc_rtcp_recv(w, mb);
	else
		webrtc_rtp_recv(w, mb);

	return true;
}


static void udp_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	(void)src;
	(void)mb;
	(void)arg;
}


/**
 * Bind the leg's socket on a port of the range (from a random start so
 * that legs do not race for the same one) and put the demux under it.
 *
 * @return 0 if success, EADDRINUSE if no port was free
 */
int webrtc_ice_listen(struct webrtc *w, uint16_t pmin, uint16_t pmax)
{
	uint32_t n = pmax > pmin ? (uint32_t)(pmax - pmin) : 1;
	uint32_t i, start = rand_u32() % n;
	struct sa sa = w->laddr;
	int err = EADDRINUSE;

	for (i = 0; i < n && err; i++) {
		sa_set_port(&sa, pmin ? (uint16_t)(pmin + (start + i) % n) :
			    0);
		err = udp_listen(&w->us, &sa, udp_recv, w);
	}

	if (err)
		return EADDRINUSE;

	err = udp_local_get(w->us, &w->laddr);
	if (!err)
		err = udp_register_helper(&w->uh, w->us, LAYER_DEMUX, NULL,
					  demux, w);

	return err;
}
