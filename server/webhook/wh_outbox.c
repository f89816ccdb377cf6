/* Writing deliveries to the outbox: with a change, or from the bus. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#define LOG_MODULE "webhook"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "event/event.h"
#include "webhook/webhook.h"
#include "webhook/wh_int.h"

/*
 * An event whose change is written by a statement or transaction gets
 * its deliveries in that same statement or transaction (webhook_stmt,
 * webhook_txn_add): committed together, or not at all. Any other event
 * reaches the bus sink below, which writes them right after.
 *
 * Either way only for a tenant that has an enabled endpoint for the
 * type, known from a cache of every tenant's patterns: a tenant without
 * webhooks costs one hash lookup. The cache is loaded at start and per
 * tenant when its endpoints change (on this node directly, on others by
 * NOTIFY); until a load has answered, a tenant counts as interested
 * (the SQL function checks again, so that costs a query, never an
 * event).
 */

#define ENQUEUE_SQL "SELECT webhook_enqueue($1::uuid, $2::uuid, $3, $4)"

#define LOAD_SQL \
	"SELECT e.tenant_id::text, string_agg(DISTINCT p, ' ')" \
	" FROM webhook_endpoints e, unnest(e.event_types) p" \
	" WHERE e.enabled AND ($1::uuid IS NULL OR e.tenant_id = $1::uuid)" \
	" GROUP BY e.tenant_id"

struct wh_tenant {
	struct le le;                /**< in cache.ht (owning)          */
	char tenant_id[40];
	char *patterns;              /**< (own) space-separated         */
	unsigned loading;            /**< reloads not answered yet      */
};

static struct {
	struct app *app;             /**< (borrowed)                    */
	struct hash *ht;             /**< (own) struct wh_tenant        */
	bool loaded;                 /**< the first full load answered  */
} cache;


static void tenant_destructor(void *arg)
{
	struct wh_tenant *t = arg;

	list_unlink(&t->le);
	mem_deref(t->patterns);
}


static bool id_cmp(struct le *le, void *arg)
{
	const struct wh_tenant *t = le->data;

	return !strcmp(t->tenant_id, arg);
}


static struct wh_tenant *tenant_find(const char *tenant_id)
{
	struct le *le;

	if (!cache.ht)
		return NULL;

	le = hash_lookup(cache.ht, hash_joaat_str(tenant_id), id_cmp,
			 (void *)tenant_id);
	return le ? le->data : NULL;
}


static struct wh_tenant *tenant_get(const char *tenant_id)
{
	struct wh_tenant *t = tenant_find(tenant_id);

	if (t || !cache.ht)
		return t;

	t = mem_zalloc(sizeof(*t), tenant_destructor);
	if (!t)
		return NULL;

	str_ncpy(t->tenant_id, tenant_id, sizeof(t->tenant_id));
	hash_append(cache.ht, hash_joaat_str(tenant_id), &t->le, t);
	return t;
}


static bool pattern_match(const char *p, size_t n, const char *type)
{
	if (n == 1 && p[0] == '*')
		return true;

	if (n > 2 && p[n - 2] == '.' && p[n - 1] == '*')
		return !strncmp(type, p, n - 1);

	return strlen(type) == n && !strncmp(type, p, n);
}


/**
 * Whether any enabled endpoint of the tenant may want events of this
 * type (true while unsure).
 */
bool webhook_wanted(const char *tenant_id, const char *type)
{
	const struct wh_tenant *t;
	const char *p;

	if (!tenant_id || !tenant_id[0] || !type || !cache.ht)
		return false;

	t = tenant_find(tenant_id);
	if (!t)
		return !cache.loaded;
	if (t->loading)
		return true;

	for (p = t->patterns; p && *p;) {
		size_t n = strcspn(p, " ");

		if (pattern_match(p, n, type))
			return true;
		p += n + (p[n] == ' ');
	}

	return false;
}


static void loaded_h(int err, const struct db_res *res, void *arg)
{
	char *tenant_id = arg;

	if (err) {
		log_warn("webhook endpoints not loaded: %m", err);
		goto out;
	}

	for (unsigned i = 0; i < db_nrows(res, 0); i++) {
		struct wh_tenant *t = tenant_get(db_val(res, 0, i, 0));

		if (!t)
			continue;
		t->patterns = mem_deref(t->patterns);
		(void)str_dup(&t->patterns, db_val(res, 0, i, 1));
	}

	if (!tenant_id)
		cache.loaded = true;

 out:
	if (tenant_id) {
		struct wh_tenant *t = tenant_find(tenant_id);

		/* no row: no enabled endpoint left (still interested on
		   error, until a later load answers) */
		if (t && !err && !db_nrows(res, 0))
			t->patterns = mem_deref(t->patterns);
		if (t && t->loading && !err)
			--t->loading;
	}
	mem_deref(tenant_id);
}


