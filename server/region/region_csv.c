/* The tenant's own prefixes as CSV: "prefix,region" per line. */
#include <string.h>
#include <strings.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "region/region.h"
#include "region/region_int.h"

/*
 * One record per line (LF, CRLF or CR), UTF-8, an optional BOM, an
 * optional header line whose first field is "prefix" (or 前缀). Fields
 * are separated by commas and may be quoted ("广东省,深圳市" or a ""
 * inside quotes); a quoted field may not span lines. Blank lines are
 * skipped. Every bad line is reported with its number and why, and the
 * reading goes on with the next line, so one pass says everything that
 * is wrong with a file.
 */

enum { NFIELDS = 3 };  /* two wanted; a third is kept to say "too many" */

struct rec {
	char f[NFIELDS][REGION_CSV_LINE_MAX + 1];
	size_t flen[NFIELDS];
	unsigned nf;
};


static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, n - i + 1);
}


static void put(struct rec *r, char c)
{
	unsigned k = r->nf - 1;

	if (k < NFIELDS && r->flen[k] < REGION_CSV_LINE_MAX)
		r->f[k][r->flen[k]++] = c;
}


/* A quoted field from just after its opening quote; *pp is left after
 * the closing one. */
static const char *quoted(struct rec *r, const char **pp, const char *end)
{
	const char *p = *pp;

	for (;;) {
		if (p == end)
			return "a quoted field has no closing quote on its "
				"line";
		if (*p == '"' && p + 1 < end && p[1] == '"') {
			put(r, '"');
			p += 2;
		}
		else if (*p == '"') {
			p++;
			break;
		}
		else {
			put(r, *p++);
		}
	}

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	*pp = p;
	if (p < end && *p != ',')
		return "text after a closing quote";

	return NULL;
}


/* Split one line into r; returns why it cannot be read, or NULL. */
static const char *split(struct rec *r, const char *p, const char *end)
{
	const char *why;

	memset(r->flen, 0, sizeof(r->flen));
	r->nf = 0;
	for (;;) {
		++r->nf;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;

		if (p < end && *p == '"') {
			++p;
			why = quoted(r, &p, end);
			if (why)
				return why;
		}
		else {
			for (; p < end && *p != ','; p++) {
				if (*p == '"')
					return "a quote inside a field that "
						"does not start with one";
				put(r, *p);
			}
		}

		if (p == end)
			break;
		++p;    /* the comma */
	}

	for (unsigned k = 0; k < NFIELDS; k++) {
		r->f[k][r->flen[k]] = '\0';
		trim(r->f[k]);
	}

	return NULL;
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


static bool blank(const char *p, const char *end)
{
	for (; p < end; p++) {
		if (*p != ' ' && *p != '\t')
			return false;
	}

	return true;
}


/* Lines read so far: non-blank ones, and whether the first was a
 * header. */
struct count {
	unsigned seen;
	bool header;
};


/* One physical line. */
static int line_do(struct rec *r, const char *p, const char *end,
		   unsigned line, struct count *cnt, region_csv_row_h *rowh,
		   region_csv_bad_h *badh, void *arg)
{
	const char *why;

	if (blank(p, end))
		return 0;

	if (cnt->seen - cnt->header >= REGION_CSV_ROWS_MAX)
		return E2BIG;
	++cnt->seen;

	if ((size_t)(end - p) > REGION_CSV_LINE_MAX)
		return badh(line, "line_too_long", "the line is longer than "
			    "1024 bytes", arg);

	if (memchr(p, '\0', (size_t)(end - p)))
		return badh(line, "encoding", "the line holds a NUL byte",
			    arg);

	why = split(r, p, end);
	if (why)
		return badh(line, "syntax", why, arg);

	if (cnt->seen == 1 && is_header(r)) {
		cnt->header = true;
		return 0;
	}

	return row(r, line, rowh, badh, arg);
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
	const char *p = buf, *end = buf + len;
	struct count cnt = {0, false};
	unsigned line = 0;
	struct rec *r;
	int err = 0;

	if (!buf || !rowh || !badh)
		return EINVAL;

	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;

	r = mem_zalloc(sizeof(*r), NULL);
	if (!r)
		return ENOMEM;

	while (p < end && !err) {
		const char *eol = p;

		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;

		err = line_do(r, p, eol, ++line, &cnt, rowh, badh, arg);

		p = eol;
		if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n')
			p += 2;
		else if (p < end)
			p++;
	}

	mem_deref(r);

	return err;
}
