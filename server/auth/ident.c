/* A short-lived cache of who a credential belongs to, and their state. */
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#include "app.h"
#include "db/db.h"
#include "auth/ident.h"

/*
 * Every authenticated request needs the user's or key's current state
 * (disabled, deleted, tenant suspended, role). Entries live TTL_MS; a
 * change made on this node forgets the entry at once. Other nodes see a
 * change within TTL_MS, or at once when the change is NOTIFYed on
 * IDENT_CHANNEL (ident_forget_all_nodes(): revoked and changed API keys).
 */
#define TTL_MS   10000
#define IDENT_CHANNEL "openseat_ident"
#define MAX_ENTRIES 50000

struct entry {
	struct le he;              /**< in cache.ht (owning)     */
	char key[80];              /**< "u:<uuid>", "k:<sha256>" */
	struct ident id;
	uint64_t fetched;
};

struct lookup {
	struct app *app;           /**< (borrowed) */
	enum principal_kind kind;
	char key[80];
	ident_h *h;
	void *arg;                 /**< caller keeps it alive */
};

static struct {
	struct hash *ht;
	unsigned n;
} cache;

static const char sql_user[] =
	"SELECT u.user_id, u.tenant_id, u.username, u.display_name, u.role,"
	" u.disabled, u.locale, u.deleted_at IS NOT NULL AS gone,"
	" t.code, t.name, t.status"
	" FROM users u JOIN tenants t USING (tenant_id)"
	" WHERE u.user_id = $1";

static const char sql_operator[] =
	"SELECT operator_id, '' AS tenant_id, username, display_name,"
	" 'operator' AS role, disabled, 'zh-CN' AS locale, false AS gone,"
	" '' AS code, '' AS name, 'active' AS status"
	" FROM operators WHERE operator_id = $1";

static const char sql_key[] =
	"UPDATE api_keys k SET last_used_at = now()"
	" FROM tenants t WHERE t.tenant_id = k.tenant_id"
	" AND k.key_hash = $1 AND k.revoked_at IS NULL"
	" RETURNING k.api_key_id, k.tenant_id, k.name, k.name, k.role,"
	" false, 'zh-CN', false, t.code, t.name, t.status,"
	" coalesce(k.rate_limit_per_s, 0), coalesce(k.burst, 0),"
	" coalesce(k.agent_id::text, '')";


static void entry_destructor(void *arg)
{
	struct entry *e = arg;

	hash_unlink(&e->he);
	cache.n--;
}


static bool key_cmp(struct le *le, void *arg)
{
	const struct entry *e = le->data;

	return !strcmp(e->key, arg);
}


static struct entry *find(const char *key)
{
	struct le *le;

	if (!cache.ht)
		return NULL;

	le = hash_lookup(cache.ht, hash_joaat_str(key), key_cmp,
			 (void *)key);

	return le ? le->data : NULL;
}


static void put(const char *key, const struct ident *id)
{
	struct entry *e;

	if (cache.n >= MAX_ENTRIES)
		ident_flush();

	if (!cache.ht && hash_alloc(&cache.ht, 4096))
		return;

	e = find(key);
	if (!e) {
		e = mem_zalloc(sizeof(*e), entry_destructor);
		if (!e)
			return;
		str_ncpy(e->key, key, sizeof(e->key));
		hash_append(cache.ht, hash_joaat_str(key), &e->he, e);
		cache.n++;
	}

	e->id = *id;
	e->fetched = tmr_jiffies();
}


static void copy_row(struct ident *id, const struct db_res *res,
		     enum principal_kind kind)
{
	memset(id, 0, sizeof(*id));
	id->p.kind = kind;
	str_ncpy(id->p.id, db_val(res, 0, 0, 0), sizeof(id->p.id));
	str_ncpy(id->p.tenant_id, db_val(res, 0, 0, 1),
		 sizeof(id->p.tenant_id));
	str_ncpy(id->p.name, db_val(res, 0, 0, 2), sizeof(id->p.name));
	str_ncpy(id->display_name, db_val(res, 0, 0, 3),
		 sizeof(id->display_name));
	id->p.role = role_parse(db_val(res, 0, 0, 4));
	id->disabled = !strcmp(db_val(res, 0, 0, 5), "t");
	str_ncpy(id->locale, db_val(res, 0, 0, 6), sizeof(id->locale));
	id->gone = !strcmp(db_val(res, 0, 0, 7), "t");
	str_ncpy(id->tenant_code, db_val(res, 0, 0, 8),
		 sizeof(id->tenant_code));
	str_ncpy(id->tenant_name, db_val(res, 0, 0, 9),
		 sizeof(id->tenant_name));
	id->tenant_suspended = !strcmp(db_val(res, 0, 0, 10), "suspended");
	if (kind == PRINCIPAL_API_KEY) {
		id->p.rate_per_s = (uint32_t)strtoul(db_val(res, 0, 0, 11),
						     NULL, 10);
		id->p.rate_burst = (uint32_t)strtoul(db_val(res, 0, 0, 12),
						     NULL, 10);
		str_ncpy(id->p.agent_id, db_val(res, 0, 0, 13),
			 sizeof(id->p.agent_id));
	}
}


