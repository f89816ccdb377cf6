/*
 * The recording tap's ring: a single-producer single-consumer ring of
 * 20 ms frames. head is written only by the loop (mport tap), tail only
 * by the consumer; each side reads the other's index with acquire
 * ordering, so a frame is complete before the consumer can see it.
 */
#include <stdatomic.h>
#include <string.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mixer.h"
#include "media/mtick.h"
#include "media/rectap.h"

struct rectap {
	struct mport *mp;            /**< (borrowed) until stopped/gone  */
	unsigned channels;           /**< 1 or 2                         */
	size_t nframes;              /**< ring capacity in frames        */
	int16_t *ring;               /**< (own) nframes × frame samples  */
	atomic_size_t head;          /**< frames written (loop)          */
	atomic_size_t tail;          /**< frames read (consumer)         */
	atomic_uint dropped;         /**< frames lost to a full ring     */
	atomic_uint stalled;         /**< silent frames for skipped ticks */
	uint64_t skipped_seen;       /**< loop: mtick_skipped() last time */
	atomic_bool stopped;         /**< no frame will follow           */
	bool paused;                 /**< loop: record silence           */
	uint32_t frames;             /**< loop: frames produced or lost  */
};


static size_t frame_samples(const struct rectap *tap)
{
	return (size_t)MEDIA_FRAME * tap->channels;
}


static inline int16_t sat16(int32_t v)
{
	return v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v;
}


static void fill(const struct rectap *tap, int16_t *dst,
		 const int16_t *said, const int16_t *heard)
{
	size_t i;

	if (tap->paused)
		said = heard = NULL;

	for (i = 0; i < MEDIA_FRAME; i++) {
		int32_t l = said ? said[i] : 0;
		int32_t r = heard ? heard[i] : 0;

		if (tap->channels == 2) {
			dst[2 * i]     = (int16_t)l;
			dst[2 * i + 1] = (int16_t)r;
		}
		else {
			dst[i] = sat16(l + r);
		}
	}
}


static void push(struct rectap *tap, const int16_t *said,
		 const int16_t *heard);

/*
 * A stalled loop skips ticks (mtick.c): the recording gets silence for
 * them, so it stays as long as the call and its spans (pauses, hold)
 * keep their times; the gap is counted, not hidden.
 */
static void fill_stall(struct rectap *tap)
{
	const uint64_t sk = mtick_skipped();
	uint64_t n = sk - tap->skipped_seen;

	tap->skipped_seen = sk;
	if (n > tap->nframes)        /* a whole ring of silence at most */
		n = tap->nframes;

	atomic_fetch_add_explicit(&tap->stalled, (unsigned)n,
				  memory_order_relaxed);
	while (n--)
		push(tap, NULL, NULL);
}


static void on_tap(const int16_t *said, const int16_t *heard, void *arg)
{
	struct rectap *tap = arg;

	if (!said && !heard) {          /* the port is gone */
		rectap_stop(tap);
		return;
	}

	if (mtick_skipped() != tap->skipped_seen)
		fill_stall(tap);

	push(tap, said, heard);
}


/* One frame into the ring, or counted as dropped when it is full. */
static void push(struct rectap *tap, const int16_t *said,
		 const int16_t *heard)
{
	size_t head, tail;

	head = atomic_load_explicit(&tap->head, memory_order_relaxed);
	tail = atomic_load_explicit(&tap->tail, memory_order_acquire);
	++tap->frames;

	if (head - tail >= tap->nframes) {
		atomic_fetch_add_explicit(&tap->dropped, 1,
					  memory_order_relaxed);
		return;
	}

	fill(tap, tap->ring + (head % tap->nframes) * frame_samples(tap),
	     said, heard);
	atomic_store_explicit(&tap->head, head + 1, memory_order_release);
}


static void destructor(void *arg)
{
	struct rectap *tap = arg;

	rectap_stop(tap);
	mem_deref(tap->ring);
}


