/*
 * The registrar (media/registrar.c, registrar_binding.c) against a phone
 * on a second libre stack (regphone.c): digest, refresh, unregister,
 * refusals, expiry, NAT, TCP, restore. Its OPTIONS qualify:
 * test_registrar_qualify.c; its reading of REGISTER:
 * test_registrar_parse.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/sipedge.h"
#include "media/sipedge_int.h"
#include "media/registrar.h"
#include "media/registrar_int.h"
#include "loop.h"
#include "regphone.h"


static void test_register_cycle(void **state)
{
	struct registrar_info info;
	unsigned reachable = 9;
	char contact[64];
	(void)state;

	reg_start(60, 0, 0);
	(void)re_snprintf(contact, sizeof(contact), "sip:1001@%J",
			  &t.laddr);

	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n"
				    "Expires: 120\r\n", contact), 200);
	assert_int_equal(t.seen[REGISTRAR_REGISTERED], 1);
	assert_string_equal(t.why, "registered");
	assert_non_null(strstr(t.resp_hdrs, contact));
	assert_non_null(strstr(t.resp_hdrs, "expires=120"));

	assert_int_equal(registrar_find(t.reg, "1001", &info), 0);
	assert_string_equal(info.contact, contact);
	assert_false(info.nat);
	assert_true(info.reachable);
	assert_string_equal(info.user_agent, "Phone  1.0 ???");
	assert_true(info.expires >= (uint64_t)time(NULL) + 119);
	assert_int_equal(registrar_count(t.reg, &reachable), 1);
	assert_int_equal(reachable, 1);

	/* the same again: a refresh, still one binding */
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>"
				    ";expires=600\r\n", contact), 200);
	assert_int_equal(t.seen[REGISTRAR_REFRESHED], 1);
	assert_int_equal(registrar_count(t.reg, NULL), 1);

	/* a query lists it and changes nothing */
	assert_int_equal(p_register("1001", SECRET, ""), 200);
	assert_non_null(strstr(t.resp_hdrs, contact));
	assert_string_equal(t.why, "query");

	/* another contact's Expires: 0 does not remove ours */
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.9>\r\n"
				    "Expires: 0\r\n"), 200);
	assert_int_equal(registrar_count(t.reg, NULL), 1);

	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n"
				    "Expires: 0\r\n", contact), 200);
	assert_int_equal(t.seen[REGISTRAR_UNREGISTERED], 1);
	assert_int_equal(registrar_count(t.reg, &reachable), 0);
	assert_int_equal(reachable, 0);
	assert_int_equal(registrar_find(t.reg, "1001", &info), ENOENT);
	assert_null(strstr(t.resp_hdrs, "Contact"));

	/* Contact: * removes whatever there is */
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n",
				    contact), 200);
	assert_int_equal(p_register("1001", SECRET, "Contact: *\r\n"
				    "Expires: 0\r\n"), 200);
	assert_int_equal(t.seen[REGISTRAR_UNREGISTERED], 2);
	assert_int_equal(registrar_count(t.reg, NULL), 0);
}


static void test_register_refused(void **state)
{
	struct registrar_info info;
	(void)state;

	reg_start(60, 0, 0);

	assert_int_equal(p_register("1001", "wrong", "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"), 403);
	assert_string_equal(t.why, "bad_credentials");
	assert_int_equal(p_register("1999", SECRET, "Contact: "
				    "<sip:1999@127.0.0.1:5999>\r\n"), 403);
	assert_string_equal(t.why, "unknown_user");

	/* a banned source is refused before any challenge */
	t.banned = true;
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"), 403);
	assert_string_equal(t.why, "banned");
	assert_int_equal(t.tries, 0);
	t.banned = false;

	/* before the owner knows its users: come back later */
	t.not_ready = true;
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"), 503);
	assert_non_null(strstr(t.resp_hdrs, "Retry-After: 5"));
	assert_string_equal(t.why, "not_ready");
	t.not_ready = false;

	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"
				    "Expires: 30\r\n"), 423);
	assert_non_null(strstr(t.resp_hdrs, "Min-Expires: 60"));

	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"
				    "Expires: never\r\n"), 400);
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<ftp://x>\r\n"), 400);
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>;expires=x\r\n"),
			 400);
	assert_string_equal(t.why, "bad_request");

	/* a huge expiry is cut to the maximum */
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"
				    "Expires: 4294967296000\r\n"), 200);
	assert_non_null(strstr(t.resp_hdrs, "expires=3600"));
	assert_int_equal(registrar_find(t.reg, "1001", &info), 0);
	assert_int_equal(t.seen[REGISTRAR_REGISTERED], 1);
}


static void test_expiry(void **state)
{
	(void)state;

	reg_start(1, 0, 0);
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@127.0.0.1:5999>\r\n"
				    "Expires: 1\r\n"), 200);
	assert_int_equal(registrar_count(t.reg, NULL), 1);
	assert_true(wait_ev(REGISTRAR_EXPIRED, 3000));
	assert_int_equal(registrar_count(t.reg, NULL), 0);
}


