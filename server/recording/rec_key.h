/*
 * Recording keys. Each tenant has data keys (32 random bytes, numbered
 * from 1); the newest encrypts new recordings, older ones still read
 * older files. Keys are stored wrapped (crypto_secretbox) by the master
 * key from the configuration; openseat refuses to start when the master
 * key is missing or is not the one that wrapped the stored keys — there
 * is no plaintext fallback.
 *
 * Unwrapped keys are cached on the loop; callbacks run on the loop and
 * the key they get is valid only during the call (copy it).
 */
#ifndef OPENSEAT_REC_KEY_H
#define OPENSEAT_REC_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "recording/rec_crypt.h"

struct app;

typedef void (rec_key_h)(int err, uint32_t key_no,
			 const uint8_t key[REC_KEY_BYTES], void *arg);

/** The master key proved wrong once checked: the server must stop. */
typedef void (rec_key_fail_h)(int err, void *arg);

void rec_key_on_fail(rec_key_fail_h *h, void *arg);
int  rec_key_init(struct app *app, char *errbuf, size_t errsz);
void rec_key_close(void);
int  rec_key_current(const char *tenant_id, rec_key_h *h, void *arg);
int  rec_key_get(const char *tenant_id, uint32_t key_no, rec_key_h *h,
		 void *arg);
int  rec_key_rotate(const char *tenant_id, rec_key_h *h, void *arg);
int  rec_key_derive(uint8_t *out, size_t len, uint64_t subkey_id,
		    const char ctx[8], bool old);

#endif
