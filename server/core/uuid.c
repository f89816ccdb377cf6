/* Random (version 4) UUIDs for ids we choose before inserting. */
#include <stdio.h>
#include <stdint.h>
#include <sodium.h>
#include "core/uuid.h"


/** Write a new random UUID in canonical lower-case form. */
void uuid_v4(char out[UUID_STRLEN])
{
	uint8_t b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);

	(void)snprintf(out, UUID_STRLEN,
		       "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		       "%02x%02x%02x%02x%02x%02x",
		       b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
		       b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}
