/* Outgoing requests' connections: TCP, verified TLS, the idle pool. */
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
#include "http/outreq_int.h"

/*
 * A connection goes to exactly the address it is given. With https,
 * libre reports it established once the handshake is done, and it is
 * reported to the request only with the certificate's verdict (chain
 * against the system's CAs and outreq_add_ca()'s, name or address
 * against the URL's host): the request decides to send nothing.
 *
 * Kept connections wait in ors.idlel (which owns them) for IDLE_MS; a
 * connection serves one request at a time (c->req, borrowed; the
 * request holds the reference while it uses it).
 */

enum { IDLE_MS = 30000 };

struct outreq_conn {
	struct le le;                /**< in ors.idlel while idle       */
	struct tcp_conn *tc;         /**< (ref)                         */
	struct tls_conn *sc;         /**< (ref) https                   */
	struct sa peer;
	char host[OUTREQ_HOST_MAX];  /**< https: the name verified      */
	struct tmr idle_tmr;
	struct outreq *req;          /**< (borrowed) using it, or NULL  */
	bool estab;
};

static struct {
	struct list idlel;           /**< (own) struct outreq_conn      */
	struct dnsc *dnsc;
	struct tls *tls;
	unsigned users;
} ors;


static void destructor(void *arg)
{
	struct outreq_conn *c = arg;

	tmr_cancel(&c->idle_tmr);
	list_unlink(&c->le);
	c->sc = mem_deref(c->sc);
	c->tc = mem_deref(c->tc);
}


static void idle_expired(void *arg)
{
	mem_deref(arg);
}


static void conn_estab(void *arg)
{
	struct outreq_conn *c = arg;

	c->estab = true;
	if (!c->req)
		return;

	/* the handshake is done: not a byte to a peer that is not trusted */
	outreq_estab(c->req, c->sc && tls_peer_verify(c->sc) ? EAUTH : 0);
}


static void conn_recv(struct mbuf *mb, void *arg)
{
	struct outreq_conn *c = arg;

	if (!c->req) {          /* nothing asked: the peer misbehaves */
		mem_deref(c);
		return;
	}

	outreq_recv(c->req, mb);
}


static void conn_close(int err, void *arg)
{
	struct outreq_conn *c = arg;

	if (!c->req) {
		mem_deref(c);
		return;
	}

	/* a certificate that does not verify may end the handshake */
	if (!c->estab && c->sc && tls_peer_verify(c->sc)) {
		outreq_estab(c->req, EAUTH);
		return;
	}

	outreq_closed(c->req, err, c->estab);
}


