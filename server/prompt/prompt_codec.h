/* Uploaded audio in, engine audio out: decode, resample, WAV, MP3. */
#ifndef OPENSEAT_PROMPT_CODEC_H
#define OPENSEAT_PROMPT_CODEC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Errors of decoding, each one code the API names:
 *   EMEDIUMTYPE  not_audio      no audio format we know
 *   EBADMSG      corrupt_audio  a known format, but broken or truncated
 *   EFBIG        too_long       longer than the limit
 *   ENODATA      empty_audio    no samples, or only digital silence
 */

/** What the sniffer saw at the start of a file. */
enum prompt_kind {
	PROMPT_KIND_NONE = 0,   /**< nothing we know                  */
	PROMPT_KIND_MP3,        /**< ID3 tag or an MPEG audio frame    */
	PROMPT_KIND_RIFF,       /**< WAV and its relatives             */
	PROMPT_KIND_OTHER,      /**< AIFF, FLAC, Ogg, AU, CAF: sndfile */
};

/** Decoded audio at MEDIA_SRATE, mono, and what it was before. */
struct prompt_audio {
	int16_t *s;              /**< (own) */
	size_t n;                /**< samples */
	char format[8];          /**< "wav", "mp3", "flac", ... */
	unsigned srate_in;
	unsigned channels_in;
};

int  prompt_sniff(const uint8_t *buf, size_t len, enum prompt_kind *kindp);
int  prompt_decode(struct prompt_audio **pap, const uint8_t *buf,
		   size_t len, unsigned max_seconds);
const char *prompt_err_code(int err);
uint32_t prompt_audio_ms(const struct prompt_audio *pa);

int  prompt_wav_encode(uint8_t **bufp, size_t *lenp, const int16_t *s,
		       size_t n);
int  prompt_wav_write(const char *path, const int16_t *s, size_t n);
int  prompt_mp3_encode(uint8_t **bufp, size_t *lenp, const int16_t *s,
		       size_t frames, unsigned srate, unsigned channels);

#endif
