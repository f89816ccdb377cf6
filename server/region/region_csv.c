/* The tenant's own prefixes as CSV: "prefix,region" per line. */
#include <string.h>
#include <strings.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "core/csv.h"
#include "region/region.h"
#include "region/region_int.h"

/*
 * One record per line (LF, CRLF or CR), UTF-8, an optional BOM, an
 * optional header line whose first field is "prefix" (or 前缀). Fields
 * are separated by commas and may be quoted ("广东省,深圳市" or a ""
 * inside quotes), with spaces around the quotes as people type them;
 * core/csv reads the records. Blank lines are skipped. Every bad line
 * is reported with its number and why, and the reading goes on with
 * the next line, so one pass says everything that is wrong with a file.
 */

enum { NFIELDS = 3 };  /* two wanted; a third is kept to say "too many" */

struct rec {
	char f[NFIELDS][REGION_CSV_LINE_MAX + 1];
	unsigned nf;
};


/* Field i of the record without the spaces around it. */
static void field_get(struct rec *r, const struct csv *csv, unsigned i)
{
	const char *s = csv_field(csv, i);
	size_t n = csv_field_len(csv, i);

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n > REGION_CSV_LINE_MAX)
		n = REGION_CSV_LINE_MAX;
	memcpy(r->f[i], s, n);
	r->f[i][n] = '\0';
}


static bool prefix_chars_ok(const char *s)
{
	for (; *s; s++) {
		if (!strchr("0123456789+-() ", *s))
			return false;
	}

	return true;
}


static bool is_header(const struct rec *r)
{
	return !strcasecmp(r->f[0], "prefix") || !strcmp(r->f[0], "前缀");
}


/* Check a split line and hand it on; returns the handler's error. */
static int row(struct rec *r, unsigned line, region_csv_row_h *rowh,
	       region_csv_bad_h *badh, void *arg)
{
	char num[REGION_NUM_SZ], msg[96];

	if (r->nf != 2) {
		(void)re_snprintf(msg, sizeof(msg), "expected 2 columns "
				  "(prefix,region), found %u", r->nf);
		return badh(line, "columns", msg, arg);
	}

	if (!r->f[0][0])
		return badh(line, "prefix", "the prefix is empty", arg);

	if (!prefix_chars_ok(r->f[0]) ||
	    region_normalize(num, sizeof(num), r->f[0]) ||
	    !region_prefix_ok(num))
		return badh(line, "prefix", "the prefix must be the first 1 "
			    "to 16 digits of numbers, e.g. 138 or 0755",
			    arg);

	if (!region_text_ok(r->f[1], REGION_TEXT_MAX))
		return badh(line, "region", "the region must be 1 to 100 "
			    "characters of UTF-8 text", arg);

	return rowh(line, num, r->f[1], arg);
}


/* Lines read so far: non-blank ones, and whether the first was a
 * header. */
struct count {
	unsigned seen;
	bool header;
};


/* A record the reader refused, in this importer's codes. */
static int bad_record(const struct csv_error *e, region_csv_bad_h *badh,
		      void *arg)
{
	if (!strcmp(e->code, "record_too_long"))
		return badh(e->line, "line_too_long", "the line is longer "
			    "than 1024 bytes", arg);
	if (!strcmp(e->code, "nul_byte"))
		return badh(e->line, "encoding", "the line holds a NUL byte",
			    arg);
	if (!strcmp(e->code, "too_many_columns"))
		return badh(e->line, "columns", "expected 2 columns "
			    "(prefix,region), found more", arg);

	return badh(e->line, "syntax", e->message, arg);
}


/* One record, good or bad; returns a handler's error or E2BIG. */
static int record_do(struct rec *r, struct csv *csv, int rerr,
		     struct count *cnt, region_csv_row_h *rowh,
		     region_csv_bad_h *badh, void *arg)
{
	/* a line of spaces is a record of one blank field */
	if (!rerr && csv_count(csv) == 1 &&
	    strspn(csv_field(csv, 0), " \t") == csv_field_len(csv, 0))
		return 0;

	if (cnt->seen - cnt->header >= REGION_CSV_ROWS_MAX)
		return E2BIG;
	++cnt->seen;

	if (rerr)
		return bad_record(csv_error(csv), badh, arg);

	r->nf = csv_count(csv);
	for (unsigned k = 0; k < NFIELDS; k++) {
		if (k < r->nf)
			field_get(r, csv, k);
		else
			r->f[k][0] = '\0';
	}

	if (cnt->seen == 1 && is_header(r)) {
		cnt->header = true;
		return 0;
	}

	return row(r, csv_line(csv), rowh, badh, arg);
}


/**
 * Read a CSV of prefix,region lines: rowh gets each good row (the
 * prefix normalized, "0755" -> "755"), badh each bad one with its line
 * number, a short code and a sentence. A handler's non-zero return
 * stops the read with it.
 *
 * @return 0 if success, E2BIG past REGION_CSV_ROWS_MAX rows, ENOMEM,
 * otherwise a handler's error
 */
int region_csv_read(const char *buf, size_t len, region_csv_row_h *rowh,
		    region_csv_bad_h *badh, void *arg)
{
	const struct csv_limits lim = {REGION_CSV_LINE_MAX, NFIELDS, true};
	struct count cnt = {0, false};
	struct csv *csv = NULL;
	struct rec *r;
	int err;

	if (!buf || !rowh || !badh)
		return EINVAL;

	r = mem_zalloc(sizeof(*r), NULL);
	err = r ? csv_alloc(&csv, buf, len, &lim) : ENOMEM;

	while (!err) {
		int rerr = csv_next(csv);

		if (rerr == ENODATA)
			break;
		if (rerr && rerr != EBADMSG) {
			err = rerr;
			break;
		}
		err = record_do(r, csv, rerr, &cnt, rowh, badh, arg);
	}

	mem_deref(csv);
	mem_deref(r);

	return err;
}
