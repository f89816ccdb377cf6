/* /api/v1/voicemail/messages: the inbox; list, listen, mark, delete. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/principal.h"
#include "http/api.h"
#include "http/param.h"
#include "worker/worker.h"
#include "voicemail/voicemail.h"
#include "voicemail/vm_int.h"

/* A message as JSON (aliases m: the message, b: its box). */
#define MSG_JSON \
	"json_build_object('message_id', m.message_id, 'box_id', m.box_id," \
	" 'box_name', b.name, 'call_id', m.call_id, 'caller', m.caller," \
	" 'number', m.number, 'duration_ms', m.duration_ms," \
	" 'size_bytes', m.size_bytes, 'status', m.status," \
	" 'created_at', m.created_at, 'read_at', m.read_at)"

/* Larger than any message voicemail_max_seconds allows */
#define AUDIO_MAX (64u * 1024 * 1024)

static const char *const statuses[] = {"unread", "read", NULL};

static const struct param update_params[] = {
	{"status", PARAM_ENUM, true, 0, 0, statuses, false},
};

/* An audio file being read on the worker pool for a request. */
struct audio {
	struct http_req *req;          /**< (ref) */
	char path[600];
	char fname[96];                /**< Content-Disposition value */
	uint8_t *buf;                  /**< (own) cap bytes */
	size_t cap;
	size_t len;                    /**< bytes read (worker) */
};


static void audio_destructor(void *arg)
{
	struct audio *a = arg;

	mem_deref(a->req);
	mem_deref(a->buf);
}


/* A time filter: an ISO 8601 date or time; reply 400 if not. */
static bool time_ok(struct http_req *req, const char *name)
{
	const char *v = http_req_query(req, name);
	size_t n = v ? strlen(v) : 0;

	if (!v)
		return true;

	if (n >= 10 && n <= 35 && v[4] == '-' && v[7] == '-' &&
	    strspn(v, "0123456789") == 4 &&
	    strspn(v, "0123456789-T:.+Z ") == n)
		return true;

	api_reply_invalid(req, name, "format",
			  "must be an ISO 8601 time such as "
			  "2026-11-25T08:00:00Z");
	return false;
}


static bool filters_ok(struct http_req *req)
{
	const char *box = http_req_query(req, "box_id");
	const char *status = http_req_query(req, "status");

	if (box && !api_uuid_ok(box)) {
		api_reply_invalid(req, "box_id", "format",
				  "must be a box id (UUID)");
		return false;
	}
	if (status && strcmp(status, "unread") && strcmp(status, "read")) {
		api_reply_invalid(req, "status", "enum",
				  "must be one of unread, read");
		return false;
	}

	return time_ok(req, "from") && time_ok(req, "to");
}


static void msg_list(struct http_req *req)
{
	static const char sql[] =
		"SELECT " MSG_JSON ", m.created_at::text, m.message_id::text"
		" FROM voicemail_messages m JOIN voicemail_boxes b"
		" ON b.box_id = m.box_id WHERE m.deleted_at IS NULL"
		" AND ($1::uuid IS NULL OR m.box_id = $1::uuid)"
		" AND ($2::text IS NULL OR m.status = $2)"
		" AND ($3::timestamptz IS NULL OR m.created_at >= $3)"
		" AND ($4::timestamptz IS NULL OR m.created_at < $4)"
		" AND ($5::timestamptz IS NULL OR (m.created_at,"
		" m.message_id) < ($5::timestamptz, $6::uuid))"
		" ORDER BY m.created_at DESC, m.message_id DESC"
		" LIMIT $7::int + 1";
	struct db_ctx ctx = api_ctx(req);
	const char *pv[7];
	unsigned limit;
	char ts[64], id[64], lim[16];

	if (api_page_args(req, &limit, ts, sizeof(ts), id, sizeof(id)) ||
	    !filters_ok(req))
		return;

	(void)re_snprintf(lim, sizeof(lim), "%u", limit);
	pv[0] = http_req_query(req, "box_id");
	pv[1] = http_req_query(req, "status");
	pv[2] = http_req_query(req, "from");
	pv[3] = http_req_query(req, "to");
	pv[4] = ts[0] ? ts : NULL;
	pv[5] = id[0] ? id : NULL;
	pv[6] = lim;

	api_query(req, &ctx, sql, 7, pv, api_page_done);
}


static void msg_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT " MSG_JSON " FROM voicemail_messages m"
		" JOIN voicemail_boxes b ON b.box_id = m.box_id"
		" WHERE m.message_id = $1 AND m.deleted_at IS NULL";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "message_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, api_row_200);
}


