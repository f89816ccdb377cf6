/*
 * Outbound calls through a trunk: INVITE with our offer, digest
 * credentials when challenged, 18x progress (with early media when it
 * carries SDP), and the final status when it fails.
 */
#include <string.h>
#include <re.h>
#include "media/leg.h"
#include "media/sipedge.h"
#include "media/sipedge_int.h"


static int auth_handler(char **username, char **password, const char *realm,
			void *arg)
{
	struct sipcall *sc = arg;
	int err;
	(void)realm;

	if (!sc->auth_user || !sc->auth_pass)
		return EAUTH;

	err  = str_dup(username, sc->auth_user);
	err |= str_dup(password, sc->auth_pass);

	return err;
}


static void progress_handler(const struct sip_msg *msg, void *arg)
{
	struct sipcall *sc = arg;

	if (msg->scode > 100 && mbuf_get_left(msg->mb) && !sc->early_media &&
	    !leg_answered(sc->leg, msg->mb)) {
		sc->early_media = true;
		sc->state = SIPCALL_EARLY;
		(void)leg_start(sc->leg);
	}

	if (msg->scode > 100 && sc->h.progressh)
		sc->h.progressh(msg->scode, sc->h.arg);
}


static enum sip_transp uri_transp(const char *uri)
{
	if (strstr(uri, "transport=tls") || !strncmp(uri, "sips:", 5))
		return SIP_TRANSP_TLS;

	if (strstr(uri, "transport=tcp"))
		return SIP_TRANSP_TCP;

	return SIP_TRANSP_UDP;
}


static int dial(struct sipcall *sc, const struct sipcall_dial *d)
{
	struct sipedge *se = sc->se;
	const char *routev[1];
	struct mbuf *offer = NULL;
	int err;

	err = leg_offer(sc->leg, &offer);
	if (err)
		return err;

	err = sipedge_contact(&sc->cuser, se,
			      uri_transp(d->proxy ? d->proxy : d->uri));
	if (err)
		goto out;

	routev[0] = d->proxy;

	err = sipsess_connect(&sc->sess, se->sock, d->uri, d->from_name,
			      d->from_uri, sc->cuser, routev,
			      d->proxy ? 1 : 0, "application/sdp", offer,
			      auth_handler, sc, false,
			      sipcall_offer_handler, sipcall_answer_handler,
			      progress_handler, sipcall_estab_handler,
			      NULL, NULL, sipcall_close_handler, sc, NULL);

 out:
	mem_deref(offer);
	return err;
}


/**
 * Place a call through a trunk with leg's offer.
 *
 * @param scp  the call; the edge holds it until closedh has returned
 *             (mem_ref it to keep it longer)
 *
 * @return 0 if the INVITE is on its way, otherwise errorcode
 */
int sipedge_connect(struct sipcall **scp, struct sipedge *se,
		    const struct sipcall_dial *d, struct leg *leg,
		    const struct sipcall_handlers *h)
{
	struct sipcall *sc;
	int err;

	if (!scp || !se || !d || !d->uri || !d->from_uri || !leg || !h)
		return EINVAL;

	if (se->closing)
		return ESHUTDOWN;

	err = sipcall_alloc(&sc, se, NULL);
	if (err)
		return err;

	sc->outbound = true;
	sc->leg = mem_ref(leg);
	sc->h = *h;

	if (d->auth_user && d->auth_pass) {
		err  = str_dup(&sc->auth_user, d->auth_user);
		err |= str_dup(&sc->auth_pass, d->auth_pass);
		if (err)
			goto out;
	}

	err = dial(sc, d);
	if (err)
		goto out;

	err = str_dup(&sc->call_id,
		      sip_dialog_callid(sipsess_dialog(sc->sess)));
	if (err)
		goto out;

	hash_append(se->calls, hash_joaat_str(sc->call_id), &sc->he, sc);
	++se->ncalls;

 out:
	if (err) {
		/* the session goes quietly: our handlers are not called */
		memset(&sc->h, 0, sizeof(sc->h));
		mem_deref(sc);
	}
	else {
		*scp = sc;
	}

	return err;
}
