/* One HTTP request: what the client sent, copied out of lws at once. */
#include <string.h>
#include <stdlib.h>
#include <libwebsockets.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_sys.h>
#include <re_list.h>
#include <re_tmr.h>
#include "app.h"
#include "core/clock.h"
#include "http/uvloop.h"
#include "http/http_int.h"
#include "auth/secret.h"

#define HDR_MAX 4096


static void destructor(void *arg)
{
	struct http_req *req = arg;

	mem_deref(req->path);
	mem_deref(req->authz);
	mem_deref(req->ctype);
	mem_deref(req->idem_key);
	mem_deref(req->range);
	mem_deref(req->body);
	if (req->json)
		json_decref(req->json);
	for (unsigned i = 0; i < req->nparams; i++)
		mem_deref(req->params[i].value);
	for (unsigned i = 0; i < req->nquery; i++) {
		mem_deref(req->query[i].name);
		mem_deref(req->query[i].value);
	}
	mem_deref(req->resp_ctype);
	mem_deref(req->resp_body);
	mem_deref(req->resp_hdrs);
	mem_deref(req->hook_arg);
}


/* Copy a header into a new string; NULL when absent or too long. */
static char *hdr_dup(struct lws *wsi, enum lws_token_indexes tok)
{
	int n = lws_hdr_total_length(wsi, tok);
	char *s;

	if (n <= 0 || n > HDR_MAX)
		return NULL;

	s = mem_alloc((size_t)n + 1, NULL);
	if (!s)
		return NULL;

	if (lws_hdr_copy(wsi, s, n + 1, tok) < 0)
		return mem_deref(s);

	return s;
}


/*
 * A custom header of any length lws accepted (its header budget bounds
 * it): callers check lengths themselves, so a value too long is refused
 * rather than silently taken as absent.
 */
static char *custom_hdr_dup(struct lws *wsi, const char *name)
{
	int nlen = (int)strlen(name);
	int n = lws_hdr_custom_length(wsi, name, nlen);
	char *s;

	if (n <= 0)
		return NULL;

	s = mem_alloc((size_t)n + 1, NULL);
	if (!s)
		return NULL;

	if (lws_hdr_custom_copy(wsi, s, n + 1, name, nlen) < 0)
		return mem_deref(s);

	return s;
}


static int read_method_path(struct http_req *req, struct lws *wsi)
{
	char *uri = NULL;
	char meth[8];
	int len = 0;
	int m;

	static const char *names[] = {"GET", "POST", "OPTIONS", "PUT",
				      "PATCH", "DELETE", "CONNECT", "HEAD"};

	m = lws_http_get_uri_and_method(wsi, &uri, &len);
	if (m < 0 || !uri)
		return EPROTO;

	if (m == LWSHUMETH_COLON_PATH) {
		/* h2: the method is a pseudo-header of its own */
		if (lws_hdr_copy(wsi, meth, sizeof(meth),
				 WSI_TOKEN_HTTP_COLON_METHOD) <= 0)
			return EPROTO;
		str_ncpy(req->method, meth, sizeof(req->method));
	}
	else if ((size_t)m < ARRAY_SIZE(names)) {
		str_ncpy(req->method, names[m], sizeof(req->method));
	}
	else {
		return EPROTO;
	}

	/* h2 :path still carries the query string */
	for (int i = 0; i < len; i++) {
		if (uri[i] == '?') {
			len = i;
			break;
		}
	}

	return re_sdprintf(&req->path, "%b", uri, (size_t)len);
}


/* Split one "name=value" argument (lws already %-decoded it). */
static int query_add(struct http_req *req, const char *arg, size_t n)
{
	struct http_query *q = &req->query[req->nquery];
	const char *eq = memchr(arg, '=', n);
	size_t nl = eq ? (size_t)(eq - arg) : n;
	int err;

	err = re_sdprintf(&q->name, "%b", arg, nl);
	err = err ? err : re_sdprintf(&q->value, "%b", eq ? eq + 1 : "",
				      eq ? n - nl - 1 : 0);
	if (err) {
		q->name = mem_deref(q->name);
		return err;
	}

	req->nquery++;
	return 0;
}


