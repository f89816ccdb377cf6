/* Opaque keyset pagination cursors and the limit query parameter. */
#ifndef OPENSEAT_CURSOR_H
#define OPENSEAT_CURSOR_H

#include <stddef.h>

/** Longest cursor accepted or produced, in characters. */
#define CURSOR_MAX 256

/* Opaque cursor = base64url of "<created_at text>|<id text>" */
int cursor_encode(char *out, size_t sz, const char *created_at,
		  const char *id);
int cursor_decode(const char *cursor, char *created_at, size_t csz,
		  char *id, size_t isz);  /* EINVAL on garbage */
int cursor_parse_limit(const char *s, unsigned def, unsigned max,
		       unsigned *limitp);  /* NULL s -> def; "abc", "0",
		       "-1", > max -> EINVAL */

#endif
