/* Routing: match, authenticate, authorize, validate, then the handler. */
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#define LOG_MODULE "http"
#include "log/log.h"
#include "app.h"
#include "auth/authn.h"
#include "auth/keyrate.h"
#include "http/http_int.h"
#include "http/param.h"
#include "http/idem.h"

#define MAX_ROUTE_TABLES 64

/* Route tables are static arrays registered by each domain at start. */
static struct {
	const struct http_route *routes;
	size_t n;
} tables[MAX_ROUTE_TABLES];
static size_t ntables;

#define MAX_BODY_LIMITS 8

static const struct http_body_limit *limits[MAX_BODY_LIMITS];
static size_t nlimits;


/**
 * Register a static table of routes (kept by reference).
 *
 * @return 0 if success, otherwise errorcode
 */
int http_routes_add(const struct http_route *routes, size_t n)
{
	if (ntables >= MAX_ROUTE_TABLES)
		return ENOSPC;

	tables[ntables].routes = routes;
	tables[ntables].n = n;
	ntables++;

	return 0;
}


void http_routes_flush(void)
{
	ntables = 0;
	nlimits = 0;
}


/**
 * Give a registered route its own body limit (lim kept by reference).
 *
 * @return 0 if success, otherwise errorcode
 */
int http_body_limit_add(const struct http_body_limit *lim)
{
	if (!lim || !lim->route)
		return EINVAL;
	if (nlimits >= MAX_BODY_LIMITS)
		return ENOSPC;

	limits[nlimits++] = lim;

	return 0;
}


/* Match "/a/{x}/b" against "/a/123/b"; collect {x} into req->params. */
static bool path_match(struct http_req *req, const char *pattern)
{
	const char *p = pattern, *s = req->path;
	unsigned np = 0;

	while (*p && *s) {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			const char *se = strchr(s, '/');
			size_t sl = se ? (size_t)(se - s) : strlen(s);

			if (!pe || sl == 0 || np >= HTTP_MAX_PARAMS)
				return false;

			p = pe + 1;
			s += sl;
			np++;
			continue;
		}
		if (*p++ != *s++)
			return false;
	}

	return *p == '\0' && *s == '\0';
}


static void collect_params(struct http_req *req, const char *pattern)
{
	const char *p = pattern, *s = req->path;

	while (*p && *s && req->nparams < HTTP_MAX_PARAMS) {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			const char *se = strchr(s, '/');
			size_t sl = se ? (size_t)(se - s) : strlen(s);
			struct http_pair *hp = &req->params[req->nparams];

			/* the name points into the static route pattern */
			hp->name = p + 1;
			hp->name_len = (size_t)(pe - p - 1);
			(void)re_sdprintf(&hp->value, "%b", s, sl);
			req->nparams++;
			p = pe + 1;
			s += sl;
			continue;
		}
		p++;
		s++;
	}
}


static void reply_405(struct http_req *req)
{
	char allow[64] = "";
	size_t off = 0;

	for (size_t t = 0; t < ntables; t++) {
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct http_route *r = &tables[t].routes[i];

			if (!path_match(req, r->path))
				continue;
			off += (size_t)re_snprintf(allow + off,
						   sizeof(allow) - off,
						   "%s%s", off ? ", " : "",
						   r->method);
		}
	}

	http_reply_header(req, "allow", allow);
	http_reply_problem(req, 405, "method_not_allowed",
			   "This path does not accept that method; see the "
			   "Allow header.");
}


static int route_find(struct http_req *req)
{
	bool path_seen = false;

	for (size_t t = 0; t < ntables; t++) {
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct http_route *r = &tables[t].routes[i];

			if (!path_match(req, r->path))
				continue;
			path_seen = true;
			if (strcmp(r->method, req->method))
				continue;

			req->route = r;
			collect_params(req, r->path);
			return 0;
		}
	}

	return path_seen ? EPERM : ENOENT;
}


/*
 * The body limit of the route a request will reach, looked up when its
 * headers arrive: the route that route_find() will pick (the first that
 * matches method and path) must be the one the limit names.
 */
const struct http_body_limit *http_body_limit_find(struct http_req *req)
{
	if (!nlimits)
		return NULL;

	for (size_t t = 0; t < ntables; t++) {
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct http_route *r = &tables[t].routes[i];

			if (strcmp(r->method, req->method) ||
			    !path_match(req, r->path))
				continue;

			for (size_t k = 0; k < nlimits; k++) {
				if (limits[k]->route == r)
					return limits[k];
			}
			return NULL;
		}
	}

	return NULL;
}


static void reply_validation(struct http_req *req,
			     const struct param_error *errv, size_t errc)
{
	json_t *pb, *arr;

	arr = json_array();
	for (size_t i = 0; arr && i < errc; i++) {
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}",
			"field", errv[i].field, "code", errv[i].code,
			"message", errv[i].message));
	}

	pb = json_pack("{s:s, s:s, s:i, s:s, s:s, s:o}",
		       "type", "/problems/validation_failed",
		       "title", "Bad Request", "status", 400,
		       "code", "validation_failed",
		       "detail", "Some fields are not valid; see errors.",
		       "errors", arr ? arr : json_array());
	if (!pb) {
		http_reply_error(req, ENOMEM);
		return;
	}

	{
		char *s = json_dumps(pb, JSON_COMPACT);

		json_decref(pb);
		if (!s) {
			http_reply_error(req, ENOMEM);
			return;
		}
		http_reply_raw(req, 400, "application/problem+json", s,
			       strlen(s));
		free(s);  /* ccheck: foreign */
	}
}


