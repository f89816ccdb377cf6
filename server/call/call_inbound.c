/* INVITEs from carriers: which trunk, which number, admit or refuse. */
#include <string.h>
#include <re.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "app.h"
#include "media/leg.h"
#include "media/webrtc.h"
#include "media/sipedge.h"
#include "telephony/telephony.h"
#include "call/call_int.h"

/*
 * Every INVITE passes the same gate, cheapest check first, and is
 * refused with one status that says why without telling an unknown
 * source anything it could use:
 *   banned source                        403
 *   unknown source, no credentials       403, or 401 challenge when
 *                                        a trunk is known by digest
 *                                        credentials alone
 *   credentials naming no trunk, or a
 *   bad digest (counted toward a ban)    403, none yet: 401 challenge
 *   number not ours / not on this trunk  404
 *   tenant suspended                     480
 *   a trunk or tenant limit reached      503
 * All lookups are in memory (server/telephony), so a flood costs no
 * database work.
 */

static struct {
	struct app *app;             /**< (borrowed) */
	struct sipedge *edge;        /**< (ref)      */
	struct sa rtp_ip;            /**< where legs bind RTP       */
	char media_ip[64];           /**< what SDP announces        */
} si;


static void refuse(struct sipcall *sc, uint16_t scode, const char *reason,
		   const char *why)
{
	call_count_rejected(why);
	(void)sipcall_reject(sc, scode, reason);
}


/* The username of the INVITE's digest credentials, if any. */
static bool cred_user(const struct sip_msg *msg, char *user, size_t sz)
{
	const struct sip_hdr *hdr;
	struct httpauth_digest_resp resp;

	hdr = sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION);
	if (!hdr)
		hdr = sip_msg_hdr(msg, SIP_HDR_PROXY_AUTHORIZATION);
	if (!hdr || httpauth_digest_response_decode(&resp, &hdr->val))
		return false;

	return pl_strcpy(&resp.username, user, sz) == 0 && user[0];
}


/*
 * Identify the trunk: by source address, then by digest credentials.
 * Returns the trunk (a reference) or NULL after answering the INVITE.
 */
static struct tel_trunk *trunk_identify(struct sipcall *sc,
					const struct sip_msg *msg)
{
	const char *realm = si.app->cfg.sip_realm;
	struct tel_trunk *trunk = tel_trunk_by_addr(&msg->src);
	char user[65];
	int err;

	if (!trunk && !cred_user(msg, user, sizeof(user))) {
		/* only a trunk known by credentials alone can answer it */
		if (!tel_digest_only_trunks()) {
			refuse(sc, 403, "Forbidden", "unknown_source");
			return NULL;
		}
		call_count_rejected("challenged");
		(void)sipcall_challenge(sc, realm);
		return NULL;
	}

	if (!trunk)
		trunk = tel_trunk_by_user(user);

	if (!trunk) {
		tel_auth_failed(&msg->src);
		refuse(sc, 403, "Forbidden", "unknown_source");
		return NULL;
	}

	if (!trunk->auth_user[0])
		return trunk;

	err = sipedge_digest_check(msg, realm, trunk->auth_user,
				   trunk->auth_secret);
	if (err == ENOENT) {
		call_count_rejected("challenged");
		(void)sipcall_challenge(sc, realm);
		return mem_deref(trunk);
	}
	if (err) {
		tel_auth_failed(&msg->src);
		refuse(sc, 403, "Forbidden", "bad_credentials");
		return mem_deref(trunk);
	}

	return trunk;
}


static struct tel_number *number_identify(struct sipcall *sc,
					  const struct sip_msg *msg,
					  const struct tel_trunk *trunk)
{
	struct tel_number *num = NULL;
	char raw[64], digits[33];

	if (pl_strcpy(&msg->uri.user, raw, sizeof(raw)) ||
	    tel_normalize(digits, sizeof(digits), raw) ||
	    !(num = tel_number_find(digits)) ||
	    (num->trunk_id[0] && strcmp(num->trunk_id, trunk->trunk_id)) ||
	    (trunk->tenant_id[0] &&
	     strcmp(trunk->tenant_id, num->tenant_id))) {
		refuse(sc, 404, "Not Found", "unknown_number");
		return mem_deref(num);
	}

	if (!num->tenant_active) {
		refuse(sc, 480, "Temporarily Unavailable",
		       "tenant_suspended");
		return mem_deref(num);
	}

	return num;
}


