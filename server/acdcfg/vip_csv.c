/* VIP caller lists as CRMs export them: number,priority,note per line. */
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "core/csv.h"
#include "telephony/telephony.h"
#include "acdcfg/vip_csv.h"

/*
 * One row a line, fields separated by commas; a field may be quoted
 * ("..." with "" for a quote) so notes can hold commas; core/csv reads
 * the records. Blank lines are skipped, and a first line whose first
 * field is "number" is a header.
 * priority may be empty (10), note may be left out. Every bad line is
 * reported (up to VIP_CSV_ERRORS_MAX); the caller imports nothing then.
 */

enum { FIELDS_MAX = 3, FIELD_LEN = 1024, NOTE_MAX = 200 };

struct line {
	char fieldv[FIELDS_MAX][FIELD_LEN];
	unsigned fieldc;
};

struct parse {
	json_t *rows, *errors;
	json_t *seen;            /**< number -> line, for duplicates */
	unsigned lineno;
};


/**
 * A caller number as the VIP list keeps it: digits, normalized as the
 * telephony edge normalizes callers, 3 to 20 of them.
 *
 * @return 0 if success, otherwise EINVAL
 */
int vip_number_norm(char *out, size_t sz, const char *in)
{
	size_t n;

	if (tel_normalize(out, sz, in))
		return EINVAL;

	n = strlen(out);

	return n >= 3 && n <= 20 ? 0 : EINVAL;
}


static void add_error(struct parse *p, const char *field, const char *code,
		      const char *msg)
{
	if (json_array_size(p->errors) >= VIP_CSV_ERRORS_MAX)
		return;

	(void)json_array_append_new(p->errors, json_pack(
		"{s:i,s:s,s:s,s:s}", "line", (int)p->lineno, "field", field,
		"code", code, "message", msg));
}


static const char *trim(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;

	return s;
}


/* The current record's fields into ln; false (and an error) if one is
 * too long. */
static bool fields_get(struct parse *p, const struct csv *csv,
		       struct line *ln)
{
	ln->fieldc = csv_count(csv);
	for (unsigned i = 0; i < ln->fieldc; i++) {
		size_t n = csv_field_len(csv, i);

		if (n + 1 >= FIELD_LEN) {
			add_error(p, "line", "length", "has a field that is "
				  "too long");
			return false;
		}
		memcpy(ln->fieldv[i], csv_field(csv, i), n + 1);
	}

	return true;
}


/* A record the reader refused, in this list's codes. */
static void bad_record(struct parse *p, const struct csv_error *e)
{
	if (!strcmp(e->code, "nul_byte"))
		add_error(p, "line", "format", "holds a NUL byte");
	else if (!strcmp(e->code, "too_many_columns"))
		add_error(p, "line", "columns", "has more than 3 fields: use "
			  "number,priority,note and quote a note that holds "
			  "commas");
	else if (!strcmp(e->code, "record_too_long"))
		add_error(p, "line", "length", "has a field that is too long");
	else
		add_error(p, "line", "quote", "has a quoted field that does "
			  "not end in a quote before the next comma");
}


/* Code points of valid UTF-8 without control characters, or -1. */
static int text_len(const char *s)
{
	int n = 0;

	while (*s) {
		unsigned char c = (unsigned char)*s;
		int k = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 :
			(c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;

		if (k < 0 || (c < 0x80 && (c < 0x20 || c == 0x7f)))
			return -1;
		for (int i = 1; i <= k; i++) {
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				return -1;
		}
		s += k + 1;
		n++;
	}

	return n;
}


static bool priority_get(struct parse *p, const char *s, int *prio)
{
	int v = 0;

	*prio = VIP_PRIORITY_DEFAULT;
	if (!s[0])
		return true;

	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9' || v > 100) {
			v = -1;
			break;
		}
		v = v * 10 + (*c - '0');
	}

	if (v < 1 || v > 100) {
		add_error(p, "priority", "range",
			  "must be a whole number from 1 to 100");
		return false;
	}

	*prio = v;
	return true;
}


