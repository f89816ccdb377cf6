/*
 * A WebRTC leg: life cycle, the mixer port, the house tick (consent
 * timeout, RTCP reports, owner events) and statistics. The offer and
 * answer are in webrtc_sdp.c, ICE in webrtc_ice.c, DTLS in
 * webrtc_dtls.c, SRTP and RTCP in webrtc_rtp.c.
 */
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mixer.h"
#include "media/webrtc.h"
#include "media/codec_int.h"
#include "media/webrtc_int.h"

struct webrtc_stats webrtc_tot;
static struct list webrtcl;     /**< every live leg, not owned */


static void destructor(void *arg)
{
	struct webrtc *w = arg;

	list_unlink(&w->le);
	mem_deref(w->house);
	mem_deref(w->mp);
	mem_deref(w->tc);
	mem_deref(w->dsock);
	mem_deref(w->uh);
	mem_deref(w->us);
	mem_deref(w->srtp_rx);
	mem_deref(w->srtp_tx);
	mem_deref(w->txmb);
	mem_deref(w->cst);
}


/**
 * Queue an event for the owner; the house tick delivers it, so no owner
 * handler runs inside our receive path or inside webrtc_alloc().
 */
void webrtc_pend(struct webrtc *w, enum webrtc_event ev, const char *reason)
{
	struct webrtc_pending *p;

	if (w->pend_n == WEBRTC_PENDING)
		return;

	p = &w->pendv[(w->pend_head + w->pend_n++) % WEBRTC_PENDING];
	p->ev     = ev;
	p->reason = reason;
}


/* Consent freshness (RFC 7675): checks or media must keep coming. */
static void check_timeout(struct webrtc *w, uint64_t now)
{
	if (!w->timeout_ms || w->state == WEBRTC_ST_DEAD ||
	    now - w->last_ok_ms < w->timeout_ms)
		return;

	w->state = WEBRTC_ST_DEAD;
	webrtc_pend(w, WEBRTC_TIMEOUT, "no consent");
}


/*
 * House phase. The owner's handler is the last thing we call: it may
 * free the leg (the tick tolerates that).
 */
static void house_tick(uint64_t tick, void *arg)
{
	struct webrtc *w = arg;
	struct webrtc_pending p;
	uint64_t now = tmr_jiffies();
	(void)tick;

	check_timeout(w, now);

	if (w->state == WEBRTC_ST_UP && now - w->rtcp_ms >= WEBRTC_RTCP_MS) {
		w->rtcp_ms = now;
		webrtc_rtcp_send(w);
	}

	if (!w->pend_n)
		return;

	p = w->pendv[w->pend_head];
	w->pend_head = (w->pend_head + 1) % WEBRTC_PENDING;
	--w->pend_n;

	if (w->eh)
		w->eh(p.ev, p.reason, w->arg);
}


static int leg_setup(struct webrtc *w, const struct webrtc_cfg *cfg,
		     const struct webrtc_offer *o)
{
	int err;

	w->laddr      = *cfg->laddr;
	w->timeout_ms = cfg->timeout_ms;
	w->codec      = o->mc;
	w->pt         = o->pt;
	w->ssrc       = rand_u32();
	w->seq        = rand_u16();
	w->ts         = rand_u32();
	w->last_ok_ms = tmr_jiffies();
	w->rtcp_ms    = w->last_ok_ms;
	rand_str(w->ufrag, sizeof(w->ufrag));
	rand_str(w->pwd, sizeof(w->pwd));
	(void)pl_strcpy(&o->ufrag, w->rufrag, sizeof(w->rufrag));
	memcpy(w->rfp, o->fp, sizeof(w->rfp));

	err = webrtc_fingerprint(w->lfp, sizeof(w->lfp));
	if (!err && w->codec->alloc)
		err = w->codec->alloc(&w->cst);
	if (err)
		return err;

	w->txmb = mbuf_alloc(RTP_HEADER_SIZE + MCODEC_MAX_PAYLOAD + 64);
	if (!w->txmb)
		return ENOMEM;

	err = webrtc_ice_listen(w, cfg->port_min, cfg->port_max);
	if (!err)
		err = webrtc_dtls_listen(w);
	if (!err)
		err = mtick_add(&w->house, MTICK_HOUSE, house_tick, w);

	return err;
}


/**
 * Answer a browser's offer: binds the leg's one UDP socket on a port of
 * the range and waits for ICE checks and the DTLS handshake. The owner
 * hears WEBRTC_ESTABLISHED, WEBRTC_FAILED or WEBRTC_TIMEOUT from the
 * media tick.
 *
 * @param answerp  the answer, a mem_alloc'd string (caller derefs)
 *
 * @return 0 if success, EPROTO (malformed SDP), ENOTSUP (no audio or no
 * common codec), EBADMSG (credentials, fingerprint or a=setup),
 * EADDRINUSE (no free port), otherwise errorcode
 */
