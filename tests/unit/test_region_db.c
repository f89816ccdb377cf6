/* Unit tests for region_lookup against PostgreSQL: the tenant's prefixes
 * first, the platform's carrier, not found, and the answers' cache with
 * its flushes (local and by NOTIFY). */
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
#include "http/http.h"
#include "metrics/metrics.h"
#include "region/region.h"
#include "dbt.h"
#include "loop.h"

static struct {
	struct dbt_env env;
	struct app app;
	struct db *admin;
	char tenant[40];
} t;

struct answer {
	bool done;
	int err;
	char region[128];
	char carrier[64];
	bool carrier_null;
};

static const struct db_ctx *const none = &dbt_none;


static void admin_sql(const char *sql, unsigned n, const char **pv)
{
	struct dbt_answer a;

	assert_int_equal(dbt_run(t.admin, none, &a, sql, n, pv), 0);
	if (a.err)
		fail_msg("%s: %s", sql, a.msg);
}


/* Prefixes of international numbers (009…): the real data has none, so
 * these cannot clash with it or with what other tests put there. */
static void rows_delete(void)
{
	admin_sql("DELETE FROM number_regions WHERE prefix LIKE '009%'", 0,
		  NULL);
	admin_sql("DELETE FROM tenant_number_regions WHERE prefix LIKE"
		  " '009%'", 0, NULL);
}


static int group_setup(void **state)
{
	struct dbt_answer a;
	char code[32];
	const char *pv[1] = {code};

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
	if (region_init(&t.app))
		return -1;

	(void)re_snprintf(code, sizeof(code), "rg%u",
			  (unsigned)getpid() % 100000);
	str_ncpy(t.tenant, dbt_val(t.admin, none, &a, "INSERT INTO tenants"
				   " (code, name) VALUES ($1, $1)"
				   " RETURNING tenant_id", 1, pv),
		 sizeof(t.tenant));
	rows_delete();
	admin_sql("INSERT INTO number_regions (prefix, region, carrier)"
		  " VALUES ('00990', '测试省', '测试移动'),"
		  " ('0099012', '测试省测试市', '')", 0, NULL);
	pv[0] = t.tenant;
	admin_sql("INSERT INTO tenant_number_regions (tenant_id, prefix,"
		  " region) VALUES ($1, '009905', '本企业')", 1, pv);

	return 0;
}


static int group_teardown(void **state)
{
	(void)state;
	rows_delete();
	region_close();
	http_routes_flush();
	metrics_reset();
	t.app.db = mem_deref(t.app.db);
	t.admin = mem_deref(t.admin);
	libre_close();

	return 0;
}


static void answered(int err, const char *region, const char *carrier,
		     void *arg)
{
	struct answer *a = arg;

	a->done = true;
	a->err = err;
	str_ncpy(a->region, region ? region : "", sizeof(a->region));
	str_ncpy(a->carrier, carrier ? carrier : "", sizeof(a->carrier));
	a->carrier_null = !carrier;
	re_cancel();
}


/* Look up and wait; the answer never comes from inside the call. */
static int ask(struct answer *a, const char *tenant_id, const char *num)
{
	int err;

	memset(a, 0, sizeof(*a));
	err = region_lookup(&t.app, tenant_id, num, answered, a);
	if (err)
		return err;

	assert_false(a->done);
	for (int i = 0; i < 500 && !a->done; i++)
		(void)loop_run(10);
	assert_true(a->done);

	return a->err;
}


static void test_lookup(void **state)
{
	struct answer a;

	(void)state;

	/* platform only: longest prefix, its carrier or none */
	assert_int_equal(ask(&a, NULL, "+990 12 345"), 0);
	assert_string_equal(a.region, "测试省测试市");
	assert_true(a.carrier_null);
	assert_int_equal(ask(&a, NULL, "+990 222"), 0);
	assert_string_equal(a.region, "测试省");
	assert_string_equal(a.carrier, "测试移动");

	/* the tenant's own prefix wins; the carrier stays the platform's */
	assert_int_equal(ask(&a, t.tenant, "17951 00990 5123"), 0);
	assert_string_equal(a.region, "本企业");
	assert_string_equal(a.carrier, "测试移动");
	assert_int_equal(ask(&a, NULL, "009905123"), 0);
	assert_string_equal(a.region, "测试省");

	/* nothing matches; no number at all */
	assert_int_equal(ask(&a, t.tenant, "00998877"), ENOENT);
	assert_true(a.done);
	assert_int_equal(ask(&a, t.tenant, "no number"), ENOENT);
	assert_false(a.done);
	assert_int_equal(region_lookup(NULL, NULL, "1", answered, &a),
			 EINVAL);
	assert_int_equal(region_lookup(&t.app, NULL, "1", NULL, &a),
			 EINVAL);
}


static void test_cache(void **state)
{
	const char *pv[1] = {t.tenant};
	struct answer a;

	(void)state;
	assert_int_equal(ask(&a, t.tenant, "0099055"), 0);
	assert_string_equal(a.region, "本企业");

	/* changed behind the cache's back: the cached answer stands */
	admin_sql("UPDATE tenant_number_regions SET region = '改了'"
		  " WHERE tenant_id = $1 AND prefix = '009905'", 1, pv);
	assert_int_equal(ask(&a, t.tenant, "0099055"), 0);
	assert_string_equal(a.region, "本企业");

	/* another tenant's flush leaves it, this tenant's drops it */
	region_cache_flush("00000000-0000-4000-8000-000000000000");
	assert_int_equal(ask(&a, t.tenant, "0099055"), 0);
	assert_string_equal(a.region, "本企业");
	region_cache_flush(t.tenant);
	assert_int_equal(ask(&a, t.tenant, "0099055"), 0);
	assert_string_equal(a.region, "改了");

	/* a NOTIFY (a change on another node) flushes it too */
	admin_sql("UPDATE tenant_number_regions SET region = '又改了'"
		  " WHERE tenant_id = $1 AND prefix = '009905'", 1, pv);
	assert_int_equal(ask(&a, t.tenant, "0099055"), 0);
	assert_string_equal(a.region, "改了");
	admin_sql("SELECT pg_notify('openseat_region', $1)", 1, pv);
	for (int i = 0; i < 200 && !strcmp(a.region, "改了"); i++) {
		(void)loop_run(10);
		assert_int_equal(ask(&a, t.tenant, "0099055"), 0);
	}
	assert_string_equal(a.region, "又改了");

	/* "not found" is cached too */
	assert_int_equal(ask(&a, NULL, "0098800"), ENOENT);
	admin_sql("INSERT INTO number_regions (prefix, region) VALUES"
		  " ('00988', '新加的')", 0, NULL);
	assert_int_equal(ask(&a, NULL, "0098800"), ENOENT);
	region_cache_flush(NULL);
	assert_int_equal(ask(&a, NULL, "0098800"), 0);
	assert_string_equal(a.region, "新加的");
	admin_sql("DELETE FROM number_regions WHERE prefix = '00988'", 0,
		  NULL);

	/* a lookup answered from the cache, still pending at close */
	assert_int_equal(ask(&a, t.tenant, "0099055"), 0);
	memset(&a, 0, sizeof(a));
	assert_int_equal(region_lookup(&t.app, t.tenant, "0099055", answered,
				       &a), 0);
	region_close();
	assert_true(a.done);
	assert_int_equal(a.err, ECANCELED);
	assert_int_equal(region_init(&t.app), 0);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_cache),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
