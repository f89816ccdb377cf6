/*
 * Outgoing HTTP requests that answer a JSON object, with a deadline:
 * the IVR lookup node and the screen pop's lookup in a tenant's CRM.
 * Sent through http/outreq.h: nothing leaves before the peer's
 * addresses and certificate are approved.
 */
#ifndef OPENSEAT_FETCH_H
#define OPENSEAT_FETCH_H

#include <stdbool.h>
#include <stdint.h>

struct fetch;
struct json_t;

/** What to ask. Strings are copied or sent before fetch_start returns */
struct fetch_req {
	const char *method;     /**< "GET" or "POST"; NULL: GET          */
	const char *url;        /**< http:// or https://                 */
	const char *body;       /**< POST: JSON text, or NULL            */
	const char *header;     /**< one "Name: value" line, or NULL     */
	uint32_t timeout_ms;    /**< the whole request, DNS included      */
	bool egress;            /**< only addresses egress_allowed()      */
};

/**
 * The answer, called exactly once unless the fetch is freed first, and
 * never from inside fetch_start().
 *
 * @param err     0, ETIMEDOUT, EBADMSG (status not 2xx), EPROTO (not a
 *                JSON object, or a malformed response), EMSGSIZE (body
 *                too big), EAUTH (https peer not trusted: nothing was
 *                sent), EACCES (an address of the host refused by
 *                egress: no connection made), ENOENT (host not found)
 *                or a connection error
 * @param scode   The HTTP status, 0 when none came
 * @param result  The JSON object (borrowed; NULL unless err is 0)
 * @param arg     Handler argument
 */
typedef void (fetch_h)(int err, uint16_t scode,
		       const struct json_t *result, void *arg);

int  fetch_start(struct fetch **fp, const struct fetch_req *r,
		 fetch_h *h, void *arg);
int  fetch_add_ca(const char *path);
void fetch_close(void);

#endif
