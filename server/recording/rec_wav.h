/* A recording's MP3 decoded to a 16-bit PCM WAV file, in memory. */
#ifndef OPENSEAT_REC_WAV_H
#define OPENSEAT_REC_WAV_H

#include <stddef.h>
#include <stdint.h>

int rec_wav_from_mp3(const uint8_t *mp3, size_t n, uint8_t **wavp,
		     size_t *lenp);

#endif
