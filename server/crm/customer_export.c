/* GET /api/v1/customers/export: the tenant's customers as CSV. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include "app.h"
#include "crm/crm_field.h"
#include "db/db.h"
#include "http/api.h"
#include "crm/customer_import_int.h"

/*
 * The customers are read a page of PAGE at a time (keyset on created_at,
 * customer_id, the customers_tenant_created index) and each page is
 * written out as CSV before the next is asked for, so the loop never
 * holds more than one page of rows; what it holds is the file's bytes.
 * The header is the tenant's labels (姓名, 电话, ..., then each enabled
 * custom field's label), which the import recognises without a
 * mapping; numbers are joined with ';'. UTF-8 starts with a BOM so
 * Excel reads it as UTF-8; gbk is for older Excel on Chinese Windows.
 */

enum { PAGE = 1000, Q_MAX = 100 };

static const char *const fixed[] = {"姓名", "电话", "邮箱", "公司", "地区",
				    "标签", "备注"};

#define PAGE_SQL \
	"SELECT c.created_at::text, c.customer_id::text, c.name," \
	" COALESCE((SELECT string_agg(cp.phone, ';' ORDER BY cp.position)" \
	" FROM customer_phones cp WHERE cp.customer_id = c.customer_id)," \
	" '')," \
	" c.email, c.company, c.region, array_to_string(c.tags, ';')," \
	" c.notes, c.fields::text FROM customers c" \
	" WHERE ($1::text IS NULL OR (c.created_at, c.customer_id) >" \
	" ($1::timestamptz, $2::uuid))" \
	" AND ($3::text IS NULL OR c.search @@ plainto_tsquery('simple'," \
	" $3) OR c.name ILIKE $4 OR c.company ILIKE $4)" \
	" AND ($5::text IS NULL OR c.tags @> ARRAY[$5::text])" \
	" ORDER BY c.created_at, c.customer_id LIMIT 1000"

struct exp {
	struct http_req *req;        /**< (ref) */
	struct app *app;             /**< borrowed */
	char tenant_id[UUID_STRLEN];
	enum textenc enc;
	char q[Q_MAX * 4 + 1];
	char like[Q_MAX * 8 + 3];
	char tag[130];
	json_t *keys;                /**< (ref) custom field keys */
	struct mbuf *out;            /**< (ref) the file so far */
	struct mbuf *line;           /**< (ref) one row, UTF-8 */
	char after_ts[64];
	char after_id[UUID_STRLEN];
};


static void destructor(void *arg)
{
	struct exp *x = arg;

	json_decref(x->keys);
	mem_deref(x->out);
	mem_deref(x->line);
	mem_deref(x->req);
}


/*
 * One cell: quoted when it holds a comma, quote, line break or spaces
 * at either end. A cell a spreadsheet would run as a formula (= + - @,
 * a tab or CR first) gets a ' in front — a name "=HYPERLINK(...)" must
 * not become a link in the admin's Excel; the import drops that ' again.
 */
static int cell(struct mbuf *mb, const char *s, bool first)
{
	size_t n = strlen(s);
	bool q = strpbrk(s, ",\"\r\n") || (n && (s[0] == ' ' ||
						  s[n - 1] == ' '));
	bool f = n && strchr(CSV_FORMULA_LEAD, s[0]);
	int err = first ? 0 : mbuf_write_u8(mb, ',');

	if (!q) {
		if (f)
			err |= mbuf_write_u8(mb, '\'');
		return err | mbuf_write_mem(mb, (const uint8_t *)s, n);
	}

	err |= mbuf_write_u8(mb, '"');
	if (f)
		err |= mbuf_write_u8(mb, '\'');
	for (; *s && !err; s++) {
		if (*s == '"')
			err |= mbuf_write_u8(mb, '"');
		err |= mbuf_write_u8(mb, (uint8_t)*s);
	}

	return err | mbuf_write_u8(mb, '"');
}


/* The line in mb, ended and converted onto the file. */
static int line_end(struct exp *x)
{
	int err = mbuf_write_str(x->line, "\r\n");

	err = err ? err : textenc_from_utf8(x->out, (char *)x->line->buf,
					    x->line->end, x->enc);
	x->line->pos = x->line->end = 0;

	return err;
}


static int field_text(struct mbuf *mb, const json_t *v)
{
	char *num;
	int err;

	if (json_is_string(v))
		return cell(mb, json_string_value(v), false);
	if (!json_is_number(v) && !json_is_boolean(v))
		return cell(mb, "", false);

	/* jansson writes numbers back as they read (2.5, not 2.5000) */
	num = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!num)
		return ENOMEM;

	err = cell(mb, num, false);
	free(num);  /* ccheck: foreign */

	return err;
}


static int row_write(struct exp *x, const struct db_res *res, unsigned r)
{
	json_t *fields = json_loads(db_val(res, 0, r, 9), 0, NULL);
	size_t i;
	json_t *k;
	int err = 0;

	for (unsigned c = 2; c < 9 && !err; c++)
		err = cell(x->line, db_val(res, 0, r, c), c == 2);

	json_array_foreach(x->keys, i, k) {
		if (err)
			break;
		err = field_text(x->line, json_object_get(
					 fields, json_string_value(k)));
	}

	json_decref(fields);

	return err ? ENOMEM : line_end(x);
}


static int page_ask(struct exp *x);


