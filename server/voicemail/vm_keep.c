/* Keeping a recorded message: encode off the loop, store, announce. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#define LOG_MODULE "voicemail"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "event/event.h"
#include "http/param.h"
#include "worker/worker.h"
#include "voicemail/voicemail.h"
#include "voicemail/vm_int.h"

/*
 * A message goes through three steps, each finishing on the loop:
 *   encode  (worker) WAV -> <message_id>.mp3, then the WAV is removed;
 *   insert  (db)     the row, into the box named by name or id;
 *   publish          voicemail.recorded, then the caller's handler.
 * When the insert fails the MP3 is removed again (worker) before the
 * handler hears of it, so a failed keep leaves neither row nor file.
 */

#define MESSAGE_JSON \
	"json_build_object('message_id', message_id, 'box_id', box_id," \
	" 'call_id', call_id, 'caller', caller, 'number', number," \
	" 'duration_ms', duration_ms, 'size_bytes', size_bytes," \
	" 'status', status, 'created_at', created_at)"

struct keep {
	struct app *app;                  /**< (borrowed) outlives jobs */
	char tenant_id[UUID_STRLEN];
	char message_id[UUID_STRLEN];
	char *box;                        /**< (own) */
	char *call_id;                    /**< (own) NULL: none */
	char *caller;                     /**< (own) */
	char *number;                     /**< (own) */
	char *wav;                        /**< (own) */
	char dir[512];
	char mp3[600];
	uint32_t trim_ms;
	uint32_t rec_ms;                  /**< the recorder's count */
	struct vm_audio audio;            /**< written by the worker */
	int err;                          /**< why the MP3 is removed */
	voicemail_kept_h *h;
	void *arg;                        /**< (borrowed) */
};


static void destructor(void *arg)
{
	struct keep *k = arg;

	mem_deref(k->box);
	mem_deref(k->call_id);
	mem_deref(k->caller);
	mem_deref(k->number);
	mem_deref(k->wav);
}


static void finish(struct keep *k, int err)
{
	if (k->h)
		k->h(err, err ? NULL : k->message_id, k->arg);

	mem_deref(k);
}


/* Worker thread: the recording is consumed whatever happens. */
static int encode_work(void *arg)
{
	struct keep *k = arg;
	int err;

	err = vm_mkdirs(k->dir);
	if (err)
		(void)re_snprintf(k->audio.error, sizeof(k->audio.error),
				  "creating %s: %s", k->dir, strerror(err));
	else
		err = vm_encode_mp3(k->wav, k->mp3, k->trim_ms, VM_MIN_MS,
				    &k->audio);

	(void)unlink(k->wav);

	return err;
}


static int remove_work(void *arg)
{
	struct keep *k = arg;

	return unlink(k->mp3) && errno != ENOENT ? errno : 0;
}


static void removed(int err, void *arg)
{
	struct keep *k = arg;

	if (err && err != ECANCELED)
		log_warn("%s left behind: %m", k->mp3, err);

	finish(k, k->err);
}


/* The message could not be stored: take its file back, then report. */
static void unkeep(struct keep *k, int err)
{
	k->err = err;
	if (worker_submit(k->app->workers, remove_work, removed, k)) {
		log_warn("%s left behind: worker pool unavailable", k->mp3);
		finish(k, err);
	}
}


static void publish(struct keep *k, const char *json)
{
	json_t *data = json_loads(json, 0, NULL);

	if (!data) {
		log_warn("voicemail.recorded for %s not published",
			 k->message_id);
		return;
	}

	(void)event_publish(k->tenant_id, "voicemail.recorded", data);
}


static void inserted(int err, const struct db_res *res, void *arg)
{
	struct keep *k = arg;
	struct log_ctx lc = {k->tenant_id, NULL, k->call_id};

	if (!err && db_nrows(res, 0) < 1)
		err = ENOENT;
	if (err) {
		log_write(LOG_LVL_ERROR, LOG_MODULE, &lc, "message from %s "
			  "for box '%s' not stored: %s", k->caller, k->box,
			  err == ENOENT ? "the tenant has no such box" :
			  strerror(err));
		unkeep(k, err);
		return;
	}

	log_write(LOG_LVL_INFO, LOG_MODULE, &lc, "message %s from %s kept "
		  "in box '%s' (%u ms, %llu bytes)", k->message_id, k->caller,
		  k->box, k->audio.duration_ms,
		  (unsigned long long)k->audio.size_bytes);
	publish(k, db_val(res, 0, 0, 0));
	finish(k, 0);
}


