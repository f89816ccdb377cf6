/* Unit tests for the outgoing JSON request (http/fetch.c) against a real
 * HTTP server in-process: egress judged before anything is sent, the
 * status and errors told apart, the extra header, bad arguments. */
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
#include <re_main.h>
#include "http/egress.h"
#include "http/fetch.h"
#include "loop.h"

/*
 * The request path chooses the answer: /ok a JSON object, /404 and /500
 * their status, /junk no JSON, /big an object past the 64 KiB limit,
 * /slow nothing at all.
 */

struct conn {
	struct le le;
	struct tcp_conn *tc;
	struct mbuf *mb;
};

static struct {
	struct tcp_sock *ts;
	struct list connl;
	uint16_t port;
	unsigned conns;             /* connections accepted */
	char last_req[2048];
} srv;

static struct {
	bool done;
	int err;
	uint16_t scode;
	char name[64];
} res;


static void conn_destructor(void *arg)
{
	struct conn *c = arg;

	list_unlink(&c->le);
	mem_deref(c->tc);
	mem_deref(c->mb);
}


static void reply(struct conn *c, unsigned code, const char *body)
{
	struct mbuf *mb = mbuf_alloc(512);

	(void)mbuf_printf(mb, "HTTP/1.1 %u X\r\nContent-Type: application/"
			  "json\r\nContent-Length: %zu\r\n\r\n%s", code,
			  strlen(body), body);
	mb->pos = 0;
	(void)tcp_send(c->tc, mb);
	mem_deref(mb);
}


static void reply_big(struct conn *c)
{
	struct mbuf *mb = mbuf_alloc(80000);

	(void)mbuf_printf(mb, "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n"
			  "{\"name\": \"", 70000 + 12);
	for (unsigned i = 0; i < 70000; i++)
		(void)mbuf_write_u8(mb, 'x');
	(void)mbuf_write_str(mb, "\"}");
	mb->pos = 0;
	(void)tcp_send(c->tc, mb);
	mem_deref(mb);
}


static void recv_h(struct mbuf *mb, void *arg)
{
	struct conn *c = arg;
	const char *req;

	(void)mbuf_write_mem(c->mb, mbuf_buf(mb), mbuf_get_left(mb));
	(void)mbuf_write_u8(c->mb, 0);
	c->mb->end--;
	req = (const char *)c->mb->buf;
	if (!strstr(req, "\r\n\r\n"))
		return;

	str_ncpy(srv.last_req, req, sizeof(srv.last_req));
	c->mb->pos = c->mb->end = 0;
	if (strstr(srv.last_req, " /ok"))
		reply(c, 200, "{\"name\": \"ok\"}");
	else if (strstr(srv.last_req, " /404"))
		reply(c, 404, "{}");
	else if (strstr(srv.last_req, " /500"))
		reply(c, 500, "{\"name\": \"no\"}");
	else if (strstr(srv.last_req, " /junk"))
		reply(c, 200, "{\"name\": ");
	else if (strstr(srv.last_req, " /big"))
		reply_big(c);
	/* /slow: nothing */
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
	++srv.conns;
	c->mb = mbuf_alloc(1024);
	if (tcp_accept(&c->tc, srv.ts, NULL, recv_h, close_h, c)) {
		mem_deref(c);
		return;
	}
	list_append(&srv.connl, &c->le, c);
}


static void done_h(int err, uint16_t scode, const json_t *result,
		   void *arg)
{
	(void)arg;
	res.done = true;
	res.err = err;
	res.scode = scode;
	str_ncpy(res.name, json_string_value(json_object_get(result,
							     "name")),
		 sizeof(res.name));
}


static bool is_done(void *arg)
{
	(void)arg;
	return res.done;
}


/* Fetch path from the test server; the error, the result in res. */
static int fetch_path(const char *path, bool egress, const char *header,
		      uint32_t timeout_ms)
{
	struct fetch_req r = {NULL, NULL, NULL, header, timeout_ms, egress};
	struct fetch *f = NULL;
	char url[128];
	int err;

	memset(&res, 0, sizeof(res));
	(void)re_snprintf(url, sizeof(url), "http://127.0.0.1:%u%s",
			  srv.port, path);
	r.url = url;
	err = fetch_start(&f, &r, done_h, NULL);
	if (err)
		return -err;

	/* never from inside fetch_start(), even when refused at once */
	assert_false(res.done);
	assert_true(loop_until(is_done, NULL, timeout_ms + 2000));
	mem_deref(f);

	return res.err;
}


