/* Failure counting with temporary bans, keyed by a string. */
#ifndef OPENSEAT_RATELIMIT_H
#define OPENSEAT_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/**
 * @param max_fail  failures within window_ms that trigger a ban
 * @param ban_ms    how long a ban lasts
 * @param max_keys  bound on tracked keys (oldest evicted)
 */
int ratelimit_alloc(struct ratelimit **rlp, unsigned max_fail,
		    uint64_t window_ms, uint64_t ban_ms, unsigned max_keys);
/** @return 0 if allowed, EBUSY if banned (retry_ms set) */
int  ratelimit_check(struct ratelimit *rl, const char *key, uint64_t now_ms,
		     uint64_t *retry_ms);
void ratelimit_fail(struct ratelimit *rl, const char *key, uint64_t now_ms);
void ratelimit_reset(struct ratelimit *rl, const char *key);

#endif
