/* Test helper: a browser written with libre (see webrtc_peer.h). */
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/mconf.h"
#include "media/codec_int.h"
#include "webrtc_fx.h"
#include "webrtc_peer.h"
#include "tone.h"

enum {
	LAYER_DTLS = 20,
	PEER_SSRC  = 0x5eed1234,
};


static void frame_energy(struct wpeer *p, const uint8_t *buf, size_t len)
{
	int16_t pcm[MCODEC_MAX_SAMPLES];
	size_t n = ARRAY_SIZE(pcm);

	if (!p->codec->dec(p->cst, pcm, &n, buf, len) && tone_loud(pcm, n))
		++p->rx_loud;
}


static void rtp_in(struct wpeer *p, struct mbuf *mb)
{
	struct rtp_header hdr;

	if (srtp_decrypt(p->rx, mb) || rtp_hdr_decode(&hdr, mb))
		return;

	++p->rx_rtp;
	p->server_ssrc = hdr.ssrc;
	if (hdr.pt == p->pt)
		frame_energy(p, mbuf_buf(mb), mbuf_get_left(mb));
}


static void rtcp_in(struct wpeer *p, struct mbuf *mb)
{
	struct rtcp_msg *msg = NULL;

	if (srtcp_decrypt(p->rx, mb) || rtcp_decode(&msg, mb))
		return;

	if (msg->hdr.pt == RTCP_SR) {
		++p->rx_sr;
		if (msg->hdr.count && msg->r.sr.rrv[0].ssrc == PEER_SSRC)
			++p->rx_rr_blocks;
	}

	mem_deref(msg);
}


static void stun_in(struct wpeer *p, struct mbuf *mb)
{
	struct stun_msg *msg = NULL;
	struct stun_attr *a;

	if (stun_msg_decode(&msg, mb, NULL))
		return;

	if (stun_msg_class(msg) == STUN_CLASS_SUCCESS_RESP) {
		a = stun_msg_attr(msg, STUN_ATTR_XOR_MAPPED_ADDR);
		if (a && !stun_msg_chk_mi(msg, (uint8_t *)p->spwd,
					  strlen(p->spwd))) {
			p->mapped = a->v.xor_mapped_addr;
			++p->stun_ok;
		}
	}
	else if (stun_msg_class(msg) == STUN_CLASS_ERROR_RESP) {
		a = stun_msg_attr(msg, STUN_ATTR_ERR_CODE);
		if (a && a->v.err_code.code == 401)
			++p->stun_401;
	}

	mem_deref(msg);
}


static void udp_in(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct wpeer *p = arg;
	const uint8_t *b = mbuf_buf(mb);
	(void)src;

	if (!mbuf_get_left(mb))
		return;

	if (b[0] < 4)
		stun_in(p, mb);
	else if (b[0] >= 128 && b[0] <= 191 && p->rx) {
		if (mbuf_get_left(mb) > 1 && b[1] >= 192 && b[1] <= 223)
			rtcp_in(p, mb);
		else
			rtp_in(p, mb);
	}
}


static void dtls_conn(const struct sa *peer, void *arg)
{
	(void)peer;
	(void)arg;
}


int wpeer_alloc(struct wpeer *p, struct tls *tls, const struct sa *lo)
{
	int err;

	memset(p, 0, sizeof(*p));
	tmr_init(&p->tmr);
	p->tls   = tls;
	p->codec = mcodec_find("opus");
	p->pt    = 111;
	p->ssrc  = PEER_SSRC;
	p->seq   = 1000;
	p->ts    = 48000;

	err  = udp_listen(&p->us, lo, udp_in, p);
	err |= udp_listen(&p->us2, lo, udp_in, p);
	if (err)
		return err;

	return dtls_listen(&p->ds, NULL, p->us, 2, LAYER_DTLS, dtls_conn, p);
}


void wpeer_close(struct wpeer *p)
{
	tmr_cancel(&p->tmr);
	p->tc   = mem_deref(p->tc);
	p->ds   = mem_deref(p->ds);
	p->us   = mem_deref(p->us);
	p->us2  = mem_deref(p->us2);
	p->tx   = mem_deref(p->tx);
	p->rx   = mem_deref(p->rx);
	p->last = mem_deref(p->last);
	p->cst  = mem_deref(p->cst);
}