static int insert(struct keep *k)
{
	static const char sql[] =
		"INSERT INTO voicemail_messages (message_id, tenant_id,"
		" box_id, call_id, caller, number, duration_ms, size_bytes)"
		" SELECT $1, tenant_id, box_id, $4::uuid, left($5, 128),"
		" left($6, 64), $7::int, $8::bigint FROM voicemail_boxes"
		" WHERE tenant_id = $2 AND CASE WHEN $9::uuid IS NOT NULL"
		" THEN box_id = $9::uuid ELSE name = $3 END"
		" RETURNING " MESSAGE_JSON;
	struct db_ctx ctx = {DB_TENANT, k->tenant_id};
	char dur[16], size[24];
	const char *pv[9];

	(void)re_snprintf(dur, sizeof(dur), "%u", k->audio.duration_ms);
	(void)re_snprintf(size, sizeof(size), "%llu",
			  (unsigned long long)k->audio.size_bytes);
	pv[0] = k->message_id;
	pv[1] = k->tenant_id;
	pv[2] = k->box;
	pv[3] = k->call_id;
	pv[4] = k->caller;
	pv[5] = k->number;
	pv[6] = dur;
	pv[7] = size;
	pv[8] = param_uuid_ok(k->box) ? k->box : NULL;

	return db_query(k->app->db, &ctx, inserted, k, sql, 9, pv);
}


static void encoded(int err, void *arg)
{
	struct keep *k = arg;
	struct log_ctx lc = {k->tenant_id, NULL, k->call_id};

	if (err == ENODATA) {
		log_write(LOG_LVL_INFO, LOG_MODULE, &lc, "message from %s "
			  "dropped: under %u ms of audio (recorded %u ms)",
			  k->caller, VM_MIN_MS, k->rec_ms);
		finish(k, err);
		return;
	}
	if (err) {
		if (k->audio.error[0])
			log_write(LOG_LVL_ERROR, LOG_MODULE, &lc, "message "
				  "from %s not kept: %s", k->caller,
				  k->audio.error);
		else
			log_write(LOG_LVL_ERROR, LOG_MODULE, &lc, "message "
				  "from %s not kept: %m", k->caller, err);
		finish(k, err);
		return;
	}

	err = insert(k);
	if (err) {
		log_write(LOG_LVL_ERROR, LOG_MODULE, &lc, "message from %s "
			  "not stored: %m", k->caller, err);
		unkeep(k, err);
	}
}


static int keep_alloc(struct keep **kp, struct app *app,
		      const struct voicemail_new *m)
{
	struct keep *k;
	int err;

	k = mem_zalloc(sizeof(*k), destructor);
	if (!k)
		return ENOMEM;

	k->app = app;
	k->trim_ms = m->trim_ms;
	k->rec_ms = m->duration_ms;
	str_ncpy(k->tenant_id, m->tenant_id, sizeof(k->tenant_id));
	uuid_v4(k->message_id);

	err = str_dup(&k->box, m->box);
	err = err ? err : str_dup(&k->caller, m->caller ? m->caller : "");
	err = err ? err : str_dup(&k->number, m->number ? m->number : "");
	err = err ? err : str_dup(&k->wav, m->wav_path);
	if (!err && m->call_id)
		err = str_dup(&k->call_id, m->call_id);
	err = err ? err : vm_dir(k->dir, sizeof(k->dir), &app->cfg,
				 k->tenant_id);
	err = err ? err : vm_path(k->mp3, sizeof(k->mp3), &app->cfg,
				  k->tenant_id, k->message_id);
	if (err)
		mem_deref(k);
	else
		*kp = k;

	return err;
}


/**
 * Keep a caller's recording as a new unread message in a box. The WAV
 * is taken over: once this returns 0 it is removed whatever the outcome
 * (after encoding, or at once when it is unusable). On success the MP3
 * is <var_dir>/voicemail/<tenant_id>/<message_id>.mp3, the row is
 * written and `voicemail.recorded` is published (message_id, box_id,
 * call_id, caller, number, duration_ms, size_bytes, status, created_at).
 *
 * @param app  The process (its worker pool, database and var_dir)
 * @param m    The recording; strings are copied
 * @param h    Called exactly once on the loop (also with ECANCELED at
 *             shutdown); may be NULL
 * @param arg  Handler argument, not referenced: keep it alive until h
 *
 * @return 0 if success, EINVAL for a bad tenant, box, call id or path,
 *         otherwise errorcode (h is not called, the WAV is left alone)
 */
int voicemail_keep(struct app *app, const struct voicemail_new *m,
		   voicemail_kept_h *h, void *arg)
{
	struct keep *k;
	int err;

	if (!app || !m || !param_uuid_ok(m->tenant_id) || !m->box ||
	    !*m->box || !m->wav_path || !*m->wav_path ||
	    (m->call_id && !param_uuid_ok(m->call_id)))
		return EINVAL;

	if (app->stopping)
		return ECANCELED;

	err = keep_alloc(&k, app, m);
	if (err)
		return err;

	k->h = h;
	k->arg = arg;
	err = worker_submit(app->workers, encode_work, encoded, k);
	if (err) {
		k->h = NULL;
		mem_deref(k);
	}

	return err;
}
