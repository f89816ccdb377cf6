/* The CDR row and the timeline of a call, written through in order. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "call"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "webhook/webhook.h"
#include "call/call_store.h"
#include "call/call_int.h"
#include "call/call_queue_int.h"

/*
 * Times are the engine's wall clock (which tests may shift), passed as
 * milliseconds since the epoch, so the record agrees with the schedule
 * that picked the flow.
 */
#define TS(n) "to_timestamp($" #n "::bigint / 1000.0)"


static void ms_text(char *buf, size_t sz, uint64_t ms)
{
	(void)re_snprintf(buf, sz, "%llu", (unsigned long long)ms);
}


static void add(struct call *call, const char *sql, unsigned n,
		const char *const *pv)
{
	int err = call_store_add(call->store, sql, n, pv);

	if (err)
		log_error("%H: record not queued: %m", call_debug, call, err);
}


/**
 * Insert the CDR row as the call starts. Inbound: the caller called our
 * number. Outbound (an agent's click-to-dial): from our number to the
 * callee, by the agent.
 */
void call_cdr_start(struct call *call)
{
	static const char sql[] =
		"INSERT INTO calls (call_id, tenant_id, direction, number,"
		" trunk_id, caller, callee, started_at, sip_call_id, agent_id)"
		" VALUES ($1, $2, $3, $4, NULLIF($5, '')::uuid, $6, $7, "
		TS(8) ", NULLIF($9, ''), NULLIF($10, '')::uuid)";
	char t[24];
	const char *pv[10];

	ms_text(t, sizeof(t), call->t_start);
	pv[0] = call->call_id;
	pv[1] = call->tenant_id;
	pv[2] = call->outbound ? "outbound" : "inbound";
	pv[3] = call->number;
	pv[4] = call->trunk_id;
	pv[5] = call->caller;
	pv[6] = call->outbound ? call->callee : call->number;
	pv[7] = t;
	pv[8] = call->sip_call_id;
	pv[9] = call->agent_id;

	add(call, sql, 10, pv);
}


/** The call was answered (by the IVR). */
void call_cdr_answered(struct call *call)
{
	static const char sql[] =
		"UPDATE calls SET answered_at = " TS(2)
		" WHERE call_id = $1";
	char t[24];
	const char *pv[2] = {call->call_id, t};

	ms_text(t, sizeof(t), call->t_answer);
	add(call, sql, 2, pv);
}


/** The IVR flow (and its version) the call runs. */
void call_cdr_flow(struct call *call, const char *flow_id, int version)
{
	static const char sql[] =
		"UPDATE calls SET flow_id = $2::uuid, flow_version = $3::int,"
		" ivr_at = COALESCE(ivr_at, " TS(4) ") WHERE call_id = $1";
	char v[16], t[24];
	const char *pv[4] = {call->call_id, flow_id, v, t};

	(void)re_snprintf(v, sizeof(v), "%d", version);
	ms_text(t, sizeof(t), call_now_ms());
	add(call, sql, 4, pv);
}


/** Append a node to the call's IVR path. */
void call_cdr_ivr_node(struct call *call, const char *node_id)
{
	static const char sql[] =
		"UPDATE calls SET ivr_path = ivr_path || to_jsonb($2::text)"
		" WHERE call_id = $1 AND jsonb_array_length(ivr_path) < 200";
	const char *pv[2] = {call->call_id, node_id};

	add(call, sql, 2, pv);
}


/** Complete the CDR row. */
void call_cdr_end(struct call *call, const char *side, const char *cause)
{
	static const char sql[] =
		"UPDATE calls SET ended_at = " TS(2) ", disposition = $3,"
		" hangup_side = $4, hangup_cause = $5,"
		" duration_ms = $6::int WHERE call_id = $1";
	char t[24], d[24];
	const char *pv[6];

	ms_text(t, sizeof(t), call->t_end);
	ms_text(d, sizeof(d), call->t_end - call->t_start);
	pv[0] = call->call_id;
	pv[1] = t;
	pv[2] = call->disposition;
	pv[3] = side;
	pv[4] = cause;
	pv[5] = d;

	add(call, sql, 6, pv);
}


/** The call joined a queue (again, after an overflow to another). */
void call_cdr_queued(struct call *call, const struct call_queue *cq)
{
	static const char sql[] =
		"UPDATE calls SET queue_id = $2::uuid,"
		" queued_at = COALESCE(queued_at, " TS(3) "),"
		" queue_result = NULL WHERE call_id = $1";
	char t[24];
	const char *pv[3] = {call->call_id, cq->qi.queue_id, t};

	ms_text(t, sizeof(t), cq->queued_wall);
	add(call, sql, 3, pv);
}


/** How the call left its queue: answered (by whom, when), abandoned,
 * overflow, timeout or deleted; and how many agents it was offered to. */
