/*
 * A media leg: its RTP socket, life cycle, mixer port and the tick's
 * housekeeping. SDP is in leg_sdp.c, the receive path in leg_rx.c.
 */
#include <string.h>
#include <re.h>
#include <rem_dtmf.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mixer.h"
#include "media/mstream.h"
#include "media/leg.h"
#include "media/codec_int.h"
#include "media/leg_int.h"
#include "media/rtpsend.h"
#include "media/mstream_int.h"

struct leg_stats leg_tot;
static struct list legl;        /**< every live leg, not owned */


static void destructor(void *arg)
{
	struct leg *leg = arg;

	list_unlink(&leg->le);
	mem_deref(leg->house);
	mem_deref(leg->mp);
	mem_deref(leg->rsend);
	mem_deref(leg->rtp);
	mem_deref(leg->sdpm);
	mem_deref(leg->sdp);
	mem_deref(leg->txmb);
	mem_deref(leg->dtmfdec);
	mem_deref(leg->cst);
	mem_deref(leg->public_ip);
	mem_deref(leg->codecs);
}


/**
 * Queue a digit (digit != 0) or an event for the owner. The tick's house
 * phase delivers one per tick, so no owner handler ever runs inside our
 * receive path or inside leg_answer().
 */
void leg_pend(struct leg *leg, char digit, uint32_t dur_ms,
	      enum leg_event ev)
{
	struct leg_pending *p;

	if (leg->pend_n == LEG_PENDING)
		return;

	p = &leg->pendv[(leg->pend_head + leg->pend_n++) % LEG_PENDING];
	p->digit  = digit;
	p->dur_ms = dur_ms;
	p->ev     = ev;
}


static void check_timeout(struct leg *leg)
{
	uint64_t now;

	if (!leg->started || leg->hold || !leg->rx_expected ||
	    !leg->rtp_timeout_ms || leg->timed_out)
		return;

	now = tmr_jiffies();
	if (now - leg->last_rx_ms < leg->rtp_timeout_ms)
		return;

	leg->timed_out = true;
	leg_pend(leg, 0, 0, LEG_RTP_TIMEOUT);
}


/*
 * House phase. The owner's handler is the last thing we call: it may
 * free the leg (the tick tolerates that).
 */
static void house_tick(uint64_t tick, void *arg)
{
	struct leg *leg = arg;
	struct leg_pending p;
	(void)tick;

	check_timeout(leg);
	leg_telev_check(leg);

	if (!leg->pend_n)
		return;

	p = leg->pendv[leg->pend_head];
	leg->pend_head = (leg->pend_head + 1) % LEG_PENDING;
	--leg->pend_n;

	if (p.digit) {
		if (leg->dtmfh)
			leg->dtmfh(p.digit, p.dur_ms, leg->arg);
	}
	else if (leg->evh) {
		leg->evh(p.ev, leg->arg);
	}
}


static int cfg_copy(struct leg *leg, const struct leg_cfg *cfg)
{
	int err = 0;

	leg->laddr          = *cfg->laddr;
	leg->rtp_timeout_ms = cfg->rtp_timeout_ms;
	leg->nat_latch      = cfg->nat_latch;

	if (cfg->public_ip)
		err = str_dup(&leg->public_ip, cfg->public_ip);

	if (!err)
		err = str_dup(&leg->codecs, cfg->codecs ? cfg->codecs :
			      "PCMU,PCMA");

	return err;
}


/**
 * Allocate a leg: binds RTP and RTCP on an even port of the range and
 * prepares SDP with the configured codecs. No media flows before
 * leg_start().
 *
 * @return 0 if success, otherwise errorcode (EADDRINUSE: no free port)
 */
