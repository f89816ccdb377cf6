/* One outgoing HTTP request: resolve, judge, connect, verify, send. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_sa.h>
#include <re_tmr.h>
#include "core/clock.h"
#include "http/egress.h"
#include "http/outreq_int.h"

/*
 * Our own small HTTP/1.1 client rather than libre's, because libre's
 * resolves the name again inside and reports the connection (peer
 * address, TLS verification) only with the response: by then the
 * request, with a tenant's token in it, has left. Here nothing is
 * written before the peer is approved:
 *
 *  - we resolve the name ourselves, A and AAAA, and with m->egress
 *    refuse the request if egress_allowed() refuses any address of it;
 *  - we connect to exactly those addresses (the next one if a connect
 *    fails), so a DNS answer that changes meanwhile cannot redirect us;
 *  - with https, libre reports the connection once the handshake is
 *    done; the certificate must verify (chain against the system's CAs
 *    and outreq_add_ca()'s, name or address against the URL's host)
 *    before the request is written.
 *
 * A request ends exactly once: response, error or deadline, reported
 * from the loop, never from inside outreq_start(). Freeing it first
 * cancels it; nothing is reported then. We stop reading a response past
 * what the caller keeps (m->body_max), so a huge body costs nothing.
 *
 * Connections are kept alive when a response had a Content-Length we
 * read in full; idle ones wait in outreq_conn.c's pool. A kept
 * connection the peer closed meanwhile is retried once on a fresh one.
 */

enum {
	HEAD_MAX = 16384,
	DRAIN_MAX = 65536,       /* read to keep the connection, unkept */
	METHOD_MAX = 16,
};

struct outreq {
	struct outreq_url url;
	struct mbuf *out;            /**< (own) the request             */
	struct mbuf *in;             /**< (own) the response so far     */
	char *dec;                   /**< (own) chunked: body decoded   */
	size_t dec_len;
	size_t want;                 /**< body bytes read at most       */
	struct outreq_conn *conn;    /**< (ref)                         */
	struct outreq_name *name;    /**< (ref) resolving               */
	struct tmr tmr;              /**< the deadline                  */
	struct tmr later;            /**< reports an early failure      */
	struct sa addrv[2 * OUTREQ_ADDR_MAX];
	size_t addrc;
	size_t addri;                /**< the address being tried       */
	struct outreq_head head;
	bool egress;
	bool have_head;
	bool overflow;               /**< stopped reading: too much     */
	bool reused;
	bool retried;
	int err;
	const char *error;
	uint64_t t0;
	outreq_h *h;
	void *arg;
};

static void destructor(void *arg)
{
	struct outreq *r = arg;

	tmr_cancel(&r->tmr);
	tmr_cancel(&r->later);
	r->name = mem_deref(r->name);
	outreq_conn_put(r->conn, false);
	mem_deref(r->out);
	mem_deref(r->in);
	mem_deref(r->dec);
}


/* The body received, as much as the caller keeps. */
static void result_body(struct outreq_result *res, const struct outreq *r,
			size_t body_max)
{
	const struct outreq_head *hd = &r->head;
	size_t got = r->in->end - hd->len;
	size_t total;

	if (hd->chunked) {
		res->body = r->dec;
		got = r->dec_len;
		total = got;
	}
	else {
		res->body = (const char *)r->in->buf + hd->len;
		if (hd->clen >= 0)
			got = min(got, (size_t)hd->clen);
		total = hd->clen >= 0 ? (size_t)hd->clen : got;
	}

	res->body_len = min(got, body_max);
	res->truncated = total > body_max || (r->overflow && hd->chunked);
}


static void finish(struct outreq *r, int err, const char *error,
		   bool keep)
{
	struct outreq_result res;
	outreq_h *h = r->h;

	tmr_cancel(&r->tmr);
	tmr_cancel(&r->later);
	r->name = mem_deref(r->name);
	outreq_conn_put(r->conn, keep && !err);
	r->conn = NULL;
	r->h = NULL;
	if (!h)
		return;

	memset(&res, 0, sizeof(res));
	res.err = err;
	res.error = error;
	if (r->have_head) {
		res.status = r->head.status;
		result_body(&res, r, r->want - 1);
	}

	if (r->addrc)
		(void)re_snprintf(res.addr, sizeof(res.addr), "%J",
				  &r->addrv[r->addri]);
	res.duration_ms = (uint32_t)((clock_us() - r->t0) / 1000);
	h(&res, r->arg);
}


static void timeout_h(void *arg)
{
	finish(arg, ETIMEDOUT, "timeout", false);
}


