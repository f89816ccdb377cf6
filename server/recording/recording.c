/* One call's recording on the loop: tap, key, encoder stream, row. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "core/clock.h"
#include "core/uuid.h"
#include "db/db.h"
#include "event/event.h"
#include "media/rectap.h"
#include "recording/rec_enc.h"
#include "recording/rec_key.h"
#include "recording/rec_metrics.h"
#include "recording/rec_store.h"
#include "recording/recording.h"

/*
 * Life of a recording
 *
 * start: the tap captures at once into its ring (recording_buffer_ms of
 * audio) while the tenant's key is fetched; with the key the row is
 * inserted and the ring handed to an encoder thread. stop: the tap stops;
 * the encoder drains it and finishes the file; then the row is completed
 * and recording.ready published. The recording holds a reference to
 * itself from start until the encoder is done (or never started), so its
 * call may go at any time. Row writes are upserts: the completion may
 * overtake the insert on another pool connection.
 */

struct recording {
	char recording_id[UUID_STRLEN];
	char tenant_id[37];
	char call_id[37];
	char rel[256];
	char path[512];
	struct rectap *tap;           /**< (ref)                         */
	struct rec_stream *stream;    /**< (borrowed) until done         */
	json_t *pauses;               /**< (own) [{at_ms, ms}]           */
	int64_t started_ms;           /**< wall clock                    */
	uint32_t key_no;
	uint32_t pause_at;            /**< ms into the file, while paused */
	uint32_t hold_at;             /**< ms into the file, while held  */
	uint32_t hold_ms;             /**< the caller on hold, in all    */
	uint32_t longest_hold_ms;
	bool held;
	bool stopped;
	bool failed;
	bool self_ref;                /**< held for the encoder      */
};

static struct {
	struct app *app;              /**< (borrowed)                    */
	unsigned bitrate;
	uint32_t buf_ms;
	unsigned live;
	struct tmr drain_tmr;
	unsigned drain_polls;
	void (*drainedh)(void *arg);
	void *drain_arg;
} rs;


static void destructor(void *arg)
{
	struct recording *rec = arg;

	rec_stream_detach(rec->stream);
	mem_deref(rec->tap);
	json_decref(rec->pauses);
	--rs.live;
}


static void db_done(int err, const struct db_res *res, void *arg)
{
	struct recording *rec = arg;
	(void)res;

	if (err)
		log_error("recording %s: its row was not written: %m",
			  rec->recording_id, err);
	mem_deref(rec);
}


static const char row_sql[] =
	"INSERT INTO recordings (recording_id, tenant_id, call_id, status,"
	" path, key_no, channels, bitrate, started_at, ended_at,"
	" duration_ms, size_bytes, pauses, flags, error)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8,"
	" to_timestamp($9::bigint / 1000.0),"
	" to_timestamp($10::bigint / 1000.0), $11, $12, $13::jsonb,"
	" $14::jsonb, $15)"
	" ON CONFLICT (recording_id) DO UPDATE SET status = EXCLUDED.status,"
	" ended_at = EXCLUDED.ended_at, duration_ms = EXCLUDED.duration_ms,"
	" size_bytes = EXCLUDED.size_bytes, pauses = EXCLUDED.pauses,"
	" flags = EXCLUDED.flags, error = EXCLUDED.error"
	" WHERE recordings.status = 'recording'";

struct row {
	const char *status;
	int64_t ended_ms;            /**< 0: still recording            */
	const struct rec_result *res;
	const char *flags;
	const char *error;
};


static void write_row(struct recording *rec, const struct row *r)
{
	struct db_ctx ctx = {DB_TENANT, rec->tenant_id};
	char key_no[16], ch[4], br[8], st[24], en[24], dur[16], size[24];
	char *pauses = json_dumps(rec->pauses, JSON_COMPACT);
	const char *pv[15];
	int err;

	re_snprintf(key_no, sizeof(key_no), "%u", rec->key_no);
	re_snprintf(ch, sizeof(ch), "%u", rectap_channels(rec->tap));
	re_snprintf(br, sizeof(br), "%u", rs.bitrate);
	re_snprintf(st, sizeof(st), "%lld", (long long)rec->started_ms);
	re_snprintf(en, sizeof(en), "%lld", (long long)r->ended_ms);
	if (r->res) {
		re_snprintf(dur, sizeof(dur), "%u", r->res->duration_ms);
		re_snprintf(size, sizeof(size), "%llu",
			    (unsigned long long)r->res->size_bytes);
	}

	pv[0] = rec->recording_id;  pv[1] = rec->tenant_id;
	pv[2] = rec->call_id;       pv[3] = r->status;
	pv[4] = rec->rel;           pv[5] = key_no;
	pv[6] = ch;                 pv[7] = br;
	pv[8] = st;                 pv[9] = r->ended_ms ? en : NULL;
	pv[10] = r->res ? dur : NULL;
	pv[11] = r->res && !r->res->err ? size : NULL;
	pv[12] = pauses ? pauses : "[]";
	pv[13] = r->flags ? r->flags : "{}";
	pv[14] = r->error;

	/* a file without its row is an orphan nobody can find */
	err = db_query_must(rs.app->db, &ctx, db_done, mem_ref(rec), row_sql,
			    15, pv);
	if (err) {
		log_error("recording %s: its row was not written: %m",
			  rec->recording_id, err);
		mem_deref(rec);
	}

	free(pauses);  /* ccheck: foreign */
}


