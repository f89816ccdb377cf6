/*
 * A leg's jitter buffer of decoded audio, keyed by RTP timestamp: a ring
 * of samples at the engine rate with a valid flag per sample. Packets may
 * arrive in any order and of any length; the tick pulls whole frames.
 */
#ifndef OPENSEAT_JITTER_INT_H
#define OPENSEAT_JITTER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "media/mconf.h"

enum {
	JITTER_RING  = 4096,                /* samples, power of two */
	JITTER_DELAY = 2 * MEDIA_FRAME,     /* target playout delay  */
	JITTER_TRIM  = 4 * MEDIA_FRAME,     /* excess before we drop */
};

struct jitter {
	int16_t s[JITTER_RING];
	uint8_t ok[JITTER_RING];
	int16_t last[MEDIA_FRAME];   /* last good frame, for concealment */
	bool synced;
	bool underrun;
	bool last_ok;
	uint32_t ts_base;            /* RTP timestamp of position 0      */
	uint32_t clock;              /* RTP clock rate                   */
	uint32_t roff;               /* ring offset of position 0        */
	int64_t play;                /* next position to play            */
	int64_t hi;                  /* end of the newest audio          */
	uint64_t late;
	uint64_t dropped;            /* frames dropped for clock drift   */
	uint64_t resyncs;
};

void jitter_reset(struct jitter *jb);
int  jitter_put(struct jitter *jb, uint32_t ts, uint32_t clock,
		const int16_t *s, size_t n);
bool jitter_get(struct jitter *jb, int16_t *frame);

#endif
