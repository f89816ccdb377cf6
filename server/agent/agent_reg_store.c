/* sip_registrations written through, in order, in batches. */
#include <string.h>
#include <re.h>
#define LOG_MODULE "agent"
#include "log/log.h"
#include "db/db.h"
#include "media/registrar.h"
#include "agent/agent_reg_int.h"

/*
 * A phone that registers and unregisters at once must not leave a row
 * behind, so one transaction runs at a time (the pool would run two on
 * two connections in any order) and takes every write queued meanwhile.
 * A write still queued for the same agent is replaced by the newer one:
 * only the last state matters. The batch in flight is not referenced by
 * its query (arg is NULL), so closing frees everything at once. A row
 * for an agent deleted meanwhile is skipped, not an error that would
 * roll the whole batch back.
 */

enum {
	BATCH_MAX = 256,
};

struct write {
	struct le le;              /**< in st.q or st.inflight      */
	struct le he;              /**< in st.qh while queued       */
	char agent_id[37];
	bool del;
	char contact[REGISTRAR_CONTACT_MAX + 1];
	char source[REGISTRAR_SOURCE_MAX + 1];
	char user_agent[REGISTRAR_UA_MAX + 1];
	char expires[24];
};

static struct {
	struct db *db;             /**< (borrowed) NULL when closed */
	struct list q;             /**< struct write, owning        */
	struct hash *qh;           /**< the same by agent_id        */
	struct list inflight;      /**< struct write, owning        */
} st;

static const char sql_upsert[] =
	"INSERT INTO sip_registrations"
	" (agent_id, contact, source, user_agent, expires_at)"
	" SELECT $1::uuid, $2::text, $3::text, $4::text,"
	" to_timestamp($5::bigint)"
	" WHERE EXISTS (SELECT 1 FROM agents WHERE agent_id = $1::uuid)"
	" ON CONFLICT (agent_id) DO UPDATE SET contact = EXCLUDED.contact,"
	" source = EXCLUDED.source, user_agent = EXCLUDED.user_agent,"
	" expires_at = EXCLUDED.expires_at";

static const char sql_delete[] =
	"DELETE FROM sip_registrations WHERE agent_id = $1";


static void write_destructor(void *arg)
{
	struct write *w = arg;

	list_unlink(&w->le);
	hash_unlink(&w->he);
}


static void next(void);


static void done(int err, const struct db_res *res, void *arg)
{
	(void)res;
	(void)arg;

	if (!st.db)
		return;

	if (err && err != ECANCELED)
		log_warn("%u agent registrations not written: %m",
			 list_count(&st.inflight), err);

	list_flush(&st.inflight);
	next();
}


static int add(struct db_txn *tx, const struct write *w)
{
	const char *params[5];

	params[0] = w->agent_id;
	params[1] = w->contact;
	params[2] = w->source;
	params[3] = w->user_agent;
	params[4] = w->expires;

	return db_txn_add(tx, w->del ? sql_delete : sql_upsert,
			  w->del ? 1 : 5, params);
}


static void next(void)
{
	static const struct db_ctx ctx = {DB_OPERATOR, NULL};
	struct db_txn *tx = NULL;
	struct write *w;
	unsigned n = 0;
	int err;

	if (!st.db || !list_isempty(&st.inflight) || list_isempty(&st.q))
		return;

	err = db_txn_alloc(&tx, &ctx);
	while (!err && n < BATCH_MAX && (w = list_ledata(st.q.head))) {
		list_unlink(&w->le);
		hash_unlink(&w->he);
		list_append(&st.inflight, &w->le, w);
		err = add(tx, w);
		++n;
	}

	if (!err) {
		err = db_txn_exec(st.db, tx, done, NULL);
		tx = NULL;      /* db_txn_exec owns it in every case */
	}
	if (err) {
		log_warn("%u agent registrations not written: %m", n, err);
		mem_deref(tx);
		list_flush(&st.inflight);
	}
}


static bool id_cmp(struct le *le, void *arg)
{
	const struct write *w = le->data;

	return !strcmp(w->agent_id, arg);
}


/**
 * Save the agent's registration (info) or delete it (info NULL), after
 * every write asked before.
 */
void agent_reg_store(const char *agent_id, const struct registrar_info *info)
{
	struct write *w;
	struct le *le;

	if (!st.db || !st.qh || !agent_id)
		return;

	le = hash_lookup(st.qh, hash_joaat_str(agent_id), id_cmp,
			 (void *)agent_id);
	w = le ? le->data : NULL;
	if (!w) {
		w = mem_zalloc(sizeof(*w), write_destructor);
		if (!w) {
			log_warn("agent %s: registration not written: %m",
				 agent_id, ENOMEM);
			return;
		}
		str_ncpy(w->agent_id, agent_id, sizeof(w->agent_id));
		list_append(&st.q, &w->le, w);
		hash_append(st.qh, hash_joaat_str(w->agent_id), &w->he, w);
	}

	w->del = !info;
	if (info) {
		str_ncpy(w->contact, info->contact, sizeof(w->contact));
		str_ncpy(w->source, info->source, sizeof(w->source));
		str_ncpy(w->user_agent, info->user_agent,
			 sizeof(w->user_agent));
		(void)re_snprintf(w->expires, sizeof(w->expires), "%llu",
				  info->expires);
	}

	next();
}


/** Write through db (NULL: nothing is written). */
int agent_reg_store_init(struct db *db)
{
	if (!st.qh) {
		int err = hash_alloc(&st.qh, 1024);

		if (err)
			return err;
	}

	st.db = db;

	return 0;
}


/** Drop queued writes; the batch in flight finishes without us. */
void agent_reg_store_close(void)
{
	st.db = NULL;
	list_flush(&st.q);
	list_flush(&st.inflight);
	st.qh = mem_deref(st.qh);
}
