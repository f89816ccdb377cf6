/* What the flows API files share with each other and the cache. */
#ifndef OPENSEAT_IVR_API_H
#define OPENSEAT_IVR_API_H

/** NOTIFY channel: payload is the changed flow's id. */
#define IVR_CHANNEL "openseat_flow"

struct http_req;

void ivr_api_save(struct http_req *req);
void ivr_api_validate(struct http_req *req);

#endif
