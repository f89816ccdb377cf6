/*
 * A browser's SDP offer and our answer. The offer is outside input: it
 * passes the checks every SDP body passes (leg_sdp_check), then only what
 * an audio leg needs is read from it. The answer is written out whole.
 */
#include <ctype.h>
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/webrtc.h"
#include "media/codec_int.h"
#include "media/sdpcheck_int.h"
#include "media/webrtc_int.h"

enum {
	MAX_RTPMAP = 64,           /* rtpmaps read from the audio section */
	PWD_MIN    = 22,           /* RFC 8839 ice-pwd length             */
	UFRAG_MIN  = 4,
};

struct rtpmap {
	unsigned pt;
	struct pl name;
	uint32_t clock;
	uint32_t ch;
};

/* What the line loop gathers; media-level attributes win. */
struct scan {
	int cur;                   /* current m-line, -1 in the session  */
	bool have_audio;
	struct pl fmts;            /* the audio m-line's formats         */
	struct pl sess[4], media[4];
	struct rtpmap rmv[MAX_RTPMAP];
	unsigned nrm;
};

/* The attributes that may stand at session or media level. */
static const char *const shared_attr[4] = {
	"ice-ufrag", "ice-pwd", "fingerprint", "setup"
};


static void rtpmap_add(struct scan *sc, const struct pl *val)
{
	struct pl pt, name, clock, ch = PL_INIT;
	struct rtpmap *rm;

	if (sc->nrm == MAX_RTPMAP ||
	    re_regex(val->p, val->l, "[0-9]+ [^/]+/[0-9]+[/]*[0-9]*",
		     &pt, &name, &clock, NULL, &ch))
		return;

	rm = &sc->rmv[sc->nrm++];
	rm->pt    = pl_u32(&pt);
	rm->name  = name;
	rm->clock = pl_u32(&clock);
	rm->ch    = ch.l ? pl_u32(&ch) : 1;
}


static void attr_set(struct webrtc_offer *o, struct scan *sc,
		     const struct pl *name, const struct pl *val)
{
	size_t i;

	if (sc->cur >= 0 && !pl_strcasecmp(name, "mid"))
		o->mv[sc->cur].mid = *val;

	if (sc->cur < 0 && !pl_strcasecmp(name, "group") &&
	    val->l >= 6 && !strncasecmp(val->p, "BUNDLE", 6))
		o->bundle = true;

	/* only the audio section and the session count below */
	if (sc->cur >= 0 && (unsigned)sc->cur != o->audio)
		return;

	if (sc->cur >= 0 && !pl_strcasecmp(name, "rtpmap"))
		rtpmap_add(sc, val);

	for (i = 0; i < ARRAY_SIZE(shared_attr); i++) {
		if (pl_strcasecmp(name, shared_attr[i]))
			continue;

		if (sc->cur < 0)
			sc->sess[i] = *val;
		else
			sc->media[i] = *val;
	}
}


static int m_line(struct webrtc_offer *o, struct scan *sc,
		  const struct pl *line)
{
	struct pl media, port, proto, fmts, fmt;

	if (re_regex(line->p, line->l, "m=[^ ]+ [0-9]+[^ ]* [^ ]+ [^]+",
		     &media, &port, NULL, &proto, &fmts) ||
	    re_regex(fmts.p, fmts.l, "[^ ]+", &fmt))
		return EPROTO;

	if (o->nm == WEBRTC_MAX_M)
		return EPROTO;

	sc->cur = (int)o->nm;
	o->mv[o->nm].media = media;
	o->mv[o->nm].proto = proto;
	o->mv[o->nm].fmt   = fmt;
	o->mv[o->nm].mid   = pl_null;

	if (!sc->have_audio && !pl_strcasecmp(&media, "audio") &&
	    pl_u32(&port) != 0) {
		sc->have_audio = true;
		sc->fmts       = fmts;
		o->audio       = o->nm;
		o->proto       = proto;
	}

	++o->nm;

	return 0;
}


static int scan_lines(struct webrtc_offer *o, struct scan *sc,
		      const char *p, size_t len)
{
	struct pl body = {p, len};

	while (body.l) {
		const char *nl = memchr(body.p, '\n', body.l);
		struct pl line = {body.p, nl ? (size_t)(nl - body.p) : body.l};
		struct pl name, val;
		int err;

		pl_advance(&body, nl ? line.l + 1 : line.l);
		if (line.l && line.p[line.l - 1] == '\r')
			--line.l;

		if (line.l > 2 && !strncmp(line.p, "m=", 2)) {
			err = m_line(o, sc, &line);
			if (err)
				return err;
		}
		else if (line.l > 2 && !strncmp(line.p, "a=", 2)) {
			if (re_regex(line.p, line.l, "a=[^:]+[:]*[^]*",
				     &name, NULL, &val))
				continue;

			attr_set(o, sc, &name, &val);
		}
	}

	return 0;
}


