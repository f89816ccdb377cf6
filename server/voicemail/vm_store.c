/* Where messages live on disk, and finding a box for the call engine. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#define LOG_MODULE "voicemail"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "http/param.h"
#include "worker/worker.h"
#include "voicemail/voicemail.h"
#include "voicemail/vm_int.h"


/**
 * The folder of a tenant's messages: <var_dir>/voicemail/<tenant_id>.
 *
 * @return 0 if success, EINVAL for a tenant id that is not a UUID
 */
int vm_dir(char *buf, size_t sz, const struct cfg *cfg,
	   const char *tenant_id)
{
	if (!param_uuid_ok(tenant_id))
		return EINVAL;

	return re_snprintf(buf, sz, "%s/voicemail/%s", cfg->var_dir,
			   tenant_id) < 0 ? ENAMETOOLONG : 0;
}


/**
 * The audio file of a message. Both ids must be UUIDs, so a path built
 * from them never leaves the voicemail folder.
 *
 * @return 0 if success, otherwise errorcode
 */
int vm_path(char *buf, size_t sz, const struct cfg *cfg,
	    const char *tenant_id, const char *message_id)
{
	if (!param_uuid_ok(tenant_id) || !param_uuid_ok(message_id))
		return EINVAL;

	return re_snprintf(buf, sz, "%s/voicemail/%s/%s.mp3", cfg->var_dir,
			   tenant_id, message_id) < 0 ? ENAMETOOLONG : 0;
}


/**
 * Create a folder and its parents (mode 0750). Blocking: worker only.
 *
 * @return 0 if success (also when it exists), otherwise errno
 */
int vm_mkdirs(const char *dir)
{
	char p[600];
	size_t n = strlen(dir);

	if (!n || n >= sizeof(p))
		return ENAMETOOLONG;

	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;

		p[i] = '\0';
		if (mkdir(p, 0750) && errno != EEXIST)
			return errno;
		p[i] = i < n ? '/' : '\0';
	}

	return 0;
}


/* Files to remove off the loop: NUL-separated paths in one buffer. */
struct unlink_job {
	struct mbuf *paths;          /**< (own) */
};


static void unlink_destructor(void *arg)
{
	struct unlink_job *u = arg;

	mem_deref(u->paths);
}


/* Worker thread: reads the buffer, calls no libre function. */
static int unlink_work(void *arg)
{
	struct unlink_job *u = arg;
	const char *p = (const char *)u->paths->buf;
	const char *end = p + u->paths->end;
	int err = 0;

	for (; p < end; p += strlen(p) + 1) {
		if (unlink(p) && errno != ENOENT)
			err = errno;
	}

	return err;
}


static void unlink_done(int err, void *arg)
{
	if (err && err != ECANCELED)
		log_warn("removing voicemail files: %m", err);

	mem_deref(arg);
}


/**
 * Remove message files in the background; a missing file is fine.
 * Failures are logged, never reported.
 */
void vm_unlink_async(struct app *app, const char *tenant_id,
		     const char *const *message_ids, unsigned n)
{
	struct unlink_job *u;
	char path[600];
	int err = 0;

	if (!n)
		return;

	u = mem_zalloc(sizeof(*u), unlink_destructor);
	if (!u || !(u->paths = mbuf_alloc(64 * n))) {
		err = ENOMEM;
		goto out;
	}

	for (unsigned i = 0; !err && i < n; i++) {
		err = vm_path(path, sizeof(path), &app->cfg, tenant_id,
			      message_ids[i]);
		err = err ? err : mbuf_write_mem(u->paths,
						 (const uint8_t *)path,
						 strlen(path) + 1);
	}

	err = err ? err : worker_submit(app->workers, unlink_work,
					unlink_done, u);
 out:
	if (err) {
		log_warn("voicemail files of tenant %s not removed: %m",
			 tenant_id, err);
		mem_deref(u);
	}
}


/* A box lookup waiting for the database. */
struct find {
	struct app *app;             /**< (borrowed) outlives its jobs */
	voicemail_box_h *h;
	void *arg;
};


static void find_done(int err, const struct db_res *res, void *arg)
{
	struct find *f = arg;
	struct voicemail_box box;
	const char *ms;

	memset(&box, 0, sizeof(box));
	if (!err && db_nrows(res, 0) < 1)
		err = ENOENT;
	if (err) {
		f->h(err, NULL, f->arg);
		goto out;
	}

	str_ncpy(box.box_id, db_val(res, 0, 0, 0), sizeof(box.box_id));
	str_ncpy(box.name, db_val(res, 0, 0, 1), sizeof(box.name));
	str_ncpy(box.greeting, db_val(res, 0, 0, 2), sizeof(box.greeting));
	ms = db_val(res, 0, 0, 3);
	box.max_ms = 1000 * (ms ? (uint32_t)strtoul(ms, NULL, 10) :
			     f->app->cfg.voicemail_max_seconds);
	f->h(0, &box, f->arg);

 out:
	mem_deref(f);
}


/**
 * Look a box up by name or id, for the call engine's voicemail node.
 * The handler gets the greeting to play (VOICEMAIL_GREETING_DEFAULT when
 * the box names none) and the longest message in ms (the box's
 * max_seconds, else voicemail_max_seconds). It is called exactly once,
 * on the loop: with ENOENT when the tenant has no such box.
 *
 * @param app        The process
 * @param tenant_id  Tenant whose box it is
 * @param box        Box name or box_id
 * @param h          Result handler
 * @param arg        Handler argument (not referenced)
 *
 * @return 0 if success, otherwise errorcode (h is not called)
 */
int voicemail_box_find(struct app *app, const char *tenant_id,
		       const char *box, voicemail_box_h *h, void *arg)
{
	static const char sql[] =
		"SELECT box_id, name, COALESCE(greeting, '"
		VOICEMAIL_GREETING_DEFAULT "'), max_seconds"
		" FROM voicemail_boxes WHERE tenant_id = $1"
		" AND CASE WHEN $2::uuid IS NOT NULL THEN box_id = $2::uuid"
		" ELSE name = $3 END";
	struct db_ctx ctx = {DB_TENANT, tenant_id};
	const char *pv[3];
	struct find *f;
	int err;

	if (!app || !param_uuid_ok(tenant_id) || !box || !*box || !h)
		return EINVAL;

	f = mem_zalloc(sizeof(*f), NULL);
	if (!f)
		return ENOMEM;

	f->app = app;
	f->h = h;
	f->arg = arg;
	pv[0] = tenant_id;
	pv[1] = param_uuid_ok(box) ? box : NULL;
	pv[2] = box;
	err = db_query(app->db, &ctx, find_done, f, sql, 3, pv);
	if (err)
		mem_deref(f);

	return err;
}
