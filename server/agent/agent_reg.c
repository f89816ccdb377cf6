/* Agent phones: who a sip_user is, registrations kept, reachability. */
#include <stdlib.h>
#include <string.h>
#include <re.h>
#define LOG_MODULE "agent"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "media/sipedge.h"
#include "media/registrar.h"
#include "telephony/telephony.h"
#include "call/call_int.h"
#include "agent/agent_reg.h"
#include "agent/agent_reg_int.h"

/*
 * The agents are a snapshot loaded at start and reloaded on NOTIFY
 * AGENT_REG_CHANNEL, on a slow timer (a lost NOTIFY), and soon after an
 * unknown user presented credentials (an agent created a moment ago).
 * The registrar lives in media/ and knows users only: every binding's
 * user is an agent's sip_user here. Registrations are written through
 * to sip_registrations one statement at a time, in order.
 */

enum {
	START_MS = 20,            /* waiting for the pool's first connection */
	RETRY_MS = 1000,
	REFRESH_MS = 60000,
	MISS_RELOAD_MS = 2000,    /* at most one reload per this for misses */
	QUALIFY_TIMEOUT_MS = 5000,
};

static struct {
	struct app *app;             /**< (borrowed) NULL when closed   */
	struct registrar *reg;       /**< (ref)                         */
	struct agent_snap *snap;     /**< (ref)                         */
	struct tmr tmr;
	agent_reg_h *h;
	void *arg;
	uint64_t last_miss_reload;
	bool loaded;
	bool loading;
	bool again;
	bool restored;
} ar;

static const char sql_agents[] =
	"SELECT agent_id::text, tenant_id::text, sip_user, sip_secret"
	" FROM agents WHERE device = 'sip' AND sip_user IS NOT NULL";

static const char sql_expired[] =
	"DELETE FROM sip_registrations WHERE expires_at <= now()";

static const char sql_regs[] =
	"SELECT agent_id::text, contact, source, user_agent,"
	" floor(extract(epoch FROM expires_at))::bigint"
	" FROM sip_registrations WHERE expires_at > now()";


static void timer_start(uint64_t ms);


static void notify(const struct agent_ent *a, bool reachable,
		   const char *why)
{
	log_info("agent %s of tenant %s: phone %s", a->agent_id,
		 a->tenant_id, why);

	if (ar.h)
		ar.h(a->tenant_id, a->agent_id, reachable, why, ar.arg);
}


static void miss_reload(void)
{
	uint64_t now = tmr_jiffies(), due, left;

	if (!ar.app)
		return;

	if (ar.loading) {
		ar.again = true;
		return;
	}

	due = ar.last_miss_reload + MISS_RELOAD_MS;
	left = tmr_get_expire(&ar.tmr);
	if (!ar.last_miss_reload || now >= due) {
		ar.last_miss_reload = now;
		(void)agent_reg_reload();
	}
	else if (!left || left > due - now) {
		ar.last_miss_reload = due;
		timer_start(due - now);
	}
}


static int secret_handler(const char *user, const struct sa *src,
			  char *secret, size_t sz, void *arg)
{
	const struct agent_ent *a;
	(void)arg;

	if (tel_banned(src))
		return EPERM;

	/* not before the first load: a phone told "unknown" at start
	   would count toward a ban of its own address */
	if (!ar.loaded)
		return EAGAIN;

	a = agent_snap_by_user(ar.snap, user);
	if (!a)
		return ENOENT;

	str_ncpy(secret, a->secret, sz);

	return 0;
}


static void answer_handler(uint16_t scode, const char *why,
			   const char *user, const struct sa *src, void *arg)
{
	(void)arg;

	agent_reg_count(scode);

	if (!strcmp(why, "bad_credentials") ||
	    !strcmp(why, "unknown_user")) {
		tel_auth_failed(src);
		log_info("REGISTER for \"%s\" from %J refused: %s", user, src,
			 why);
	}

	/* an agent added a moment ago: look again, at most once per
	   MISS_RELOAD_MS however many guesses a source makes */
	if (!strcmp(why, "unknown_user"))
		miss_reload();
}


/*
 * OPTIONS deadlines that passed while the loop ran late are not taken as
 * phones gone (their answers may have waited in a socket): said once
 * when it starts and once when the loop keeps time again.
 */
static void late_handler(bool over, uint32_t late_ms, unsigned skipped,
			 void *arg)
{
	(void)arg;

	if (over)
		log_info("qualify: loop on time again; %u deadlines skipped, "
			 "late up to %u ms", skipped, late_ms);
	else
		log_warn("qualify skipped: loop late %u ms", late_ms);
}


