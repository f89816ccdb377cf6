/* POST /api/v1/prompts: an uploaded file becomes a prompt, or nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#define LOG_MODULE "prompt"
#include "log/log.h"
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/api.h"
#include "worker/worker.h"
#include "prompt/prompt_codec.h"
#include "prompt/prompt_int.h"

/*
 * An upload goes through three steps, and a refusal at any of them
 * leaves neither a row nor a file:
 *   1. worker: decode the body, write <dir>/.upload-<prompt_id>.wav
 *   2. loop: insert the row and its audit entry in one transaction
 *   3. loop: rename the temporary file into place, or remove it
 * The upload object holds the request by reference but does not depend
 * on it: a client that leaves midway still gets its file cleaned up or
 * its committed row completed.
 */

struct upload {
	struct http_req *req;        /**< (ref) */
	struct app *app;             /**< (borrowed) outlives every job */
	struct mbuf *body;           /**< (ref) until decoded */
	char tenant_id[UUID_STRLEN];
	char prompt_id[UUID_STRLEN];
	char created_by[UUID_STRLEN];
	char *name;                  /**< (own) */
	unsigned max_seconds;
	char tmp[PROMPT_PATH_MAX];
	char path[PROMPT_PATH_MAX];
	struct prompt_audio *pa;     /**< (ref) after decoding */
	bool tmp_written;
};

static const char *const ctypes[] = {
	"audio/", "application/octet-stream", NULL
};


static void destructor(void *arg)
{
	struct upload *u = arg;

	/* whatever did not reach its place goes */
	if (u->tmp_written)
		(void)unlink(u->tmp);

	mem_deref(u->req);
	mem_deref(u->body);
	mem_deref(u->name);
	mem_deref(u->pa);
}


static int mkdir_one(const char *path)
{
	return mkdir(path, 0750) && errno != EEXIST ? errno : 0;
}


static int upload_work(void *arg)
{
	struct upload *u = arg;
	char dir[PROMPT_PATH_MAX];
	int err;

	err = prompt_decode(&u->pa, u->body->buf, u->body->end,
			    u->max_seconds);
	if (err)
		return err;

	(void)re_snprintf(dir, sizeof(dir), "%s/prompts", u->app->cfg.var_dir);
	err = mkdir_one(dir);
	err = err ? err : prompt_path(dir, sizeof(dir), u->app, u->tenant_id,
				      NULL);
	err = err ? err : mkdir_one(dir);
	if (err)
		return err;

	err = prompt_wav_write(u->tmp, u->pa->s, u->pa->n);
	if (!err)
		u->tmp_written = true;

	return err;
}


/* Move the file into place once its row is committed. */
static void upload_commit(struct upload *u, const struct db_res *res)
{
	const char *j = db_val(res, 0, 0, 0);

	if (rename(u->tmp, u->path)) {
		int err = errno;
		const char *pv[1] = {u->prompt_id};
		struct db_ctx ctx = {DB_TENANT, u->tenant_id};

		log_error("prompt %s: rename into place: %m", u->prompt_id,
			  err);
		/* a row without a file would be a prompt that never plays */
		(void)db_query(u->app->db, &ctx, NULL, NULL,
			       "DELETE FROM prompts WHERE prompt_id = $1",
			       1, pv);
		http_reply_error(u->req, err);
		return;
	}

	u->tmp_written = false;
	if (j)
		http_reply_raw(u->req, 201, "application/json", j, strlen(j));
	else
		http_reply_error(u->req, EPROTO);
}


static void insert_done(int err, const struct db_res *res, void *arg)
{
	struct upload *u = arg;

	if (err == EEXIST)
		http_reply_problem(u->req, 409, "conflict",
				   "Another prompt already has this name.");
	else if (err)
		http_reply_error(u->req, err);
	else
		upload_commit(u, res);

	mem_deref(u);
}


static char *audit_detail(const struct upload *u)
{
	json_t *d = json_pack("{s:s, s:i, s:s}", "name", u->name,
			      "duration_ms", (int)prompt_audio_ms(u->pa),
			      "original_format", u->pa->format);
	char *s = d ? json_dumps(d, JSON_COMPACT) : NULL;
	char *out = NULL;

	json_decref(d);
	(void)str_dup(&out, s ? s : "{}");
	free(s);  /* ccheck: foreign */

	return out;
}


