/* Unit tests for the outgoing request against bad input: malformed
 * URLs and arguments, and a server that answers badly — a huge head or
 * body, a broken chunked body, a close in the middle. Each ends with a
 * clear error, before the deadline, without a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <jansson.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include <re_mbuf.h>
#include <re_list.h>
#include <re_sa.h>
#include <re_tcp.h>
#include <re_tmr.h>
#include <re_main.h>
#include "http/fetch.h"
#include "http/outreq.h"
#include "loop.h"

/* The request path chooses how the server misbehaves (see answer()). */

struct conn {
	struct le le;
	struct tcp_conn *tc;
	struct mbuf *mb;
};

static struct {
	struct tcp_sock *ts;
	struct list connl;
	uint16_t port;
} srv;

static struct {
	bool done;
	int err;
	char error[64];
	uint16_t status;
	size_t body_len;
	bool truncated;
} res;


static void conn_destructor(void *arg)
{
	struct conn *c = arg;

	list_unlink(&c->le);
	mem_deref(c->tc);
	mem_deref(c->mb);
}


static void send_str(struct conn *c, const char *s)
{
	struct mbuf mb;

	mbuf_init(&mb);
	mb.buf = (uint8_t *)s;
	mb.size = mb.end = strlen(s);
	(void)tcp_send(c->tc, &mb);
}


/* n copies of s in one send */
static void send_many(struct conn *c, const char *s, size_t n)
{
	struct mbuf *mb = mbuf_alloc(n * strlen(s));

	for (size_t i = 0; i < n; i++)
		(void)mbuf_write_str(mb, s);
	mb->pos = 0;
	(void)tcp_send(c->tc, mb);
	mem_deref(mb);
}


/* Some answers close c (and free it). */
static void answer(struct conn *c, const char *req)
{
	if (strstr(req, " /hugehead")) {
		send_str(c, "HTTP/1.1 200 OK\r\n");
		send_many(c, "X-Pad: aaaaaaaaaaaaaaaaaaaaaaaa\r\n", 2000);
	}
	else if (strstr(req, " /hugebody")) {
		send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000000"
			 "\r\n\r\n{\"name\": \"");
		send_many(c, "xxxxxxxxxxxxxxxx", 20000);
	}
	else if (strstr(req, " /hugechunks")) {
		send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			 "\r\n\r\n");
		send_many(c, "1\r\nx\r\n", 100000);
	}
	else if (strstr(req, " /badchunk")) {
		send_str(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked"
			 "\r\n\r\nzz\r\n");
	}
	else if (strstr(req, " /garbage")) {
		send_str(c, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
	}
	else if (strstr(req, " /midbody")) {
		send_str(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
			 "{\"name\":");
		mem_deref(c);
	}
	else if (strstr(req, " /midhead")) {
		send_str(c, "HTTP/1.1 200 OK\r\nContent-Le");
		mem_deref(c);
	}
	else if (strstr(req, " /closed")) {
		send_str(c, "HTTP/1.1 200 OK\r\n\r\n{\"name\": \"ok\"}");
		mem_deref(c);
	}

}


static void recv_h(struct mbuf *mb, void *arg)
{
	struct conn *c = arg;
	char req[512];

	(void)mbuf_write_mem(c->mb, mbuf_buf(mb), mbuf_get_left(mb));
	(void)mbuf_write_u8(c->mb, 0);
	c->mb->end--;
	if (!strstr((const char *)c->mb->buf, "\r\n\r\n"))
		return;

	str_ncpy(req, (const char *)c->mb->buf, sizeof(req));
	c->mb->pos = c->mb->end = 0;
	answer(c, req);
}


static void close_h(int err, void *arg)
{
	(void)err;
	mem_deref(arg);
}


static void conn_h(const struct sa *peer, void *arg)
{
	struct conn *c = mem_zalloc(sizeof(*c), conn_destructor);

	(void)peer;
	(void)arg;
	c->mb = mbuf_alloc(1024);
	if (tcp_accept(&c->tc, srv.ts, NULL, recv_h, close_h, c)) {
		mem_deref(c);
		return;
	}
	list_append(&srv.connl, &c->le, c);
}


static int group_setup(void **state)
{
	struct sa laddr;

	(void)state;
	(void)libre_init();
	(void)sa_set_str(&laddr, "127.0.0.1", 0);
	if (tcp_listen(&srv.ts, &laddr, conn_h, NULL) ||
	    tcp_sock_local_get(srv.ts, &laddr))
		return -1;
	srv.port = sa_port(&laddr);

	return outreq_init() ? -1 : 0;
}


static int group_teardown(void **state)
{
	(void)state;
	list_flush(&srv.connl);
	srv.ts = mem_deref(srv.ts);
	fetch_close();
	outreq_close();
	libre_close();

	return 0;
}


static void done_h(const struct outreq_result *r, void *arg)
{
	(void)arg;
	res.done = true;
	res.err = r->err;
	res.status = r->status;
	res.body_len = r->body_len;
	res.truncated = r->truncated;
	str_ncpy(res.error, r->error ? r->error : "", sizeof(res.error));
}


static void lookup_h(int err, uint16_t scode, const json_t *result,
		     void *arg)
{
	(void)scode;
	(void)result;
	(void)arg;
	res.done = true;
	res.err = err;
}


static bool is_done(void *arg)
{
	(void)arg;
	return res.done;
}


