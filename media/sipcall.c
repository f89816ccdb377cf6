/*
 * One INVITE dialog at the edge: the owner's answer to a new INVITE
 * (reject, challenge, accept), 183 then 200, ACK, re-INVITE, and the
 * one closed report. Outbound calls are set up in sipcall_out.c.
 */
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/leg.h"
#include "media/sipedge.h"
#include "media/sipedge_int.h"


static void destructor(void *arg)
{
	struct sipcall *sc = arg;

	tmr_cancel(&sc->tmr_pending);
	tmr_cancel(&sc->tmr_se);
	hash_unlink(&sc->he);

	/* a live session sends BYE, CANCEL or its final answer itself */
	mem_deref(sc->sess);
	mem_deref(sc->st);
	mem_deref((void *)sc->msg);
	mem_deref(sc->leg);
	mem_deref(sc->sdp);
	mem_deref(sc->call_id);
	mem_deref(sc->cuser);
	mem_deref(sc->auth_user);
	mem_deref(sc->auth_pass);
}


/**
 * A call object, linked into the edge (the edge holds the reference
 * returned in *scp). msg is the INVITE for inbound calls, else NULL.
 */
int sipcall_alloc(struct sipcall **scp, struct sipedge *se,
		  const struct sip_msg *msg)
{
	struct sipcall *sc;
	int err = 0;

	sc = mem_zalloc(sizeof(*sc), destructor);
	if (!sc)
		return ENOMEM;

	sc->se = se;
	tmr_init(&sc->tmr_pending);
	tmr_init(&sc->tmr_se);

	if (msg) {
		sc->msg = mem_ref((void *)msg);
		err = pl_strdup(&sc->call_id, &msg->callid);
		if (err)
			goto out;

		hash_append(se->calls, hash_joaat_pl(&msg->callid), &sc->he,
			    sc);
		++se->ncalls;
	}

 out:
	if (err)
		mem_deref(sc);
	else
		*scp = sc;

	return err;
}


/**
 * Drop the edge's reference without telling anyone (the call is over or
 * the edge is going away). Safe to call twice.
 */
void sipcall_release(struct sipcall *sc)
{
	if (!sc || !sc->he.list)
		return;

	hash_unlink(&sc->he);
	if (sc->se && sc->se->ncalls)
		--sc->se->ncalls;
	sc->se = NULL;
	if (sc->state != SIPCALL_CLOSED) {
		sc->state = SIPCALL_CLOSED;
		tmr_cancel(&sc->tmr_pending);
		tmr_cancel(&sc->tmr_se);
	}

	mem_deref(sc);
}


/**
 * The call is over: stop media, end the session (BYE/CANCEL if still
 * up), report it once, drop the edge's reference.
 */
void sipcall_close(struct sipcall *sc, enum sipcall_side side,
		   uint16_t scode, const char *reason, int err)
{
	struct sipcall_handlers h;
	struct sipcall_end end;

	if (!sc || sc->state == SIPCALL_CLOSED)
		return;

	sc->state = SIPCALL_CLOSED;
	tmr_cancel(&sc->tmr_pending);
	tmr_cancel(&sc->tmr_se);
	leg_stop(sc->leg);
	sc->sess = mem_deref(sc->sess);

	h = sc->h;
	memset(&sc->h, 0, sizeof(sc->h));

	end.side   = side;
	end.scode  = scode;
	end.reason = reason;
	end.err    = err;

	mem_ref(sc);
	sipcall_release(sc);
	if (h.closedh)
		h.closedh(&end, h.arg);
	mem_deref(sc);
}


static const char *phrase(uint16_t scode)
{
	switch (scode) {

	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 480: return "Temporarily Unavailable";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 500: return "Server Internal Error";
	case 503: return "Service Unavailable";
	case 603: return "Decline";
	default:  return "Rejected";
	}
}


/* Final answer on the pending INVITE transaction, then let go. */
static void pending_reply(struct sipcall *sc, uint16_t scode,
			  const char *reason)
{
	if (sc->st && sc->se)
		(void)sip_treply(&sc->st, sc->se->sip, sc->msg, scode,
				 reason ? reason : phrase(scode));

	sipcall_release(sc);
}


static void pending_cancel_handler(void *arg)
{
	struct sipcall *sc = arg;

	pending_reply(sc, 487, NULL);
}


/* The owner never answered: fail safe rather than hold the INVITE. */
static void pending_timeout(void *arg)
{
	struct sipcall *sc = arg;

	pending_reply(sc, 500, NULL);
}


static bool require_handler(const struct sip_hdr *hdr,
			    const struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;

	return pl_strcasecmp(&hdr->val, "timer") != 0;
}


