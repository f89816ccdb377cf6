/*
 * Audio codecs of a leg: static descriptors in one table, looked up by
 * SDP name; the leg never switches on a codec's name.
 */
#ifndef OPENSEAT_CODEC_INT_H
#define OPENSEAT_CODEC_INT_H

#include <stddef.h>
#include <stdint.h>

/* Largest payload we encode and samples one packet may decode to. */
enum {
	MCODEC_MAX_PAYLOAD = 1276,
	MCODEC_MAX_SAMPLES = 960,   /* 120 ms at MEDIA_SRATE */
};

struct mcodec_state;

struct mcodec {
	const char *name;           /**< SDP encoding name             */
	int pt;                     /**< static payload type, or -1    */
	uint32_t clock;             /**< RTP clock rate                */
	uint8_t ch;                 /**< SDP channel count             */
	const char *fmtp;           /**< a=fmtp parameters, or NULL    */

	/** Per-leg state (encoder, decoder); NULL if stateless. */
	int (*alloc)(struct mcodec_state **stp);

	/** Encode MEDIA_FRAME samples; *len in: room, out: bytes. */
	int (*enc)(struct mcodec_state *st, uint8_t *buf, size_t *len,
		   const int16_t *s);

	/** Decode a payload to engine-rate samples; *n in: room, out. */
	int (*dec)(struct mcodec_state *st, int16_t *s, size_t *n,
		   const uint8_t *buf, size_t len);
};

const struct mcodec *mcodec_find(const char *name);
const struct mcodec *mcodec_find_pl(const char *p, size_t len);
const struct mcodec *mcodec_find_pt(int pt);

#endif
