/*
 * Voicemail: per-tenant boxes, and keeping what a caller left in one.
 *
 * How the call engine runs a voicemail node:
 *   1. voicemail_box_find(tenant, box named by the flow) gives the
 *      greeting to play and the longest message (max_ms);
 *   2. it plays the greeting and a beep, and records the caller with the
 *      media recorder until '#', silence or max_ms;
 *   3. once the recorder's done handler reported the WAV complete, it
 *      hands the file over with voicemail_keep(). The message is encoded
 *      to MP3 on the worker pool, stored, marked unread, and
 *      `voicemail.recorded` is published; or it is dropped when it holds
 *      less than a second of audio.
 */
#ifndef OPENSEAT_VOICEMAIL_H
#define OPENSEAT_VOICEMAIL_H

#include <stdint.h>
#include "core/uuid.h"

struct app;

/** Greeting played when a box names none. */
#define VOICEMAIL_GREETING_DEFAULT "builtin/voicemail_greeting"

/** A finished recording to keep. Strings are copied. */
struct voicemail_new {
	const char *tenant_id;
	const char *box;          /**< box name, or its box_id           */
	const char *call_id;      /**< the CDR's call_id, or NULL        */
	const char *caller;       /**< caller's number, or NULL          */
	const char *number;       /**< the number that was dialled       */
	const char *wav_path;     /**< 8 kHz mono 16-bit WAV; taken over */
	uint32_t duration_ms;     /**< what the recorder counted (logs)  */
	uint32_t trim_ms;         /**< trailing silence to cut, or 0     */
};

/**
 * The message was stored (err 0, message_id set) or not: ENODATA (under
 * a second of audio after trimming), ENOENT (no such box, or no WAV),
 * EPROTO/EINVAL (the WAV is damaged or another format), EAGAIN/EBUSY
 * (database or worker pool unavailable), ECANCELED (shutting down).
 */
typedef void (voicemail_kept_h)(int err, const char *message_id,
				void *arg);

/** A box as the call engine needs it, defaults already applied. */
struct voicemail_box {
	char box_id[UUID_STRLEN];
	char name[65];
	char greeting[80];        /**< prompt uuid or "builtin/<name>"  */
	uint32_t max_ms;          /**< box's max_seconds, or the config */
};

typedef void (voicemail_box_h)(int err, const struct voicemail_box *box,
			       void *arg);

int voicemail_keep(struct app *app, const struct voicemail_new *m,
		   voicemail_kept_h *h, void *arg);
int voicemail_box_find(struct app *app, const char *tenant_id,
		       const char *box, voicemail_box_h *h, void *arg);
int voicemail_api_init(void);

#endif
