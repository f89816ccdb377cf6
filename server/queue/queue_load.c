/* Every tenant's queues and agents, loaded into the routing core and
 * reloaded on NOTIFY openseat_acd. */
#include <stdlib.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include <re_tmr.h>
#define LOG_MODULE "queue"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "acdcfg/acdcfg.h"
#include "queue/queue_int.h"
#include "agent/softphone.h"

/*
 * A reload reads everything (a node holds a few thousand agents at
 * most) and applies it in place: queues and agents that still exist keep
 * their core objects, so waiting calls keep their places and agents
 * their states; what is gone leaves the core. The first load also
 * restores each agent's last logged state, so a restart logs nobody
 * out.
 */
/* Tenant changes (seat quota) are announced to the telephony cache. */
#define TENANT_CHANNEL "openseat_telephony"
#define START_MS    20     /* waiting for the pool's first connection */
#define RETRY_MS    2000
#define REFRESH_MS  60000
#define SKILLS_MAX  32

enum { ST_TENANTS = 0, ST_QUEUES, ST_AGENTS, ST_STATES };

static const char sql_tenants[] =
	"SELECT tenant_id, seat_quota FROM tenants";

static const char sql_queues[] =
	"SELECT q.queue_id, q.tenant_id, q.name, q.label, q.strategy,"
	" q.priority, q.ring_timeout_s, q.wrapup_s, q.max_wait_s,"
	" q.max_length, q.overflow_action, q.overflow_target,"
	" COALESCE(q.overflow_prompt, ''), q.join_empty, q.leave_empty,"
	" q.sl_threshold_s, COALESCE(q.hold_music, ''),"
	" q.announce_every_s, q.announce_position, q.announce_wait,"
	" q.announce_work_no, q.survey, q.sticky_days, q.sticky_wait_s,"
	" q.miss_limit, q.routes::text,"
	" COALESCE((SELECT string_agg(s.skill_id::text, ',')"
	"  FROM queue_skills s WHERE s.queue_id = q.queue_id), ''),"
	" COALESCE(q.recording, '')"
	" FROM queues q";

static const char sql_agents[] =
	"SELECT a.agent_id, a.tenant_id, a.work_no, a.device, a.phone,"
	" COALESCE(NULLIF(u.display_name, ''), u.username),"
	" COALESCE((SELECT string_agg(s.skill_id::text || ':' ||"
	"  s.level::text, ',') FROM agent_skills s"
	"  WHERE s.agent_id = a.agent_id), '')"
	" FROM agents a JOIN users u ON u.user_id = a.agent_id"
	" WHERE u.deleted_at IS NULL AND NOT u.disabled";

static const char sql_states[] =
	"SELECT DISTINCT ON (agent_id) agent_id::text, state, reason"
	" FROM agent_state_log ORDER BY agent_id, at DESC, log_id DESC";

/* The core copies nothing it is given for a queue's skills or an
 * agent's: both keep their strings here, alive as long as they are. */
struct skillset {
	char *text;
	const char *idv[SKILLS_MAX];
	struct acd_skill skv[SKILLS_MAX];
	size_t n;
};

struct qqueue_x {
	struct qqueue q;
	struct skillset sk;
};

struct qagent_x {
	struct qagent a;
	struct skillset sk;
};


static void timer_start(uint64_t ms);


static const char *val(const struct db_res *res, unsigned st, unsigned row,
		       unsigned col)
{
	const char *v = db_val(res, st, row, col);

	return v ? v : "";
}


static uint32_t num(const struct db_res *res, unsigned st, unsigned row,
		    unsigned col)
{
	return (uint32_t)strtoul(val(res, st, row, col), NULL, 10);
}


static bool flag(const struct db_res *res, unsigned st, unsigned row,
		 unsigned col)
{
	return val(res, st, row, col)[0] == 't';
}


/* "id,id" or "id:level,id:level" into the set (replacing it). */
static int skills_parse(struct skillset *sk, const char *text)
{
	char *p, *save = NULL, *tok;

	sk->text = mem_deref(sk->text);
	sk->n = 0;
	if (str_dup(&sk->text, text))
		return ENOMEM;

	for (p = sk->text; (tok = strtok_r(p, ",", &save)); p = NULL) {
		char *colon = strchr(tok, ':');
		unsigned level = 1;

		if (sk->n == SKILLS_MAX)
			break;
		if (colon) {
			*colon = '\0';
			level = (unsigned)atoi(colon + 1);
		}
		sk->idv[sk->n] = tok;
		sk->skv[sk->n].skill_id = tok;
		sk->skv[sk->n].level = level;
		++sk->n;
	}

	return 0;
}


static void tenants_apply(const struct db_res *res)
{
	unsigned i, n = db_nrows(res, ST_TENANTS);

	for (i = 0; i < n; i++) {
		const char *id = val(res, ST_TENANTS, i, 0);
		struct qtenant *t = qtenant_find(id);

		if (!t) {
			t = mem_zalloc(sizeof(*t), NULL);
			if (!t)
				continue;
			str_ncpy(t->tenant_id, id, sizeof(t->tenant_id));
			list_append(&rt.tenants, &t->le, t);
		}
		t->seat_quota = num(res, ST_TENANTS, i, 1);
	}
}


