/*
 * The MP3 encoder threads. A recording's tap fills a ring on the media
 * tick; an encoder thread drains it every 100 ms, encodes with
 * libmp3lame, and writes through rec_writer while the call goes on.
 * The loop never waits on an encoder: it hands a stream over and hears
 * back through handlers, on the loop, once the file is complete.
 */
#ifndef OPENSEAT_REC_ENC_H
#define OPENSEAT_REC_ENC_H

#include <stdbool.h>
#include <stdint.h>
#include "recording/rec_crypt.h"

struct rectap;
struct rec_stream;

/** What an encoder found in the audio and how the file ended. */
struct rec_result {
	int err;                      /**< 0: the file is complete      */
	char error[160];              /**< why not, for the row and log */
	uint64_t size_bytes;          /**< encrypted file size          */
	uint32_t duration_ms;         /**< audio in the file            */
	uint32_t dropped_ms;          /**< lost to a full ring          */
	uint32_t stalled_ms;          /**< silence for a stalled loop   */
	uint32_t longest_silence_ms;  /**< both sides silent            */
	uint32_t talkover_ms;         /**< both sides talking at once   */
};

struct rec_job {
	const char *path;             /**< absolute file path           */
	const char *rel;              /**< relative to the recording dir */
	const uint8_t *key;           /**< REC_KEY_BYTES, copied        */
	uint32_t key_no;
	uint32_t bitrate;             /**< kbit/s                       */
};

/** The stream failed (err) while the call goes on; the file is gone. */
typedef void (rec_fail_h)(int err, const char *error, void *arg);
/** The stream is over: the file is complete (or failed, res->err). */
typedef void (rec_done_h)(const struct rec_result *res, void *arg);

int  rec_enc_init(unsigned threads);
void rec_enc_close(void);
int  rec_enc_start(struct rec_stream **sp, struct rectap *tap,
		   const struct rec_job *job, rec_fail_h *failh,
		   rec_done_h *doneh, void *arg);
void rec_stream_detach(struct rec_stream *s);
unsigned rec_enc_active(void);

#endif
