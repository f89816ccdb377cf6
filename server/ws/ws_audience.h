/* Which clients of a tenant an event addresses, beyond its topic. */
#ifndef OPENSEAT_WS_AUDIENCE_H
#define OPENSEAT_WS_AUDIENCE_H

#include <stdbool.h>

struct json_t;
struct principal;

bool ws_audience_ok(const struct principal *p, const char *type,
		    const struct json_t *data);

#endif