static int group_setup(void **state)
{
	struct sa laddr;

	(void)state;
	(void)libre_init();
	(void)sa_set_str(&laddr, "127.0.0.1", 0);
	if (tcp_listen(&srv.ts, &laddr, conn_h, NULL))
		return -1;
	(void)tcp_sock_local_get(srv.ts, &laddr);
	srv.port = sa_port(&laddr);

	return 0;
}


static int group_teardown(void **state)
{
	(void)state;
	list_flush(&srv.connl);
	srv.ts = mem_deref(srv.ts);
	fetch_close();
	libre_close();

	return 0;
}


static void test_answers(void **state)
{
	(void)state;
	assert_int_equal(fetch_path("/ok", false, NULL, 2000), 0);
	assert_int_equal(res.scode, 200);
	assert_string_equal(res.name, "ok");

	assert_int_equal(fetch_path("/404", false, NULL, 2000), EBADMSG);
	assert_int_equal(res.scode, 404);
	assert_int_equal(fetch_path("/500", false, NULL, 2000), EBADMSG);
	assert_int_equal(res.scode, 500);
	assert_string_equal(res.name, "");
	assert_int_equal(fetch_path("/junk", false, NULL, 2000), EPROTO);
	assert_int_equal(fetch_path("/big", false, NULL, 2000), EMSGSIZE);
	assert_int_equal(fetch_path("/slow", false, NULL, 200), ETIMEDOUT);
}


static void test_header(void **state)
{
	(void)state;
	assert_int_equal(fetch_path("/ok", false, "X-Api-Key: s3cret",
				    2000), 0);
	assert_non_null(strstr(srv.last_req, "\r\nX-Api-Key: s3cret\r\n"));
	/* a header line cannot carry another one */
	assert_int_equal(fetch_path("/ok", false, "X-A: 1\r\nHost: evil",
				    2000), -EINVAL);
	assert_int_equal(fetch_path("/ok", false, "X-A: 1\nB: 2", 2000),
			 -EINVAL);
}


/* Loopback is refused before anything is sent, until the operator's
 * egress_allow names it. */
static void test_egress(void **state)
{
	unsigned conns;

	(void)state;
	assert_int_equal(egress_init("", true), 0);
	conns = srv.conns;
	assert_int_equal(fetch_path("/ok", true, NULL, 2000), EACCES);
	assert_int_equal(res.scode, 0);
	assert_int_equal(srv.conns, conns);

	assert_int_equal(egress_init("127.0.0.1/32", true), 0);
	assert_int_equal(fetch_path("/ok", true, NULL, 2000), 0);
	assert_string_equal(res.name, "ok");
	assert_int_equal(egress_init("", true), 0);
}


static void test_bad_args(void **state)
{
	struct fetch_req r = {NULL, "ftp://127.0.0.1/", NULL, NULL, 100,
			      false};
	struct fetch *f = NULL;

	(void)state;
	assert_int_equal(fetch_start(&f, &r, done_h, NULL), EINVAL);
	r.url = NULL;
	assert_int_equal(fetch_start(&f, &r, done_h, NULL), EINVAL);
	r.url = "http://127.0.0.1/";
	assert_int_equal(fetch_start(&f, &r, NULL, NULL), EINVAL);
	assert_int_equal(fetch_start(NULL, &r, done_h, NULL), EINVAL);
	assert_int_equal(fetch_start(&f, NULL, done_h, NULL), EINVAL);
	assert_null(f);
}


/* Freed before it answers: nothing is reported. */
static void test_cancel(void **state)
{
	struct fetch_req r = {NULL, NULL, NULL, NULL, 300, false};
	struct fetch *f = NULL;
	char url[128];

	(void)state;
	memset(&res, 0, sizeof(res));
	(void)re_snprintf(url, sizeof(url), "http://127.0.0.1:%u/slow",
			  srv.port);
	r.url = url;
	assert_int_equal(fetch_start(&f, &r, done_h, NULL), 0);
	(void)loop_run(50);
	mem_deref(f);
	(void)loop_run(500);
	assert_false(res.done);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_egress),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