/**
 * Tap a port. The ring holds buf_ms of audio; the tap must outlive the
 * consumer's use of it (free it only once the consumer is done).
 *
 * @return 0 if success, otherwise errorcode
 */
int rectap_alloc(struct rectap **tapp, struct mport *mp,
		 unsigned channels, uint32_t buf_ms)
{
	struct rectap *tap;

	if (!tapp || !mp || (channels != 1 && channels != 2) ||
	    buf_ms < MEDIA_PTIME)
		return EINVAL;

	tap = mem_zalloc(sizeof(*tap), destructor);
	if (!tap)
		return ENOMEM;

	tap->channels = channels;
	tap->nframes  = buf_ms / MEDIA_PTIME;
	tap->ring = mem_zalloc(tap->nframes * frame_samples(tap) *
			       sizeof(int16_t), NULL);
	if (!tap->ring) {
		mem_deref(tap);
		return ENOMEM;
	}

	atomic_init(&tap->head, 0);
	atomic_init(&tap->tail, 0);
	atomic_init(&tap->dropped, 0);
	atomic_init(&tap->stalled, 0);
	tap->skipped_seen = mtick_skipped();
	atomic_init(&tap->stopped, false);
	tap->mp = mp;
	mport_tap(mp, on_tap, tap);

	*tapp = tap;

	return 0;
}


/** While paused the recording runs on with silence (a card number). */
void rectap_pause(struct rectap *tap, bool paused)
{
	if (tap)
		tap->paused = paused;
}


bool rectap_paused(const struct rectap *tap)
{
	return tap && tap->paused;
}


/** No more frames: the consumer drains what is left and is done. */
void rectap_stop(struct rectap *tap)
{
	if (!tap)
		return;

	if (tap->mp) {
		mport_tap(tap->mp, NULL, NULL);
		tap->mp = NULL;
	}

	atomic_store_explicit(&tap->stopped, true, memory_order_release);
}


/** Length of the recording so far, frames lost included. */
uint32_t rectap_ms(const struct rectap *tap)
{
	return tap ? tap->frames * MEDIA_PTIME : 0;
}


unsigned rectap_channels(const struct rectap *tap)
{
	return tap ? tap->channels : 0;
}


uint32_t rectap_dropped_ms(const struct rectap *tap)
{
	if (!tap)
		return 0;

	return atomic_load_explicit(&((struct rectap *)tap)->dropped,
				    memory_order_relaxed) * MEDIA_PTIME;
}


/** Silence written for ticks a stalled loop skipped, in ms. */
uint32_t rectap_stalled_ms(const struct rectap *tap)
{
	if (!tap)
		return 0;

	return atomic_load_explicit(&((struct rectap *)tap)->stalled,
				    memory_order_relaxed) * MEDIA_PTIME;
}


/**
 * Take up to max_frames frames (interleaved when stereo) off the ring.
 *
 * @return frames copied
 */
size_t rectap_read(struct rectap *tap, int16_t *pcm, size_t max_frames)
{
	size_t head, tail, n, i, fs;

	if (!tap || !pcm)
		return 0;

	fs   = frame_samples(tap);
	tail = atomic_load_explicit(&tap->tail, memory_order_relaxed);
	head = atomic_load_explicit(&tap->head, memory_order_acquire);
	n = head - tail;
	if (n > max_frames)
		n = max_frames;

	for (i = 0; i < n; i++)
		memcpy(pcm + i * fs,
		       tap->ring + ((tail + i) % tap->nframes) * fs,
		       fs * sizeof(int16_t));

	atomic_store_explicit(&tap->tail, tail + n, memory_order_release);

	return n;
}


/** Stopped and drained: every frame there will be has been read. */
bool rectap_done(struct rectap *tap)
{
	if (!tap)
		return true;

	if (!atomic_load_explicit(&tap->stopped, memory_order_acquire))
		return false;

	return atomic_load_explicit(&tap->head, memory_order_acquire) ==
		atomic_load_explicit(&tap->tail, memory_order_relaxed);
}
