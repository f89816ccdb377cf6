/* Unit tests for the IVR interpreter against a fake call engine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <re.h>
#include "core/clock.h"
#include "schedule/schedule.h"
#include "schedule/tz.h"
#include "ivr/ivr.h"
#include "ivr_fake.h"
#include "loop.h"

#define TENANT "11111111-1111-4111-8111-111111111111"
#define SCHED  "33333333-3333-4333-8333-333333333333"

static struct fake f;

/* welcome -> menu: 1 sales (play, hangup), 2 voicemail, 0 menu again */
static const char demo[] =
	"{\"start\": \"welcome\", \"nodes\": {"
	"\"welcome\": {\"kind\": \"play\", \"prompts\": [\"builtin/welcome\"],"
	" \"next\": \"menu\"},"
	"\"menu\": {\"kind\": \"menu\", \"prompts\": [\"builtin/demo_menu\"],"
	" \"choices\": {\"1\": \"sales\", \"2\": \"vm\", \"0\": \"menu\"},"
	" \"timeout_ms\": 200, \"retries\": 1, \"fail\": \"bye\"},"
	"\"sales\": {\"kind\": \"queue\", \"queue\": \"sales\","
	" \"fail\": \"vm\"},"
	"\"vm\": {\"kind\": \"voicemail\", \"box\": \"default\","
	" \"next\": \"bye\"},"
	"\"bye\": {\"kind\": \"play\", \"prompts\": [\"builtin/goodbye\"],"
	" \"next\": \"end\"},"
	"\"end\": {\"kind\": \"hangup\"}}}";


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


static void test_menu_navigation(void **state)
{
	struct ivr_flow *flow = fake_flow(demo);

	(void)state;
	assert_non_null(flow);
	assert_int_equal(ivr_flow_version(flow), 3);
	assert_int_equal(fake_run(&f, flow, "13800138000"), 0);
	assert_string_equal(f.log, "P:builtin/welcome;");
	assert_false(f.barge);
	assert_non_null(strstr(f.events, "ivr.entered:;ivr.node:welcome;"));

	/* a digit during a plain play is kept for the menu */
	ivr_run_digit(f.run, '2');
	ivr_run_played(f.run, 0);
	assert_string_equal(ivr_run_node(f.run), "vm");
	assert_true(fake_logged(&f, "V:default;"));
	assert_false(fake_logged(&f, "P:builtin/demo_menu"));

	/* a stale completion changes nothing */
	ivr_run_played(f.run, 0);
	assert_string_equal(ivr_run_node(f.run), "vm");
	ivr_run_resume(f.run, 0);
	assert_true(fake_logged(&f, "P:builtin/goodbye;"));
	ivr_run_played(f.run, 0);
	assert_string_equal(f.ended, "hangup");
	assert_non_null(strstr(f.events, "dtmf.received:welcome;"));
	mem_deref(flow);
}


static void test_menu_barge_and_repeat(void **state)
{
	struct ivr_flow *flow = fake_flow(demo);

	(void)state;
	assert_int_equal(fake_run(&f, flow, ""), 0);
	ivr_run_played(f.run, 0);
	assert_true(f.barge);
	/* 0 repeats the menu; pressed during the prompt it stops it */
	ivr_run_digit(f.run, '0');
	assert_true(fake_logged(&f, "P:builtin/demo_menu;S;P:builtin/"
				"demo_menu;"));
	ivr_run_played(f.run, 0);
	ivr_run_digit(f.run, '1');
	/* queues do not exist yet: hold, then the failure branch */
	assert_true(fake_logged(&f, "P:builtin/hold;"));
	ivr_run_played(f.run, 0);
	assert_string_equal(ivr_run_node(f.run), "vm");
	mem_deref(flow);
}


static void test_menu_retries(void **state)
{
	struct ivr_flow *flow = fake_flow(demo);

	(void)state;
	f.auto_played = true;
	assert_int_equal(fake_run(&f, flow, ""), 0);
	assert_int_equal(loop_run(50), ETIMEDOUT);
	/* a wrong key: invalid, the menu again */
	ivr_run_digit(f.run, '7');
	assert_int_equal(fake_until_end(&f, 3000), 0);
	/* then silence: retries (1) used up -> fail -> goodbye -> hangup */
	assert_string_equal(f.log, "P:builtin/welcome;P:builtin/demo_menu;"
			    "P:builtin/invalid;P:builtin/demo_menu;"
			    "P:builtin/goodbye;E:hangup;");
	assert_string_equal(f.ended, "hangup");
	mem_deref(flow);

	/* timeouts alone */
	fake_close(&f);
	fake_init(&f);
	f.auto_played = true;
	flow = fake_flow(demo);
	assert_int_equal(fake_run(&f, flow, ""), 0);
	assert_int_equal(fake_until_end(&f, 3000), 0);
	assert_string_equal(f.log, "P:builtin/welcome;P:builtin/demo_menu;"
			    "P:builtin/timeout;P:builtin/demo_menu;"
			    "P:builtin/goodbye;E:hangup;");
	mem_deref(flow);
}