/** A new INVITE (not a re-INVITE) from the sipsess socket. */
void sipcall_new_invite(struct sipedge *se, const struct sip_msg *msg)
{
	const struct sip_hdr *ext;
	struct sipcall *sc;
	int err;

	/* an extension we must use but do not know (100rel, ...) */
	ext = sip_msg_hdr_apply(msg, true, SIP_HDR_REQUIRE, require_handler,
				NULL);
	if (ext) {
		(void)sip_treplyf(NULL, NULL, se->sip, msg, false, 420,
				  "Bad Extension",
				  "Unsupported: %r\r\n"
				  "Content-Length: 0\r\n\r\n", &ext->val);
		return;
	}

	err = sipcall_alloc(&sc, se, msg);
	if (err)
		goto fail;

	/* our own transaction absorbs retransmissions and CANCEL until
	   the owner answers */
	err = sip_strans_alloc(&sc->st, se->sip, msg, pending_cancel_handler,
			       sc);
	if (!err)
		err = sip_treply(&sc->st, se->sip, msg, 100, "Trying");
	if (err) {
		sipcall_release(sc);
		goto fail;
	}

	tmr_start(&sc->tmr_pending, se->pending_ms, pending_timeout, sc);

	mem_ref(sc);
	se->inviteh(sc, msg, se->arg);
	mem_deref(sc);
	return;

 fail:
	(void)sip_treply(NULL, se->sip, msg, 500, phrase(500));
}


static int pending_check(const struct sipcall *sc)
{
	if (!sc || sc->outbound)
		return EINVAL;

	if (sc->state == SIPCALL_CLOSED || !sc->se || !sc->st)
		return ECANCELED;

	if (sc->state != SIPCALL_PENDING)
		return EALREADY;

	return 0;
}


/**
 * Reject a new INVITE with a final status (300-699).
 *
 * @return 0 if success, ECANCELED if the caller gave up meanwhile,
 * otherwise errorcode
 */
int sipcall_reject(struct sipcall *sc, uint16_t scode, const char *reason)
{
	int err;

	err = pending_check(sc);
	if (err)
		return err;

	if (scode < 300 || scode > 699)
		return EINVAL;

	pending_reply(sc, scode, reason);

	return 0;
}


/**
 * Answer a new INVITE with 401 and a digest challenge for realm. The
 * nonce is stateless (see sip_digest.c): the caller's retry is a new
 * INVITE, checked with sipedge_digest_check().
 */
int sipcall_challenge(struct sipcall *sc, const char *realm)
{
	char nonce[64];
	int err;

	err = pending_check(sc);
	if (err)
		return err;

	if (!realm || !*realm || strpbrk(realm, "\"\\\r\n"))
		return EINVAL;

	err = sip_digest_nonce(nonce, sizeof(nonce), realm,
			       (uint64_t)time(NULL));
	if (err)
		return err;

	(void)sip_treplyf(&sc->st, NULL, sc->se->sip, sc->msg, false,
			  401, "Unauthorized",
			  "WWW-Authenticate: Digest realm=\"%s\","
			  " nonce=\"%s\", algorithm=MD5, qop=\"auth\"\r\n"
			  "Content-Length: 0\r\n"
			  "\r\n", realm, nonce);
	sipcall_release(sc);

	return 0;
}


/* Our SDP for the INVITE: an answer, or an offer when it had none. */
static int accept_sdp(struct sipcall *sc, struct leg *leg)
{
	struct mbuf *body = sc->msg->mb;

	if (mbuf_get_left(body))
		return leg_answer(leg, body, &sc->sdp);

	sc->offer_in_200 = true;

	return leg_offer(leg, &sc->sdp);
}


/**
 * Accept a new INVITE with a leg: 200 with our SDP, or 183 with it when
 * early (then sipcall_answer() sends the 200). An INVITE without SDP
 * gets our offer and the answer is expected in the ACK.
 *
 * @return 0 if success; EPROTO or ENOTSUP from the leg after answering
 * 488 (closedh is not called then); ECANCELED if the caller gave up
 */
int sipcall_accept(struct sipcall *sc, struct leg *leg, bool early,
		   const struct sipcall_handlers *h)
{
	struct sipedge *se;
	int err;

	err = pending_check(sc);
	if (err)
		return err;

	if (!leg || !h)
		return EINVAL;

	se = sc->se;
	err = accept_sdp(sc, leg);
	if (err) {
		pending_reply(sc, (err == EPROTO || err == ENOTSUP) ?
			      488 : 500, NULL);
		return err;
	}

	err = sipedge_contact(&sc->cuser, se, sc->msg->tp);
	if (err) {
		pending_reply(sc, 500, NULL);
		return err;
	}

	sc->leg = mem_ref(leg);
	sc->h = *h;
	sc->se_secs = sip_timer_interval(sc->msg, se->session_expires);
	tmr_cancel(&sc->tmr_pending);

	/* hand the transaction over to the session */
	sc->st = mem_deref(sc->st);

	err = sipsess_accept(&sc->sess, se->sock, sc->msg,
			     early ? 183 : 200,
			     early ? "Session Progress" : "OK",
			     sc->cuser, "application/sdp", sc->sdp,
			     NULL, NULL, false,
			     sipcall_offer_handler, sipcall_answer_handler,
			     sipcall_estab_handler, NULL, NULL,
			     sipcall_close_handler, sc,
			     "%H", sip_timer_hdrs, early ? NULL : sc);
	if (err) {
		(void)sip_treply(NULL, se->sip, sc->msg, 500, phrase(500));
		memset(&sc->h, 0, sizeof(sc->h));
		sipcall_release(sc);
		return err;
	}

	sc->state = early ? SIPCALL_EARLY : SIPCALL_ANSWERED;
	if (early)
		(void)leg_start(leg);   /* early media: prompts, ringback */

	return 0;
}


