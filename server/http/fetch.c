/* Outgoing HTTP requests for a JSON answer, with a deadline. */
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_sa.h>
#include <re_tmr.h>
#include <re_dns.h>
#include <re_msg.h>
#include <re_srtp.h>
#include <re_tcp.h>
#include <re_tls.h>
#include <re_http.h>
#include "http/egress.h"
#include "http/fetch.h"

/*
 * One libre HTTP client serves every request (connections are reused
 * unless a connection handler is set). A fetch ends exactly once:
 * answer, error or our own deadline; freeing it first cancels the
 * request and nothing is reported. The handler may free the fetch.
 *
 * libre 1.1's client completes TLS handshakes whatever the server's
 * certificate, so an https answer counts only if the connection's
 * verification result (the chain, against the system CAs and those of
 * fetch_add_ca()) is good: checked in the connection handler, which
 * libre calls right before the response handler.
 *
 * Egress (a tenant's URL, the operator's rules): an address literal is
 * judged before anything is sent; a name is resolved first and refused
 * if any of its addresses is. libre resolves the name again to
 * connect, so the connection's peer is judged once more and an answer
 * from a refused address is dropped: a DNS answer that changed between
 * the two (rebinding) cannot bring a refused address's data back.
 */

enum { FETCH_BODY_MAX = 65536 };

struct fetch {
	struct http_req *req;        /**< weak: libre clears it on close */
	struct dns_query *dq;        /**< (ref) the egress pre-check     */
	struct tmr tmr;
	fetch_h *h;
	void *arg;
	char *method;                /**< (own) copies kept while the    */
	char *url;                   /**< (own) name resolves            */
	char *body;                  /**< (own)                          */
	char *header;                /**< (own)                          */
	int early_err;               /**< reported from the timer        */
	bool secure;
	bool trusted;                /**< https: the peer verified       */
	bool egress;
	bool refused;                /**< the peer's address refused     */
};

static struct {
	struct http_cli *cli;
	struct dnsc *dnsc;
} fc;


static void destructor(void *arg)
{
	struct fetch *f = arg;

	tmr_cancel(&f->tmr);
	f->req = mem_deref(f->req);
	f->dq = mem_deref(f->dq);
	mem_deref(f->method);
	mem_deref(f->url);
	mem_deref(f->body);
	mem_deref(f->header);
}


static void finish(struct fetch *f, int err, uint16_t scode,
		   const json_t *result)
{
	fetch_h *h = f->h;

	tmr_cancel(&f->tmr);
	f->req = mem_deref(f->req);
	f->dq = mem_deref(f->dq);
	f->h = NULL;
	if (h)
		h(err, scode, result, f->arg);
}


static void timeout_h(void *arg)
{
	struct fetch *f = arg;

	finish(f, f->early_err ? f->early_err : ETIMEDOUT, 0, NULL);
}


/* Report err from the loop, not from inside fetch_start(). */
static void fail_soon(struct fetch *f, int err)
{
	f->early_err = err;
	tmr_start(&f->tmr, 0, timeout_h, f);
}


static void conn_h(struct tcp_conn *tc, struct tls_conn *sc, void *arg)
{
	struct fetch *f = arg;
	struct sa peer;

	f->trusted = sc && tls_peer_verify(sc) == 0;
	if (f->egress && (!tc || tcp_conn_peer_get(tc, &peer) ||
			  !egress_allowed(&peer)))
		f->refused = true;
}


static json_t *body_json(const struct http_msg *msg, int *errp)
{
	json_error_t jerr;
	json_t *j;

	if (!msg->mb || mbuf_get_left(msg->mb) > FETCH_BODY_MAX) {
		*errp = EMSGSIZE;
		return NULL;
	}

	j = json_loadb((const char *)mbuf_buf(msg->mb),
		       mbuf_get_left(msg->mb), JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(j)) {
		json_decref(j);
		*errp = EPROTO;
		return NULL;
	}

	return j;
}


static void resp_h(int err, const struct http_msg *msg, void *arg)
{
	struct fetch *f = arg;
	uint16_t scode = msg && !err ? msg->scode : 0;
	json_t *j = NULL;

	f->req = NULL;     /* libre frees the request after this call */
	if (err == EOVERFLOW)
		err = EMSGSIZE;
	if (!err && f->refused)
		err = EACCES;
	if (!err && f->secure && !f->trusted)
		err = EAUTH;
	if (!err && (scode < 200 || scode > 299))
		err = EBADMSG;
	if (!err)
		j = body_json(msg, &err);

	finish(f, err, scode, err ? NULL : j);
	json_decref(j);
}


