/* Which region a caller's number is in: the tenant's table, then ours. */
#include <string.h>
#include <re.h>
#include "app.h"
#include "db/db.h"
#include "metrics/metrics.h"
#include "region/region.h"
#include "region/region_int.h"

/*
 * A lookup asks PostgreSQL for the longest prefix of the normalized
 * number in the tenant's own prefixes (tenant_number_regions, under its
 * RLS) and in the platform table (number_regions) at once; the tenant's
 * match wins whatever its length, the carrier always comes from the
 * platform table. Answers, "not found" included, stay in a small LRU
 * for CACHE_TTL_MS. Every change commits with a NOTIFY on REGION_CHANNEL
 * (the tenant's id, or "" after a platform import by the CLI), which
 * flushes the entries on every node; the TTL bounds what a missed
 * notification (a reconnect) can leave stale.
 */

enum {
	CACHE_MAX = 4096,
	CACHE_TTL_MS = 60000,
	KEY_SZ = 40 + REGION_NUM_SZ,
};

struct entry {
	struct le he;           /**< in cache.h */
	struct le le;           /**< in cache.lru, most recent first */
	char key[KEY_SZ];
	uint64_t expires;
	int err;
	struct region_hit hit;
};

/* A lookup in flight; the list of those answered from the cache owns
 * them until their timer delivered. */
struct lookup {
	struct le le;           /**< in cache.pendl while timer runs */
	struct tmr tmr;
	char key[KEY_SZ];
	int err;
	struct region_hit hit;
	region_hit_h *hh;
	region_h *uh;
	void *arg;
	unsigned gen;           /**< cache.gen when the query was sent */
};

static struct {
	struct hash *h;
	struct list lru;        /**< (owning) struct entry */
	struct list pendl;      /**< (owning) struct lookup */
	unsigned n;
	unsigned gen;           /**< bumped by every flush */
	const struct db *listening;  /**< borrowed: LISTENs on it */
	struct metric *m_lookups;    /**< borrowed from the registry */
} cache;


static void entry_destructor(void *arg)
{
	struct entry *e = arg;

	hash_unlink(&e->he);
	list_unlink(&e->le);
	--cache.n;
}


static void lookup_destructor(void *arg)
{
	struct lookup *q = arg;

	tmr_cancel(&q->tmr);
	list_unlink(&q->le);
}


static bool key_eq(struct le *le, void *arg)
{
	const struct entry *e = le->data;

	return !strcmp(e->key, arg);
}


static struct entry *cache_get(const char *key)
{
	struct le *le;
	struct entry *e;

	if (!cache.h)
		return NULL;

	le = hash_lookup(cache.h, hash_joaat_str(key), key_eq, (void *)key);
	if (!le)
		return NULL;

	e = le->data;
	if (tmr_jiffies() >= e->expires) {
		mem_deref(e);
		return NULL;
	}

	list_unlink(&e->le);
	list_prepend(&cache.lru, &e->le, e);

	return e;
}


static void cache_put(const char *key, int err, const struct region_hit *h)
{
	struct entry *e;

	if (!cache.h || (err && err != ENOENT))
		return;

	mem_deref(cache_get(key));
	while (cache.n >= CACHE_MAX && cache.lru.tail)
		mem_deref(cache.lru.tail->data);

	e = mem_zalloc(sizeof(*e), entry_destructor);
	if (!e)
		return;

	str_ncpy(e->key, key, sizeof(e->key));
	e->expires = tmr_jiffies() + CACHE_TTL_MS;
	e->err = err;
	if (h)
		e->hit = *h;
	++cache.n;
	hash_append(cache.h, hash_joaat_str(key), &e->he, e);
	list_prepend(&cache.lru, &e->le, e);
}


static void deliver(struct lookup *q)
{
	const struct region_hit *hit = q->err ? NULL : &q->hit;

	if (q->hh)
		q->hh(q->err, hit, q->arg);
	else
		q->uh(q->err, hit ? hit->region : NULL,
		      hit && hit->carrier[0] ? hit->carrier : NULL, q->arg);
}


static void answered(int err, const struct db_res *res, void *arg)
{
	struct lookup *q = arg;
	const char *src;

	if (!err && db_nrows(res, 0) < 1)
		err = ENOENT;

	if (!err) {
		str_ncpy(q->hit.region, db_val(res, 0, 0, 0),
			 sizeof(q->hit.region));
		str_ncpy(q->hit.carrier, db_val(res, 0, 0, 1),
			 sizeof(q->hit.carrier));
		src = db_val(res, 0, 0, 2);
		q->hit.source = src && !strcmp(src, "tenant") ?
			"tenant" : "platform";
	}

	/* an answer read before a flush may be what the flush was for */
	q->err = err;
	if (q->gen == cache.gen)
		cache_put(q->key, err, err ? NULL : &q->hit);
	deliver(q);
	mem_deref(q);
}


static void cached(void *arg)
{
	struct lookup *q = arg;

	deliver(q);
	mem_deref(q);
}


/* "{1,13,138,...}": every prefix of num of up to 16 digits. */
static int prefixes(char *arr, size_t sz, const char *num)
{
	size_t n = strlen(num), len = 0;

	arr[len++] = '{';
	for (size_t i = 1; i <= n && i <= REGION_PREFIX_MAX; i++) {
		int w = re_snprintf(arr + len, sz - len, "%s%b",
				    i > 1 ? "," : "", num, i);

		if (w < 0 || (size_t)w + 2 >= sz - len)
			return ENOMEM;
		len += (size_t)w;
	}
	arr[len++] = '}';
	arr[len] = '\0';

	return 0;
}