static void caller_of(const struct sip_msg *msg, char *out, size_t sz)
{
	const struct sip_hdr *pai;
	struct sip_addr addr;
	char raw[65];

	pai = sip_msg_hdr(msg, SIP_HDR_P_ASSERTED_IDENTITY);
	if (pai && !sip_addr_decode(&addr, &pai->val) &&
	    pl_isset(&addr.uri.user))
		(void)pl_strcpy(&addr.uri.user, raw, sizeof(raw));
	else if (pl_strcpy(&msg->from.uri.user, raw, sizeof(raw)))
		raw[0] = '\0';

	if (tel_normalize(out, sz, raw))
		str_ncpy(out, "anonymous", sz);
}


static void on_invite(struct sipcall *sc, const struct sip_msg *msg,
		      void *arg)
{
	struct tel_admission *adm = NULL;
	struct tel_trunk *trunk;
	struct tel_number *num;
	struct call *call = NULL;
	char caller[65], sip_call_id[128];
	int err;

	(void)arg;

	if (si.app->stopping) {
		refuse(sc, 503, "Service Unavailable", "stopping");
		return;
	}
	if (tel_banned(&msg->src)) {
		refuse(sc, 403, "Forbidden", "banned");
		return;
	}

	trunk = trunk_identify(sc, msg);
	if (!trunk)
		return;

	num = number_identify(sc, msg, trunk);
	if (!num)
		goto out;

	if (tel_admit(&adm, trunk, num)) {
		refuse(sc, 503, "Service Unavailable", "limit");
		goto out;
	}

	caller_of(msg, caller, sizeof(caller));
	if (pl_strcpy(&msg->callid, sip_call_id, sizeof(sip_call_id)))
		sip_call_id[0] = '\0';
	err = call_alloc(&call, si.app, num, trunk, caller, sip_call_id);
	if (err) {
		mem_deref(adm);
		refuse(sc, 500, "Server Internal Error", "error");
		goto out;
	}

	call->adm = adm;
	call->trunk = mem_ref(trunk);
	call->sc = mem_ref(sc);
	call_ivr_prepare(call, num);

 out:
	mem_deref(num);
	mem_deref(trunk);
}


static void on_dtmf(char digit, uint32_t dur_ms, void *arg)
{
	(void)dur_ms;
	call_ivr_dtmf(arg, digit);
}


static void on_leg_event(enum leg_event ev, void *arg)
{
	struct call *call = arg;

	if (ev == LEG_RTP_TIMEOUT)
		call_end(call, "caller", "rtp_timeout");
}


static void on_estab(void *arg)
{
	struct call *call = arg;

	if (call->state != CALL_SETUP)
		return;

	call->state = CALL_LIVE;
	call->t_answer = call_now_ms();
	call_cdr_answered(call);
	(void)leg_start(call->leg);
	call_ivr_start(call);
}


static void on_closed(const struct sipcall_end *end, void *arg)
{
	struct call *call = arg;
	const char *cause = end->reason ? end->reason : "error";

	call->sc = mem_deref(call->sc);
	call_end(call, end->side == SIPCALL_REMOTE ? "caller" : "system",
		 cause);
}


/**
 * A new RTP leg for the call, with the trunk's codec preference.
 *
 * @return 0 if success, otherwise errorcode
 */
int call_leg_alloc(struct call *call, struct leg **legp, leg_dtmf_h *dtmfh,
		   leg_event_h *evh)
{
	return call_leg_alloc_for(call, legp, dtmfh, evh, call);
}


/** A leg of the call whose handlers get arg (an agent's leg, say). */
int call_leg_alloc_for(struct call *call, struct leg **legp,
		       leg_dtmf_h *dtmfh, leg_event_h *evh, void *arg)
{
	const struct cfg *c = &call->app->cfg;
	struct leg_cfg lc;

	memset(&lc, 0, sizeof(lc));
	lc.laddr = &si.rtp_ip;
	lc.public_ip = si.media_ip;
	lc.port_min = (uint16_t)c->rtp_port_min;
	lc.port_max = (uint16_t)c->rtp_port_max;
	lc.codecs = call->trunk && call->trunk->codecs[0] ?
		call->trunk->codecs : c->sip_codecs;
	lc.rtp_timeout_ms = c->rtp_timeout * 1000;

	return leg_alloc(legp, &lc, dtmfh, evh, arg);
}


