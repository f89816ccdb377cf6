/* The libwebsockets context: listeners, mounts and the one callback. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <libwebsockets.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_sa.h>
#include <re_mem.h>
#include <re_mbuf.h>
#define LOG_MODULE "http"
#include "log/log.h"
#include "app.h"
#include "http/uvloop.h"
#include "http/http_int.h"
#include "ws/ws.h"

/*
 * Per-connection state lws allocates for protocols[0]. An HTTP/1.1
 * connection carries its requests one after another; an h2 stream is a
 * wsi of its own. A connection upgraded to WebSocket keeps its pss.
 */
struct pss {
	struct http_req *req;            /**< (ref) the current request */
	struct ws_client *wsc;           /**< (ref) after the upgrade   */
};

/*
 * Sent with every response, static or ours (lws adds vhost headers).
 * Inline styles are allowed: the waveform library of the recordings page
 * (wavesurfer.js) styles its shadow root with a <style> element. Scripts
 * stay 'self' only, and with images, fonts and connections limited to
 * 'self' an injected style could not send anything out.
 */
static const struct lws_protocol_vhost_options sec_headers[] = {
	{&sec_headers[1], NULL, "strict-transport-security:",
	 "max-age=31536000; includeSubDomains"},
	{&sec_headers[2], NULL, "content-security-policy:",
	 "default-src 'self'; img-src 'self' data:; "
	 "style-src 'self' 'unsafe-inline'; "
	 "media-src 'self' blob:; connect-src 'self'; "
	 "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"},
	{&sec_headers[3], NULL, "x-content-type-options:", "nosniff"},
	{&sec_headers[4], NULL, "x-frame-options:", "DENY"},
	{NULL, NULL, "referrer-policy:", "no-referrer"},
};

static const struct lws_protocol_vhost_options mime_types[] = {
	{&mime_types[1], NULL, ".mjs", "text/javascript"},
	{&mime_types[2], NULL, ".json", "application/json"},
	{&mime_types[3], NULL, ".svg", "image/svg+xml"},
	{&mime_types[4], NULL, ".wasm", "application/wasm"},
	{NULL, NULL, ".mp3", "audio/mpeg"},
};

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len);

static const struct lws_protocols protocols[] = {
	{"openseat", callback, sizeof(struct pss), 4096, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};


static void pss_drop_req(struct pss *pss)
{
	if (!pss->req)
		return;

	http_req_detach(pss->req);
	pss->req = mem_deref(pss->req);
}


static bool method_has_body(struct http_req *req)
{
	return !strcmp(req->method, "POST") || !strcmp(req->method, "PUT")
		|| !strcmp(req->method, "PATCH");
}


/*
 * Without a body lws sends no BODY_COMPLETION: dispatch now. A body
 * with neither Content-Length nor Transfer-Encoding is empty. Yet a POST
 * with "Content-Length: 0" does get a BODY_COMPLETION: it must not run
 * the handler a second time while the first has not replied yet.
 */
static bool dispatch_early(struct http_req *req)
{
	if (!req->length_required &&            /* drained, then 411 */
	    (!method_has_body(req) || req->content_length <= 0))
		return true;

	/* too big even to drain: 413 now */
	return req->body_too_large &&
		(uint64_t)req->content_length > http_req_drain_max(req);
}


static int on_http(struct lws *wsi, struct pss *pss)
{
	struct http_server *hs = lws_context_user(lws_get_context(wsi));
	int err;

	pss_drop_req(pss);
	err = http_req_alloc(&pss->req, hs, wsi);
	if (err)
		return -1;

	if (dispatch_early(pss->req))
		http_dispatch(pss->req);

	return 0;
}


static int on_body(struct pss *pss, const void *in, size_t len)
{
	struct http_req *req = pss->req;

	if (!req || req->replied)
		return 0;

	if (http_req_body_add(req, in, len) == EOVERFLOW)
		http_dispatch(req);     /* drained or past the limit: answer */

	return 0;
}


static int http_cb(struct lws *wsi, enum lws_callback_reasons reason,
		   struct pss *pss, void *in, size_t len)
{
	switch (reason) {

	case LWS_CALLBACK_HTTP:
		return on_http(wsi, pss);

	case LWS_CALLBACK_HTTP_BODY:
		return on_body(pss, in, len);

	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss->req && !pss->req->replied &&
		    !dispatch_early(pss->req))
			http_dispatch(pss->req);
		return 0;

	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!pss->req)
			return 0;
		return http_write(pss->req);

	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		/* lws frees pss after a transaction on a mount: drop first */
		pss_drop_req(pss);
		return 0;

	default:
		return lws_callback_http_dummy(wsi, reason, pss, in, len);
	}
}


/* Only /ws may upgrade to WebSocket. */
static int filter_upgrade(struct lws *wsi)
{
	char uri[64];
	int n;

	n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
	if (n <= 0 || strcmp(uri, "/ws"))
		return 1;

	return 0;
}


static int callback(struct lws *wsi, enum lws_callback_reasons reason,
		    void *user, void *in, size_t len)
{
	struct pss *pss = user;

	if (!pss)
		return lws_callback_http_dummy(wsi, reason, user, in, len);

	switch (reason) {

	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return filter_upgrade(wsi);

	case LWS_CALLBACK_ESTABLISHED:
		pss_drop_req(pss);
		return ws_client_open(&pss->wsc, wsi,
			lws_context_user(lws_get_context(wsi)));

	case LWS_CALLBACK_RECEIVE:
		return ws_client_recv(pss->wsc, in, len,
				      lws_is_final_fragment(wsi));

	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_client_writeable(pss->wsc);

	case LWS_CALLBACK_CLOSED:
		ws_client_closed(pss->wsc);
		pss->wsc = mem_deref(pss->wsc);
		return 0;

	default:
		return http_cb(wsi, reason, pss, in, len);
	}
}


