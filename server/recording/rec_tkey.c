/* Tenants' recording keys: created on first use, unwrapped, cached. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "core/uuid.h"
#include "recording/rec_key.h"
#include "recording/rec_key_int.h"

#define CACHE_BUCKETS 256
/* A tenant key added on any node: the others stop using their cached
 * current key for new recordings and read the newest again. */
#define KEYS_CHANNEL  "openseat_recording_keys"

/** An unwrapped key; zeroed when freed. */
struct tkey {
	struct le he;                 /**< in cache.ht (owning) */
	char tenant_id[UUID_STRLEN];
	uint32_t key_no;
	bool current;                 /**< the newest this node knows */
	uint8_t key[REC_KEY_BYTES];
};

/** A request waiting for the database or for the loop's next turn. */
struct kreq {
	struct le le;                 /**< in cache.reql (owning) */
	struct tmr tmr;               /**< answers a cached key later */
	char tenant_id[UUID_STRLEN];
	uint32_t key_no;              /**< 0: the current key */
	rec_key_h *h;
	rec_key_info_h *infoh;        /**< instead of h: no key material */
	void *arg;                    /**< borrowed: the caller's */
	int err;
	uint32_t found_no;            /**< the cached key taken, or 0 */
	uint8_t key[REC_KEY_BYTES];   /**< its copy: a NOTIFY may retire it
				           before the answer */
};

static struct {
	struct hash *ht;              /**< (owning) struct tkey */
	struct list reql;             /**< (owning) struct kreq on a timer */
} cache;


static void tkey_destructor(void *arg)
{
	struct tkey *k = arg;

	hash_unlink(&k->he);
	sodium_memzero(k->key, sizeof(k->key));
}


static void kreq_destructor(void *arg)
{
	struct kreq *r = arg;

	tmr_cancel(&r->tmr);
	list_unlink(&r->le);
	sodium_memzero(r->key, sizeof(r->key));
}


struct match {
	const char *tenant_id;
	uint32_t key_no;              /**< 0: the current key */
};


static bool tkey_match(struct le *le, void *arg)
{
	const struct tkey *k = le->data;
	const struct match *m = arg;

	return !strcmp(k->tenant_id, m->tenant_id) &&
		(m->key_no ? k->key_no == m->key_no : k->current);
}


static struct tkey *cache_find(const char *tenant_id, uint32_t key_no)
{
	struct match m = {tenant_id, key_no};
	struct le *le;

	if (!cache.ht)
		return NULL;
	le = hash_lookup(cache.ht, hash_joaat_str(tenant_id), tkey_match,
			 &m);

	return le ? le->data : NULL;
}


/** Keep an unwrapped key; a newer current key retires the old one. */
void rec_key_cache_put(const char *tenant_id, uint32_t key_no,
		       const uint8_t key[REC_KEY_BYTES], bool current)
{
	struct tkey *k, *cur;

	if (!cache.ht && hash_alloc(&cache.ht, CACHE_BUCKETS))
		return;

	cur = cache_find(tenant_id, 0);
	if (current && cur && cur->key_no > key_no)
		current = false;
	if (current && cur)
		cur->current = false;

	k = cache_find(tenant_id, key_no);
	if (k) {
		k->current = k->current || current;
		return;
	}

	k = mem_zalloc(sizeof(*k), tkey_destructor);
	if (!k)
		return;
	str_ncpy(k->tenant_id, tenant_id, sizeof(k->tenant_id));
	k->key_no = key_no;
	k->current = current;
	memcpy(k->key, key, sizeof(k->key));
	hash_append(cache.ht, hash_joaat_str(tenant_id), &k->he, k);
}


void rec_key_cache_flush(void)
{
	list_flush(&cache.reql);
	hash_flush(cache.ht);
	cache.ht = mem_deref(cache.ht);
}


static void answer(struct kreq *r, int err, uint32_t key_no,
		   const uint8_t *key)
{
	static const uint8_t none[REC_KEY_BYTES];

	if (r->h)
		r->h(err, err ? 0 : key_no, err ? none : key, r->arg);
	else
		r->infoh(err, err ? 0 : key_no, NULL, r->arg);
	mem_deref(r);
}


static void cached_answer(void *arg)
{
	struct kreq *r = arg;

	if (!r->found_no) {
		answer(r, r->err ? r->err : ENOENT, 0, NULL);
		return;
	}
	answer(r, 0, r->found_no, r->key);
}


