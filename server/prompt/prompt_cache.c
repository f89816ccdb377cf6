/* Decoded prompts in memory for the calls, bounded by bytes (LRU). */
#include <errno.h>
#include <string.h>
#include <re.h>
#include "app.h"
#include "media/pcm.h"
#include "worker/worker.h"
#include "prompt/prompt.h"
#include "prompt/prompt_int.h"

/*
 * Entries are keyed "t/<tenant_id>/<prompt_id>" for uploads and
 * "b/<lang>/<name>" for built-ins. An entry is either loaded (pcm set,
 * on the LRU list, counted in bytes) or loading (a worker job holds a
 * reference to it and waiters are queued on it). Requests for a prompt
 * that is loading wait for the same load.
 *
 * cache.ht owns one reference to every entry in it; an evicted entry
 * leaves the table at once, and a load still running for it delivers to
 * its waiters and then lets it go. A request (prompt_req) is owned by
 * its requester: freeing it unlinks it from its entry, so a load that
 * finishes later calls nobody.
 */

enum {
	HASH_SIZE = 256,
	KEY_MAX = 120,
};

struct pentry {
	struct le he;               /**< in cache.ht */
	struct le lre;              /**< in cache.lru once loaded */
	char key[KEY_MAX];
	struct pcm *pcm;            /**< (ref) NULL while loading */
	size_t bytes;
	struct list waiters;        /**< prompt_req, not owning */
	bool live;                  /**< in cache.ht */
};

struct prompt_req {
	struct le le;               /**< in pentry.waiters */
	struct tmr tmr;             /**< delivers a hit after return */
	struct pcm *pcm;            /**< (ref) for a hit */
	prompt_load_h *h;
	void *arg;
};

struct pjob {
	struct pentry *e;           /**< (ref) */
	char path[PROMPT_PATH_MAX];
	char alt[PROMPT_PATH_MAX];  /**< the zh-CN built-in, or "" */
	struct pcm *pcm;            /**< (ref) the result */
};

static struct {
	struct hash *ht;            /**< (own) pentry */
	struct list lru;            /**< most recent first, not owning */
	size_t bytes;
	size_t max_bytes;
} cache;


static void entry_destructor(void *arg)
{
	struct pentry *e = arg;

	hash_unlink(&e->he);
	list_unlink(&e->lre);
	mem_deref(e->pcm);
}


static void req_destructor(void *arg)
{
	struct prompt_req *r = arg;

	list_unlink(&r->le);
	tmr_cancel(&r->tmr);
	mem_deref(r->pcm);
}


static void job_destructor(void *arg)
{
	struct pjob *j = arg;

	mem_deref(j->e);
	mem_deref(j->pcm);
}


/* Take e out of the table (and the byte count); it may live on. */
static void entry_drop(struct pentry *e)
{
	if (!e->live)
		return;

	e->live = false;
	hash_unlink(&e->he);
	if (e->lre.list) {
		list_unlink(&e->lre);
		cache.bytes -= e->bytes;
	}
	mem_deref(e);
}


static bool key_cmp(struct le *le, void *arg)
{
	const struct pentry *e = le->data;

	return !strcmp(e->key, arg);
}


static struct pentry *lookup(const char *key)
{
	struct le *le;

	if (!cache.ht)
		return NULL;

	le = hash_lookup(cache.ht, hash_joaat_str(key), key_cmp,
			 (void *)key);

	return le ? le->data : NULL;
}


/* Keep the least recently used within the byte budget. */
static void shrink(void)
{
	while (cache.bytes > cache.max_bytes && cache.lru.tail)
		entry_drop(cache.lru.tail->data);
}


/* The cache key and file paths of a reference; EINVAL if malformed. */
static int resolve(struct pjob *j, char *key, const struct app *app,
		   const char *tenant_id, const char *ref, const char *lang)
{
	const char *pick;
	int err;

	if (!ref)
		return EINVAL;

	if (!strncmp(ref, "builtin/", 8)) {
		const char *name = ref + 8;

		if (!prompt_builtin_name_ok(name))
			return EINVAL;

		pick = prompt_lang_pick(lang);
		(void)re_snprintf(key, KEY_MAX, "b/%s/%s", pick, name);
		if (!j)
			return 0;
		err = prompt_builtin_path(j->path, sizeof(j->path), app, pick,
					  name);
		if (!err && strcmp(pick, prompt_langs[0]))
			err = prompt_builtin_path(j->alt, sizeof(j->alt), app,
						  prompt_langs[0], name);
		return err;
	}

	if (!tenant_id || strlen(tenant_id) != 36 || strlen(ref) != 36 ||
	    strspn(ref, "0123456789abcdef-") != 36 ||
	    strspn(tenant_id, "0123456789abcdef-") != 36)
		return EINVAL;

	(void)re_snprintf(key, KEY_MAX, "t/%s/%s", tenant_id, ref);

	return j ? prompt_path(j->path, sizeof(j->path), app, tenant_id, ref)
		: 0;
}


static int load_work(void *arg)
{
	struct pjob *j = arg;
	int err = pcm_load_wav(&j->pcm, j->path);

	/* a built-in missing in this language falls back to zh-CN */
	if (err == ENOENT && j->alt[0])
		err = pcm_load_wav(&j->pcm, j->alt);

	return err;
}


