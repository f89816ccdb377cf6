/* Request rate limits of API keys: a token bucket per key. */
#ifndef OPENSEAT_AUTH_KEYRATE_H
#define OPENSEAT_AUTH_KEYRATE_H

#include <stdint.h>

struct keyrate;

/** What a request learns about its key's bucket (the 429 and headers). */
struct keyrate_state {
	uint32_t limit;        /**< the bucket's size (burst)            */
	uint32_t remaining;    /**< whole requests left after this one   */
	uint32_t retry_s;      /**< refused: seconds until one is there  */
};

int  keyrate_alloc(struct keyrate **krp, uint32_t rate_per_s,
		   uint32_t burst, unsigned max_keys);
int  keyrate_take(struct keyrate *kr, const char *key, uint32_t rate_per_s,
		  uint32_t burst, uint64_t now_ms, struct keyrate_state *st);
void keyrate_forget(struct keyrate *kr, const char *key);
unsigned keyrate_count(const struct keyrate *kr);

/* The process's table, used by the HTTP edge for API-key requests. */
int  keyrate_init(uint32_t rate_per_s, uint32_t burst);
void keyrate_close(void);
int  keyrate_check(const char *key, uint32_t rate_per_s, uint32_t burst,
		   struct keyrate_state *st);

#endif