void call_cdr_queue_result(struct call *call, const char *result,
			   const struct call_queue *cq)
{
	static const char sql[] =
		"UPDATE calls SET queue_result = $2,"
		" agent_id = NULLIF($3, '')::uuid,"
		" connected_at = CASE WHEN $4::bigint > 0 THEN " TS(4)
		" END, offers = $5::int WHERE call_id = $1";
	char t[24], o[12];
	const char *pv[5];

	if (!call)
		return;

	ms_text(t, sizeof(t), cq->connected_wall);
	(void)re_snprintf(o, sizeof(o), "%u", cq->offers);
	pv[0] = call->call_id;
	pv[1] = result;
	pv[2] = cq->agent_id;
	pv[3] = t;
	pv[4] = o;

	add(call, sql, 5, pv);
}


/** The call changed hands (a consultation completed): its agent now. */
void call_cdr_agent(struct call *call, const char *agent_id)
{
	static const char sql[] =
		"UPDATE calls SET agent_id = $2::uuid WHERE call_id = $1";
	const char *pv[2] = {call->call_id, agent_id};

	add(call, sql, 2, pv);
}


/** The caller's satisfaction score (1-5). */
void call_cdr_survey(struct call *call, int score)
{
	static const char sql[] =
		"UPDATE calls SET survey_score = $2::int WHERE call_id = $1";
	char v[4];
	const char *pv[2] = {call->call_id, v};

	(void)re_snprintf(v, sizeof(v), "%d", score);
	add(call, sql, 2, pv);
}


/**
 * One row of the call's timeline; the event's webhook deliveries, if
 * any endpoint wants it, are written by the same statement.
 */
void call_cdr_event(struct call *call, unsigned seq, const char *type,
		    const char *json, struct event *ev)
{
	static const char sql[] =
		"INSERT INTO call_events (tenant_id, call_id, seq, type, data,"
		" created_at) VALUES ($1, $2, $3::int, $4, $5::jsonb, "
		TS(6) ")";
	char s[16], t[24], *wsql = NULL;
	const char *pv[6 + WEBHOOK_NPARAMS];
	unsigned n = 6;

	(void)re_snprintf(s, sizeof(s), "%u", seq);
	ms_text(t, sizeof(t), call_now_ms());
	pv[0] = call->tenant_id;
	pv[1] = call->call_id;
	pv[2] = s;
	pv[3] = type;
	pv[4] = json;
	pv[5] = t;

	if (webhook_stmt(&wsql, &n, sql, pv, ev))
		log_warn("%H: %s: webhooks not queued", call_debug, call,
			 type);
	add(call, wsql ? wsql : sql, n, pv);
	mem_deref(wsql);
}


static void stale_closed(int err, const struct db_res *res, void *arg)
{
	(void)arg;

	if (err) {
		if (err != ECANCELED)
			log_warn("calls left open by a stop not closed: %m",
				 err);
		return;
	}

	if (db_affected(res, 0))
		log_warn("%llu calls were in progress when the server stopped;"
			 " recorded as ended by server_restart",
			 (unsigned long long)db_affected(res, 0));
}


#define STALE_RETRY_MS  20   /* waiting for the pool's first connection */

static struct tmr stale_tmr;


/*
 * Calls this node had in progress when it was killed have no end. At
 * start, before any new call, close them: ended now, by the system,
 * cause server_restart; a caller still queued counts as abandoned.
 * The pool has no connection yet when the call engine starts, so this
 * waits for the first one; no call is taken before then (its number
 * is not routed until the routing tables are read). (One node owns all
 * calls by default; with several nodes this must become per node.)
 */
static void close_stale(void *arg)
{
	static const struct db_ctx ctx = {DB_OPERATOR, NULL};
	static const char sql[] =
		"UPDATE calls SET ended_at = now(),"
		" disposition = CASE WHEN answered_at IS NULL THEN 'failed'"
		"  ELSE 'completed' END,"
		" hangup_side = 'system', hangup_cause = 'server_restart',"
		" queue_result = CASE WHEN queued_at IS NOT NULL"
		"  AND queue_result IS NULL THEN 'abandoned'"
		"  ELSE queue_result END,"
		" duration_ms = LEAST(2147483647, GREATEST(0, (extract(epoch"
		"  FROM now() - started_at) * 1000)::bigint))::int"
		" WHERE ended_at IS NULL";
	struct app *app = arg;
	int err;

	if (!db_ready(app->db)) {
		tmr_start(&stale_tmr, STALE_RETRY_MS, close_stale, app);
		return;
	}

	err = db_query(app->db, &ctx, stale_closed, NULL, sql, 0, NULL);
	if (err == EBUSY || err == EAGAIN)
		tmr_start(&stale_tmr, STALE_RETRY_MS, close_stale, app);
	else if (err)
		stale_closed(err, NULL, NULL);
}


void call_cdr_close_stale(struct app *app)
{
	tmr_init(&stale_tmr);
	if (app && app->db)
		close_stale(app);
}


/** Stop waiting to close stale calls (at shutdown). */
void call_cdr_close(void)
{
	tmr_cancel(&stale_tmr);
}
