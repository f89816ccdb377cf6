/* Unit tests for the outgoing request (http/outreq.c, http/fetch.c):
 * nothing is sent before the peer is approved — every address of a
 * name judged, A and AAAA, and an https certificate verified — against
 * an in-process DNS server and recording HTTP servers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include <arpa/inet.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_sa.h>
#include <re_tcp.h>
#include <re_tmr.h>
#include <re_udp.h>
#include <re_dns.h>
#include <re_srtp.h>
#include <re_tls.h>
#include <re_main.h>
#include "http/egress.h"
#include "http/fetch.h"
#include "http/outreq.h"
#include "loop.h"

/*
 * The DNS server answers from recs[] (nothing for other names; no
 * answer at all where the address is NULL). The
 * HTTP servers count connections and the request bytes that arrive,
 * and answer every request with {"name": "ok"}.
 */

static const struct rec {
	const char *name;
	uint16_t type;
	const char *addr;
} recs[] = {
	{"v4.test",     DNS_TYPE_A,    "127.0.0.1"},
	{"v6only.test", DNS_TYPE_AAAA, "::1"},
	{"both.test",   DNS_TYPE_A,    "127.0.0.1"},
	{"both.test",   DNS_TYPE_AAAA, "::1"},
	{"next.test",   DNS_TYPE_A,    "127.0.0.2"},   /* nobody there */
	{"next.test",   DNS_TYPE_A,    "127.0.0.1"},
	{"ll6.test",    DNS_TYPE_AAAA, "fe80::1"},
	{"ula6.test",   DNS_TYPE_AAAA, "fc00::1"},
	{"meta.test",   DNS_TYPE_A,    "127.0.0.1"},
	{"meta.test",   DNS_TYPE_A,    "169.254.169.254"},
	{"mute6.test",  DNS_TYPE_A,    "127.0.0.1"},
	{"mute6.test",  DNS_TYPE_AAAA, NULL},          /* never answered */
};

struct srv {
	struct tcp_sock *ts;
	struct tls *tls;             /* https, or NULL */
	uint16_t port;
	unsigned conns;              /* connections accepted */
	size_t bytes;                /* request bytes received */
	char last[2048];
};

struct conn {
	struct le le;
	struct srv *srv;
	struct tls_conn *sc;
	struct tcp_conn *tc;
	struct mbuf *mb;
};

static struct {
	struct udp_sock *dns;
	struct sa dns_addr;
	struct srv s4, s6, stls;
	struct list connl;
	char dir[64];
	char ca[128];
} t;

static struct {
	bool done;
	int err;
	char error[64];
	uint16_t status;
	char addr[64];
	char name[32];
} res;


static void dns_answer(struct mbuf *o, const char *name, uint16_t type,
		       uint16_t *nansp)
{
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++) {
		struct dnsrr rr;
		struct sa sa;

		if (str_casecmp(recs[i].name, name) || recs[i].type != type ||
		    !recs[i].addr)
			continue;

		memset(&rr, 0, sizeof(rr));
		rr.name = (char *)name;
		rr.type = type;
		rr.dnsclass = DNS_CLASS_IN;
		rr.ttl = 1;
		(void)sa_set_str(&sa, recs[i].addr, 0);
		if (type == DNS_TYPE_A)
			rr.rdata.a.addr = sa_in(&sa);
		else
			sa_in6(&sa, rr.rdata.aaaa.addr);
		(void)dns_rr_encode(o, &rr, 0, NULL, 0);
		++*nansp;
	}
}


static bool dns_mute(const char *name, uint16_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(recs); i++) {
		if (!str_casecmp(recs[i].name, name) &&
		    recs[i].type == type && !recs[i].addr)
			return true;
	}

	return false;
}


static void dns_recv(const struct sa *src, struct mbuf *mb, void *arg)
{
	struct mbuf *o = mbuf_alloc(512);
	struct dnshdr hdr;
	char *name = NULL;
	uint16_t type;
	size_t end;

	(void)arg;
	if (!o || dns_hdr_decode(mb, &hdr) || hdr.nq != 1 ||
	    dns_dname_decode(mb, &name, 0) || mbuf_get_left(mb) < 4)
		goto out;

	type = ntohs(mbuf_read_u16(mb));
	if (dns_mute(name, type))
		goto out;

	hdr.qr = true;
	hdr.aa = true;
	hdr.ra = true;
	hdr.nans = 0;
	(void)dns_hdr_encode(o, &hdr);
	(void)dns_dname_encode(o, name, NULL, 0, false);
	(void)mbuf_write_u16(o, htons(type));
	(void)mbuf_write_u16(o, htons(DNS_CLASS_IN));
	dns_answer(o, name, type, &hdr.nans);

	/* the count is known only now: the header once more */
	end = o->end;
	o->pos = 0;
	(void)dns_hdr_encode(o, &hdr);
	o->pos = 0;
	o->end = end;
	(void)udp_send(t.dns, src, o);
 out:
	mem_deref(name);
	mem_deref(o);
}


