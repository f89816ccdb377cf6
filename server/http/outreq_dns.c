/* Every address of an outgoing request's host name, A and AAAA. */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_sa.h>
#include <re_tmr.h>
#include <re_dns.h>
#include "http/outreq_int.h"

/*
 * Both queries go out at once and the answer waits for both: the
 * caller judges every address of the name, so an IPv6 address must not
 * slip past because the IPv4 answer came first. An IPv6-only host
 * works; so does an IPv4-only one whose AAAA query fails. A resolver
 * that never answers one of the two (some drop AAAA queries) costs at
 * most GRACE_MS once the other brought addresses: only addresses we
 * know are ever connected to, so what is reported is still all judged.
 *
 * Reported exactly once, from the loop; freeing the object first
 * cancels both queries and nothing is reported.
 */

enum { GRACE_MS = 250 };

struct outreq_name {
	struct tmr grace;            /**< the other answer, at most     */
	struct dns_query *qa;        /**< (ref) A, until answered         */
	struct dns_query *q6;        /**< (ref) AAAA, until answered      */
	char host[OUTREQ_HOST_MAX];
	uint16_t port;
	struct sa v4[OUTREQ_ADDR_MAX];
	struct sa v6[OUTREQ_ADDR_MAX];
	size_t n4, n6;
	int err;                     /**< the first query's error         */
	outreq_name_h *h;
	void *arg;
};


static void destructor(void *arg)
{
	struct outreq_name *n = arg;

	tmr_cancel(&n->grace);
	n->qa = mem_deref(n->qa);
	n->q6 = mem_deref(n->q6);
}


static bool rr_a(struct dnsrr *rr, void *arg)
{
	struct outreq_name *n = arg;

	if (rr->type == DNS_TYPE_A && n->n4 < OUTREQ_ADDR_MAX)
		sa_set_in(&n->v4[n->n4++], rr->rdata.a.addr, n->port);

	return false;
}


static bool rr_aaaa(struct dnsrr *rr, void *arg)
{
	struct outreq_name *n = arg;

	if (rr->type == DNS_TYPE_AAAA && n->n6 < OUTREQ_ADDR_MAX)
		sa_set_in6(&n->v6[n->n6++], rr->rdata.aaaa.addr, n->port);

	return false;
}


/* Both answered: IPv4 first (the likelier route), then IPv6. */
static void report(struct outreq_name *n)
{
	struct sa addrv[2 * OUTREQ_ADDR_MAX];
	size_t c = 0;

	tmr_cancel(&n->grace);
	n->qa = mem_deref(n->qa);
	n->q6 = mem_deref(n->q6);

	for (size_t i = 0; i < n->n4; i++)
		addrv[c++] = n->v4[i];
	for (size_t i = 0; i < n->n6; i++)
		addrv[c++] = n->v6[i];

	n->h(c ? 0 : (n->err ? n->err : ENOENT), addrv, c, n->arg);
}


static void grace_h(void *arg)
{
	report(arg);
}


static void answer(struct outreq_name *n, int err, struct list *ansl,
		   uint16_t type)
{
	if (err && !n->err)
		n->err = err;

	/* CNAMEs are followed from the name asked for */
	if (!err)
		(void)dns_rrlist_apply(ansl, n->host, type, DNS_CLASS_IN,
				       true, type == DNS_TYPE_A ? rr_a :
				       rr_aaaa, n);

	if (!n->qa && !n->q6)
		report(n);
	else if (n->n4 + n->n6)
		tmr_start(&n->grace, GRACE_MS, grace_h, n);
}


static void a_h(int err, const struct dnshdr *hdr, struct list *ansl,
		struct list *authl, struct list *addl, void *arg)
{
	struct outreq_name *n = arg;

	(void)hdr;
	(void)authl;
	(void)addl;
	n->qa = mem_deref(n->qa);
	answer(n, err, ansl, DNS_TYPE_A);
}


static void aaaa_h(int err, const struct dnshdr *hdr, struct list *ansl,
		   struct list *authl, struct list *addl, void *arg)
{
	struct outreq_name *n = arg;

	(void)hdr;
	(void)authl;
	(void)addl;
	n->q6 = mem_deref(n->q6);
	answer(n, err, ansl, DNS_TYPE_AAAA);
}


/**
 * Resolve host's A and AAAA records through dnsc.
 *
 * @return 0 if started (h will be called unless *np is freed first)
 */
int outreq_name_resolve(struct outreq_name **np, struct dnsc *dnsc,
			const char *host, uint16_t port,
			outreq_name_h *h, void *arg)
{
	struct outreq_name *n;
	int err;

	if (!np || !dnsc || !host || !h)
		return EINVAL;

	n = mem_zalloc(sizeof(*n), destructor);
	if (!n)
		return ENOMEM;

	tmr_init(&n->grace);
	str_ncpy(n->host, host, sizeof(n->host));
	n->port = port;
	n->h = h;
	n->arg = arg;
	err = dnsc_query(&n->qa, dnsc, host, DNS_TYPE_A, DNS_CLASS_IN,
			 true, a_h, n);
	err = err ? err : dnsc_query(&n->q6, dnsc, host, DNS_TYPE_AAAA,
				     DNS_CLASS_IN, true, aaaa_h, n);
	if (err) {
		mem_deref(n);
		return err;
	}

	*np = n;
	return 0;
}
