/* A recording's MP3 decoded to a 16-bit PCM WAV file, in memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <mpg123.h>
#include "recording/rec_wav.h"

/*
 * Runs on the worker pool and allocates with malloc, as rec_crypt does:
 * the caller frees the WAV with free(). The WAV keeps the MP3's rate and
 * channels (8 kHz, one or two); a 10-minute stereo call is about 19 MB.
 */

enum { WAV_HDR = 44, PCM_CHUNK = 16384 };

struct pcm {
	uint8_t *buf;      /**< (own, malloc) WAV_HDR bytes, then PCM */
	size_t len, cap;
	long rate;
	int ch;
};


static int pcm_room(struct pcm *p, size_t n)
{
	uint8_t *nb;
	size_t cap = p->cap ? p->cap : 1u << 20;

	if (p->len + n <= p->cap)
		return 0;

	while (cap < p->len + n)
		cap *= 2;

	nb = realloc(p->buf, cap);  /* ccheck: foreign */
	if (!nb)
		return ENOMEM;

	p->buf = nb;
	p->cap = cap;

	return 0;
}


static void le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}


static void le32(uint8_t *p, uint32_t v)
{
	le16(p, v);
	le16(p + 2, v >> 16);
}


/* RIFF/WAVE, fmt (PCM, 16 bit), data: sizes from what was decoded. */
static void header_write(struct pcm *p)
{
	uint8_t *h = p->buf;
	uint32_t data = (uint32_t)(p->len - WAV_HDR);
	uint32_t ch = (uint32_t)p->ch, rate = (uint32_t)p->rate;

	memcpy(h, "RIFF", 4);
	le32(h + 4, data + WAV_HDR - 8);
	memcpy(h + 8, "WAVEfmt ", 8);
	le32(h + 16, 16);
	le16(h + 20, 1);
	le16(h + 22, ch);
	le32(h + 24, rate);
	le32(h + 28, rate * ch * 2);
	le16(h + 32, ch * 2);
	le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	le32(h + 40, data);
}


static int frames_read(mpg123_handle *mh, struct pcm *p)
{
	for (;;) {
		size_t done = 0;
		int enc, r;

		if (pcm_room(p, PCM_CHUNK))
			return ENOMEM;

		r = mpg123_read(mh, p->buf + p->len, PCM_CHUNK, &done);
		if (r == MPG123_NEW_FORMAT) {
			if (p->rate)
				return EBADMSG;  /* format changed midway */
			if (mpg123_getformat(mh, &p->rate, &p->ch, &enc) !=
			    MPG123_OK)
				return EBADMSG;
			continue;
		}
		if (r != MPG123_OK && r != MPG123_DONE &&
		    r != MPG123_NEED_MORE)
			return EBADMSG;

		p->len += done;
		if (r != MPG123_OK)
			return p->rate ? 0 : EBADMSG;
	}
}


/**
 * Decode an MP3 held in memory into a WAV file held in memory.
 * Blocking and CPU heavy: call it from a worker thread.
 *
 * @param wavp  the WAV file (malloc'ed; the caller frees it)
 *
 * @return 0 if success, otherwise errorcode (EBADMSG: not MP3 audio)
 */
int rec_wav_from_mp3(const uint8_t *mp3, size_t n, uint8_t **wavp,
		     size_t *lenp)
{
	struct pcm p = {NULL, WAV_HDR, 0, 0, 0};
	mpg123_handle *mh;
	int err;

	if (!mp3 || !wavp || !lenp)
		return EINVAL;

	mh = mpg123_new(NULL, &err);
	if (!mh)
		return ENOMEM;

	(void)mpg123_param(mh, MPG123_ADD_FLAGS, MPG123_QUIET, 0);
	(void)mpg123_format_none(mh);
	(void)mpg123_format(mh, 8000, MPG123_MONO | MPG123_STEREO,
			    MPG123_ENC_SIGNED_16);

	if (mpg123_open_feed(mh) != MPG123_OK ||
	    mpg123_feed(mh, mp3, n) != MPG123_OK) {
		err = ENOMEM;
		goto out;
	}

	err = frames_read(mh, &p);
	if (!err && p.len - WAV_HDR > UINT32_MAX - WAV_HDR)
		err = EFBIG;

 out:
	mpg123_delete(mh);
	if (err) {
		free(p.buf);  /* ccheck: foreign */
		return err;
	}

	header_write(&p);
	*wavp = p.buf;
	*lenp = p.len;

	return 0;
}