static void conn_destructor(void *arg)
{
	struct conn *c = arg;

	list_unlink(&c->le);
	mem_deref(c->sc);
	mem_deref(c->tc);
	mem_deref(c->mb);
}


static void recv_h(struct mbuf *mb, void *arg)
{
	static const char ok[] = "{\"name\": \"ok\"}";
	struct conn *c = arg;
	struct mbuf *out;

	c->srv->bytes += mbuf_get_left(mb);
	(void)mbuf_write_mem(c->mb, mbuf_buf(mb), mbuf_get_left(mb));
	(void)mbuf_write_u8(c->mb, 0);
	c->mb->end--;
	if (!strstr((const char *)c->mb->buf, "\r\n\r\n"))
		return;

	str_ncpy(c->srv->last, (const char *)c->mb->buf,
		 sizeof(c->srv->last));
	c->mb->pos = c->mb->end = 0;
	out = mbuf_alloc(256);
	(void)mbuf_printf(out, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
			  "\r\n%s", strlen(ok), ok);
	out->pos = 0;
	(void)tcp_send(c->tc, out);
	mem_deref(out);
}


static void close_h(int err, void *arg)
{
	(void)err;
	mem_deref(arg);
}


static void conn_h(const struct sa *peer, void *arg)
{
	struct conn *c = mem_zalloc(sizeof(*c), conn_destructor);
	struct srv *s = arg;

	(void)peer;
	++s->conns;
	c->srv = s;
	c->mb = mbuf_alloc(1024);
	if (tcp_accept(&c->tc, s->ts, NULL, recv_h, close_h, c) ||
	    (s->tls && tls_start_tcp(&c->sc, s->tls, c->tc, 0))) {
		mem_deref(c);
		return;
	}
	list_append(&t.connl, &c->le, c);
}


static int srv_start(struct srv *s, const char *addr)
{
	struct sa laddr;
	int err;

	(void)sa_set_str(&laddr, addr, 0);
	err = tcp_listen(&s->ts, &laddr, conn_h, s);
	err = err ? err : tcp_sock_local_get(s->ts, &laddr);
	s->port = sa_port(&laddr);

	return err;
}


/* A certificate for localhost, 127.0.0.1 and ::1 (tools/gen-cert),
 * cert and key in one file as libre's TLS wants it. */
static int tls_setup(void)
{
	static const char *const tools[] = {"tools/gen-cert",
		"../tools/gen-cert", "../../tools/gen-cert",
		"../../../tools/gen-cert"};
	char cmd[400], pem[128];
	int err = ENOENT;

	(void)re_snprintf(t.dir, sizeof(t.dir), "/tmp/test_outreq.%u",
			  (unsigned)getpid());
	(void)re_snprintf(pem, sizeof(pem), "%s/both.pem", t.dir);
	(void)re_snprintf(t.ca, sizeof(t.ca), "%s/cert.pem", t.dir);
	for (size_t i = 0; i < ARRAY_SIZE(tools) && err; i++) {
		if (access(tools[i], X_OK))
			continue;
		(void)re_snprintf(cmd, sizeof(cmd), "%s %s && cat %s/cert.pem"
				  " %s/key.pem > %s", tools[i], t.dir, t.dir,
				  t.dir, pem);
		err = system(cmd) ? EIO : 0;
	}

	err = err ? err : tls_alloc(&t.stls.tls, TLS_METHOD_SSLV23, pem,
				    NULL);
	return err ? err : srv_start(&t.stls, "127.0.0.1");
}


static int group_setup(void **state)
{
	(void)state;
	(void)libre_init();
	(void)sa_set_str(&t.dns_addr, "127.0.0.1", 0);
	if (udp_listen(&t.dns, &t.dns_addr, dns_recv, NULL) ||
	    udp_local_get(t.dns, &t.dns_addr))
		return -1;
	if (srv_start(&t.s4, "127.0.0.1") || srv_start(&t.s6, "::1") ||
	    tls_setup())
		return -1;

	return outreq_init() || outreq_dns_set(&t.dns_addr, 1) ? -1 : 0;
}


