/* Unit tests for the outgoing request address policy (http/egress.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_sa.h>
#include "http/egress.h"


static bool allowed(const char *addr)
{
	struct sa sa;

	assert_int_equal(sa_set_str(&sa, addr, 443), 0);
	return egress_allowed(&sa);
}


static void test_defaults(void **state)
{
	static const char *const refused[] = {
		"127.0.0.1", "127.1.2.3", "0.0.0.0", "169.254.169.254",
		"169.254.0.23", "100.100.100.200", "224.0.0.1",
		"255.255.255.255", "240.0.0.1", "::1", "::", "fe80::1",
		"ff02::1", "fd00:ec2::254", "::ffff:127.0.0.1",
		"::ffff:169.254.169.254", "::127.0.0.1", "64:ff9b::7f00:1",
		"2002:7f00:1::1", "2002:a9fe:a9fe::", "::ffff:0.0.0.0",
	};
	static const char *const ok[] = {
		"8.8.8.8", "1.1.1.1", "203.0.113.9", "2001:db8::1",
		"2400:3200::1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
		"100.64.0.1", "fd12:3456::1", "::ffff:8.8.8.8",
		"2002:808:808::1",
	};

	(void)state;
	assert_int_equal(egress_init("", true), 0);
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		print_message("refused %s\n", refused[i]);
		assert_false(allowed(refused[i]));
	}
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		print_message("allowed %s\n", ok[i]);
		assert_true(allowed(ok[i]));
	}
}


static void test_private_off(void **state)
{
	(void)state;
	assert_int_equal(egress_init(NULL, false), 0);
	assert_false(allowed("10.1.2.3"));
	assert_false(allowed("172.31.255.255"));
	assert_true(allowed("172.32.0.1"));
	assert_false(allowed("192.168.0.1"));
	assert_false(allowed("::ffff:192.168.0.1"));
	assert_false(allowed("fd12:3456::1"));
	assert_false(allowed("100.127.0.1"));
	assert_true(allowed("8.8.8.8"));
}


static void test_allow_list(void **state)
{
	(void)state;
	assert_int_equal(egress_init("127.0.0.1/32, 10.9.0.0/16 ::1",
				     false), 0);
	assert_true(allowed("127.0.0.1"));
	assert_true(allowed("::ffff:127.0.0.1"));
	assert_false(allowed("127.0.0.2"));
	assert_true(allowed("10.9.200.1"));
	assert_false(allowed("10.8.0.1"));
	assert_true(allowed("::1"));
	assert_false(allowed("169.254.169.254"));

	/* a bare address is a host; /0 allows everything */
	assert_int_equal(egress_init("169.254.169.254", true), 0);
	assert_true(allowed("169.254.169.254"));
	assert_false(allowed("169.254.169.253"));
	assert_int_equal(egress_init("0.0.0.0/0", true), 0);
	assert_true(allowed("127.0.0.1"));
	assert_false(allowed("::1"));
}


static void test_bad_lists(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1/33", "::1/129", "10.0.0.0/", "10.0.0.0/x",
		"10.0.0.0/1x", "localhost", "1.2.3", "10.0.0.0/-1",
		"10.0.0.0/0008", "1.2.3.4/8/8", "300.1.1.1",
	};
	char many[1024] = "";
	struct sa none;

	(void)state;
	assert_int_equal(egress_init("127.0.0.1/32", false), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("bad %s\n", bad[i]);
		assert_int_equal(egress_check_list(bad[i]), EINVAL);
		assert_int_equal(egress_init(bad[i], true), EINVAL);
	}
	/* a refused list leaves the policy as it was */
	assert_true(allowed("127.0.0.1"));
	assert_false(allowed("10.0.0.1"));

	for (int i = 0; i < 33; i++)
		re_snprintf(many + i * 9, 10, "10.0.0.%d ", i % 10);
	assert_int_equal(egress_check_list(many), E2BIG);
	assert_int_equal(egress_check_list(" , "), 0);

	sa_init(&none, AF_UNSPEC);
	assert_false(egress_allowed(&none));
	assert_false(egress_allowed(NULL));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_private_off),
		cmocka_unit_test(test_allow_list),
		cmocka_unit_test(test_bad_lists),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
