/* Shared by the files of the recordings' REST API (rec_*_api.c). */
#ifndef OPENSEAT_REC_API_INT_H
#define OPENSEAT_REC_API_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "http/api.h"
#include "http/param.h"

struct param;

/*
 * A recording as the API shows it (aliases r: recordings, c: its call,
 * u: the agent's user, q: the queue). The call's row is joined LEFT: the
 * CDR is written when the call ends, the recording may be ready first.
 */
#define REC_ITEM_JSON \
	"jsonb_build_object('recording_id', r.recording_id, 'call_id'," \
	" r.call_id, 'status', r.status, 'started_at', r.started_at," \
	" 'ended_at', r.ended_at, 'duration_ms', r.duration_ms," \
	" 'size_bytes', r.size_bytes, 'channels', r.channels," \
	" 'pauses', r.pauses, 'flags', r.flags, 'error', r.error," \
	" 'direction', c.direction," \
	" 'number', c.number, 'caller', c.caller, 'callee', c.callee," \
	" 'agent_id', c.agent_id, 'agent_name'," \
	" COALESCE(NULLIF(u.display_name, ''), u.username)," \
	" 'queue_id', c.queue_id, 'queue_name', q.name," \
	" 'disposition', c.disposition, 'wrap_code', c.wrap_code," \
	" 'survey_score', c.survey_score, 'qa_total', (SELECT v.total" \
	" FROM qa_reviews v WHERE v.recording_id = r.recording_id" \
	" ORDER BY v.created_at DESC, v.review_id DESC LIMIT 1))"

#define REC_FROM \
	" FROM recordings r LEFT JOIN calls c ON c.call_id = r.call_id" \
	" LEFT JOIN users u ON u.user_id = c.agent_id" \
	" LEFT JOIN queues q ON q.queue_id = c.queue_id"

/*
 * The calls an agent handled: those it answered (a call.answered event
 * names it; a call transferred on names a later agent in calls.agent_id)
 * — the rule of the call log (call_api.c). $n NULL lets all through.
 */
#define REC_AGENT_SQL(n) \
	" ($" n "::uuid IS NULL OR c.agent_id = $" n "::uuid" \
	" OR r.call_id IN (SELECT e.call_id FROM call_events e" \
	" WHERE e.type = 'call.answered'" \
	" AND e.data->>'agent_id' = $" n "::uuid::text))"

/* The search's filters, $1 to $13; $13 is the agent a role forces. */
#define REC_WHERE \
	" WHERE ($1::uuid IS NULL OR r.call_id = $1::uuid)" \
	" AND ($2::timestamptz IS NULL OR r.started_at >= $2)" \
	" AND ($3::timestamptz IS NULL OR r.started_at < $3)" \
	" AND" REC_AGENT_SQL("4") \
	" AND ($5::uuid IS NULL OR c.queue_id = $5::uuid)" \
	" AND ($6::text IS NULL OR c.number = $6)" \
	" AND ($7::text IS NULL OR c.caller = $7)" \
	" AND ($8::int IS NULL OR r.duration_ms >= $8::int * 1000)" \
	" AND ($9::int IS NULL OR r.duration_ms <= $9::int * 1000)" \
	" AND ($10::text IS NULL OR c.disposition = $10)" \
	" AND ($11::int IS NULL OR c.survey_score = $11::int)" \
	" AND ($12::text IS NULL OR r.status = $12)" \
	" AND" REC_AGENT_SQL("13")

enum { REC_NFILTERS = 13 };

/* Whether an agent may play recordings at all (no settings row: yes). */
#define REC_PLAYBACK_SQL \
	"SELECT COALESCE((SELECT agent_playback FROM recording_settings" \
	" LIMIT 1), true)"

struct rec_filter {
	const char *pv[REC_NFILTERS];
	char number[33];
	char caller[33];
	char ints[3][24];
};

/** A filter's value by name as text, NULL if absent; buf may hold it. */
typedef const char *(rec_arg_h)(const struct http_req *req,
				const char *name, char *buf, size_t sz);

/* The export's JSON body: the search's filters by the same names. */
#define REC_NFILTER_PARAMS 12
extern const struct param rec_filter_params[REC_NFILTER_PARAMS];

const char *rec_arg_query(const struct http_req *req, const char *name,
			  char *buf, size_t sz);
const char *rec_arg_body(const struct http_req *req, const char *name,
			 char *buf, size_t sz);
bool rec_filter_get(struct http_req *req, struct rec_filter *f,
		    rec_arg_h *arg);
const char *rec_agent_forced(const struct http_req *req);
bool rec_playback_ok(struct http_req *req, const struct db_res *res);
void rec_query(struct http_req *req, const char *sql, unsigned n,
	       const char *const *pv, api_rows_h *h);

/* The routes' handlers, one file per operation */
void rec_list(struct http_req *req);
void rec_get(struct http_req *req);
void rec_audio(struct http_req *req);
void rec_export_create(struct http_req *req);
void rec_export_get(struct http_req *req);
void rec_export_file(struct http_req *req);

#endif