/*
 * Read the URI arguments lws split at '&' and decoded. Each is taken
 * whole, however long (lws's header budget bounds it): dropping one would
 * serve the request as if the parameter had not been given.
 */
static int query_read(struct http_req *req, struct lws *wsi)
{
	enum lws_token_indexes tok = WSI_TOKEN_HTTP_URI_ARGS;
	char *arg;
	int i, n, err = 0;

	for (i = 0; !err; i++) {
		n = lws_hdr_fragment_length(wsi, tok, i);
		if (n <= 0)
			break;

		if (req->nquery == ARRAY_SIZE(req->query)) {
			req->bad_request = "Too many query parameters.";
			break;
		}

		arg = mem_alloc((size_t)n + 1, NULL);
		if (!arg)
			return ENOMEM;

		n = lws_hdr_copy_fragment(wsi, arg, n + 1, tok, i);
		err = n < 0 ? EPROTO : query_add(req, arg, (size_t)n);
		mem_deref(arg);
	}

	return err;
}


/**
 * Create the request for a new HTTP transaction on wsi.
 *
 * @return 0 if success, otherwise errorcode
 */
int http_req_alloc(struct http_req **reqp, struct http_server *hs,
		   struct lws *wsi)
{
	struct http_req *req;
	char clen[24];
	int err;

	req = mem_zalloc(sizeof(*req), destructor);
	if (!req)
		return ENOMEM;

	req->hs = hs;
	req->wsi = wsi;
	req->t_start_us = clock_us();
	req->content_length = -1;
	(void)secret_random(req->req_id, sizeof(req->req_id), 12);

	err = read_method_path(req, wsi);
	if (err)
		goto out;

