/* Customer import on a worker: the file checked whole, then read in
 * chunks of rows. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_hash.h>
#include "core/clock.h"
#include "core/csv.h"
#include "crm/customer_import_int.h"

/*
 * Everything here runs on a worker thread and touches only the import
 * (never the loop): imp_prepare once, before the 202, then imp_chunk_read
 * once per chunk, never two at a time for one import. What makes the
 * whole file unusable is found by imp_prepare, so the 400 comes before
 * anything is written: bytes that are not text, the wrong encoding, no
 * header or no rows, a mapping that does not fit the header.
 */

static const struct csv_limits limits = {IMPORT_RECORD_MAX,
					 IMPORT_COLS_MAX, false};


static int bad(struct imp *im, const char *code, const char *fmt, ...)
{
	va_list ap;

	im->bad_code = code;
	va_start(ap, fmt);
	(void)re_vsnprintf(im->bad_detail, sizeof(im->bad_detail), fmt, ap);
	va_end(ap);

	return 0;
}


/* The raw upload: text at all, and in which encoding. */
static int decode(struct imp *im)
{
	const char *buf = (const char *)im->body->buf;
	size_t len = im->body->end;
	int err;

	if (len >= 4 && !memcmp(buf, "PK\x03\x04", 4))
		return bad(im, "not_csv", "The file is a spreadsheet "
			   "workbook or an archive, not CSV: save it as CSV "
			   "(UTF-8 or GBK) and upload that.");
	if (memchr(buf, '\0', len))
		return bad(im, "not_text", "The file holds NUL bytes: it is "
			   "not a CSV text file.");

	err = textenc_to_utf8(&im->utf8, &im->used, buf, len, im->enc);
	if (err == EILSEQ) {
		if (im->enc == TEXTENC_UTF8)
			return bad(im, "encoding", "The file is not valid "
				   "UTF-8: choose encoding=gbk if it was "
				   "saved as GBK, or save it as UTF-8.");
		return bad(im, "encoding", "The file is not text in %s.",
			   im->enc == TEXTENC_AUTO ? "UTF-8 or GBK/GB18030" :
			   textenc_name(im->enc));
	}
	if (err)
		return err;

	im->text = im->utf8 ? (const char *)im->utf8->buf : buf;
	im->len = im->utf8 ? im->utf8->end : len;

	return 0;
}


static int header_read(struct imp *im)
{
	char name[256];
	int err;

	err = csv_next(im->csv);
	if (err == ENODATA)
		return bad(im, "empty", "The file is empty.");
	if (err == EBADMSG)
		return bad(im, "header", "The header (line %u) cannot be "
			   "read: %s.", csv_error(im->csv)->line,
			   csv_error(im->csv)->message);
	if (err)
		return err;

	im->ncol = csv_count(im->csv);
	im->header = json_array();
	if (!im->header)
		return ENOMEM;

	for (unsigned i = 0; i < im->ncol; i++) {
		const char *s = csv_field(im->csv, i);
		size_t n = strspn(s, " \t");

		str_ncpy(name, s + n, sizeof(name));
		for (n = strlen(name); n && name[n - 1] == ' '; n--)
			name[n - 1] = '\0';
		for (unsigned j = 0; j < i; j++) {
			if (name[0] && !strcmp(json_string_value(
				       json_array_get(im->header, j)), name))
				return bad(im, "header", "The header names "
					   "the column \"%s\" twice.", name);
		}
		if (json_array_append_new(im->header, json_string(name)))
			return ENOMEM;
	}

	return 0;
}


/* Count the records after the header, for progress, then start over
 * after the header. */
static int count(struct imp *im)
{
	int err;

	while ((err = csv_next(im->csv)) != ENODATA) {
		if (err && err != EBADMSG)
			return err;
		++im->total;
	}

	if (!im->total)
		return bad(im, "no_rows", "The file has a header but no "
			   "rows.");

	im->csv = mem_deref(im->csv);
	err = csv_alloc(&im->csv, im->text, im->len, &limits);

	return err ? err : csv_next(im->csv);
}


/**
 * Check the uploaded file as a whole and plan the import: encoding,
 * header, mapping, the number of records. A file that cannot be
 * imported sets im->bad_code and im->bad_detail and returns 0.
 *
 * @return 0 if success, ENOMEM
 */
int imp_prepare(struct imp *im)
{
	int err;

	err = decode(im);
	if (err || im->bad_code)
		return err;

	err = csv_alloc(&im->csv, im->text, im->len, &limits);
	err = err ? err : header_read(im);
	if (err || im->bad_code)
		return err;

	err = imp_map(im);
	if (err || im->bad_code)
		return err;

	err = count(im);
	if (err || im->bad_code)
		return err;

	/* about one bucket per row: chains stay short at a million */
	return hash_alloc(&im->phones, hash_valid_size(im->total));
}


static void chunk_destructor(void *arg)
{
	struct imp_chunk *ch = arg;

	list_unlink(&ch->le);
	mem_deref(ch->rows);
	json_decref(ch->errors);
	mem_deref(ch->im);
}


static int bad_record(struct imp_chunk *ch, const struct csv_error *e)
{
	json_t *o = json_pack("{s:i,s:n,s:s,s:s}", "line",
			      (json_int_t)e->line, "column", "code", e->code,
			      "message", e->message);

	return o && !json_array_append_new(ch->errors, o) ? 0 : ENOMEM;
}


static int chunk_fill(struct imp *im, struct imp_chunk *ch, json_t *rows)
{
	int err = 0;

	while (ch->records < IMPORT_BATCH && !err) {
		err = csv_next(im->csv);
		if (err == ENODATA) {
			im->eof = true;
			return 0;
		}

		if (!ch->records++)
			ch->first_line = err == EBADMSG ?
				csv_error(im->csv)->line : csv_line(im->csv);

		if (err == EBADMSG)
			err = bad_record(ch, csv_error(im->csv));
		else if (!err)
			err = imp_row_read(im, ch, rows);

		if (err == EINVAL)
			err = 0;
		else if (!err && (size_t)ch->valid <
			 json_array_size(rows))
			ch->valid++;
	}

	return err;
}


/**
 * Read the next IMPORT_BATCH records into im->next: the good rows as
 * one JSON array text, the bad ones as per-line errors.
 *
 * @return 0 if success, ENOMEM
 */
int imp_chunk_read(struct imp *im)
{
	uint64_t t0 = clock_us();
	struct imp_chunk *ch;
	json_t *rows = json_array();
	char *s;
	int err;

	ch = mem_zalloc(sizeof(*ch), chunk_destructor);
	if (!ch || !rows) {
		err = ENOMEM;
		goto out;
	}

	ch->errors = json_array();
	err = ch->errors ? chunk_fill(im, ch, rows) : ENOMEM;
	if (err)
		goto out;

	s = json_dumps(rows, JSON_COMPACT);
	err = s ? str_dup(&ch->rows, s) : ENOMEM;
	free(s);  /* ccheck: foreign */

 out:
	json_decref(rows);
	if (err)
		mem_deref(ch);
	else
		im->next = ch;

	im->read_us += clock_us() - t0;

	return err;
}
