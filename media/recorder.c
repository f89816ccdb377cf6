/*
 * The recorder: a mixer port that listens and writes what it hears to a
 * 16-bit mono WAV file. Frames collect in a 64 KB buffer written in
 * whole blocks; the last block, the header and fsync run off the loop.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "media/mconf.h"
#include "media/mixer.h"
#include "media/offload.h"
#include "media/recorder.h"

enum {
	BUF_SIZE      = 65536,
	WAV_HDR       = 44,
	FRAME_BYTES   = MEDIA_FRAME * 2,
	SILENCE_LEVEL = 300,        /* peak below this is silence (-41 dBFS) */
};

/* The file and its buffer; handed to the offload hook on close. */
struct recfile {
	int fd;
	uint8_t *buf;               /**< (own) BUF_SIZE bytes         */
	size_t len;
	uint64_t data_bytes;        /**< audio bytes, header excluded */
	int err;                    /**< first write error            */
	recorder_done_h *doneh;
	void *arg;
	uint32_t duration_ms;
};

struct recorder {
	struct mport *mp;           /**< (own) until closed           */
	struct recfile *rf;         /**< (own) until closed           */
	uint32_t max_ms;            /**< 0 = no limit                 */
	uint64_t samples;
	uint32_t silence_ms;
	bool full;
};


static void recfile_destructor(void *arg)
{
	struct recfile *rf = arg;

	if (rf->fd >= 0)
		(void)close(rf->fd);
	mem_deref(rf->buf);
}


static void put_le(uint8_t *p, uint32_t v, unsigned bytes)
{
	unsigned i;

	for (i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}


static void wav_header(uint8_t *h, uint64_t data_bytes)
{
	uint32_t data = data_bytes > 0xffffffffu - 36 ?
		0xffffffffu - 36 : (uint32_t)data_bytes;

	memcpy(h, "RIFF", 4);
	put_le(h + 4, 36 + data, 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le(h + 16, 16, 4);                 /* fmt chunk size */
	put_le(h + 20, 1, 2);                  /* PCM            */
	put_le(h + 22, 1, 2);                  /* mono           */
	put_le(h + 24, MEDIA_SRATE, 4);
	put_le(h + 28, MEDIA_SRATE * 2, 4);    /* byte rate      */
	put_le(h + 32, 2, 2);                  /* block align    */
	put_le(h + 34, 16, 2);                 /* bits           */
	memcpy(h + 36, "data", 4);
	put_le(h + 40, data, 4);
}


static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}

		p += w;
		n -= (size_t)w;
	}

	return 0;
}


static void flush(struct recfile *rf)
{
	if (!rf->err)
		rf->err = write_all(rf->fd, rf->buf, rf->len);

	rf->len = 0;
}


static bool is_silent(const int16_t *frame)
{
	size_t i;

	for (i = 0; i < MEDIA_FRAME; i++) {
		if (frame[i] > SILENCE_LEVEL || frame[i] < -SILENCE_LEVEL)
			return false;
	}

	return true;
}


static void port_write(const int16_t *frame, bool silent, void *arg)
{
	struct recorder *rec = arg;
	struct recfile *rf = rec->rf;
	uint8_t *p;
	size_t i;

	if (!rf || rec->full)
		return;

	if (rf->len + FRAME_BYTES > BUF_SIZE)
		flush(rf);

	p = rf->buf + rf->len;
	for (i = 0; i < MEDIA_FRAME; i++) {
		int16_t s = silent ? 0 : frame[i];

		p[2 * i]     = (uint8_t)((uint16_t)s & 0xff);
		p[2 * i + 1] = (uint8_t)((uint16_t)s >> 8);
	}

	rf->len        += FRAME_BYTES;
	rf->data_bytes += FRAME_BYTES;
	rec->samples   += MEDIA_FRAME;

	if (silent || is_silent(frame))
		rec->silence_ms += MEDIA_PTIME;
	else
		rec->silence_ms = 0;

	if (rec->max_ms && recorder_duration_ms(rec) >= rec->max_ms)
		rec->full = true;
}