	req->authz = hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	req->ctype = hdr_dup(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	req->idem_key = custom_hdr_dup(wsi, "idempotency-key:");
	req->range = hdr_dup(wsi, WSI_TOKEN_HTTP_RANGE);
	err = query_read(req, wsi);
	if (err)
		goto out;

	lws_get_peer_simple(wsi, req->remote, sizeof(req->remote));

	/* the route may allow a larger body: known before the body comes */
	req->body_limit = http_body_limit_find(req);
	req->body_max = req->body_limit ? req->body_limit->max :
		hs->app->cfg.max_body;

	if (lws_hdr_copy(wsi, clen, sizeof(clen),
			 WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
		req->content_length = strtoll(clen, NULL, 10);
		if (req->content_length > (int64_t)req->body_max)
			req->body_too_large = true;
	}
	else if (lws_hdr_total_length(wsi,
				      WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
		req->length_required = true;  /* chunked bodies: not read */
	}

 out:
	if (err)
		mem_deref(req);
	else
		*reqp = req;

	return err;
}


/** The client is gone: later replies are dropped. */
void http_req_detach(struct http_req *req)
{
	if (!req)
		return;

	if (!req->done)
		http_finish_metrics(req);

	req->wsi = NULL;
	req->done = true;
}


/**
 * How much of a body over the limit is read and dropped before the 413:
 * the drain allowance of max_body on top of the route's own limit.
 */
uint64_t http_req_drain_max(const struct http_req *req)
{
	return req->body_max +
		(uint64_t)req->hs->app->cfg.max_body * (HTTP_DRAIN_FACTOR - 1);
}


/**
 * Append a chunk of the request body, bounded by the route's limit.
 *
 * @return 0 if success, EOVERFLOW past the limit, otherwise errorcode
 */
/*
 * A chunked body is not read (411), but it is drained: lws hands it over
 * still chunked, and closing with unread bytes makes the kernel reset
 * the connection, so the client would lose the answer. It ends with the
 * last chunk, "0" CRLF CRLF (no trailers expected).
 */
static int chunked_drain(struct http_req *req, const uint8_t *p,
			 size_t len)
{
	static const char last[] = "\r\n0\r\n\r\n";
	char *t = req->chunk_tail;
	size_t keep = sizeof(req->chunk_tail) - 1;
	size_t n = strlen(t);
	char win[64];

	req->body_seen += len;
	if (req->body_seen > http_req_drain_max(req))
		return EOVERFLOW;

	/* the tail of what came before, then the end of this piece */
	if (len > sizeof(win) - keep - 1) {
		p += len - (sizeof(win) - keep - 1);
		len = sizeof(win) - keep - 1;
		n = 0;   /* the piece alone is long enough */
	}
	memcpy(win, t, n);
	memcpy(win + n, p, len);
	win[n + len] = '\0';

	n += len;
	str_ncpy(t, win + (n > keep ? n - keep : 0), keep + 1);

	if (strstr(win, last) || !strcmp(win, "0\r\n\r\n"))
		return EOVERFLOW;   /* whole body seen: answer now */

	return 0;
}


int http_req_body_add(struct http_req *req, const void *p, size_t len)
{
	uint64_t max = req->body_max;

	if (req->length_required)
		return chunked_drain(req, p, len);

	req->body_seen += len;
	if (req->body_too_large)
		return req->body_seen > http_req_drain_max(req) ?
			EOVERFLOW : 0;

	if (!req->body) {
		/* the announced length at once: no copies while growing */
		size_t sz = req->content_length > 0 ?
			(size_t)req->content_length : len;

		req->body = mbuf_alloc(sz < 512 ? 512 : sz);
		if (!req->body)
			return ENOMEM;
	}

	if (req->body->end + len > max) {
		req->body_too_large = true;
		req->body = mem_deref(req->body);
		return 0;   /* drain the rest, then answer 413 */
	}

	return mbuf_write_mem(req->body, p, len);
}


/** Ask lws for a writeable callback and let libuv act on it now. */
void http_kick(struct http_req *req)
{
	if (!req->wsi)
		return;

	lws_callback_on_writable(req->wsi);
	uvloop_kick();
}


struct app *http_req_app(const struct http_req *req)
{
	return req->hs->app;
}


const char *http_req_method(const struct http_req *req)
{
	return req->method;
}


const char *http_req_path(const struct http_req *req)
{
	return req->path;
}


const char *http_req_remote(const struct http_req *req)
{
	return req->remote;
}


const char *http_req_id(const struct http_req *req)
{
	return req->req_id;
}


struct json_t *http_req_json(const struct http_req *req)
{
	return req->json;
}


/**
 * Take the raw request body (for routes without a JSON parameter table).
 *
 * @return the body, now the caller's reference, or NULL if there was none
 */
struct mbuf *http_req_body_take(struct http_req *req)
{
	struct mbuf *mb = req->body;

	req->body = NULL;

	return mb;
}


const struct principal *http_req_principal(const struct http_req *req)
{
	return &req->principal;
}


/** True once the request was answered or its client left. */
bool http_req_gone(const struct http_req *req)
{
	return req->done || !req->wsi;
}


/** Act as p from now on (after a login has established who it is). */
void http_req_set_principal(struct http_req *req, const struct principal *p)
{
	req->principal = *p;
}


/** A path parameter of the matched route, e.g. "user_id". */
const char *http_req_param(const struct http_req *req, const char *name)
{
	size_t n = strlen(name);

	for (unsigned i = 0; i < req->nparams; i++) {
		if (req->params[i].name_len == n &&
		    !strncmp(req->params[i].name, name, n))
			return req->params[i].value;
	}

	return NULL;
}


/** A request header we keep: authorization, content-type,
 *  idempotency-key, range. */
const char *http_req_header(const struct http_req *req, const char *name)
{
	if (!strcasecmp(name, "authorization"))
		return req->authz;
	if (!strcasecmp(name, "content-type"))
		return req->ctype;
	if (!strcasecmp(name, "idempotency-key"))
		return req->idem_key;
	if (!strcasecmp(name, "range"))
		return req->range;

	return NULL;
}


/** A query parameter (decoded), or NULL when absent. */
const char *http_req_query(const struct http_req *req, const char *name)
{
	for (unsigned i = 0; i < req->nquery; i++) {
		if (!strcmp(req->query[i].name, name))
			return req->query[i].value;
	}

	return NULL;
}