static void later_h(void *arg)
{
	struct outreq *r = arg;

	finish(r, r->err, r->error, false);
}


static void fail_later(struct outreq *r, int err, const char *error)
{
	r->err = err;
	r->error = error;
	tmr_start(&r->later, 0, later_h, r);
}


/*
 * Whether the response is complete (1), not yet (0) or malformed (-1);
 * *keepp: whether the connection may serve another request. A body is
 * read to its end when that is at most DRAIN_MAX (so the connection is
 * kept), otherwise up to one byte past what is kept (so we know).
 */
static int complete(struct outreq *r, bool *keepp)
{
	size_t body = r->in->end - r->head.len;
	const struct outreq_head *hd = &r->head;
	bool done;

	*keepp = false;
	if (hd->status == 204 || hd->status == 304)
		return (*keepp = !hd->close), 1;

	if (hd->clen >= 0 &&
	    (uint64_t)hd->clen <= max((size_t)DRAIN_MAX, r->want)) {
		*keepp = !hd->close && body == (size_t)hd->clen;
		return body >= (size_t)hd->clen;
	}

	if (hd->chunked) {
		if (outreq_chunked_scan((const char *)r->in->buf + hd->len,
					body, r->dec, r->want, &r->dec_len,
					&done))
			return -1;
		*keepp = done && !hd->close;
		return done || r->dec_len >= r->want;
	}

	return body >= r->want;
}


/* Append what came, up to what we ever read; the rest is not looked at */
static void take(struct outreq *r, struct mbuf *mb)
{
	size_t cap = HEAD_MAX + max((size_t)DRAIN_MAX, r->want) + 2 * r->want;
	size_t n = mbuf_get_left(mb);

	if (r->in->end + n > cap) {
		n = cap - r->in->end;
		r->overflow = true;
	}

	(void)mbuf_write_mem(r->in, mbuf_buf(mb), n);
}


/** A connection brought data for r. */
void outreq_recv(struct outreq *r, struct mbuf *mb)
{
	bool keep;
	int err;

	take(r, mb);
	if (!r->have_head) {
		err = outreq_head_parse(&r->head, (const char *)r->in->buf,
					r->in->end);
		if (err == ENODATA && r->in->end < HEAD_MAX)
			return;
		if (err) {
			finish(r, EPROTO, err == ENODATA ?
			       "response head too large" :
			       "malformed response", false);
			return;
		}
		r->have_head = true;
		r->dec = r->head.chunked ? mem_alloc(r->want, NULL) : NULL;
		if (r->head.chunked && !r->dec) {
			finish(r, ENOMEM, "out of memory", false);
			return;
		}
	}

	switch (complete(r, &keep)) {

	case 1:
		finish(r, 0, NULL, keep);
		break;

	case -1:
		finish(r, EPROTO, "malformed chunked body", false);
		break;

	default:
		if (r->overflow)
			finish(r, 0, NULL, false);
		break;
	}
}


/** r's connection is established; err: EAUTH if its peer is not
 * trusted, and then nothing is sent. */
void outreq_estab(struct outreq *r, int err)
{
	if (err) {
		finish(r, err, "tls certificate not trusted", false);
		return;
	}

	r->out->pos = 0;
	err = outreq_conn_send(r->conn, r->out);
	if (err)
		finish(r, err, "send failed", false);
}


static int conn_start(struct outreq *r)
{
	int err;

	err = outreq_conn_get(&r->conn, &r->reused, &r->addrv[r->addri],
			      &r->url, r->retried, r);
	if (err || !outreq_conn_estab(r->conn))
		return err;

	r->out->pos = 0;
	return outreq_conn_send(r->conn, r->out);
}


/* The connection ended before a response: retry or fail. */
static void conn_lost(struct outreq *r, int err, bool estab)
{
	bool next = !estab && r->addri + 1 < r->addrc;

	/* a kept connection the peer had closed: once more, fresh; a
	 * connect that failed: the name's next address */
	if ((r->reused && !r->in->end && !r->retried) || next) {
		r->retried = r->retried || r->reused;
		r->addri += next;
		outreq_conn_put(r->conn, false);
		r->conn = NULL;
		err = conn_start(r);
		if (err)
			finish(r, err, "connect failed", false);
		return;
	}

	finish(r, err ? err : ECONNRESET,
	       estab ? "connection closed" : "connect failed", false);
}