static int client_get(void)
{
	struct sa nsv[4];
	uint32_t nsc = ARRAY_SIZE(nsv);
	int err;

	if (fc.cli)
		return 0;

	if (dns_srv_get(NULL, 0, nsv, &nsc) || nsc == 0) {
		(void)sa_set_str(&nsv[0], "127.0.0.1", 53);
		nsc = 1;
	}

	err = dnsc_alloc(&fc.dnsc, NULL, nsv, nsc);
	err = err ? err : http_client_alloc(&fc.cli, fc.dnsc);
	if (!err && access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
		(void)http_client_add_ca(fc.cli,
					 "/etc/ssl/certs/ca-certificates.crt");
	if (err)
		fetch_close();

	return err;
}


static int send_req(struct fetch *f)
{
	const char *hdr = f->header ? f->header : "";
	const char *crlf = f->header ? "\r\n" : "";
	int err;

	if (f->body)
		err = http_request(&f->req, fc.cli, "POST", f->url, resp_h,
				   NULL, f, "Accept: application/json\r\n"
				   "%s%s"
				   "Content-Type: application/json\r\n"
				   "Content-Length: %zu\r\n\r\n%s", hdr, crlf,
				   strlen(f->body), f->body);
	else
		err = http_request(&f->req, fc.cli,
				   f->method ? f->method : "GET", f->url,
				   resp_h, NULL, f,
				   "Accept: application/json\r\n%s%s\r\n",
				   hdr, crlf);
	if (err)
		return err;

	if (f->secure || f->egress)
		http_req_set_conn_handler(f->req, conn_h);

	return 0;
}


/* The host of url, as libre's client reads it: [v6] or up to : or /. */
static int url_host(const char *url, char *host, size_t sz)
{
	struct pl h;

	if (!re_regex(url, strlen(url), "[a-z]+://\\[[^\\]]+\\]", NULL, &h))
		return pl_strcpy(&h, host, sz);
	if (!re_regex(url, strlen(url), "[a-z]+://[^:/]+", NULL, &h))
		return pl_strcpy(&h, host, sz);

	return EINVAL;
}


/* The name's IPv4 addresses (CNAMEs followed): how many, any refused. */
struct scan {
	unsigned n;
	bool refused;
};


static bool rr_check(struct dnsrr *rr, void *arg)
{
	struct scan *sc = arg;
	struct sa sa;

	if (rr->type != DNS_TYPE_A)
		return false;

	++sc->n;
	sa_set_in(&sa, rr->rdata.a.addr, 0);
	if (!egress_allowed(&sa))
		sc->refused = true;

	return sc->refused;
}


static void query_h(int err, const struct dnshdr *hdr, struct list *ansl,
		    struct list *authl, struct list *addl, void *arg)
{
	struct fetch *f = arg;
	struct scan sc = {0, false};
	char host[256];
	(void)hdr;
	(void)authl;
	(void)addl;

	f->dq = mem_deref(f->dq);
	if (!err)
		err = url_host(f->url, host, sizeof(host));
	if (!err)
		(void)dns_rrlist_apply(ansl, host, DNS_TYPE_A, DNS_CLASS_IN,
				       true, rr_check, &sc);
	if (!err && !sc.n)
		err = EDESTADDRREQ;

	err = err ? err : sc.refused ? EACCES : send_req(f);
	if (err)
		finish(f, err, 0, NULL);
}


/* A literal address is judged now; a name once it resolves. */
static int egress_begin(struct fetch *f)
{
	char host[256];
	struct sa sa;
	int err;

	err = url_host(f->url, host, sizeof(host));
	if (err)
		return err;

	if (!sa_set_str(&sa, host, 0)) {
		if (!egress_allowed(&sa)) {
			fail_soon(f, EACCES);
			return 0;
		}
		return send_req(f);
	}

	return dnsc_query(&f->dq, fc.dnsc, host, DNS_TYPE_A, DNS_CLASS_IN,
			  true, query_h, f);
}


static int copy_req(struct fetch *f, const struct fetch_req *r)
{
	int err = str_dup(&f->url, r->url);

	if (!err && r->method)
		err = str_dup(&f->method, r->method);
	if (!err && r->body)
		err = str_dup(&f->body, r->body);
	if (!err && r->header)
		err = str_dup(&f->header, r->header);

	return err;
}


/**
 * Start an HTTP request to r->url; h gets the JSON object answered or
 * an error (see fetch_h).
 *
 * @return 0 if started (h will be called unless *fp is freed first)
 */
int fetch_start(struct fetch **fp, const struct fetch_req *r,
		fetch_h *h, void *arg)
{
	struct fetch *f;
	int err;

	if (!fp || !r || !r->url || !h)
		return EINVAL;
	if (strncmp(r->url, "http://", 7) && strncmp(r->url, "https://", 8))
		return EINVAL;
	if (r->header && strpbrk(r->header, "\r\n"))
		return EINVAL;

	err = client_get();
	if (err)
		return err;

	f = mem_zalloc(sizeof(*f), destructor);
	if (!f)
		return ENOMEM;

	tmr_init(&f->tmr);
	f->h = h;
	f->arg = arg;
	f->secure = !strncmp(r->url, "https://", 8);
	f->egress = r->egress;

	err = copy_req(f, r);
	if (!err)
		err = f->egress ? egress_begin(f) : send_req(f);
	if (err) {
		mem_deref(f);
		return err;
	}

	if (!f->early_err)
		tmr_start(&f->tmr, r->timeout_ms, timeout_h, f);
	*fp = f;

	return 0;
}


/**
 * Trust the CA certificates in path (PEM) for https requests, besides
 * the system's: a CRM inside a tenant's network may use its own CA.
 *
 * @return 0 if success, otherwise errorcode
 */
int fetch_add_ca(const char *path)
{
	int err = client_get();

	return err ? err : http_client_add_ca(fc.cli, path);
}


/** Free the shared client (at shutdown; no request may be in flight). */
void fetch_close(void)
{
	fc.cli = mem_deref(fc.cli);
	fc.dnsc = mem_deref(fc.dnsc);
}