static void load_done(int err, void *arg)
{
	struct pjob *j = arg;
	struct pentry *e = j->e;
	struct le *le;

	if (!err && e->live) {
		e->pcm = mem_ref(j->pcm);
		e->bytes = j->pcm->n * sizeof(int16_t) + sizeof(*e);
		list_prepend(&cache.lru, &e->lre, e);
		cache.bytes += e->bytes;
	}
	else if (e->live) {
		entry_drop(e);     /* a failure is not remembered */
	}

	/* each waiter is unlinked before its handler, which may free it
	 * or any other request */
	while ((le = list_head(&e->waiters))) {
		struct prompt_req *r = le->data;

		list_unlink(&r->le);
		r->h(err, err ? NULL : j->pcm, r->arg);
	}

	shrink();
	mem_deref(j);
}


static void hit_deliver(void *arg)
{
	struct prompt_req *r = arg;

	r->h(0, r->pcm, r->arg);
}


/* Start a load for key; the new entry is in the table, loading. */
static int load_start(struct pentry **ep, struct app *app, struct pjob *j,
		      const char *key)
{
	struct pentry *e = mem_zalloc(sizeof(*e), entry_destructor);
	int err;

	if (!e)
		return ENOMEM;

	str_ncpy(e->key, key, sizeof(e->key));
	j->e = mem_ref(e);
	err = worker_submit(app->workers, load_work, load_done, j);
	if (err) {
		j->e = mem_deref(j->e);
		mem_deref(e);
		return err;
	}

	e->live = true;
	hash_append(cache.ht, hash_joaat_str(key), &e->he, e);
	*ep = e;

	return 0;
}


/**
 * Get a prompt's audio, from memory or loaded on the worker pool. The
 * handler is called once, never before this returns; freeing *reqp first
 * cancels it.
 *
 * @param ref   a tenant prompt's uuid or "builtin/<name>"
 * @param lang  "zh-CN" or "en" for built-ins (others: zh-CN)
 * @return 0 if success, otherwise errorcode (EINVAL: malformed ref)
 */
int prompt_load(struct prompt_req **reqp, struct app *app,
		const char *tenant_id, const char *ref, const char *lang,
		prompt_load_h *h, void *arg)
{
	struct prompt_req *r;
	struct pentry *e;
	struct pjob *j = NULL;
	char key[KEY_MAX];
	int err;

	if (!reqp || !app || !h || !cache.ht)
		return EINVAL;

	err = resolve(NULL, key, app, tenant_id, ref, lang);
	if (err)
		return err;

	r = mem_zalloc(sizeof(*r), req_destructor);
	if (!r)
		return ENOMEM;

	tmr_init(&r->tmr);
	r->h = h;
	r->arg = arg;

	e = lookup(key);
	if (e && e->pcm) {
		list_unlink(&e->lre);
		list_prepend(&cache.lru, &e->lre, e);
		r->pcm = mem_ref(e->pcm);
		tmr_start(&r->tmr, 0, hit_deliver, r);
		goto out;
	}

	if (!e) {
		j = mem_zalloc(sizeof(*j), job_destructor);
		err = j ? resolve(j, key, app, tenant_id, ref, lang) : ENOMEM;
		err = err ? err : load_start(&e, app, j, key);
		if (err) {
			mem_deref(j);
			goto out;
		}
	}

	list_append(&e->waiters, &r->le, r);

 out:
	if (err)
		mem_deref(r);
	else
		*reqp = r;

	return err;
}


/** The prompt's audio if it is in memory now (a new reference), or NULL. */
struct pcm *prompt_cached(const char *tenant_id, const char *ref,
			  const char *lang)
{
	struct pentry *e;
	char key[KEY_MAX];

	if (resolve(NULL, key, NULL, tenant_id, ref, lang))
		return NULL;

	e = lookup(key);
	if (!e || !e->pcm)
		return NULL;

	list_unlink(&e->lre);
	list_prepend(&cache.lru, &e->lre, e);

	return mem_ref(e->pcm);
}


/** Forget a tenant prompt (deleted or replaced); players keep theirs. */
void prompt_evict(const char *tenant_id, const char *prompt_id)
{
	struct pentry *e;
	char key[KEY_MAX];

	if (resolve(NULL, key, NULL, tenant_id, prompt_id, NULL))
		return;

	e = lookup(key);
	if (e)
		entry_drop(e);
}


/** Bytes the loaded prompts take now. */
size_t prompt_cache_bytes(void)
{
	return cache.bytes;
}


/**
 * Start the cache.
 *
 * @param max_bytes  budget for loaded prompts
 * @return 0 if success, otherwise errorcode
 */
int prompt_cache_init(size_t max_bytes)
{
	if (cache.ht)
		return EALREADY;

	cache.max_bytes = max_bytes;
	cache.bytes = 0;
	list_init(&cache.lru);

	return hash_alloc(&cache.ht, HASH_SIZE);
}


/* Drop every entry; loads in flight still finish for their waiters. */
static bool drop_one(struct le *le, void *arg)
{
	(void)arg;
	entry_drop(le->data);

	return false;
}


void prompt_cache_close(void)
{
	if (!cache.ht)
		return;

	(void)hash_apply(cache.ht, drop_one, NULL);
	cache.ht = mem_deref(cache.ht);
	cache.bytes = 0;
}
