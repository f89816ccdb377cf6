/* Replies: status, headers and body written in small chunks. */
#include <string.h>
#include <libwebsockets.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_tmr.h>
#define LOG_MODULE "http"
#include "log/log.h"
#include "app.h"
#include "core/clock.h"
#include "metrics/metrics.h"
#include "http/http_int.h"

/* Over h2 one large lws_write stalled (notes): write at most this much. */
#define CHUNK 4096

/* The one errno → HTTP mapping of the edge. */
static const struct {
	int err;
	unsigned status;
	const char *code;
	const char *detail;
} err_map[] = {
	{ENOENT,    404, "not_found", "The resource does not exist."},
	{EEXIST,    409, "conflict", "A resource with that name exists."},
	{EINVAL,    400, "validation_failed", "The request is not valid."},
	{EACCES,    403, "forbidden", "Your role does not allow this."},
	{EPERM,     403, "forbidden", "Your role does not allow this."},
	{EAGAIN,    503, "service_unavailable",
	 "The database is unavailable; retry shortly."},
	{EBUSY,     503, "service_unavailable",
	 "The server is busy; retry shortly."},
	{ETIMEDOUT, 503, "service_unavailable",
	 "The request timed out; retry shortly."},
	{ECANCELED, 503, "service_unavailable",
	 "The server is shutting down; retry shortly."},
	{EDQUOT,    409, "seat_quota_exceeded",
	 "The tenant's seat quota is used up."},
};


static const char *status_title(unsigned status)
{
	switch (status) {

	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default:  return status >= 500 ? "Internal Server Error" : "Error";
	}
}


static void set_reply(struct http_req *req, unsigned status,
		      const char *ctype, char *body, size_t len)
{
	if (req->replied) {
		log_error("second reply to %s %s dropped", req->method,
			  req->path);
		mem_deref(body);
		return;
	}

	req->replied = true;
	req->status = status;
	req->resp_body = body;
	req->resp_len = len;
	(void)str_dup(&req->resp_ctype, ctype ? ctype : "");

	if (req->reply_hook)
		req->reply_hook(req);

	http_kick(req);
}


/**
 * Reply with raw bytes.
 *
 * @param ctype  content type, or NULL for none (204)
 */
void http_reply_raw(struct http_req *req, unsigned status,
		    const char *ctype, const char *body, size_t len)
{
	char *copy = NULL;

	if (len) {
		copy = mem_alloc(len, NULL);
		if (!copy) {
			status = 500;
			len = 0;
		}
		else {
			memcpy(copy, body, len);
		}
	}

	set_reply(req, status, ctype, copy, len);
}


/** Reply with a JSON document; takes the caller's reference to body. */
void http_reply_json(struct http_req *req, unsigned status, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (!s) {
		http_reply_problem(req, 500, "internal_error",
				   "The reply could not be encoded.");
		return;
	}

	http_reply_raw(req, status, "application/json", s, strlen(s));
	free(s);  /* ccheck: foreign */
}


void http_reply_empty(struct http_req *req, unsigned status)
{
	set_reply(req, status, NULL, NULL, 0);
}


/**
 * Reply with an RFC 9457 problem document.
 *
 * @param code    machine-readable code, also the type's last segment
 * @param detail  an English sentence saying what to do
 */
void http_reply_problem(struct http_req *req, unsigned status,
			const char *code, const char *detail)
{
	json_t *pb;
	char type[96];
	char *s;

	(void)re_snprintf(type, sizeof(type), "/problems/%s", code);
	pb = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type,
		       "title", status_title(status), "status", (int)status,
		       "code", code, "detail", detail ? detail : "");
	s = pb ? json_dumps(pb, JSON_COMPACT) : NULL;
	json_decref(pb);
	if (!s) {
		http_reply_raw(req, 500, "text/plain", "error", 5);
		return;
	}

	http_reply_raw(req, status, "application/problem+json", s,
		       strlen(s));
	free(s);  /* ccheck: foreign */
}


/** Reply for an errno from a domain function, through one table. */
void http_reply_error(struct http_req *req, int err)
{
	struct log_ctx ctx = {
		.req_id = req->req_id,
		.tenant_id = req->principal.tenant_id,
	};

	for (size_t i = 0; i < ARRAY_SIZE(err_map); i++) {
		if (err_map[i].err != err)
			continue;

		if (err_map[i].status == 503)
			http_reply_header(req, "retry-after", "2");
		http_reply_problem(req, err_map[i].status, err_map[i].code,
				   err_map[i].detail);
		return;
	}

	log_write(LOG_LVL_ERROR, "http", &ctx, "%s %s failed: %m",
		  req->method, req->path, err);
	http_reply_problem(req, 500, "internal_error",
			   "Something went wrong on our side; the request id "
			   "names it in our logs.");
}


