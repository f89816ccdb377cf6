/* Unit tests for webhook URLs, response parsing, signing and retries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <re_types.h>
#include <re_list.h>
#include "http/outreq_int.h"
#include "webhook/wh_int.h"


static void test_url_good(void **state)
{
	struct outreq_url u;

	(void)state;
	assert_int_equal(outreq_url_parse(&u, "https://crm.example.com/hook",
				      NULL), 0);
	assert_true(u.tls);
	assert_string_equal(u.host, "crm.example.com");
	assert_int_equal(u.port, 443);
	assert_string_equal(u.path, "/hook");

	assert_int_equal(outreq_url_parse(&u, "http://10.0.0.5:8080?a=1&b=2",
				      NULL), 0);
	assert_false(u.tls);
	assert_int_equal(u.port, 8080);
	assert_string_equal(u.path, "/?a=1&b=2");

	assert_int_equal(outreq_url_parse(&u, "http://[2001:db8::1]:81/x/y",
				      NULL), 0);
	assert_string_equal(u.host, "2001:db8::1");
	assert_int_equal(u.port, 81);

	assert_int_equal(outreq_url_parse(&u, "https://a-b.c0/", NULL), 0);
	assert_string_equal(u.path, "/");
}


static void test_url_bad(void **state)
{
	static const struct {
		const char *url, *why;
	} bad[] = {
		{"ftp://example.com/x", "scheme"},
		{"HTTPS://example.com/x", "scheme"},
		{"https://user:pw@example.com/", "userinfo"},
		{"https://example.com@evil.com/", "userinfo"},
		{"https://example.com/#frag", "fragment"},
		{"https://example.com:0/", "port"},
		{"https://example.com:65536/", "port"},
		{"https://example.com:8a/", "port"},
		{"https://example.com:/", "port"},
		{"https://exa mple.com/", "path"},
		{"https://example.com/\x01", "path"},
		{"https://-bad.com/xx", "host"},
		{"https://bad-.com/xx", "host"},
		{"https://a..b.com/x", "host"},
		{"https://.a.com/x", "host"},
		{"https://[::1/xxxx", "host"},
		{"https://[1.2.3.4]/x", "host"},
		{"https://[::1]x/xxx", "host"},
		{"https://ex_ample.com", "host"},
		{"http://x", "length"},
	};
	const char *why;
	struct outreq_url u;
	char longurl[2100];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("%s\n", bad[i].url);
		assert_int_equal(outreq_url_parse(&u, bad[i].url, &why),
				 EINVAL);
		assert_string_equal(why, bad[i].why);
	}

	memset(longurl, 'a', sizeof(longurl));
	memcpy(longurl, "https://a.com/", 14);
	longurl[sizeof(longurl) - 1] = '\0';
	assert_int_equal(outreq_url_parse(&u, longurl, &why), EINVAL);
	assert_int_equal(outreq_url_parse(&u, NULL, &why), EINVAL);
}


static int head(struct outreq_head *hd, const char *s)
{
	return outreq_head_parse(hd, s, strlen(s));
}


static void test_head(void **state)
{
	struct outreq_head hd;

	(void)state;
	assert_int_equal(head(&hd, "HTTP/1.1 200 OK\r\nContent-Length: 2"
			      "\r\n\r\nok"), 0);
	assert_int_equal(hd.status, 200);
	assert_int_equal(hd.clen, 2);
	assert_false(hd.close);
	assert_int_equal(hd.len, 38);

	assert_int_equal(head(&hd, "HTTP/1.1 204\r\nConnection: keep-alive,"
			      " Close\r\n\r\n"), 0);
	assert_int_equal(hd.status, 204);
	assert_true(hd.close);

	assert_int_equal(head(&hd, "HTTP/1.0 302 Found\r\nLocation: /x\r\n"
			      "Transfer-Encoding: gzip, chunked\r\n"
			      "Content-Length: 5\r\n\r\n"), 0);
	assert_true(hd.chunked);
	assert_int_equal(hd.clen, -1);
	assert_true(hd.close);

	assert_int_equal(head(&hd, "HTTP/1.1 200 OK\r\nContent-Le"), ENODATA);
	assert_int_equal(head(&hd, ""), ENODATA);
}


static void test_head_bad(void **state)
{
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 OK\r\n\r\n",
		"HTTP/1.1 abc\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: empty\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n"
		"\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n"
		"\r\n",
		"HTTP/1.1 200 OK\r\nX: a\nb\r\n\r\n",
	};
	struct outreq_head hd;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("%zu\n", i);
		assert_int_equal(head(&hd, bad[i]), EPROTO);
	}

	assert_int_equal(outreq_head_parse(&hd, "HTTP/1.1 200 OK\r\nX: \0"
					   "\r\n\r\n", 25), EPROTO);
}


static int scan(const char *s, char *out, size_t max, size_t *lenp,
		bool *done)
{
	return outreq_chunked_scan(s, strlen(s), out, max, lenp, done);
}


static void test_chunked(void **state)
{
	char out[16];
	size_t n;
	bool done;

	(void)state;
	assert_int_equal(scan("2\r\nok\r\n0\r\n\r\n", out, sizeof(out), &n,
			      &done), 0);
	assert_true(done);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "ok", 2);

	assert_int_equal(scan("3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\n"
			      "Trailer: 1\r\n\r\n", out, 8, &n, &done), 0);
	assert_true(done);
	assert_int_equal(n, 8);
	assert_memory_equal(out, "abc01234", 8);

	/* incomplete at every cut: never done, never an error */
	for (size_t cut = 0; cut < 12; cut++) {
		assert_int_equal(outreq_chunked_scan("2\r\nok\r\n0\r\n\r\n",
						     cut, out, sizeof(out),
						     &n, &done), 0);
		assert_false(done);
	}

	assert_int_equal(scan("x\r\n", out, sizeof(out), &n, &done), EPROTO);
	assert_int_equal(scan("2\r\nokX\r\n", out, sizeof(out), &n, &done),
			 EPROTO);
	assert_int_equal(scan("2 \r\nok\r\n", out, sizeof(out), &n, &done),
			 EPROTO);
	assert_int_equal(scan("fffffffffffffffff\r\n", out, sizeof(out), &n,
			      &done), EPROTO);
}