static void page_done(int err, const struct db_res *res, void *arg)
{
	struct exp *x = arg;
	unsigned n = err ? 0 : db_nrows(res, 0);

	if (http_req_gone(x->req))
		goto out;

	for (unsigned r = 0; r < n && !err; r++)
		err = row_write(x, res, r);

	if (!err && n == PAGE) {
		str_ncpy(x->after_ts, db_val(res, 0, n - 1, 0),
			 sizeof(x->after_ts));
		str_ncpy(x->after_id, db_val(res, 0, n - 1, 1),
			 sizeof(x->after_id));
		err = page_ask(x);
		if (!err)
			return;   /* the query holds x now */
	}

	if (err)
		http_reply_error(x->req, err);
	else
		http_reply_raw(x->req, 200, x->enc == TEXTENC_GBK ?
			       "text/csv; charset=gbk" :
			       "text/csv; charset=utf-8",
			       (char *)x->out->buf, x->out->end);
 out:
	mem_deref(x);
}


static int page_ask(struct exp *x)
{
	struct db_ctx ctx = {DB_TENANT, x->tenant_id};
	const char *pv[5];

	pv[0] = x->after_ts[0] ? x->after_ts : NULL;
	pv[1] = x->after_id[0] ? x->after_id : NULL;
	pv[2] = x->q[0] ? x->q : NULL;
	pv[3] = x->q[0] ? x->like : NULL;
	pv[4] = x->tag[0] ? x->tag : NULL;

	return db_query(x->app->db, &ctx, page_done, x, PAGE_SQL, 5, pv);
}


/* The header, from the tenant's field definitions. */
static int header_write(struct exp *x, const char *defs_text)
{
	json_t *defs = json_loads(defs_text, 0, NULL);
	size_t i;
	json_t *d;
	int err = 0;

	x->keys = json_array();
	if (!defs || !x->keys) {
		json_decref(defs);
		return ENOMEM;
	}

	if (x->enc != TEXTENC_GBK)
		err = mbuf_write_mem(x->out, (const uint8_t *)"\xef\xbb\xbf",
				     3);
	for (i = 0; i < ARRAY_SIZE(fixed) && !err; i++)
		err = cell(x->line, fixed[i], i == 0);

	json_array_foreach(defs, i, d) {
		if (err || !json_is_true(json_object_get(d, "enabled")))
			continue;
		err = cell(x->line, json_string_value(json_object_get(
						 d, "label")), false);
		err = err ? err : json_array_append(x->keys,
						    json_object_get(d, "key"));
	}

	json_decref(defs);

	return err ? ENOMEM : line_end(x);
}


static void defs_loaded(int err, const struct db_res *res, void *arg)
{
	struct exp *x = arg;

	if (http_req_gone(x->req))
		goto out;

	if (!err && db_nrows(res, 0) != 1)
		err = EPROTO;
	err = err ? err : header_write(x, db_val(res, 0, 0, 0));
	err = err ? err : page_ask(x);
	if (!err)
		return;

	http_reply_error(x->req, err);
 out:
	mem_deref(x);
}


/* q as an ILIKE pattern %q% with its % _ \ taken literally. */
static void like_make(char *out, size_t sz, const char *q)
{
	size_t o = 0;

	out[o++] = '%';
	for (; *q && o + 3 < sz; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			out[o++] = '\\';
		out[o++] = *q;
	}
	out[o++] = '%';
	out[o] = '\0';
}


static bool args_ok(struct http_req *req, struct exp *x)
{
	const char *enc = http_req_query(req, "encoding");
	const char *q = http_req_query(req, "q");
	const char *tag = http_req_query(req, "tag");

	if (enc && (textenc_parse(&x->enc, enc) ||
		    x->enc == TEXTENC_AUTO || x->enc == TEXTENC_GB18030)) {
		api_reply_invalid(req, "encoding", "enum",
				  "must be utf-8 or gbk");
		return false;
	}
	if (!enc)
		x->enc = TEXTENC_UTF8;

	if ((q && (strlen(q) >= sizeof(x->q) ||
		   !textenc_utf8_ok(q, strlen(q)))) ||
	    (tag && (strlen(tag) >= sizeof(x->tag) ||
		     !textenc_utf8_ok(tag, strlen(tag))))) {
		api_reply_invalid(req, q ? "q" : "tag", "length",
				  "must be at most 100 characters of text");
		return false;
	}

	str_ncpy(x->q, q ? q : "", sizeof(x->q));
	str_ncpy(x->tag, tag ? tag : "", sizeof(x->tag));
	like_make(x->like, sizeof(x->like), x->q);

	return true;
}


/** GET /api/v1/customers/export?encoding=utf-8|gbk&q=&tag= */
void customer_export_get(struct http_req *req)
{
	struct db_ctx ctx = api_ctx(req);
	struct exp *x;
	int err;

	x = mem_zalloc(sizeof(*x), destructor);
	if (!x) {
		http_reply_error(req, ENOMEM);
		return;
	}

	if (!args_ok(req, x))
		goto out;

	x->req = mem_ref(req);
	x->app = http_req_app(req);
	str_ncpy(x->tenant_id, ctx.tenant_id, sizeof(x->tenant_id));
	x->out = mbuf_alloc(64 * 1024);
	x->line = mbuf_alloc(1024);
	err = x->out && x->line ? 0 : ENOMEM;
	err = err ? err : db_query(x->app->db, &ctx, defs_loaded, x,
				   CRM_FIELDS_SQL, 0, NULL);
	if (!err) {
		http_reply_header(req, "content-disposition",
				  "attachment; filename=\"customers.csv\"");
		return;
	}

	http_reply_error(req, err);
 out:
	mem_deref(x);
}