/** r's connection closed (err, or 0 by the peer). */
void outreq_closed(struct outreq *r, int err, bool estab)
{
	bool keep;

	if (r->have_head && !r->head.chunked && r->head.clen < 0) {
		finish(r, 0, NULL, false);      /* body ended by close */
		return;
	}

	if (r->have_head && complete(r, &keep) == 1) {
		finish(r, 0, NULL, false);
		return;
	}

	if (r->have_head) {
		finish(r, ECONNRESET, "connection closed mid-response",
		       false);
		return;
	}

	conn_lost(r, err, estab);
}


/* The addresses are known: refuse them all if any is refused. */
static void addrs_ready(struct outreq *r)
{
	int err;

	for (size_t i = 0; r->egress && i < r->addrc; i++) {
		if (!egress_allowed(&r->addrv[i])) {
			r->addri = i;
			fail_later(r, EACCES,
				   "address refused by egress policy");
			return;
		}
	}

	err = conn_start(r);
	if (err)
		fail_later(r, err, "connect failed");
}


static void name_h(int err, const struct sa *addrv, size_t addrc,
		   void *arg)
{
	struct outreq *r = arg;

	r->name = mem_deref(r->name);
	if (err) {
		finish(r, err, "host not found", false);
		return;
	}

	r->addrc = min(addrc, ARRAY_SIZE(r->addrv));
	memcpy(r->addrv, addrv, r->addrc * sizeof(*addrv));
	addrs_ready(r);
}


/* localhost names never go to DNS (RFC 6761) and mean loopback. */
static bool is_localhost(const char *host)
{
	size_t n = strlen(host);

	return !str_casecmp(host, "localhost") ||
		(n > 10 && !str_casecmp(host + n - 10, ".localhost"));
}


static void resolve(struct outreq *r)
{
	struct sa *sa = &r->addrv[0];
	int err;

	if (!sa_set_str(sa, r->url.host, r->url.port) ||
	    (is_localhost(r->url.host) &&
	     !sa_set_str(sa, "127.0.0.1", r->url.port))) {
		r->addrc = 1;
		addrs_ready(r);
		return;
	}

	err = outreq_name_resolve(&r->name, outreq_dnsc(), r->url.host,
				  r->url.port, name_h, r);
	if (err)
		fail_later(r, err, "host not found");
}


static bool method_ok(const char *m)
{
	size_t n = m ? strlen(m) : 0;

	if (!n || n > METHOD_MAX)
		return false;

	return strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n;
}


static int request_build(struct outreq *r, const struct outreq_msg *m)
{
	bool dflt = r->url.port == (r->url.tls ? 443 : 80);
	bool v6 = strchr(r->url.host, ':') != NULL;
	int err;

	err = mbuf_printf(r->out, "%s %s HTTP/1.1\r\nHost: %s%s%s",
			  m->method, r->url.path, v6 ? "[" : "",
			  r->url.host, v6 ? "]" : "");
	if (!err && !dflt)
		err = mbuf_printf(r->out, ":%u", r->url.port);
	err |= mbuf_printf(r->out, "\r\n%s", m->headers ? m->headers : "");
	if (m->body || strcmp(m->method, "GET"))
		err |= mbuf_printf(r->out, "Content-Length: %zu\r\n", m->len);
	err |= mbuf_write_str(r->out, "\r\n");
	if (m->len)
		err |= mbuf_write_mem(r->out, (const uint8_t *)m->body,
				      m->len);

	return err ? ENOMEM : 0;
}


/**
 * Send m to url; h gets the response, an error or the deadline.
 *
 * @return 0 if started (h will be called unless *rp is freed first),
 *         EINVAL for bad arguments, ENOTSUP before outreq_init()
 */
int outreq_start(struct outreq **rp, const struct outreq_url *url,
		 const struct outreq_msg *m, outreq_h *h, void *arg)
{
	struct outreq *r;
	int err;

	if (!rp || !url || !m || (!m->body && m->len) || !h ||
	    !method_ok(m->method) || m->body_max >= SIZE_MAX / 4)
		return EINVAL;
	if (!outreq_dnsc())
		return ENOTSUP;

	r = mem_zalloc(sizeof(*r), destructor);
	if (!r)
		return ENOMEM;

	tmr_init(&r->tmr);
	tmr_init(&r->later);
	r->url = *url;
	r->egress = m->egress;
	r->want = m->body_max + 1;
	r->h = h;
	r->arg = arg;
	r->t0 = clock_us();
	r->out = mbuf_alloc(512 + m->len);
	r->in = mbuf_alloc(1024);
	err = (r->out && r->in) ? request_build(r, m) : ENOMEM;
	if (err) {
		mem_deref(r);
		return err;
	}

	tmr_start(&r->tmr, m->timeout_ms, timeout_h, r);
	resolve(r);
	*rp = r;

	return 0;
}


