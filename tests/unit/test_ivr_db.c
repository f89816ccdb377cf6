/* Unit tests for the flow and schedule caches, number routing by time of
 * day and the area switch, against PostgreSQL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "app.h"
#include "db/db.h"
#include "core/clock.h"
#include "schedule/schedule.h"
#include "schedule/tz.h"
#include "ivr/ivr.h"
#include "dbt.h"
#include "loop.h"
#include "ivr_fake.h"

static struct {
	struct dbt_env env;
	struct app app;
	struct db *admin;
	char tenant[40];
	char day_flow[40], night_flow[40], sched[40];
	struct ivr_flow *got;
	int got_err;
	bool answered;
	char picked[40];
} t;

static const struct db_ctx *const none = &dbt_none;

static const char hangup_graph[] =
	"{\"start\": \"%s\", \"nodes\": {\"%s\": {\"kind\": \"hangup\"}}}";


static void admin_sql(const char *sql, unsigned n, const char **pv)
{
	struct dbt_answer a;

	assert_int_equal(dbt_run(t.admin, none, &a, sql, n, pv), 0);
	if (a.err)
		fail_msg("%s: %s", sql, a.msg);
}


static const char *admin_val(const char *sql, unsigned n, const char **pv)
{
	static struct dbt_answer a;

	return dbt_val(t.admin, none, &a, sql, n, pv);
}


/* A flow with one version whose graph starts at node `start`. */
static void flow_make(char *id, size_t sz, const char *name,
		      const char *start)
{
	char graph[200];
	const char *pv[3];

	(void)re_snprintf(graph, sizeof(graph), hangup_graph, start, start);
	pv[0] = t.tenant;
	pv[1] = name;
	str_ncpy(id, admin_val("INSERT INTO flows (tenant_id, name,"
			       " current_version) VALUES ($1, $2, 1)"
			       " RETURNING flow_id", 2, pv), sz);
	pv[0] = t.tenant;
	pv[1] = id;
	pv[2] = graph;
	admin_sql("INSERT INTO flow_versions (tenant_id, flow_id, version,"
		  " graph) VALUES ($1, $2, 1, $3)", 3, pv);
}


static int group_setup(void **state)
{
	char code[32];
	const char *pv[2];

	(void)state;
	if (dbt_setup(&t.env))
		return -1;

	cfg_defaults(&t.app.cfg);
	if (db_alloc(&t.app.db, t.env.app_url, 2, 64) ||
	    db_alloc(&t.admin, t.env.admin_url, 1, 64))
		return -1;
	if (!dbt_wait_ready(t.app.db, 5000) ||
	    !dbt_wait_ready(t.admin, 5000))
		return -1;
	if (ivr_init(&t.app))
		return -1;

	(void)re_snprintf(code, sizeof(code), "ivr%u",
			  (unsigned)getpid() % 100000);
	pv[0] = code;
	str_ncpy(t.tenant, admin_val("INSERT INTO tenants (code, name)"
				     " VALUES ($1, $1) RETURNING tenant_id",
				     1, pv), sizeof(t.tenant));
	flow_make(t.day_flow, sizeof(t.day_flow), "day", "day");
	flow_make(t.night_flow, sizeof(t.night_flow), "night", "night");
	pv[0] = t.tenant;
	str_ncpy(t.sched, admin_val("INSERT INTO schedules (tenant_id, name,"
		 " timezone, weekly) VALUES ($1, 'hours', 'Asia/Shanghai',"
		 " '[{\"days\": [1,2,3,4,5], \"from\": \"09:00\","
		 " \"to\": \"18:00\"}]') RETURNING schedule_id", 1, pv),
		 sizeof(t.sched));

	return 0;
}


static int group_teardown(void **state)
{
	(void)state;
	admin_sql("DELETE FROM number_regions WHERE prefix IN ('10', '1')"
		  " AND region IN ('北京市', '某处')", 0, NULL);
	ivr_close();
	t.app.db = mem_deref(t.app.db);
	t.admin = mem_deref(t.admin);
	tz_flush();
	clock_setup("");
	libre_close();

	return 0;
}


static void flow_got(int err, struct ivr_flow *flow, void *arg)
{
	(void)arg;
	t.got_err = err;
	t.got = flow;
	t.answered = true;
	re_cancel();
}


/* Ask for the flow that answers now; wait for the answer. */
static struct ivr_flow *answer_now(const char *routes)
{
	t.answered = false;
	t.got = NULL;
	assert_int_equal(ivr_flow_for_number(t.tenant, t.night_flow, routes,
					     clock_wall_ms(), flow_got, NULL),
			 0);
	if (!t.answered)
		(void)loop_run(5000);
	assert_true(t.answered);

	return t.got;
}


static const char *start_of(const struct ivr_flow *flow)
{
	static struct fake f;

	fake_init(&f);
	assert_int_equal(ivr_run_alloc(&f.run, (struct ivr_flow *)flow,
				       &fake_ops, &f, NULL), 0);
	assert_int_equal(ivr_run_start(f.run), 0);
	str_ncpy(t.picked, ivr_run_node(f.run), sizeof(t.picked));
	fake_close(&f);

	return t.picked;
}


