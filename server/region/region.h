/* Number attribution (号码归属地): a caller's number -> region, carrier. */
#ifndef OPENSEAT_REGION_H
#define OPENSEAT_REGION_H

#include <stddef.h>

struct app;

/** Longest normalized number, digits plus NUL. */
enum { REGION_NUM_SZ = 33 };

/**
 * The answer to a lookup, called exactly once and never from inside
 * region_lookup() itself.
 *
 * @param err     0, ENOENT (no prefix matches), or the database's error
 * @param region  "北京市", "广东省深圳市", ... (NULL unless err is 0)
 * @param carrier "中国移动", ... or NULL when not known
 * @param arg     Handler argument
 */
typedef void (region_h)(int err, const char *region, const char *carrier,
			void *arg);

int  region_normalize(char *out, size_t sz, const char *in);
int  region_lookup(struct app *app, const char *tenant_id,
		   const char *caller, region_h *h, void *arg);
void region_cache_flush(const char *tenant_id);
int  region_init(struct app *app);
void region_close(void);
int  region_import_cli(struct app *app, int argc, char *argv[]);

#endif
