/* Customer import: one CSV record checked and turned into a row. */
#include <stdarg.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_list.h>
#include <re_hash.h>
#include "core/csv.h"
#include "crm/customer.h"
#include "crm/crm_field.h"
#include "http/param.h"
#include "crm/customer_import_int.h"

/*
 * A record becomes a row of the batch's JSON — keys l (line), n, e, c,
 * g (region), t (tags), o (notes), f (custom fields), p (numbers) — or
 * one per-line error naming the column at fault. Empty cells are left
 * out of the row, so a merge keeps what the customer had. The limits
 * are the customers table's CHECKs and the customers API's rules: a
 * row that passes here cannot fail in the database, which is what lets
 * a whole batch go in as one statement.
 */

/* A number already in the file: a second row with it is refused. */
struct seen {
	struct le he;
	unsigned line;
	char phone[CRM_PHONE_SZ];
};

/*
 * A million numbers are a million entries: they are taken from blocks
 * of SLAB_N (one allocation each), which the import frees with the
 * hash cleared, not flushed.
 */
enum { SLAB_N = 4096 };

struct imp_slab {
	struct le le;              /**< in imp.slabl */
	unsigned used;
	struct seen v[SLAB_N];
};

struct row {
	struct imp *im;
	struct imp_chunk *ch;
	unsigned line;
	json_t *obj;               /**< (ref) the row */
	json_t *phones;            /**< (ref) normalized, unique */
	json_t *tags;              /**< (ref) */
	json_t *fields;            /**< (ref) key -> cell text */
};

/* Separators between numbers or tags in one cell. */
static const char *const seps[] = {";", ",", "/", "；", "，", "、"};


static int fail(struct row *r, int col, const char *code,
		const char *fmt, ...)
{
	char msg[320];
	json_t *e;
	va_list ap;

	va_start(ap, fmt);
	(void)re_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	e = json_pack("{s:i,s:o,s:s,s:s}", "line", (json_int_t)r->line,
		      "column", col < 0 ? json_null() :
		      json_incref(json_array_get(r->im->header,
						 (size_t)col)),
		      "code", code, "message", msg);

	return e && !json_array_append_new(r->ch->errors, e) ? EINVAL :
		ENOMEM;
}


static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;

	return n;
}


static bool has_cntrl(const char *s, bool newline_ok)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == 0x7f || (c < 0x20 && (!newline_ok ||
					       (c != '\n' && c != '\r' &&
						c != '\t'))))
			return true;
	}

	return false;
}


/* Copy s without the spaces around it into buf (at most sz - 1). */
static const char *trim(char *buf, size_t sz, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
		     s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n >= sz)
		n = sz - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';

	return buf;
}


/* The separator starting at s, its length; 0 if none. */
static size_t sep_at(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(seps); i++) {
		size_t n = strlen(seps[i]);

		if (!strncmp(s, seps[i], n))
			return n;
	}

	return 0;
}


typedef int (part_h)(struct row *r, int col, const char *part);

/* Each non-empty part of a cell split at the separators. */
static int split(struct row *r, int col, const char *s, part_h *h)
{
	char part[256];
	int err = 0;

	while (*s && !err) {
		const char *p = s;
		size_t n;

		while (*p && !sep_at(p))
			p++;
		trim(part, sizeof(part), s, (size_t)(p - s));
		if ((size_t)(p - s) >= sizeof(part))
			return fail(r, col, "length", "a part of the cell is "
				    "longer than %zu bytes", sizeof(part) - 1);
		if (part[0])
			err = h(r, col, part);
		n = sep_at(p);
		s = p + n;
	}

	return err;
}


static bool contains(const json_t *a, const char *s)
{
	size_t i;
	const json_t *v;

	json_array_foreach(a, i, v) {
		if (!strcmp(json_string_value(v), s))
			return true;
	}

	return false;
}


static int phone_part(struct row *r, int col, const char *s)
{
	char num[CRM_PHONE_SZ];
	size_t n;

	if (strspn(s, "0123456789+-() .") != strlen(s) ||
	    crm_phone_norm(num, sizeof(num), s) ||
	    (n = strlen(num)) < 3 || n > 20)
		return fail(r, col, "format", "\"%s\" is not a phone number "
			    "(3 to 20 digits, e.g. 13800138000 or "
			    "010-6552 9988)", s);

	if (contains(r->phones, num))
		return 0;
	if (json_array_size(r->phones) == IMPORT_PHONES_MAX)
		return fail(r, col, "length", "more than %u phone numbers",
			    IMPORT_PHONES_MAX);

	return json_array_append_new(r->phones, json_string(num)) ?
		ENOMEM : 0;
}


static int tag_part(struct row *r, int col, const char *s)
{
	if (chars(s) > 32 || has_cntrl(s, false))
		return fail(r, col, "length", "a tag must be 1 to 32 "
			    "characters: \"%s\"", s);
	if (contains(r->tags, s))
		return 0;
	if (json_array_size(r->tags) == IMPORT_TAGS_MAX)
		return fail(r, col, "length", "more than %u tags",
			    IMPORT_TAGS_MAX);

	return json_array_append_new(r->tags, json_string(s)) ? ENOMEM : 0;
}


/* A text column: max characters, one line or not. */
static int text(struct row *r, int col, const char *key, const char *s,
		size_t max, bool newline_ok)
{
	if (!s[0])
		return 0;
	if (chars(s) > max)
		return fail(r, col, "length", "longer than %zu characters",
			    max);
	if (has_cntrl(s, newline_ok))
		return fail(r, col, "format", "contains control characters");

	return json_object_set_new(r->obj, key, json_string(s)) ? ENOMEM : 0;
}