/* The right flow per number and time of day, the clock injected. */
static void test_answer_by_time_of_day(void **state)
{
	char routes[200];
	struct ivr_flow *flow;
	static const struct {
		const char *now, *start;
	} cases[] = {
		{"@2026-11-23T02:00:00Z", "day"},     /* Monday 10:00 +08 */
		{"@2026-11-23T12:00:00Z", "night"},   /* Monday 20:00 */
		{"@2026-11-28T02:00:00Z", "night"},   /* Saturday */
		{"@2026-11-27T09:59:00Z", "day"},     /* Friday 17:59 */
	};

	(void)state;
	(void)re_snprintf(routes, sizeof(routes), "[{\"schedule_id\": \"%s\","
			  " \"flow_id\": \"%s\"}]", t.sched, t.day_flow);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(clock_setup(cases[i].now), 0);
		flow = answer_now(routes);
		assert_int_equal(t.got_err, 0);
		assert_non_null(flow);
		if (strcmp(start_of(flow), cases[i].start))
			fail_msg("%s: %s", cases[i].now, t.picked);
		assert_int_equal(ivr_flow_version(flow), 1);
		assert_string_equal(ivr_flow_tenant(flow), t.tenant);
		mem_deref(flow);
	}

	/* no routes: the number's own flow; junk routes: the same */
	flow = answer_now(NULL);
	assert_string_equal(ivr_flow_id(flow), t.night_flow);
	mem_deref(flow);
	flow = answer_now("[{\"schedule_id\": \"nope\"}, 7]");
	assert_string_equal(ivr_flow_id(flow), t.night_flow);
	mem_deref(flow);
}


static bool flow_is_v2(void)
{
	struct ivr_flow *flow = answer_now(NULL);
	bool v2 = flow && ivr_flow_version(flow) == 2;

	mem_deref(flow);
	return v2;
}


/* A new version reaches new calls; a running call keeps its own. */
static void test_running_call_keeps_version(void **state)
{
	struct ivr_flow *held = answer_now(NULL);
	const char *pv[3];
	char graph[200];

	(void)state;
	assert_int_equal(ivr_flow_version(held), 1);
	(void)re_snprintf(graph, sizeof(graph), hangup_graph, "v2", "v2");
	pv[0] = t.tenant;
	pv[1] = t.night_flow;
	pv[2] = graph;
	admin_sql("WITH u AS (UPDATE flows SET current_version = 2"
		  " WHERE flow_id = $2) INSERT INTO flow_versions (tenant_id,"
		  " flow_id, version, graph) VALUES ($1, $2, 2, $3)", 3, pv);
	pv[0] = t.night_flow;
	admin_sql("SELECT pg_notify('openseat_flow', $1)", 1, pv);

	for (int i = 0; i < 200 && !flow_is_v2(); i++)
		(void)loop_run(10);
	assert_true(flow_is_v2());
	assert_int_equal(ivr_flow_version(held), 1);
	assert_string_equal(start_of(held), "night");
	mem_deref(held);
}


/* The area switch reads number_regions; empty -> default branch. */
static void test_area_switch(void **state)
{
	static const char g[] =
		"{\"start\": \"area\", \"nodes\": {\"area\": {\"kind\":"
		" \"area_switch\", \"cases\": [{\"region\": \"北京\","
		" \"next\": \"bj\"}], \"default\": \"other\"},"
		" \"bj\": {\"kind\": \"set\", \"vars\": {\"r\": \"bj\"},"
		" \"next\": \"end\"}, \"other\": {\"kind\": \"set\","
		" \"vars\": {\"r\": \"other\"}, \"next\": \"end\"},"
		" \"end\": {\"kind\": \"hangup\"}}}";
	static const struct {
		const char *caller, *r;
	} cases[] = {
		{"01088880000", "bj"}, {"+86 10 8888 0000", "bj"},
		{"02088880000", "other"}, {"", "other"},
	};
	struct ivr_flow *flow = fake_flow(g);
	static struct fake f;

	(void)state;
	admin_sql("INSERT INTO number_regions (prefix, region) VALUES"
		  " ('10', '北京市'), ('1', '某处') ON CONFLICT DO NOTHING",
		  0, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fake_init(&f);
		f.app = &t.app;
		assert_int_equal(fake_run(&f, flow, cases[i].caller), 0);
		assert_int_equal(fake_until_end(&f, 5000), 0);
		if (strcmp(ivr_run_var(f.run, "r"), cases[i].r))
			fail_msg("%s: %s", cases[i].caller,
				 ivr_run_var(f.run, "r"));
		fake_close(&f);
	}

	/* the caller hangs up while the region query is in flight */
	fake_init(&f);
	f.app = &t.app;
	assert_int_equal(fake_run(&f, flow, "01088880000"), 0);
	fake_free(&f);
	(void)loop_run(300);
	assert_int_equal(f.ops_after_free, 0);
	assert_string_equal(f.ended, "");
	fake_close(&f);
	mem_deref(flow);
}


/* The caller hangs up while a time switch waits for its schedule. */
static void test_hangup_during_schedule_load(void **state)
{
	static struct fake f;
	char g[600];
	struct ivr_flow *flow;

	(void)state;
	(void)re_snprintf(g, sizeof(g), "{\"start\": \"t\", \"nodes\": {"
			  "\"t\": {\"kind\": \"time_switch\", \"schedule_id\":"
			  " \"%s\", \"open\": \"h\", \"closed\": \"h\"},"
			  " \"h\": {\"kind\": \"hangup\"}}}", t.sched);
	flow = fake_flow(g);
	assert_non_null(flow);

	/* the flow's tenant is the test helper's; the schedule's is ours */
	schedule_forget(NULL);
	fake_init(&f);
	assert_int_equal(fake_run(&f, flow, ""), 0);
	fake_free(&f);
	(void)loop_run(300);
	assert_int_equal(f.ops_after_free, 0);
	assert_string_equal(f.ended, "");
	fake_close(&f);
	mem_deref(flow);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer_by_time_of_day),
		cmocka_unit_test(test_running_call_keeps_version),
		cmocka_unit_test(test_area_switch),
		cmocka_unit_test(test_hangup_during_schedule_load),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
