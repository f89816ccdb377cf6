/* One webhook POST on the loop: resolve, check egress, send, read. */
#include <string.h>
#include <unistd.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_sa.h>
#include <re_tmr.h>
#include <re_tcp.h>
#include <re_dns.h>
#include <re_srtp.h>
#include <re_tls.h>
#include "core/clock.h"
#include "http/egress.h"
#include "webhook/wh_int.h"

/*
 * Our own small HTTP/1.1 client rather than libre's: we resolve the
 * name ourselves and connect to the very address egress_allowed()
 * approved (libre's client resolves inside and reports the peer only
 * after the request has left), and we stop reading a response after
 * what the log keeps, so a huge body costs nothing.
 *
 * A request ends exactly once: response, error or deadline, reported
 * from the loop, never from inside wh_http_post(). Freeing it first
 * cancels it; nothing is reported then.
 *
 * Connections are kept alive when a response had a Content-Length we
 * read in full; idle ones wait in pool.idlel (which owns them). A kept
 * connection the peer closed meanwhile is retried once on a fresh one.
 */

enum {
	HEAD_MAX = 16384,
	BODY_KEEP = 65536,       /* longer bodies: excerpt, then close */
	IDLE_MS = 30000,
};

struct wh_conn {
	struct le le;                /**< in pool.idlel while idle      */
	struct tcp_conn *tc;         /**< (ref)                         */
	struct tls_conn *sc;         /**< (ref) https                   */
	struct sa peer;
	char host[WH_HOST_MAX];      /**< https: the name verified      */
	struct tmr idle_tmr;
	struct wh_http *req;         /**< (borrowed) using it, or NULL  */
	bool estab;
};

struct wh_http {
	struct wh_url url;
	struct mbuf *out;            /**< (own) the request             */
	struct mbuf *in;             /**< (own) the response so far     */
	struct wh_conn *conn;        /**< (ref)                         */
	struct dns_query *dq;        /**< (ref)                         */
	struct tmr tmr;              /**< the deadline                  */
	struct tmr later;            /**< reports an early failure      */
	struct sa addr;
	struct wh_head head;
	char dec[WH_EXCERPT_MAX];    /**< chunked: the body decoded    */
	size_t dec_len;
	bool have_head;
	bool reused;
	bool retried;
	int err;
	const char *error;
	uint64_t t0;
	wh_http_h *h;
	void *arg;
};

static struct {
	struct list idlel;           /**< (own) struct wh_conn          */
	struct dnsc *dnsc;
	struct tls *tls;
} pool;

static int conn_start(struct wh_http *r);


static void conn_destructor(void *arg)
{
	struct wh_conn *c = arg;

	tmr_cancel(&c->idle_tmr);
	list_unlink(&c->le);
	c->sc = mem_deref(c->sc);
	c->tc = mem_deref(c->tc);
}


static void destructor(void *arg)
{
	struct wh_http *r = arg;

	tmr_cancel(&r->tmr);
	tmr_cancel(&r->later);
	r->dq = mem_deref(r->dq);
	if (r->conn)
		r->conn->req = NULL;
	r->conn = mem_deref(r->conn);
	mem_deref(r->out);
	mem_deref(r->in);
}


static void idle_expired(void *arg)
{
	mem_deref(arg);
}


/* Hand the connection back to the pool, or close it. */
static void conn_release(struct wh_http *r, bool keep)
{
	struct wh_conn *c = r->conn;

	r->conn = NULL;
	if (!c)
		return;

	c->req = NULL;
	if (!keep) {
		mem_deref(c);
		return;
	}

	list_append(&pool.idlel, &c->le, c);
	tmr_start(&c->idle_tmr, IDLE_MS, idle_expired, c);
}


