/*
 * The SIP edge: one libre sip stack on UDP, TCP and TLS, the sipsess
 * socket for INVITE dialogs, out-of-dialog requests, and the counters.
 */
#include <string.h>
#include <re.h>
#include "media/sipedge.h"
#include "media/sipedge_int.h"

#define ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO"


static bool first_handler(struct le *le, void *arg)
{
	(void)le;
	(void)arg;

	return true;
}


/* Drop the edge's reference to every call, silently. */
static void release_all(struct sipedge *se)
{
	struct le *le;

	while ((le = hash_apply(se->calls, first_handler, NULL)))
		sipcall_release(le->data);
}


static void destructor(void *arg)
{
	struct sipedge *se = arg;

	/*
	 * Sessions still finishing (a BYE in flight) keep the sip stack
	 * and the sipsess socket alive after us: silence every path that
	 * could still call us with se as argument.
	 */
	if (se->sip) {
		sip_set_trace_handler(se->sip, NULL);
		sip_transp_flush(se->sip);
	}

	release_all(se);

	mem_deref(se->lsnr);
	mem_deref(se->sock);
	if (se->sip)
		sip_close(se->sip, true);
	mem_deref(se->sip);
	mem_deref(se->tls);
	mem_deref(se->calls);
	mem_deref(se->laddr);
	mem_deref(se->public_addr);
}


void sipedge_count(struct sipedge *se, bool request, const char *method,
		   uint16_t scode)
{
	if (se && se->counth)
		se->counth(request, method, scode, se->arg);
}


/*
 * The method token at p as one of a fixed set: metrics labels must not
 * take whatever a sender invents.
 */
static const char *method_name(const uint8_t *p, size_t len)
{
	static const char *known[] = {
		"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "UPDATE",
		"INFO", "REGISTER", "SUBSCRIBE", "NOTIFY", "MESSAGE",
		"PUBLISH", "PRACK", "REFER",
	};
	size_t i, n = 0;

	while (n < len && p[n] != ' ' && p[n] != '\r' && p[n] != '\n')
		++n;

	for (i = 0; i < ARRAY_SIZE(known); i++) {
		if (n == strlen(known[i]) && !memcmp(p, known[i], n))
			return known[i];
	}

	return "OTHER";
}


/*
 * Counting sits on the trace hook, not on a request listener: the
 * transaction layer absorbs CANCEL and retransmissions before any
 * listener runs, and libre answers many requests itself (BYE, 481,
 * 487); the hook sees each decoded message received and each sent.
 */
static void trace_handler(bool tx, enum sip_transp tp, const struct sa *src,
			  const struct sa *dst, const uint8_t *pkt,
			  size_t len, void *arg)
{
	static const char cseq[] = "\nCSeq: ";
	struct sipedge *se = arg;
	bool resp = len > 12 && !memcmp(pkt, "SIP/2.0 ", 8);
	const char *method = "OTHER";
	const uint8_t *c, *sp;
	(void)tp;
	(void)src;
	(void)dst;

	if (!tx && !resp) {
		sipedge_count(se, true, method_name(pkt, len), 0);
		return;
	}

	if (!tx || !resp)
		return;

	c = memmem(pkt, len, cseq, sizeof(cseq) - 1);
	if (c) {
		c += sizeof(cseq) - 1;
		sp = memchr(c, ' ', len - (size_t)(c - pkt));
		if (sp)
			method = method_name(sp + 1,
					     len - (size_t)(sp + 1 - pkt));
	}

	sipedge_count(se, false, method,
		      (uint16_t)((pkt[8] - '0') * 100 + (pkt[9] - '0') * 10 +
				 (pkt[10] - '0')));
}


static void reply_options(struct sipedge *se, const struct sip_msg *msg)
{
	if (se->closing) {
		(void)sip_reply(se->sip, msg, 503, "Service Unavailable");
		return;
	}

	(void)sip_replyf(se->sip, msg, 200, "OK",
			 "Allow: " ALLOW "%s\r\n"
			 "Accept: application/sdp\r\n"
			 "Supported: timer\r\n"
			 "Content-Length: 0\r\n"
			 "\r\n", se->regh ? ", REGISTER" : "");
}


static bool method_known(const struct pl *met)
{
	static const char *known[] = {
		"REGISTER", "SUBSCRIBE", "NOTIFY", "MESSAGE", "PUBLISH",
		"PRACK", "REFER", "INFO",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++) {
		if (!pl_strcmp(met, known[i]))
			return true;
	}

	return false;
}


/*
 * Requests the sipsess socket left: it takes INVITE, ACK, BYE, INFO,
 * NOTIFY and in-dialog REFER. Registered after it, so it sees the rest.
 */
