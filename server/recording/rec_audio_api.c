/* /api/v1/recordings/{recording_id}/audio: play or download, audited. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "worker/worker.h"
#include "recording/rec_key.h"
#include "recording/rec_store.h"
#include "recording/rec_range.h"
#include "recording/rec_wav.h"
#include "recording/rec_api_int.h"

/*
 * The row is looked up with the caller's tenant scope and role rule; the
 * file name comes from the row's path (written by the recorder, checked
 * again by rec_store_abs), never from the request. The file is decrypted
 * whole into memory on the worker pool: recordings are a few MB (an hour
 * of stereo at 32 kbit/s is 14 MB), and a player seeking with Range
 * re-reads it cheaply enough; streaming chunk by chunk would need a
 * reply body the HTTP edge does not have. The audit row is committed
 * before the audio goes out: no play or download without its trace.
 */

struct audio {
	struct http_req *req;          /**< (ref) */
	char tenant_id[40];
	char recording_id[40];
	char path[600];
	uint8_t key[REC_KEY_BYTES];
	uint32_t key_no;
	bool wav;
	bool download;
	char stem[96];                 /**< file name without extension */
	uint8_t *data;                 /**< (own, malloc) MP3 or WAV */
	size_t len;
	uint64_t first, last;          /**< the bytes sent, inclusive */
	bool ranged;
};


static void audio_destructor(void *arg)
{
	struct audio *a = arg;

	mem_deref(a->req);
	sodium_memzero(a->key, sizeof(a->key));
	free(a->data);  /* ccheck: foreign */
}


/* Worker thread: decrypt, and decode to WAV if asked. */
static int audio_work(void *arg)
{
	struct audio *a = arg;
	uint8_t *wav = NULL;
	size_t wlen = 0;
	bool complete;
	int err;

	err = rec_file_read(a->path, a->key, &a->data, &a->len, &complete);
	if (err || !a->wav)
		return err;

	err = rec_wav_from_mp3(a->data, a->len, &wav, &wlen);
	if (err)
		return err;

	free(a->data);  /* ccheck: foreign */
	a->data = wav;
	a->len = wlen;

	return 0;
}


static void audio_send(struct audio *a)
{
	struct http_req *req = a->req;
	const char *ctype = a->wav ? "audio/wav" : "audio/mpeg";
	char v[160];

	http_reply_header(req, "accept-ranges", "bytes");
	if (a->download) {
		(void)re_snprintf(v, sizeof(v), "attachment;"
				  " filename=\"%s.%s\"", a->stem,
				  a->wav ? "wav" : "mp3");
		http_reply_header(req, "content-disposition", v);
	}

	if (!a->ranged) {
		http_reply_raw(req, 200, ctype, (const char *)a->data, a->len);
		return;
	}

	(void)re_snprintf(v, sizeof(v), "bytes %llu-%llu/%zu",
			  (unsigned long long)a->first,
			  (unsigned long long)a->last, a->len);
	http_reply_header(req, "content-range", v);
	http_reply_raw(req, 206, ctype, (const char *)a->data + a->first,
		       (size_t)(a->last - a->first + 1));
}


static void audited(int err, const struct db_res *res, void *arg)
{
	struct audio *a = arg;

	(void)res;
	if (http_req_gone(a->req))
		goto out;

	if (err)
		http_reply_error(a->req, err);
	else
		audio_send(a);

 out:
	mem_deref(a);
}


static int audit_write(struct audio *a)
{
	struct db_ctx ctx = api_ctx(a->req);
	struct db_txn *tx = NULL;
	char detail[128];
	int err;

	if (a->ranged)
		(void)re_snprintf(detail, sizeof(detail),
				  "{\"format\":\"%s\","
				  "\"range\":\"%llu-%llu\"}",
				  a->wav ? "wav" : "mp3",
				  (unsigned long long)a->first,
				  (unsigned long long)a->last);
	else
		(void)re_snprintf(detail, sizeof(detail),
				  "{\"format\":\"%s\",\"range\":null}",
				  a->wav ? "wav" : "mp3");

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit(tx, a->req, a->tenant_id, a->download ?
				    "recording.download" : "recording.play",
				    "recording", a->recording_id, detail);
	err = err ? err : db_txn_exec(http_req_app(a->req)->db, tx, audited,
				      a);
	if (err)
		mem_deref(tx);

	return err;
}


static void range_416(struct http_req *req, size_t size)
{
	char v[64];

	(void)re_snprintf(v, sizeof(v), "bytes */%zu", size);
	http_reply_header(req, "content-range", v);
	http_reply_problem(req, 416, "range_not_satisfiable", "The range "
			   "starts past the end of the audio; Content-Range "
			   "gives its size.");
}


static void read_done(int err, void *arg)
{
	struct audio *a = arg;
	struct http_req *req = a->req;
	const char *range = http_req_header(req, "range");

	if (http_req_gone(req))
		goto out;

	if (err == ENOENT) {
		http_reply_problem(req, 404, "audio_missing", "The "
				   "recording's file is no longer on the "
				   "server (purged or removed).");
		goto out;
	}
	if (err) {
		log_error("recording %s: %s not readable: %m",
			  a->recording_id, a->path, err);
		http_reply_problem(req, 500, "audio_unreadable", "The "
				   "recording's file could not be read; the "
				   "request id names it in our logs.");
		goto out;
	}

	switch (rec_range_parse(range, a->len, &a->first, &a->last)) {

	case REC_RANGE_UNSAT:
		range_416(req, a->len);
		goto out;

	case REC_RANGE_ONE:
		a->ranged = true;
		break;

	default:
		break;
	}

	if (!audit_write(a))
		return;

	http_reply_error(req, ENOMEM);

 out:
	mem_deref(a);
}