/* Off the loop: last block, the header with the real sizes, fsync. */
static int finish_work(void *arg)
{
	struct recfile *rf = arg;
	uint8_t h[WAV_HDR];
	int err;

	flush(rf);
	if (rf->err)
		return rf->err;

	wav_header(h, rf->data_bytes);
	if (pwrite(rf->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return errno ? errno : EIO;

	if (fsync(rf->fd))
		return errno;

	err = close(rf->fd) ? errno : 0;
	rf->fd = -1;

	return err;
}


static void finish_done(int err, void *arg)
{
	struct recfile *rf = arg;

	if (rf->doneh)
		rf->doneh(err, rf->duration_ms, rf->arg);

	mem_deref(rf);
}


static int finish(struct recorder *rec, recorder_done_h *doneh, void *arg)
{
	struct recfile *rf = rec->rf;
	int err;

	rec->mp = mem_deref(rec->mp);
	rec->rf = NULL;

	rf->doneh       = doneh;
	rf->arg         = arg;
	rf->duration_ms = recorder_duration_ms(rec);

	err = offload_run(finish_work, finish_done, rf);
	if (err)
		mem_deref(rf);

	return err;
}


/* Freed without recorder_close(): the file is still finished. */
static void destructor(void *arg)
{
	struct recorder *rec = arg;

	if (rec->rf)
		(void)finish(rec, NULL, NULL);

	mem_deref(rec->mp);
}


static int recfile_open(struct recfile **rfp, const char *path)
{
	struct recfile *rf;

	rf = mem_zalloc(sizeof(*rf), recfile_destructor);
	if (!rf)
		return ENOMEM;

	rf->fd  = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	rf->buf = mem_alloc(BUF_SIZE, NULL);
	if (rf->fd < 0 || !rf->buf) {
		int err = rf->fd < 0 ? errno : ENOMEM;

		mem_deref(rf);
		return err;
	}

	/* Room for the header; its sizes are written on close. */
	wav_header(rf->buf, 0);
	rf->len = WAV_HDR;
	*rfp = rf;

	return 0;
}


/**
 * Create the WAV file at path and a listening port in mx; the owner
 * chooses what it hears with mport_hear().
 *
 * @param max_ms Stop recording after this long (0 = no limit)
 *
 * @return 0 if success, otherwise errorcode (from open())
 */
int recorder_alloc(struct recorder **recp, struct mixer *mx,
		   const char *path, uint32_t max_ms)
{
	struct recorder *rec;
	int err;

	if (!recp || !mx || !str_isset(path))
		return EINVAL;

	rec = mem_zalloc(sizeof(*rec), destructor);
	if (!rec)
		return ENOMEM;

	rec->max_ms = max_ms;

	err = recfile_open(&rec->rf, path);
	if (err)
		goto out;

	err = mport_alloc(&rec->mp, mx, "recorder", NULL, port_write, rec);

 out:
	if (err)
		mem_deref(rec);
	else
		*recp = rec;

	return err;
}


struct mport *recorder_port(const struct recorder *rec)
{
	return rec ? rec->mp : NULL;
}


uint32_t recorder_duration_ms(const struct recorder *rec)
{
	return rec ? (uint32_t)(rec->samples * 1000 / MEDIA_SRATE) : 0;
}


/** Time since the last frame above the silence level. */
uint32_t recorder_silence_ms(const struct recorder *rec)
{
	return rec ? rec->silence_ms : 0;
}


/** The maximum length is reached; later frames are not recorded. */
bool recorder_full(const struct recorder *rec)
{
	return rec ? rec->full : false;
}


/**
 * Stop recording and finish the file off the loop (last block, header,
 * fsync). doneh runs on the loop when the file is complete; without an
 * offload hook that is before this returns. The recorder may be freed
 * at any time after this.
 *
 * @return 0 if success, EALREADY if closed before, otherwise errorcode
 */
int recorder_close(struct recorder *rec, recorder_done_h *doneh,
		   void *arg)
{
	if (!rec)
		return EINVAL;

	if (!rec->rf)
		return EALREADY;

	return finish(rec, doneh, arg);
}
