/*
 * The registrar's reading of REGISTER (media/registrar_parse.c): the
 * AOR, Contact or "*", Expires in header and parameter, bounds, bad
 * input, and where a phone is (NAT, TCP).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <re.h>
#include "media/registrar.h"
#include "media/registrar_int.h"


static struct sip_msg *decode(const char *hdrs)
{
	struct sip_msg *msg = NULL;
	struct mbuf *mb = mbuf_alloc(1024);

	assert_non_null(mb);
	assert_int_equal(mbuf_printf(mb,
		"REGISTER sip:127.0.0.1 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
		"Call-ID: c1@test\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Max-Forwards: 70\r\n"
		"%s"
		"Content-Length: 0\r\n\r\n", hdrs), 0);
	mb->pos = 0;
	assert_int_equal(sip_msg_decode(&msg, mb), 0);
	mem_deref(mb);

	return msg;
}

#define AOR "To: <sip:1001@openseat>\r\nFrom: <sip:1001@openseat>;tag=1\r\n"

static int parse(const char *hdrs, struct registrar_req *req)
{
	struct sip_msg *msg = decode(hdrs);
	const char *why = NULL;
	int err;

	err = registrar_parse(msg, req, &why);
	if (err)
		assert_non_null(why);

	/* req points into msg: keep what the tests read */
	mem_deref(msg);

	return err;
}


static void test_parse_good(void **state)
{
	struct registrar_req req;
	struct sip_msg *msg;
	const char *why;
	(void)state;

	msg = decode(AOR "Contact: <sip:1001@10.0.0.5:5062;transport=udp>"
		     ";expires=120\r\nExpires: 600\r\n");
	assert_int_equal(registrar_parse(msg, &req, &why), 0);
	assert_int_equal(pl_strcmp(&req.user, "1001"), 0);
	assert_int_equal(pl_strcmp(&req.contact,
				   "sip:1001@10.0.0.5:5062;transport=udp"), 0);
	assert_true(req.expires_set);
	assert_int_equal(req.expires, 120);     /* the param wins */
	assert_false(req.star);
	mem_deref(msg);

	assert_int_equal(parse(AOR "Contact: sip:1001@1.2.3.4\r\n"
			       "Expires: 300\r\n", &req), 0);
	assert_int_equal(req.expires, 300);

	/* no Contact: a query, changes nothing */
	assert_int_equal(parse(AOR, &req), 0);
	assert_false(pl_isset(&req.contact));
	assert_false(req.star);

	assert_int_equal(parse(AOR "Contact: *\r\nExpires: 0\r\n", &req), 0);
	assert_true(req.star);
	assert_int_equal(req.expires, 0);

	/* a second contact is ignored: one binding per user */
	assert_int_equal(parse(AOR "Contact: <sip:a@1.2.3.4>, "
			       "<sip:b@1.2.3.5>\r\n", &req), 0);
	assert_false(req.expires_set);
}


static void test_parse_bad(void **state)
{
	static const char *bad[] = {
		AOR "Contact: <sip:1001@1.2.3.4>\r\nExpires: soon\r\n",
		AOR "Contact: <sip:1001@1.2.3.4>\r\nExpires: -1\r\n",
		AOR "Contact: <sip:1001@1.2.3.4>;expires=1e3\r\n",
		AOR "Contact: <mailto:1001@example.com>\r\n",
		AOR "Contact: <sip:1001@1.2.3.4\r\n",
		AOR "Contact: <sip:>\r\n",
		AOR "Contact: \"x\" <sip:1001@1.2.3.4\x01>\r\n",
		AOR "Contact: *\r\n",
		AOR "Contact: *\r\nExpires: 60\r\n",
		AOR "Contact: *, <sip:1001@1.2.3.4>\r\nExpires: 0\r\n",
		"To: <sip:openseat>\r\nFrom: <sip:openseat>;tag=1\r\n"
		"Contact: <sip:1001@1.2.3.4>\r\n",
	};
	struct registrar_req req;
	size_t i;
	(void)state;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("bad %zu\n", i);
		assert_int_equal(parse(bad[i], &req), EBADMSG);
	}

	/* third-party registration: refused, not malformed */
	assert_int_equal(parse("To: <sip:1001@openseat>\r\n"
			       "From: <sip:1002@openseat>;tag=1\r\n"
			       "Contact: <sip:1001@1.2.3.4>\r\n", &req),
			 EPERM);
	assert_int_equal(registrar_parse(NULL, &req, NULL), EINVAL);
}


