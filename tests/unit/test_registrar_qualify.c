/*
 * The registrar's OPTIONS qualify (media/registrar_qualify.c) against a
 * phone on a second libre stack (regphone.c): a silent phone is
 * unreachable and back when it answers; a late loop counts no miss and a
 * late answer counts; the media tick's gaps are lateness.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <re.h>
#include "media/sipedge.h"
#include "media/sipedge_int.h"
#include "media/registrar.h"
#include "media/registrar_int.h"
#include "media/mtick.h"
#include "media/mtick_int.h"
#include "loop.h"
#include "regphone.h"


/* Qualify every 200 ms, 400 ms to answer; 1001 registered at contact. */
static void phone_up(char *contact, size_t sz)
{
	reg_start(60, 200, 400);
	(void)re_snprintf(contact, sz, "sip:1001@%J", &t.laddr);
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n",
				    contact), 200);
}


static void test_qualify(void **state)
{
	struct registrar_info info;
	unsigned reachable = 9;
	char contact[64];
	(void)state;

	phone_up(contact, sizeof(contact));

	/* a silent phone becomes unreachable, and back when it answers */
	assert_true(wait_ev(REGISTRAR_UNREACHABLE, 2000));
	assert_true(t.options > 0);
	assert_int_equal(registrar_find(t.reg, "1001", &info), 0);
	assert_false(info.reachable);
	assert_int_equal(registrar_count(t.reg, &reachable), 1);
	assert_int_equal(reachable, 0);

	t.answer_options = true;
	assert_true(wait_ev(REGISTRAR_REACHABLE, 2000));
	assert_int_equal(registrar_count(t.reg, &reachable), 1);
	assert_int_equal(reachable, 1);

	/* silent again: a refresh proves only that the phone's packets
	   get out; it stays unreachable until it answers OPTIONS */
	t.answer_options = false;
	assert_true(wait_ev(REGISTRAR_UNREACHABLE, 2000));
	assert_int_equal(p_register("1001", SECRET, "Contact: <%s>\r\n",
				    contact), 200);
	assert_int_equal(t.seen[REGISTRAR_REFRESHED], 1);
	assert_int_equal(t.seen[REGISTRAR_REACHABLE], 1);
	assert_int_equal(registrar_count(t.reg, &reachable), 1);
	assert_int_equal(reachable, 0);

	t.answer_options = true;
	assert_true(wait_ev(REGISTRAR_REACHABLE, 2000));
	assert_int_equal(registrar_count(t.reg, &reachable), 1);
	assert_int_equal(reachable, 1);
}


/*
 * The loop is behind (busy 120 ms in every 150) and the phone's answers
 * come only after a second (as if waiting in the socket), past two
 * windows of 400 ms: no miss is counted, every late 200 counts, and the
 * spell is reported once. Then the phone falls silent on a loop that
 * keeps time: that is still found out.
 */
static void test_qualify_late_loop(void **state)
{
	char contact[64];
	(void)state;

	phone_up(contact, sizeof(contact));

	t.delay_ms = 1000;
	t.answered_want = 3;
	tmr_start(&t.busy_tmr, 30, busy, NULL);
	assert_int_equal(loop_run(15000), 0);
	tmr_cancel(&t.busy_tmr);
	t.delay_ms = 0;
	(void)loop_run(50);     /* the last answer is read */

	assert_int_equal(t.seen[REGISTRAR_UNREACHABLE], 0);
	assert_int_equal(t.late_begun, 1);
	assert_int_equal(t.late_over, 0);
	assert_true(t.late_ms >= 50);
	assert_int_equal(t.reg->nreachable, 1);

	/* silent now, the loop on time: unreachable as before, and the
	   spell of lateness is over with what it skipped */
	assert_true(wait_ev(REGISTRAR_UNREACHABLE, 3000));
	assert_true(t.late_over >= 1);
	assert_true(t.late_skipped >= 3);
	assert_int_equal(t.reg->nreachable, 0);
}


/* One stall inside the window of a silent phone only delays the verdict. */
static void test_qualify_late_silent(void **state)
{
	struct binding *b;
	char contact[64];
	(void)state;

	phone_up(contact, sizeof(contact));
	b = registrar_binding_find(t.reg, "1001");
	assert_non_null(b);

	/* the first OPTIONS reaches the silent phone, which stalls the
	   loop once: its window is not counted */
	t.stall_ms = 600;
	t.options_want = 1;
	assert_int_equal(loop_run(3000), 0);
	t.stall_ms = 0;
	t.options_want = 0;
	assert_true(wait_ev(REGISTRAR_UNREACHABLE, 3000));
	assert_true(t.late_begun >= 1);
	assert_true(b->misses >= 2);
}


/* A gap between two media ticks is the loop running late. */
static void test_qualify_tick_gap(void **state)
{
	(void)state;

	reg_start(60, 200, 400);
	assert_int_equal(t.reg->late_at, 0);

	mtick_run(0);
	stall(10);
	mtick_run(1);
	assert_int_equal(t.reg->late_at, 0);

	stall(150);
	mtick_run(2);
	assert_true(t.reg->late_at > 0);
	assert_true(t.reg->late_ms >= 100);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_qualify, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_qualify_late_loop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_qualify_late_silent,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_qualify_tick_gap, setup,
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