static void finish(struct wh_http *r, int err, const char *error,
		   bool keep)
{
	struct wh_http_result res;
	wh_http_h *h = r->h;
	size_t body = 0;

	tmr_cancel(&r->tmr);
	tmr_cancel(&r->later);
	r->dq = mem_deref(r->dq);
	conn_release(r, keep && !err);
	r->h = NULL;
	if (!h)
		return;

	memset(&res, 0, sizeof(res));
	res.err = err;
	res.error = error;
	if (r->have_head) {
		res.status = r->head.status;
		body = r->in->end - r->head.len;
		res.body = (const char *)r->in->buf + r->head.len;
		res.body_len = min(body, (size_t)WH_EXCERPT_MAX);
		if (r->head.chunked) {
			res.body = r->dec;
			res.body_len = r->dec_len;
		}
	}

	if (sa_isset(&r->addr, SA_ADDR))
		(void)re_snprintf(res.addr, sizeof(res.addr), "%J",
				  &r->addr);
	res.duration_ms = (uint32_t)((clock_us() - r->t0) / 1000);
	h(&res, r->arg);
}


static void timeout_h(void *arg)
{
	finish(arg, ETIMEDOUT, "timeout", false);
}


static void later_h(void *arg)
{
	struct wh_http *r = arg;

	finish(r, r->err, r->error, false);
}


static void fail_later(struct wh_http *r, int err, const char *error)
{
	r->err = err;
	r->error = error;
	tmr_start(&r->later, 0, later_h, r);
}


/*
 * Whether the response is complete (1), not yet (0) or malformed (-1);
 * *keepp: whether the connection may serve another request.
 */
static int complete(struct wh_http *r, bool *keepp)
{
	size_t body = r->in->end - r->head.len;
	const struct wh_head *hd = &r->head;
	bool done;

	*keepp = false;
	if (hd->status == 204 || hd->status == 304)
		return (*keepp = !hd->close), 1;

	if (hd->clen >= 0 && hd->clen <= BODY_KEEP) {
		*keepp = !hd->close && body == (size_t)hd->clen;
		return body >= (size_t)hd->clen;
	}

	if (hd->chunked) {
		if (wh_chunked_scan((const char *)r->in->buf + hd->len, body,
				    r->dec, sizeof(r->dec), &r->dec_len,
				    &done))
			return -1;
		*keepp = done && !hd->close;
		return done || r->dec_len >= WH_EXCERPT_MAX;
	}

	return body >= WH_EXCERPT_MAX;
}


static void conn_recv(struct mbuf *mb, void *arg)
{
	struct wh_conn *c = arg;
	struct wh_http *r = c->req;
	bool keep;
	int err;

	if (!r) {               /* nothing asked: the peer misbehaves */
		mem_deref(c);
		return;
	}

	/* past what we read at most, the rest is never looked at */
	if (r->in->end + mbuf_get_left(mb) > HEAD_MAX + BODY_KEEP) {
		finish(r, r->have_head ? 0 : EPROTO, r->have_head ? NULL :
		       "malformed response", false);
		return;
	}
	(void)mbuf_write_mem(r->in, mbuf_buf(mb), mbuf_get_left(mb));

	if (!r->have_head) {
		err = wh_head_parse(&r->head, (const char *)r->in->buf,
				    r->in->end);
		if (err == ENODATA && r->in->end < HEAD_MAX)
			return;
		if (err) {
			finish(r, EPROTO, "malformed response", false);
			return;
		}
		r->have_head = true;
	}

	switch (complete(r, &keep)) {

	case 1:
		finish(r, 0, NULL, keep);
		break;

	case -1:
		finish(r, EPROTO, "malformed chunked body", false);
		break;

	default:
		break;
	}
}


static void conn_estab(void *arg)
{
	struct wh_conn *c = arg;
	struct wh_http *r = c->req;
	int err;

	c->estab = true;
	if (!r)
		return;

	/*
	 * With TLS, libre reports the connection once the handshake is
	 * done: nothing is sent to a peer whose certificate (chain and
	 * name) does not verify.
	 */
	if (c->sc && tls_peer_verify(c->sc)) {
		finish(r, EAUTH, "tls certificate not trusted", false);
		return;
	}

	r->out->pos = 0;
	err = tcp_send(c->tc, r->out);
	if (err)
		finish(r, err, "send failed", false);
}


