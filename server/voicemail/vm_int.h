/* Voicemail internals shared by the store, the encoder and the API. */
#ifndef OPENSEAT_VM_INT_H
#define OPENSEAT_VM_INT_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct cfg;

/** Bitrate of stored messages: speech at 8 kHz, ~120 KB a minute. */
#define VM_MP3_KBPS 16

/** Recordings with less audio than this are dropped (ENODATA). */
#define VM_MIN_MS 1000

/** What the encoder wrote. */
struct vm_audio {
	uint32_t duration_ms;    /**< audio kept, after trimming */
	uint64_t size_bytes;     /**< size of the MP3 file */
	char error[160];         /**< what was wrong, when err != 0 */
};

int  vm_encode_mp3(const char *wav, const char *mp3, uint32_t trim_ms,
		   uint32_t min_ms, struct vm_audio *out);
int  vm_dir(char *buf, size_t sz, const struct cfg *cfg,
	    const char *tenant_id);
int  vm_path(char *buf, size_t sz, const struct cfg *cfg,
	     const char *tenant_id, const char *message_id);
int  vm_mkdirs(const char *dir);
void vm_unlink_async(struct app *app, const char *tenant_id,
		     const char *const *message_ids, unsigned n);

int  vm_box_api_init(void);
int  vm_msg_api_init(void);

#endif