static int print_fp(struct re_printf *pf, const struct tls *tls)
{
	uint8_t fp[32];
	size_t i;
	int err;

	err = tls_fingerprint(tls, TLS_FINGERPRINT_SHA256, fp, sizeof(fp));
	for (i = 0; i < sizeof(fp) && !err; i++)
		err = re_hprintf(pf, "%s%02X", i ? ":" : "", fp[i]);

	return err;
}


/** The Chromium fixture with this peer's certificate fingerprint. */
int wpeer_offer(const struct wpeer *p, char **offerp)
{
	const char *at = strstr(chromium_offer, CHROMIUM_FP);

	if (!at)
		return EINVAL;

	return re_sdprintf(offerp, "%b%H%s", chromium_offer,
			   (size_t)(at - chromium_offer), print_fp, p->tls,
			   at + strlen(CHROMIUM_FP));
}


/** Take the server's credentials, candidate and codec from its answer. */
int wpeer_answer(struct wpeer *p, const char *answer)
{
	struct pl u, pw, ip, port, pt, name;
	size_t n = strlen(answer);

	if (re_regex(answer, n, "a=ice-ufrag:[^\r]+", &u) ||
	    re_regex(answer, n, "a=ice-pwd:[^\r]+", &pw) ||
	    re_regex(answer, n, "a=candidate:[^ ]+ 1 udp [0-9]+ [^ ]+ [0-9]+",
		     NULL, NULL, &ip, &port) ||
	    re_regex(answer, n, "a=rtpmap:[0-9]+ [^/]+", &pt, &name))
		return EBADMSG;

	pl_strcpy(&u, p->sufrag, sizeof(p->sufrag));
	pl_strcpy(&pw, p->spwd, sizeof(p->spwd));
	p->pt    = (int)pl_u32(&pt);
	p->codec = mcodec_find_pl(name.p, name.l);
	if (!p->codec)
		return ENOTSUP;

	mem_deref(p->cst);
	p->cst = NULL;
	if (p->codec->alloc && p->codec->alloc(&p->cst))
		return ENOMEM;

	return sa_set(&p->server, &ip, (uint16_t)pl_u32(&port));
}


/** An ICE connectivity check from socket us, as a controlling browser
 * sends it. */
int wpeer_check(struct wpeer *p, struct udp_sock *us, const char *pwd,
		bool use_cand)
{
	struct mbuf *mb = mbuf_alloc(256);
	uint32_t prio = 0x6e7f1eff;
	uint64_t tiebrk = 0x1122334455667788ULL;
	uint8_t tid[12];
	char user[160];
	int err;

	if (!mb)
		return ENOMEM;

	rand_bytes(tid, sizeof(tid));
	re_snprintf(user, sizeof(user), "%s:XYNC", p->sufrag);
	err = stun_msg_encode(mb, STUN_METHOD_BINDING, STUN_CLASS_REQUEST,
			      tid, NULL, (const uint8_t *)pwd, strlen(pwd),
			      true, 0x20, 4, STUN_ATTR_USERNAME, user,
			      STUN_ATTR_PRIORITY, &prio,
			      STUN_ATTR_CONTROLLING, &tiebrk,
			      STUN_ATTR_USE_CAND, use_cand ? &prio : NULL);
	mb->pos = 0;
	if (!err)
		err = udp_send(us, &p->server, mb);

	mem_deref(mb);

	return err;
}


static size_t key_len(enum srtp_suite suite)
{
	return suite == SRTP_AES_128_GCM ? 28 : 30;
}


static void dtls_estab(void *arg)
{
	struct wpeer *p = arg;
	uint8_t cli[46], srv[46];
	enum srtp_suite suite;

	p->estab = true;
	if (tls_srtp_keyinfo(p->tc, &suite, cli, sizeof(cli), srv,
			     sizeof(srv))) {
		p->nokeys = true;
		return;
	}

	/* the DTLS client sends with the client key */
	(void)srtp_alloc(&p->tx, suite, cli, key_len(suite), 0);
	(void)srtp_alloc(&p->rx, suite, srv, key_len(suite), 0);
}


