/*
 * A shared stream: one looped source (hold music) heard by many ports,
 * read once per tick and encoded once per tick per codec, whoever and
 * however many listen.
 */
#ifndef OPENSEAT_MSTREAM_H
#define OPENSEAT_MSTREAM_H

#include <stddef.h>
#include <stdint.h>

struct mstream;
struct pcm;

/** What a stream did, for tests and metrics. */
struct mstream_stats {
	uint64_t frames;             /**< ticks produced                */
	uint64_t encodes;            /**< payloads encoded (all codecs) */
};

int  mstream_alloc(struct mstream **msp, const char *name);
int  mstream_play(struct mstream *ms, struct pcm *const *list, size_t n);
const int16_t *mstream_frame(const struct mstream *ms);
const char *mstream_name(const struct mstream *ms);
void mstream_stats_get(const struct mstream *ms, struct mstream_stats *st);

#endif
