/* A streaming RFC 4180 CSV reader over a buffer held by the caller. */
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include "core/csv.h"

/*
 * Records are read one at a time from a buffer the caller keeps alive:
 * fields separated by commas, records by CRLF, LF or a lone CR; a field
 * may be quoted, and inside quotes "" is a quote and commas and line
 * breaks are text. A UTF-8 byte order mark at the start is skipped, and
 * so are empty lines (spreadsheets leave them at the end). The reader
 * knows nothing of headers or encodings: the first record is the
 * caller's header if it wants one, and bytes are passed through. With
 * quote_spaces, spaces around a quoted field are allowed and dropped, as
 * people type them.
 *
 * A record that cannot be read is reported with the line it starts on,
 * and reading resumes on the line after that one, so one stray quote
 * costs one record and not the rest of the file.
 */

enum {
	RECORD_MAX_DEFAULT = 64 * 1024,
	FIELDS_MAX_DEFAULT = 256,
};

struct rec {
	const char *begin;          /**< first byte of the record       */
	unsigned line;              /**< its line                       */
};

struct csv {
	const char *start;          /**< (borrowed) the caller's buffer */
	const char *p;              /**< next byte to read              */
	const char *end;
	unsigned line;              /**< line of p, from 1              */
	struct csv_limits lim;
	struct mbuf *data;          /**< (own) fields, each NUL-ended   */
	size_t *offv;               /**< (own) field offsets, nf + 1    */
	unsigned nf;
	struct rec rec;             /**< the current record             */
	struct csv_error err;
};

static void destructor(void *arg)
{
	struct csv *csv = arg;

	mem_deref(csv->data);
	mem_deref(csv->offv);
}


/**
 * Start reading buf, which must outlive the reader.
 *
 * @param lim  limits, or NULL for the defaults
 * @return 0 if success, otherwise errorcode
 */
int csv_alloc(struct csv **csvp, const char *buf, size_t len,
	      const struct csv_limits *lim)
{
	struct csv *csv;
	int err = 0;

	if (!csvp || (!buf && len))
		return EINVAL;

	csv = mem_zalloc(sizeof(*csv), destructor);
	if (!csv)
		return ENOMEM;

	csv->start = buf ? buf : "";
	csv->p = csv->start;
	csv->end = csv->start + len;
	csv->line = 1;
	if (lim)
		csv->lim = *lim;
	if (!csv->lim.record_max)
		csv->lim.record_max = RECORD_MAX_DEFAULT;
	if (!csv->lim.fields_max)
		csv->lim.fields_max = FIELDS_MAX_DEFAULT;

	if (len >= 3 && !memcmp(csv->p, "\xef\xbb\xbf", 3))
		csv->p += 3;

	csv->data = mbuf_alloc(1024);
	csv->offv = mem_zalloc((csv->lim.fields_max + 1) *
			       sizeof(*csv->offv), NULL);
	if (!csv->data || !csv->offv)
		err = ENOMEM;

	if (err)
		mem_deref(csv);
	else
		*csvp = csv;

	return err;
}


static bool eol(struct csv *csv);


static int fail(struct csv *csv, const char *code, const char *message)
{
	csv->err.line = csv->rec.line;
	csv->err.code = code;
	csv->err.message = message;
	csv->nf = 0;

	/* resume on the line after the one the record started on */
	csv->p = csv->rec.begin;
	while (csv->p < csv->end && *csv->p != '\n' && *csv->p != '\r')
		csv->p++;
	csv->line = csv->rec.line;
	(void)eol(csv);

	return EBADMSG;
}


/* Consume one line break at p (CRLF, LF or CR); false if none. */
static bool eol(struct csv *csv)
{
	if (csv->p >= csv->end)
		return false;
	if (*csv->p == '\r') {
		csv->p++;
		if (csv->p < csv->end && *csv->p == '\n')
			csv->p++;
	}
	else if (*csv->p == '\n') {
		csv->p++;
	}
	else {
		return false;
	}

	csv->line++;
	return true;
}


static bool special(char c)
{
	return c == ',' || c == '\r' || c == '\n' || c == '"' || c == '\0';
}


/* An unquoted field, up to the comma or line break after it. */
static const char *plain(struct csv *csv)
{
	const char *q = csv->p;

	while (q < csv->end && !special(*q))
		q++;

	if (mbuf_write_mem(csv->data, (const uint8_t *)csv->p,
			   (size_t)(q - csv->p)))
		return "nomem";
	csv->p = q;

	if (q < csv->end && *q == '"')
		return "stray_quote";
	if (q < csv->end && *q == '\0')
		return "nul_byte";

	return NULL;
}


/* A quoted field, from its opening quote to the byte after the
 * closing one; line breaks inside count lines. */