static const char collect_flow[] =
	"{\"start\": \"intro\", \"nodes\": {"
	"\"intro\": {\"kind\": \"play\", \"prompts\": [\"builtin/beep\"],"
	" \"next\": \"acct\"},"
	"\"acct\": {\"kind\": \"collect\", \"var\": \"acct\","
	" \"prompts\": [\"builtin/digit_1\"], \"max_digits\": 8,"
	" \"min_digits\": 3, \"timeout_ms\": 200, \"inter_digit_ms\": 200,"
	" \"next\": \"say\", \"fail\": \"bad\"},"
	"\"say\": {\"kind\": \"set\", \"vars\": {\"msg\":"
	" \"acct ${acct} from ${caller}${nope}\"}, \"next\": \"end\"},"
	"\"bad\": {\"kind\": \"set\", \"vars\": {\"msg\": \"none\"},"
	" \"next\": \"end\"},"
	"\"end\": {\"kind\": \"hangup\"}}}";


static void test_collect(void **state)
{
	struct ivr_flow *flow = fake_flow(collect_flow);

	(void)state;
	assert_non_null(flow);
	assert_int_equal(fake_run(&f, flow, "10086"), 0);
	ivr_run_played(f.run, 0);
	assert_string_equal(ivr_run_node(f.run), "acct");
	ivr_run_digit(f.run, '1');     /* barges into the prompt */
	ivr_run_digit(f.run, '2');
	ivr_run_digit(f.run, '3');
	ivr_run_digit(f.run, '#');
	assert_string_equal(f.ended, "hangup");
	assert_string_equal(ivr_run_var(f.run, "acct"), "123");
	assert_string_equal(ivr_run_var(f.run, "msg"), "acct 123 from 10086");
	mem_deref(flow);

	/* typed ahead during the intro, ended by max_digits */
	fake_close(&f);
	fake_init(&f);
	flow = fake_flow(collect_flow);
	assert_int_equal(fake_run(&f, flow, ""), 0);
	for (const char *d = "123456789"; *d; d++)
		ivr_run_digit(f.run, *d);
	ivr_run_played(f.run, 0);
	assert_string_equal(ivr_run_var(f.run, "acct"), "12345678");
	mem_deref(flow);

	/* too few digits, then silence: the fail branch */
	fake_close(&f);
	fake_init(&f);
	f.auto_played = true;
	flow = fake_flow(collect_flow);
	assert_int_equal(fake_run(&f, flow, ""), 0);
	assert_int_equal(loop_run(30), ETIMEDOUT);
	ivr_run_digit(f.run, '4');
	assert_int_equal(fake_until_end(&f, 2000), 0);
	assert_string_equal(ivr_run_var(f.run, "msg"), "none");
	mem_deref(flow);
}


static const char time_flow[] =
	"{\"start\": \"hours\", \"nodes\": {"
	"\"hours\": {\"kind\": \"time_switch\","
	" \"schedule_id\": \"" SCHED "\","
	" \"open\": \"open\", \"closed\": \"closed\"},"
	"\"open\": {\"kind\": \"play\", \"prompts\": [\"builtin/welcome\"],"
	" \"next\": \"end\"},"
	"\"closed\": {\"kind\": \"play\", \"prompts\": [\"builtin/closed\"],"
	" \"next\": \"end\"},"
	"\"end\": {\"kind\": \"hangup\"}}}";


static void test_time_switch(void **state)
{
	static const char sj[] = "{\"timezone\": \"Asia/Shanghai\","
		" \"weekly\": [{\"days\": [1,2,3,4,5], \"from\": \"09:00\","
		" \"to\": \"18:00\"}], \"exceptions\": [{\"date\":"
		" \"2026-11-24\", \"closed\": true}]}";
	struct ivr_flow *flow = fake_flow(time_flow);
	struct schedule *s = NULL;
	static const struct {
		const char *now, *prompt;
	} cases[] = {
		{"@2026-11-23T02:00:00Z", "P:builtin/welcome;"},  /* Mon 10 */
		{"@2026-11-23T12:00:00Z", "P:builtin/closed;"},   /* Mon 20 */
		{"@2026-11-24T02:00:00Z", "P:builtin/closed;"},   /* holiday */
		{"@2026-11-29T02:00:00Z", "P:builtin/closed;"},   /* Sunday */
	};

	(void)state;
	assert_int_equal(schedule_parse_text(&s, sj, strlen(sj), NULL), 0);
	assert_int_equal(schedule_cache_put(TENANT, SCHED, s), 0);
	mem_deref(s);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fake_close(&f);
		fake_init(&f);
		assert_int_equal(clock_setup(cases[i].now), 0);
		assert_int_equal(fake_run(&f, flow, ""), 0);
		assert_string_equal(f.log, cases[i].prompt);
	}

	/* a schedule that is gone: closed */
	schedule_forget(SCHED);
	fake_close(&f);
	fake_init(&f);
	assert_int_equal(fake_run(&f, flow, ""), 0);
	assert_string_equal(f.log, "P:builtin/closed;");
	assert_int_equal(clock_setup(""), 0);
	mem_deref(flow);
}