static void qqueue_destructor(void *arg)
{
	struct qqueue_x *x = arg;

	hash_unlink(&x->q.le);
	mem_deref(x->sk.text);
}


static enum acd_join_empty join_empty(const char *s)
{
	if (!strcmp(s, "always"))
		return ACD_JOIN_ALWAYS;

	return !strcmp(s, "ready") ? ACD_JOIN_READY : ACD_JOIN_LOGGED_IN;
}


static void info_fill(struct queue_info *in, const struct db_res *res,
		      unsigned r)
{
	const unsigned s = ST_QUEUES;

	str_ncpy(in->queue_id, val(res, s, r, 0), sizeof(in->queue_id));
	str_ncpy(in->tenant_id, val(res, s, r, 1), sizeof(in->tenant_id));
	str_ncpy(in->name, val(res, s, r, 2), sizeof(in->name));
	str_ncpy(in->label, val(res, s, r, 3), sizeof(in->label));
	str_ncpy(in->overflow_action, val(res, s, r, 10),
		 sizeof(in->overflow_action));
	str_ncpy(in->overflow_target, val(res, s, r, 11),
		 sizeof(in->overflow_target));
	str_ncpy(in->overflow_prompt, val(res, s, r, 12),
		 sizeof(in->overflow_prompt));
	in->sl_threshold_s = num(res, s, r, 15);
	in->ring_timeout_s = num(res, s, r, 6);
	str_ncpy(in->hold_music, val(res, s, r, 16), sizeof(in->hold_music));
	in->announce_every_s = num(res, s, r, 17);
	in->announce_position = flag(res, s, r, 18);
	in->announce_wait = flag(res, s, r, 19);
	in->announce_work_no = flag(res, s, r, 20);
	in->survey = flag(res, s, r, 21);
	in->sticky_days = num(res, s, r, 22);
	str_ncpy(in->routes, val(res, s, r, 25), sizeof(in->routes));
	str_ncpy(in->recording, val(res, s, r, 27), sizeof(in->recording));
}


static void queue_apply(const struct db_res *res, unsigned r)
{
	const unsigned s = ST_QUEUES;
	const char *id = val(res, s, r, 0);
	struct qqueue_x *x = (struct qqueue_x *)qqueue_find(id);
	struct acd_queue_cfg cfg;
	int err;

	if (!x) {
		x = mem_zalloc(sizeof(*x), qqueue_destructor);
		if (!x)
			return;
		hash_append(rt.queues, hash_joaat_str(id), &x->q.le, x);
	}

	info_fill(&x->q.info, res, r);
	if (skills_parse(&x->sk, val(res, s, r, 26)))
		return;

	memset(&cfg, 0, sizeof(cfg));
	cfg.strategy = acd_strategy_find(val(res, s, r, 4));
	if (!cfg.strategy)
		cfg.strategy = acd_strategy_find("longest_idle");
	cfg.priority = (int)num(res, s, r, 5);
	cfg.ring_timeout_ms = num(res, s, r, 6) * 1000;
	cfg.wrapup_ms = num(res, s, r, 7) * 1000;
	cfg.max_wait_ms = num(res, s, r, 8) * 1000;
	cfg.max_length = num(res, s, r, 9);
	cfg.join_empty = join_empty(val(res, s, r, 13));
	cfg.leave_empty = flag(res, s, r, 14);
	cfg.sticky_wait_ms = num(res, s, r, 23) * 1000;
	cfg.miss_limit = num(res, s, r, 24);
	cfg.skillv = x->sk.idv;
	cfg.skillc = x->sk.n;

	err = acd_queue_set(rt.acd, x->q.info.tenant_id, id, &cfg,
			    queue_now());
	if (err)
		log_warn("queue %s not loaded: %m", id, err);
	x->q.seen = true;
}


static void qagent_destructor(void *arg)
{
	struct qagent_x *x = arg;

	hash_unlink(&x->a.le);
	mem_deref(x->sk.text);
}


static bool device_reachable(const struct qagent *qa)
{
	if (!strcmp(qa->device, "pstn"))
		return qa->phone[0] != '\0';
	if (!strcmp(qa->device, "webrtc"))
		return softphone_online(qa->agent_id);

	return queue_device_probe(qa->agent_id);
}