/* Does payload type pt of the audio section carry codec mc? */
static bool pt_is(const struct scan *sc, unsigned pt,
		  const struct mcodec *mc)
{
	unsigned i;

	for (i = 0; i < sc->nrm; i++) {
		const struct rtpmap *rm = &sc->rmv[i];

		if (rm->pt != pt)
			continue;

		return !pl_strcasecmp(&rm->name, mc->name) &&
			rm->clock == mc->clock && rm->ch == mc->ch;
	}

	/* static payload types may come without a=rtpmap */
	return pt < 96 && mcodec_find_pt((int)pt) == mc;
}


static int pick_codec(struct webrtc_offer *o, const struct scan *sc,
		      const char *codecs)
{
	struct pl rest, name, fmts, f;

	pl_set_str(&rest, codecs);
	while (!re_regex(rest.p, rest.l, "[^, ]+", &name)) {
		const struct mcodec *mc = mcodec_find_pl(name.p, name.l);

		pl_advance(&rest, name.p + name.l - rest.p);
		fmts = sc->fmts;
		while (mc && !re_regex(fmts.p, fmts.l, "[0-9]+", &f)) {
			unsigned pt = pl_u32(&f);

			pl_advance(&fmts, f.p + f.l - fmts.p);
			if (f.l > 3 || pt > 127 || !pt_is(sc, pt, mc))
				continue;

			o->mc = mc;
			o->pt = (int)pt;
			return 0;
		}
	}

	return ENOTSUP;
}


/* "sha-256 AB:CD:..." to 32 bytes */
static int fp_decode(uint8_t *fp, const struct pl *val)
{
	struct pl alg, hex;
	size_t i;

	if (re_regex(val->p, val->l, "[^ ]+ [0-9a-fA-F:]+", &alg, &hex) ||
	    pl_strcasecmp(&alg, "sha-256") ||
	    hex.l != WEBRTC_FP_LEN * 3 - 1)
		return EBADMSG;

	for (i = 0; i < WEBRTC_FP_LEN; i++) {
		const char *h = hex.p + i * 3;

		if ((i && h[-1] != ':') || h[0] == ':' || h[1] == ':')
			return EBADMSG;

		fp[i] = (uint8_t)(ch_hex(h[0]) << 4 | ch_hex(h[1]));
	}

	return 0;
}


static bool ice_char_ok(const struct pl *pl, size_t min, size_t max)
{
	size_t i;

	if (pl->l < min || pl->l > max)
		return false;

	/* RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/" */
	for (i = 0; i < pl->l; i++) {
		char c = pl->p[i];

		if (!isalnum((unsigned char)c) && c != '+' && c != '/')
			return false;
	}

	return true;
}


/*
 * Credentials and DTLS role. We answer passive, so the browser must be
 * able to be the DTLS client: actpass or active (or no a=setup, which
 * RFC 5763 reads as active).
 */
static int check_security(struct webrtc_offer *o, const struct scan *sc)
{
	struct pl v[4];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++)
		v[i] = pl_isset(&sc->media[i]) ? sc->media[i] : sc->sess[i];

	o->ufrag = v[0];
	o->pwd   = v[1];
	if (!ice_char_ok(&o->ufrag, UFRAG_MIN, WEBRTC_UFRAG_SZ - 1) ||
	    !ice_char_ok(&o->pwd, PWD_MIN, 256))
		return EBADMSG;

	if (!pl_isset(&v[2]) || fp_decode(o->fp, &v[2]))
		return EBADMSG;

	if (pl_isset(&v[3]) && pl_strcasecmp(&v[3], "actpass") &&
	    pl_strcasecmp(&v[3], "active"))
		return EBADMSG;

	return 0;
}


/**
 * Read what an audio leg needs from a browser's offer.
 *
 * @return 0, EPROTO (malformed), ENOTSUP (no audio, not DTLS-SRTP or
 * no common codec), EBADMSG (credentials, fingerprint or a=setup)
 */
int webrtc_sdp_parse(struct webrtc_offer *o, const char *p, size_t len,
		     const char *codecs)
{
	struct mbuf mb;
	struct scan *sc;
	int err;

	if (!o || !p || !codecs)
		return EINVAL;

	memset(&mb, 0, sizeof(mb));
	mb.buf  = (uint8_t *)(uintptr_t)p;
	mb.size = mb.end = len;
	err = leg_sdp_check(&mb);
	if (err)
		return err;

	/* the scan is too large for a media thread's stack habits */
	sc = mem_zalloc(sizeof(*sc), NULL);
	if (!sc)
		return ENOMEM;

	memset(o, 0, sizeof(*o));
	sc->cur  = -1;
	o->audio = WEBRTC_MAX_M;
	err = scan_lines(o, sc, p, len);
	if (err)
		goto out;

	if (!sc->have_audio ||
	    (pl_strcasecmp(&o->proto, "UDP/TLS/RTP/SAVPF") &&
	     pl_strcasecmp(&o->proto, "UDP/TLS/RTP/SAVP"))) {
		err = ENOTSUP;
		goto out;
	}

	o->mid = o->mv[o->audio].mid;
	err = check_security(o, sc);
	if (!err)
		err = pick_codec(o, sc, codecs);

 out:
	mem_deref(sc);

	return err;
}