static void dtls_data(struct mbuf *mb, void *arg)
{
	(void)mb;
	(void)arg;
}


static void dtls_close(int err, void *arg)
{
	struct wpeer *p = arg;
	(void)err;

	p->closed = true;
}


int wpeer_dtls(struct wpeer *p)
{
	return dtls_connect(&p->tc, p->tls, p->ds, &p->server, dtls_estab,
			    dtls_data, dtls_close, p);
}


/** One 20 ms frame of a 440 Hz tone as SRTP, from socket us. */
int wpeer_send(struct wpeer *p, struct udp_sock *us)
{
	int16_t frame[MEDIA_FRAME];
	struct rtp_header hdr;
	struct mbuf *mb;
	size_t len = MCODEC_MAX_PAYLOAD;
	int err;

	tone_fill(frame, MEDIA_FRAME, 440, &p->phase);

	mb = mbuf_alloc(RTP_HEADER_SIZE + MCODEC_MAX_PAYLOAD + 32);
	if (!mb)
		return ENOMEM;

	memset(&hdr, 0, sizeof(hdr));
	hdr.ver  = RTP_VERSION;
	hdr.pt   = (uint8_t)p->pt;
	hdr.seq  = p->seq++;
	hdr.ts   = p->ts;
	hdr.ssrc = p->ssrc;
	p->ts += MEDIA_FRAME * (p->codec->clock / MEDIA_SRATE);

	err = p->codec->enc(p->cst, mb->buf + RTP_HEADER_SIZE, &len, frame);
	mb->end = RTP_HEADER_SIZE + len;
	if (!err)
		err = rtp_hdr_encode(mb, &hdr);
	mb->pos = 0;
	if (!err)
		err = srtp_encrypt(p->tx, mb);
	if (!err)
		err = udp_send(us, &p->server, mb);

	mem_deref(p->last);
	p->last = mb;

	return err;
}


/** The last SRTP packet again, byte for byte (a replay). */
int wpeer_resend_last(struct wpeer *p)
{
	if (!p->last)
		return EINVAL;

	p->last->pos = 0;

	return udp_send(p->us, &p->server, p->last);
}


static int rr_block(struct mbuf *mb, void *arg)
{
	const uint32_t *v = arg;
	int err = 0;
	size_t i;

	for (i = 0; i < 6; i++)
		err |= mbuf_write_u32(mb, htonl(v[i]));

	return err;
}


/*
 * A receiver report about the server's stream. LSR is set rtt_ms ago
 * with no delay since, so the server should measure about rtt_ms.
 */
int wpeer_send_rr(struct wpeer *p, uint8_t fraction, uint32_t jitter,
		 uint32_t rtt_ms)
{
	typedef int (part_h)(struct mbuf *mb, void *arg);
	struct mbuf *mb = mbuf_alloc(128);
	struct timespec ts;
	uint32_t v[6], sec, frac;
	int err;

	if (!mb)
		return ENOMEM;

	clock_gettime(CLOCK_REALTIME, &ts);
	sec  = (uint32_t)ts.tv_sec + 2208988800u;
	frac = (uint32_t)(((uint64_t)ts.tv_nsec << 32) / 1000000000u);

	v[0] = p->server_ssrc;
	v[1] = (uint32_t)fraction << 24 | 3;
	v[2] = 1000;
	v[3] = jitter;
	v[4] = (sec << 16 | frac >> 16) - rtt_ms * 65536 / 1000;
	v[5] = 0;

	err = rtcp_encode(mb, RTCP_RR, 1, p->ssrc, (part_h *)rr_block, v);
	mb->pos = 0;
	if (!err)
		err = srtcp_encrypt(p->tx, mb);
	if (!err)
		err = udp_send(p->us, &p->server, mb);

	mem_deref(mb);

	return err;
}


static void talk_tick(void *arg)
{
	struct wpeer *p = arg;

	tmr_start(&p->tmr, MEDIA_PTIME, talk_tick, p);
	(void)wpeer_send(p, p->us);
}


/** Send a frame every 20 ms, or stop. */
void wpeer_talk(struct wpeer *p, bool on)
{
	if (on)
		tmr_start(&p->tmr, 0, talk_tick, p);
	else
		tmr_cancel(&p->tmr);
}
