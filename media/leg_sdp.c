/*
 * A leg's SDP offer/answer on libre's sdp_session: the codec list from
 * the configuration plus telephone-event, the codec choice, the far
 * end's address and hold state. Outside input: every offer or answer is
 * checked before anything of the leg changes.
 */
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/leg.h"
#include "media/codec_int.h"
#include "media/leg_int.h"
#include "media/sdpcheck_int.h"

enum {
	SDP_MAX   = 16384,       /* larger bodies are refused          */
	DYN_PT    = 96,
};

/* name, port (with an optional /count), proto */
#define M_LINE "m=[^ ]+ [0-9]+[^ ]* [^ ]+"


static int add_formats(struct leg *leg)
{
	struct pl rest, name;
	int dyn = DYN_PT, n = 0, err = 0;

	pl_set_str(&rest, leg->codecs);

	while (!err && !re_regex(rest.p, rest.l, "[^, ]+", &name)) {
		const struct mcodec *mc = mcodec_find_pl(name.p, name.l);
		char id[8];
		int pt;

		pl_advance(&rest, name.p + name.l - rest.p);
		if (!mc || sdp_media_format(leg->sdpm, true, NULL, -1,
					    mc->name, -1, -1))
			continue;

		pt = mc->pt;
		if (pt < 0) {
			if (dyn == LEG_TELEV_PT)
				++dyn;
			pt = dyn++;
		}

		re_snprintf(id, sizeof(id), "%d", pt);
		err = sdp_format_add(NULL, leg->sdpm, false, id, mc->name,
				     mc->clock, mc->ch, NULL, NULL, NULL,
				     false, mc->fmtp ? "%s" : NULL, mc->fmtp);
		++n;
	}

	if (err)
		return err;
	if (!n)
		return EINVAL;

	return sdp_format_add(NULL, leg->sdpm, false, "101", telev_rtpfmt,
			      8000, 1, NULL, NULL, NULL, false, "0-15");
}


/** Set up the leg's SDP session (called from leg_alloc). */
int leg_sdp_init(struct leg *leg)
{
	struct sa addr = leg->laddr;
	int err;

	if (leg->public_ip && sa_set_str(&addr, leg->public_ip, 0))
		return EINVAL;

	err = sdp_session_alloc(&leg->sdp, &addr);
	if (err)
		return err;

	err = sdp_media_add(&leg->sdpm, leg->sdp, sdp_media_audio,
			    leg_rtp_port(leg), sdp_proto_rtpavp);
	if (err)
		return err;

	err = sdp_media_set_lattr(leg->sdpm, true, sdp_attr_ptime, "%u",
				  MEDIA_PTIME);
	if (err)
		return err;

	return add_formats(leg);
}


/**
 * What libre accepts silently but we refuse: an empty or oversized body,
 * no version line, NUL bytes, ports or connection addresses that do not
 * parse. WebRTC offers go through it too.
 *
 * @return 0 if the body may be parsed, otherwise EPROTO
 */
int leg_sdp_check(const struct mbuf *mb)
{
	struct pl body, line;
	size_t left = mbuf_get_left(mb);

	if (!left || left > SDP_MAX)
		return EPROTO;

	body.p = (const char *)mbuf_buf(mb);
	body.l = left;
	if (body.l < 3 || strncmp(body.p, "v=0", 3))
		return EPROTO;

	while (body.l) {
		struct pl port, addr;
		const char *nl = memchr(body.p, '\n', body.l);

		line.p = body.p;
		line.l = nl ? (size_t)(nl - body.p) : body.l;
		pl_advance(&body, nl ? line.l + 1 : line.l);

		if (memchr(line.p, '\0', line.l))
			return EPROTO;

		if (line.l > 2 && !strncmp(line.p, "m=", 2)) {
			if (re_regex(line.p, line.l, M_LINE,
				     NULL, &port, NULL, NULL) ||
			    port.l > 5 || pl_u32(&port) > 65535)
				return EPROTO;
		}
		else if (line.l > 2 && !strncmp(line.p, "c=", 2)) {
			struct sa sa;

			if (re_regex(line.p, line.l, "c=IN IP[46]1 [^ \r/]+",
				     NULL, &addr) ||
			    sa_set(&sa, &addr, 0))
				return EPROTO;
		}
	}

	return 0;
}


static int decode_err(int err)
{
	switch (err) {

	case ENOMEM:
	case ENOTSUP:
		return err;

	default:
		return EPROTO;
	}
}


/*
 * The codec of a remote format the SDP matched with ours; offers may
 * leave out a=rtpmap for static payload types.
 */
static const struct mcodec *rf_codec(const struct sdp_format *rf)
{
	if (!rf->sup || rf->pt < 0 || rf->pt > 127)
		return NULL;

	if (rf->name)
		return mcodec_find(rf->name);

	return mcodec_find_pt(rf->pt);
}


/* Our preference first (we answer), or the far end's (it answered). */
static const struct sdp_format *pick(const struct leg *leg, bool answering)
{
	const struct list *rl = sdp_media_format_lst(leg->sdpm, false);
	struct pl rest, name;
	struct le *le;

	if (!answering) {
		for (le = list_head(rl); le; le = le->next) {
			if (rf_codec(le->data))
				return le->data;
		}

		return NULL;
	}

	pl_set_str(&rest, leg->codecs);
	while (!re_regex(rest.p, rest.l, "[^, ]+", &name)) {
		const struct mcodec *mc = mcodec_find_pl(name.p, name.l);

		pl_advance(&rest, name.p + name.l - rest.p);
		for (le = list_head(rl); mc && le; le = le->next) {
			if (rf_codec(le->data) == mc)
				return le->data;
		}
	}

	return NULL;
}


