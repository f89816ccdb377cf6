/* Decode an upload to the engine format: mono, MEDIA_SRATE, 16-bit. */
#include <math.h>
#include <string.h>
#include <sndfile.h>
#include <mpg123.h>
#include <speex/speex_resampler.h>
#include <re.h>
#include "media/mconf.h"
#include "prompt/prompt_codec.h"

/*
 * Every decoder feeds interleaved float frames into one pipeline:
 * downmix to mono, resample (libspeexdsp) to MEDIA_SRATE, collect. At
 * the end the peak is normalized and the samples become 16-bit. Only
 * the output is kept whole, so a long 48 kHz stereo file costs no more
 * memory than its 8 kHz mono result.
 */

enum {
	CHUNK       = 4096,     /* frames per decoder read */
	MAX_CHANNELS = 32,
	MIN_RATE    = 4000,
	MAX_RATE    = 384000,
	RS_QUALITY  = 6,        /* speex 0..10; 6 is clean for speech */
};

#define PEAK_TARGET 0.891f      /* -1 dBFS */
#define MAX_GAIN    10.0f       /* +20 dB: quiet speech, not noise */
#define SILENT      (1.0f / 65536)

struct dec {
	unsigned rate;
	unsigned ch;
	uint64_t frames;             /* input frames seen */
	uint64_t max_frames;
	SpeexResamplerState *rs;     /* NULL at MEDIA_SRATE */
	unsigned skip;               /* resampler delay still to drop */
	float *out;                  /* (own) at MEDIA_SRATE */
	size_t n;
	size_t cap;
	float mono[CHUNK];
};


static void dec_reset(struct dec *d)
{
	if (d->rs)
		speex_resampler_destroy(d->rs);
	d->rs = NULL;
	d->out = mem_deref(d->out);
}


static int dec_setup(struct dec *d, unsigned rate, unsigned ch,
		     unsigned max_seconds)
{
	int err = 0;

	if (rate < MIN_RATE || rate > MAX_RATE || !ch || ch > MAX_CHANNELS)
		return EBADMSG;

	d->rate = rate;
	d->ch = ch;
	d->max_frames = (uint64_t)max_seconds * rate;
	if (rate == MEDIA_SRATE)
		return 0;

	d->rs = speex_resampler_init(1, rate, MEDIA_SRATE, RS_QUALITY, &err);
	if (!d->rs)
		return ENOMEM;

	d->skip = (unsigned)speex_resampler_get_output_latency(d->rs);

	return 0;
}


static int out_reserve(struct dec *d, size_t more)
{
	size_t cap;
	float *p;

	if (d->n + more <= d->cap)
		return 0;

	cap = d->cap ? d->cap * 2 : MEDIA_SRATE * 4;
	while (cap < d->n + more)
		cap *= 2;

	/* libre's mem_realloc wants an existing block */
	p = d->out ? mem_realloc(d->out, cap * sizeof(*p)) :
		mem_alloc(cap * sizeof(*p), NULL);
	if (!p)
		return ENOMEM;

	d->out = p;
	d->cap = cap;

	return 0;
}


/* Append resampled output, dropping the resampler's initial delay. */
static void out_add(struct dec *d, const float *s, size_t n)
{
	size_t drop = n < d->skip ? n : d->skip;

	d->skip -= (unsigned)drop;
	memcpy(d->out + d->n, s + drop, (n - drop) * sizeof(*s));
	d->n += n - drop;
}


static int resample(struct dec *d, const float *in, size_t n)
{
	float buf[CHUNK];

	while (n) {
		spx_uint32_t ilen = (spx_uint32_t)n, olen = CHUNK;
		int err;

		if (speex_resampler_process_float(d->rs, 0, in, &ilen, buf,
						  &olen))
			return EINVAL;

		err = out_reserve(d, olen);
		if (err)
			return err;

		out_add(d, buf, olen);
		in += ilen;
		n -= ilen;
	}

	return 0;
}


/* Downmix and resample at most CHUNK interleaved frames. */
static int push_chunk(struct dec *d, const float *x, size_t frames)
{
	int err;

	for (size_t i = 0; i < frames; i++) {
		float sum = 0;

		for (unsigned c = 0; c < d->ch; c++) {
			float v = x[i * d->ch + c];

			/* NaN and infinities in float files are noise */
			sum += isfinite(v) ? fmaxf(-4.0f, fminf(4.0f, v)) : 0;
		}
		d->mono[i] = sum / (float)d->ch;
	}

	if (d->rs)
		return resample(d, d->mono, frames);

	err = out_reserve(d, frames);
	if (!err)
		out_add(d, d->mono, frames);

	return err;
}


