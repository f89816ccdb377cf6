/* A ticket's comments and attachments: POST /tickets/{id}/comments,
 * POST and GET /tickets/{id}/attachments. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "app.h"
#include "auth/principal.h"
#include "core/uuid.h"
#include "http/api.h"
#include "http/param.h"
#include "crm/ticket_int.h"

static const struct param comment_params[] = {
	{"body", PARAM_STRING, true, 1, 4000, NULL, false},
};

static char too_large_detail[128];


/* The reply is the new comment or attachment; the events (statement 0)
 * ticket.commented or ticket.updated. */
static void noted(struct http_req *req, const struct db_res *res)
{
	if (db_nrows(res, 1) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	api_reply_row(req, 201, res, 1);
	ticket_dispatch(http_req_principal(req)->tenant_id,
			db_val(res, 0, 0, 0));
}


static void note_run(struct http_req *req, const char *sql, unsigned n,
		     const char *const *pv, const char *action,
		     const char *detail, const char *reply_sql)
{
	struct api_audit_what w = {http_req_principal(req)->tenant_id,
				   action, "ticket", pv[0], detail};
	struct db_txn *tx = NULL;
	int err;

	err = ticket_begin(&tx, req, sql, n, pv, &w);
	err = err ? err : db_txn_add(tx, reply_sql, 1, &pv[1]);
	ticket_run(req, tx, err, noted);
}


static void comment_add(struct http_req *req)
{
	static const char sql[] =
		"SELECT ticket_comment($1, $2, $3, $4, $5, $6, $7::boolean)";
	static const char reply_sql[] =
		"SELECT json_build_object('comment_id', c.comment_id,"
		" 'ticket_id', c.ticket_id, 'author_id', c.author_id,"
		" 'author_name', c.author_name, 'body', c.body,"
		" 'created_at', c.created_at) FROM ticket_comments c"
		" WHERE c.comment_id = $1";
	const char *id = api_path_uuid(req, "ticket_id");
	char comment_id[UUID_STRLEN];
	struct ticket_actor a;
	char *detail;
	const char *pv[7];

	if (!id)
		return;

	detail = ticket_body_text(req);
	if (!detail) {
		http_reply_error(req, ENOMEM);
		return;
	}

	uuid_v4(comment_id);
	ticket_actor(req, &a);
	pv[0] = id;
	pv[1] = comment_id;
	pv[2] = api_str(req, "body");
	pv[3] = a.id;
	pv[4] = a.kind;
	pv[5] = a.name;
	pv[6] = a.agent;
	note_run(req, sql, 7, pv, "ticket.comment", detail, reply_sql);
	mem_deref(detail);
}


/* A file name as a browser would save it: one line, no path. */
static bool filename_ok(const char *f)
{
	size_t n = f ? strlen(f) : 0;

	if (n < 1 || n > 200 || !strcmp(f, ".") || !strcmp(f, ".."))
		return false;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)f[i];

		if (c < 0x20 || c == 0x7f || strchr("/\\\"", c))
			return false;
	}

	return true;
}


/* type/subtype of the token characters, parameters dropped. */
static bool ctype_read(char *buf, size_t sz, const char *ct)
{
	size_t n = ct ? strcspn(ct, ";") : 0;
	const char *slash;

	while (n && ct[n - 1] == ' ')
		--n;
	if (!n || n >= sz)
		return false;

	for (size_t i = 0; i < n; i++) {
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789!#$&^_.+-/", ct[i]))
			return false;
	}

	slash = memchr(ct, '/', n);
	if (!slash || slash == ct || slash == ct + n - 1 ||
	    memchr(slash + 1, '/', n - (size_t)(slash - ct) - 1))
		return false;

	(void)re_snprintf(buf, sz, "%b", ct, n);
	return true;
}


/* bytea input text: \x and two hex digits a byte. */
static char *hex_text(const struct mbuf *mb)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = mb ? mb->end : 0;
	char *s = mem_alloc(2 * n + 3, NULL);

	if (!s)
		return NULL;

	s[0] = '\\';
	s[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		s[2 + 2 * i] = hex[mb->buf[i] >> 4];
		s[3 + 2 * i] = hex[mb->buf[i] & 15];
	}
	s[2 + 2 * n] = '\0';

	return s;
}


static bool upload_args(struct http_req *req, const char **fnamep,
			char *ctype, size_t csz)
{
	*fnamep = http_req_query(req, "filename");
	if (!filename_ok(*fnamep)) {
		api_reply_invalid(req, "filename", "format", "give ?filename="
				  ": 1 to 200 characters, no path, quotes or "
				  "control characters");
		return false;
	}

	if (!ctype_read(ctype, csz, http_req_header(req, "content-type"))) {
		api_reply_invalid(req, "content-type", "format", "send the "
				  "file's media type, e.g. application/pdf");
		return false;
	}

	return true;
}


/* The raw body is the file; ?filename= names it, Content-Type types it.
 * Beyond the configured size the edge has replied 413 already. */