static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	list_flush(&t.connl);
	t.s4.ts = mem_deref(t.s4.ts);
	t.s6.ts = mem_deref(t.s6.ts);
	t.stls.ts = mem_deref(t.stls.ts);
	t.stls.tls = mem_deref(t.stls.tls);
	t.dns = mem_deref(t.dns);
	fetch_close();
	outreq_close();
	(void)re_snprintf(cmd, sizeof(cmd), "rm -rf %s", t.dir);
	(void)system(cmd);
	libre_close();

	return 0;
}


static void done_h(const struct outreq_result *r, void *arg)
{
	(void)arg;
	res.done = true;
	res.err = r->err;
	res.status = r->status;
	str_ncpy(res.error, r->error ? r->error : "", sizeof(res.error));
	str_ncpy(res.addr, r->addr, sizeof(res.addr));
}


static bool is_done(void *arg)
{
	(void)arg;
	return res.done;
}


/* GET url (a format with the port) as webhooks and lookups do. */
static int get(const char *fmt, uint16_t port)
{
	struct outreq_msg m = {"GET", NULL, NULL, 0, 2000, 1024, true};
	struct outreq *r = NULL;
	struct outreq_url u;
	char url[256];
	int err;

	memset(&res, 0, sizeof(res));
	(void)re_snprintf(url, sizeof(url), fmt, port);
	assert_int_equal(outreq_url_parse(&u, url, NULL), 0);
	err = outreq_start(&r, &u, &m, done_h, NULL);
	if (err)
		return -err;

	assert_false(res.done);      /* never from inside outreq_start() */
	assert_true(loop_until(is_done, NULL, 4000));
	mem_deref(r);

	return res.err;
}


static void lookup_h(int err, uint16_t scode, const json_t *result,
		     void *arg)
{
	(void)arg;
	res.done = true;
	res.err = err;
	res.status = scode;
	str_ncpy(res.name, json_string_value(json_object_get(result,
							     "name")),
		 sizeof(res.name));
}


/* An IVR or screen pop lookup with a secret header. */
static int lookup(const char *fmt, uint16_t port)
{
	struct fetch_req r = {NULL, NULL, NULL, "Authorization: Bearer s3",
			      2000, true};
	struct fetch *f = NULL;
	char url[256];
	int err;

	memset(&res, 0, sizeof(res));
	(void)re_snprintf(url, sizeof(url), fmt, port);
	r.url = url;
	err = fetch_start(&f, &r, lookup_h, NULL);
	if (err)
		return -err;

	assert_true(loop_until(is_done, NULL, 4000));
	mem_deref(f);

	return res.err;
}


/* An IPv6-only name reaches an allowed IPv6 address; refused IPv6
 * addresses are never contacted. */
static void test_aaaa_only(void **state)
{
	unsigned conns = t.s6.conns;
	char want[64];

	(void)state;
	assert_int_equal(egress_init("::1/128", true), 0);
	assert_int_equal(get("http://v6only.test:%u/x", t.s6.port), 0);
	assert_int_equal(res.status, 200);
	(void)re_snprintf(want, sizeof(want), "[::1]:%u", t.s6.port);
	assert_string_equal(res.addr, want);
	assert_int_equal(t.s6.conns, conns + 1);
	assert_int_equal(lookup("http://v6only.test:%u/x", t.s6.port), 0);
	assert_string_equal(res.name, "ok");

	conns = t.s6.conns;
	assert_int_equal(egress_init("", false), 0);
	assert_int_equal(get("http://v6only.test:%u/x", t.s6.port), EACCES);
	assert_string_equal(res.error, "address refused by egress policy");
	assert_int_equal(get("http://[::1]:%u/x", t.s6.port), EACCES);
	assert_int_equal(get("http://ll6.test:%u/x", t.s6.port), EACCES);
	assert_int_equal(get("http://ula6.test:%u/x", t.s6.port), EACCES);
	assert_int_equal(get("http://[fe80::1]:%u/x", t.s6.port), EACCES);
	assert_int_equal(get("http://[fc00::1]:%u/x", t.s6.port), EACCES);
	assert_int_equal(lookup("http://v6only.test:%u/x", t.s6.port),
			 EACCES);
	assert_int_equal(t.s6.conns, conns);
}


/* A name whose addresses include a refused one is refused as a whole,
 * before any connection; an IPv4 answer does not hide the IPv6 one. */
