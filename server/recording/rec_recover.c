/* After a crash: unfinished recordings made playable or removed. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "event/event.h"
#include "worker/worker.h"
#include "core/uuid.h"
#include "recording/rec_key.h"
#include "recording/rec_key_int.h"
#include "recording/rec_file.h"
#include "recording/rec_ops.h"
#include "recording/rec_store.h"

/*
 * Rows still 'recording' from before this start were cut by a crash
 * (kill -9, power loss). One at a time: the file's key, then on the
 * worker pool the valid prefix is rewritten as a complete file; the row
 * becomes 'partial' with its size and duration, or goes (with its file
 * and an audit row) when nothing in it can be played. A row is never
 * left pointing at a file that cannot be read.
 */

struct orphan {
	char recording_id[UUID_STRLEN];
	char tenant_id[UUID_STRLEN];
	char call_id[UUID_STRLEN];
	char path[PATH_MAX];          /**< absolute; "" when refused */
	char rel[260];
	uint32_t key_no;
	uint32_t bitrate;             /**< kbit/s */
	uint8_t key[REC_KEY_BYTES];
	uint64_t size;                /**< file bytes after salvage */
	const char *reason;           /**< why it is removed */
	int err;
};

static struct {
	struct app *app;              /**< borrowed */
	struct orphan *v;             /**< malloc'ed array */
	unsigned n;
	unsigned next;
	unsigned kept;
	unsigned removed;
} rv;

static void next_orphan(void);


static const struct db_ctx op_ctx = {DB_OPERATOR, NULL};


static void finished(void)
{
	if (rv.n)
		log_info("recovery: %u unfinished recording(s): %u kept as "
			 "partial, %u removed", rv.n, rv.kept, rv.removed);
	if (rv.v)
		sodium_memzero(rv.v, rv.n * sizeof(*rv.v));
	free(rv.v);  /* ccheck: foreign */
	rv.v = NULL;
	rv.n = 0;
}


/* Worker: the row is gone, now its file (and a salvage's leftover). */
static int unlink_work(void *arg)
{
	struct orphan *o = arg;
	char tmp[PATH_MAX + 16];

	if (!o->path[0])
		return 0;
	(void)re_snprintf(tmp, sizeof(tmp), "%s.salvage", o->path);
	(void)unlink(tmp);
	if (unlink(o->path) && errno != ENOENT)
		return errno;

	return 0;
}


static void unlink_done(int err, void *arg)
{
	struct orphan *o = arg;

	if (err)
		log_warn("recovery: recording %s: removing %s: %m",
			 o->recording_id, o->path, err);
	next_orphan();
}


static void removed(int err, const struct db_res *res, void *arg)
{
	struct orphan *o = arg;

	(void)res;
	if (err) {
		log_error("recovery: recording %s not removed: %m",
			  o->recording_id, err);
		next_orphan();
		return;
	}

	++rv.removed;
	log_warn("recovery: recording %s of call %s removed: %s",
		 o->recording_id, o->call_id, o->reason);
	if (worker_submit(rv.app->workers, unlink_work, unlink_done, o))
		next_orphan();
}


static void remove_orphan(struct orphan *o)
{
	const char *pv[5] = {o->recording_id, o->tenant_id, o->reason,
			     o->call_id, o->rel};
	struct db_txn *tx = NULL;
	int err;

	err = db_txn_alloc(&tx, &op_ctx);
	err = err ? err : db_txn_add(tx, "DELETE FROM recordings"
		" WHERE recording_id = $1::uuid AND status = 'recording'",
		1, pv);
	err = err ? err : db_txn_add(tx, "INSERT INTO audit_log (tenant_id,"
		" actor_kind, action, target_type, target_id, detail)"
		" VALUES ($2::uuid, 'system', 'recording.removed',"
		" 'recording', $1, jsonb_build_object('reason', $3::text,"
		" 'call_id', $4::text, 'path', $5::text))", 5, pv);
	if (!err) {
		err = db_txn_exec(rv.app->db, tx, removed, o);
		tx = NULL;
	}
	mem_deref(tx);
	if (err) {
		log_error("recovery: recording %s: %m", o->recording_id,
			  err);
		next_orphan();
	}
}


static void publish_ready(const struct orphan *o, uint64_t dur_ms)
{
	json_t *d = json_pack("{s:s, s:s, s:s, s:I, s:I}",
			      "recording_id", o->recording_id,
			      "call_id", o->call_id, "status", "partial",
			      "duration_ms", (json_int_t)dur_ms,
			      "size_bytes", (json_int_t)o->size);

	if (d)
		(void)event_publish(o->tenant_id, "recording.ready", d);
}


static void kept(int err, const struct db_res *res, void *arg)
{
	struct orphan *o = arg;

	if (err) {
		log_error("recovery: recording %s: %m", o->recording_id,
			  err);
	}
	else if (db_nrows(res, 0) == 1) {
		++rv.kept;
		log_info("recovery: recording %s of call %s kept as partial "
			 "(%llu bytes)", o->recording_id, o->call_id,
			 (unsigned long long)o->size);
		publish_ready(o, strtoull(db_val(res, 0, 0, 0), NULL, 10));
	}

	next_orphan();
}


/* The MP3's bytes, near enough: the file less its header (each chunk's
 * 21 bytes of framing are 0.03 % of it). */
static uint64_t mp3_bytes(const struct orphan *o)
{
	const uint64_t empty = REC_FILE_HDR_BYTES + REC_FILE_LEN_BYTES +
		crypto_secretstream_xchacha20poly1305_ABYTES;

	return o->size > empty ? o->size - empty : 0;
}


