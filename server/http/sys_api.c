/* Probes and documents: /healthz, /readyz, /metrics, the OpenAPI file. */
#include <stdio.h>
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#define LOG_MODULE "http"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "metrics/metrics.h"
#include "http/http.h"
#include "http/sys_api.h"

static char *openapi;          /* loaded once at start */
static size_t openapi_len;


static void healthz(struct http_req *req)
{
	static const char body[] = "{\"status\":\"ok\"}";

	http_reply_raw(req, 200, "application/json", body,
		       sizeof(body) - 1);
}


static void readyz(struct http_req *req)
{
	static const char up[] = "{\"status\":\"ready\",\"database\":\"up\"}";
	static const char down[] =
		"{\"status\":\"unavailable\",\"database\":\"down\"}";
	struct app *app = http_req_app(req);

	if (db_ready(app->db) && !app->stopping)
		http_reply_raw(req, 200, "application/json", up,
			       sizeof(up) - 1);
	else
		http_reply_raw(req, 503, "application/json", down,
			       sizeof(down) - 1);
}


static void metrics_get(struct http_req *req)
{
	struct mbuf *mb = mbuf_alloc(8192);

	if (!mb || metrics_render(mb)) {
		mem_deref(mb);
		http_reply_error(req, ENOMEM);
		return;
	}

	http_reply_raw(req, 200, "text/plain; version=0.0.4",
		       (const char *)mb->buf, mb->end);
	mem_deref(mb);
}


static void openapi_get(struct http_req *req)
{
	if (!openapi) {
		http_reply_problem(req, 404, "not_found",
				   "The OpenAPI document is not installed.");
		return;
	}

	http_reply_raw(req, 200, "application/json", openapi, openapi_len);
}


/* Read the OpenAPI document once at start (not on any request). */
static void load_openapi(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct mbuf *mb;
	char buf[4096];
	size_t n;

	if (!f) {
		log_warn("%s: cannot read, /api/v1/openapi.json will 404",
			 path);
		return;
	}

	mb = mbuf_alloc(65536);
	while (mb && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		(void)mbuf_write_mem(mb, (uint8_t *)buf, n);
	fclose(f);

	if (mb && mb->end) {
		openapi_len = mb->end;
		mb->pos = 0;
		(void)mbuf_strdup(mb, &openapi, mb->end);
	}
	mem_deref(mb);
}


static const struct http_route routes[] = {
	{"GET", "/healthz", HTTP_PUBLIC, ROLE_NONE, NULL, 0, healthz},
	{"GET", "/readyz", HTTP_PUBLIC, ROLE_NONE, NULL, 0, readyz},
	{"GET", "/metrics", HTTP_PUBLIC, ROLE_NONE, NULL, 0, metrics_get},
	{"GET", "/api/v1/openapi.json", HTTP_PUBLIC, ROLE_NONE, NULL, 0,
	 openapi_get},
};


/**
 * Register the probe routes.
 *
 * @param openapi_path  the generated docs/openapi.json
 */
int sys_api_init(const char *openapi_path)
{
	load_openapi(openapi_path);

	return http_routes_add(routes, ARRAY_SIZE(routes));
}


void sys_api_close(void)
{
	openapi = mem_deref(openapi);
	openapi_len = 0;
}