/* The example of the Standard Webhooks specification */
static void test_sign(void **state)
{
	static const char secret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	static const char body[] = "{\"test\": 2432232314}";
	char sig[WH_SIG_MAX], s2[WH_SECRET_MAX], s3[WH_SECRET_MAX];

	(void)state;
	assert_int_equal(wh_sign(sig, sizeof(sig), secret,
				 "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
				 body, strlen(body)), 0);
	assert_string_equal(sig,
			    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

	assert_int_equal(wh_secret_new(s2, sizeof(s2)), 0);
	assert_int_equal(wh_secret_new(s3, sizeof(s3)), 0);
	assert_int_equal(strlen(s2), 6 + 32);
	assert_string_not_equal(s2, s3);
	assert_true(wh_secret_valid(s2));

	assert_false(wh_secret_valid("whsec_"));
	assert_false(wh_secret_valid("sec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
	assert_false(wh_secret_valid("whsec_not base64!"));
	assert_int_equal(wh_sign(sig, sizeof(sig), "whsec_%%%%", "id", 1,
				 body, strlen(body)), EINVAL);
	assert_int_equal(wh_sign(sig, 10, secret, "id", 1, body,
				 strlen(body)), ENOSPC);
}


static void test_retry(void **state)
{
	struct outreq_result r;
	struct wh_outcome o;
	uint64_t total = 0;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.status = 204;
	wh_outcome_of(&o, &r, 1, 1);
	assert_string_equal(o.state, "delivered");

	r.status = 410;
	wh_outcome_of(&o, &r, 1, 1);
	assert_string_equal(o.state, "dead");
	assert_true(o.disable);
	assert_string_equal(o.disabled_reason, "gone");

	r.status = 301;
	wh_outcome_of(&o, &r, 1, 1);
	assert_string_equal(o.state, "failed");
	assert_int_equal(o.retry_in_s, 10);
	assert_in_range(o.retry_in_ms, 8000, 12000);

	r.status = 0;
	r.err = ETIMEDOUT;
	for (int a = 1; a <= 10; a++) {
		wh_outcome_of(&o, &r, a, 1000);
		assert_string_equal(o.state, "failed");
		assert_in_range(o.retry_in_ms, o.retry_in_s * 8 / 10,
				o.retry_in_s * 12 / 10 + 1);
		total += o.retry_in_s;
	}
	wh_outcome_of(&o, &r, 11, 1);
	assert_string_equal(o.state, "dead");
	assert_string_equal(o.disabled_reason, "failing");

	/* about three days in all */
	assert_in_range(total, 70 * 3600, 72 * 3600);
	assert_int_equal(wh_retry_nominal_s(0), 0);
	assert_int_equal(wh_retry_nominal_s(11), 0);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_good),
		cmocka_unit_test(test_url_bad),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_head_bad),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_retry),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