static void conn_close(int err, void *arg)
{
	struct wh_conn *c = arg;
	struct wh_http *r = c->req;
	bool keep;

	if (!r) {
		mem_deref(c);
		return;
	}

	/* a kept connection the peer had closed: once more, fresh */
	if (r->reused && !r->in->end && !r->retried) {
		r->retried = true;
		conn_release(r, false);
		err = conn_start(r);
		if (err)
			finish(r, err, "connect failed", false);
		return;
	}

	if (r->have_head && !r->head.chunked && r->head.clen < 0) {
		finish(r, 0, NULL, false);      /* body ended by close */
		return;
	}

	if (r->have_head && complete(r, &keep) == 1) {
		finish(r, 0, NULL, false);
		return;
	}

	finish(r, err ? err : ECONNRESET,
	       c->estab ? "connection closed" : "connect failed", false);
}


static struct wh_conn *idle_take(const struct wh_http *r)
{
	struct le *le;

	LIST_FOREACH(&pool.idlel, le) {
		struct wh_conn *c = le->data;

		if (!sa_cmp(&c->peer, &r->addr, SA_ALL) ||
		    !c->sc != !r->url.tls ||
		    (c->sc && strcmp(c->host, r->url.host)))
			continue;

		tmr_cancel(&c->idle_tmr);
		list_unlink(&c->le);
		return c;
	}

	return NULL;
}


static bool host_is_addr(const char *host)
{
	struct sa sa;

	return sa_set_str(&sa, host, 0) == 0;
}


static int conn_new(struct wh_conn **cp, const struct wh_http *r)
{
	struct wh_conn *c = mem_zalloc(sizeof(*c), conn_destructor);
	int err;

	if (!c)
		return ENOMEM;

	tmr_init(&c->idle_tmr);
	c->peer = r->addr;
	str_ncpy(c->host, r->url.host, sizeof(c->host));
	err = tcp_connect(&c->tc, &r->addr, conn_estab, conn_recv,
			  conn_close, c);
	if (!err && r->url.tls) {
		err = pool.tls ? tls_start_tcp(&c->sc, pool.tls, c->tc, 0)
			: ENOTSUP;
		if (!err && !host_is_addr(r->url.host)) {
			err = tls_set_servername(c->sc, r->url.host);
			err = err ? err :
				tls_set_verify_server(c->sc, r->url.host);
		}
	}

	if (err)
		mem_deref(c);
	else
		*cp = c;

	return err;
}


static int conn_start(struct wh_http *r)
{
	struct wh_conn *c = r->retried ? NULL : idle_take(r);
	int err;

	r->reused = c != NULL;
	if (!c) {
		err = conn_new(&c, r);
		if (err)
			return err;
	}

	r->conn = c;
	c->req = r;
	if (!c->estab)
		return 0;

	r->out->pos = 0;
	return tcp_send(c->tc, r->out);
}


/* The address is known: refuse it or connect to exactly it. */
static void addr_ready(struct wh_http *r)
{
	int err;

	if (!egress_allowed(&r->addr)) {
		fail_later(r, EACCES, "address refused by egress policy");
		return;
	}

	err = conn_start(r);
	if (err)
		fail_later(r, err, "connect failed");
}


static bool first_a(struct dnsrr *rr, void *arg)
{
	struct wh_http *r = arg;

	sa_set_in(&r->addr, rr->rdata.a.addr, r->url.port);
	return true;
}


static void dns_h(int err, const struct dnshdr *hdr, struct list *ansl,
		  struct list *authl, struct list *addl, void *arg)
{
	struct wh_http *r = arg;

	(void)hdr;
	(void)authl;
	(void)addl;
	r->dq = mem_deref(r->dq);
	if (!err)
		(void)dns_rrlist_apply(ansl, NULL, DNS_TYPE_A, DNS_CLASS_IN,
				       true, first_a, r);

	if (!sa_isset(&r->addr, SA_ADDR)) {
		finish(r, err ? err : ENOENT, "host not found", false);
		return;
	}

	addr_ready(r);
}


