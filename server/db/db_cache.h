/*
 * A cache of parsed rows by (tenant, key): loaded by one query on first
 * use, forgotten when the row changes (on this node by the caller, on
 * others by NOTIFY). IVR flows and schedules are kept this way.
 * Include <re_types.h> and <re_list.h> first.
 */
#ifndef OPENSEAT_DB_CACHE_H
#define OPENSEAT_DB_CACHE_H

struct db;
struct db_res;

/**
 * Parse the load query's rows into a new object (*objp, a mem object
 * the cache references). ENOENT: no such row; other errors are logged
 * by the hook.
 */
typedef int (db_cache_parse_h)(void **objp, const struct db_res *res,
			       const char *tenant_id, const char *key);

/** The load's answer: obj is a reference for the callee, or NULL. */
typedef void (db_cache_h)(int err, void *obj, void *arg);

/** What is cached: the load query ($1 the key) and its parser. */
struct db_cache_kind {
	const char *sql;
	db_cache_parse_h *parseh;
};

/*
 * Public so a module keeps its cache in a static variable, usable (put,
 * find) before db_cache_open and after db_cache_close, as tests do.
 */
struct db_cache {
	const struct db_cache_kind *kind;
	struct db *db;               /**< borrowed, NULL: no loads */
	struct list entryl;          /**< struct entry, owning      */
	unsigned n;
	uint64_t gen;                /**< moves on every forget     */
};

int   db_cache_open(struct db_cache *c, struct db *db, const char *channel);
void  db_cache_close(struct db_cache *c);
void *db_cache_find(struct db_cache *c, const char *tenant_id,
		    const char *key);
int   db_cache_load(struct db_cache *c, const char *tenant_id,
		    const char *key, db_cache_h *h, void *arg);
int   db_cache_put(struct db_cache *c, const char *tenant_id,
		   const char *key, void *obj);
void  db_cache_forget(struct db_cache *c, const char *key);

#endif
