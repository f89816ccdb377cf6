/* Access tokens: HS256 JWTs with our own exp and algorithm checks. */
#ifndef OPENSEAT_TOKEN_H
#define OPENSEAT_TOKEN_H

#include <stddef.h>
#include <stdint.h>
#include "auth/role.h"

#define UUID_STR_LEN 37

struct token_claims {
	char      sub[UUID_STR_LEN];        /**< user_id                 */
	char      tenant_id[UUID_STR_LEN];  /**< empty for the operator  */
	enum role role;
	uint64_t  iat;                      /**< seconds since epoch     */
	uint64_t  exp;
};

/**
 * Sign claims into a compact JWT.
 * @param tokp  the token, a mem_alloc'ed string the caller derefs
 */
int token_sign(char **tokp, const struct token_claims *c,
	       const uint8_t *key, size_t keylen);
/**
 * Verify signature, algorithm (HS256 only) and expiry at `now`.
 * @return 0, EINVAL (malformed, tampered, wrong alg), ETIMEDOUT (expired)
 */
int token_verify(struct token_claims *c, const char *tok,
		 const uint8_t *key, size_t keylen, uint64_t now);

#endif
