/*
 * The recording directory: where encrypted files live and how a row's
 * relative path becomes a file name. A relative path is built here from
 * ids and a date, never from user input, and is checked again before it
 * is resolved.
 *
 *   <dir>/<tenant_id>/<YYYY>/<MM>/<DD>/<recording_id>.osrec
 *
 * The date is China's (UTC+8) calendar day of the recording's start.
 */
#ifndef OPENSEAT_REC_STORE_H
#define OPENSEAT_REC_STORE_H

#include <stddef.h>
#include <stdint.h>

struct app;

int  rec_store_init(struct app *app, char *errbuf, size_t errsz);
const char *rec_store_dir(void);
int  rec_store_rel(char *rel, size_t sz, const char *tenant_id,
		   const char *recording_id, int64_t wall_ms);
int  rec_store_abs(char *abs, size_t sz, const char *rel);
int  rec_store_mkdirs(const char *rel);

#endif
