/*
 * The player: a mixer port that speaks a list of in-memory prompts,
 * frame by frame on the tick, optionally looping. Its done handler is
 * always called later from a zero timer, never from inside the mix.
 */
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mixer.h"
#include "media/pcm.h"
#include "media/player.h"

/* A done notice on its way to the owner. */
struct pdone {
	struct le le;
	struct tmr tmr;
	player_done_h *h;
	void *arg;
	int err;
};

struct player {
	struct mport *mp;           /**< (own)                          */
	struct pcm **listv;         /**< (own) each entry a (ref)       */
	size_t n;
	struct pcm_cursor cur;      /**< where playback is              */
	bool loop;
	bool playing;
	player_done_h *doneh;
	void *arg;
	struct list donel;          /**< pending notices, owning        */
};


static void pdone_destructor(void *arg)
{
	struct pdone *pd = arg;

	tmr_cancel(&pd->tmr);
	list_unlink(&pd->le);
}


/* The notice leaves the player's list first: the handler may free it. */
static void pdone_handler(void *arg)
{
	struct pdone *pd = arg;

	list_unlink(&pd->le);
	if (pd->h)
		pd->h(pd->err, pd->arg);
	mem_deref(pd);
}


static void list_release(struct player *pl)
{
	pl->listv = pcm_list_unref(pl->listv, pl->n);
	pl->n = 0;
}


static void finish(struct player *pl, int err)
{
	struct pdone *pd;

	pl->playing = false;
	list_release(pl);

	if (!pl->doneh)
		return;

	pd = mem_zalloc(sizeof(*pd), pdone_destructor);
	if (!pd)
		return;

	pd->h   = pl->doneh;
	pd->arg = pl->arg;
	pd->err = err;
	pl->doneh = NULL;
	list_append(&pl->donel, &pd->le, pd);
	tmr_start(&pd->tmr, 0, pdone_handler, pd);
}


static bool port_read(int16_t *frame, void *arg)
{
	struct player *pl = arg;
	size_t off = 0;

	/* the mixer reads no frame that did not speak */
	if (!pl->playing)
		return false;

	while (pl->playing && off < MEDIA_FRAME) {
		off += pcm_list_read(pl->listv, pl->n, &pl->cur, frame + off,
				     MEDIA_FRAME - off);
		if (pl->cur.idx < pl->n)
			continue;

		if (!pl->loop) {
			finish(pl, 0);
			break;
		}
		pl->cur.idx = 0;
	}

	if (off < MEDIA_FRAME)
		memset(frame + off, 0, (MEDIA_FRAME - off) * sizeof(*frame));

	return off > 0;
}


static void destructor(void *arg)
{
	struct player *pl = arg;

	mem_deref(pl->mp);
	list_release(pl);
	list_flush(&pl->donel);
}


/**
 * Allocate a player as a port of mx (it speaks, never listens).
 *
 * @return 0 if success, otherwise errorcode
 */
int player_alloc(struct player **plp, struct mixer *mx, const char *name)
{
	struct player *pl;
	int err;

	if (!plp || !mx)
		return EINVAL;

	pl = mem_zalloc(sizeof(*pl), destructor);
	if (!pl)
		return ENOMEM;

	err = mport_alloc(&pl->mp, mx, name ? name : "player", port_read,
			  NULL, pl);
	if (err)
		mem_deref(pl);
	else
		*plp = pl;

	return err;
}


struct mport *player_port(const struct player *pl)
{
	return pl ? pl->mp : NULL;
}


/**
 * Play the list from the next tick on. A playback in progress is cut
 * short first (its done handler gets ECANCELED). A list with no samples
 * at all ends at once, even with loop.
 *
 * @return 0 if success, otherwise errorcode
 */
int player_play(struct player *pl, struct pcm *const *list, size_t n,
		bool loop, player_done_h *doneh, void *arg)
{
	struct pcm **v = NULL;
	size_t total = 0;
	int err;

	if (!pl)
		return EINVAL;

	err = pcm_list_ref(&v, list, n, &total);
	if (err)
		return err;

	player_stop(pl);

	pl->listv   = v;
	pl->n       = n;
	pl->cur.idx = 0;
	pl->cur.pos = 0;
	pl->loop    = loop && total > 0;
	pl->doneh   = doneh;
	pl->arg     = arg;
	pl->playing = true;

	if (!total)
		finish(pl, 0);

	return 0;
}


/** Stop playing (barge-in); the done handler gets ECANCELED. */
void player_stop(struct player *pl)
{
	if (pl && pl->playing)
		finish(pl, ECANCELED);
}


bool player_busy(const struct player *pl)
{
	return pl ? pl->playing : false;
}
