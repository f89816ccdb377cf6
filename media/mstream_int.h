/* A shared stream's payloads, for the ports that send it (media only). */
#ifndef OPENSEAT_MSTREAM_INT_H
#define OPENSEAT_MSTREAM_INT_H

#include <stddef.h>
#include <stdint.h>

struct mstream;
struct mcodec;

const uint8_t *mstream_payload(struct mstream *ms,
			       const struct mcodec *codec, size_t *lenp);

#endif
