/* Unit tests for the routing cache against PostgreSQL: the first load,
 * reload on NOTIFY, and what is left out (disabled rows). */
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
#include "metrics/metrics.h"
#include "telephony/telephony.h"
#include "dbt.h"
#include "loop.h"

static struct {
	struct dbt_env env;
	struct app app;
	struct db *admin;     /* superuser: writes rows as the API would */
	struct tmr poll;
	bool (*cond)(void);
	char tenant[40];
	char num_a[16];       /* unique per run: numbers are global */
	char num_b[16];
	char user[32];
} t;

static const struct db_ctx *const none = &dbt_none;


static void poll_h(void *arg)
{
	(void)arg;

	if (t.cond()) {
		re_cancel();
		return;
	}

	tmr_start(&t.poll, 5, poll_h, NULL);
}


/* Turn the loop until cond() holds, at most ms. */
static int wait_for(bool (*cond)(void), unsigned ms)
{
	int err;

	if (cond())
		return 0;

	t.cond = cond;
	tmr_start(&t.poll, 5, poll_h, NULL);
	err = loop_run(ms);
	tmr_cancel(&t.poll);

	return err;
}


static void admin_sql(const char *sql, unsigned n, const char **pv)
{
	struct dbt_answer a;

	assert_int_equal(dbt_run(t.admin, none, &a, sql, n, pv), 0);
	if (a.err)
		fail_msg("%s: %s", sql, a.msg);
}


static int group_setup(void **state)
{
	unsigned tag;

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

	tmr_init(&t.poll);
	tag = (unsigned)getpid() % 100000;
	re_snprintf(t.num_a, sizeof(t.num_a), "40077%05u", tag);
	re_snprintf(t.num_b, sizeof(t.num_b), "40078%05u", tag);
	re_snprintf(t.user, sizeof(t.user), "tdb-%u-%llu", tag,
		    (unsigned long long)tmr_jiffies());

	return 0;
}


static int group_teardown(void **state)
{
	(void)state;
	tel_close();
	t.app.db = mem_deref(t.app.db);
	t.admin = mem_deref(t.admin);
	metrics_reset();
	libre_close();

	return 0;
}


static bool is_loaded(void)
{
	return tel_loaded();
}


static bool has_a(void)
{
	struct tel_number *n = tel_number_find(t.num_a);

	mem_deref(n);

	return n != NULL;
}


static bool lacks_a(void)
{
	return !has_a();
}


static bool has_user(void)
{
	struct tel_trunk *tr = tel_trunk_by_user(t.user);

	mem_deref(tr);

	return tr != NULL;
}


static void notify(void)
{
	admin_sql("SELECT pg_notify('openseat_telephony', '')", 0, NULL);
}


static void test_load_and_notify(void **state)
{
	struct tel_number *n, *held;
	struct tel_trunk *tr;
	const char *pv[4];
	struct dbt_answer a;

	(void)state;
	assert_int_equal(tel_init(&t.app), 0);
	assert_int_equal(wait_for(is_loaded, 5000), 0);
	assert_false(has_a());

	/* rows written elsewhere, then the notice another node would send */
	pv[0] = t.user;
	str_ncpy(t.tenant, dbt_val(t.admin, none, &a,
		 "INSERT INTO tenants (code, name, max_calls, status)"
		 " VALUES ($1, $1, 7, 'suspended') RETURNING tenant_id",
		 1, pv), sizeof(t.tenant));
	pv[0] = t.user;
	admin_sql("INSERT INTO trunks (name, allow_addrs, auth_user,"
		  " auth_secret, max_calls, max_cps) VALUES ($1,"
		  " '{192.0.2.201, 2001:db8:77::/48}', $1, 'pw', 9, 3)",
		  1, pv);
	pv[0] = t.tenant;
	pv[1] = t.num_a;
	pv[2] = t.num_b;
	admin_sql("INSERT INTO numbers (tenant_id, number, routes, enabled)"
		  " VALUES ($1, $2, '[{\"schedule_id\": \"s\"}]', true),"
		  " ($1, $3, '[]', false)", 3, pv);
	notify();
	assert_int_equal(wait_for(has_a, 5000), 0);
	assert_true(has_user());

	n = tel_number_find(t.num_a);
	assert_string_equal(n->tenant_id, t.tenant);
	assert_string_equal(n->tenant_code, t.user);
	assert_false(n->tenant_active);
	assert_int_equal(n->tenant_max_calls, 7);
	assert_string_equal(n->flow_id, "");
	assert_non_null(strstr(n->routes_json, "schedule_id"));
	/* a disabled number is not routed */
	assert_null(tel_number_find(t.num_b));

	tr = tel_trunk_by_user(t.user);
	assert_string_equal(tr->auth_secret, "pw");
	assert_string_equal(tr->tenant_id, "");
	assert_int_equal(tr->max_calls, 9);
	assert_int_equal(tr->max_cps, 3);
	mem_deref(tr);

	/* a reload swaps the tables; the held entry stays readable */
	held = n;
	pv[0] = t.num_a;
	admin_sql("UPDATE numbers SET enabled = false WHERE number = $1",
		  1, pv);
	notify();
	assert_int_equal(wait_for(lacks_a, 5000), 0);
	assert_string_equal(held->number, t.num_a);
	mem_deref(held);
}


static bool user_gone(void)
{
	return !has_user();
}


static void test_reload_direct(void **state)
{
	const char *pv[1] = {t.user};

	(void)state;
	/* a change made on this node reloads without waiting for NOTIFY */
	admin_sql("UPDATE trunks SET enabled = false WHERE name = $1", 1, pv);
	assert_int_equal(tel_reload(), 0);
	assert_int_equal(tel_reload(), 0);    /* coalesced with the first */
	assert_int_equal(wait_for(user_gone, 5000), 0);

	admin_sql("DELETE FROM numbers WHERE tenant_id = (SELECT tenant_id"
		  " FROM tenants WHERE code = $1)", 1, pv);
	admin_sql("DELETE FROM trunks WHERE name = $1", 1, pv);

	tel_close();
	assert_false(tel_loaded());
	assert_int_equal(tel_reload(), ENOENT);
	assert_null(tel_trunk_by_user(t.user));
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_and_notify),
		cmocka_unit_test(test_reload_direct),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
