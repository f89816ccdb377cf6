/* Verified access tokens remembered until they expire. */
#ifndef OPENSEAT_AUTH_TOKEN_CACHE_H
#define OPENSEAT_AUTH_TOKEN_CACHE_H

#include "auth/token.h"

int  token_cache_verify(struct token_claims *c, const char *tok,
			const uint8_t *key, size_t keylen, uint64_t now);
void token_cache_flush(void);

#endif