int leg_alloc(struct leg **legp, const struct leg_cfg *cfg,
	      leg_dtmf_h *dtmfh, leg_event_h *evh, void *arg)
{
	struct leg *leg;
	uint32_t pmin;
	int err;

	if (!legp || !cfg || !cfg->laddr)
		return EINVAL;

	pmin = (cfg->port_min + 1u) & ~1u;
	if (!pmin || cfg->port_max < pmin + 2)
		return EINVAL;

	leg = mem_zalloc(sizeof(*leg), destructor);
	if (!leg)
		return ENOMEM;

	list_append(&legl, &leg->le, leg);
	leg->dtmfh    = dtmfh;
	leg->evh      = evh;
	leg->arg      = arg;
	leg->pt_telev = -1;
	leg->pt_tx    = -1;
	leg->pt_rx    = -1;

	err = cfg_copy(leg, cfg);
	if (err)
		goto out;

	/* libre picks an even port p in [pmin, max - 1), RTCP on p + 1 */
	err = rtp_listen(&leg->rtp, IPPROTO_UDP, &leg->laddr, (uint16_t)pmin,
			 cfg->port_max - 1, true, leg_rtp_handler,
			 leg_rtcp_handler, leg);
	if (err) {
		err = EADDRINUSE;
		goto out;
	}

	err = rtpsend_attach(&leg->rsend, rtp_sock(leg->rtp),
			     sa_af(&leg->laddr));
	if (err)
		goto out;

	leg->txmb = mbuf_alloc(RTP_HEADER_SIZE + MCODEC_MAX_PAYLOAD);
	if (!leg->txmb) {
		err = ENOMEM;
		goto out;
	}

	err  = dtmf_dec_alloc(&leg->dtmfdec, MEDIA_SRATE, 1,
			      leg_inband_handler, leg);
	err |= mtick_add(&leg->house, MTICK_HOUSE, house_tick, leg);
	if (err)
		goto out;

	err = leg_sdp_init(leg);

 out:
	if (err)
		mem_deref(leg);
	else
		*legp = leg;

	return err;
}


/**
 * Start media (on ACK or 200 OK): RTP flows, RTCP reports start.
 *
 * @return 0 if success, EPROTO if SDP was not negotiated yet
 */
int leg_start(struct leg *leg)
{
	if (!leg)
		return EINVAL;

	if (!leg->negotiated)
		return EPROTO;

	if (leg->started)
		return 0;

	leg->started    = true;
	leg->timed_out  = false;
	leg->last_rx_ms = tmr_jiffies();
	leg->tx_marker  = true;
	rtcp_set_srate(leg->rtp, leg->codec->clock, leg->codec->clock);
	rtcp_start(leg->rtp, "openseat", &leg->raddr_rtcp);

	return 0;
}


/** Freeze media: nothing is sent, received packets are dropped. */
void leg_stop(struct leg *leg)
{
	if (!leg)
		return;

	leg->started = false;
	jitter_reset(&leg->jb);
}


static bool port_read(int16_t *frame, void *arg)
{
	struct leg *leg = arg;

	if (!leg->started) {
		memset(frame, 0, MEDIA_FRAME * sizeof(*frame));
		return false;
	}

	return jitter_get(&leg->jb, frame);
}


static bool can_send(const struct leg *leg)
{
	return leg->started && !leg->hold && sa_isset(&leg->raddr, SA_ALL);
}


/* Send the payload at RTP_HEADER_SIZE in txmb: our seq, ts and SSRC. */
static void tx_send(struct leg *leg, size_t len)
{
	struct mbuf *mb = leg->txmb;
	int err;

	mb->pos = RTP_HEADER_SIZE;
	mb->end = RTP_HEADER_SIZE + len;
	err = rtp_send(leg->rtp, &leg->raddr, false, leg->tx_marker,
		       (uint8_t)leg->pt_tx, leg->tx_ts, mb);

	leg->tx_ts += MEDIA_FRAME * (leg->codec->clock / MEDIA_SRATE);
	leg->tx_marker = false;
	if (!err) {
		++leg->st.tx_packets;
		++leg_tot.tx_packets;
	}
}


