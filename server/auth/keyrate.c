/* Request rate limits of API keys: a token bucket per key. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#include "auth/keyrate.h"

/*
 * Each key's bucket holds up to burst requests and refills at
 * rate_per_s; tokens are kept in thousandths so the refill is exact at
 * millisecond steps. A bucket that has refilled to the brim is the same
 * as no bucket at all, so idle keys are dropped: the least recently used
 * bucket is checked on every request and dropped once full. Memory stays
 * bounded by max_keys: past it the least recently used bucket goes even
 * if not yet full (a key that idle is not the one being limited).
 */
enum { TOKEN = 1000 };

struct bucket {
	struct le he;              /**< in kr->ht (owning)            */
	struct le lru;             /**< in kr->lru, oldest first      */
	char key[40];              /**< the API key's id              */
	uint64_t tokens;           /**< thousandths of a request      */
	uint64_t last_ms;          /**< last refill                   */
	uint32_t rate, burst;
};

struct keyrate {
	struct hash *ht;
	struct list lru;           /**< struct bucket, not owning     */
	uint32_t rate, burst;      /**< the default                   */
	unsigned max, n;
};

static struct keyrate *global;


static void bucket_destructor(void *arg)
{
	struct bucket *b = arg;

	hash_unlink(&b->he);
	list_unlink(&b->lru);
}


static void destructor(void *arg)
{
	struct keyrate *kr = arg;

	hash_flush(kr->ht);
	mem_deref(kr->ht);
}


/**
 * A table of buckets with a default rate and burst, holding at most
 * max_keys buckets.
 *
 * @return 0 if success, otherwise errorcode
 */
int keyrate_alloc(struct keyrate **krp, uint32_t rate_per_s,
		  uint32_t burst, unsigned max_keys)
{
	struct keyrate *kr;
	int err;

	if (!krp || !rate_per_s || !burst || !max_keys)
		return EINVAL;

	kr = mem_zalloc(sizeof(*kr), destructor);
	if (!kr)
		return ENOMEM;

	kr->rate = rate_per_s;
	kr->burst = burst;
	kr->max = max_keys;
	err = hash_alloc(&kr->ht, 256);
	if (err) {
		mem_deref(kr);
		return err;
	}

	*krp = kr;

	return 0;
}


static bool key_cmp(struct le *le, void *arg)
{
	const struct bucket *b = le->data;

	return !strcmp(b->key, arg);
}


static struct bucket *find(const struct keyrate *kr, const char *key)
{
	struct le *le = hash_lookup(kr->ht, hash_joaat_str(key), key_cmp,
				    (void *)key);

	return le ? le->data : NULL;
}


static void refill(struct bucket *b, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)b->burst * TOKEN;

	if (now_ms > b->last_ms)
		b->tokens += (now_ms - b->last_ms) * b->rate;
	if (b->tokens > cap)
		b->tokens = cap;
	b->last_ms = now_ms;
}


static void bucket_free(struct keyrate *kr, struct bucket *b)
{
	mem_deref(b);
	kr->n--;
}


/* Drop the least recently used bucket (not keep) if it is full again,
 * or if the table is at its bound and a new bucket is needed. */
static void evict(struct keyrate *kr, const struct bucket *keep,
		  uint64_t now_ms)
{
	struct bucket *b = list_ledata(list_head(&kr->lru));

	if (!b || b == keep)
		return;

	refill(b, now_ms);
	if ((!keep && kr->n >= kr->max) ||
	    b->tokens >= (uint64_t)b->burst * TOKEN)
		bucket_free(kr, b);
}


static struct bucket *bucket_get(struct keyrate *kr, const char *key,
				 uint32_t rate, uint32_t burst,
				 uint64_t now_ms)
{
	struct bucket *b = find(kr, key);

	if (b)
		return b;

	b = mem_zalloc(sizeof(*b), bucket_destructor);
	if (!b)
		return NULL;

	str_ncpy(b->key, key, sizeof(b->key));
	b->rate = rate;
	b->burst = burst;
	b->tokens = (uint64_t)burst * TOKEN;
	b->last_ms = now_ms;
	hash_append(kr->ht, hash_joaat_str(b->key), &b->he, b);
	list_append(&kr->lru, &b->lru, b);
	kr->n++;

	return b;
}


/**
 * Take one request from a key's bucket.
 *
 * @param rate_per_s  the key's own rate, 0 for the table's default
 * @param burst       the key's own burst, 0 for the table's default
 * @param st          the bucket after this request (limit, remaining,
 *                    and when refused the seconds to wait, at least 1)
 *
 * @return 0 if allowed, EAGAIN if over the limit, otherwise errorcode
 */
int keyrate_take(struct keyrate *kr, const char *key, uint32_t rate_per_s,
		 uint32_t burst, uint64_t now_ms, struct keyrate_state *st)
{
	struct bucket *b;
	uint64_t need;

	if (!kr || !key || !st)
		return EINVAL;

	rate_per_s = rate_per_s ? rate_per_s : kr->rate;
	burst = burst ? burst : kr->burst;
	evict(kr, find(kr, key), now_ms);
	b = bucket_get(kr, key, rate_per_s, burst, now_ms);
	if (!b)
		return ENOMEM;

	/* a changed limit applies at once: a raised burst is there to
	 * use, a lowered one caps what is left */
	refill(b, now_ms);
	if (burst > b->burst)
		b->tokens += (uint64_t)(burst - b->burst) * TOKEN;
	b->rate = rate_per_s;
	b->burst = burst;
	refill(b, now_ms);
	list_unlink(&b->lru);
	list_append(&kr->lru, &b->lru, b);

	st->limit = burst;
	st->retry_s = 0;
	if (b->tokens >= TOKEN) {
		b->tokens -= TOKEN;
		st->remaining = (uint32_t)(b->tokens / TOKEN);
		return 0;
	}

	need = TOKEN - b->tokens;              /* thousandths missing */
	need = (need + rate_per_s - 1) / rate_per_s;       /* ms */
	st->retry_s = (uint32_t)((need + 999) / 1000);
	st->retry_s = st->retry_s ? st->retry_s : 1;
	st->remaining = 0;

	return EAGAIN;
}


/** Forget a key's bucket (a revoked key). */
void keyrate_forget(struct keyrate *kr, const char *key)
{
	struct bucket *b = kr && key ? find(kr, key) : NULL;

	if (b)
		bucket_free(kr, b);
}


unsigned keyrate_count(const struct keyrate *kr)
{
	return kr ? kr->n : 0;
}


/** Set up the process's table with the configured default. */
int keyrate_init(uint32_t rate_per_s, uint32_t burst)
{
	global = mem_deref(global);

	return keyrate_alloc(&global, rate_per_s, burst, 100000);
}


void keyrate_close(void)
{
	global = mem_deref(global);
}


/**
 * keyrate_take on the process's table at the loop's clock. Without a
 * table (not initialised) every request is allowed.
 */
int keyrate_check(const char *key, uint32_t rate_per_s, uint32_t burst,
		  struct keyrate_state *st)
{
	if (!global) {
		memset(st, 0, sizeof(*st));
		return 0;
	}

	return keyrate_take(global, key, rate_per_s, burst, tmr_jiffies(),
			    st);
}