/**
 * A browser's media session answering its SDP offer: Opus first, then
 * PCMU; no STUN consent and no media for webrtc_grace ends it.
 */
int call_webrtc_alloc(const struct app *app, struct webrtc **wp,
		      const char *offer, char **answerp,
		      webrtc_event_h *eh, void *arg)
{
	const struct cfg *c = &app->cfg;
	struct webrtc_cfg wc;

	memset(&wc, 0, sizeof(wc));
	wc.laddr = &si.rtp_ip;
	wc.public_ip = si.media_ip;
	wc.port_min = (uint16_t)c->rtp_port_min;
	wc.port_max = (uint16_t)c->rtp_port_max;
	wc.codecs = "opus,PCMU";
	wc.timeout_ms = c->webrtc_grace * 1000;

	return webrtc_alloc(wp, &wc, offer, strlen(offer), answerp, eh, arg);
}


/** The process state (for a call made from a console). */
struct app *call_app(void)
{
	return si.app;
}


/** The SIP edge (for outbound legs) and the IP our SDP announces. */
struct sipedge *call_sip_edge(void)
{
	return si.edge;
}


const char *call_media_ip(void)
{
	return si.media_ip;
}


/**
 * Answer the call's INVITE now that its flow is ready: a leg, the SDP
 * answer, 200 OK. On a bad offer the edge has already sent 488.
 */
void call_answer(struct call *call)
{
	struct sipcall_handlers h = {on_estab, NULL, on_closed, call};
	int err;

	err = call_leg_alloc(call, &call->leg, on_dtmf, on_leg_event);
	err = err ? err : sipcall_accept(call->sc, call->leg, false, &h);
	if (err) {
		log_info("%H: not answered: %m", call_debug, call, err);
		call_set_disposition(call, "failed");
		if (err == EPROTO || err == ENOTSUP)
			call->sc = mem_deref(call->sc);  /* 488 was sent */
		call_end(call, "system", err == EPROTO || err == ENOTSUP ?
			 "bad_sdp" : "error");
	}
}


static int media_ip_setup(const struct cfg *c)
{
	int err;

	err = sa_set_str(&si.rtp_ip, c->sip_addr, 0);
	if (err)
		return err;

	if (c->public_addr[0]) {
		str_ncpy(si.media_ip, c->public_addr, sizeof(si.media_ip));
		return 0;
	}

	if (sa_is_any(&si.rtp_ip)) {
		struct sa def;

		if (net_default_source_addr_get(AF_INET, &def))
			(void)sa_set_str(&def, "127.0.0.1", 0);
		(void)re_snprintf(si.media_ip, sizeof(si.media_ip), "%j",
				  &def);
	}
	else {
		str_ncpy(si.media_ip, c->sip_addr, sizeof(si.media_ip));
	}

	return 0;
}


/**
 * Listen for SIP and take calls.
 *
 * @return 0 if success, otherwise errorcode
 */
int call_sip_init(struct app *app)
{
	const struct cfg *c = &app->cfg;
	struct sipedge_cfg ec;
	int err;

	si.app = app;
	err = media_ip_setup(c);
	if (err) {
		log_error("sip_addr %s: %m", c->sip_addr, err);
		return err;
	}

	memset(&ec, 0, sizeof(ec));
	ec.laddr = c->sip_addr;
	ec.port = (uint16_t)c->sip_port;
	ec.public_addr = c->public_addr[0] ? c->public_addr : NULL;
	ec.tls_cert = c->sip_tls_cert[0] ? c->sip_tls_cert : NULL;
	ec.user_agent = "OpenSeat";
	ec.session_expires = c->sip_session_expires;

	err = sipedge_alloc(&si.edge, &ec, on_invite, call_count_sip, app);
	if (err) {
		log_error("SIP on %s:%u: %m", c->sip_addr, c->sip_port, err);
		return err;
	}

	log_info("SIP on %s:%u (media %s, RTP %u-%u)", c->sip_addr,
		 c->sip_port, si.media_ip, c->rtp_port_min, c->rtp_port_max);

	return 0;
}


/** Hang up every SIP call and refuse new ones (503); keep the stack
 * running so the BYEs get out. */
void call_sip_shutdown(void)
{
	if (si.edge)
		sipedge_shutdown(si.edge);
}


void call_sip_close(void)
{
	call_sip_shutdown();
	si.edge = mem_deref(si.edge);
}