static void attachment_add(struct http_req *req)
{
	static const char sql[] =
		"SELECT ticket_attach($1, $2, $3, $4, $5::bytea, $6, $7, $8,"
		" $9::boolean)";
	static const char reply_sql[] =
		"SELECT json_build_object('attachment_id', a.attachment_id,"
		" 'ticket_id', a.ticket_id, 'filename', a.filename,"
		" 'content_type', a.content_type, 'size_bytes', a.size_bytes,"
		" 'sha256', a.sha256, 'created_by_name', a.created_by_name,"
		" 'created_at', a.created_at) FROM ticket_attachments a"
		" WHERE a.attachment_id = $1";
	const char *id = api_path_uuid(req, "ticket_id");
	char att_id[UUID_STRLEN], ctype[128];
	char *detail = NULL, *data = NULL;
	struct ticket_actor a;
	struct mbuf *mb = NULL;
	const char *pv[9];

	if (!id || !upload_args(req, &pv[2], ctype, sizeof(ctype)))
		return;

	mb = http_req_body_take(req);
	data = hex_text(mb);
	uuid_v4(att_id);
	ticket_actor(req, &a);
	if (!data || re_sdprintf(&detail, "{\"attachment_id\":\"%s\","
				 "\"size_bytes\":%zu}", att_id,
				 mb ? mb->end : 0)) {
		http_reply_error(req, ENOMEM);
		goto out;
	}

	pv[0] = id;
	pv[1] = att_id;
	pv[3] = ctype;
	pv[4] = data;
	pv[5] = a.id;
	pv[6] = a.kind;
	pv[7] = a.name;
	pv[8] = a.agent;
	note_run(req, sql, 9, pv, "ticket.attach", detail, reply_sql);

 out:
	mem_deref(detail);
	mem_deref(data);
	mem_deref(mb);
}


static unsigned nibble(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}


/* bytea output text (\x and lower-case hex) back into bytes, in place. */
static size_t hex_bytes(char *s)
{
	size_t n = strlen(s), i;

	if (n < 2 || s[0] != '\\' || s[1] != 'x')
		return 0;

	for (i = 0; 2 + 2 * i + 1 < n; i++)
		s[i] = (char)(nibble(s[2 + 2 * i]) << 4 |
			      nibble(s[3 + 2 * i]));

	return i;
}


/* RFC 6266: an ASCII fallback, and the UTF-8 name percent-encoded. */
static int disposition(char **vp, const char *fname)
{
	struct mbuf *mb = mbuf_alloc(128);
	int err;

	if (!mb)
		return ENOMEM;

	err = mbuf_write_str(mb, "attachment; filename=\"");
	for (const char *p = fname; *p && !err; p++)
		err = mbuf_write_u8(mb, (unsigned char)*p < 0x80 ? *p : '_');
	err |= mbuf_write_str(mb, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)fname;
	     *p && !err; p++) {
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
			   "xyz0123456789.-_~", *p))
			err = mbuf_write_u8(mb, *p);
		else
			err = mbuf_printf(mb, "%%%02X", *p);
	}

	mb->pos = 0;
	err = err ? err : mbuf_strdup(mb, vp, mb->end);
	mem_deref(mb);

	return err;
}


static void download_send(struct http_req *req, const struct db_res *res)
{
	const char *fname = db_val(res, 0, 0, 0);
	const char *ctype = db_val(res, 0, 0, 1);
	char *data = NULL, *disp = NULL;
	size_t n;

	if (db_nrows(res, 0) < 1) {
		http_reply_error(req, ENOENT);
		return;
	}

	if (str_dup(&data, db_val(res, 0, 0, 2)) ||
	    disposition(&disp, fname)) {
		http_reply_error(req, ENOMEM);
		goto out;
	}

	n = hex_bytes(data);
	http_reply_header(req, "content-disposition", disp);
	http_reply_header(req, "x-content-type-options", "nosniff");
	http_reply_header(req, "cache-control", "private, no-cache");
	http_reply_raw(req, 200, ctype, data, n);

 out:
	mem_deref(data);
	mem_deref(disp);
}


/* Downloads as an attachment (never shown inline: the file is the
 * uploader's, not ours). */
static void attachment_get(struct http_req *req)
{
	static const char sql[] =
		"SELECT a.filename, a.content_type, a.data"
		" FROM ticket_attachments a JOIN tickets t"
		" ON t.ticket_id = a.ticket_id WHERE a.ticket_id = $1"
		" AND a.attachment_id = $2"
		" AND ticket_visible(t, $3::uuid, $4::boolean)";
	const char *id = api_path_uuid(req, "ticket_id");
	const char *att = id ? api_path_uuid(req, "attachment_id") : NULL;
	struct ticket_actor a;
	const char *pv[4];

	if (!att)
		return;

	ticket_actor(req, &a);
	pv[0] = id;
	pv[1] = att;
	pv[2] = a.id;
	pv[3] = a.agent;
	ticket_query(req, sql, 4, pv, download_send);
}


#define P(t) t, ARRAY_SIZE(t)

static const struct http_route routes[] = {
	{"POST", "/api/v1/tickets/{ticket_id}/comments", HTTP_TENANT,
	 ROLE_AGENT, P(comment_params), comment_add},
	{"POST", "/api/v1/tickets/{ticket_id}/attachments", HTTP_TENANT,
	 ROLE_AGENT, NULL, 0, attachment_add},
	{"GET", "/api/v1/tickets/{ticket_id}/attachments/{attachment_id}",
	 HTTP_TENANT, ROLE_AGENT, NULL, 0, attachment_get},
};

static struct http_body_limit upload_limit = {
	&routes[1], 0, "too_large", too_large_detail
};


/** Register comments and attachments, the upload limit from config. */
int ticket_note_api_init(uint32_t max_bytes)
{
	int err;

	upload_limit.max = max_bytes;
	(void)re_snprintf(too_large_detail, sizeof(too_large_detail),
			  "An attachment may be up to %u KB.",
			  max_bytes / 1024);

	err = http_routes_add(routes, ARRAY_SIZE(routes));
	err = err ? err : http_body_limit_add(&upload_limit);

	return err;
}