static const char *quoted(struct csv *csv)
{
	const char *q = ++csv->p;

	for (;;) {
		if (q == csv->end)
			return "unterminated_quote";
		if ((size_t)(q - csv->rec.begin) > csv->lim.record_max)
			return "record_too_long";
		if (*q == '\0')
			return "nul_byte";
		if (*q == '\n' || (*q == '\r' &&
				   (q + 1 == csv->end || q[1] != '\n')))
			csv->line++;
		if (*q != '"') {
			q++;
			continue;
		}

		if (mbuf_write_mem(csv->data, (const uint8_t *)csv->p,
				   (size_t)(q - csv->p)))
			return "nomem";
		if (q + 1 < csv->end && q[1] == '"') {
			/* keep one quote of the pair, go on after both */
			csv->p = q + 1;
			q += 2;
			continue;
		}

		csv->p = q + 1;
		break;
	}

	while (csv->lim.quote_spaces && csv->p < csv->end &&
	       (*csv->p == ' ' || *csv->p == '\t'))
		csv->p++;

	if (csv->p < csv->end && *csv->p == '\0')
		return "nul_byte";
	if (csv->p < csv->end && *csv->p != ',' && *csv->p != '\r' &&
	    *csv->p != '\n')
		return "text_after_quote";

	return NULL;
}


static const char *message(const char *code)
{
	static const struct {
		const char *code;
		const char *message;
	} tab[] = {
		{"unterminated_quote", "a quoted field has no closing "
		 "quote"},
		{"stray_quote", "a quote inside a field that does not start "
		 "with one"},
		{"text_after_quote", "text after the closing quote of a "
		 "field"},
		{"nul_byte", "the record holds a NUL byte"},
		{"too_many_columns", "the record has more columns than "
		 "allowed"},
		{"record_too_long", "the record is longer than allowed"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		if (!strcmp(tab[i].code, code))
			return tab[i].message;
	}

	return code;
}


/* Hand-written files put spaces before a quoted field: skip them when
 * a quote follows (otherwise they are the field's text). */
static void quote_start(struct csv *csv)
{
	const char *q = csv->p;

	while (q < csv->end && (*q == ' ' || *q == '\t'))
		q++;
	if (q < csv->end && *q == '"')
		csv->p = q;
}


/* One field at p into data; NULL or why it cannot be read. */
static const char *field(struct csv *csv)
{
	const char *why;

	if (csv->nf == csv->lim.fields_max)
		return "too_many_columns";

	csv->offv[csv->nf++] = csv->data->end;
	if (csv->lim.quote_spaces)
		quote_start(csv);
	if (csv->p < csv->end && *csv->p == '"')
		why = quoted(csv);
	else
		why = plain(csv);

	if (!why && (size_t)(csv->p - csv->rec.begin) >
	    csv->lim.record_max)
		why = "record_too_long";
	if (!why && mbuf_write_u8(csv->data, 0))
		why = "nomem";

	return why;
}


/* Empty lines between records are not records. */
static void skip_empty(struct csv *csv)
{
	while (csv->p < csv->end && (*csv->p == '\n' || *csv->p == '\r'))
		(void)eol(csv);
}


/**
 * Read the next record; its fields are valid until the next call.
 *
 * @return 0 if a record was read, ENODATA at the end, EBADMSG if the
 * record cannot be read (csv_error() says why; the next call goes on
 * with the line after the one it started on), ENOMEM
 */
int csv_next(struct csv *csv)
{
	const char *why;

	if (!csv)
		return EINVAL;

	skip_empty(csv);
	if (csv->p >= csv->end)
		return ENODATA;

	csv->rec.begin = csv->p;
	csv->rec.line = csv->line;
	csv->nf = 0;
	csv->data->pos = csv->data->end = 0;

	for (;;) {
		why = field(csv);
		if (why && !strcmp(why, "nomem"))
			return ENOMEM;
		if (why)
			return fail(csv, why, message(why));

		if (csv->p < csv->end && *csv->p == ',') {
			csv->p++;
			continue;
		}

		(void)eol(csv);
		break;
	}

	csv->offv[csv->nf] = csv->data->end;

	return 0;
}


/** The line the current (or the failed) record starts on. */
unsigned csv_line(const struct csv *csv)
{
	return csv ? csv->rec.line : 0;
}


/** Fields of the current record. */
unsigned csv_count(const struct csv *csv)
{
	return csv ? csv->nf : 0;
}


/** Field i of the current record, NUL-ended; "" past the last. */
const char *csv_field(const struct csv *csv, unsigned i)
{
	if (!csv || i >= csv->nf)
		return "";

	return (const char *)csv->data->buf + csv->offv[i];
}


/** Bytes of field i (a field holds no NUL). */
size_t csv_field_len(const struct csv *csv, unsigned i)
{
	if (!csv || i >= csv->nf)
		return 0;

	return csv->offv[i + 1] - csv->offv[i] - 1;
}


/** Why the last csv_next() returned EBADMSG. */
const struct csv_error *csv_error(const struct csv *csv)
{
	return csv ? &csv->err : NULL;
}


/** Bytes of the buffer read so far, for progress. */
size_t csv_offset(const struct csv *csv)
{
	return csv ? (size_t)(csv->p - csv->start) : 0;
}