/**
 * Load a tenant's patterns again (its endpoints changed); NULL: all.
 * Until the answer, the tenant counts as interested.
 */
void wh_cache_reload(const char *tenant_id)
{
	struct db_ctx ctx = {DB_OPERATOR, NULL};
	struct wh_tenant *t = NULL;
	char *id = NULL;

	if (!cache.app)
		return;

	if (tenant_id) {
		t = tenant_get(tenant_id);
		if (!t || str_dup(&id, tenant_id))
			return;
		++t->loading;
	}

	if (db_query(cache.app->db, &ctx, loaded_h, id, LOAD_SQL, 1,
		     (const char *[]){id})) {
		mem_deref(id);
		if (t)
			--t->loading;
	}
}


static void params(const char **pv, const struct event *ev)
{
	pv[0] = event_tenant(ev);
	pv[1] = event_id(ev);
	pv[2] = event_type(ev);
	pv[3] = event_json(ev);
}


/**
 * Make the statement that writes a change also write the deliveries of
 * the event announcing it: "WITH w AS (sql) SELECT webhook_enqueue(..)".
 *
 * @param sqlp  The statement to run instead (free it), or NULL when no
 *              endpoint wants the event: run sql as it is
 * @param np    In: the parameters of sql; out: of *sqlp
 * @param pv    Parameters, with room for WEBHOOK_NPARAMS more
 * @param ev    The event, not yet dispatched
 *
 * @return 0 if success, otherwise errorcode
 */
int webhook_stmt(char **sqlp, unsigned *np, const char *sql,
		 const char **pv, struct event *ev)
{
	unsigned n;
	int err;

	if (!sqlp || !np || !sql || !pv)
		return EINVAL;

	*sqlp = NULL;
	if (!ev || !webhook_wanted(event_tenant(ev), event_type(ev)))
		return 0;

	n = *np;
	err = re_sdprintf(sqlp, "WITH w AS (%s) SELECT webhook_enqueue("
			  "$%u::uuid, $%u::uuid, $%u, $%u)", sql, n + 1,
			  n + 2, n + 3, n + 4);
	if (err)
		return err;

	params(pv + n, ev);
	*np = n + WEBHOOK_NPARAMS;
	event_set_outboxed(ev);

	return 0;
}


/**
 * Add the deliveries of ev to a transaction that writes its change
 * (scope: the event's tenant). Dispatch ev after the commit.
 *
 * @return 0 if success, otherwise errorcode
 */
int webhook_txn_add(struct db_txn *tx, struct event *ev)
{
	const char *pv[WEBHOOK_NPARAMS];
	int err;

	if (!tx || !ev)
		return EINVAL;

	if (!webhook_wanted(event_tenant(ev), event_type(ev)))
		return 0;

	params(pv, ev);
	err = db_txn_add(tx, ENQUEUE_SQL, WEBHOOK_NPARAMS, pv);
	if (!err)
		event_set_outboxed(ev);

	return err;
}


static void enqueued(int err, const struct db_res *res, void *arg)
{
	(void)res;
	(void)arg;

	if (err && err != ECANCELED)
		log_warn("webhook deliveries not queued: %m", err);
}


/* Events with no write of their own: queue right after the fact. */
static void sink_h(const struct event *ev, void *arg)
{
	const char *pv[WEBHOOK_NPARAMS];
	struct db_ctx ctx = {DB_TENANT, event_tenant(ev)};
	(void)arg;

	if (event_outboxed(ev) ||
	    !webhook_wanted(event_tenant(ev), event_type(ev)))
		return;

	params(pv, ev);
	(void)db_query(cache.app->db, &ctx, enqueued, NULL, ENQUEUE_SQL,
		       WEBHOOK_NPARAMS, pv);
}


static void cfg_notified(const char *channel, const char *payload,
			 void *arg)
{
	(void)channel;
	(void)arg;

	wh_cache_reload(payload && payload[0] ? payload : NULL);
}


/** Load the cache, follow endpoint changes, subscribe the sink. */
int wh_outbox_init(struct app *app)
{
	int err;

	cache.app = app;
	err = hash_alloc(&cache.ht, 256);
	err = err ? err : event_subscribe(sink_h, NULL);
	err = err ? err : db_listen(app->db, WH_CFG_CHANNEL, cfg_notified,
				    NULL);
	if (err)
		return err;

	wh_cache_reload(NULL);
	return 0;
}


void wh_outbox_close(void)
{
	event_unsubscribe(sink_h, NULL);
	hash_flush(cache.ht);
	cache.ht = mem_deref(cache.ht);
	cache.loaded = false;
	cache.app = NULL;
}
