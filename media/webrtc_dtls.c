/*
 * DTLS-SRTP of WebRTC legs: one DTLS context and certificate for the
 * process; per leg a passive DTLS server on the leg's socket that accepts
 * only the ICE-validated peer, checks its certificate against the offer's
 * a=fingerprint and derives the SRTP keys (RFC 5763, RFC 5764).
 */
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/webrtc.h"
#include "media/webrtc_int.h"

enum {
	LAYER_DTLS = 20,           /* above the demux helper (webrtc_ice.c) */
	KEY_MAX    = 32 + 14,
};

static struct tls *tls;        /**< (own) context and certificate    */


/**
 * Create the DTLS context: a self-signed RSA-2048 certificate (1024-bit
 * keys fail OpenSSL 3's default security level), the two SRTP profiles
 * browsers offer, and client certificates requested so the peer's
 * fingerprint can be checked against the offer.
 *
 * @return 0 if success, otherwise errorcode
 */
int webrtc_init(void)
{
	int err;

	if (tls)
		return 0;

	err = tls_alloc(&tls, TLS_METHOD_DTLS, NULL, NULL);
	if (err)
		return err;

	err = tls_set_selfsigned_rsa(tls, "openseat", 2048);
	if (!err)
		err = tls_set_srtp(tls, "SRTP_AEAD_AES_128_GCM:"
				   "SRTP_AES128_CM_SHA1_80");
	if (err) {
		tls = mem_deref(tls);
		return err;
	}

	tls_set_verify_client(tls);

	return 0;
}


void webrtc_close(void)
{
	tls = mem_deref(tls);
}


/** Our certificate's SHA-256 fingerprint. */
int webrtc_fingerprint(uint8_t *fp, size_t len)
{
	if (!tls)
		return EINVAL;

	return tls_fingerprint(tls, TLS_FINGERPRINT_SHA256, fp, len);
}


static void fail(struct webrtc *w, const char *reason)
{
	if (w->state == WEBRTC_ST_DEAD)
		return;

	w->state = WEBRTC_ST_DEAD;
	webrtc_pend(w, WEBRTC_FAILED, reason);
}


/* Key + salt length of an SRTP suite (RFC 3711, RFC 7714). */
static size_t key_len(enum srtp_suite suite)
{
	switch (suite) {

	case SRTP_AES_128_GCM:             return 16 + 12;
	case SRTP_AES_CM_128_HMAC_SHA1_80: return 16 + 14;
	default:                           return 0;
	}
}


/*
 * As the DTLS server we receive with the client's key and send with
 * ours (RFC 5764 4.2).
 */
static int srtp_keys(struct webrtc *w)
{
	uint8_t cli[KEY_MAX], srv[KEY_MAX];
	enum srtp_suite suite;
	size_t len;
	int err;

	err = tls_srtp_keyinfo(w->tc, &suite, cli, sizeof(cli),
			       srv, sizeof(srv));
	len = err ? 0 : key_len(suite);
	if (!len)
		return ENOENT;

	err  = srtp_alloc(&w->srtp_rx, suite, cli, len, 0);
	err |= srtp_alloc(&w->srtp_tx, suite, srv, len, 0);

	return err;
}


static void estab_handler(void *arg)
{
	struct webrtc *w = arg;
	uint8_t fp[WEBRTC_FP_LEN];

	if (w->state != WEBRTC_ST_NEW)
		return;

	if (tls_peer_fingerprint(w->tc, TLS_FINGERPRINT_SHA256, fp,
				 sizeof(fp)) ||
	    memcmp(fp, w->rfp, sizeof(fp))) {
		fail(w, "DTLS fingerprint mismatch");
		return;
	}

	if (srtp_keys(w)) {
		fail(w, "no SRTP profile negotiated");
		return;
	}

	w->state      = WEBRTC_ST_UP;
	w->marker     = true;
	w->last_ok_ms = tmr_jiffies();
	webrtc_pend(w, WEBRTC_ESTABLISHED, "DTLS-SRTP established");
}


/* Application data over DTLS (data channels) is not ours to read. */
static void recv_handler(struct mbuf *mb, void *arg)
{
	(void)mb;
	(void)arg;
}


static void close_handler(int err, void *arg)
{
	struct webrtc *w = arg;

	if (w->state == WEBRTC_ST_NEW)
		fail(w, err ? "DTLS handshake failed" : "DTLS closed");
	else
		fail(w, "DTLS closed by peer");
}


/*
 * A new DTLS peer. Only the address ICE validated gets a connection,
 * and only one (CVE-2023-51443: a handshake from anywhere else must not
 * set or replace the keys).
 */
static void conn_handler(const struct sa *peer, void *arg)
{
	struct webrtc *w = arg;

	if (w->tc || w->state != WEBRTC_ST_NEW || !w->latched ||
	    !sa_cmp(peer, &w->raddr, SA_ALL)) {
		webrtc_reject(w);
		return;
	}

	if (dtls_accept(&w->tc, tls, w->dsock, estab_handler, recv_handler,
			close_handler, w))
		fail(w, "DTLS accept failed");
}


/** Become a passive DTLS server on the leg's socket. */
int webrtc_dtls_listen(struct webrtc *w)
{
	if (!tls)
		return EINVAL;

	return dtls_listen(&w->dsock, NULL, w->us, 2, LAYER_DTLS,
			   conn_handler, w);
}
