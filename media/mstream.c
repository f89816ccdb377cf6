/*
 * A shared stream: a looped list of pcm read once per tick in the source
 * phase, so every mixer of the tick sees the same frame, and encoded on
 * the first request of each tick per codec, so a thousand callers on
 * G.711 hold music cost one encode per codec, not a thousand.
 */
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/pcm.h"
#include "media/mstream.h"
#include "media/codec_int.h"
#include "media/mstream_int.h"

enum {
	MSTREAM_CODECS = 4,         /* stateless codecs cached per tick */
	MSTREAM_PAYLOAD = MEDIA_FRAME * 2,
};

/* One codec's payload of the current frame. */
struct mstream_enc {
	const struct mcodec *codec; /**< NULL: slot unused              */
	uint64_t frame;             /**< frame number it encodes        */
	size_t len;
	uint8_t buf[MSTREAM_PAYLOAD];
};

struct mstream {
	struct mtick_entry *tick;   /**< (own)                          */
	char *name;
	struct pcm **listv;         /**< (own) each entry a (ref)       */
	size_t n;
	struct pcm_cursor cur;
	int16_t frame[MEDIA_FRAME];
	struct mstream_enc encv[MSTREAM_CODECS];
	struct mstream_stats st;
};


static void destructor(void *arg)
{
	struct mstream *ms = arg;

	mem_deref(ms->tick);
	pcm_list_unref(ms->listv, ms->n);
	mem_deref(ms->name);
}


/* Source phase: the next frame of the loop, silence while it is empty. */
static void source_tick(uint64_t tick, void *arg)
{
	struct mstream *ms = arg;
	size_t off = 0;
	(void)tick;

	while (ms->n && off < MEDIA_FRAME) {
		off += pcm_list_read(ms->listv, ms->n, &ms->cur,
				     ms->frame + off, MEDIA_FRAME - off);
		if (ms->cur.idx >= ms->n)
			ms->cur.idx = 0;
	}

	if (off < MEDIA_FRAME)
		memset(ms->frame + off, 0,
		       (MEDIA_FRAME - off) * sizeof(*ms->frame));

	++ms->st.frames;
}


/**
 * Allocate a silent shared stream; it advances on every media tick
 * while it lives, listened to or not (a listener joins mid-stream).
 *
 * @return 0 if success, otherwise errorcode
 */
int mstream_alloc(struct mstream **msp, const char *name)
{
	struct mstream *ms;
	int err;

	if (!msp)
		return EINVAL;

	ms = mem_zalloc(sizeof(*ms), destructor);
	if (!ms)
		return ENOMEM;

	err = str_dup(&ms->name, name ? name : "stream");
	err = err ? err : mtick_add(&ms->tick, MTICK_SOURCE, source_tick,
				    ms);
	if (err)
		mem_deref(ms);
	else
		*msp = ms;

	return err;
}


/**
 * Loop the list from the next tick on, in place of what played; n == 0
 * (or a list without samples) is silence.
 *
 * @return 0 if success, otherwise errorcode
 */
int mstream_play(struct mstream *ms, struct pcm *const *list, size_t n)
{
	struct pcm **v = NULL;
	size_t total = 0;
	int err;

	if (!ms)
		return EINVAL;

	err = pcm_list_ref(&v, list, n, &total);
	if (err)
		return err;

	/* a list without samples is kept as none: the tick never spins */
	pcm_list_unref(ms->listv, ms->n);
	ms->listv = total ? v : pcm_list_unref(v, n);
	ms->n     = total ? n : 0;
	memset(&ms->cur, 0, sizeof(ms->cur));

	return 0;
}


/** This tick's frame (MEDIA_FRAME samples), the same for every port. */
const int16_t *mstream_frame(const struct mstream *ms)
{
	return ms ? ms->frame : NULL;
}


const char *mstream_name(const struct mstream *ms)
{
	return ms ? ms->name : NULL;
}


void mstream_stats_get(const struct mstream *ms, struct mstream_stats *st)
{
	if (ms && st)
		*st = ms->st;
}


/*
 * Only stateless codecs share a payload: a codec with state (Opus)
 * encodes per listener, from mstream_frame().
 */
static struct mstream_enc *enc_slot(struct mstream *ms,
				    const struct mcodec *codec)
{
	struct mstream_enc *free_slot = NULL;
	size_t i;

	for (i = 0; i < MSTREAM_CODECS; i++) {
		if (ms->encv[i].codec == codec)
			return &ms->encv[i];
		if (!ms->encv[i].codec && !free_slot)
			free_slot = &ms->encv[i];
	}

	if (free_slot) {
		free_slot->codec = codec;
		free_slot->frame = UINT64_MAX;
	}

	return free_slot;
}


/**
 * The current frame encoded with a stateless codec, encoded on the
 * first request of the tick and shared by every later one.
 *
 * @return the payload (valid until the next tick), or NULL if the codec
 * keeps state or could not encode
 */
const uint8_t *mstream_payload(struct mstream *ms,
			       const struct mcodec *codec, size_t *lenp)
{
	struct mstream_enc *e;
	size_t len = MSTREAM_PAYLOAD;

	if (!ms || !codec || codec->alloc || !lenp)
		return NULL;

	e = enc_slot(ms, codec);
	if (!e)
		return NULL;

	if (e->frame != ms->st.frames) {
		if (codec->enc(NULL, e->buf, &len, ms->frame))
			return NULL;
		e->len   = len;
		e->frame = ms->st.frames;
		++ms->st.encodes;
	}

	*lenp = e->len;

	return e->buf;
}