/* localhost names never go to DNS (RFC 6761) and mean loopback. */
static bool is_localhost(const char *host)
{
	size_t n = strlen(host);

	return !str_casecmp(host, "localhost") ||
		(n > 10 && !str_casecmp(host + n - 10, ".localhost"));
}


static void resolve(struct wh_http *r)
{
	int err;

	if (!sa_set_str(&r->addr, r->url.host, r->url.port)) {
		addr_ready(r);
		return;
	}

	if (is_localhost(r->url.host)) {
		(void)sa_set_str(&r->addr, "127.0.0.1", r->url.port);
		addr_ready(r);
		return;
	}

	sa_init(&r->addr, AF_UNSPEC);
	err = pool.dnsc ? dnsc_query(&r->dq, pool.dnsc, r->url.host,
				     DNS_TYPE_A, DNS_CLASS_IN, true, dns_h, r)
		: ENOTSUP;
	if (err)
		fail_later(r, err, "host not found");
}


static int request_build(struct wh_http *r, const char *headers,
			 const char *body, size_t len)
{
	bool dflt = r->url.port == (r->url.tls ? 443 : 80);
	bool v6 = strchr(r->url.host, ':') != NULL;
	int err;

	err = mbuf_printf(r->out, "POST %s HTTP/1.1\r\nHost: %s%s%s",
			  r->url.path, v6 ? "[" : "", r->url.host,
			  v6 ? "]" : "");
	if (!err && !dflt)
		err = mbuf_printf(r->out, ":%u", r->url.port);
	err |= mbuf_printf(r->out, "\r\n%sContent-Length: %zu\r\n\r\n",
			   headers ? headers : "", len);
	err |= mbuf_write_mem(r->out, (const uint8_t *)body, len);

	return err ? ENOMEM : 0;
}


/**
 * POST body to url with the given header lines (each ending in CRLF;
 * Host and Content-Length are added).
 *
 * @return 0 if started (h will be called unless *rp is freed first)
 */
int wh_http_post(struct wh_http **rp, const struct wh_url *url,
		 const char *headers, const char *body, size_t len,
		 uint32_t timeout_ms, wh_http_h *h, void *arg)
{
	struct wh_http *r;
	int err;

	if (!rp || !url || (!body && len) || !h)
		return EINVAL;

	r = mem_zalloc(sizeof(*r), destructor);
	if (!r)
		return ENOMEM;

	tmr_init(&r->tmr);
	tmr_init(&r->later);
	r->url = *url;
	r->h = h;
	r->arg = arg;
	r->t0 = clock_us();
	r->out = mbuf_alloc(512 + len);
	r->in = mbuf_alloc(1024);
	err = (r->out && r->in) ? request_build(r, headers, body, len)
		: ENOMEM;
	if (err) {
		mem_deref(r);
		return err;
	}

	tmr_start(&r->tmr, timeout_ms, timeout_h, r);
	resolve(r);
	*rp = r;

	return 0;
}


/**
 * The shared parts: a DNS client on the system's servers and a TLS
 * client context trusting the system's CAs.
 *
 * @return 0 if success, otherwise errorcode
 */
int wh_http_init(void)
{
	struct sa nsv[4];
	uint32_t nsc = ARRAY_SIZE(nsv);
	int err;

	if (dns_srv_get(NULL, 0, nsv, &nsc) || nsc == 0) {
		(void)sa_set_str(&nsv[0], "127.0.0.1", 53);
		nsc = 1;
	}

	err = dnsc_alloc(&pool.dnsc, NULL, nsv, nsc);
	err = err ? err : tls_alloc(&pool.tls, TLS_METHOD_SSLV23, NULL, NULL);
	if (!err && access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
		(void)tls_add_ca(pool.tls,
				 "/etc/ssl/certs/ca-certificates.crt");
	if (err)
		wh_http_close();

	return err;
}


/** Close idle connections and free the shared parts. */
void wh_http_close(void)
{
	list_flush(&pool.idlel);
	pool.tls = mem_deref(pool.tls);
	pool.dnsc = mem_deref(pool.dnsc);
}