static void test_every_address(void **state)
{
	unsigned c4 = t.s4.conns, c6 = t.s6.conns;

	(void)state;
	assert_int_equal(egress_init("", true), 0);
	assert_int_equal(get("http://v4.test:%u/x", t.s4.port), EACCES);
	assert_int_equal(lookup("http://v4.test:%u/x", t.s4.port), EACCES);
	assert_int_equal(egress_init("127.0.0.1/32", true), 0);
	assert_int_equal(get("http://both.test:%u/x", t.s4.port), EACCES);
	assert_int_equal(get("http://meta.test:%u/x", t.s4.port), EACCES);
	assert_int_equal(lookup("http://both.test:%u/x", t.s4.port),
			 EACCES);
	assert_int_equal(t.s4.conns, c4);
	assert_int_equal(t.s6.conns, c6);

	/* both allowed: IPv4 first */
	assert_int_equal(egress_init("127.0.0.1/32 ::1/128", true), 0);
	assert_int_equal(get("http://both.test:%u/x", t.s4.port), 0);
	assert_int_equal(t.s4.conns, c4 + 1);

	/* a name nobody knows */
	assert_int_not_equal(get("http://none.test:%u/x", t.s4.port), 0);
	assert_string_equal(res.error, "host not found");
	assert_int_equal(egress_init("", true), 0);
}


/* A connect that fails moves on to the name's next address; a resolver
 * that never answers AAAA delays an IPv4 host only a little. */
static void test_next_address(void **state)
{
	uint64_t t0;
	char want[64];

	(void)state;
	assert_int_equal(egress_init("127.0.0.0/8", true), 0);
	assert_int_equal(get("http://next.test:%u/x", t.s4.port), 0);
	(void)re_snprintf(want, sizeof(want), "127.0.0.1:%u", t.s4.port);
	assert_string_equal(res.addr, want);

	t0 = tmr_jiffies();
	assert_int_equal(get("http://mute6.test:%u/x", t.s4.port), 0);
	assert_string_equal(res.addr, want);
	assert_true(tmr_jiffies() - t0 < 1000);
	assert_int_equal(egress_init("", true), 0);
}


/* A connection is kept for the next request to the same address; one
 * the server closed meanwhile is not used again. */
static void test_kept(void **state)
{
	unsigned conns;

	(void)state;
	assert_int_equal(egress_init("127.0.0.1/32", true), 0);
	assert_int_equal(get("http://127.0.0.1:%u/x", t.s4.port), 0);
	conns = t.s4.conns;
	assert_int_equal(get("http://127.0.0.1:%u/x", t.s4.port), 0);
	assert_int_equal(lookup("http://127.0.0.1:%u/x", t.s4.port), 0);
	assert_int_equal(t.s4.conns, conns);

	list_flush(&t.connl);
	assert_int_equal(loop_run(100), ETIMEDOUT);
	assert_int_equal(get("http://127.0.0.1:%u/x", t.s4.port), 0);
	assert_int_equal(t.s4.conns, conns + 1);
	assert_int_equal(egress_init("", true), 0);
}


/* https: a lookup to a peer whose certificate does not verify sends
 * not one byte (its secret header stays here); trusted, it does. */
static void test_tls_untrusted(void **state)
{
	const char *lit = "https://127.0.0.1:%u/x";
	unsigned conns = t.stls.conns;

	(void)state;
	assert_int_equal(egress_init("127.0.0.1/32", true), 0);
	assert_int_equal(lookup(lit, t.stls.port), EAUTH);
	assert_int_equal(get(lit, t.stls.port), EAUTH);
	assert_string_equal(res.error, "tls certificate not trusted");
	assert_true(t.stls.conns > conns);       /* the handshake came */
	assert_int_equal(t.stls.bytes, 0);

	assert_int_equal(outreq_add_ca(t.ca), 0);
	/* trusted, but the name is not the certificate's */
	assert_int_equal(lookup("https://v4.test:%u/x", t.stls.port), EAUTH);
	assert_int_equal(t.stls.bytes, 0);

	assert_int_equal(lookup(lit, t.stls.port), 0);
	assert_string_equal(res.name, "ok");
	assert_non_null(strstr(t.stls.last, "\r\nAuthorization: Bearer s3"));
	assert_int_equal(egress_init("", true), 0);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aaaa_only),
		cmocka_unit_test(test_every_address),
		cmocka_unit_test(test_next_address),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_tls_untrusted),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
