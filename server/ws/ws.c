/* WebSocket CTI push: clients, send queues, pings and the event sink. */
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include <re.h>
#define LOG_MODULE "ws"
#include "log/log.h"
#include "app.h"
#include "http/http_int.h"
#include "http/uvloop.h"
#include "metrics/metrics.h"
#include "ws/ws.h"
#include "ws/ws_int.h"
#include "agent/softphone.h"

#define AUTH_TIMEOUT_MS 10000
#define WS_WRITE_CLOSE  4      /**< lws-write.h: "handled by
				   lws_close_reason()" */

/* One queued message: an event (shared text) or a reply of our own. */
struct ws_out {
	struct le le;
	struct event *ev;                /**< (ref) or NULL              */
	char *text;                      /**< (own) when ev is NULL      */
	size_t len;
};

static struct {
	struct list clientl;             /**< no refs: clients unlink    */
	struct app *app;                 /**< (borrowed) */
	struct tmr ping_tmr;
	uint64_t auth_timeout_ms;
	struct mbuf *txbuf;              /**< (own) LWS_PRE + message    */
	struct metric *m_sent;
	struct metric *m_dropped;
	bool running;
} st;


static void out_destructor(void *arg)
{
	struct ws_out *o = arg;

	mem_deref(o->ev);
	mem_deref(o->text);
}


static void txq_flush(struct ws_client *wsc)
{
	list_flush(&wsc->txl);
	wsc->ntx = 0;
}


/* Stop everything that may call us back and drop what we hold. */
static void client_stop(struct ws_client *wsc)
{
	if (!wsc->closed)
		ws_call_tab_gone(wsc);
	list_unlink(&wsc->le);
	tmr_cancel(&wsc->auth_tmr);
	txq_flush(wsc);
	wsc->early = mem_deref(wsc->early);
	wsc->nearly = 0;
	wsc->rx = mem_deref(wsc->rx);
	wsc->authz = mem_deref(wsc->authz);
	wsc->wsi = NULL;
	wsc->closed = true;
}


static void destructor(void *arg)
{
	client_stop(arg);
}


/* Every push made outside an lws callback must kick the uv loop. */
static void want_write(struct ws_client *wsc)
{
	if (!wsc->wsi)
		return;

	lws_callback_on_writable(wsc->wsi);
	uvloop_kick();
}


/**
 * Close a client once its queue has drained (replies such as an error
 * still reach the peer first).
 *
 * @param wsc     Client
 * @param code    WebSocket close code
 * @param reason  Short reason text (at most 63 bytes are sent)
 */
void ws_client_close(struct ws_client *wsc, uint16_t code,
		     const char *reason)
{
	if (!wsc || wsc->closed || wsc->closing)
		return;

	wsc->closing = true;
	wsc->close_code = code;
	str_ncpy(wsc->close_reason, reason ? reason : "",
		 sizeof(wsc->close_reason));
	tmr_cancel(&wsc->auth_tmr);
	want_write(wsc);
}


static void overflow(struct ws_client *wsc)
{
	log_warn("client %s: send queue over %u messages, disconnecting",
		 wsc->principal.name[0] ? wsc->principal.name : "-",
		 wsc->ntx);
	metric_inc(st.m_dropped, NULL, 1);
	txq_flush(wsc);
	wsc->closing = false;
	ws_client_close(wsc, LWS_CLOSE_STATUS_POLICY_VIOLATION,
			"send queue overflow");
}


static int enqueue(struct ws_client *wsc, struct ws_out *o)
{
	uint32_t max = st.app ? st.app->cfg.ws_max_queue : 256;

	if (wsc->closed || wsc->closing) {
		mem_deref(o);
		return ECONNRESET;
	}

	if (wsc->ntx >= max) {
		mem_deref(o);
		overflow(wsc);
		return EOVERFLOW;
	}

	list_append(&wsc->txl, &o->le, o);
	++wsc->ntx;
	if (wsc->wsi)
		lws_callback_on_writable(wsc->wsi);

	return 0;
}


/**
 * Queue a text message of our own.
 *
 * @param wsc   Client
 * @param text  Message, a mem object; ownership is taken in every case
 * @param len   Length of text
 *
 * @return 0 if success, otherwise errorcode
 */
int ws_send(struct ws_client *wsc, char *text, size_t len)
{
	struct ws_out *o;
	int err;

	if (!wsc || !text) {
		mem_deref(text);
		return EINVAL;
	}

	o = mem_zalloc(sizeof(*o), out_destructor);
	if (!o) {
		mem_deref(text);
		return ENOMEM;
	}

	o->text = text;
	o->len = len;
	err = enqueue(wsc, o);
	uvloop_kick();

	return err;
}