/*
 * lws 4.1.6 returns a context whose listener failed to bind, and
 * destroying that one on a foreign loop crashes. It is kept here
 * (reachable, so no leak report) for the process's exit, which follows.
 */
static struct lws_context *failed_ctx;


static void destructor(void *arg)
{
	struct http_server *hs = arg;

	/*
	 * On a foreign libuv loop the first destroy only starts closing
	 * lws's handles; once the loop has run their close callbacks, a
	 * second call frees the context.
	 */
	if (hs->ctx) {
		if (!hs->shutting_down)
			lws_context_destroy(hs->ctx);
		uvloop_run_pending();
		lws_context_destroy(hs->ctx);
	}
}


static void set_mount(struct lws_http_mount *m, const char *point,
		      const char *origin, int proto)
{
	m->mountpoint = point;
	m->mountpoint_len = (unsigned char)strlen(point);
	m->origin = origin;
	m->origin_protocol = (unsigned char)proto;
}


/* Callback mounts for the API and probes, files for everything else. */
static struct lws_http_mount mounts[6];

static void setup_mounts(const struct cfg *cfg)
{
	static const char *cb_points[] = {"/api", "/healthz", "/readyz",
					  "/metrics"};
	size_t i;

	memset(mounts, 0, sizeof(mounts));
	for (i = 0; i < ARRAY_SIZE(cb_points); i++) {
		set_mount(&mounts[i], cb_points[i], "openseat",
			  LWSMPRO_CALLBACK);
		mounts[i].mount_next = &mounts[i + 1];
	}

	set_mount(&mounts[i], "/", cfg->web_root, LWSMPRO_FILE);
	mounts[i].def = "index.html";
	mounts[i].extra_mimetypes = mime_types;
	mounts[i].cache_max_age = 300;
	mounts[i].cache_reusable = 1;
	mounts[i].cache_revalidate = 1;
}


static void lws_log_to_ours(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;

	log_write(level == LLL_ERR ? LOG_LVL_ERROR : LOG_LVL_WARN, "lws",
		  NULL, "%b", line, n);
}


/*
 * Whether addr:port can be bound now. lws reports a taken port only by
 * returning a context without its listener, which cannot be destroyed
 * (failed_ctx), so the common case is caught before lws is asked.
 */
static int port_free(const char *addr, uint16_t port)
{
	struct sa sa;
	int fd, on = 1, err = 0;

	if (sa_set_str(&sa, addr, port))
		return 0;   /* a name: lws resolves it and says what fails */

	fd = socket(sa_af(&sa), SOCK_STREAM, 0);
	if (fd < 0)
		return errno;

	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, &sa.u.sa, sa.len))
		err = errno;
	(void)close(fd);

	return err;
}


/**
 * Start the HTTPS/WebSocket listener on the nested libuv loop.
 *
 * @param hsp  the server
 * @param app  process state, borrowed for the server's lifetime
 *
 * @return 0 if success, otherwise errorcode
 */
int http_server_alloc(struct http_server **hsp, struct app *app)
{
	struct lws_context_creation_info info;
	struct http_server *hs;
	void *foreign[1];
	int err = 0;

	hs = mem_zalloc(sizeof(*hs), destructor);
	if (!hs)
		return ENOMEM;

	hs->app = app;
	setup_mounts(&app->cfg);
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_ours);

	memset(&info, 0, sizeof(info));
	foreign[0] = uvloop_get();
	info.foreign_loops = foreign;
	info.options = LWS_SERVER_OPTION_LIBUV;
	info.port = (int)app->cfg.http_port;
	if (strcmp(app->cfg.http_addr, "0.0.0.0"))
		info.iface = app->cfg.http_addr;
	info.protocols = protocols;
	info.mounts = mounts;
	info.headers = sec_headers;
	info.user = hs;
	info.server_string = "openseat";
	info.keepalive_timeout = 30;
	info.timeout_secs = 30;
	info.fd_limit_per_thread = 65536;
	info.max_http_header_data = 16384;

	if (app->cfg.tls_cert[0]) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
			LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT |
			LWS_SERVER_OPTION_ALLOW_HTTP_ON_HTTPS_LISTENER;
		info.ssl_cert_filepath = app->cfg.tls_cert;
		info.ssl_private_key_filepath = app->cfg.tls_key;
	}

	err = port_free(app->cfg.http_addr, app->cfg.http_port);
	if (err) {
		log_error("cannot listen on %s:%u: %m", app->cfg.http_addr,
			  app->cfg.http_port, err);
		goto out;
	}

	hs->ctx = lws_create_context(&info);
	if (!hs->ctx || !lws_get_vhost_by_name(hs->ctx, "default")) {
		log_error("cannot listen on %s:%u (port in use, or bad TLS "
			  "certificate/key?)", app->cfg.http_addr,
			  app->cfg.http_port);
		failed_ctx = hs->ctx;
		hs->ctx = NULL;
		err = EADDRINUSE;
		goto out;
	}

	uvloop_kick();

 out:
	if (err)
		mem_deref(hs);
	else
		*hsp = hs;

	return err;
}


/** Stop listening and close every connection (replies in flight drop). */
void http_server_shutdown(struct http_server *hs)
{
	if (!hs || !hs->ctx)
		return;

	if (hs->shutting_down)
		return;

	hs->shutting_down = true;
	lws_context_destroy(hs->ctx);
	uvloop_kick();
}