static void publish(const struct recording *rec, const char *type,
		    json_t *data)
{
	if (!data)
		return;

	(void)json_object_set_new(data, "recording_id",
				  json_string(rec->recording_id));
	(void)json_object_set_new(data, "call_id", json_string(rec->call_id));
	(void)event_publish(rec->tenant_id, type, data);
}


/* Loud: a log line at error, the recording's own event and an alert. */
static void report_failure(struct recording *rec, const char *error)
{
	if (rec->failed)
		return;

	rec->failed = true;
	log_error("recording %s of call %s (tenant %s) failed: %s",
		  rec->recording_id, rec->call_id, rec->tenant_id, error);
	publish(rec, "recording.failed", json_pack("{s:s}", "error", error));
	publish(rec, "alert.recording_failed",
		json_pack("{s:s}", "error", error));
}


static void on_fail(int err, const char *error, void *arg)
{
	struct recording *rec = arg;
	struct row r = {"failed", 0, NULL, NULL, error};
	(void)err;

	report_failure(rec, error);
	write_row(rec, &r);
}


static char *flags_json(const struct recording *rec,
			const struct rec_result *res, bool partial)
{
	json_t *j = json_pack("{s:i, s:i, s:i, s:i, s:b, s:i, s:i, s:b}",
			      "longest_silence_ms",
			      (int)res->longest_silence_ms,
			      "talkover_ms", (int)res->talkover_ms,
			      "hold_ms", (int)rec->hold_ms,
			      "longest_hold_ms", (int)rec->longest_hold_ms,
			      "overflow", res->dropped_ms > 0,
			      "dropped_ms", (int)res->dropped_ms,
			      "stalled_ms", (int)res->stalled_ms,
			      "partial", partial);
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);

	return s;
}


static void on_done(const struct rec_result *res, void *arg)
{
	struct recording *rec = arg;
	bool partial = !res->err && res->dropped_ms > 0;
	struct row r = {res->err ? "failed" : partial ? "partial" : "ready",
			clock_wall_ms(), res, NULL,
			res->err ? res->error : NULL};
	char *flags = flags_json(rec, res, partial);
	char error[96];

	rec->stream = NULL;
	if (partial) {
		/* the encoder fell behind: never a silent gap */
		re_snprintf(error, sizeof(error), "%u ms of audio lost: the "
			    "encoder fell behind", res->dropped_ms);
		report_failure(rec, error);
		r.error = error;
	}

	r.flags = flags;
	write_row(rec, &r);
	free(flags);  /* ccheck: foreign */
	rec_metrics_finished(r.status, res->dropped_ms);

	if (!res->err)
		publish(rec, "recording.ready", json_pack("{s:s, s:i, s:I}",
			"status", r.status, "duration_ms",
			(int)res->duration_ms, "size_bytes",
			(json_int_t)res->size_bytes));
	else
		report_failure(rec, res->error);

	if (rec->self_ref) {
		rec->self_ref = false;
		mem_deref(rec);
	}
}


static void on_key(int err, uint32_t key_no, const uint8_t *key, void *arg)
{
	struct recording *rec = arg;
	struct rec_job job = {rec->path, rec->rel, key, key_no, rs.bitrate};
	struct row r = {"recording", 0, NULL, NULL, NULL};

	if (!err) {
		rec->key_no = key_no;
		write_row(rec, &r);
		err = rec_enc_start(&rec->stream, rec->tap, &job, on_fail,
				    on_done, rec);
	}

	if (err) {
		char error[96];

		re_snprintf(error, sizeof(error), "not started: %m", err);
		r.status = "failed";
		r.ended_ms = clock_wall_ms();
		r.error = error;
		report_failure(rec, error);
		write_row(rec, &r);
		rec_metrics_finished("failed", 0);
		rec->self_ref = false;
		mem_deref(rec);
	}
}


/**
 * Start recording a call: capture begins now; the file, its row and
 * recording.started follow once the tenant's key is at hand.
 *
 * @return 0 if success, otherwise errorcode (nothing is recorded)
 */