static int cell(struct row *r, int col, const char *s)
{
	const struct imp_col *c = &r->im->colv[col];

	switch (c->target) {

	case IMP_NAME:
		if (!s[0])
			return fail(r, col, "required", "the name is empty");
		return text(r, col, "n", s, 100, false);
	case IMP_PHONE:
		return split(r, col, s, phone_part);
	case IMP_EMAIL:
		if (s[0] && !param_email_ok(s))
			return fail(r, col, "format", "\"%s\" is not an "
				    "e-mail address", s);
		return text(r, col, "e", s, 254, false);
	case IMP_COMPANY:
		return text(r, col, "c", s, 200, false);
	case IMP_REGION:
		return text(r, col, "g", s, 64, false);
	case IMP_TAGS:
		return split(r, col, s, tag_part);
	case IMP_NOTES:
		return text(r, col, "o", s, 4000, true);
	case IMP_FIELD:
		return json_object_set_new(r->fields, c->key,
					   json_string(s)) ? ENOMEM : 0;
	default:
		return 0;
	}
}


static int column_of_key(const struct imp *im, const char *key)
{
	for (unsigned i = 0; i < im->ncol; i++) {
		if (im->colv[i].target == IMP_FIELD &&
		    !strcmp(im->colv[i].key, key))
			return (int)i;
	}

	return -1;
}


static int fields_check(struct row *r)
{
	struct crm_field_err e;
	int err;

	err = crm_fields_check_flags(r->im->defs, r->fields,
				     CRM_FIELD_FROM_TEXT, &e);
	if (err == EINVAL)
		return fail(r, column_of_key(r->im, e.field), e.code, "%s",
			    e.message);
	if (err)
		return err;

	if (!json_object_size(r->fields))
		return 0;

	return json_object_set(r->obj, "f", r->fields) ? ENOMEM : 0;
}


static bool seen_eq(struct le *le, void *arg)
{
	const struct seen *s = le->data;

	return !strcmp(s->phone, arg);
}


static struct seen *seen_new(struct imp *im)
{
	struct imp_slab *sl = im->slab;

	if (!sl || sl->used == SLAB_N) {
		sl = mem_zalloc(sizeof(*sl), NULL);   /* le unlinked */
		if (!sl)
			return NULL;
		sl->used = 0;
		list_append(&im->slabl, &sl->le, sl);
		im->slab = sl;
	}

	return &sl->v[sl->used++];
}


/* A number on an earlier line makes this row a duplicate in the file;
 * otherwise the row's numbers are remembered. */
static int phones_claim(struct row *r)
{
	struct hash *h = r->im->phones;
	size_t i;
	json_t *v;

	json_array_foreach(r->phones, i, v) {
		const char *num = json_string_value(v);
		struct le *le = hash_lookup(h, hash_joaat_str(num), seen_eq,
					    (void *)num);

		if (le)
			return fail(r, -1, "duplicate_in_file", "the number "
				    "%s is also on line %u", num,
				    ((struct seen *)le->data)->line);
	}

	json_array_foreach(r->phones, i, v) {
		struct seen *s = seen_new(r->im);

		if (!s)
			return ENOMEM;
		s->line = r->line;
		str_ncpy(s->phone, json_string_value(v), sizeof(s->phone));
		hash_append(h, hash_joaat_str(s->phone), &s->he, s);
	}

	return 0;
}


/* '=1+1 as the export writes =1+1 (see customer_export.c) */
static const char *unguard(const char *s)
{
	return s[0] == '\'' && s[1] && strchr(CSV_FORMULA_LEAD, s[1]) ?
		s + 1 : s;
}


static int row_fill(struct row *r, const struct csv *csv, json_t *rows)
{
	char buf[IMPORT_RECORD_MAX + 1];   /* a worker's stack is 8 MiB */
	int err = 0;

	if (csv_count(csv) != r->im->ncol)
		return fail(r, -1, "columns", "expected %u columns as in the "
			    "header, found %u", r->im->ncol, csv_count(csv));

	for (unsigned i = 0; i < r->im->ncol && !err; i++) {
		size_t n = csv_field_len(csv, i);

		if (n >= sizeof(buf))
			return fail(r, (int)i, "length", "the cell is longer "
				    "than %zu bytes", sizeof(buf) - 1);
		err = cell(r, (int)i, unguard(trim(buf, sizeof(buf),
						   csv_field(csv, i), n)));
	}

	if (!err && !json_array_size(r->phones))
		err = fail(r, -1, "required", "the row has no phone number");
	err = err ? err : fields_check(r);
	err = err ? err : phones_claim(r);
	if (err)
		return err;

	if (json_array_size(r->tags) &&
	    json_object_set(r->obj, "t", r->tags))
		return ENOMEM;

	if (json_object_set(r->obj, "p", r->phones) ||
	    json_object_set_new(r->obj, "l", json_integer(r->line)))
		return ENOMEM;

	return json_array_append(rows, r->obj) ? ENOMEM : 0;
}


/**
 * Check the current record of im->csv and append it to rows, or its
 * error to ch->errors.
 *
 * @return 0 if the row was added, EINVAL if it was refused, ENOMEM
 */
int imp_row_read(struct imp *im, struct imp_chunk *ch, json_t *rows)
{
	struct row r = {im, ch, csv_line(im->csv), json_object(),
			json_array(), json_array(), json_object()};
	int err = ENOMEM;

	if (r.obj && r.phones && r.tags && r.fields)
		err = row_fill(&r, im->csv, rows);

	json_decref(r.obj);
	json_decref(r.phones);
	json_decref(r.tags);
	json_decref(r.fields);

	return err;
}

