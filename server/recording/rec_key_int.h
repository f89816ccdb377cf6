/* Recording keys inside the module: the master key and wrapping. */
#ifndef OPENSEAT_REC_KEY_INT_H
#define OPENSEAT_REC_KEY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sodium.h>
#include "recording/rec_crypt.h"

#define REC_MASTER_ID_LEN  16      /* hex characters */
#define REC_WRAP_BYTES     (crypto_secretbox_NONCEBYTES + \
			    crypto_secretbox_MACBYTES + REC_KEY_BYTES)
/* "\x" and two hex digits a byte: bytea's text form */
#define REC_WRAP_HEXLEN    (2 + 2 * REC_WRAP_BYTES)

struct app;
struct db_res;

/** A master key and its public name (a short hash of it). */
struct rec_master {
	uint8_t key[crypto_secretbox_KEYBYTES];
	char id[REC_MASTER_ID_LEN + 1];
	bool set;
};

int  rec_master_parse(struct rec_master *m, const char *hex,
		      const char *file, char *errbuf, size_t errsz);
void rec_master_clear(struct rec_master *m);
void rec_wrap(char hex[REC_WRAP_HEXLEN + 1], const struct rec_master *m,
	      const uint8_t *plain, size_t len);
int  rec_unwrap(uint8_t *plain, size_t len, const struct rec_master *m,
		const char *hex);

typedef void (rec_key_info_h)(int err, uint32_t key_no,
			      const char *created_at, void *arg);

const struct rec_master *rec_key_master(void);
int  rec_key_rotate_info(const char *tenant_id, rec_key_info_h *h,
			 void *arg);
struct app *rec_key_app(void);
void rec_key_cache_put(const char *tenant_id, uint32_t key_no,
		       const uint8_t key[REC_KEY_BYTES], bool current);
void rec_key_cache_flush(void);
int  rec_key_listen(struct app *app);

void rec_key_failed(int err);
int  rec_check_start(struct app *app, const struct rec_master *cur,
		     const struct rec_master *old);
bool rec_check_done(void);
void rec_check_close(void);

#endif