static int print_fp(struct re_printf *pf, const uint8_t *fp)
{
	int err = 0;
	size_t i;

	for (i = 0; i < WEBRTC_FP_LEN && !err; i++)
		err = re_hprintf(pf, "%s%02X", i ? ":" : "", fp[i]);

	return err;
}


/* Every m-line but the audio one is refused (port 0), as JSEP wants. */
static int other_lines(struct mbuf *mb, const struct webrtc_offer *o,
		       unsigned from, unsigned to, const char *ip)
{
	const char *in = strchr(ip, ':') ? "IP6" : "IP4";
	unsigned i;
	int err = 0;

	for (i = from; i < to && !err; i++) {
		err = mbuf_printf(mb, "m=%r 0 %r %r\r\nc=IN %s %s\r\n"
				  "a=inactive\r\n", &o->mv[i].media,
				  &o->mv[i].proto, &o->mv[i].fmt, in, ip);
		if (!err && pl_isset(&o->mv[i].mid))
			err = mbuf_printf(mb, "a=mid:%r\r\n", &o->mv[i].mid);
	}

	return err;
}


static int audio_line(struct mbuf *mb, const struct webrtc *w,
		      const struct webrtc_offer *o, const char *ip)
{
	const struct mcodec *mc = o->mc;
	uint16_t port = sa_port(&w->laddr);
	int err;

	err = mbuf_printf(mb, "m=audio %u %r %d\r\nc=IN %s %s\r\n"
			  "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
			  "a=fingerprint:sha-256 %H\r\na=setup:passive\r\n",
			  port, &o->proto, o->pt,
			  strchr(ip, ':') ? "IP6" : "IP4", ip,
			  w->ufrag, w->pwd, print_fp, w->lfp);
	if (!err && pl_isset(&o->mid))
		err = mbuf_printf(mb, "a=mid:%r\r\n", &o->mid);
	if (!err)
		err = mbuf_printf(mb, "a=sendrecv\r\na=rtcp-mux\r\n"
				  "a=rtpmap:%d %s/%u%s\r\n",
				  o->pt, mc->name, mc->clock,
				  mc->ch > 1 ? "/2" : "");
	if (!err && mc->fmtp)
		err = mbuf_printf(mb, "a=fmtp:%d %s\r\n", o->pt, mc->fmtp);
	if (!err)
		err = mbuf_printf(mb, "a=ptime:%u\r\n"
				  "a=ssrc:%u cname:openseat\r\n"
				  "a=candidate:1 1 udp 2130706431 %s %u"
				  " typ host\r\na=end-of-candidates\r\n",
				  MEDIA_PTIME, w->ssrc, ip, port);

	return err;
}


/**
 * Write the answer: ice-lite, our credentials and fingerprint, passive
 * DTLS, rtcp-mux, the chosen codec under the offer's payload type and
 * one host candidate.
 *
 * @param ip  the address to announce (public or bound)
 */
int webrtc_sdp_answer(char **answerp, const struct webrtc *w,
		      const struct webrtc_offer *o, const char *ip)
{
	const char *in = strchr(ip, ':') ? "IP6" : "IP4";
	struct mbuf *mb = mbuf_alloc(1024);
	int err;

	if (!mb)
		return ENOMEM;

	err = mbuf_printf(mb, "v=0\r\no=- %llu 2 IN %s %s\r\ns=-\r\n"
			  "t=0 0\r\n", rand_u64() >> 2, in, ip);
	if (!err && o->bundle && pl_isset(&o->mid))
		err = mbuf_printf(mb, "a=group:BUNDLE %r\r\n", &o->mid);
	if (!err)
		err = mbuf_printf(mb, "a=ice-lite\r\n"
				  "a=msid-semantic: WMS\r\n");

	/* m-lines in the offer's order */
	if (!err)
		err = other_lines(mb, o, 0, o->audio, ip);
	if (!err)
		err = audio_line(mb, w, o, ip);
	if (!err)
		err = other_lines(mb, o, o->audio + 1, o->nm, ip);

	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, answerp, mb->end);
	}

	mem_deref(mb);

	return err;
}