static void test_expires(void **state)
{
	struct registrar_cfg cfg = {"openseat", 60, 3600, 0, 0};
	struct registrar_req req;
	uint32_t e = 1;
	(void)state;

	assert_int_equal(parse(AOR "Contact: <sip:a@1.2.3.4>\r\n", &req), 0);
	assert_int_equal(registrar_expires(&req, &cfg, &e), 0);
	assert_int_equal(e, 3600);

	assert_int_equal(parse(AOR "Contact: <sip:a@1.2.3.4>\r\n"
			       "Expires: 99999999999999999999\r\n", &req), 0);
	assert_int_equal(req.expires, UINT32_MAX);
	assert_int_equal(registrar_expires(&req, &cfg, &e), 0);
	assert_int_equal(e, 3600);

	assert_int_equal(parse(AOR "Contact: <sip:a@1.2.3.4>;expires=59\r\n",
			       &req), 0);
	assert_int_equal(registrar_expires(&req, &cfg, &e), ERANGE);

	assert_int_equal(parse(AOR "Contact: <sip:a@1.2.3.4>;expires=60\r\n",
			       &req), 0);
	assert_int_equal(registrar_expires(&req, &cfg, &e), 0);
	assert_int_equal(e, 60);

	assert_int_equal(parse(AOR "Contact: <sip:a@1.2.3.4>;expires=0\r\n",
			       &req), 0);
	assert_int_equal(registrar_expires(&req, &cfg, &e), 0);
	assert_int_equal(e, 0);
}


static void test_nat_source(void **state)
{
	struct sa src;
	struct pl c;
	char buf[REGISTRAR_SOURCE_MAX + 1];
	(void)state;

	assert_int_equal(sa_set_str(&src, "127.0.0.1", 5070), 0);
	pl_set_str(&c, "sip:1001@127.0.0.1:5062");
	assert_false(registrar_behind_nat(&c, &src, SIP_TRANSP_UDP));
	pl_set_str(&c, "sip:1001@10.0.0.5:5062;transport=udp");
	assert_true(registrar_behind_nat(&c, &src, SIP_TRANSP_UDP));
	pl_set_str(&c, "sip:1001@phone.example.com");
	assert_true(registrar_behind_nat(&c, &src, SIP_TRANSP_UDP));
	pl_set_str(&c, "garbage");
	assert_true(registrar_behind_nat(&c, &src, SIP_TRANSP_UDP));
	/* over TCP only the phone's own connection reaches it */
	pl_set_str(&c, "sip:1001@127.0.0.1:5062;transport=tcp");
	assert_true(registrar_behind_nat(&c, &src, SIP_TRANSP_TCP));

	assert_int_equal(registrar_source(buf, sizeof(buf), &src,
					  SIP_TRANSP_UDP), 0);
	assert_string_equal(buf, "sip:127.0.0.1:5070;transport=udp");
	assert_int_equal(sa_set_str(&src, "::1", 5061), 0);
	assert_int_equal(registrar_source(buf, sizeof(buf), &src,
					  SIP_TRANSP_TCP), 0);
	assert_string_equal(buf, "sip:[::1]:5061;transport=tcp");
	assert_int_equal(registrar_source(buf, 8, &src, SIP_TRANSP_TCP),
			 EOVERFLOW);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_expires),
		cmocka_unit_test(test_nat_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