static bool request_handler(const struct sip_msg *msg, void *arg)
{
	struct sipedge *se = arg;

	if (!pl_strcmp(&msg->met, "OPTIONS")) {
		reply_options(se, msg);
	}
	else if (!pl_strcmp(&msg->met, "UPDATE")) {
		sip_update_handler(se, msg);
	}
	else if (!pl_strcmp(&msg->met, "ACK")) {
		/* a stray ACK never gets a response */
	}
	else if (!pl_strcmp(&msg->met, "CANCEL")) {
		(void)sip_reply(se->sip, msg, 481,
				"Call/Transaction Does Not Exist");
	}
	else if (!pl_strcmp(&msg->met, "REGISTER") && se->regh) {
		if (se->closing)
			(void)sip_reply(se->sip, msg, 503,
					"Service Unavailable");
		else
			se->regh(msg, se->regarg);
	}
	else if (method_known(&msg->met)) {
		(void)sip_replyf(se->sip, msg, 405, "Method Not Allowed",
				 "Allow: " ALLOW "%s\r\n"
				 "Content-Length: 0\r\n"
				 "\r\n", se->regh ? ", REGISTER" : "");
	}
	else {
		(void)sip_reply(se->sip, msg, 501, "Not Implemented");
	}

	return true;
}


static void connect_handler(const struct sip_msg *msg, void *arg)
{
	struct sipedge *se = arg;

	if (se->closing) {
		(void)sip_treply(NULL, se->sip, msg, 503,
				 "Service Unavailable");
		return;
	}

	sipcall_new_invite(se, msg);
}


/*
 * A resolver for trunks named by host name (reads resolv.conf once, at
 * start). Without one, only numeric addresses can be dialled.
 */
static struct dnsc *resolver(void)
{
	struct sa nsv[4];
	uint32_t nsn = ARRAY_SIZE(nsv);
	struct dnsc *dnsc = NULL;
	char domain[64];

	if (dns_srv_get(domain, sizeof(domain), nsv, &nsn) || !nsn)
		return NULL;

	if (dnsc_alloc(&dnsc, NULL, nsv, nsn))
		return NULL;

	return dnsc;
}


/* UDP and TCP (and TLS on port + 1) on one concrete address. */
static int transports_on(struct sipedge *se, struct sa *sa)
{
	int err;

	err = sip_transp_add(se->sip, SIP_TRANSP_UDP, sa);
	if (err)
		return err;

	/* port 0 (tests): TCP and TLS follow the port UDP was given */
	if (!se->port) {
		err = sip_transp_laddr(se->sip, sa, SIP_TRANSP_UDP, NULL);
		if (err)
			return err;
		se->port = sa_port(sa);
	}

	sa_set_port(sa, se->port);
	err = sip_transp_add(se->sip, SIP_TRANSP_TCP, sa);
	if (err || !se->tls)
		return err;

	sa_set_port(sa, se->port + 1);

	return sip_transp_add(se->sip, SIP_TRANSP_TLS, sa, se->tls);
}


struct if_walk {
	struct sipedge *se;
	int af;
	unsigned n;
	int err;
};


static bool if_handler(const char *ifname, const struct sa *sa, void *arg)
{
	struct if_walk *w = arg;
	struct sa a = *sa;

	(void)ifname;
	if (sa_af(sa) != w->af || sa_is_linklocal(sa))
		return false;

	sa_set_port(&a, w->se->port);
	w->err = transports_on(w->se, &a);
	if (!w->err)
		++w->n;

	return w->err != 0;
}


/*
 * libre's SIP transports need a concrete address: a wildcard listen
 * address ("0.0.0.0", "::") becomes one set of transports per local
 * address of that family, loopback included.
 */
static int transports_add(struct sipedge *se, const char *tls_cert)
{
	struct if_walk w;
	struct sa sa;
	int err;

	err = sa_set_str(&sa, se->laddr, se->port);
	if (err)
		return err;

	if (tls_cert) {
		err = tls_alloc(&se->tls, TLS_METHOD_SSLV23, tls_cert, NULL);
		if (err)
			return err;
	}

	if (!sa_is_any(&sa))
		return transports_on(se, &sa);

	memset(&w, 0, sizeof(w));
	w.se = se;
	w.af = sa_af(&sa);
	err = net_if_list(if_handler, &w);

	return err ? err : w.err ? w.err : w.n ? 0 : EADDRNOTAVAIL;
}


