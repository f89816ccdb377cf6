/*
 * Secrets sealed at rest: what the server must read back to use it (a
 * webhook endpoint's signing secret, a tenant CRM's token) is stored as
 * an XChaCha20-Poly1305 box under a key derived from the recording
 * master key, never readable. The box's associated data names the
 * column, the tenant and the row it belongs to, so a box copied to
 * another tenant, column or row does not open.
 *
 * A box is bytea's text form: "\x", then hex of nonce | ciphertext | tag.
 * Rows remember which key sealed them (seal_key_id) so that a start with
 * recording_master_key_old reseals them, as the recording keys are.
 */
#ifndef OPENSEAT_SEAL_H
#define OPENSEAT_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEAL_KEY_BYTES  32
#define SEAL_ID_LEN     16        /* hex characters */
#define SEAL_COL_WEBHOOK  "webhook_endpoints.secret"
#define SEAL_COL_CRM      "crm_settings.auth_token"
#define SEAL_COL_IDEM     "idempotency_keys.response"
#define SEAL_PLAIN_MAX  (16 * 1024 * 1024)  /* bytes a box holds */

struct app;

/** Where a box belongs: bound into it as associated data. */
struct seal_ad {
	const char *column;      /**< "table.column" it is stored in     */
	const char *tenant_id;
	const char *row_id;      /**< the row's id; NULL: the tenant's   */
};

/** A sealing key and its public name (a short hash of it). */
struct seal_key {
	uint8_t key[SEAL_KEY_BYTES];
	char id[SEAL_ID_LEN + 1];
	bool set;
};

void seal_key_set(struct seal_key *k, const uint8_t raw[SEAL_KEY_BYTES]);
void seal_key_clear(struct seal_key *k);
int  seal_box_with(const struct seal_key *k, char **boxp,
		   const char *plain, const struct seal_ad *ad);
int  seal_open_with(const struct seal_key *k, char *out, size_t sz,
		    const char *box, const struct seal_ad *ad);
int  seal_open_dup(char **plainp, const struct seal_key *k,
		   const char *box, const struct seal_ad *ad);

/* With the key of this start (seal_init) */
typedef void (seal_fail_h)(int err, void *arg);
void seal_on_fail(seal_fail_h *h, void *arg);
int  seal_init(struct app *app, char *errbuf, size_t errsz);
bool seal_ready(void);
void seal_close(void);
const char *seal_key_id(void);
int  seal_box(char **boxp, const char *plain, const struct seal_ad *ad);
int  seal_open(char *out, size_t sz, const char *box,
	       const struct seal_ad *ad);
int  seal_open_alloc(char **plainp, const char *box,
		     const struct seal_ad *ad);

#endif
