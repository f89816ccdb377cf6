/* Password hashing with argon2id (libsodium), off the loop. */
#ifndef OPENSEAT_PASSWORD_H
#define OPENSEAT_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

struct worker_pool;

/** Length of a stored hash string including its NUL. */
#define PASSWORD_HASH_LEN 128
#define PASSWORD_MIN_LEN  8
#define PASSWORD_MAX_LEN  256

/* Blocking: call only on a worker thread (or a CLI). */
int password_hash(char out[PASSWORD_HASH_LEN], const char *password);
int password_verify(const char *hash, const char *password);

typedef void (password_hash_h)(int err, const char *hash, void *arg);
typedef void (password_verify_h)(int err, bool match, void *arg);

int password_hash_async(struct worker_pool *wp, const char *password,
			password_hash_h *h, void *arg);
int password_verify_async(struct worker_pool *wp, const char *hash,
			  const char *password, password_verify_h *h,
			  void *arg);
int password_check_policy(const char *password);

#endif
