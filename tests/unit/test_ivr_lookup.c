/* Unit tests for the lookup node against a real HTTP server in-process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "http/egress.h"
#include "http/fetch.h"
#include "ivr/ivr.h"
#include "ivr_fake.h"
#include "loop.h"

/*
 * A small HTTP/1.1 server on libre's TCP: the request path chooses the
 * answer. /slow never answers (the lookup's deadline must), /close hangs
 * up, /junk is not JSON, /array is JSON but not an object, /500 fails.
 */

struct conn {
	struct le le;
	struct tls_conn *sc;
	struct tcp_conn *tc;
	struct mbuf *mb;
};

static struct {
	struct tcp_sock *ts;
	struct tcp_sock *tls_ts;     /* the same answers over TLS */
	struct tls *tls;
	char dir[64];
	char ca[128];
	uint16_t tls_port;
	struct list connl;
	uint16_t port;
	char last_req[2048];
	unsigned reqs;
} srv;

static struct fake f;


static void conn_destructor(void *arg)
{
	struct conn *c = arg;

	list_unlink(&c->le);
	mem_deref(c->sc);
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


static void recv_h(struct mbuf *mb, void *arg)
{
	struct conn *c = arg;
	const char *req;
	char *end;

	(void)mbuf_write_mem(c->mb, mbuf_buf(mb), mbuf_get_left(mb));
	(void)mbuf_write_u8(c->mb, 0);
	c->mb->end--;
	req = (const char *)c->mb->buf;
	end = strstr(req, "\r\n\r\n");
	if (!end)
		return;
	/* a POST body follows the head */
	if (!strncmp(req, "POST", 4) && !strchr(end, '}'))
		return;

	str_ncpy(srv.last_req, req, sizeof(srv.last_req));
	srv.reqs++;
	c->mb->pos = c->mb->end = 0;

	if (strstr(req, " /ok"))
		reply(c, 200, "{\"name\": \"\\u5f20\\u4e09\", \"level\": 3,"
		      " \"vip\": true, \"nested\": {\"a\": 1}}");
	else if (strstr(req, " /junk"))
		reply(c, 200, "<html>not json</html>");
	else if (strstr(req, " /array"))
		reply(c, 200, "[1, 2, 3]");
	else if (strstr(req, " /500"))
		reply(c, 500, "{\"name\": \"x\"}");
	else if (strstr(req, " /close"))
		mem_deref(c);
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
	bool secure = arg != NULL;

	(void)peer;
	c->mb = mbuf_alloc(1024);
	if (tcp_accept(&c->tc, secure ? srv.tls_ts : srv.ts, NULL, recv_h,
		       close_h, c) ||
	    (secure && tls_start_tcp(&c->sc, srv.tls, c->tc, 0))) {
		mem_deref(c);
		return;
	}
	list_append(&srv.connl, &c->le, c);
}


/* A self-signed certificate for 127.0.0.1 (tools/gen-cert), cert and key
 * in one file as libre's TLS wants it. */
static int tls_setup(void)
{
	static const char *const tools[] = {"tools/gen-cert",
		"../tools/gen-cert", "../../tools/gen-cert",
		"../../../tools/gen-cert"};
	char *dir = srv.dir, cmd[400], pem[128];
	struct sa laddr;
	int err = ENOENT;

	(void)re_snprintf(dir, sizeof(srv.dir), "/tmp/test_ivr_lookup.%u",
			  (unsigned)getpid());
	(void)re_snprintf(pem, sizeof(pem), "%s/both.pem", dir);
	(void)re_snprintf(srv.ca, sizeof(srv.ca), "%s/cert.pem", dir);
	for (size_t i = 0; i < ARRAY_SIZE(tools) && err; i++) {
		if (access(tools[i], X_OK))
			continue;
		(void)re_snprintf(cmd, sizeof(cmd), "%s %s && cat %s/cert.pem"
				  " %s/key.pem > %s", tools[i], dir, dir, dir,
				  pem);
		err = system(cmd) ? EIO : 0;
	}

	err = err ? err : tls_alloc(&srv.tls, TLS_METHOD_SSLV23, pem, NULL);
	(void)sa_set_str(&laddr, "127.0.0.1", 0);
	err = err ? err : tcp_listen(&srv.tls_ts, &laddr, conn_h, &srv);
	err = err ? err : tcp_sock_local_get(srv.tls_ts, &laddr);
	srv.tls_port = sa_port(&laddr);

	return err;
}


static int group_setup(void **state)
{
	struct sa laddr;

	(void)state;
	(void)libre_init();
	/* the node reaches only what egress allows: this CRM is local */
	if (egress_init("127.0.0.1/32", true))
		return -1;
	(void)sa_set_str(&laddr, "127.0.0.1", 0);
	if (tcp_listen(&srv.ts, &laddr, conn_h, NULL))
		return -1;
	(void)tcp_sock_local_get(srv.ts, &laddr);
	srv.port = sa_port(&laddr);

	return tls_setup() ? -1 : 0;
}


static int group_teardown(void **state)
{
	(void)state;
	list_flush(&srv.connl);
	srv.ts = mem_deref(srv.ts);
	srv.tls_ts = mem_deref(srv.tls_ts);
	srv.tls = mem_deref(srv.tls);
	if (srv.dir[0]) {
		char cmd[128];

		(void)re_snprintf(cmd, sizeof(cmd), "rm -rf %s", srv.dir);
		(void)system(cmd);
	}
	ivr_close();
	libre_close();

	return 0;
}


static int setup(void **state)
{
	(void)state;
	fake_init(&f);
	return 0;
}


static int teardown(void **state)
{
	(void)state;
	assert_int_equal(f.ops_after_free, 0);
	fake_close(&f);
	return 0;
}


/* lookup -> ok: set r=ok / fail: set r=fail; then hang up */
static struct ivr_flow *lookup_flow(const char *path, const char *method)
{
	char json[1200];
	bool secure = !strncmp(path, "s:", 2);

	(void)re_snprintf(json, sizeof(json),
		"{\"start\": \"crm\", \"nodes\": {"
		"\"crm\": {\"kind\": \"lookup\", \"method\": \"%s\","
		" \"url\": \"http%s://127.0.0.1:%u%s?caller=${caller}\","
		" \"fields\": {\"name\": \"name\", \"level\": \"level\","
		" \"vip\": \"vip\", \"nested\": \"nested\","
		" \"gone\": \"gone\"},"
		" \"timeout_ms\": 300, \"next\": \"ok\", \"fail\": \"bad\"},"
		"\"ok\": {\"kind\": \"set\", \"vars\": {\"r\": \"ok\"},"
		" \"next\": \"end\"},"
		"\"bad\": {\"kind\": \"set\", \"vars\": {\"r\": \"fail\"},"
		" \"next\": \"end\"},"
		"\"end\": {\"kind\": \"hangup\"}}}", method, secure ? "s" : "",
		secure ? srv.tls_port : srv.port, secure ? path + 2 : path);

	return fake_flow(json);
}


static const char *run_lookup(const char *path, const char *method)
{
	struct ivr_flow *flow = lookup_flow(path, method);

	assert_non_null(flow);
	assert_int_equal(fake_run(&f, flow, "+86 138&x"), 0);
	mem_deref(flow);
	assert_int_equal(fake_until_end(&f, 3000), 0);
	assert_string_equal(f.ended, "hangup");

	return ivr_run_var(f.run, "r");
}


static void test_lookup_ok(void **state)
{
	(void)state;
	assert_string_equal(run_lookup("/ok", "GET"), "ok");
	assert_string_equal(ivr_run_var(f.run, "name"), "张三");
	assert_string_equal(ivr_run_var(f.run, "level"), "3");
	assert_string_equal(ivr_run_var(f.run, "vip"), "true");
	assert_string_equal(ivr_run_var(f.run, "nested"), "");
	assert_string_equal(ivr_run_var(f.run, "gone"), "");
	/* ${caller} went into the URL encoded */
	assert_non_null(strstr(srv.last_req,
			       "GET /ok?caller=%2B86%20138%26x "));
	assert_non_null(strstr(f.events, "ivr.lookup:crm;"));
}


static void test_lookup_post(void **state)
{
	(void)state;
	assert_string_equal(run_lookup("/ok", "POST"), "ok");
	assert_non_null(strstr(srv.last_req, "POST /ok"));
	assert_non_null(strstr(srv.last_req, "{\"caller\":\"+86 138&x\"}"));
}


static void test_lookup_failures(void **state)
{
	static const char *const paths[] = {
		"/slow", "/junk", "/array", "/500", "/close"
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		uint64_t t0 = tmr_jiffies();

		fake_close(&f);
		fake_init(&f);
		if (strcmp(run_lookup(paths[i], "GET"), "fail"))
			fail_msg("%s did not fail", paths[i]);
		/* nothing waits past the deadline (300 ms) */
		assert_true(tmr_jiffies() - t0 < 1500);
		assert_null(ivr_run_var(f.run, "name"));
	}
}


/* https: refused while the server's certificate is not trusted, then
 * answered once its CA is. */
static void test_lookup_https(void **state)
{
	(void)state;
	assert_string_equal(run_lookup("s:/ok", "GET"), "fail");
	assert_null(ivr_run_var(f.run, "name"));

	assert_int_equal(fetch_add_ca(srv.ca), 0);
	fake_close(&f);
	fake_init(&f);
	assert_string_equal(run_lookup("s:/ok", "GET"), "ok");
	assert_string_equal(ivr_run_var(f.run, "name"), "张三");
	assert_non_null(strstr(srv.last_req, "GET /ok?caller="));
}


/* Nobody listens there: the connection is refused. */
static void test_lookup_unreachable(void **state)
{
	struct ivr_flow *flow;
	char json[600];

	(void)state;
	(void)re_snprintf(json, sizeof(json),
		"{\"start\": \"crm\", \"nodes\": {"
		"\"crm\": {\"kind\": \"lookup\","
		" \"url\": \"http://127.0.0.1:1/\","
		" \"next\": \"end\", \"fail\": \"bad\"},"
		"\"bad\": {\"kind\": \"set\", \"vars\": {\"r\": \"fail\"},"
		" \"next\": \"end\"},"
		"\"end\": {\"kind\": \"hangup\"}}}");
	flow = fake_flow(json);
	assert_int_equal(fake_run(&f, flow, ""), 0);
	mem_deref(flow);
	assert_int_equal(fake_until_end(&f, 3000), 0);
	assert_string_equal(ivr_run_var(f.run, "r"), "fail");
}


/* The caller hangs up while the CRM is still thinking. */
static void test_hangup_during_lookup(void **state)
{
	struct ivr_flow *flow = lookup_flow("/slow", "GET");
	unsigned reqs = srv.reqs;

	(void)state;
	assert_int_equal(fake_run(&f, flow, ""), 0);
	mem_deref(flow);
	for (unsigned ms = 0; srv.reqs == reqs; ms += 5) {
		assert_true(ms < 5000);         /* the request never came */
		assert_int_equal(loop_run(5), ETIMEDOUT);
	}
	fake_free(&f);
	(void)loop_run(500);
	assert_string_equal(f.ended, "");
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookup_ok, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookup_post, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookup_failures, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookup_https, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lookup_unreachable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hangup_during_lookup,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
