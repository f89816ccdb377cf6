/* HTTP edge internals shared by the files of server/http/. */
#ifndef OPENSEAT_HTTP_INT_H
#define OPENSEAT_HTTP_INT_H

#include "http/http.h"
#include "auth/principal.h"

struct lws;
struct lws_context;
struct mbuf;

#define HTTP_MAX_PARAMS 4
#define HTTP_REQ_ID_LEN 17

struct http_server {
	struct app *app;                 /**< (borrowed) outlives us */
	struct lws_context *ctx;         /**< (owner) */
	bool shutting_down;              /**< first destroy call made */
};

struct http_pair {
	const char *name;                /**< (borrowed) in the pattern */
	size_t name_len;
	char *value;                     /**< (own) */
};

/*
 * A body over max_body is still read (and dropped) up to this many times
 * max_body before the 413 goes out: a client that is still writing when
 * the server closes gets a reset instead of the answer.
 */
#define HTTP_DRAIN_FACTOR 16

#define HTTP_MAX_QUERY 16

struct http_req {
	struct http_server *hs;          /**< (borrowed) */
	struct lws *wsi;                 /**< NULL once the client left */
	char method[8];
	char *path;                      /**< (own) decoded path        */
	char *authz;                     /**< (own) Authorization       */
	char *ctype;                     /**< (own) Content-Type        */
	char *idem_key;                  /**< (own) Idempotency-Key     */
	char *range;                     /**< (own) Range               */
	char remote[64];
	char req_id[HTTP_REQ_ID_LEN];
	int64_t content_length;          /**< -1 if not given           */
	uint64_t body_max;               /**< the route's body limit    */
	const struct http_body_limit *body_limit;  /**< (borrowed) or NULL */
	uint64_t body_seen;              /**< body bytes received       */
	struct mbuf *body;               /**< (own) request body        */
	bool body_too_large;
	bool length_required;            /**< body without Content-Length */
	char chunk_tail[8];              /**< last bytes of a chunked body */
	const char *bad_request;         /**< 400 found in the headers  */
	struct json_t *json;             /**< (own) parsed body         */
	const struct http_route *route;  /**< (borrowed) static table   */
	struct http_pair params[HTTP_MAX_PARAMS];
	unsigned nparams;
	struct http_query {
		char *name;              /**< (own) */
		char *value;             /**< (own) */
	} query[HTTP_MAX_QUERY];
	unsigned nquery;
	struct principal principal;
	uint64_t t_start_us;

	/* the reply */
	unsigned status;
	char *resp_ctype;                /**< (own) */
	char *resp_body;                 /**< (own) */
	size_t resp_len;
	size_t resp_off;
	struct mbuf *resp_hdrs;          /**< (own) "name\0value\0" pairs */
	bool replied;
	bool held;                       /**< until reply_hook has stored */
	bool hdrs_sent;
	bool done;
	void (*reply_hook)(struct http_req *req);  /**< idempotency store */
	void *hook_arg;                  /**< (ref) */
};

int  http_req_alloc(struct http_req **reqp, struct http_server *hs,
		    struct lws *wsi);
void http_req_detach(struct http_req *req);
int  http_req_body_add(struct http_req *req, const void *p, size_t len);
uint64_t http_req_drain_max(const struct http_req *req);
const struct http_body_limit *http_body_limit_find(struct http_req *req);
void http_dispatch(struct http_req *req);
int  http_write(struct http_req *req);
void http_finish_metrics(struct http_req *req);
void http_kick(struct http_req *req);

#endif
