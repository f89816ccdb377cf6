/* The recordings' REST API: search, audio, exports. */
#ifndef OPENSEAT_REC_API_H
#define OPENSEAT_REC_API_H

int rec_api_init(void);

#endif