static void test_caller_switch(void **state)
{
	static const char cf[] =
		"{\"start\": \"who\", \"nodes\": {"
		"\"who\": {\"kind\": \"caller_switch\", \"cases\": ["
		"{\"match\": \"13800138000\", \"next\": \"a\"},"
		"{\"match\": \"138*\", \"next\": \"b\"},"
		"{\"match\": \"010XXXXXXXX\", \"next\": \"c\"}],"
		" \"default\": \"d\"},"
		"\"a\": {\"kind\": \"set\", \"vars\": {\"r\": \"a\"},"
		" \"next\": \"end\"},"
		"\"b\": {\"kind\": \"set\", \"vars\": {\"r\": \"b\"},"
		" \"next\": \"end\"},"
		"\"c\": {\"kind\": \"set\", \"vars\": {\"r\": \"c\"},"
		" \"next\": \"end\"},"
		"\"d\": {\"kind\": \"area_switch\", \"cases\": [{\"region\":"
		" \"北京\", \"next\": \"a\"}], \"default\": \"e\"},"
		"\"e\": {\"kind\": \"set\", \"vars\": {\"r\": \"d\"},"
		" \"next\": \"end\"},"
		"\"end\": {\"kind\": \"hangup\"}}}";
	static const struct {
		const char *caller, *r;
	} cases[] = {
		{"13800138000", "a"}, {"13800138001", "b"}, {"138", "b"},
		{"01012345678", "c"}, {"010123456789", "d"},
		{"0101234567", "d"}, {"", "d"}, {"+8613800138000", "d"},
	};
	struct ivr_flow *flow = fake_flow(cf);

	(void)state;
	assert_non_null(flow);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fake_close(&f);
		fake_init(&f);
		assert_int_equal(fake_run(&f, flow, cases[i].caller), 0);
		assert_string_equal(f.ended, "hangup");
		if (strcmp(ivr_run_var(f.run, "r"), cases[i].r))
			fail_msg("%s: got %s", cases[i].caller,
				 ivr_run_var(f.run, "r"));
	}
	mem_deref(flow);
}


static void test_transfer_and_queue(void **state)
{
	static const char tf[] =
		"{\"start\": \"q\", \"nodes\": {"
		"\"q\": {\"kind\": \"queue\", \"queue\": \"vip\","
		" \"fail\": \"x\"},"
		"\"x\": {\"kind\": \"transfer\", \"number\": \"${caller}\","
		" \"fail\": \"end\"},"
		"\"end\": {\"kind\": \"hangup\"}}}";
	struct ivr_flow *flow = fake_flow(tf);

	(void)state;
	/* a queue that takes the call ends the IVR */
	f.queue_ret = 0;
	assert_int_equal(fake_run(&f, flow, "13900000000"), 0);
	assert_true(fake_logged(&f, "Q:vip;"));
	ivr_run_resume(f.run, 0);
	assert_string_equal(f.ended, "queued");

	/* queue refused (not ENOSYS): straight to transfer; it fails */
	fake_close(&f);
	fake_init(&f);
	f.queue_ret = EBUSY;
	assert_int_equal(fake_run(&f, flow, "13900000000"), 0);
	assert_true(fake_logged(&f, "T:13900000000;"));
	ivr_run_resume(f.run, EBUSY);
	assert_string_equal(f.ended, "hangup");

	/* transfer bridged */
	fake_close(&f);
	fake_init(&f);
	f.queue_ret = EBUSY;
	assert_int_equal(fake_run(&f, flow, "13900000000"), 0);
	ivr_run_resume(f.run, 0);
	assert_string_equal(f.ended, "transferred");
	mem_deref(flow);
}


/* Hundreds of digits at once in every state: no crash, no growth. */
static void test_dtmf_storm(void **state)
{
	static const char keys[] = "0123456789*#ABCDxyz\0";
	struct ivr_flow *flow = fake_flow(demo);

	(void)state;
	f.auto_played = true;
	f.auto_resume = true;
	f.resume_with = EIO;
	assert_int_equal(fake_run(&f, flow, ""), 0);
	for (unsigned round = 0; round < 20 && !f.ended[0]; round++) {
		for (unsigned i = 0; i < 300; i++)
			ivr_run_digit(f.run, keys[(i * 7 + round) %
						  (sizeof(keys) - 1)]);
		(void)loop_run(5);
	}
	(void)fake_until_end(&f, 3000);
	assert_string_equal(f.ended, "hangup");
	ivr_run_digit(f.run, '1');    /* after the end: ignored */
	mem_deref(flow);
}