static struct outreq_conn *idle_take(const struct sa *peer,
				     const struct outreq_url *url)
{
	struct le *le;

	LIST_FOREACH(&ors.idlel, le) {
		struct outreq_conn *c = le->data;

		if (!sa_cmp(&c->peer, peer, SA_ALL) || !c->sc != !url->tls ||
		    (c->sc && strcmp(c->host, url->host)))
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


/* A DNS name is also sent as SNI; an address literal is not (RFC 6066)
 * and is checked against the certificate's IP entries. */
static int tls_begin(struct outreq_conn *c)
{
	int err;

	if (!ors.tls)
		return ENOTSUP;

	err = tls_start_tcp(&c->sc, ors.tls, c->tc, 0);
	if (!err && !host_is_addr(c->host))
		err = tls_set_servername(c->sc, c->host);

	return err ? err : tls_set_verify_server(c->sc, c->host);
}


static int conn_new(struct outreq_conn **cp, const struct sa *peer,
		    const struct outreq_url *url)
{
	struct outreq_conn *c = mem_zalloc(sizeof(*c), destructor);
	int err;

	if (!c)
		return ENOMEM;

	tmr_init(&c->idle_tmr);
	c->peer = *peer;
	str_ncpy(c->host, url->host, sizeof(c->host));
	err = tcp_connect(&c->tc, peer, conn_estab, conn_recv, conn_close,
			  c);
	if (!err && url->tls)
		err = tls_begin(c);

	if (err)
		mem_deref(c);
	else
		*cp = c;

	return err;
}


/**
 * A connection to peer for url, kept or (fresh, or none kept) new; r
 * is told when it is established (outreq_estab) unless it already is.
 *
 * @return 0 if success, otherwise errorcode
 */
int outreq_conn_get(struct outreq_conn **cp, bool *reusedp,
		    const struct sa *peer, const struct outreq_url *url,
		    bool fresh, struct outreq *r)
{
	struct outreq_conn *c = fresh ? NULL : idle_take(peer, url);
	int err;

	*reusedp = c != NULL;
	if (!c) {
		err = conn_new(&c, peer, url);
		if (err)
			return err;
	}

	c->req = r;
	*cp = c;

	return 0;
}


/** Whether c is established (a kept one always is). */
bool outreq_conn_estab(const struct outreq_conn *c)
{
	return c && c->estab;
}


/**
 * Send mb on c.
 *
 * @return 0 if success, otherwise errorcode
 */
int outreq_conn_send(struct outreq_conn *c, struct mbuf *mb)
{
	return c ? tcp_send(c->tc, mb) : EINVAL;
}


/** The request is done with c: keep it for another, or close it. */
void outreq_conn_put(struct outreq_conn *c, bool keep)
{
	if (!c)
		return;

	c->req = NULL;
	if (!keep) {
		mem_deref(c);
		return;
	}

	list_append(&ors.idlel, &c->le, c);
	tmr_start(&c->idle_tmr, IDLE_MS, idle_expired, c);
}


/** The shared DNS client, or NULL before outreq_init(). */
struct dnsc *outreq_dnsc(void)
{
	return ors.dnsc;
}


/**
 * Trust the CA certificates in path (PEM) for https, besides the
 * system's: a CRM inside a tenant's network may use its own CA.
 *
 * @return 0 if success, otherwise errorcode
 */
int outreq_add_ca(const char *path)
{
	return ors.tls ? tls_add_ca(ors.tls, path) : ENOTSUP;
}


/**
 * Ask these DNS servers instead of the system's (tests, or an operator
 * who wants tenant names resolved elsewhere).
 *
 * @return 0 if success, otherwise errorcode
 */
int outreq_dns_set(const struct sa *srvv, uint32_t srvc)
{
	return ors.dnsc ? dnsc_srv_set(ors.dnsc, srvv, srvc) : ENOTSUP;
}


/**
 * Take a use of the shared parts, made by the first: a DNS client on
 * the system's servers and a TLS client context trusting the system's
 * CAs. Each call is matched by one outreq_close().
 *
 * @return 0 if success, otherwise errorcode
 */
int outreq_init(void)
{
	struct sa nsv[4];
	uint32_t nsc = ARRAY_SIZE(nsv);
	int err;

	if (ors.users++)
		return 0;

	if (dns_srv_get(NULL, 0, nsv, &nsc) || nsc == 0) {
		(void)sa_set_str(&nsv[0], "127.0.0.1", 53);
		nsc = 1;
	}

	err = dnsc_alloc(&ors.dnsc, NULL, nsv, nsc);
	err = err ? err : tls_alloc(&ors.tls, TLS_METHOD_SSLV23, NULL, NULL);
	if (!err && access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
		(void)tls_add_ca(ors.tls,
				 "/etc/ssl/certs/ca-certificates.crt");
	if (err) {
		ors.users = 1;
		outreq_close();
	}

	return err;
}


/**
 * Give a use back; the last closes idle connections and frees the
 * shared parts (no request may be in flight then).
 */
void outreq_close(void)
{
	if (!ors.users || --ors.users)
		return;

	list_flush(&ors.idlel);
	ors.tls = mem_deref(ors.tls);
	ors.dnsc = mem_deref(ors.dnsc);
}
