/* What a caller waiting in a queue hears: hold music, and position and
 * expected wait announced at the queue's interval. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "media/leg.h"
#include "call/call_int.h"
#include "call/call_moh.h"
#include "call/call_queue_int.h"

/*
 * The music is the tenant's shared stream for it (call_moh.c), heard
 * under the call's player: an announcement is a play of the player,
 * which stops the music (call_play), and the music starts again after
 * it, mid-song like for every caller who joins. A tenant's music that
 * cannot be played falls back to the built-in hold music there.
 */
static void announce_start(void *arg);


/** Hold music until an announcement or an answer. */
void call_queue_play_hold(struct call_queue *cq)
{
	int err;

	cq->announcing = false;
	call_play_stop(cq->call);
	err = call_moh_listen(cq->call, cq->qi.hold_music);
	if (err)
		log_warn("%H: hold music: %m", call_debug, cq->call, err);
}


/** Announce position and wait after the queue's interval. */
void call_queue_announce_schedule(struct call_queue *cq)
{
	if (cq->qi.announce_every_s &&
	    (cq->qi.announce_position || cq->qi.announce_wait))
		tmr_start(&cq->tmr, cq->qi.announce_every_s * 1000ULL,
			  announce_start, cq);
}


/* Append "builtin/digit_N" refs for every digit of n. */
size_t call_queue_digit_refs(char (*buf)[PLAY_REF_SZ], size_t max,
			     const char *digits)
{
	size_t n = 0;

	for (; *digits && n < max; digits++) {
		if (*digits < '0' || *digits > '9')
			continue;
		(void)re_snprintf(buf[n], sizeof(buf[n]), "builtin/digit_%c",
				  *digits);
		++n;
	}

	return n;
}


static void announced(int err, void *arg)
{
	struct call_queue *cq = arg;

	(void)err;
	if (cq->phase != CQ_WAITING)
		return;

	call_queue_play_hold(cq);
	call_queue_announce_schedule(cq);
}


/* "您前面还有 N 位客户在等待，预计等待 M 分钟" */
static void announce_start(void *arg)
{
	struct call_queue *cq = arg;
	char bufs[PLAY_REFS_MAX][PLAY_REF_SZ], num[16];
	const char *refv[PLAY_REFS_MAX];
	size_t n = 0, i;
	unsigned ahead;
	uint32_t min = 0;

	if (cq->phase != CQ_WAITING || !cq->ac)
		return;

	ahead = queue_position(cq->ac);
	ahead = ahead ? ahead - 1 : 0;
	if (cq->qi.announce_position) {
		str_ncpy(bufs[n++], "builtin/queue_position_pre", PLAY_REF_SZ);
		(void)re_snprintf(num, sizeof(num), "%u", ahead);
		n += call_queue_digit_refs(&bufs[n], 4, num);
		str_ncpy(bufs[n++], "builtin/queue_position_post",
			 PLAY_REF_SZ);
	}
	if (cq->qi.announce_wait) {
		min = (queue_expected_wait_s(cq->qi.queue_id) + 59) / 60;
		str_ncpy(bufs[n++], "builtin/queue_wait_pre", PLAY_REF_SZ);
		(void)re_snprintf(num, sizeof(num), "%u", min ? min : 1);
		n += call_queue_digit_refs(&bufs[n], 3, num);
		str_ncpy(bufs[n++], "builtin/queue_wait_post", PLAY_REF_SZ);
	}

	for (i = 0; i < n; i++)
		refv[i] = bufs[i];

	call_emit(cq->call, "queue.announced",
		  json_pack("{s:i, s:i}", "ahead", (int)ahead,
			    "expected_wait_min", (int)(min ? min : 1)));
	cq->announcing = true;
	if (!n || call_play(cq->call, refv, n, NULL, announced, cq))
		announced(0, cq);
}