static int insert(struct upload *u)
{
	static const char sql[] =
		"INSERT INTO prompts AS p (prompt_id, tenant_id, name,"
		" duration_ms, size_bytes, original_format, sample_rate_in,"
		" channels_in, created_by) VALUES ($1, $2, $3, $4::int,"
		" $5::bigint, $6, $7::int, $8::int, NULLIF($9, '')::uuid)"
		" RETURNING " PROMPT_JSON;
	struct api_audit_what w = {u->tenant_id, "prompt.create", "prompt",
				   u->prompt_id, NULL};
	struct db_ctx ctx = {DB_TENANT, u->tenant_id};
	char ms[16], size[24], rate[16], ch[16];
	struct db_txn *tx = NULL;
	const char *pv[9];
	char *detail;
	int err;

	(void)re_snprintf(ms, sizeof(ms), "%u", prompt_audio_ms(u->pa));
	(void)re_snprintf(size, sizeof(size), "%zu", 44 + u->pa->n * 2);
	(void)re_snprintf(rate, sizeof(rate), "%u", u->pa->srate_in);
	(void)re_snprintf(ch, sizeof(ch), "%u", u->pa->channels_in);
	pv[0] = u->prompt_id;
	pv[1] = u->tenant_id;
	pv[2] = u->name;
	pv[3] = ms;
	pv[4] = size;
	pv[5] = u->pa->format;
	pv[6] = rate;
	pv[7] = ch;
	pv[8] = u->created_by;

	detail = audit_detail(u);
	w.detail_sql = detail;
	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, u->req, sql, 9, pv, &w);
	mem_deref(detail);
	if (err) {
		mem_deref(tx);
		return err;
	}

	return db_txn_exec(u->app->db, tx, insert_done, u);
}


static void upload_done(int err, void *arg)
{
	struct upload *u = arg;

	u->body = mem_deref(u->body);

	/* nobody is waiting for it: the destructor removes the file */
	if (http_req_gone(u->req))
		goto out;

	if (err) {
		prompt_reply_decode_error(u->req, err, u->max_seconds);
		goto out;
	}

	err = insert(u);
	if (!err)
		return;   /* insert_done owns u now */

	http_reply_error(u->req, err);

 out:
	mem_deref(u);
}


static bool ctype_ok(const char *ct)
{
	if (!ct || !ct[0])
		return true;     /* sniffed like application/octet-stream */

	for (size_t i = 0; ctypes[i]; i++) {
		if (!strncasecmp(ct, ctypes[i], strlen(ctypes[i])))
			return true;
	}

	return false;
}


/* Check what can be checked before decoding; reply if refused. */
static bool request_ok(struct http_req *req, const char *name)
{
	if (!ctype_ok(http_req_header(req, "content-type"))) {
		http_reply_problem(req, 415, "unsupported_media_type",
				   "Send the audio file itself as the body, "
				   "as audio/wav, audio/mpeg or "
				   "application/octet-stream.");
		return false;
	}

	if (!name) {
		api_reply_invalid(req, "name", "required",
				  "give the prompt a name: ?name=...");
		return false;
	}
	if (!prompt_name_ok(name)) {
		api_reply_invalid(req, "name", "length",
				  "must be 1 to 64 characters without "
				  "leading or trailing spaces or control "
				  "characters");
		return false;
	}

	return true;
}


/** POST /api/v1/prompts?name=... with the audio file as the body. */
void prompt_upload(struct http_req *req)
{
	const struct principal *p = http_req_principal(req);
	const char *name = http_req_query(req, "name");
	struct app *app = http_req_app(req);
	struct upload *u;
	int err;

	if (!request_ok(req, name))
		return;

	u = mem_zalloc(sizeof(*u), destructor);
	if (!u) {
		http_reply_error(req, ENOMEM);
		return;
	}

	u->req = mem_ref(req);
	u->app = app;
	u->max_seconds = app->cfg.prompt_max_seconds;
	u->body = http_req_body_take(req);
	str_ncpy(u->tenant_id, p->tenant_id, sizeof(u->tenant_id));
	if (p->kind == PRINCIPAL_USER)
		str_ncpy(u->created_by, p->id, sizeof(u->created_by));
	uuid_v4(u->prompt_id);

	if (!u->body || !u->body->end) {
		prompt_reply_decode_error(req, ENODATA, 0);
		goto out;
	}

	err = str_dup(&u->name, name);
	err = err ? err : prompt_path(u->path, sizeof(u->path), app,
				      u->tenant_id, u->prompt_id);
	if (!err && re_snprintf(u->tmp, sizeof(u->tmp), "%s/prompts/%s/"
				".upload-%s.wav", app->cfg.var_dir,
				u->tenant_id, u->prompt_id) < 0)
		err = ENAMETOOLONG;
	err = err ? err : worker_submit(app->workers, upload_work,
					upload_done, u);
	if (!err)
		return;

	http_reply_error(req, err);

 out:
	mem_deref(u);
}
