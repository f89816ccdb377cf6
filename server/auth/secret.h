/* Random secrets (refresh tokens, API keys) and their stored hashes. */
#ifndef OPENSEAT_SECRET_H
#define OPENSEAT_SECRET_H

#include <stddef.h>

/** Hex SHA-256 string length including NUL. */
#define SECRET_HASH_LEN 65

/** Fill out with `nbytes` random bytes as base64url (no padding). */
int  secret_random(char *out, size_t outsz, size_t nbytes);
/** Hex SHA-256 of s: what we store for a refresh token or API key. */
void secret_hash(char out[SECRET_HASH_LEN], const char *s);
/** Constant-time string compare. */
int  secret_equal(const char *a, const char *b);

#endif