static void event_handler(enum registrar_ev ev,
			  const struct registrar_info *info, void *arg)
{
	const struct agent_ent *a = agent_snap_by_user(ar.snap, info->user);
	(void)arg;

	if (!a)
		return;

	switch (ev) {

	case REGISTRAR_REGISTERED:
		agent_reg_store(a->agent_id, info);
		notify(a, true, "registered");
		break;

	case REGISTRAR_REFRESHED:
		agent_reg_store(a->agent_id, info);
		break;

	case REGISTRAR_REACHABLE:
		agent_reg_store(a->agent_id, info);
		notify(a, true, "reachable");
		break;

	case REGISTRAR_UNREACHABLE:
		notify(a, false, "unreachable");
		break;

	case REGISTRAR_UNREGISTERED:
		agent_reg_store(a->agent_id, NULL);
		notify(a, false, "unregistered");
		break;

	case REGISTRAR_EXPIRED:
		agent_reg_store(a->agent_id, NULL);
		notify(a, false, "expired");
		break;

	case REGISTRAR_RESTORED:
		notify(a, true, "restored");
		break;
	}
}


/* Bindings of users the new snapshot no longer has are dropped. */
static void drop_removed(const struct agent_snap *old,
			 const struct agent_snap *snap)
{
	struct agent_ent *v[64];
	unsigned i, n, from = 0;

	do {
		n = agent_snap_list(old, from, v, ARRAY_SIZE(v));
		for (i = 0; i < n; i++) {
			const struct agent_ent *now;

			now = agent_snap_by_user(snap, v[i]->sip_user);
			if (now && !strcmp(now->agent_id, v[i]->agent_id))
				continue;
			if (registrar_remove(ar.reg, v[i]->sip_user))
				continue;
			agent_reg_store(v[i]->agent_id, NULL);
			notify(v[i], false, "removed");
		}
		from += n;
	} while (n == ARRAY_SIZE(v));
}


static void restore(const struct db_res *res)
{
	unsigned i, n = 0;

	for (i = 0; i < db_nrows(res, 1); i++) {
		const struct agent_ent *a;
		const char *exp = db_val(res, 1, i, 4);
		int err;

		a = agent_snap_by_agent(ar.snap, db_val(res, 1, i, 0));
		if (!a) {
			/* no longer a SIP phone's agent: forget the row */
			agent_reg_store(db_val(res, 1, i, 0), NULL);
			continue;
		}
		if (!exp)
			continue;

		err = registrar_restore(ar.reg, a->sip_user,
					db_val(res, 1, i, 1),
					db_val(res, 1, i, 2),
					db_val(res, 1, i, 3),
					strtoull(exp, NULL, 10));
		if (err)
			log_warn("agent %s: registration not restored: %m",
				 a->agent_id, err);
		else
			++n;
	}

	log_info("agent phones: %u registrations restored, %llu expired "
		 "while stopped", n, db_affected(res, 2));
}


static void loaded(int err, const struct db_res *res, void *arg)
{
	struct agent_snap *snap = NULL, *old;
	(void)arg;

	if (!ar.app)
		return;

	ar.loading = false;
	err = err ? err : agent_snap_build(&snap, res);
	if (err == ECANCELED || ar.app->stopping) {
		mem_deref(snap);
		return;
	}
	if (err) {
		log_warn("agent phones not loaded (%m); retrying", err);
		timer_start(RETRY_MS);
		return;
	}

	old = ar.snap;
	ar.snap = snap;
	ar.loaded = true;
	if (old)
		drop_removed(old, snap);
	mem_deref(old);
	log_info("agent phones loaded: %u agents", agent_snap_count(snap));

	if (!ar.restored && db_res_stmts(res) > 1) {
		ar.restored = true;
		restore(res);
	}

	if (ar.again) {
		ar.again = false;
		(void)agent_reg_reload();
		return;
	}

	timer_start(REFRESH_MS);
}


/**
 * Load the agents again and swap them in when they arrive; the first
 * load also restores the saved registrations.
 *
 * @return 0 if a load is running or queued, otherwise errorcode
 */
int agent_reg_reload(void)
{
	static const struct db_ctx ctx = {DB_OPERATOR, NULL};
	struct db_txn *tx = NULL;
	int err;

	if (!ar.app || !ar.app->db || ar.app->stopping)
		return ENOENT;

	if (ar.loading) {
		ar.again = true;
		return 0;
	}

	if (!db_ready(ar.app->db)) {
		timer_start(ar.loaded ? RETRY_MS : START_MS);
		return 0;
	}

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, sql_agents, 0, NULL);
	if (!err && !ar.restored) {
		err = db_txn_add(tx, sql_regs, 0, NULL);
		err = err ? err : db_txn_add(tx, sql_expired, 0, NULL);
	}
	if (!err) {
		err = db_txn_exec(ar.app->db, tx, loaded, NULL);
		tx = NULL;      /* db_txn_exec owns it in every case */
	}
	if (err) {
		mem_deref(tx);
		timer_start(RETRY_MS);
		return err;
	}

	ar.loading = true;
	tmr_cancel(&ar.tmr);

	return 0;
}


static void timeout(void *arg)
{
	(void)arg;
	(void)agent_reg_reload();
}


static void timer_start(uint64_t ms)
{
	if (ar.app && !ar.app->stopping)
		tmr_start(&ar.tmr, ms, timeout, NULL);
}


static void notified(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)payload;
	(void)arg;

	(void)agent_reg_reload();
}


