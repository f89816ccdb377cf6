/* sip_registrations written through, one statement at a time, in order. */
#include <string.h>
#include <re.h>
#define LOG_MODULE "agent"
#include "log/log.h"
#include "db/db.h"
#include "media/registrar.h"
#include "agent/agent_reg_int.h"

/*
 * A phone that registers and unregisters at once must not leave a row
 * behind, so writes run one at a time from one queue (the pool would run
 * two statements on two connections in any order). A write still queued
 * for the same agent is replaced by the newer one: only the last state
 * matters. The write in flight is not referenced by its query (arg is
 * NULL), so closing frees everything at once.
 */

struct write {
	struct le le;
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
	struct write *inflight;    /**< (ref)                       */
} st;

static const char sql_upsert[] =
	"INSERT INTO sip_registrations"
	" (agent_id, contact, source, user_agent, expires_at)"
	" VALUES ($1, $2, $3, $4, to_timestamp($5::bigint))"
	" ON CONFLICT (agent_id) DO UPDATE SET contact = EXCLUDED.contact,"
	" source = EXCLUDED.source, user_agent = EXCLUDED.user_agent,"
	" expires_at = EXCLUDED.expires_at";

static const char sql_delete[] =
	"DELETE FROM sip_registrations WHERE agent_id = $1";


static void write_destructor(void *arg)
{
	struct write *w = arg;

	list_unlink(&w->le);
}


static void next(void);


static void done(int err, const struct db_res *res, void *arg)
{
	(void)res;
	(void)arg;

	if (!st.db)
		return;

	if (err && err != ECANCELED && st.inflight)
		log_warn("agent %s: registration not %s: %m",
			 st.inflight->agent_id,
			 st.inflight->del ? "deleted" : "saved", err);

	st.inflight = mem_deref(st.inflight);
	next();
}


static void next(void)
{
	static const struct db_ctx ctx = {DB_OPERATOR, NULL};
	const char *params[5];
	struct write *w;
	int err;

	while (!st.inflight && st.db && (w = list_ledata(st.q.head))) {
		list_unlink(&w->le);
		params[0] = w->agent_id;
		params[1] = w->contact;
		params[2] = w->source;
		params[3] = w->user_agent;
		params[4] = w->expires;

		err = db_query(st.db, &ctx, done, NULL,
			       w->del ? sql_delete : sql_upsert,
			       w->del ? 1 : 5, params);
		if (err) {
			log_warn("agent %s: registration not written: %m",
				 w->agent_id, err);
			mem_deref(w);
			continue;
		}

		st.inflight = w;
	}
}


static struct write *queued(const char *agent_id)
{
	struct le *le;

	for (le = st.q.head; le; le = le->next) {
		struct write *w = le->data;

		if (!strcmp(w->agent_id, agent_id))
			return w;
	}

	return NULL;
}


/**
 * Save the agent's registration (info) or delete it (info NULL), after
 * every write asked before.
 */
void agent_reg_store(const char *agent_id, const struct registrar_info *info)
{
	struct write *w;

	if (!st.db || !agent_id)
		return;

	w = queued(agent_id);
	if (!w) {
		w = mem_zalloc(sizeof(*w), write_destructor);
		if (!w) {
			log_warn("agent %s: registration not written: %m",
				 agent_id, ENOMEM);
			return;
		}
		str_ncpy(w->agent_id, agent_id, sizeof(w->agent_id));
		list_append(&st.q, &w->le, w);
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


void agent_reg_store_init(struct db *db)
{
	st.db = db;
}


/** Drop queued writes; the one in flight finishes without us. */
void agent_reg_store_close(void)
{
	st.db = NULL;
	list_flush(&st.q);
	st.inflight = mem_deref(st.inflight);
}