/* Take interleaved frames from a decoder. */
static int dec_push(struct dec *d, const float *x, size_t frames)
{
	int err = 0;

	d->frames += frames;
	if (d->frames > d->max_frames)
		return EFBIG;

	while (!err && frames) {
		size_t k = frames < CHUNK ? frames : CHUNK;

		err = push_chunk(d, x, k);
		x += k * d->ch;
		frames -= k;
	}

	return err;
}


/* Flush the resampler and cut the output to the input's duration. */
static int dec_flush(struct dec *d)
{
	size_t want = (size_t)((d->frames * MEDIA_SRATE + d->rate / 2) /
			       d->rate);
	int err = 0;

	if (d->rs) {
		float zero[CHUNK];
		size_t pad = (size_t)speex_resampler_get_input_latency(d->rs);

		memset(zero, 0, sizeof(zero));
		while (!err && pad && d->n < want) {
			size_t k = pad < CHUNK ? pad : CHUNK;

			err = resample(d, zero, k);
			pad -= k;
		}
	}

	if (d->n > want)
		d->n = want;

	return err;
}


/* Peak-normalize into 16-bit samples. */
static int dec_result(struct dec *d, struct prompt_audio *pa)
{
	float peak = 0, gain;

	for (size_t i = 0; i < d->n; i++)
		peak = fmaxf(peak, fabsf(d->out[i]));

	if (!d->n || peak < SILENT)
		return ENODATA;

	gain = fminf(PEAK_TARGET / peak, MAX_GAIN);

	pa->s = mem_alloc(d->n * sizeof(*pa->s), NULL);
	if (!pa->s)
		return ENOMEM;

	for (size_t i = 0; i < d->n; i++) {
		float v = d->out[i] * gain * 32767.0f;

		pa->s[i] = (int16_t)lrintf(fmaxf(-32768.0f,
						 fminf(32767.0f, v)));
	}
	pa->n = d->n;

	return 0;
}


/* libsndfile reads the upload from memory. */
struct vmem {
	const uint8_t *buf;
	sf_count_t len;
	sf_count_t pos;
};


static sf_count_t vm_len(void *arg)
{
	return ((struct vmem *)arg)->len;
}


static sf_count_t vm_seek(sf_count_t off, int whence, void *arg)
{
	struct vmem *v = arg;
	sf_count_t p = whence == SEEK_SET ? off :
		whence == SEEK_CUR ? v->pos + off : v->len + off;

	if (p < 0 || p > v->len)
		return -1;

	v->pos = p;

	return p;
}


static sf_count_t vm_read(void *ptr, sf_count_t count, void *arg)
{
	struct vmem *v = arg;
	sf_count_t n = count < v->len - v->pos ? count : v->len - v->pos;

	if (n <= 0)
		return 0;

	memcpy(ptr, v->buf + v->pos, (size_t)n);
	v->pos += n;

	return n;
}


static sf_count_t vm_write(const void *ptr, sf_count_t count, void *arg)
{
	(void)ptr;
	(void)count;
	(void)arg;

	return 0;
}


static sf_count_t vm_tell(void *arg)
{
	return ((struct vmem *)arg)->pos;
}


static const char *sf_format_name(int format)
{
	switch (format & SF_FORMAT_TYPEMASK) {

	case SF_FORMAT_WAV:
	case SF_FORMAT_WAVEX:
	case SF_FORMAT_RF64:  return "wav";
	case SF_FORMAT_AIFF:  return "aiff";
	case SF_FORMAT_FLAC:  return "flac";
	case SF_FORMAT_OGG:   return "ogg";
	case SF_FORMAT_AU:    return "au";
	case SF_FORMAT_CAF:   return "caf";
	default:              return "audio";
	}
}


static int sf_frames(struct dec *d, SNDFILE *sf, sf_count_t total)
{
	float *buf = mem_alloc((size_t)CHUNK * d->ch * sizeof(float), NULL);
	sf_count_t seen = 0;
	int err = 0;

	if (!buf)
		return ENOMEM;

	while (!err) {
		sf_count_t k = sf_readf_float(sf, buf, CHUNK);

		if (k <= 0)
			break;
		seen += k;
		err = dec_push(d, buf, (size_t)k);
	}

	/* fewer frames than the header promised: cut short or broken */
	if (!err && (sf_error(sf) != SF_ERR_NO_ERROR || seen < total))
		err = EBADMSG;

	mem_deref(buf);

	return err;
}


static int decode_sndfile(struct dec *d, struct prompt_audio *pa,
			  const uint8_t *buf, size_t len,
			  unsigned max_seconds)
{
	SF_VIRTUAL_IO io = {vm_len, vm_seek, vm_read, vm_write, vm_tell};
	struct vmem vm = {buf, (sf_count_t)len, 0};
	SF_INFO info;
	SNDFILE *sf;
	int err;

	memset(&info, 0, sizeof(info));
	sf = sf_open_virtual(&io, SFM_READ, &info, &vm);
	if (!sf)
		return EBADMSG;

	if (info.frames <= 0) {
		err = ENODATA;
		goto out;
	}

	err = dec_setup(d, (unsigned)info.samplerate, (unsigned)info.channels,
			max_seconds);
	if (err)
		goto out;

	/* the header says how long: refuse before decoding it all */
	if ((uint64_t)info.frames > d->max_frames) {
		err = EFBIG;
		goto out;
	}

	err = sf_frames(d, sf, info.frames);
	str_ncpy(pa->format, sf_format_name(info.format), sizeof(pa->format));

 out:
	sf_close(sf);

	return err;
}