static int registrar_start(struct app *app)
{
	const struct cfg *c = &app->cfg;
	struct registrar_handlers h;
	struct registrar_cfg rc;

	memset(&rc, 0, sizeof(rc));
	rc.realm = c->sip_realm[0] ? c->sip_realm : "openseat";
	rc.min_expires = c->sip_reg_min_expires;
	rc.max_expires = c->sip_reg_max_expires < c->sip_reg_min_expires ?
		c->sip_reg_min_expires : c->sip_reg_max_expires;
	rc.qualify_ms = c->sip_qualify_interval * 1000;
	rc.qualify_timeout_ms = rc.qualify_ms && rc.qualify_ms <
		QUALIFY_TIMEOUT_MS ? rc.qualify_ms : QUALIFY_TIMEOUT_MS;

	memset(&h, 0, sizeof(h));
	h.secreth = secret_handler;
	h.eventh = event_handler;
	h.answerh = answer_handler;
	h.lateh = late_handler;

	return registrar_alloc(&ar.reg, call_sip_edge(), &rc, &h);
}


/**
 * Answer REGISTER from agent phones: load the agents, restore saved
 * registrations, LISTEN for changes. Call after call_init().
 *
 * @return 0 if success, otherwise errorcode
 */
int agent_reg_init(struct app *app)
{
	int err;

	if (!app || !call_sip_edge())
		return EINVAL;

	tmr_init(&ar.tmr);
	ar.app = app;
	ar.loaded = ar.loading = ar.again = ar.restored = false;
	ar.last_miss_reload = 0;

	err = agent_snap_build(&ar.snap, NULL);
	err = err ? err : agent_reg_store_init(app->db);
	err = err ? err : registrar_start(app);
	if (!err && app->db)
		err = db_listen(app->db, AGENT_REG_CHANNEL, notified, NULL);
	if (err) {
		log_error("agent phones: %m", err);
		agent_reg_close();
		return err;
	}

	agent_reg_metrics_init(ar.reg);
	if (app->db)
		(void)agent_reg_reload();

	return 0;
}


/** Stop answering REGISTER (405 again) and free the agents. */
void agent_reg_close(void)
{
	tmr_cancel(&ar.tmr);
	ar.app = NULL;
	ar.reg = mem_deref(ar.reg);
	ar.snap = mem_deref(ar.snap);
	ar.h = NULL;
	ar.arg = NULL;
	agent_reg_store_close();
	agent_reg_metrics_init(NULL);
}


/** The one handler told of every change of reachability. */
void agent_reg_set_handler(agent_reg_h *h, void *arg)
{
	ar.h = h;
	ar.arg = h ? arg : NULL;
}


static int find(const char *agent_id, struct registrar_info *info)
{
	const struct agent_ent *a;

	if (!agent_id)
		return EINVAL;

	a = agent_snap_by_agent(ar.snap, agent_id);
	if (!a)
		return ENOENT;

	return registrar_find(ar.reg, a->sip_user, info);
}


/**
 * Fill d for an INVITE to the agent's phone: d->uri is the registered
 * Contact; d->proxy the address the REGISTER came from when the phone
 * is behind NAT, else NULL. Other fields of d are left as they are.
 *
 * @param buf  room for the strings d points to (1 KB is enough)
 *
 * @return 0 if success, ENOENT if not registered, EHOSTUNREACH if
 * registered but not answering OPTIONS, EOVERFLOW if buf is too small
 */
int agent_reg_dial(const char *agent_id, struct sipcall_dial *d,
		   char *buf, size_t sz)
{
	struct registrar_info info;
	size_t lc, ls;
	int err;

	if (!d || !buf)
		return EINVAL;

	err = find(agent_id, &info);
	if (err)
		return err;

	if (!info.reachable)
		return EHOSTUNREACH;

	lc = strlen(info.contact) + 1;
	ls = info.nat ? strlen(info.source) + 1 : 0;
	if (lc + ls > sz)
		return EOVERFLOW;

	memcpy(buf, info.contact, lc);
	d->uri = buf;
	d->proxy = NULL;
	if (info.nat) {
		memcpy(buf + lc, info.source, ls);
		d->proxy = buf + lc;
	}

	return 0;
}


/** True when the agent's phone is registered and answers OPTIONS. */
bool agent_reg_reachable(const char *agent_id)
{
	struct registrar_info info;

	return !find(agent_id, &info) && info.reachable;
}


/**
 * The agent's registration, for the admin API.
 *
 * @return 0 if success, ENOENT if the phone is not registered
 */
int agent_reg_info(const char *agent_id, struct agent_reg_info *info)
{
	struct registrar_info ri;
	int err;

	if (!info)
		return EINVAL;

	err = find(agent_id, &ri);
	if (err)
		return err;

	memset(info, 0, sizeof(*info));
	str_ncpy(info->contact, ri.contact, sizeof(info->contact));
	str_ncpy(info->source, ri.source, sizeof(info->source));
	str_ncpy(info->user_agent, ri.user_agent, sizeof(info->user_agent));
	info->expires_at = ri.expires;
	info->reachable = ri.reachable;
	info->nat = ri.nat;

	return 0;
}