static void send_event(struct ws_client *wsc, const struct event *ev)
{
	struct ws_out *o = mem_zalloc(sizeof(*o), out_destructor);

	if (!o) {
		overflow(wsc);  /* an event lost is a client out of sync */
		return;
	}

	o->ev = event_ref(ev);
	o->len = event_json_len(ev);
	(void)enqueue(wsc, o);
}


/* The event sink: queue to each client that may and wants to see it. */
static void event_handler(const struct event *ev, void *arg)
{
	struct le *le = st.clientl.head;

	(void)arg;
	while (le) {
		struct ws_client *wsc = le->data;

		le = le->next;  /* overflow keeps wsc linked until closed */
		if (ws_wants(wsc, ev))
			send_event(wsc, ev);
	}

	uvloop_kick();
}


static void auth_timeout(void *arg)
{
	struct ws_client *wsc = arg;

	log_info("client did not authenticate in %llu ms",
		 (unsigned long long)st.auth_timeout_ms);
	ws_client_close(wsc, WS_CLOSE_UNAUTHORIZED,
			"authentication timeout");
}


static void ping_tick(void *arg)
{
	struct le *le = list_head(&st.clientl);

	(void)arg;
	while (le) {
		struct ws_client *wsc = le->data;

		le = le->next;   /* a re-check may close this client */
		if (wsc->wsi) {
			wsc->ping_due = true;
			lws_callback_on_writable(wsc->wsi);
			ws_msg_recheck(wsc);
		}
	}

	uvloop_kick();
	if (st.app)
		tmr_start(&st.ping_tmr, st.app->cfg.ws_ping_interval * 1000ULL,
			  ping_tick, NULL);
}


/**
 * A WebSocket connection on /ws was established
 * (LWS_CALLBACK_ESTABLISHED).
 *
 * @param wscp  Gets the client (the caller's reference)
 * @param wsi   The connection
 * @param hs    The HTTP server (gives the app)
 *
 * @return 0 to go on, -1 to close
 */
int ws_client_open(struct ws_client **wscp, struct lws *wsi,
		   struct http_server *hs)
{
	struct ws_client *wsc;

	if (!wscp || !wsi)
		return -1;

	if (!st.running) {
		log_warn("refusing a WebSocket: ws_init() was not called");
		return -1;
	}

	wsc = mem_zalloc(sizeof(*wsc), destructor);
	if (!wsc)
		return -1;

	wsc->wsi = wsi;
	wsc->app = hs && hs->app ? hs->app : st.app;
	list_init(&wsc->txl);
	tmr_init(&wsc->auth_tmr);
	list_append(&st.clientl, &wsc->le, wsc);
	tmr_start(&wsc->auth_tmr, st.auth_timeout_ms, auth_timeout, wsc);

	*wscp = wsc;

	return 0;
}


static int close_now(struct ws_client *wsc, uint16_t code,
		     const char *reason)
{
	lws_close_reason(wsc->wsi, (enum lws_close_status)code,
			 (unsigned char *)(uintptr_t)reason, strlen(reason));

	return -1;
}


/**
 * A frame or fragment arrived (LWS_CALLBACK_RECEIVE). Fragments are
 * gathered until the final one; a message over 64 KiB closes with 1009.
 *
 * @return 0 to go on, -1 to close
 */
int ws_client_recv(struct ws_client *wsc, const void *data, size_t len,
		   int final)
{
	int err;

	if (!wsc || wsc->closed)
		return -1;

	if (wsc->closing)
		return 0;   /* draining toward a close: ignore input */

	if (!wsc->rx) {
		wsc->rx = mbuf_alloc(len ? len : 64);
		if (!wsc->rx)
			return close_now(wsc,
				LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
				"out of memory");
	}

	if (wsc->rx->end + len > WS_MAX_MSG) {
		log_info("client sent a message over %u bytes",
			 (unsigned)WS_MAX_MSG);
		return close_now(wsc, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				 "message too large");
	}

	err = mbuf_write_mem(wsc->rx, data, len);
	if (err)
		return close_now(wsc, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
				 "out of memory");

	if (!final)
		return 0;

	{
		struct mbuf *mb = wsc->rx;

		wsc->rx = NULL;
		ws_msg_handle(wsc, mb->buf, mb->end);
		mem_deref(mb);
	}

	return 0;
}


static int write_out(struct ws_client *wsc, struct ws_out *o)
{
	const char *p = o->ev ? event_json(o->ev) : o->text;
	int n;

	if (!st.txbuf)
		return -1;

	if (st.txbuf->size < LWS_PRE + o->len &&
	    mbuf_resize(st.txbuf, LWS_PRE + o->len))
		return -1;

	memcpy(st.txbuf->buf + LWS_PRE, p, o->len);
	n = lws_write(wsc->wsi, st.txbuf->buf + LWS_PRE, o->len,
		      LWS_WRITE_TEXT);
	if (n < (int)o->len)
		return -1;

	if (o->ev)
		metric_inc(st.m_sent, NULL, 1);

	return 0;
}


