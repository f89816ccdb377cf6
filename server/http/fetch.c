/* The lookup node's HTTP request to the tenant's CRM, with a deadline. */
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
#include <re_tls.h>
#include <re_http.h>
#include "ivr/ivr.h"
#include "ivr/ivr_int.h"

/*
 * One libre HTTP client serves every lookup (connections are reused).
 * A lookup ends exactly once: answer, error or our own deadline; freeing
 * it first cancels the request and nothing is reported. The handler may
 * free the lookup.
 *
 * libre 1.1's client completes TLS handshakes whatever the server's
 * certificate, so an https answer counts only if the connection's
 * verification result (the chain, against the system CAs and those of
 * ivr_lookup_add_ca()) is good: checked in the connection
 * handler, which libre calls right before the response handler. A
 * forged answer never steers a flow; the request itself has left by
 * then, which is why a CRM should be reached over a trusted network.
 */

enum { LOOKUP_BODY_MAX = 65536 };

struct ivr_lookup {
	struct http_req *req;        /**< weak: libre clears it on close */
	struct tmr tmr;
	ivr_lookup_h *h;
	void *arg;
	bool secure;
	bool trusted;                /**< https: the peer verified       */
};

static struct {
	struct http_cli *cli;
	struct dnsc *dnsc;
} lk;


static void destructor(void *arg)
{
	struct ivr_lookup *l = arg;

	tmr_cancel(&l->tmr);
	l->req = mem_deref(l->req);
}


static void finish(struct ivr_lookup *l, int err, const json_t *result)
{
	ivr_lookup_h *h = l->h;

	tmr_cancel(&l->tmr);
	l->req = mem_deref(l->req);
	l->h = NULL;
	if (h)
		h(err, result, l->arg);
}


static void timeout_h(void *arg)
{
	finish(arg, ETIMEDOUT, NULL);
}


static void conn_h(struct tcp_conn *tc, struct tls_conn *sc, void *arg)
{
	struct ivr_lookup *l = arg;

	(void)tc;
	l->trusted = sc && tls_peer_verify(sc) == 0;
}


static void resp_h(int err, const struct http_msg *msg, void *arg)
{
	struct ivr_lookup *l = arg;
	json_error_t jerr;
	json_t *j = NULL;

	l->req = NULL;     /* libre frees the request after this call */
	if (!err && l->secure && !l->trusted)
		err = EAUTH;

	if (!err && (msg->scode < 200 || msg->scode > 299))
		err = EPROTO;
	if (!err && (!msg->mb || mbuf_get_left(msg->mb) > LOOKUP_BODY_MAX))
		err = EPROTO;
	if (!err) {
		j = json_loadb((const char *)mbuf_buf(msg->mb),
			       mbuf_get_left(msg->mb), JSON_REJECT_DUPLICATES,
			       &jerr);
		if (!json_is_object(j))
			err = EPROTO;
	}

	finish(l, err, err ? NULL : j);
	json_decref(j);
}


static int client_get(void)
{
	struct sa nsv[4];
	uint32_t nsc = ARRAY_SIZE(nsv);
	int err;

	if (lk.cli)
		return 0;

	if (dns_srv_get(NULL, 0, nsv, &nsc) || nsc == 0) {
		(void)sa_set_str(&nsv[0], "127.0.0.1", 53);
		nsc = 1;
	}

	err = dnsc_alloc(&lk.dnsc, NULL, nsv, nsc);
	err = err ? err : http_client_alloc(&lk.cli, lk.dnsc);
	if (!err && access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
		(void)http_client_add_ca(lk.cli,
					 "/etc/ssl/certs/ca-certificates.crt");
	if (err)
		ivr_lookup_close();

	return err;
}


/**
 * Start an HTTP GET or POST (body: JSON text) to url; h gets the JSON
 * object answered, or ETIMEDOUT, EPROTO (not 2xx, not a JSON object,
 * too big), EAUTH (https peer not trusted) or a connection error.
 *
 * @return 0 if started (h will be called unless *lkp is freed first)
 */
int ivr_lookup_start(struct ivr_lookup **lkp, const char *method,
		     const char *url, const char *body, uint32_t timeout_ms,
		     ivr_lookup_h *h, void *arg)
{
	struct ivr_lookup *l;
	int err;

	if (!lkp || !url || !h)
		return EINVAL;
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return EINVAL;

	err = client_get();
	if (err)
		return err;

	l = mem_zalloc(sizeof(*l), destructor);
	if (!l)
		return ENOMEM;

	tmr_init(&l->tmr);
	l->h = h;
	l->arg = arg;
	l->secure = !strncmp(url, "https://", 8);

	if (body)
		err = http_request(&l->req, lk.cli, "POST", url, resp_h, NULL,
				   l, "Accept: application/json\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length: %zu\r\n\r\n%s",
				   strlen(body), body);
	else
		err = http_request(&l->req, lk.cli, method ? method : "GET",
				   url, resp_h, NULL, l,
				   "Accept: application/json\r\n\r\n");
	if (err) {
		mem_deref(l);
		return err;
	}

	if (l->secure)
		http_req_set_conn_handler(l->req, conn_h);
	tmr_start(&l->tmr, timeout_ms, timeout_h, l);
	*lkp = l;

	return 0;
}


/**
 * Trust the CA certificates in path (PEM) for https lookups, besides the
 * system's: a CRM inside a tenant's network may use its own CA.
 *
 * @return 0 if success, otherwise errorcode
 */
int ivr_lookup_add_ca(const char *path)
{
	int err = client_get();

	return err ? err : http_client_add_ca(lk.cli, path);
}


/** Free the shared client (at shutdown; no lookup may be in flight). */
void ivr_lookup_close(void)
{
	lk.cli = mem_deref(lk.cli);
	lk.dnsc = mem_deref(lk.dnsc);
}