int webrtc_alloc(struct webrtc **wp, const struct webrtc_cfg *cfg,
		 const char *offer, size_t len, char **answerp,
		 webrtc_event_h *eh, void *arg)
{
	struct webrtc_offer o;
	struct webrtc *w;
	char ip[64];
	int err;

	if (!wp || !cfg || !cfg->laddr || !offer || !answerp)
		return EINVAL;

	err = webrtc_sdp_parse(&o, offer, len,
			       cfg->codecs ? cfg->codecs : "opus,PCMU");
	if (err)
		return err;

	w = mem_zalloc(sizeof(*w), destructor);
	if (!w)
		return ENOMEM;

	list_append(&webrtcl, &w->le, w);
	w->eh  = eh;
	w->arg = arg;

	err = leg_setup(w, cfg, &o);
	if (err)
		goto out;

	if (cfg->public_ip)
		str_ncpy(ip, cfg->public_ip, sizeof(ip));
	else
		re_snprintf(ip, sizeof(ip), "%j", &w->laddr);

	err = webrtc_sdp_answer(answerp, w, &o, ip);

 out:
	if (err)
		mem_deref(w);
	else
		*wp = w;

	return err;
}


static bool port_read(int16_t *frame, void *arg)
{
	struct webrtc *w = arg;

	if (w->state != WEBRTC_ST_UP) {
		memset(frame, 0, MEDIA_FRAME * sizeof(*frame));
		return false;
	}

	return jitter_get(&w->jb, frame);
}


static void port_write(const int16_t *frame, bool silent, void *arg)
{
	struct webrtc *w = arg;
	(void)silent;

	if (w->state == WEBRTC_ST_UP)
		(void)webrtc_rtp_send(w, frame);
}


/**
 * Join a mixer as one port: it speaks what the browser sends and sends
 * what it hears. A leg is in at most one mixer.
 *
 * @return 0 if success, otherwise errorcode
 */
int webrtc_attach(struct webrtc *w, struct mixer *mx)
{
	char name[32];

	if (!w || !mx)
		return EINVAL;

	w->mp = mem_deref(w->mp);
	re_snprintf(name, sizeof(name), "webrtc:%u", sa_port(&w->laddr));

	return mport_alloc(&w->mp, mx, name, port_read, port_write, w);
}


void webrtc_detach(struct webrtc *w)
{
	if (w)
		w->mp = mem_deref(w->mp);
}


struct mport *webrtc_port(const struct webrtc *w)
{
	return w ? w->mp : NULL;
}


const char *webrtc_codec(const struct webrtc *w)
{
	return w && w->codec ? w->codec->name : NULL;
}


/** The UDP port the leg listens on (its one candidate). */
uint16_t webrtc_port_num(const struct webrtc *w)
{
	return w ? sa_port(&w->laddr) : 0;
}


void webrtc_stats_get(const struct webrtc *w, struct webrtc_stats *st)
{
	if (!w || !st)
		return;

	*st = w->st;
	st->jitter_ms = w->rx.jitter * 1000.0 / w->codec->clock;
}


/** Process-wide counters; the ms and % figures are means over legs. */
void webrtc_totals(struct webrtc_stats *st)
{
	double jit = 0, loss = 0, rtt = 0, pjit = 0;
	unsigned n = 0;
	struct le *le;

	if (!st)
		return;

	*st = webrtc_tot;
	for (le = webrtcl.head; le; le = le->next) {
		const struct webrtc *w = le->data;

		if (w->state != WEBRTC_ST_UP)
			continue;

		jit  += w->rx.jitter * 1000.0 / w->codec->clock;
		loss += w->st.loss_pct;
		rtt  += w->st.rtt_ms;
		pjit += w->st.peer_jitter_ms;
		++n;
	}

	if (!n)
		return;

	st->jitter_ms      = jit / n;
	st->loss_pct       = loss / n;
	st->rtt_ms         = rtt / n;
	st->peer_jitter_ms = pjit / n;
}


/** Print the leg for logs: port, peer, codec, state and counters. */
int webrtc_debug(struct re_printf *pf, const struct webrtc *w)
{
	static const char *const statev[] = {"new", "up", "dead"};

	if (!w)
		return re_hprintf(pf, "webrtc(null)");

	return re_hprintf(pf, "webrtc port=%u peer=%J codec=%s state=%s"
			  " rx=%llu tx=%llu lost=%llu rejected=%llu",
			  sa_port(&w->laddr), &w->raddr, w->codec->name,
			  statev[w->state], w->st.rx_packets,
			  w->st.tx_packets, w->st.rx_lost,
			  w->st.rx_rejected);
}