/* One line's fields become a row, or errors. */
static void row_add(struct parse *p, struct line *ln)
{
	const char *num = trim(ln->fieldv[0]);
	const char *note = ln->fieldc > 2 ? trim(ln->fieldv[2]) : "";
	char norm[40], msg[64];
	json_t *prev;
	int prio, len;
	bool ok = true;

	if (vip_number_norm(norm, sizeof(norm), num)) {
		add_error(p, "number", "format", "must be a telephone number"
			  " of 3 to 20 digits, e.g. 13800138000");
		ok = false;
	}
	if (!priority_get(p, ln->fieldc > 1 ? trim(ln->fieldv[1]) : "",
			  &prio))
		ok = false;
	len = text_len(note);
	if (len < 0 || len > NOTE_MAX) {
		add_error(p, "note", len < 0 ? "format" : "length", len < 0 ?
			  "must be UTF-8 text without control characters" :
			  "must be at most 200 characters");
		ok = false;
	}
	if (!ok)
		return;

	prev = json_object_get(p->seen, norm);
	if (prev) {
		(void)re_snprintf(msg, sizeof(msg), "is also on line %d",
				  (int)json_integer_value(prev));
		add_error(p, "number", "duplicate", msg);
		return;
	}

	(void)json_object_set_new(p->seen, norm,
				  json_integer((json_int_t)p->lineno));
	(void)json_array_append_new(p->rows, json_pack(
		"{s:s,s:i,s:s}", "number", norm, "priority", prio,
		"note", note));
}


/* One record (or a refused one) at its line. */
static void record_do(struct parse *p, const struct csv *csv, int rerr,
		      struct line *ln, bool *firstp)
{
	bool first = *firstp;

	/* a line of spaces is a record of one blank field */
	if (!rerr && csv_count(csv) == 1 &&
	    strspn(csv_field(csv, 0), " \t") == csv_field_len(csv, 0))
		return;

	*firstp = false;
	if (rerr) {
		bad_record(p, csv_error(csv));
		return;
	}
	if (!fields_get(p, csv, ln))
		return;

	if (first && !strcasecmp(trim(ln->fieldv[0]), "number"))
		return;

	if (json_array_size(p->rows) >= VIP_CSV_ROWS_MAX) {
		add_error(p, "line", "too_many", "the list holds more than "
			  "10000 callers; split it");
		return;
	}

	row_add(p, ln);
}


/* Lines of the file, as an editor counts them. */
static unsigned lines_count(const char *s, const char *end)
{
	unsigned n = 0;

	for (const char *q = s; (q = memchr(q, '\n', (size_t)(end - q)));
	     q++)
		n++;

	return n + (end > s && end[-1] != '\n');
}


/**
 * Parse a VIP list into rows [{number, priority, note}] and errors
 * [{line, field, code, message}] (lines count from 1).
 *
 * @return 0 if parsed (look at errors), otherwise ENOMEM
 */
int vip_csv_parse(const char *buf, size_t len, json_t *rows,
		  json_t *errors)
{
	/* a field is at most FIELD_LEN - 1 bytes, checked per field so an
	 * unclosed quote says quote, not length */
	const struct csv_limits lim = {64 * 1024, FIELDS_MAX, true};
	struct parse p = {rows, errors, json_object(), 0};
	struct csv *csv = NULL;
	bool first = true;
	struct line *ln;
	int err;

	ln = mem_zalloc(sizeof(*ln), NULL);
	err = p.seen && rows && errors && ln ? 0 : ENOMEM;
	err = err ? err : csv_alloc(&csv, buf, len, &lim);

	while (!err) {
		int rerr = csv_next(csv);

		if (rerr == ENODATA)
			break;
		if (rerr && rerr != EBADMSG) {
			err = rerr;
			break;
		}
		p.lineno = rerr ? csv_error(csv)->line : csv_line(csv);
		record_do(&p, csv, rerr, ln, &first);
	}

	if (!err && !json_array_size(rows) && !json_array_size(errors)) {
		if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
			buf += 3, len -= 3;
		p.lineno = buf ? lines_count(buf, buf + len) : 0;
		add_error(&p, "line", "empty", "the list holds no callers");
	}

	mem_deref(csv);
	mem_deref(ln);
	json_decref(p.seen);

	return err;
}