static void lookup_done(int err, const struct db_res *res, void *arg)
{
	struct lookup *lk = arg;
	struct ident id;

	if (err) {
		/* a malformed id is simply nobody */
		lk->h(err == EINVAL ? ENOENT : err, NULL, lk->arg);
		goto out;
	}

	if (db_nrows(res, 0) != 1) {
		lk->h(ENOENT, NULL, lk->arg);
		goto out;
	}

	copy_row(&id, res, lk->kind);
	put(lk->key, &id);
	lk->h(0, &id, lk->arg);

 out:
	mem_deref(lk);
}


/**
 * Find the current state of a user, operator or API key.
 *
 * @param key  user_id / operator_id, or the API key's SHA-256 hex
 * @param h    called once with 0, ENOENT (no such principal) or a db error
 */
void ident_lookup(struct app *app, enum principal_kind kind,
		  const char *key, ident_h *h, void *arg)
{
	static const struct db_ctx op = {DB_OPERATOR, NULL};
	const char *sql = kind == PRINCIPAL_USER ? sql_user :
		kind == PRINCIPAL_OPERATOR ? sql_operator : sql_key;
	struct lookup *lk;
	struct entry *e;
	char k[80];
	int err;

	(void)re_snprintf(k, sizeof(k), "%c:%s", "nuok"[kind], key);
	e = find(k);
	if (e && tmr_jiffies() - e->fetched < TTL_MS) {
		h(0, &e->id, arg);
		return;
	}

	lk = mem_zalloc(sizeof(*lk), NULL);
	if (!lk) {
		h(ENOMEM, NULL, arg);
		return;
	}

	lk->app = app;
	lk->kind = kind;
	lk->h = h;
	lk->arg = arg;
	str_ncpy(lk->key, k, sizeof(lk->key));

	err = db_query(app->db, &op, lookup_done, lk, sql, 1, &key);
	if (err) {
		mem_deref(lk);
		h(err, NULL, arg);
	}
}


static bool forget_id(struct le *le, void *arg)
{
	struct entry *e = le->data;

	if (!strcmp(e->id.p.id, arg))
		mem_deref(e);

	return false;
}


static bool forget_tenant(struct le *le, void *arg)
{
	struct entry *e = le->data;

	if (!strcmp(e->id.p.tenant_id, arg))
		mem_deref(e);

	return false;
}


/** Forget a user, operator or API key by its id (after a change). */
void ident_forget(const char *id)
{
	if (cache.ht)
		(void)hash_apply(cache.ht, forget_id, (void *)id);
}


static void notified(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)arg;

	if (payload && payload[0])
		ident_forget(payload);
	else
		ident_flush();
}


/**
 * Forget, on every node, what was cached of a user or API key changed
 * in tx (a revoked key must fail at once everywhere, not after TTL_MS).
 * The NOTIFY is sent at commit; this node also forgets it then.
 *
 * @return 0 if success, otherwise errorcode
 */
int ident_forget_all_nodes(struct db_txn *tx, const char *id)
{
	return db_txn_add(tx, "SELECT pg_notify('" IDENT_CHANNEL "', $1)",
			  1, &id);
}


/** LISTEN for other nodes' changes. */
int ident_listen(struct app *app)
{
	return db_listen(app->db, IDENT_CHANNEL, notified, NULL);
}


/** Forget everyone of a tenant (after the tenant changed). */
void ident_forget_tenant(const char *tenant_id)
{
	if (cache.ht)
		(void)hash_apply(cache.ht, forget_tenant, (void *)tenant_id);
}


void ident_flush(void)
{
	if (!cache.ht)
		return;

	hash_flush(cache.ht);
	cache.ht = mem_deref(cache.ht);
}
