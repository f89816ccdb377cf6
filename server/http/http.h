/* HTTP edge: requests, routes and replies on libwebsockets. */
#ifndef OPENSEAT_HTTP_H
#define OPENSEAT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "auth/role.h"

struct app;
struct http_req;
struct http_server;
struct param;
struct principal;
struct json_t;
struct mbuf;

typedef void (http_handler_h)(struct http_req *req);

/** Who may call a route. */
enum http_access {
	HTTP_PUBLIC = 0,   /**< no credentials                        */
	HTTP_ANY,          /**< any authenticated principal            */
	HTTP_TENANT,       /**< a tenant principal with role >= min_role */
	HTTP_OPERATOR,     /**< the platform operator only             */
};

struct http_route {
	const char *method;          /**< "GET", "POST", ...            */
	const char *path;            /**< "/api/v1/users/{user_id}"      */
	enum http_access access;
	enum role min_role;          /**< for HTTP_TENANT               */
	const struct param *params;  /**< JSON body table, or NULL      */
	size_t nparams;
	http_handler_h *h;
};

/**
 * A route whose request body may be larger (or must be smaller) than
 * cfg max_body, and what its 413 says.
 */
struct http_body_limit {
	const struct http_route *route;  /**< (borrowed) static table entry */
	uint64_t max;                    /**< bytes                          */
	const char *code;                /**< 413 problem code               */
	const char *detail;              /**< 413 problem detail             */
};

int  http_server_alloc(struct http_server **hsp, struct app *app);
void http_server_shutdown(struct http_server *hs);
int  http_routes_add(const struct http_route *routes, size_t n);
void http_routes_flush(void);
int  http_body_limit_add(const struct http_body_limit *lim);

/* Request accessors */
struct app *http_req_app(const struct http_req *req);
const char *http_req_method(const struct http_req *req);
const char *http_req_path(const struct http_req *req);
const char *http_req_param(const struct http_req *req, const char *name);
const char *http_req_query(const struct http_req *req, const char *name);
const char *http_req_header(const struct http_req *req, const char *name);
const char *http_req_remote(const struct http_req *req);
const char *http_req_id(const struct http_req *req);
struct json_t *http_req_json(const struct http_req *req);
struct mbuf *http_req_body_take(struct http_req *req);
const struct principal *http_req_principal(const struct http_req *req);
bool http_req_gone(const struct http_req *req);
void http_req_set_principal(struct http_req *req, const struct principal *p);

/* Replies: exactly one per request; a reply after the client left is
 * dropped quietly. */
void http_reply_json(struct http_req *req, unsigned status,
		     struct json_t *body);
void http_reply_raw(struct http_req *req, unsigned status,
		    const char *ctype, const char *body, size_t len);
void http_reply_empty(struct http_req *req, unsigned status);
void http_reply_problem(struct http_req *req, unsigned status,
			const char *code, const char *detail);
void http_reply_error(struct http_req *req, int err);
void http_reply_header(struct http_req *req, const char *name,
		       const char *value);

#endif
