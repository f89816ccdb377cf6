/*
 * RFC 4028 session timers, the minimum libre 1.1.0's sipsess lacks: the
 * caller refreshes (refresher=uac), a call not refreshed in time ends
 * with BYE. UPDATE in a dialog is answered here (sipsess does not).
 */
#include <string.h>
#include <re.h>
#include "media/leg.h"
#include "media/sipedge.h"
#include "media/sipedge_int.h"

enum {
	MIN_SE = 90,       /**< RFC 4028 floor, seconds       */
	MAX_SE = 86400,    /**< a caller's Min-SE is capped   */
};


static uint32_t hdr_delta(const struct sip_msg *msg, enum sip_hdrid id,
			  struct pl *params)
{
	const struct sip_hdr *hdr = sip_msg_hdr(msg, id);
	struct pl num;

	if (!hdr)
		return 0;

	if (re_regex(hdr->val.p, hdr->val.l, "[0-9]+", &num))
		return 0;

	if (params) {
		params->p = num.p + num.l;
		params->l = hdr->val.l - (size_t)(params->p - hdr->val.p);
	}

	return pl_u32(&num);
}


/**
 * The session interval for a new INVITE, 0 when no timer runs: ours is
 * off, the caller does not support timers, or it asks us to refresh.
 */
uint32_t sip_timer_interval(const struct sip_msg *msg, uint32_t ours)
{
	struct pl params = PL_INIT, refr;
	uint32_t theirs, min_se, ival = ours;

	if (!ours || !msg)
		return 0;

	if (!sip_msg_hdr_has_value(msg, SIP_HDR_SUPPORTED, "timer") &&
	    !sip_msg_hdr_has_value(msg, SIP_HDR_REQUIRE, "timer"))
		return 0;

	theirs = hdr_delta(msg, SIP_HDR_SESSION_EXPIRES, &params);
	if (!re_regex(params.p, params.l, "refresher=[a-z]+", &refr) &&
	    !pl_strcasecmp(&refr, "uas"))
		return 0;

	/* a shorter interval is honoured, but not below RFC 4028's
	   minimum of 90 s (or ours when that is shorter) */
	if (theirs && theirs < ival)
		ival = MAX(theirs, MIN(ours, MIN_SE));

	min_se = hdr_delta(msg, SIP_HDR_MIN_SE, NULL);
	if (min_se > ival)
		ival = MIN(min_se, MAX_SE);

	return ival;
}


/** Session timer headers for a 2xx, nothing when sc is NULL. */
int sip_timer_hdrs(struct re_printf *pf, const struct sipcall *sc)
{
	if (!sc)
		return 0;

	if (!sc->se_secs)
		return re_hprintf(pf, "Supported: timer\r\n");

	return re_hprintf(pf, "Session-Expires: %u;refresher=uac\r\n"
			  "Require: timer\r\n"
			  "Supported: timer\r\n", sc->se_secs);
}


static void expired(void *arg)
{
	struct sipcall *sc = arg;

	sipcall_close(sc, SIPCALL_LOCAL, 0, "session_timer", ETIMEDOUT);
}


/*
 * A re-INVITE arrived. sipsess answers it with a 200 we cannot add
 * Session-Expires to, and a caller reading that 200 takes the session
 * timer as off (RFC 4028 7.4): so must we, or we would end a healthy
 * call whose refreshes stopped for that reason. RTP inactivity still
 * ends a call whose far end vanished.
 */
void sip_timer_reinvite(struct sipcall *sc)
{
	sc->se_secs = 0;
	tmr_cancel(&sc->tmr_se);
}


void sip_timer_start(struct sipcall *sc)
{
	if (sc->se_secs)
		tmr_start(&sc->tmr_se, (uint64_t)sc->se_secs * 1000, expired,
			  sc);
}


/** An UPDATE refreshed the session: a new interval begins. */
void sip_timer_refresh(struct sipcall *sc, const struct sip_msg *msg)
{
	uint32_t ival;

	if (!sc->se_secs || !sc->se)
		return;

	ival = sip_timer_interval(msg, sc->se->session_expires);
	if (ival)
		sc->se_secs = ival;

	if (sc->state == SIPCALL_ESTAB)
		sip_timer_start(sc);
}


static int update_reply(struct sipedge *se, struct sipcall *sc,
			const struct sip_msg *msg, struct mbuf *sdp)
{
	return sip_treplyf(NULL, NULL, se->sip, msg, true, 200, "OK",
			   "Contact: <%s>\r\n"
			   "%H"
			   "%s"
			   "Content-Length: %zu\r\n"
			   "\r\n"
			   "%b",
			   sc->cuser, sip_timer_hdrs, sc,
			   sdp ? "Content-Type: application/sdp\r\n" : "",
			   sdp ? mbuf_get_left(sdp) : (size_t)0,
			   sdp ? mbuf_buf(sdp) : NULL,
			   sdp ? mbuf_get_left(sdp) : (size_t)0);
}


/** UPDATE (RFC 3311) in a dialog: a session refresh, maybe a new offer. */
void sip_update_handler(struct sipedge *se, const struct sip_msg *msg)
{
	struct sipcall *sc = sipcall_find(se, msg);
	struct mbuf *sdp = NULL;
	int err;

	if (!sc || sc->state == SIPCALL_CLOSED || !sc->leg) {
		(void)sip_reply(se->sip, msg, 481,
				"Call/Transaction Does Not Exist");
		return;
	}

	if (!sip_dialog_rseq_valid(sipsess_dialog(sc->sess), msg)) {
		(void)sip_reply(se->sip, msg, 500, "Server Internal Error");
		return;
	}

	if (mbuf_get_left(msg->mb)) {
		err = leg_answer(sc->leg, msg->mb, &sdp);
		if (err) {
			(void)sip_reply(se->sip, msg, 488,
					"Not Acceptable Here");
			return;
		}
	}

	sip_timer_refresh(sc, msg);
	(void)update_reply(se, sc, msg, sdp);
	mem_deref(sdp);
}
