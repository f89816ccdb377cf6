/* Parsed rows by (tenant, key), loaded on first use, dropped on change. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include "db/db.h"
#include "db/db_cache.h"

/*
 * The cache holds one reference per entry; every caller gets its own,
 * so replacing or forgetting an entry never changes an object in use.
 * A load that started before a forget is answered but not cached (the
 * generation moved on), so a stale row cannot outlive the change. Keys
 * and tenant ids are UUIDs. The oldest entry goes when CACHE_MAX are
 * kept.
 */

enum { CACHE_MAX = 4096, ID_SZ = 37 };

struct entry {
	struct le le;
	char tenant_id[ID_SZ];
	char key[ID_SZ];
	void *obj;                   /**< (ref) */
};

struct load {
	struct db_cache *c;          /**< borrowed: static, outlives it */
	char tenant_id[ID_SZ];
	char key[ID_SZ];
	uint64_t gen;
	db_cache_h *h;
	void *arg;
};


static void entry_destructor(void *arg)
{
	struct entry *e = arg;

	list_unlink(&e->le);
	mem_deref(e->obj);
}


static struct entry *find(struct db_cache *c, const char *tenant_id,
			  const char *key)
{
	struct le *le;

	LIST_FOREACH(&c->entryl, le) {
		struct entry *e = le->data;

		if (!strcmp(e->key, key) && !strcmp(e->tenant_id, tenant_id))
			return e;
	}

	return NULL;
}


/** A new reference to the cached object of key in tenant_id, or NULL. */
void *db_cache_find(struct db_cache *c, const char *tenant_id,
		    const char *key)
{
	struct entry *e = find(c, tenant_id, key);

	return e ? mem_ref(e->obj) : NULL;
}


/**
 * Put obj in the cache as key of tenant_id (takes a reference), in place
 * of what was there. Loads use it; tests use it to work without a
 * database.
 *
 * @return 0 if success, otherwise errorcode
 */
int db_cache_put(struct db_cache *c, const char *tenant_id, const char *key,
		 void *obj)
{
	struct entry *e;

	if (!c || !tenant_id || !key || !obj)
		return EINVAL;

	e = find(c, tenant_id, key);
	if (e) {
		mem_deref(e);
		c->n--;
	}
	if (c->n >= CACHE_MAX) {
		mem_deref(list_ledata(c->entryl.head));
		c->n--;
	}

	e = mem_zalloc(sizeof(*e), entry_destructor);
	if (!e)
		return ENOMEM;

	str_ncpy(e->tenant_id, tenant_id, sizeof(e->tenant_id));
	str_ncpy(e->key, key, sizeof(e->key));
	e->obj = mem_ref(obj);
	list_append(&c->entryl, &e->le, e);
	c->n++;

	return 0;
}


/** Drop key's entry (NULL: all); holders of a reference keep theirs. */
void db_cache_forget(struct db_cache *c, const char *key)
{
	struct le *le = c->entryl.head;

	c->gen++;
	while (le) {
		struct entry *e = le->data;

		le = le->next;
		if (!key || !strcmp(e->key, key)) {
			mem_deref(e);
			c->n--;
		}
	}
}


static void loaded(int err, const struct db_res *res, void *arg)
{
	struct load *l = arg;
	void *obj = NULL;

	if (!err)
		err = l->c->kind->parseh(&obj, res, l->tenant_id, l->key);
	if (!err && l->gen == l->c->gen)
		(void)db_cache_put(l->c, l->tenant_id, l->key, obj);

	l->h(err, obj, l->arg);
	mem_deref(l);
}


/**
 * Load key of tenant_id with the kind's query (as that tenant) and
 * cache it; h gets the object or the error (ENOENT: no such row, or no
 * database).
 *
 * @return 0 if h will be called, otherwise errorcode
 */
int db_cache_load(struct db_cache *c, const char *tenant_id,
		  const char *key, db_cache_h *h, void *arg)
{
	struct db_ctx ctx = {DB_TENANT, tenant_id};
	struct load *l;
	int err;

	if (!c->db)
		return ENOENT;

	l = mem_zalloc(sizeof(*l), NULL);
	if (!l)
		return ENOMEM;

	l->c = c;
	str_ncpy(l->tenant_id, tenant_id, sizeof(l->tenant_id));
	str_ncpy(l->key, key, sizeof(l->key));
	l->gen = c->gen;
	l->h = h;
	l->arg = arg;

	err = db_query(c->db, &ctx, loaded, l, c->kind->sql, 1, &key);
	if (err)
		mem_deref(l);

	return err;
}


static void notified(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	db_cache_forget(arg, payload && payload[0] ? payload : NULL);
}


/**
 * Start loading from db (NULL: none) and listen on channel, whose
 * payload is the key that changed ("" all).
 *
 * @return 0 if success, otherwise errorcode
 */
int db_cache_open(struct db_cache *c, struct db *db, const char *channel)
{
	c->db = db;

	return db ? db_listen(db, channel, notified, c) : 0;
}


/** Drop every entry and stop loading. */
void db_cache_close(struct db_cache *c)
{
	db_cache_forget(c, NULL);
	c->db = NULL;
}
