/*
 * The registrar's OPTIONS qualify, and how late the loop runs: a phone
 * is judged by the answers the loop was there to read.
 */
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/sipedge.h"
#include "media/sipedge_int.h"
#include "media/registrar.h"
#include "media/registrar_int.h"

enum {
	QUALIFY_MISSES = 2,   /**< windows unanswered in a row: gone  */
	LOOP_LATE_MS = 50,    /**< a timer this late: the loop is     */
};


/** The next OPTIONS in ms; none in flight is judged any more. */
void registrar_qualify_schedule(struct binding *b, uint64_t ms)
{
	b->q_deadline = 0;
	b->q_at = b->reg->cfg.qualify_ms ? tmr_jiffies() + ms : 0;
}


static void window_open(struct binding *b, uint64_t now)
{
	b->q_from = now;
	b->q_deadline = now + b->reg->cfg.qualify_timeout_ms;
}


/*
 * The loop was seen late_ms behind at now. Every window open at now may
 * have had its answer waiting in a socket while the loop was busy.
 */
static void loop_late(struct registrar *reg, uint64_t now, uint64_t late)
{
	reg->late_at = now;
	if (late > reg->late_ms)
		reg->late_ms = late > UINT32_MAX ? UINT32_MAX : (uint32_t)late;
}


/*
 * Seen late after from: lateness is measured when it ends, so a spell
 * seen at the very time a window opened was over before it.
 */
static bool late_since(const struct registrar *reg, uint64_t from)
{
	return reg->late_at > from;
}


/* A deadline not counted: told once per spell of lateness. */
static void skip(struct registrar *reg)
{
	if (!reg->skipped++ && reg->h.lateh)
		reg->h.lateh(false, reg->late_ms, 1, reg->h.arg);
}


/** Measure the sweep's own lateness at now, the start of a sweep. */
void registrar_late_check(struct registrar *reg, uint64_t now)
{
	if (reg->sweep_due && now >= reg->sweep_due + LOOP_LATE_MS)
		loop_late(reg, now, now - reg->sweep_due);
}


/**
 * End a spell of lateness at the end of a sweep (now: its start) once
 * the loop has kept time for a qualify timeout: every window open while
 * it was late has been judged by then.
 */
void registrar_late_over(struct registrar *reg, uint64_t now)
{
	if (!reg->late_ms || now - reg->late_at < reg->cfg.qualify_timeout_ms)
		return;

	if (reg->skipped && reg->h.lateh)
		reg->h.lateh(true, reg->late_ms, reg->skipped, reg->h.arg);
	reg->late_ms = 0;
	reg->skipped = 0;
}


/*
 * The media tick runs every MEDIA_PTIME: a longer gap between two ticks
 * is the loop running late, caught even when it falls between sweeps.
 */
static void tick_handler(uint64_t tick, void *arg)
{
	struct registrar *reg = arg;
	uint64_t now = tmr_jiffies();
	(void)tick;

	if (reg->tick_last && now >= reg->tick_last + MEDIA_PTIME +
	    LOOP_LATE_MS)
		loop_late(reg, now, now - reg->tick_last - MEDIA_PTIME);

	reg->tick_last = now;
}


/**
 * Watch the media tick for lateness (while it runs).
 *
 * @return 0 if success, otherwise errorcode
 */
int registrar_late_start(struct registrar *reg)
{
	return mtick_add(&reg->tick, MTICK_HOUSE, tick_handler, reg);
}


/*
 * The window of b's OPTIONS closed unanswered at now; inflight: the
 * request is still out (libre retransmits it over UDP). While the loop
 * ran late since the window opened, the answer may be waiting in a
 * socket: nothing is counted, and the window opens again on the same
 * request so that answer still counts when it is read. On time, it is a
 * miss, and QUALIFY_MISSES in a row make the phone unreachable.
 */
static void window_closed(struct binding *b, uint64_t now, bool inflight)
{
	struct registrar *reg = b->reg;

	if (late_since(reg, b->q_from)) {
		skip(reg);
	}
	else if (++b->misses >= QUALIFY_MISSES) {
		b->req = mem_deref(b->req);
		registrar_qualify_schedule(b, reg->cfg.qualify_ms);
		registrar_reachable_set(b, false);
		return;
	}

	if (inflight)
		window_open(b, now);
	else
		registrar_qualify_schedule(b, 0);
}


static void options_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct binding *b = arg;

	if (msg && msg->scode < 200)
		return;

	b->req = NULL;

	/* libre gave up on a request that did go out, after windows kept
	   open on a late loop (a DNS timeout before it left is an error) */
	if (err == ETIMEDOUT && b->q_deadline) {
		window_closed(b, tmr_jiffies(), false);
		return;
	}

	/* any answer at all is a phone that is there: 200, 404, 501 */
	if (!err && msg)
		b->misses = 0;
	registrar_qualify_schedule(b, b->reg->cfg.qualify_ms);
	registrar_reachable_set(b, !err && msg);
}


/* The OPTIONS goes to the transport now, after any DNS: its window. */
static int options_sent(enum sip_transp tp, const struct sa *src,
			const struct sa *dst, struct mbuf *mb, void *arg)
{
	(void)tp;
	(void)src;
	(void)dst;
	(void)mb;

	window_open(arg, tmr_jiffies());

	return 0;
}


static int options_send(struct binding *b)
{
	struct registrar *reg = b->reg;
	struct uri route;
	struct pl pl;
	int err;

	if (b->nat) {
		pl_set_str(&pl, b->source);
		err = uri_decode(&route, &pl);
		if (err)
			return err;
	}

	return sip_requestf(&b->req, reg->se->sip, true, "OPTIONS",
			    b->contact, b->nat ? &route : NULL, NULL,
			    options_sent, options_handler, b,
			    "To: <%s>\r\n"
			    "From: <sip:openseat@%s>;tag=%016llx\r\n"
			    "Call-ID: %016llx@openseat\r\n"
			    "CSeq: %u OPTIONS\r\n"
			    "Max-Forwards: 70\r\n"
			    "Content-Length: 0\r\n"
			    "\r\n",
			    b->contact, reg->realm, rand_u64(), rand_u64(),
			    ++b->cseq);
}


/**
 * What of b's qualify is due at now (the sweep's time): judge the
 * window of the OPTIONS in flight, or send the next one while *budgetp
 * lasts.
 */
void registrar_qualify_due(struct binding *b, uint64_t now,
			   unsigned *budgetp)
{
	if (b->req && b->q_deadline && now >= b->q_deadline) {
		window_closed(b, now, true);
		return;
	}

	if (b->req || !b->q_at || now < b->q_at || !*budgetp)
		return;

	--*budgetp;
	b->q_at = 0;
	b->q_deadline = 0;
	if (options_send(b)) {
		b->req = mem_deref(b->req);
		registrar_qualify_schedule(b, b->reg->cfg.qualify_ms);
		registrar_reachable_set(b, false);
	}
}