/*
 * Returning -1 from the writeable callback makes this lws close the socket
 * without a close frame even after lws_close_reason() (the peer sees
 * 1006), so the frame is written here first. LWS_WRITE_CLOSE is kept out
 * of the public enum but lws_write() handles it.
 */
static int send_close(struct ws_client *wsc)
{
	uint8_t buf[LWS_PRE + 2 + sizeof(wsc->close_reason)];
	size_t n = strlen(wsc->close_reason);

	buf[LWS_PRE] = (uint8_t)(wsc->close_code >> 8);
	buf[LWS_PRE + 1] = (uint8_t)(wsc->close_code & 0xff);
	memcpy(buf + LWS_PRE + 2, wsc->close_reason, n);
	(void)lws_write(wsc->wsi, buf + LWS_PRE, 2 + n,
			(enum lws_write_protocol)WS_WRITE_CLOSE);

	return -1;
}


/**
 * The connection can take a frame (LWS_CALLBACK_SERVER_WRITEABLE): a due
 * ping first, then one queued message; a pending close once drained.
 *
 * @return 0 to go on, -1 to close
 */
int ws_client_writeable(struct ws_client *wsc)
{
	struct ws_out *o;
	uint8_t ping[LWS_PRE + 4];

	if (!wsc || wsc->closed)
		return -1;

	if (wsc->ping_due && !wsc->closing) {
		wsc->ping_due = false;
		if (lws_write(wsc->wsi, ping + LWS_PRE, 0, LWS_WRITE_PING) < 0)
			return -1;
		lws_callback_on_writable(wsc->wsi);
		return 0;
	}

	o = list_ledata(list_head(&wsc->txl));
	if (!o) {
		if (wsc->closing)
			return send_close(wsc);
		return 0;
	}

	list_unlink(&o->le);
	--wsc->ntx;
	if (write_out(wsc, o)) {
		mem_deref(o);
		return -1;
	}

	mem_deref(o);
	if (wsc->ntx || wsc->closing)
		lws_callback_on_writable(wsc->wsi);

	return 0;
}


/**
 * The connection is gone (LWS_CALLBACK_CLOSED). Stops the timers and
 * drops queued messages; a pending authentication finds it closed.
 */
void ws_client_closed(struct ws_client *wsc)
{
	if (!wsc)
		return;

	client_stop(wsc);
}


/** Number of connected WebSocket clients. */
unsigned ws_client_count(void)
{
	return list_count(&st.clientl);
}


/**
 * Start the WebSocket module: subscribe to the event bus, start the ping
 * timer. OPENSEAT_WS_AUTH_TIMEOUT_MS overrides the 10 s auth timeout.
 *
 * @param app  Process state, borrowed until ws_close()
 *
 * @return 0 if success, otherwise errorcode
 */
int ws_init(struct app *app)
{
	const char *env = getenv("OPENSEAT_WS_AUTH_TIMEOUT_MS");
	int err;

	if (!app)
		return EINVAL;

	if (st.running)
		return EALREADY;

	st.auth_timeout_ms = AUTH_TIMEOUT_MS;
	if (env && env[0]) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);

		if (*end || v < 1 || v > 3600000) {
			log_error("OPENSEAT_WS_AUTH_TIMEOUT_MS: want 1.."
				  "3600000 milliseconds, got \"%s\"", env);
			return EINVAL;
		}
		st.auth_timeout_ms = v;
	}

	st.txbuf = mbuf_alloc(LWS_PRE + 1024);
	if (!st.txbuf)
		return ENOMEM;

	err = event_subscribe(event_handler, NULL);
	err = err ? err : softphone_init(app->cfg.webrtc_grace * 1000,
					 ws_call_send);
	if (err) {
		event_unsubscribe(event_handler, NULL);
		st.txbuf = mem_deref(st.txbuf);
		return err;
	}

	st.app = app;
	st.m_sent = metric_counter("openseat_ws_events_sent_total",
				   "Events written to WebSocket clients.");
	st.m_dropped = metric_counter("openseat_ws_dropped_clients_total",
				      "WebSocket clients disconnected for "
				      "a full send queue.");
	tmr_init(&st.ping_tmr);
	tmr_start(&st.ping_tmr, app->cfg.ws_ping_interval * 1000ULL,
		  ping_tick, NULL);
	st.running = true;

	return 0;
}


/** Stop the WebSocket module (clients close with the HTTP server). */
void ws_close(void)
{
	if (!st.running)
		return;

	event_unsubscribe(event_handler, NULL);
	tmr_cancel(&st.ping_tmr);
	st.txbuf = mem_deref(st.txbuf);
	st.m_sent = NULL;
	st.m_dropped = NULL;
	st.running = false;
}