static int query(struct app *app, struct lookup *q, const char *tenant_id,
		 const char *num)
{
	static const char sql[] =
		"WITH t AS (SELECT region FROM tenant_number_regions"
		" WHERE prefix = ANY($1::text[])"
		" ORDER BY length(prefix) DESC LIMIT 1),"
		" p AS (SELECT region, carrier FROM number_regions"
		" WHERE prefix = ANY($1::text[])"
		" ORDER BY length(prefix) DESC LIMIT 1)"
		" SELECT COALESCE(t.region, p.region),"
		" COALESCE(p.carrier, ''),"
		" CASE WHEN t.region IS NULL THEN 'platform' ELSE 'tenant' END"
		" FROM (SELECT 1) o LEFT JOIN t ON true LEFT JOIN p ON true"
		" WHERE t.region IS NOT NULL OR p.region IS NOT NULL";
	struct db_ctx ctx = {DB_NONE, NULL};
	char arr[REGION_PREFIX_MAX * (REGION_PREFIX_MAX + 2) + 4];
	const char *pv[1] = {arr};
	int err;

	if (tenant_id && tenant_id[0]) {
		ctx.scope = DB_TENANT;
		ctx.tenant_id = tenant_id;
	}

	err = prefixes(arr, sizeof(arr), num);

	return err ? err : db_query(app->db, &ctx, answered, q, sql, 1, pv);
}


static int find(struct app *app, const char *tenant_id, const char *num,
		struct lookup *q)
{
	const struct entry *e;
	int err;

	if (re_snprintf(q->key, sizeof(q->key), "%s|%s",
			tenant_id ? tenant_id : "", num) < 0) {
		err = ENAMETOOLONG;
		goto out;
	}

	e = cache_get(q->key);
	metric_inc(cache.m_lookups, e ? "answer=\"cache\"" :
		   "answer=\"database\"", 1);
	if (e) {
		q->err = e->err;
		q->hit = e->hit;
		list_append(&cache.pendl, &q->le, q);
		tmr_start(&q->tmr, 0, cached, q);
		return 0;
	}

	q->gen = cache.gen;
	err = query(app, q, tenant_id, num);
 out:
	if (err)
		mem_deref(q);

	return err;
}


/**
 * Find the region of a normalized number (region_normalize()).
 *
 * @param tenant_id Whose own prefixes come first, or NULL for none
 *
 * @return 0 if h will be called, otherwise errorcode (h will not be)
 */
int region_find(struct app *app, const char *tenant_id, const char *num,
		region_hit_h *h, void *arg)
{
	struct lookup *q;

	if (!app || !app->db || !num || !num[0] || !h)
		return EINVAL;

	q = mem_zalloc(sizeof(*q), lookup_destructor);
	if (!q)
		return ENOMEM;

	q->hh = h;
	q->arg = arg;

	return find(app, tenant_id, num, q);
}


/**
 * Look up the region and carrier of a caller's number in any spelling:
 * the tenant's own prefixes first (longest prefix), then the platform's
 * attribution table (longest prefix).
 *
 * @param app       Application (its database pool)
 * @param tenant_id The caller's tenant, or NULL for the platform table
 * @param caller    Number as received ("+86 138…", "010…", "17951…")
 * @param h         Called once, later, with the answer
 * @param arg       Handler argument
 *
 * @return 0 if h will be called, ENOENT for a caller without a number,
 * otherwise errorcode (h will not be called)
 */
int region_lookup(struct app *app, const char *tenant_id,
		  const char *caller, region_h *h, void *arg)
{
	char num[REGION_NUM_SZ];
	struct lookup *q;

	if (!app || !app->db || !caller || !h)
		return EINVAL;

	if (region_normalize(num, sizeof(num), caller))
		return ENOENT;

	q = mem_zalloc(sizeof(*q), lookup_destructor);
	if (!q)
		return ENOMEM;

	q->uh = h;
	q->arg = arg;

	return find(app, tenant_id, num, q);
}


/**
 * Forget cached answers for one tenant (after its prefixes changed), or
 * for everyone (NULL).
 */
void region_cache_flush(const char *tenant_id)
{
	struct le *le;

	++cache.gen;

	if (!tenant_id) {
		while ((le = cache.lru.head))
			mem_deref(le->data);
		return;
	}

	le = cache.lru.head;
	while (le) {
		struct entry *e = le->data;
		size_t n = strlen(tenant_id);

		le = le->next;
		if (!strncmp(e->key, tenant_id, n) && e->key[n] == '|')
			mem_deref(e);
	}
}


static void notified(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)arg;
	region_cache_flush(payload && payload[0] ? payload : NULL);
}


/**
 * Start the lookup cache, follow changes made anywhere, and register the
 * REST routes.
 *
 * @return 0 if success, otherwise errorcode
 */
int region_init(struct app *app)
{
	int err = 0;

	if (!cache.h)
		err = hash_alloc(&cache.h, 1024);

	cache.m_lookups = metric_counter("openseat_region_lookups_total",
					 "Number attribution lookups by where "
					 "the answer came from.");

	if (!err && app && app->db && cache.listening != app->db) {
		err = db_listen(app->db, REGION_CHANNEL, notified, NULL);
		cache.listening = err ? NULL : app->db;
	}

	return err ? err : region_api_init();
}


/* Answers still waiting for their timer get ECANCELED, as db does. */
void region_close(void)
{
	struct le *le;

	while ((le = cache.pendl.head)) {
		struct lookup *q = le->data;

		list_unlink(&q->le);
		tmr_cancel(&q->tmr);
		q->err = ECANCELED;
		deliver(q);
		mem_deref(q);
	}

	region_cache_flush(NULL);
	cache.h = mem_deref(cache.h);
	cache.m_lookups = NULL;
}