static void agent_apply(const struct db_res *res, unsigned r)
{
	const unsigned s = ST_AGENTS;
	const char *id = val(res, s, r, 0);
	struct qagent_x *x = (struct qagent_x *)qagent_find(id);
	struct qagent *qa;

	if (!x) {
		x = mem_zalloc(sizeof(*x), qagent_destructor);
		if (!x)
			return;
		qa = &x->a;
		str_ncpy(qa->agent_id, id, sizeof(qa->agent_id));
		str_ncpy(qa->tenant_id, val(res, s, r, 1),
			 sizeof(qa->tenant_id));
		if (acd_agent_add(rt.acd, &qa->a, qa->tenant_id, id,
				  num(res, s, r, 2), qa)) {
			mem_deref(x);
			return;
		}
		hash_append(rt.agents, hash_joaat_str(id), &qa->le, x);
	}

	qa = &x->a;
	str_ncpy(qa->work_no, val(res, s, r, 2), sizeof(qa->work_no));
	str_ncpy(qa->device, val(res, s, r, 3), sizeof(qa->device));
	str_ncpy(qa->phone, val(res, s, r, 4), sizeof(qa->phone));
	str_ncpy(qa->name, val(res, s, r, 5), sizeof(qa->name));
	qa->reachable = device_reachable(qa);
	qa->seen = true;

	if (!skills_parse(&x->sk, val(res, s, r, 6)))
		(void)acd_agent_set_skills(qa->a, x->sk.skv, x->sk.n,
					   queue_now());
}


static bool unseen_queue(struct le *le, void *arg)
{
	struct qqueue *qq = le->data;

	(void)arg;
	if (qq->seen) {
		qq->seen = false;
		return false;
	}

	acd_queue_remove(rt.acd, qq->info.queue_id, queue_now());
	mem_deref(qq);

	return false;
}


static bool unseen_agent(struct le *le, void *arg)
{
	struct qagent *qa = le->data;

	(void)arg;
	if (qa->seen) {
		qa->seen = false;
		return false;
	}

	(void)queue_agent_remove(qa);

	return false;
}


static void apply(const struct db_res *res)
{
	unsigned i;

	tenants_apply(res);
	for (i = 0; i < db_nrows(res, ST_QUEUES); i++)
		queue_apply(res, i);
	for (i = 0; i < db_nrows(res, ST_AGENTS); i++)
		agent_apply(res, i);

	(void)hash_apply(rt.agents, unseen_agent, NULL);
	(void)hash_apply(rt.queues, unseen_queue, NULL);

	if (!rt.restored && db_res_stmts(res) > ST_STATES) {
		queue_agent_restore(res, ST_STATES);
		rt.restored = true;
	}

	queue_schedule();
}


static void loaded(int err, const struct db_res *res, void *arg)
{
	(void)arg;

	rt.loading = false;
	if (err == ECANCELED || !rt.app || rt.app->stopping)
		return;

	if (err) {
		log_warn("queues and agents not loaded (%m); retrying", err);
		timer_start(RETRY_MS);
		return;
	}

	apply(res);
	if (!rt.loaded || rt.notified)
		log_info("ACD loaded: %u queues, %u agents",
			 db_nrows(res, ST_QUEUES), db_nrows(res, ST_AGENTS));
	rt.notified = false;
	if (!rt.loaded)
		queue_live_loaded();   /* today's counts so far */
	rt.loaded = true;
	queue_live_mark();

	if (rt.again) {
		rt.again = false;
		(void)queue_reload();
		return;
	}

	timer_start(REFRESH_MS);
}


/**
 * Load queues and agents again and apply them when they arrive.
 *
 * @return 0 if a load is running or queued, otherwise errorcode
 */
int queue_reload(void)
{
	static const struct db_ctx ctx = {DB_OPERATOR, NULL};
	struct db_txn *tx = NULL;
	int err;

	if (!rt.app || !rt.app->db || rt.app->stopping)
		return ENOENT;

	if (rt.loading) {
		rt.again = true;
		return 0;
	}

	if (!db_ready(rt.app->db)) {
		timer_start(rt.loaded ? RETRY_MS : START_MS);
		return 0;
	}

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : db_txn_add(tx, sql_tenants, 0, NULL);
	err = err ? err : db_txn_add(tx, sql_queues, 0, NULL);
	err = err ? err : db_txn_add(tx, sql_agents, 0, NULL);
	if (!err && !rt.restored)
		err = db_txn_add(tx, sql_states, 0, NULL);
	if (err)
		mem_deref(tx);
	else
		err = db_txn_exec(rt.app->db, tx, loaded, NULL); /* takes tx */
	if (err) {
		timer_start(RETRY_MS);
		return err;
	}

	rt.loading = true;
	tmr_cancel(&rt.reload_tmr);

	return 0;
}


static void timeout(void *arg)
{
	(void)arg;
	(void)queue_reload();
}


static void timer_start(uint64_t ms)
{
	if (rt.app && !rt.app->stopping)
		tmr_start(&rt.reload_tmr, ms, timeout, NULL);
}


static void notified(const char *channel, const char *payload, void *arg)
{
	(void)channel;
	(void)payload;
	(void)arg;

	rt.notified = true;     /* a change: say when it is applied */
	(void)queue_reload();
}


int queue_load_start(void)
{
	int err = db_listen(rt.app->db, ACD_CHANNEL, notified, NULL);

	err = err ? err : db_listen(rt.app->db, TENANT_CHANNEL, notified,
				    NULL);
	if (err)
		return err;

	return queue_reload();
}
