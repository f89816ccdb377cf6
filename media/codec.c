/* The codec table: G.711 u-law and A-law (librem), Opus (libopus). */
#include <string.h>
#include <opus.h>
#include <re.h>
#include <rem_au.h>
#include <rem_g711.h>
#include "media/mconf.h"
#include "media/codec_int.h"

/*
 * Encoder complexity. At 8 kHz libopus runs SILK narrowband, where the
 * default (10) costs 80 us a frame and 3 costs 32 us, for speech that
 * still sounds alike: 3 keeps 300+ browser calls on one core
 * (docs/PERFORMANCE.md, "WebRTC media").
 */
enum {
	OPUS_COMPLEXITY = 3,
};

struct mcodec_state {
	OpusEncoder *enc;           /**< (own) libopus                 */
	OpusDecoder *dec;           /**< (own) libopus                 */
};


/*
 * librem's G.711 encoders negate a negative sample into an int16_t, so
 * -32768 stays negative and indexes before their tables (a saturated mix
 * or a loud decoded browser frame produces it): one step less is the
 * same code word.
 */
static inline int16_t g711_safe(int16_t v)
{
	return v == INT16_MIN ? INT16_MIN + 1 : v;
}


static int pcmu_enc(struct mcodec_state *st, uint8_t *buf, size_t *len,
		    const int16_t *s)
{
	size_t i;
	(void)st;

	if (*len < MEDIA_FRAME)
		return ENOMEM;

	for (i = 0; i < MEDIA_FRAME; i++)
		buf[i] = g711_pcm2ulaw(g711_safe(s[i]));

	*len = MEDIA_FRAME;

	return 0;
}


static int pcmu_dec(struct mcodec_state *st, int16_t *s, size_t *n,
		    const uint8_t *buf, size_t len)
{
	size_t i;
	(void)st;

	if (len > *n)
		len = *n;

	for (i = 0; i < len; i++)
		s[i] = g711_ulaw2pcm(buf[i]);

	*n = len;

	return 0;
}


static int pcma_enc(struct mcodec_state *st, uint8_t *buf, size_t *len,
		    const int16_t *s)
{
	size_t i;
	(void)st;

	if (*len < MEDIA_FRAME)
		return ENOMEM;

	for (i = 0; i < MEDIA_FRAME; i++)
		buf[i] = g711_pcm2alaw(g711_safe(s[i]));

	*len = MEDIA_FRAME;

	return 0;
}


static int pcma_dec(struct mcodec_state *st, int16_t *s, size_t *n,
		    const uint8_t *buf, size_t len)
{
	size_t i;
	(void)st;

	if (len > *n)
		len = *n;

	for (i = 0; i < len; i++)
		s[i] = g711_alaw2pcm(buf[i]);

	*n = len;

	return 0;
}


static void opus_state_destructor(void *arg)
{
	struct mcodec_state *st = arg;

	if (st->enc)
		opus_encoder_destroy(st->enc);
	if (st->dec)
		opus_decoder_destroy(st->dec);
}


/* libopus runs at the engine rate; the RTP clock stays 48000. */
static int opus_state_alloc(struct mcodec_state **stp)
{
	struct mcodec_state *st;
	int oerr = OPUS_OK;

	st = mem_zalloc(sizeof(*st), opus_state_destructor);
	if (!st)
		return ENOMEM;

	st->enc = opus_encoder_create(MEDIA_SRATE, 1, OPUS_APPLICATION_VOIP,
				      &oerr);
	if (st->enc) {
		opus_encoder_ctl(st->enc,
				 OPUS_SET_COMPLEXITY(OPUS_COMPLEXITY));
		st->dec = opus_decoder_create(MEDIA_SRATE, 1, &oerr);
	}

	if (!st->enc || !st->dec) {
		mem_deref(st);
		return ENOMEM;
	}

	*stp = st;

	return 0;
}


static int opus_enc(struct mcodec_state *st, uint8_t *buf, size_t *len,
		    const int16_t *s)
{
	opus_int32 n;

	n = opus_encode(st->enc, s, MEDIA_FRAME, buf, (opus_int32)*len);
	if (n < 0)
		return EPROTO;

	*len = (size_t)n;

	return 0;
}


static int opus_dec(struct mcodec_state *st, int16_t *s, size_t *n,
		    const uint8_t *buf, size_t len)
{
	int r;

	r = opus_decode(st->dec, buf, (opus_int32)len, s, (int)*n, 0);
	if (r < 0)
		return EPROTO;

	*n = (size_t)r;

	return 0;
}


static const struct mcodec codecv[] = {
	{"PCMU", 0, 8000, 1, NULL, NULL, pcmu_enc, pcmu_dec},
	{"PCMA", 8, 8000, 1, NULL, NULL, pcma_enc, pcma_dec},
	/*
	 * We play and capture at 8 kHz, so the far end need send no more
	 * (RFC 7587); at <= 20 kbit/s narrowband libopus codes SILK, which
	 * costs 60 % of the CPU of the CELT it picks at 32 to decode.
	 */
	{"opus", -1, 48000, 2, "minptime=10;useinbandfec=1;"
	 "maxplaybackrate=8000;sprop-maxcapturerate=8000;"
	 "maxaveragebitrate=20000",
	 opus_state_alloc, opus_enc, opus_dec},
};


/** Find a codec by its SDP encoding name (case-insensitive). */
const struct mcodec *mcodec_find(const char *name)
{
	return name ? mcodec_find_pl(name, strlen(name)) : NULL;
}


/** Find a codec by a name that is not NUL-terminated. */
const struct mcodec *mcodec_find_pl(const char *p, size_t len)
{
	size_t i;

	for (i = 0; p && i < ARRAY_SIZE(codecv); i++) {
		if (strlen(codecv[i].name) == len &&
		    !strncasecmp(codecv[i].name, p, len))
			return &codecv[i];
	}

	return NULL;
}


/** Find a codec by its static payload type. */
const struct mcodec *mcodec_find_pt(int pt)
{
	size_t i;

	for (i = 0; pt >= 0 && i < ARRAY_SIZE(codecv); i++) {
		if (codecv[i].pt == pt)
			return &codecv[i];
	}

	return NULL;
}
