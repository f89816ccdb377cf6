/* Engine audio out: WAV bytes and files, MP3 for the browser preview. */
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <lame/lame.h>
#include <re.h>
#include "media/mconf.h"
#include "prompt/prompt_codec.h"

enum {
	WAV_HDR = 44,
	MP3_KBPS = 32,        /* speech at 8 kHz */
	MP3_KBPS_HI = 128,
	MP3_CHUNK = 4096,     /* frames per lame call */
};


static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}


static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}


static void wav_header(uint8_t *h, size_t n)
{
	uint32_t data = (uint32_t)(n * 2);

	memcpy(h, "RIFF", 4);
	put32(h + 4, 36 + data);
	memcpy(h + 8, "WAVEfmt ", 8);
	put32(h + 16, 16);
	put16(h + 20, 1);                       /* PCM */
	put16(h + 22, 1);                       /* mono */
	put32(h + 24, MEDIA_SRATE);
	put32(h + 28, MEDIA_SRATE * 2);
	put16(h + 32, 2);
	put16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	put32(h + 40, data);
}


/**
 * Encode samples (MEDIA_SRATE, mono) as a 16-bit PCM WAV in memory.
 *
 * @param bufp  receives a mem_alloc'ed buffer
 * @return 0 if success, otherwise errorcode
 */
int prompt_wav_encode(uint8_t **bufp, size_t *lenp, const int16_t *s,
		      size_t n)
{
	uint8_t *buf;

	if (!bufp || !lenp || (n && !s) || n > (UINT32_MAX - 64) / 2)
		return EINVAL;

	buf = mem_alloc(WAV_HDR + n * 2, NULL);
	if (!buf)
		return ENOMEM;

	wav_header(buf, n);
	for (size_t i = 0; i < n; i++)
		put16(buf + WAV_HDR + i * 2, (uint16_t)s[i]);

	*bufp = buf;
	*lenp = WAV_HDR + n * 2;

	return 0;
}


/**
 * Write samples as a WAV file and sync it to disk. Blocking: call it
 * from a worker thread. A failed write leaves no file behind.
 *
 * @return 0 if success, otherwise errorcode
 */
int prompt_wav_write(const char *path, const int16_t *s, size_t n)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	FILE *f;
	int err;

	err = prompt_wav_encode(&buf, &len, s, n);
	if (err)
		return err;

	f = fopen(path, "wb");
	if (!f) {
		err = errno;
		goto out;
	}

	if (fwrite(buf, 1, len, f) != len || fflush(f) || fsync(fileno(f)))
		err = errno ? errno : EIO;
	if (fclose(f) && !err)
		err = errno ? errno : EIO;
	if (err)
		(void)unlink(path);

 out:
	mem_deref(buf);

	return err;
}


static int mp3_put(struct mbuf *mb, lame_global_flags *gf,
		   const int16_t *s, size_t frames, unsigned channels)
{
	size_t room = frames * 5 / 4 + 7200;
	int k, err;

	err = mbuf_resize(mb, mb->end + room);
	if (err)
		return err;

	if (!s)
		k = lame_encode_flush(gf, mb->buf + mb->end, (int)room);
	else if (channels == 1)
		k = lame_encode_buffer(gf, s, s, (int)frames,
				       mb->buf + mb->end, (int)room);
	else
		k = lame_encode_buffer_interleaved(gf, (short *)s,
						   (int)frames,
						   mb->buf + mb->end,
						   (int)room);
	if (k < 0)
		return k == -1 ? ENOMEM : EINVAL;

	mb->end += (size_t)k;

	return 0;
}


/**
 * Encode 16-bit samples as MP3 (CBR). Blocking and CPU heavy: call it
 * from a worker thread.
 *
 * @param frames    frames of interleaved samples
 * @param channels  1 or 2
 * @return 0 if success, otherwise errorcode
 */
int prompt_mp3_encode(uint8_t **bufp, size_t *lenp, const int16_t *s,
		      size_t frames, unsigned srate, unsigned channels)
{
	lame_global_flags *gf;
	struct mbuf *mb;
	int err = 0;

	if (!bufp || !lenp || (frames && !s) || channels < 1 ||
	    channels > 2 || frames > INT32_MAX / 2)
		return EINVAL;

	gf = lame_init();
	mb = mbuf_alloc(frames / 4 + 8192);
	if (!gf || !mb) {
		err = ENOMEM;
		goto out;
	}

	lame_set_in_samplerate(gf, (int)srate);
	lame_set_num_channels(gf, (int)channels);
	lame_set_mode(gf, channels == 1 ? MONO : JOINT_STEREO);
	/* keep the rate: lame would otherwise pick one for the bitrate */
	lame_set_out_samplerate(gf, (int)srate);
	lame_set_brate(gf, srate >= 32000 ? MP3_KBPS_HI : MP3_KBPS);
	lame_set_quality(gf, 5);
	lame_set_bWriteVbrTag(gf, 0);
	if (lame_init_params(gf) < 0) {
		err = EINVAL;
		goto out;
	}

	for (size_t off = 0; !err && off < frames; off += MP3_CHUNK) {
		size_t k = frames - off < MP3_CHUNK ? frames - off : MP3_CHUNK;

		err = mp3_put(mb, gf, s + off * channels, k, channels);
	}
	err = err ? err : mp3_put(mb, gf, NULL, 0, channels);
	if (err)
		goto out;

	*bufp = mem_ref(mb->buf);
	*lenp = mb->end;

 out:
	if (gf)
		lame_close(gf);
	mem_deref(mb);

	return err;
}