int recording_start(struct recording **recp,
		    const struct recording_spec *spec)
{
	struct recording *rec;
	int err;

	if (!recp || !spec || !spec->tenant_id || !spec->call_id ||
	    !spec->mp)
		return EINVAL;
	if (!rs.app)
		return ESHUTDOWN;

	rec = mem_zalloc(sizeof(*rec), destructor);
	if (!rec)
		return ENOMEM;

	++rs.live;
	uuid_v4(rec->recording_id);
	str_ncpy(rec->tenant_id, spec->tenant_id, sizeof(rec->tenant_id));
	str_ncpy(rec->call_id, spec->call_id, sizeof(rec->call_id));
	rec->started_ms = clock_wall_ms();
	rec->pauses = json_array();

	err = rec->pauses ? 0 : ENOMEM;
	err = err ? err : rec_store_rel(rec->rel, sizeof(rec->rel),
					rec->tenant_id, rec->recording_id,
					rec->started_ms);
	err = err ? err : rec_store_abs(rec->path, sizeof(rec->path),
					rec->rel);
	err = err ? err : rectap_alloc(&rec->tap, spec->mp, spec->channels,
				       rs.buf_ms);
	if (err)
		goto out;

	rec->self_ref = true;
	mem_ref(rec);
	err = rec_key_current(rec->tenant_id, on_key, rec);
	if (err) {
		rec->self_ref = false;
		mem_deref(rec);
		goto out;
	}

	publish(rec, "recording.started", json_pack("{s:i}", "channels",
						    (int)spec->channels));
 out:
	if (err)
		mem_deref(rec);
	else
		*recp = rec;

	return err;
}


/**
 * Pause (silence in the file, the span kept in the row's pauses) or
 * resume.
 *
 * @return 0 if success, EALREADY if it already was, otherwise errorcode
 */
int recording_pause(struct recording *rec, bool paused)
{
	uint32_t now;

	if (!rec || rec->stopped)
		return ENOENT;
	if (rectap_paused(rec->tap) == paused)
		return EALREADY;

	now = rectap_ms(rec->tap);
	rectap_pause(rec->tap, paused);
	if (paused) {
		rec->pause_at = now;
	}
	else {
		(void)json_array_append_new(rec->pauses, json_pack(
			"{s:i, s:i}", "at_ms", (int)rec->pause_at, "ms",
			(int)(now - rec->pause_at)));
	}

	publish(rec, paused ? "recording.paused" : "recording.resumed",
		json_pack("{s:i}", "at_ms", (int)now));

	return 0;
}


/** The caller is put on hold or taken off it (for the QA flags). */
void recording_hold(struct recording *rec, bool held)
{
	uint32_t now, span;

	if (!rec || rec->stopped || rec->held == held)
		return;

	now = rectap_ms(rec->tap);
	rec->held = held;
	if (held) {
		rec->hold_at = now;
		return;
	}

	span = now - rec->hold_at;
	rec->hold_ms += span;
	if (span > rec->longest_hold_ms)
		rec->longest_hold_ms = span;
}


bool recording_paused(const struct recording *rec)
{
	return rec && rectap_paused(rec->tap);
}


/**
 * The call is over (or no longer recorded): no more audio. The file is
 * finished off the loop; the caller's reference may go at once.
 */
void recording_stop(struct recording *rec)
{
	if (!rec || rec->stopped)
		return;

	if (rectap_paused(rec->tap))
		(void)recording_pause(rec, false);
	recording_hold(rec, false);

	rec->stopped = true;
	rectap_stop(rec->tap);
}


const char *recording_id(const struct recording *rec)
{
	return rec ? rec->recording_id : NULL;
}


int recording_init(struct app *app)
{
	int err;

	if (!app)
		return EINVAL;

	err = rec_enc_init(app->cfg.recording_encoders);
	if (err)
		return err;

	rec_metrics_init();
	rs.app     = app;
	rs.bitrate = app->cfg.recording_bitrate;
	rs.buf_ms  = app->cfg.recording_buffer_ms;

	return 0;
}


enum { DRAIN_POLL_MS = 50, DRAIN_POLLS_MAX = 200 };


static void drain_poll(void *arg)
{
	(void)arg;

	if (rec_enc_active() && ++rs.drain_polls < DRAIN_POLLS_MAX) {
		tmr_start(&rs.drain_tmr, DRAIN_POLL_MS, drain_poll, NULL);
		return;
	}

	if (rec_enc_active())
		log_warn("stopping with %u recordings unfinished: they are "
			 "salvaged at the next start", rec_enc_active());
	rs.drainedh(rs.drain_arg);
}


/**
 * The calls are over: wait (up to 10 s) until the encoders finished
 * their files and the rows are queued, then call drainedh.
 */
void recording_drain(void (*drainedh)(void *arg), void *arg)
{
	rs.drainedh    = drainedh;
	rs.drain_arg   = arg;
	rs.drain_polls = 0;
	tmr_start(&rs.drain_tmr, 0, drain_poll, NULL);
}


/** Finish every file still being written (the loop is stopping). */
void recording_close(void)
{
	tmr_cancel(&rs.drain_tmr);
	rec_metrics_close();
	rec_enc_close();
	rs.app = NULL;
}
