/* Failure counting with temporary bans, keyed by a string. */
#include <string.h>
#include <re.h>
#include "auth/ratelimit.h"

/*
 * Each key keeps the times of its last max_fail failures in a ring. When
 * the oldest of them is younger than window_ms, the key is banned for
 * ban_ms and the ring is cleared. Entries sit in a hash for lookup and in
 * an LRU list (least recently failed first); when max_keys are tracked,
 * the entry idle longest is evicted to make room.
 */

struct ratelimit {
	struct hash *ht;
	struct list lru;
	unsigned max_fail;
	uint64_t window_ms;
	uint64_t ban_ms;
	unsigned max_keys;
	unsigned nkeys;
};

struct rl_entry {
	struct le he;
	struct le le;
	struct ratelimit *rl;   /* not referenced */
	char *key;
	uint64_t *fails;        /* ring of max_fail times */
	unsigned next;          /* ring write position */
	unsigned n;             /* times stored */
	uint64_t ban_until;
};


static void entry_destructor(void *arg)
{
	struct rl_entry *e = arg;

	hash_unlink(&e->he);
	list_unlink(&e->le);
	if (e->rl)
		--e->rl->nkeys;
	mem_deref(e->key);
	mem_deref(e->fails);
}


static void destructor(void *arg)
{
	struct ratelimit *rl = arg;

	list_flush(&rl->lru);
	rl->ht = mem_deref(rl->ht);
}


static bool key_cmp(struct le *le, void *arg)
{
	const struct rl_entry *e = le->data;

	return 0 == strcmp(e->key, arg);
}


static struct rl_entry *entry_find(const struct ratelimit *rl,
				   const char *key)
{
	return list_ledata(hash_lookup(rl->ht, hash_joaat_str(key),
				       key_cmp, (void *)key));
}


static struct rl_entry *entry_add(struct ratelimit *rl, const char *key)
{
	struct rl_entry *e;

	if (rl->nkeys >= rl->max_keys)
		mem_deref(list_ledata(list_head(&rl->lru)));

	e = mem_zalloc(sizeof(*e), entry_destructor);
	if (!e)
		return NULL;

	e->fails = mem_zalloc(rl->max_fail * sizeof(*e->fails), NULL);
	if (!e->fails || str_dup(&e->key, key))
		return mem_deref(e);

	e->rl = rl;
	++rl->nkeys;
	hash_append(rl->ht, hash_joaat_str(key), &e->he, e);
	list_append(&rl->lru, &e->le, e);

	return e;
}


/**
 * Allocate a failure counter.
 *
 * @param rlp        Pointer to the allocated counter
 * @param max_fail   Failures within window_ms that trigger a ban (>= 1)
 * @param window_ms  Sliding window (> 0)
 * @param ban_ms     How long a ban lasts (> 0)
 * @param max_keys   Bound on tracked keys; the one idle longest is evicted
 *
 * @return 0 if success, otherwise errorcode
 */
int ratelimit_alloc(struct ratelimit **rlp, unsigned max_fail,
		    uint64_t window_ms, uint64_t ban_ms, unsigned max_keys)
{
	struct ratelimit *rl;
	int err;

	if (!rlp || !max_fail || max_fail > 1000 || !window_ms || !ban_ms ||
	    !max_keys)
		return EINVAL;

	rl = mem_zalloc(sizeof(*rl), destructor);
	if (!rl)
		return ENOMEM;

	list_init(&rl->lru);
	rl->max_fail  = max_fail;
	rl->window_ms = window_ms;
	rl->ban_ms    = ban_ms;
	rl->max_keys  = max_keys;

	err = hash_alloc(&rl->ht, hash_valid_size(max_keys < 4096 ?
						  max_keys : 4096));
	if (err)
		mem_deref(rl);
	else
		*rlp = rl;

	return err;
}


/**
 * Is a key allowed now? Does not count as a failure.
 *
 * @param rl        Failure counter
 * @param key       Key (e.g. user name or address)
 * @param now_ms    Current time in milliseconds
 * @param retry_ms  Set to the time left of a ban (may be NULL)
 *
 * @return 0 if allowed, EBUSY if banned, EINVAL if bad arguments
 */
int ratelimit_check(struct ratelimit *rl, const char *key, uint64_t now_ms,
		    uint64_t *retry_ms)
{
	struct rl_entry *e;

	if (!rl || !key)
		return EINVAL;

	e = entry_find(rl, key);
	if (!e || !e->ban_until)
		return 0;

	if (now_ms < e->ban_until) {
		if (retry_ms)
			*retry_ms = e->ban_until - now_ms;
		return EBUSY;
	}

	/* ban over and no failures counted since: forget the key */
	e->ban_until = 0;
	if (!e->n)
		mem_deref(e);

	return 0;
}


/**
 * Count a failure for a key; may start a ban.
 *
 * @param rl      Failure counter
 * @param key     Key
 * @param now_ms  Current time in milliseconds
 */
void ratelimit_fail(struct ratelimit *rl, const char *key, uint64_t now_ms)
{
	struct rl_entry *e;
	uint64_t oldest;

	if (!rl || !key)
		return;

	e = entry_find(rl, key);
	if (!e)
		e = entry_add(rl, key);
	if (!e)
		return;

	/* most recently failed goes last */
	list_unlink(&e->le);
	list_append(&rl->lru, &e->le, e);

	if (e->ban_until && now_ms < e->ban_until)
		return;

	e->ban_until = 0;
	e->fails[e->next] = now_ms;
	e->next = (e->next + 1) % rl->max_fail;
	if (e->n < rl->max_fail)
		++e->n;

	if (e->n < rl->max_fail)
		return;

	oldest = e->fails[e->next];
	if (now_ms < oldest || now_ms - oldest < rl->window_ms) {
		e->ban_until = now_ms + rl->ban_ms;
		e->n = 0;
		e->next = 0;
	}
}


/**
 * Forget a key (e.g. after a successful login).
 *
 * @param rl   Failure counter
 * @param key  Key
 */
void ratelimit_reset(struct ratelimit *rl, const char *key)
{
	if (!rl || !key)
		return;

	mem_deref(entry_find(rl, key));
}