static void test_nat(void **state)
{
	struct registrar_info info;
	char source[64];
	unsigned before;
	(void)state;

	reg_start(60, 200, 2000);
	t.answer_options = true;

	/* the Contact names a private address the packet did not come
	   from: OPTIONS go to where the REGISTER came from */
	assert_int_equal(p_register("1001", SECRET, "Contact: "
				    "<sip:1001@10.0.0.5:5062>\r\n"), 200);
	assert_int_equal(registrar_find(t.reg, "1001", &info), 0);
	assert_true(info.nat);
	(void)re_snprintf(source, sizeof(source),
			  "sip:%J;transport=udp", &t.laddr);
	assert_string_equal(info.source, source);

	before = t.options;
	(void)loop_run(1500);
	assert_true(t.options >= before + 2);
	assert_int_equal(t.seen[REGISTRAR_UNREACHABLE], 0);
}


static void test_tcp(void **state)
{
	struct registrar_info info;
	unsigned before;
	char contact[80];
	(void)state;

	reg_start(60, 200, 2000);
	t.answer_options = true;
	t.tcp = true;
	(void)re_snprintf(contact, sizeof(contact),
			  "sip:1001@%J;transport=tcp", &t.laddr);

	/* over TCP the phone is reached on its own connection, whatever
	   port its Contact names */
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n",
				    contact), 200);
	assert_int_equal(registrar_find(t.reg, "1001", &info), 0);
	assert_true(info.nat);
	assert_non_null(strstr(info.source, ";transport=tcp"));
	assert_string_equal(info.contact, contact);

	before = t.options;
	(void)loop_run(1500);
	assert_true(t.options >= before + 2);
	assert_int_equal(t.seen[REGISTRAR_UNREACHABLE], 0);
}


static void test_restore(void **state)
{
	char contact[64], source[64];
	uint64_t now = (uint64_t)time(NULL);
	(void)state;

	reg_start(60, 60000, 2000);
	t.answer_options = true;
	(void)re_snprintf(contact, sizeof(contact), "sip:1001@%J",
			  &t.laddr);
	(void)re_snprintf(source, sizeof(source), "sip:%J;transport=udp",
			  &t.laddr);

	assert_int_equal(registrar_restore(t.reg, "1001", contact, source,
					   "Phone", now - 1), ETIMEDOUT);
	assert_int_equal(registrar_restore(t.reg, "1001", contact, "junk",
					   "Phone", now + 60), EINVAL);
	assert_int_equal(registrar_restore(t.reg, "1001", contact, source,
					   "Phone", now + 60), 0);
	assert_int_equal(t.seen[REGISTRAR_RESTORED], 1);
	assert_int_equal(registrar_restore(t.reg, "1001", contact, source,
					   "Phone", now + 60), EEXIST);

	/* the first OPTIONS goes out soon after a restart, not after the
	   whole interval */
	(void)loop_run(2500);
	assert_int_equal(t.options, 1);
	assert_int_equal(t.seen[REGISTRAR_UNREACHABLE], 0);

	assert_int_equal(registrar_remove(t.reg, "1001"), 0);
	assert_int_equal(registrar_remove(t.reg, "1001"), ENOENT);
	assert_int_equal(registrar_count(t.reg, NULL), 0);

	/* a source saved as IPv6 reads back */
	assert_int_equal(registrar_restore(t.reg, "1001",
					   "sip:1001@[2001:db8::5]:5062",
					   "sip:[2001:db8::7]:5070;"
					   "transport=tcp", "", now + 60), 0);
	assert_int_equal(registrar_remove(t.reg, "1001"), 0);
}


static void test_remove_in_report(void **state)
{
	uint64_t now = (uint64_t)time(NULL);
	unsigned i;
	(void)state;

	/* eight bindings expiring in the same sweep; the first report
	   removes them all: the sweep must not touch a freed one */
	reg_start(1, 0, 0);
	t.remove_on_expiry = true;
	for (i = 0; i < 8; i++) {
		char u[16];

		(void)re_snprintf(u, sizeof(u), "u%u", i);
		assert_int_equal(registrar_restore(t.reg, u,
						   "sip:u@127.0.0.1:9",
						   "sip:127.0.0.1:9;"
						   "transport=udp", "",
						   now + 1), 0);
	}
	assert_int_equal(registrar_count(t.reg, NULL), 8);

	(void)loop_run(2500);
	assert_int_equal(registrar_count(t.reg, NULL), 0);
	assert_int_equal(t.seen[REGISTRAR_EXPIRED], 1);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_cycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expiry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_in_report, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restore, setup,
						teardown),
	};
	int err;

	err = libre_init();
	if (err)
		return err;

	err = cmocka_run_group_tests(tests, NULL, NULL);

	libre_close();
	tmr_debug();
	mem_debug();

	return err;
}