/* Rows: key_no, wrapped. Unwrap the first, cache it, answer. */
static void key_rows(int err, const struct db_res *res, void *arg)
{
	struct kreq *r = arg;
	uint8_t key[REC_KEY_BYTES];
	unsigned last;
	uint32_t key_no;

	last = err ? 0 : db_res_stmts(res) - 1;
	if (!err && db_nrows(res, last) < 1)
		err = ENOENT;
	if (err) {
		if (err != ENOENT)
			log_warn("recording key of tenant %s: %m",
				 r->tenant_id, err);
		answer(r, err, 0, NULL);
		return;
	}

	key_no = (uint32_t)strtoul(db_val(res, last, 0, 0), NULL, 10);
	err = rec_unwrap(key, sizeof(key), rec_key_master(),
			 db_val(res, last, 0, 1));
	if (err) {
		log_error("recording key %u of tenant %s does not open with "
			  "the master key: %m", key_no, r->tenant_id, err);
		answer(r, EBADMSG, 0, NULL);
		return;
	}

	rec_key_cache_put(r->tenant_id, key_no, key, r->key_no == 0);
	if (r->infoh) {
		r->infoh(0, key_no, db_val(res, last, 0, 2), r->arg);
		mem_deref(r);
	}
	else {
		answer(r, 0, key_no, key);
	}
	sodium_memzero(key, sizeof(key));
}


static int kreq_alloc(struct kreq **rp, const char *tenant_id,
		      uint32_t key_no, rec_key_h *h, void *arg)
{
	struct kreq *r;

	if (!tenant_id || strlen(tenant_id) != UUID_STRLEN - 1)
		return EINVAL;
	/* no key before the master key was checked: a wrong master
	 * must not wrap a tenant's first key */
	if (!rec_key_app() || !rec_check_done())
		return EAGAIN;

	r = mem_zalloc(sizeof(*r), kreq_destructor);
	if (!r)
		return ENOMEM;
	tmr_init(&r->tmr);
	str_ncpy(r->tenant_id, tenant_id, sizeof(r->tenant_id));
	r->key_no = key_no;
	r->h = h;
	r->arg = arg;
	*rp = r;

	return 0;
}


/* Answer from the cache on the loop's next turn, never from inside the
 * caller's own call. */
static bool from_cache(struct kreq *r)
{
	const struct tkey *k = cache_find(r->tenant_id, r->key_no);

	if (!k)
		return false;

	r->found_no = k->key_no;
	memcpy(r->key, k->key, REC_KEY_BYTES);

	list_append(&cache.reql, &r->le, r);
	tmr_start(&r->tmr, 0, cached_answer, r);
	return true;
}


static int run(struct kreq *r, struct db_txn *tx)
{
	int err = db_txn_exec(rec_key_app()->db, tx, key_rows, r);

	if (err)
		mem_deref(r);
	return err;
}


/* A new random key, wrapped: the parameters $2 (wrapped), $3 (master). */
static void new_key(char box[REC_WRAP_HEXLEN + 1])
{
	uint8_t key[REC_KEY_BYTES];

	randombytes_buf(key, sizeof(key));
	rec_wrap(box, rec_key_master(), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
}


/**
 * The tenant's newest key, for a new recording; the tenant's first key
 * is created here. Two calls at once (on any node) get the same key: the
 * insert only happens while the tenant has none, and the key read back
 * is whichever insert won.
 *
 * @param h   called on the loop, later, with the key (copy it)
 *
 * @return 0 if success (h will be called), otherwise errorcode
 */
int rec_key_current(const char *tenant_id, rec_key_h *h, void *arg)
{
	char box[REC_WRAP_HEXLEN + 1];
	struct db_txn *tx = NULL;
	struct db_ctx ctx = {DB_TENANT, tenant_id};
	const char *pv[3];
	struct kreq *r;
	int err;

	err = h ? kreq_alloc(&r, tenant_id, 0, h, arg) : EINVAL;
	if (err)
		return err;
	if (from_cache(r))
		return 0;

	new_key(box);
	pv[0] = tenant_id;
	pv[1] = box;
	pv[2] = rec_key_master()->id;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, "INSERT INTO recording_keys"
		" (tenant_id, key_no, wrapped, master_id)"
		" SELECT $1::uuid, 1, $2::bytea, $3 WHERE NOT EXISTS ("
		"SELECT 1 FROM recording_keys WHERE tenant_id = $1::uuid)"
		" ON CONFLICT DO NOTHING", 3, pv);
	err = err ? err : db_txn_add(tx, "SELECT key_no::text,"
		" '\\x' || encode(wrapped, 'hex') FROM recording_keys"
		" WHERE tenant_id = $1::uuid ORDER BY key_no DESC LIMIT 1",
		1, pv);
	if (err) {
		mem_deref(tx);
		mem_deref(r);
		return err;
	}

	return run(r, tx);
}


