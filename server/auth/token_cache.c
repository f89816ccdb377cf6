/* Verified access tokens remembered until they expire. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include "auth/token_cache.h"

/*
 * A client sends the same access token with every request for its 15
 * minutes; verifying it (base64, JSON, HMAC) each time was the largest
 * share of a cheap request. The cache is keyed by the whole token text,
 * so only the exact bytes that verified once are accepted again, and
 * only before their own expiry. State checks (disabled user, suspended
 * tenant) still run per request in ident.c.
 */
enum { CACHE_MAX = 8192, CACHE_BUCKETS = 1024 };

struct entry {
	struct le he;
	char *tok;
	struct token_claims claims;
};

static struct hash *cache;
static unsigned count;


static void entry_destructor(void *arg)
{
	struct entry *e = arg;

	hash_unlink(&e->he);
	mem_deref(e->tok);
	count--;
}


static bool tok_cmp(struct le *le, void *arg)
{
	const struct entry *e = le->data;

	return !strcmp(e->tok, arg);
}


static void remember(const char *tok, uint32_t key,
		     const struct token_claims *c)
{
	struct entry *e;

	if (!cache && hash_alloc(&cache, CACHE_BUCKETS))
		return;

	if (count >= CACHE_MAX)
		hash_flush(cache);   /* crude but bounded; refills at once */

	e = mem_zalloc(sizeof(*e), entry_destructor);
	if (!e)
		return;

	count++;
	if (str_dup(&e->tok, tok)) {
		mem_deref(e);
		return;
	}
	e->claims = *c;
	hash_append(cache, key, &e->he, e);
}


/**
 * token_verify with memory: a token that verified before and has not
 * expired is accepted without verifying it again.
 *
 * @return 0, EINVAL (malformed, tampered, wrong alg), ETIMEDOUT (expired)
 */
int token_cache_verify(struct token_claims *c, const char *tok,
		       const uint8_t *key, size_t keylen, uint64_t now)
{
	uint32_t hkey = hash_joaat_str(tok);
	struct le *le;
	int err;

	le = cache ? hash_lookup(cache, hkey, tok_cmp, (void *)tok) : NULL;
	if (le) {
		struct entry *e = le->data;

		if (now < e->claims.exp) {
			*c = e->claims;
			return 0;
		}
		mem_deref(e);
		return ETIMEDOUT;
	}

	err = token_verify(c, tok, key, keylen, now);
	if (!err)
		remember(tok, hkey, c);

	return err;
}


/** Forget every token (at shutdown). */
void token_cache_flush(void)
{
	hash_flush(cache);
	cache = mem_deref(cache);
}