static int mp3_frames(struct dec *d, mpg123_handle *mh,
		      unsigned max_seconds)
{
	int16_t pcm[CHUNK * 2];
	float f[CHUNK * 2];
	int err = 0;

	for (;;) {
		size_t done = 0;
		long rate;
		int r, ch, enc;

		r = mpg123_read(mh, (unsigned char *)pcm, sizeof(pcm), &done);
		if (r == MPG123_NEW_FORMAT) {
			if (d->rate)
				return EBADMSG;  /* format changed midway */
			if (mpg123_getformat(mh, &rate, &ch, &enc) !=
			    MPG123_OK)
				return EBADMSG;
			err = dec_setup(d, (unsigned)rate, (unsigned)ch,
					max_seconds);
			if (err)
				return err;
			continue;
		}
		if (r != MPG123_OK && r != MPG123_DONE &&
		    r != MPG123_NEED_MORE)
			return EBADMSG;

		if (done && d->rate) {
			size_t n = done / sizeof(int16_t);

			for (size_t i = 0; i < n; i++)
				f[i] = (float)pcm[i] / 32768.0f;
			err = dec_push(d, f, n / d->ch);
			if (err)
				return err;
		}
		if (r != MPG123_OK)
			return d->rate && d->frames ? 0 : EBADMSG;
	}
}


static int decode_mp3(struct dec *d, struct prompt_audio *pa,
		      const uint8_t *buf, size_t len, unsigned max_seconds)
{
	const long *rates;
	size_t nrates;
	mpg123_handle *mh;
	int err;

	mh = mpg123_new(NULL, &err);
	if (!mh)
		return ENOMEM;

	(void)mpg123_param(mh, MPG123_ADD_FLAGS, MPG123_QUIET, 0);
	(void)mpg123_param(mh, MPG123_RESYNC_LIMIT, 4096, 0);
	(void)mpg123_format_none(mh);
	mpg123_rates(&rates, &nrates);
	for (size_t i = 0; i < nrates; i++)
		(void)mpg123_format(mh, rates[i], MPG123_MONO | MPG123_STEREO,
				    MPG123_ENC_SIGNED_16);

	if (mpg123_open_feed(mh) != MPG123_OK ||
	    mpg123_feed(mh, buf, len) != MPG123_OK) {
		err = ENOMEM;
		goto out;
	}

	err = mp3_frames(d, mh, max_seconds);
	str_ncpy(pa->format, "mp3", sizeof(pa->format));

 out:
	mpg123_delete(mh);

	return err;
}


static void audio_destructor(void *arg)
{
	struct prompt_audio *pa = arg;

	mem_deref(pa->s);
}


/**
 * Decode an uploaded file (WAV, AIFF, FLAC, Ogg, MP3 ...) into mono
 * 16-bit audio at MEDIA_SRATE with its peak normalized. Blocking and CPU
 * heavy: call it from a worker thread.
 *
 * @return 0 if success, otherwise errorcode (see prompt_codec.h)
 */
int prompt_decode(struct prompt_audio **pap, const uint8_t *buf,
		  size_t len, unsigned max_seconds)
{
	struct prompt_audio *pa;
	enum prompt_kind kind;
	struct dec *d;
	int err;

	if (!pap)
		return EINVAL;

	err = prompt_sniff(buf, len, &kind);
	if (err)
		return err;

	pa = mem_zalloc(sizeof(*pa), audio_destructor);
	d = mem_zalloc(sizeof(*d), NULL);
	if (!pa || !d) {
		err = ENOMEM;
		goto out;
	}

	if (kind == PROMPT_KIND_MP3)
		err = decode_mp3(d, pa, buf, len, max_seconds);
	else
		err = decode_sndfile(d, pa, buf, len, max_seconds);

	err = err ? err : dec_flush(d);
	err = err ? err : dec_result(d, pa);
	if (!err) {
		pa->srate_in = d->rate;
		pa->channels_in = d->ch;
	}

 out:
	if (d)
		dec_reset(d);
	mem_deref(d);
	if (err)
		mem_deref(pa);
	else
		*pap = pa;

	return err;
}


/** Duration of decoded audio in milliseconds. */
uint32_t prompt_audio_ms(const struct prompt_audio *pa)
{
	return pa ? (uint32_t)(pa->n * 1000 / MEDIA_SRATE) : 0;
}