/* GET path keeping body_max bytes; ends well before the deadline. */
static int get(const char *path, size_t body_max)
{
	struct outreq_msg m = {"GET", NULL, NULL, 0, 5000, body_max, false};
	struct outreq *r = NULL;
	struct outreq_url u;
	uint64_t t0 = tmr_jiffies();
	char url[128];

	memset(&res, 0, sizeof(res));
	(void)re_snprintf(url, sizeof(url), "http://127.0.0.1:%u%s",
			  srv.port, path);
	assert_int_equal(outreq_url_parse(&u, url, NULL), 0);
	assert_int_equal(outreq_start(&r, &u, &m, done_h, NULL), 0);
	assert_true(loop_until(is_done, NULL, 6000));
	mem_deref(r);
	assert_true(tmr_jiffies() - t0 < 4000);

	return res.err;
}


static int lookup(const char *path)
{
	struct fetch_req r = {NULL, NULL, NULL, NULL, 5000, false};
	struct fetch *f = NULL;
	char url[128];

	memset(&res, 0, sizeof(res));
	(void)re_snprintf(url, sizeof(url), "http://127.0.0.1:%u%s",
			  srv.port, path);
	r.url = url;
	assert_int_equal(fetch_start(&f, &r, lookup_h, NULL), 0);
	assert_true(loop_until(is_done, NULL, 6000));
	mem_deref(f);

	return res.err;
}


static void test_bad_urls(void **state)
{
	static const char *const bad[] = {
		"", "http://", "http:/x/y", "https//a.com/", "ftp://a.com/x",
		"http://[::1/xxxxx", "http://a b.com/", "http://a.com:99999/",
		"http://user:pw@a.com/", "http://a.com/#frag",
		"http://a..b/xx",
		"http://a.com/\r\nX-Evil: 1", "javascript:alert(1)",
	};
	struct fetch_req r = {NULL, NULL, NULL, NULL, 100, false};
	struct outreq_url u;
	struct fetch *f = NULL;
	char host[400];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r.url = bad[i];
		assert_int_equal(fetch_start(&f, &r, lookup_h, NULL), EINVAL);
		assert_int_equal(outreq_url_parse(&u, bad[i], NULL), EINVAL);
	}

	/* a host longer than DNS allows (253), and a label past 63 */
	memset(host, 'a', sizeof(host));
	memcpy(host, "http://", 7);
	(void)re_snprintf(host + 7 + 300, 10, ".com/");
	r.url = host;
	assert_int_equal(fetch_start(&f, &r, lookup_h, NULL), EINVAL);
	(void)re_snprintf(host + 7 + 70, 10, ".com/");
	assert_int_equal(fetch_start(&f, &r, lookup_h, NULL), EINVAL);
	assert_null(f);
}


static void test_bad_args(void **state)
{
	struct outreq_msg m = {"GET", NULL, NULL, 0, 100, 16, false};
	struct outreq *r = NULL;
	struct outreq_url u;

	(void)state;
	assert_int_equal(outreq_url_parse(&u, "http://127.0.0.1:1/", NULL),
			 0);
	m.method = "GET /x HTTP/1.1\r\nHost: evil\r\n\r\nGET";
	assert_int_equal(outreq_start(&r, &u, &m, done_h, NULL), EINVAL);
	m.method = "";
	assert_int_equal(outreq_start(&r, &u, &m, done_h, NULL), EINVAL);
	m.method = NULL;
	assert_int_equal(outreq_start(&r, &u, &m, done_h, NULL), EINVAL);
	m.method = "POST";
	m.len = 3;                       /* a length without a body */
	assert_int_equal(outreq_start(&r, &u, &m, done_h, NULL), EINVAL);
	m.len = 0;
	assert_int_equal(outreq_start(&r, &u, &m, NULL, NULL), EINVAL);
	assert_int_equal(outreq_start(&r, NULL, &m, done_h, NULL), EINVAL);
	assert_int_equal(outreq_start(NULL, &u, &m, done_h, NULL), EINVAL);
	assert_null(r);
}


static void test_huge(void **state)
{
	(void)state;
	assert_int_equal(get("/hugehead", 16), EPROTO);
	assert_string_equal(res.error, "response head too large");

	/* what is kept is kept; the rest is not read */
	assert_int_equal(get("/hugebody", 16), 0);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.body_len, 16);
	assert_true(res.truncated);
	assert_int_equal(get("/hugechunks", 16), 0);
	assert_int_equal(res.body_len, 16);
	assert_true(res.truncated);

	assert_int_equal(lookup("/hugebody"), EMSGSIZE);
	assert_int_equal(lookup("/hugechunks"), EMSGSIZE);
	assert_int_equal(lookup("/hugehead"), EPROTO);
}


static void test_broken(void **state)
{
	(void)state;
	assert_int_equal(get("/badchunk", 16), EPROTO);
	assert_string_equal(res.error, "malformed chunked body");
	assert_int_equal(get("/garbage", 16), EPROTO);
	assert_string_equal(res.error, "malformed response");
	assert_int_equal(get("/midbody", 1024), ECONNRESET);
	assert_string_equal(res.error, "connection closed mid-response");
	assert_int_not_equal(get("/midhead", 1024), 0);
	assert_string_equal(res.error, "connection closed");

	/* a body ended by the close is a body */
	assert_int_equal(get("/closed", 1024), 0);
	assert_int_equal(res.body_len, 14);
	assert_false(res.truncated);

	assert_int_equal(lookup("/badchunk"), EPROTO);
	assert_int_equal(lookup("/garbage"), EPROTO);
	assert_int_not_equal(lookup("/midbody"), 0);
	assert_int_not_equal(lookup("/midhead"), 0);
	assert_int_equal(lookup("/closed"), 0);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_broken),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