/* The answer names only the chosen codec and telephone-event. */
static void answer_only(struct leg *leg, const struct mcodec *mc,
			bool telev)
{
	struct le *le = list_head(sdp_media_format_lst(leg->sdpm, true));

	for (; le; le = le->next) {
		struct sdp_format *lf = le->data;

		if (!lf->sup)
			continue;

		if (!str_casecmp(lf->name, telev_rtpfmt))
			lf->sup = telev;
		else
			lf->sup = !str_casecmp(lf->name, mc->name);
	}
}


static void update_addr(struct leg *leg)
{
	struct sa raddr = *sdp_media_raddr(leg->sdpm), rtcp;

	sdp_media_raddr_rtcp(leg->sdpm, &rtcp);

	/*
	 * The same address again (a re-INVITE) keeps a latched source;
	 * a new one named by signalling starts strict checking afresh.
	 */
	if (sa_cmp(&raddr, &leg->sdp_raddr, SA_ALL))
		return;

	leg->sdp_raddr  = raddr;
	leg->raddr      = raddr;
	leg->raddr_rtcp = rtcp;
	leg->got_valid  = false;
	leg->latched    = false;
	leg->rx.ssrc_set = false;
	memset(&leg->cand, 0, sizeof(leg->cand));

	if (leg->started)
		rtcp_start(leg->rtp, "openseat", &leg->raddr_rtcp);
}


static void update_hold(struct leg *leg)
{
	enum sdp_dir rdir = sdp_media_rdir(leg->sdpm);
	bool hold;

	hold = !sa_isset(&leg->sdp_raddr, SA_ADDR) ||
		rdir == SDP_RECVONLY || rdir == SDP_INACTIVE;

	/* rdir is ours: a far end that is recvonly sends us nothing */
	leg->rx_expected = (rdir & SDP_RECVONLY) != 0;

	if (hold == leg->hold)
		return;

	leg->hold = hold;
	if (!hold) {
		leg->last_rx_ms = tmr_jiffies();
		leg->timed_out  = false;
	}

	leg_pend(leg, 0, 0, hold ? LEG_HOLD : LEG_UNHOLD);
}


static int negotiate(struct leg *leg, bool answering)
{
	const struct sdp_format *rf, *te, *lf;
	const struct mcodec *mc;

	if (!sdp_media_rport(leg->sdpm))
		return ENOTSUP;

	rf = pick(leg, answering);
	mc = rf ? rf_codec(rf) : NULL;
	if (!mc)
		return ENOTSUP;

	te = sdp_media_rformat(leg->sdpm, telev_rtpfmt);
	if (te && (te->pt < 0 || te->pt > 127 || te->srate != 8000))
		te = NULL;

	if (mc != leg->codec) {
		struct mcodec_state *st = NULL;
		int err = mc->alloc ? mc->alloc(&st) : 0;

		if (err)
			return err;

		mem_deref(leg->cst);
		leg->cst       = st;
		leg->codec     = mc;
		leg->tx_marker = true;
		leg->rx.ssrc_set = false;
		jitter_reset(&leg->jb);
	}

	if (answering)
		answer_only(leg, mc, te != NULL);

	lf = sdp_media_format(leg->sdpm, true, NULL, -1, mc->name, -1, -1);
	leg->pt_tx    = rf->pt;
	leg->pt_rx    = lf ? lf->pt : rf->pt;
	leg->pt_telev = te ? te->pt : -1;

	update_addr(leg);
	update_hold(leg);
	leg->negotiated = true;

	return 0;
}


/**
 * Answer an offer (a new INVITE or a re-INVITE: hold, unhold, codec or
 * address change).
 *
 * @return 0 if success, EPROTO (malformed), ENOTSUP (no audio or no
 * common codec), otherwise errorcode
 */
int leg_answer(struct leg *leg, struct mbuf *offer, struct mbuf **answerp)
{
	size_t pos;
	int err;

	if (!leg || !offer || !answerp)
		return EINVAL;

	err = leg_sdp_check(offer);
	if (err)
		return err;

	pos = offer->pos;
	err = sdp_decode(leg->sdp, offer, true);
	offer->pos = pos;
	if (err)
		return decode_err(err);

	err = negotiate(leg, true);
	if (err)
		return err;

	return sdp_encode(answerp, leg->sdp, false);
}


/** Our offer for an outbound call, every configured codec. */
int leg_offer(struct leg *leg, struct mbuf **offerp)
{
	if (!leg || !offerp)
		return EINVAL;

	return sdp_encode(offerp, leg->sdp, true);
}


/**
 * The far end's answer to our offer.
 *
 * @return 0 if success, EPROTO (malformed), ENOTSUP (no audio or no
 * common codec), otherwise errorcode
 */
int leg_answered(struct leg *leg, struct mbuf *answer)
{
	size_t pos;
	int err;

	if (!leg || !answer)
		return EINVAL;

	err = leg_sdp_check(answer);
	if (err)
		return err;

	pos = answer->pos;
	err = sdp_decode(leg->sdp, answer, false);
	answer->pos = pos;
	if (err)
		return decode_err(err);

	return negotiate(leg, false);
}
