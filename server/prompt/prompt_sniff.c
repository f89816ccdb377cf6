/* Which audio format an upload claims to be, read from its first bytes. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "prompt/prompt_codec.h"

enum {
	RIFF_MAX_CHUNKS = 64,   /* more than any honest WAV carries */
};


static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}


static bool is_mpeg_frame(const uint8_t *p, size_t len)
{
	if (len < 4)
		return false;

	/* 11 sync bits, a version that exists, layer I-III, a bitrate
	 * index that is not "bad" and a sample rate index that exists */
	return p[0] == 0xff && (p[1] & 0xe0) == 0xe0 &&
		(p[1] & 0x18) != 0x08 && (p[1] & 0x06) != 0 &&
		(p[2] & 0xf0) != 0xf0 && (p[2] & 0x0c) != 0x0c;
}


/*
 * Walk the chunks of a RIFF WAVE file. Decoders forgive a data chunk
 * that claims more bytes than the file holds and play what is there; an
 * upload cut short in transfer would then be kept silently shortened, so
 * it is refused here instead.
 */
static int riff_check(const uint8_t *buf, size_t len)
{
	size_t off = 12;
	bool fmt = false;

	if (len < 12 || memcmp(buf + 8, "WAVE", 4))
		return len < 12 ? EBADMSG : EMEDIUMTYPE;

	for (unsigned i = 0; i < RIFF_MAX_CHUNKS; i++) {
		uint32_t sz;

		if (len - off < 8)
			return EBADMSG;        /* ended before the data */

		sz = le32(buf + off + 4);
		if (!memcmp(buf + off, "fmt ", 4))
			fmt = true;

		if (!memcmp(buf + off, "data", 4)) {
			if (!fmt)
				return EBADMSG;
			/* 0 and ~0 are what streaming writers leave */
			if (sz != 0 && sz != 0xffffffffu &&
			    sz > len - off - 8)
				return EBADMSG;
			return 0;
		}

		if (sz > len - off - 8)
			return EBADMSG;
		off += 8 + (size_t)sz + (sz & 1);
		if (off > len)
			return EBADMSG;
	}

	return EBADMSG;
}


/**
 * Identify an upload by its magic bytes.
 *
 * @return 0 if success, ENODATA if empty, EMEDIUMTYPE if not audio,
 * EBADMSG for a WAV whose chunks are broken or cut short
 */
int prompt_sniff(const uint8_t *buf, size_t len, enum prompt_kind *kindp)
{
	static const char *const other[] = {
		"FORM", "fLaC", "OggS", ".snd", "caff", NULL
	};

	*kindp = PROMPT_KIND_NONE;
	if (!buf || !len)
		return ENODATA;

	if ((len >= 3 && !memcmp(buf, "ID3", 3)) || is_mpeg_frame(buf, len)) {
		*kindp = PROMPT_KIND_MP3;
		return 0;
	}

	if (len >= 4 && !memcmp(buf, "RF64", 4)) {
		*kindp = PROMPT_KIND_RIFF;  /* sizes live in ds64: sndfile */
		return 0;
	}

	if (len >= 4 && !memcmp(buf, "RIFF", 4)) {
		int err = riff_check(buf, len);

		if (!err)
			*kindp = PROMPT_KIND_RIFF;
		return err;
	}

	for (size_t i = 0; other[i]; i++) {
		if (len >= 4 && !memcmp(buf, other[i], 4)) {
			*kindp = PROMPT_KIND_OTHER;
			return 0;
		}
	}

	return EMEDIUMTYPE;
}


/** The API's code for a decoding error, or NULL for other errors. */
const char *prompt_err_code(int err)
{
	switch (err) {

	case EMEDIUMTYPE: return "not_audio";
	case EBADMSG:     return "corrupt_audio";
	case EFBIG:       return "too_long";
	case ENODATA:     return "empty_audio";
	default:          return NULL;
	}
}