/* CBR: the duration follows from the size. */
static void keep_orphan(struct orphan *o)
{
	uint64_t dur_ms = mp3_bytes(o) * 8 / (o->bitrate ? o->bitrate : 32);
	char size[32], dur[32];
	const char *pv[3] = {o->recording_id, size, dur};
	int err;

	(void)re_snprintf(size, sizeof(size), "%llu",
			  (unsigned long long)o->size);
	(void)re_snprintf(dur, sizeof(dur), "%llu",
			  (unsigned long long)dur_ms);
	err = db_query(rv.app->db, &op_ctx, kept, o,
		       "UPDATE recordings SET status = 'partial',"
		       " size_bytes = $2::bigint, duration_ms = $3::int,"
		       " ended_at = started_at + $3::int * interval '1 ms',"
		       " flags = flags || '{\"partial\": true}'"
		       " WHERE recording_id = $1::uuid"
		       " AND status = 'recording' RETURNING duration_ms::text",
		       3, pv);
	if (err) {
		log_error("recovery: recording %s: %m", o->recording_id,
			  err);
		next_orphan();
	}
}


static int salvage_work(void *arg)
{
	struct orphan *o = arg;

	return rec_file_salvage(o->path, o->key, &o->size);
}


static void salvage_done(int err, void *arg)
{
	struct orphan *o = arg;

	sodium_memzero(o->key, sizeof(o->key));
	if (!err && mp3_bytes(o)) {
		keep_orphan(o);
		return;
	}

	switch (err) {

	case 0:
	case ENODATA:
		o->reason = "nothing was written before the crash";
		break;
	case ENOENT:
		o->reason = "file missing";
		break;
	case EPROTO:
	case EBADMSG:
		o->reason = "file unreadable";
		break;
	default:
		/* an I/O error may pass: the row stays for the next start */
		log_error("recovery: recording %s: %s: %m", o->recording_id,
			  o->path, err);
		next_orphan();
		return;
	}

	remove_orphan(o);
}


static void key_got(int err, uint32_t key_no, const uint8_t *key,
		    void *arg)
{
	struct orphan *o = arg;

	(void)key_no;
	if (err == ENOENT) {
		o->reason = "its key is missing";
		remove_orphan(o);
		return;
	}
	if (err) {
		log_error("recovery: recording %s: key %u: %m",
			  o->recording_id, o->key_no, err);
		next_orphan();
		return;
	}

	memcpy(o->key, key, sizeof(o->key));
	err = worker_submit(rv.app->workers, salvage_work, salvage_done, o);
	if (err) {
		sodium_memzero(o->key, sizeof(o->key));
		next_orphan();
	}
}


static void next_orphan(void)
{
	struct orphan *o;
	int err;

	/* shutting down: the rest waits for the next start */
	if (rv.next >= rv.n || rv.app->stopping) {
		finished();
		return;
	}

	o = &rv.v[rv.next++];
	if (!o->path[0]) {
		o->reason = "its path is not one the server makes";
		remove_orphan(o);
		return;
	}

	err = rec_key_get(o->tenant_id, o->key_no, key_got, o);
	if (err) {
		log_error("recovery: recording %s: %m", o->recording_id,
			  err);
		next_orphan();
	}
}


static void orphan_fill(struct orphan *o, const struct db_res *res,
			unsigned row)
{
	str_ncpy(o->recording_id, db_val(res, 0, row, 0),
		 sizeof(o->recording_id));
	str_ncpy(o->tenant_id, db_val(res, 0, row, 1), sizeof(o->tenant_id));
	str_ncpy(o->call_id, db_val(res, 0, row, 2), sizeof(o->call_id));
	str_ncpy(o->rel, db_val(res, 0, row, 3), sizeof(o->rel));
	o->key_no = (uint32_t)strtoul(db_val(res, 0, row, 4), NULL, 10);
	o->bitrate = (uint32_t)strtoul(db_val(res, 0, row, 5), NULL, 10);
	/* a bitrate stored in bit/s rather than kbit/s */
	if (o->bitrate >= 1000)
		o->bitrate /= 1000;
	if (rec_store_abs(o->path, sizeof(o->path), o->rel))
		o->path[0] = '\0';
}


static void orphans_read(int err, const struct db_res *res, void *arg)
{
	unsigned n;

	(void)arg;
	if (err) {
		log_error("recovery: reading unfinished recordings: %m", err);
		return;
	}

	n = db_nrows(res, 0);
	if (!n)
		return;

	rv.v = calloc(n, sizeof(*rv.v));  /* ccheck: foreign */
	if (!rv.v)
		return;
	for (unsigned i = 0; i < n; i++)
		orphan_fill(&rv.v[i], res, i);
	rv.n = n;
	rv.next = 0;
	log_info("recovery: %u recording(s) unfinished by a crash", n);
	next_orphan();
}


/**
 * Find the recordings a crash left unfinished and settle each one.
 *
 * @param boot_ts the database's time when this process started: rows
 *                made since then belong to calls of this process
 */
void rec_recover_start(struct app *app, const char *boot_ts)
{
	const char *pv[1] = {boot_ts};
	int err;

	rv.app = app;
	/* without a directory (a unit test of the keys) nothing resolves:
	 * every row would look foreign */
	if (rv.v || !rec_store_dir()[0])
		return;

	err = db_query(app->db, &op_ctx, orphans_read, NULL,
		       "SELECT recording_id::text, tenant_id::text,"
		       " call_id::text, path, key_no::text, bitrate::text"
		       " FROM recordings WHERE status = 'recording'"
		       " AND created_at < $1::timestamptz"
		       " ORDER BY created_at", 1, pv);
	if (err)
		log_error("recovery: reading unfinished recordings: %m", err);
}
