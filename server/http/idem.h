/* Idempotency-Key: a POST runs once per principal and key. */
#ifndef OPENSEAT_IDEM_H
#define OPENSEAT_IDEM_H

struct http_req;

typedef void (idem_proceed_h)(struct http_req *req);

void idem_begin(struct http_req *req, idem_proceed_h *proceed);

#endif