static void port_write(const int16_t *frame, bool silent, void *arg)
{
	struct leg *leg = arg;
	size_t len = MCODEC_MAX_PAYLOAD;
	(void)silent;

	if (!can_send(leg))
		return;

	if (!leg->codec->enc(leg->cst, leg->txmb->buf + RTP_HEADER_SIZE,
			     &len, frame))
		tx_send(leg, len);
}


/*
 * The leg hears only a shared stream: its payload, encoded once for
 * every listener with this codec, goes out under our own header. A
 * codec with state encodes the stream's frame itself.
 */
static void port_share(struct mstream *ms, void *arg)
{
	struct leg *leg = arg;
	const uint8_t *pl;
	size_t len;

	if (!can_send(leg))
		return;

	pl = mstream_payload(ms, leg->codec, &len);
	if (!pl) {
		port_write(mstream_frame(ms), false, leg);
		return;
	}

	memcpy(leg->txmb->buf + RTP_HEADER_SIZE, pl, len);
	tx_send(leg, len);
}


/**
 * Join a mixer as one port: it speaks what the far end sends and sends
 * what it hears. A leg is in at most one mixer.
 *
 * @return 0 if success, otherwise errorcode
 */
int leg_attach(struct leg *leg, struct mixer *mx)
{
	char name[32];
	int err;

	if (!leg || !mx)
		return EINVAL;

	leg->mp = mem_deref(leg->mp);
	re_snprintf(name, sizeof(name), "leg:%u", leg_rtp_port(leg));

	err = mport_alloc(&leg->mp, mx, name, port_read, port_write, leg);
	if (!err)
		mport_share(leg->mp, port_share);

	return err;
}


void leg_detach(struct leg *leg)
{
	if (leg)
		leg->mp = mem_deref(leg->mp);
}


struct mport *leg_port(const struct leg *leg)
{
	return leg ? leg->mp : NULL;
}


const char *leg_codec(const struct leg *leg)
{
	return leg && leg->codec ? leg->codec->name : NULL;
}


uint16_t leg_rtp_port(const struct leg *leg)
{
	return leg ? sa_port(rtp_local(leg->rtp)) : 0;
}


bool leg_on_hold(const struct leg *leg)
{
	return leg ? leg->hold : false;
}


void leg_stats_get(const struct leg *leg, struct leg_stats *st)
{
	if (!leg || !st)
		return;

	*st = leg->st;
	if (leg->codec)
		st->jitter_ms = leg->rx.jitter * 1000.0 / leg->codec->clock;
}


/** Print the leg for logs: port, peer, codec, state and counters. */
int leg_debug(struct re_printf *pf, const struct leg *leg)
{
	if (!leg)
		return re_hprintf(pf, "leg(null)");

	return re_hprintf(pf, "leg port=%u peer=%J codec=%s%s%s%s"
			  " rx=%llu tx=%llu lost=%llu rejected=%llu",
			  leg_rtp_port(leg), &leg->raddr,
			  leg->codec ? leg->codec->name : "-",
			  leg->started ? " started" : "",
			  leg->hold ? " held" : "",
			  leg->latched ? " latched" : "",
			  leg->st.rx_packets, leg->st.tx_packets,
			  leg->st.rx_lost, leg->st.rx_rejected);
}


/** Process-wide counters; jitter_ms is the mean over live legs. */
void leg_totals(struct leg_stats *st)
{
	struct le *le;
	double sum = 0;
	unsigned n = 0;

	if (!st)
		return;

	*st = leg_tot;
	for (le = legl.head; le; le = le->next) {
		const struct leg *leg = le->data;

		if (!leg->codec || !leg->st.rx_packets)
			continue;

		sum += leg->rx.jitter * 1000.0 / leg->codec->clock;
		++n;
	}

	st->jitter_ms = n ? sum / n : 0;
}