/* A play the host refuses counts as played; nothing spins. */
static void test_play_refused(void **state)
{
	struct ivr_flow *flow = fake_flow(demo);

	(void)state;
	f.play_err = EIO;
	assert_int_equal(fake_run(&f, flow, ""), 0);
	assert_int_equal(fake_until_end(&f, 3000), 0);
	assert_string_equal(f.ended, "hangup");
	mem_deref(flow);
}


/* One node of every kind, each leading to a hangup. */
static const struct {
	const char *name, *node;
} kinds[] = {
	{"play", "{\"kind\": \"play\", \"prompts\": [\"builtin/welcome\"],"
	 " \"next\": \"end\"}"},
	{"menu", "{\"kind\": \"menu\", \"prompts\": [\"builtin/demo_menu\"],"
	 " \"choices\": {\"1\": \"end\"}, \"timeout_ms\": 200}"},
	{"collect", "{\"kind\": \"collect\", \"var\": \"v\","
	 " \"timeout_ms\": 200, \"next\": \"end\"}"},
	{"time", "{\"kind\": \"time_switch\", \"schedule_id\": \"" SCHED "\","
	 " \"open\": \"end\", \"closed\": \"end\"}"},
	{"caller", "{\"kind\": \"caller_switch\", \"cases\": [{\"match\":"
	 " \"1*\", \"next\": \"end\"}], \"default\": \"end\"}"},
	{"area", "{\"kind\": \"area_switch\", \"cases\": [{\"region\":"
	 " \"x\", \"next\": \"end\"}], \"default\": \"end\"}"},
	{"lookup", "{\"kind\": \"lookup\", \"url\": \"http://127.0.0.1:9/\","
	 " \"next\": \"end\", \"fail\": \"end\"}"},
	{"set", "{\"kind\": \"set\", \"vars\": {\"a\": \"b\"},"
	 " \"next\": \"end\"}"},
	{"vm", "{\"kind\": \"voicemail\", \"box\": \"default\","
	 " \"next\": \"end\"}"},
	{"xfer", "{\"kind\": \"transfer\", \"number\": \"95555\","
	 " \"fail\": \"end\"}"},
	{"queue", "{\"kind\": \"queue\", \"queue\": \"q\","
	 " \"fail\": \"end\"}"},
	{"end", "{\"kind\": \"hangup\"}"},
};


static struct ivr_flow *flow_at(size_t i)
{
	char json[1024];

	(void)re_snprintf(json, sizeof(json), "{\"start\": \"%s\", \"nodes\":"
			  " {\"%s\": %s%s}}", kinds[i].name, kinds[i].name,
			  kinds[i].node, strcmp(kinds[i].name, "end") ?
			  ", \"end\": {\"kind\": \"hangup\"}" : "");

	return fake_flow(json);
}


/*
 * The caller hangs up (the host frees the run) in every kind of node:
 * while it waits, and from inside every host op. Nothing is called
 * after the free (teardown checks) and ASan sees no use after free.
 */
static void test_hangup_everywhere(void **state)
{
	static const char *const ops[] = {
		NULL, "play", "stop_play", "end", "emit", "voicemail",
		"transfer", "queue",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		for (size_t o = 0; o < ARRAY_SIZE(ops); o++) {
			struct ivr_flow *flow = flow_at(i);

			fake_close(&f);
			fake_init(&f);
			f.auto_played = true;
			f.free_in = ops[o];
			if (!flow)
				fail_msg("flow at %s does not validate",
					 kinds[i].name);
			assert_int_equal(fake_run(&f, flow, "138"), 0);
			(void)loop_run(5);
			if (f.run)
				ivr_run_digit(f.run, '5');
			if (f.run && !ops[o])
				fake_free(&f);
			(void)loop_run(ops[o] ? 10 : 220);
			fake_free(&f);
			ivr_run_digit(NULL, '1');
			ivr_run_played(NULL, 0);
			ivr_run_resume(NULL, 0);
			assert_int_equal(f.ops_after_free, 0);
			mem_deref(flow);
		}
	}
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_menu_navigation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_menu_barge_and_repeat,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_menu_retries, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_collect, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_time_switch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_caller_switch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_transfer_and_queue,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_dtmf_storm, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_play_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hangup_everywhere, setup,
						teardown),
	};
	int r;

	(void)libre_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	ivr_close();
	tz_flush();
	libre_close();

	return r;
}