/* Worker thread: read the whole file into the buffer made for it. */
static int audio_read(void *arg)
{
	struct audio *a = arg;
	struct stat st;
	int fd, err = 0;

	fd = open(a->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;

	if (fstat(fd, &st))
		err = errno;
	else if ((uint64_t)st.st_size > a->cap)
		err = EFBIG;

	while (!err && a->len < (size_t)st.st_size) {
		ssize_t n = read(fd, a->buf + a->len,
				 (size_t)st.st_size - a->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		a->len += (size_t)n;
	}

	(void)close(fd);

	return err;
}


static void audio_done(int err, void *arg)
{
	struct audio *a = arg;
	struct http_req *req = a->req;

	if (http_req_gone(req))
		goto out;

	if (err == ENOENT || err == EFBIG) {
		http_reply_problem(req, 404, "audio_missing",
				   "The message's audio file is missing or "
				   "damaged on the server.");
	}
	else if (err) {
		http_reply_error(req, err);
	}
	else {
		http_reply_header(req, "content-disposition", a->fname);
		http_reply_raw(req, 200, "audio/mpeg", (const char *)a->buf,
			       a->len);
	}

 out:
	mem_deref(a);
}


/* Only characters safe in a quoted filename, whatever the caller sent. */
static void fname_set(struct audio *a, const char *caller, const char *ts)
{
	char c[33];
	size_t n = 0;

	for (; caller && *caller && n < sizeof(c) - 1; caller++) {
		char ch = *caller;

		if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || ch == '+' || ch == '-' ||
		    ch == '_')
			c[n++] = ch;
	}
	c[n] = '\0';

	(void)re_snprintf(a->fname, sizeof(a->fname),
			  "attachment; filename=\"voicemail-%s-%s.mp3\"",
			  n ? c : "unknown", ts);
}


static void audio_row(struct http_req *req, const struct db_res *res)
{
	struct app *app = http_req_app(req);
	const char *tenant_id = http_req_principal(req)->tenant_id;
	const char *id = http_req_param(req, "message_id");
	struct audio *a;
	int err;

	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	a = mem_zalloc(sizeof(*a), audio_destructor);
	if (!a) {
		http_reply_error(req, ENOMEM);
		return;
	}

	a->req = mem_ref(req);
	a->cap = strtoul(db_val(res, 0, 0, 0), NULL, 10);
	if (a->cap > AUDIO_MAX)
		a->cap = AUDIO_MAX;
	fname_set(a, db_val(res, 0, 0, 1), db_val(res, 0, 0, 2));

	err = vm_path(a->path, sizeof(a->path), &app->cfg, tenant_id, id);
	if (!err && !(a->buf = mem_alloc(a->cap ? a->cap : 1, NULL)))
		err = ENOMEM;
	err = err ? err : worker_submit(app->workers, audio_read,
					audio_done, a);
	if (err) {
		mem_deref(a);
		http_reply_error(req, err);
	}
}


static void msg_audio(struct http_req *req)
{
	static const char sql[] =
		"SELECT size_bytes, caller, to_char(created_at AT TIME ZONE"
		" 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"')"
		" FROM voicemail_messages"
		" WHERE message_id = $1 AND deleted_at IS NULL";
	struct db_ctx ctx = api_ctx(req);
	const char *id = api_path_uuid(req, "message_id");

	if (id)
		api_query(req, &ctx, sql, 1, &id, audio_row);
}


static void msg_update(struct http_req *req)
{
	static const char sql[] =
		"UPDATE voicemail_messages m SET status = $2,"
		" read_at = CASE WHEN $2 = 'read'"
		" THEN COALESCE(m.read_at, now()) END"
		" FROM voicemail_boxes b WHERE m.message_id = $1"
		" AND m.deleted_at IS NULL AND b.box_id = m.box_id"
		" RETURNING " MSG_JSON;
	const char *tenant_id = http_req_principal(req)->tenant_id;
	const char *id = api_path_uuid(req, "message_id");
	const char *status = api_str(req, "status");
	struct api_audit_what w = {tenant_id, "voicemail_message.update",
				   "voicemail_message", id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	const char *pv[2];
	int err;

	if (!id)
		return;

	pv[0] = id;
	pv[1] = status;
	w.detail_sql = !strcmp(status, "read") ? "{\"status\":\"read\"}" :
		"{\"status\":\"unread\"}";

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 2, pv, &w);
	api_txn_run(req, tx, err, api_row_200);
}


static void deleted(struct http_req *req, const struct db_res *res)
{
	const char *id = http_req_param(req, "message_id");

	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	http_reply_empty(req, 204);
	vm_unlink_async(http_req_app(req),
			http_req_principal(req)->tenant_id, &id, 1);
}


static void msg_delete(struct http_req *req)
{
	static const char sql[] =
		"UPDATE voicemail_messages SET deleted_at = now()"
		" WHERE message_id = $1 AND deleted_at IS NULL"
		" RETURNING message_id";
	const char *tenant_id = http_req_principal(req)->tenant_id;
	const char *id = api_path_uuid(req, "message_id");
	struct api_audit_what w = {tenant_id, "voicemail_message.delete",
				   "voicemail_message", id, NULL};
	struct db_ctx ctx = api_ctx(req);
	struct db_txn *tx = NULL;
	int err;

	if (!id)
		return;

	err = db_txn_alloc(&tx, &ctx);
	err = err ? err : api_audit_change(tx, req, sql, 1, &id, &w);
	api_txn_run(req, tx, err, deleted);
}


static const struct http_route routes[] = {
	{"GET", "/api/v1/voicemail/messages", HTTP_TENANT, ROLE_SUPERVISOR,
	 NULL, 0, msg_list},
	{"GET", "/api/v1/voicemail/messages/{message_id}", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, msg_get},
	{"GET", "/api/v1/voicemail/messages/{message_id}/audio",
	 HTTP_TENANT, ROLE_SUPERVISOR, NULL, 0, msg_audio},
	{"PATCH", "/api/v1/voicemail/messages/{message_id}", HTTP_TENANT,
	 ROLE_SUPERVISOR, update_params, ARRAY_SIZE(update_params),
	 msg_update},
	{"DELETE", "/api/v1/voicemail/messages/{message_id}", HTTP_TENANT,
	 ROLE_SUPERVISOR, NULL, 0, msg_delete},
};


/** Register the voicemail messages API. */
int vm_msg_api_init(void)
{
	return http_routes_add(routes, ARRAY_SIZE(routes));
}


/** Register the voicemail APIs (boxes and messages). */
int voicemail_api_init(void)
{
	int err = vm_box_api_init();

	return err ? err : vm_msg_api_init();
}