/* The sip stack, its transports, the sipsess socket, our listener. */
static int stack_start(struct sipedge *se, const struct sipedge_cfg *cfg)
{
	struct dnsc *dnsc = resolver();
	int err;

	err = sip_alloc(&se->sip, dnsc, SIPEDGE_HASH, SIPEDGE_HASH,
			SIPEDGE_CONN_HASH,
			cfg->user_agent ? cfg->user_agent : "OpenSeat",
			NULL, se);
	mem_deref(dnsc);        /* the sip stack holds its own reference */
	if (err)
		return err;

	sip_set_trace_handler(se->sip, trace_handler);

	err = transports_add(se, cfg->tls_cert);
	if (err)
		return err;

	err = sipsess_listen(&se->sock, se->sip, SIPEDGE_HASH,
			     connect_handler, se);
	if (err)
		return err;

	return sip_listen(&se->lsnr, se->sip, true, request_handler, se);
}


/**
 * Start the SIP edge: listen on cfg->laddr, UDP and TCP on cfg->port,
 * TLS on cfg->port + 1 when a certificate is configured.
 *
 * @param sep     the new edge
 * @param cfg     addresses and options (copied)
 * @param inviteh called for every new INVITE; it must answer
 * @param counth  every request received and response sent, may be NULL
 * @param arg     for both handlers
 *
 * @return 0 if success, otherwise errorcode
 */
int sipedge_alloc(struct sipedge **sep, const struct sipedge_cfg *cfg,
		  sipedge_invite_h *inviteh, sipedge_count_h *counth,
		  void *arg)
{
	struct sipedge *se;
	int err;

	if (!sep || !cfg || !cfg->laddr || !inviteh)
		return EINVAL;

	/* one RTP socket per leg: the loop must take thousands of fds;
	 * only the first call in the process counts */
	(void)fd_setsize(65536);

	se = mem_zalloc(sizeof(*se), destructor);
	if (!se)
		return ENOMEM;

	se->port            = cfg->port;
	se->session_expires = cfg->session_expires;
	se->pending_ms      = SIPEDGE_PENDING_MS;
	se->inviteh         = inviteh;
	se->counth          = counth;
	se->arg             = arg;

	err  = str_dup(&se->laddr, cfg->laddr);
	if (cfg->public_addr && *cfg->public_addr)
		err |= str_dup(&se->public_addr, cfg->public_addr);
	if (err)
		goto out;

	err = hash_alloc(&se->calls, SIPEDGE_HASH);
	if (err)
		goto out;

	err = stack_start(se, cfg);

 out:
	if (err)
		mem_deref(se);
	else
		*sep = se;

	return err;
}


/**
 * Hang up every call and refuse new ones (503). The loop should run a
 * little afterwards so BYEs and final responses get out; then free se.
 */
void sipedge_shutdown(struct sipedge *se)
{
	struct le *le;

	if (!se)
		return;

	se->closing = true;

	/* each hangup unlinks its call; a call it could not end is
	   released without a report */
	while ((le = hash_apply(se->calls, first_handler, NULL))) {
		struct sipcall *sc = mem_ref(le->data);

		sipcall_hangup(sc, 503, "shutdown");
		sipcall_release(sc);
		mem_deref(sc);
	}
}


/**
 * Our Contact URI for a transport: the public address when configured.
 */
int sipedge_contact(char **urip, const struct sipedge *se,
		    enum sip_transp tp)
{
	const char *host = se->public_addr ? se->public_addr : se->laddr;
	uint16_t port = se->port;
	char ip[64];
	struct sa sa;
	bool v6;

	if (!se->public_addr && !sa_set_str(&sa, se->laddr, 0) &&
	    sa_is_any(&sa) &&
	    !net_default_source_addr_get(sa_af(&sa), &sa) &&
	    !sa_ntop(&sa, ip, sizeof(ip)))
		host = ip;

	if (tp == SIP_TRANSP_TLS)
		++port;

	v6 = strchr(host, ':') && host[0] != '[';

	return re_sdprintf(urip, "sip:openseat@%s%s%s:%u%s",
			   v6 ? "[" : "", host, v6 ? "]" : "", port,
			   sip_transp_param(tp));
}


/**
 * Hand REGISTER requests to h (the registrar); NULL answers them 405
 * again.
 */
void sipedge_set_register_handler(struct sipedge *se, sipedge_register_h *h,
				  void *arg)
{
	if (!se)
		return;

	se->regh = h;
	se->regarg = h ? arg : NULL;
}


/* For tests: how long the owner has to answer an INVITE. */
void sipedge_pending_set(struct sipedge *se, uint32_t ms)
{
	if (se)
		se->pending_ms = ms;
}


/** Calls the edge holds (inbound and outbound, not yet closed). */
unsigned sipedge_calls(const struct sipedge *se)
{
	return se ? se->ncalls : 0;
}
