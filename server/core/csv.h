/* A streaming RFC 4180 CSV reader over a buffer held by the caller. */
#ifndef OPENSEAT_CSV_H
#define OPENSEAT_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct csv;

/** What a reader accepts; 0 in a member means its default. */
struct csv_limits {
	size_t record_max;     /**< bytes of one record (64 KiB)   */
	unsigned fields_max;   /**< fields of one record (256)     */
	bool quote_spaces;     /**< allow spaces around "quoted"   */
};

/** Why the last record could not be read. */
struct csv_error {
	unsigned line;         /**< line the record starts on       */
	const char *code;      /**< "unterminated_quote", ... static */
	const char *message;   /**< an English sentence, static     */
};

int  csv_alloc(struct csv **csvp, const char *buf, size_t len,
	       const struct csv_limits *lim);
int  csv_next(struct csv *csv);
unsigned csv_line(const struct csv *csv);
unsigned csv_count(const struct csv *csv);
const char *csv_field(const struct csv *csv, unsigned i);
size_t csv_field_len(const struct csv *csv, unsigned i);
const struct csv_error *csv_error(const struct csv *csv);
size_t csv_offset(const struct csv *csv);

#endif