/** Add a response header (before the reply is written). */
void http_reply_header(struct http_req *req, const char *name,
		       const char *value)
{
	if (!req->resp_hdrs)
		req->resp_hdrs = mbuf_alloc(128);
	if (!req->resp_hdrs)
		return;

	(void)mbuf_printf(req->resp_hdrs, "%s:%c%s%c", name, 0, value, 0);
}


static int add_hdr(struct lws *wsi, const char *name, const char *val,
		   unsigned char **p, unsigned char *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)val,
					   (int)strlen(val), p, end);
}


static int write_headers(struct http_req *req)
{
	unsigned char buf[LWS_PRE + 2048];
	unsigned char *start = buf + LWS_PRE, *p = start;
	unsigned char *end = buf + sizeof(buf) - 1;
	struct lws *wsi = req->wsi;

	if (lws_add_http_common_headers(wsi, req->status,
					req->resp_len ? req->resp_ctype : NULL,
					(lws_filepos_t)req->resp_len, &p, end))
		return -1;

	if (add_hdr(wsi, "x-request-id:", req->req_id, &p, end))
		return -1;
	if (add_hdr(wsi, "cache-control:", "no-store", &p, end))
		return -1;

	if (req->resp_hdrs) {
		const char *h = (const char *)req->resp_hdrs->buf;
		const char *hend = h + req->resp_hdrs->end;

		while (h < hend) {
			const char *v = h + strlen(h) + 1;

			if (add_hdr(wsi, h, v, &p, end))
				return -1;
			h = v + strlen(v) + 1;
		}
	}

	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;

	req->hdrs_sent = true;
	return 0;
}


/**
 * Write the next part of the reply when lws says the socket is writeable.
 *
 * @return what lws expects from the callback: 0 to go on, -1 to close
 */
int http_write(struct http_req *req)
{
	unsigned char buf[LWS_PRE + CHUNK];
	size_t n;
	int final;

	if (!req->replied || req->held || req->done || !req->wsi)
		return 0;

	if (!req->hdrs_sent) {
		if (write_headers(req))
			return -1;
		if (!req->resp_len)
			goto complete;
		lws_callback_on_writable(req->wsi);
		return 0;
	}

	n = req->resp_len - req->resp_off;
	if (n > CHUNK)
		n = CHUNK;
	final = req->resp_off + n == req->resp_len;

	memcpy(buf + LWS_PRE, req->resp_body + req->resp_off, n);
	if (lws_write(req->wsi, buf + LWS_PRE, n, final ?
		      LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
		return -1;

	req->resp_off += n;
	if (!final) {
		lws_callback_on_writable(req->wsi);
		return 0;
	}

 complete:
	http_finish_metrics(req);
	req->done = true;
	if (req->body_too_large || req->length_required)
		return -1;  /* an unread body makes the connection unusable */

	return lws_http_transaction_completed(req->wsi) ? -1 : 0;
}


static struct metric *m_requests;
static struct metric *m_duration;

static const double duration_bounds[] = {0.0005, 0.001, 0.0025, 0.005,
					 0.01, 0.025, 0.05, 0.1, 0.25, 1};


/** Count the request by route, method and status, and time it. */
void http_finish_metrics(struct http_req *req)
{
	char labels[256];
	double secs;

	if (!m_requests) {
		m_requests = metric_counter("openseat_http_requests_total",
					    "HTTP requests by route, method "
					    "and status.");
		m_duration = metric_histogram(
			"openseat_http_request_duration_seconds",
			"Time from request to the last byte of the reply.",
			duration_bounds, ARRAY_SIZE(duration_bounds));
	}

	secs = (double)(clock_us() - req->t_start_us) / 1e6;
	(void)re_snprintf(labels, sizeof(labels),
			  "route=\"%s\",method=\"%s\",status=\"%u\"",
			  req->route ? req->route->path : "unmatched",
			  req->method, req->replied ? req->status : 499);
	metric_inc(m_requests, labels, 1);
	metric_observe(m_duration, NULL, secs);
}