static void key_got(int err, uint32_t key_no,
		    const uint8_t key[REC_KEY_BYTES], void *arg)
{
	struct audio *a = arg;

	(void)key_no;
	if (!err) {
		memcpy(a->key, key, REC_KEY_BYTES);
		err = worker_submit(http_req_app(a->req)->workers, audio_work,
				    read_done, a);
		if (!err)
			return;
	}

	log_warn("recording %s: key %u: %m", a->recording_id, a->key_no,
		 err);
	if (!http_req_gone(a->req))
		http_reply_error(a->req, err == ENOENT ? EIO : err);
	mem_deref(a);
}


/* Only characters safe in a quoted file name, whatever the caller was. */
static void stem_set(struct audio *a, const char *ts, const char *caller)
{
	char c[33];
	size_t n = 0;

	for (; caller && *caller && n < sizeof(c) - 1; caller++) {
		char ch = *caller;

		if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || ch == '+' || ch == '-')
			c[n++] = ch;
	}
	c[n] = '\0';

	(void)re_snprintf(a->stem, sizeof(a->stem), "%s_%s", ts ? ts : "",
			  n ? c : "unknown");
}


/* The row's playable state; false if a reply was sent. */
static bool row_playable(struct http_req *req, const struct db_res *res)
{
	const char *status;
	char detail[128];

	if (!rec_playback_ok(req, res))
		return false;

	if (db_nrows(res, 1) < 1) {
		http_reply_error(req, ENOENT);
		return false;
	}

	status = db_val(res, 1, 0, 0);
	if (!strcmp(status, "ready") || !strcmp(status, "partial"))
		return true;

	(void)re_snprintf(detail, sizeof(detail), "The recording is %s, "
			  "not ready to play.", status);
	http_reply_problem(req, 409, "recording_not_ready", detail);

	return false;
}


static void audio_row(struct http_req *req, const struct db_res *res)
{
	const char *fmt = http_req_query(req, "format");
	const char *dl = http_req_query(req, "download");
	struct audio *a;
	int err;

	if (!row_playable(req, res))
		return;

	a = mem_zalloc(sizeof(*a), audio_destructor);
	if (!a) {
		http_reply_error(req, ENOMEM);
		return;
	}

	a->req = mem_ref(req);
	a->wav = fmt && !strcmp(fmt, "wav");
	a->download = dl && (!strcmp(dl, "1") || !strcmp(dl, "true"));
	a->key_no = (uint32_t)strtoul(db_val(res, 1, 0, 2), NULL, 10);
	str_ncpy(a->tenant_id, db_val(res, 1, 0, 3), sizeof(a->tenant_id));
	str_ncpy(a->recording_id, http_req_param(req, "recording_id"),
		 sizeof(a->recording_id));
	stem_set(a, db_val(res, 1, 0, 4), db_val(res, 1, 0, 5));

	err = rec_store_abs(a->path, sizeof(a->path), db_val(res, 1, 0, 1));
	if (err) {
		log_error("recording %s: bad path in its row: %m",
			  a->recording_id, err);
		http_reply_problem(req, 404, "audio_missing", "The "
				   "recording's file is not on the server.");
		mem_deref(a);
		return;
	}

	/* the callback may run before rec_key_get returns (a cached key) */
	err = rec_key_get(a->tenant_id, a->key_no, key_got, a);
	if (err) {
		http_reply_error(req, err);
		mem_deref(a);
	}
}


static bool query_ok(struct http_req *req)
{
	const char *fmt = http_req_query(req, "format");
	const char *dl = http_req_query(req, "download");

	if (fmt && strcmp(fmt, "mp3") && strcmp(fmt, "wav")) {
		api_reply_invalid(req, "format", "enum",
				  "must be mp3 or wav");
		return false;
	}

	if (dl && strcmp(dl, "0") && strcmp(dl, "1") &&
	    strcmp(dl, "true") && strcmp(dl, "false")) {
		api_reply_invalid(req, "download", "format",
				  "must be 1 or 0");
		return false;
	}

	return true;
}


/** GET /api/v1/recordings/{recording_id}/audio */
void rec_audio(struct http_req *req)
{
	static const char sql[] =
		"SELECT r.status, r.path, r.key_no, r.tenant_id,"
		" to_char(r.started_at AT TIME ZONE 'Asia/Shanghai',"
		" 'YYYYMMDD-HH24MISS'), c.caller"
		" FROM recordings r LEFT JOIN calls c"
		" ON c.call_id = r.call_id"
		" WHERE r.recording_id = $1::uuid AND" REC_AGENT_SQL("2");
	const char *pv[2];

	pv[0] = http_req_param(req, "recording_id");
	pv[1] = rec_agent_forced(req);
	if (!api_uuid_ok(pv[0])) {
		http_reply_error(req, ENOENT);
		return;
	}

	if (query_ok(req))
		rec_query(req, sql, 2, pv, audio_row);
}

