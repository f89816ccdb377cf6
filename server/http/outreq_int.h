/* What the outgoing request's files share: names, response heads. */
#ifndef OPENSEAT_OUTREQ_INT_H
#define OPENSEAT_OUTREQ_INT_H

#include "http/outreq.h"

enum { OUTREQ_ADDR_MAX = 8 };

/* --- a name's addresses, A and AAAA (outreq_dns.c) --- */
struct outreq_name;
struct dnsc;

/**
 * The addresses of a name, IPv4 ones first; err is ENOENT when the
 * name has none. addrv is borrowed for the call.
 */
typedef void (outreq_name_h)(int err, const struct sa *addrv,
			     size_t addrc, void *arg);

int outreq_name_resolve(struct outreq_name **np, struct dnsc *dnsc,
			const char *host, uint16_t port,
			outreq_name_h *h, void *arg);

/* --- connections and the shared parts (outreq_conn.c) --- */
struct outreq_conn;
struct mbuf;

int  outreq_conn_get(struct outreq_conn **cp, bool *reusedp,
		     const struct sa *peer, const struct outreq_url *url,
		     bool fresh, struct outreq *r);
bool outreq_conn_estab(const struct outreq_conn *c);
int  outreq_conn_send(struct outreq_conn *c, struct mbuf *mb);
void outreq_conn_put(struct outreq_conn *c, bool keep);
struct dnsc *outreq_dnsc(void);

/* --- what a connection tells its request (outreq.c) --- */
void outreq_estab(struct outreq *r, int err);
void outreq_recv(struct outreq *r, struct mbuf *mb);
void outreq_closed(struct outreq *r, int err, bool estab);

/* --- the head of a response (outreq_head.c) --- */
struct outreq_head {
	uint16_t status;
	size_t len;                  /**< bytes of the head, CRLFCRLF too */
	int64_t clen;                /**< Content-Length, -1 if none      */
	bool chunked;
	bool close;                  /**< Connection: close, or HTTP/1.0  */
};

int outreq_head_parse(struct outreq_head *hd, const char *p, size_t n);
int outreq_chunked_scan(const char *p, size_t n, char *out, size_t max,
			size_t *outlenp, bool *donep);

#endif