/**
 * Answer a call accepted early: 200 with the SDP of the 183.
 */
int sipcall_answer(struct sipcall *sc)
{
	int err;

	if (!sc || sc->outbound)
		return EINVAL;

	if (sc->state == SIPCALL_CLOSED)
		return ECANCELED;

	if (sc->state != SIPCALL_EARLY)
		return EALREADY;

	err = sipsess_answer(sc->sess, 200, "OK", sc->sdp, "%H",
			     sip_timer_hdrs, sc);
	if (err)
		return err;

	sc->state = SIPCALL_ANSWERED;

	return 0;
}


/**
 * End a call from our side: BYE when established, CANCEL for an
 * outbound call not answered, else a final response (scode, 480 when
 * not an error status). closedh runs before this returns.
 */
void sipcall_hangup(struct sipcall *sc, uint16_t scode, const char *reason)
{
	uint16_t code = (scode >= 300 && scode <= 699) ? scode : 480;

	if (!sc || sc->state == SIPCALL_CLOSED)
		return;

	if (sc->state == SIPCALL_PENDING && !sc->outbound) {
		pending_reply(sc, code, NULL);
		return;
	}

	if (sc->state == SIPCALL_EARLY && !sc->outbound)
		(void)sipsess_reject(sc->sess, code, phrase(code), NULL);
	else
		code = 0;

	sipcall_close(sc, SIPCALL_LOCAL, code, reason ? reason : "hangup",
		      0);
}


/* A re-INVITE (or our offer's answer comes later in the ACK). */
int sipcall_offer_handler(struct mbuf **descp, const struct sip_msg *msg,
			  void *arg)
{
	struct sipcall *sc = arg;
	int err;

	if (mbuf_get_left(msg->mb))
		err = leg_answer(sc->leg, msg->mb, descp);
	else
		err = leg_offer(sc->leg, descp);

	if (!err)
		sip_timer_reinvite(sc);

	return err;
}


/* The answer to our offer: in the ACK (inbound) or the 200 (outbound). */
int sipcall_answer_handler(const struct sip_msg *msg, void *arg)
{
	struct sipcall *sc = arg;

	if (!mbuf_get_left(msg->mb))
		return sc->early_media ? 0 : EPROTO;

	return leg_answered(sc->leg, msg->mb);
}


void sipcall_estab_handler(const struct sip_msg *msg, void *arg)
{
	struct sipcall *sc = arg;
	(void)msg;

	sc->state = SIPCALL_ESTAB;
	(void)leg_start(sc->leg);
	sip_timer_start(sc);

	if (sc->h.estabh)
		sc->h.estabh(sc->h.arg);
}


void sipcall_close_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct sipcall *sc = arg;
	uint16_t scode = 0;
	const char *reason = "error";

	if (msg && !msg->req && msg->scode >= 300) {
		scode  = msg->scode;
		reason = "rejected";
	}
	else if (err == ECONNRESET) {
		if (sc->state == SIPCALL_EARLY && !sc->outbound) {
			scode  = 487;
			reason = "cancel";
		}
		else {
			reason = "bye";
		}
	}
	else if (err == ETIMEDOUT) {
		reason = (sc->state == SIPCALL_ANSWERED && !sc->outbound) ?
			"no_ack" : "timeout";
	}
	else if (err == EPROTO || err == ENOTSUP) {
		reason = "bad_sdp";
	}
	else if (err) {
		reason = "transport_error";
	}

	sipcall_close(sc, SIPCALL_REMOTE, scode, reason, err);
}


static bool cmp_handler(struct le *le, void *arg)
{
	const struct sipcall *sc = le->data;

	return sc->sess && sip_dialog_cmp(sipsess_dialog(sc->sess), arg);
}


/** The call whose dialog msg belongs to, NULL if none. */
struct sipcall *sipcall_find(const struct sipedge *se,
			     const struct sip_msg *msg)
{
	return list_ledata(hash_lookup(se->calls, hash_joaat_pl(&msg->callid),
				       cmp_handler, (void *)msg));
}


/** Call-ID, for logs and the CDR. */
const char *sipcall_call_id(const struct sipcall *sc)
{
	return sc ? sc->call_id : NULL;
}


int sipcall_debug(struct re_printf *pf, const struct sipcall *sc)
{
	static const char *states[] = {
		"pending", "early", "answered", "estab", "closed"
	};

	if (!sc)
		return 0;

	return re_hprintf(pf, "call %s %s %s se=%us",
			  sc->call_id ? sc->call_id : "?",
			  sc->outbound ? "out" : "in",
			  states[sc->state], sc->se_secs);
}