/**
 * A tenant's key by number, to read a file (rec_file_key_no).
 *
 * @return 0 if success (h will be called; ENOENT there when the tenant
 *         has no such key), otherwise errorcode
 */
int rec_key_get(const char *tenant_id, uint32_t key_no, rec_key_h *h,
		void *arg)
{
	struct db_ctx ctx = {DB_TENANT, tenant_id};
	struct db_txn *tx = NULL;
	const char *pv[2];
	struct kreq *r;
	char no[16];
	int err;

	err = h && key_no ? kreq_alloc(&r, tenant_id, key_no, h, arg) :
		EINVAL;
	if (err)
		return err;
	if (from_cache(r))
		return 0;

	(void)re_snprintf(no, sizeof(no), "%u", key_no);
	pv[0] = tenant_id;
	pv[1] = no;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, "SELECT key_no::text,"
		" '\\x' || encode(wrapped, 'hex') FROM recording_keys"
		" WHERE tenant_id = $1::uuid AND key_no = $2::int", 2, pv);
	if (err) {
		mem_deref(tx);
		mem_deref(r);
		return err;
	}

	return run(r, tx);
}


static int rotate(struct kreq *r)
{
	struct db_ctx ctx = {DB_TENANT, r->tenant_id};
	char box[REC_WRAP_HEXLEN + 1];
	struct db_txn *tx = NULL;
	const char *pv[3];
	int err;

	new_key(box);
	pv[0] = r->tenant_id;
	pv[1] = box;
	pv[2] = rec_key_master()->id;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, "SELECT pg_notify('" KEYS_CHANNEL
				     "', $1::text)", 1, pv);
	err = err ? err : db_txn_add(tx, "INSERT INTO recording_keys"
		" (tenant_id, key_no, wrapped, master_id)"
		" SELECT $1::uuid, COALESCE(max(key_no), 0) + 1, $2::bytea,"
		" $3 FROM recording_keys WHERE tenant_id = $1::uuid"
		" RETURNING key_no::text, '\\x' || encode(wrapped, 'hex'),"
		" to_char(created_at AT TIME ZONE 'UTC',"
		" 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')", 3, pv);
	if (err) {
		mem_deref(tx);
		mem_deref(r);
		return err;
	}

	/* the new key is current from now on for new recordings; the
	 * older ones stay to read older files */
	r->key_no = 0;

	return run(r, tx);
}


/**
 * Add the tenant's next key (key_no + 1); new recordings use it.
 *
 * @return 0 if success (h will be called; EEXIST there when another
 *         rotation won the race), otherwise errorcode
 */
int rec_key_rotate(const char *tenant_id, rec_key_h *h, void *arg)
{
	struct kreq *r;
	int err;

	err = h ? kreq_alloc(&r, tenant_id, 0, h, arg) : EINVAL;
	if (err)
		return err;

	return rotate(r);
}


/** rec_key_rotate for the operator's API: the new key's number and
 * creation time, no key material. */
int rec_key_rotate_info(const char *tenant_id, rec_key_info_h *h,
			void *arg)
{
	struct kreq *r;
	int err;

	err = h ? kreq_alloc(&r, tenant_id, 0, NULL, arg) : EINVAL;
	if (err)
		return err;
	r->infoh = h;

	return rotate(r);
}


static void keys_notified(const char *channel, const char *payload,
			  void *arg)
{
	struct tkey *cur;

	(void)channel;
	(void)arg;
	if (!payload || strlen(payload) != UUID_STRLEN - 1)
		return;

	cur = cache_find(payload, 0);
	if (cur)
		cur->current = false;
}


/** Hear of tenant keys added by other nodes. */
int rec_key_listen(struct app *app)
{
	return db_listen(app->db, KEYS_CHANNEL, keys_notified, NULL);
}
