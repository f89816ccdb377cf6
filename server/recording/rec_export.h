/* A bulk export: a search's recordings in one encrypted zip. */
#ifndef OPENSEAT_REC_EXPORT_H
#define OPENSEAT_REC_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct rec_export;

/* The most recordings one export may hold, and the most bytes: the
 * zip is served from memory (as the audio is). */
#define REC_EXPORT_MAX 1000
#define REC_EXPORT_MAX_BYTES (512ull * 1024 * 1024)

int  rec_export_alloc(struct rec_export **exp, struct app *app,
		      const char *tenant_id, const char *export_id,
		      const char *rel, size_t n);
int  rec_export_item(struct rec_export *ex, size_t i,
		     const char *recording_id, const char *rel,
		     uint32_t key_no, const char *name, int64_t mtime);
void rec_export_start(struct rec_export *ex);
void rec_export_sweep(struct app *app);
bool rec_export_swept(void);

#endif