static bool ctype_is_json(const char *ct)
{
	size_t n = strlen("application/json");

	if (!ct)
		return false;

	return !strncasecmp(ct, "application/json", n) &&
		(ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}


/* Parse and validate the JSON body against the route's table. */
static int body_check(struct http_req *req)
{
	struct param_error errv[16];
	size_t errc = 0;
	json_error_t jerr;
	size_t len = req->body ? req->body->end : 0;

	if (!ctype_is_json(req->ctype)) {
		http_reply_problem(req, 415, "unsupported_media_type",
				   "Send the body as application/json.");
		return EINVAL;
	}

	req->json = json_loadb(len ? (const char *)req->body->buf : "",
			       len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req->json) {
		char detail[200];

		(void)re_snprintf(detail, sizeof(detail),
				  "The body is not valid JSON: %s "
				  "(at byte %d).", jerr.text, jerr.position);
		http_reply_problem(req, 400, "invalid_json", detail);
		return EINVAL;
	}

	if (param_validate(req->json, req->route->params,
			   req->route->nparams, false, errv,
			   ARRAY_SIZE(errv), &errc)) {
		reply_validation(req, errv, errc);
		return EINVAL;
	}

	return 0;
}


static void run_handler(struct http_req *req)
{
	req->route->h(req);
}


static void after_auth(struct http_req *req)
{
	const struct http_route *r = req->route;

	if (r->params && body_check(req))
		return;

	if (!strcmp(req->method, "POST") && req->idem_key &&
	    req->principal.kind != PRINCIPAL_NONE) {
		idem_begin(req, run_handler);
		return;
	}

	run_handler(req);
}


static bool access_ok(const struct http_req *req)
{
	const struct principal *p = &req->principal;

	switch (req->route->access) {

	case HTTP_PUBLIC:
	case HTTP_ANY:
		return true;

	case HTTP_OPERATOR:
		return p->kind == PRINCIPAL_OPERATOR;

	case HTTP_TENANT:
		return p->kind != PRINCIPAL_OPERATOR && p->tenant_id[0] &&
			p->role >= req->route->min_role;
	}

	return false;
}


/*
 * An API key's request takes one from the key's bucket; every reply to
 * it says how many are left. Sessions of people are not limited here.
 * @return true if refused (429 sent)
 */
static bool key_over_limit(struct http_req *req, const struct principal *p)
{
	struct keyrate_state st;
	char v[16];
	int err;

	if (p->kind != PRINCIPAL_API_KEY)
		return false;

	err = keyrate_check(p->id, p->rate_per_s, p->rate_burst, &st);
	if (err && err != EAGAIN)
		return false;     /* no memory for a bucket: let it through */

	if (st.limit) {
		(void)re_snprintf(v, sizeof(v), "%u", st.limit);
		http_reply_header(req, "ratelimit-limit", v);
		(void)re_snprintf(v, sizeof(v), "%u", st.remaining);
		http_reply_header(req, "ratelimit-remaining", v);
	}
	if (!err)
		return false;

	(void)re_snprintf(v, sizeof(v), "%u", st.retry_s);
	http_reply_header(req, "retry-after", v);
	http_reply_problem(req, 429, "too_many_requests",
			   "This API key sent more requests than its rate "
			   "limit allows; retry after Retry-After seconds.");

	return true;
}


static void authn_done(int err, const char *why, const struct principal *p,
		       void *arg)
{
	struct http_req *req = arg;

	if (req->done)
		goto out;

	if (err == EACCES) {
		http_reply_header(req, "www-authenticate", "Bearer");
		http_reply_problem(req, 401, "unauthorized",
				   "Sign in again: the credential is missing,"
				   " invalid or expired.");
		goto out;
	}
	if (err == EPERM) {
		http_reply_problem(req, 403, why,
				   !strcmp(why, "tenant_suspended") ?
				   "This tenant is suspended; contact the "
				   "platform operator." :
				   "This account is disabled; contact your "
				   "administrator.");
		goto out;
	}
	if (err) {
		http_reply_error(req, err);
		goto out;
	}

	req->principal = *p;
	if (key_over_limit(req, p))
		goto out;
	if (!access_ok(req)) {
		http_reply_problem(req, 403, "forbidden",
				   "Your role does not allow this.");
		goto out;
	}

	after_auth(req);

 out:
	mem_deref(req);
}


/**
 * Take a request whose headers (and body, if any) have arrived through
 * the pipeline. Every path ends in exactly one reply.
 */
void http_dispatch(struct http_req *req)
{
	int err;

	if (req->body_too_large) {
		const struct http_body_limit *lim = req->body_limit;

		http_reply_problem(req, 413,
				   lim ? lim->code : "body_too_large",
				   lim ? lim->detail : "The request body is "
				   "larger than the server accepts.");
		return;
	}
	if (req->length_required) {
		http_reply_problem(req, 411, "length_required",
				   "Send the request body with a "
				   "Content-Length header.");
		return;
	}
	if (req->bad_request) {
		http_reply_problem(req, 400, "validation_failed",
				   req->bad_request);
		return;
	}

	err = route_find(req);
	if (err == EPERM) {
		reply_405(req);
		return;
	}
	if (err) {
		http_reply_problem(req, 404, "not_found",
				   "No such endpoint.");
		return;
	}

	if (req->route->access == HTTP_PUBLIC) {
		after_auth(req);
		return;
	}

	authn_bearer(req->hs->app, req->authz, authn_done, mem_ref(req));
}
