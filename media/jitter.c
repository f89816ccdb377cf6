/* The jitter buffer of a leg (see jitter_int.h). */
#include <string.h>
#include <re_types.h>
#include "media/jitter_int.h"

#define MASK (JITTER_RING - 1)

/* Rebase positions every minute so 32-bit timestamps never overflow. */
#define REBASE (MEDIA_SRATE * 60)


static inline size_t idx(const struct jitter *jb, int64_t pos)
{
	return (size_t)((uint64_t)pos + jb->roff) & MASK;
}


/** Forget everything: the next packet starts a new stream. */
void jitter_reset(struct jitter *jb)
{
	if (!jb)
		return;

	memset(jb->ok, 0, sizeof(jb->ok));
	jb->synced   = false;
	jb->underrun = false;
	jb->last_ok  = false;
}


static void sync_to(struct jitter *jb, uint32_t ts, uint32_t clock)
{
	if (jb->synced)
		++jb->resyncs;

	memset(jb->ok, 0, sizeof(jb->ok));
	jb->synced   = true;
	jb->underrun = false;
	jb->last_ok  = false;
	jb->ts_base  = ts;
	jb->clock    = clock;
	jb->roff     = 0;
	jb->play     = -JITTER_DELAY;
	jb->hi       = 0;
}


/**
 * Store decoded samples that start at RTP timestamp ts.
 *
 * @return 0 if stored, EALREADY if too late to be played
 */
int jitter_put(struct jitter *jb, uint32_t ts, uint32_t clock,
	       const int16_t *s, size_t n)
{
	int64_t rel, pos, end;

	if (!jb || !s || !clock || n > JITTER_RING / 2)
		return EINVAL;

	if (!jb->synced || clock != jb->clock)
		sync_to(jb, ts, clock);

	rel = (int64_t)(int32_t)(ts - jb->ts_base) * MEDIA_SRATE / clock;
	end = rel + (int64_t)n;

	/* A jump far outside the ring is a new stream, not lateness. */
	if (end > jb->play + JITTER_RING || rel < jb->play - JITTER_RING) {
		sync_to(jb, ts, clock);
		rel = 0;
		end = (int64_t)n;
	}
	else if (jb->underrun && rel >= jb->play) {
		/* Start again after a gap: rebuild the playout delay. */
		jb->play     = rel - JITTER_DELAY;
		jb->underrun = false;
	}

	if (end <= jb->play) {
		++jb->late;
		return EALREADY;
	}

	for (pos = rel > jb->play ? rel : jb->play; pos < end; pos++) {
		size_t i = idx(jb, pos);

		jb->s[i]  = s[pos - rel];
		jb->ok[i] = 1;
	}

	if (end > jb->hi)
		jb->hi = end;

	return 0;
}


static void rebase(struct jitter *jb)
{
	int64_t p = jb->play;

	jb->ts_base += (uint32_t)(p * jb->clock / MEDIA_SRATE);
	jb->roff    += (uint32_t)p;
	jb->hi      -= p;
	jb->play     = 0;
}


static void drop_frame(struct jitter *jb)
{
	int64_t pos;

	for (pos = jb->play; pos < jb->play + MEDIA_FRAME; pos++)
		jb->ok[idx(jb, pos)] = 0;

	jb->play += MEDIA_FRAME;
	++jb->dropped;
}


/*
 * A frame with nothing in it repeats the last good frame once at half
 * level (hides one lost packet), then is silence.
 */
static bool conceal(struct jitter *jb, int16_t *frame)
{
	size_t i;

	if (!jb->last_ok) {
		memset(frame, 0, MEDIA_FRAME * sizeof(*frame));
		return false;
	}

	for (i = 0; i < MEDIA_FRAME; i++)
		frame[i] = (int16_t)(jb->last[i] / 2);

	jb->last_ok = false;

	return true;
}


/**
 * Take the next frame for playout.
 *
 * @return true if the frame holds audio, false for silence
 */
bool jitter_get(struct jitter *jb, int16_t *frame)
{
	unsigned got = 0;
	int64_t pos;

	if (!jb || !jb->synced || jb->underrun || jb->hi <= jb->play) {
		if (jb && jb->synced)
			jb->underrun = true;
		memset(frame, 0, MEDIA_FRAME * sizeof(*frame));
		return false;
	}

	/* The far end's clock runs fast, or a burst came: catch up. */
	if (jb->hi - jb->play > JITTER_DELAY + JITTER_TRIM)
		drop_frame(jb);

	for (pos = jb->play; pos < jb->play + MEDIA_FRAME; pos++) {
		size_t i = idx(jb, pos);

		if (jb->ok[i]) {
			frame[pos - jb->play] = jb->s[i];
			jb->ok[i] = 0;
			++got;
		}
		else {
			frame[pos - jb->play] = 0;
		}
	}

	jb->play += MEDIA_FRAME;
	if (jb->play >= REBASE)
		rebase(jb);

	if (!got)
		return conceal(jb, frame);

	memcpy(jb->last, frame, sizeof(jb->last));
	jb->last_ok = true;

	return true;
}
