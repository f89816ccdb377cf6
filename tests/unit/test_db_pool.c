/* Unit tests for the database pool (server/db/): queue, drain, reconnect. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "db/db.h"
#include "dbt.h"
#include "loop.h"

static struct {
	struct dbt_env env;
	struct db *app;       /* runtime role, pool of 2 */
	struct db *admin;     /* superuser, pool of 1 */
	char restart_cmd[1200]; /* set while the server is stopped */
} t;

static const struct db_ctx *const none = &dbt_none;


static int group_setup(void **state)
{
	(void)state;
	if (dbt_setup(&t.env))
		return -1;

	if (db_alloc(&t.app, t.env.app_url, 2, 16) ||
	    db_alloc(&t.admin, t.env.admin_url, 1, 16))
		return -1;

	if (!dbt_wait_ready(t.app, 5000) || !dbt_wait_ready(t.admin, 5000)) {
		fprintf(stderr, "test_db_pool: database not ready\n");
		return -1;
	}

	return 0;
}


static int group_teardown(void **state)
{
	(void)state;
	/* a failed reconnect test must not leave the server down */
	if (t.restart_cmd[0] && system(t.restart_cmd) != 0)
		fprintf(stderr, "test_db_pool: cannot restart PostgreSQL\n");
	t.app = mem_deref(t.app);
	t.admin = mem_deref(t.admin);
	libre_close();

	return 0;
}


/*
 * A full queue refuses a request's query (EBUSY: answered 503), but not
 * a record the call engine must not lose: that one waits its turn.
 */
static void test_queue_full(void **state)
{
	struct dbt_answer a[5];
	struct db_stats st;
	struct db *db;

	(void)state;
	assert_int_equal(db_alloc(&db, t.env.app_url, 1, 2), 0);
	assert_true(dbt_wait_ready(db, 5000));

	memset(a, 0, sizeof(a));
	dbt_pending = 4;
	for (int i = 0; i < 3; i++)
		assert_int_equal(db_query(db, none, dbt_answered, &a[i],
					  "SELECT pg_sleep(0.05)", 0, NULL),
				 0);
	assert_int_equal(db_query(db, none, dbt_answered, &a[3],
				  "SELECT 1", 0, NULL), EBUSY);
	assert_int_equal(db_query_must(db, none, dbt_answered, &a[4],
				       "SELECT 1", 0, NULL), 0);

	db_stats_get(db, &st);
	assert_int_equal(st.conns, 1);
	assert_int_equal(st.conns_up, 1);
	assert_int_equal(st.busy, 1);
	assert_int_equal(st.queued, 3);

	dbt_wait();
	for (int i = 0; i < 3; i++)
		assert_int_equal(a[i].err, 0);
	assert_false(a[3].done);
	assert_true(a[4].done);
	assert_int_equal(a[4].err, 0);

	db_stats_get(db, &st);
	assert_int_equal(st.queries, 4);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.lat_bucket[6] + st.lat_bucket[7], 4);
	assert_true(st.lat_sum_s > 0.15);
	mem_deref(db);
}


static char order[8];

static void ordered(int err, const struct db_res *res, void *arg)
{
	const size_t n = strlen(order);

	dbt_answered(err, res, arg);
	if (n + 1 < sizeof(order))
		order[n] = ((struct dbt_answer *)arg)->val[0];
}


/*
 * With the only connection busy for busy_sql, a record and then a
 * request are queued: the order the three answered in.
 */
static const char *order_after(struct db *db, const char *busy_sql)
{
	struct dbt_answer a[3];

	memset(a, 0, sizeof(a));
	memset(order, 0, sizeof(order));
	dbt_pending = 3;
	assert_int_equal(db_query(db, none, ordered, &a[0], busy_sql, 0,
				  NULL), 0);
	assert_int_equal(db_query_must(db, none, ordered, &a[1],
				       "SELECT 'r'", 0, NULL), 0);
	assert_int_equal(db_query(db, none, ordered, &a[2],
				  "SELECT 'q'", 0, NULL), 0);
	dbt_wait();

	return order;
}


/*
 * A client waits for a request, not for a record: a request queued
 * after a record runs before it — unless the record has waited its
 * bound (DB_RECORD_WAIT_US), then it goes first.
 */
static void test_requests_before_records(void **state)
{
	struct db *db;

	(void)state;
	assert_int_equal(db_alloc(&db, t.env.app_url, 1, 10), 0);
	assert_true(dbt_wait_ready(db, 5000));

	assert_string_equal(order_after(db, "SELECT 'b' FROM pg_sleep(0.05)"),
			    "bqr");
	assert_string_equal(order_after(db, "SELECT 'b' FROM pg_sleep(0.6)"),
			    "brq");
	mem_deref(db);
}


static void test_shutdown(void **state)
{
	struct dbt_answer a[3];
	struct db *db;

	(void)state;
	/* the destructor fails every job with ECANCELED, once */
	assert_int_equal(db_alloc(&db, t.env.app_url, 1, 4), 0);
	assert_true(dbt_wait_ready(db, 5000));
	memset(a, 0, sizeof(a));
	for (int i = 0; i < 3; i++)
		assert_int_equal(db_query(db, none, dbt_answered, &a[i],
					  "SELECT pg_sleep(0.05)", 0, NULL),
				 0);
	mem_deref(db);
	for (int i = 0; i < 3; i++) {
		assert_true(a[i].done);
		assert_int_equal(a[i].err, ECANCELED);
	}
}


static bool drained;

static void drained_handler(void *arg)
{
	(void)arg;
	drained = true;
	re_cancel();
}


static void test_drain(void **state)
{
	struct dbt_answer a[2];
	struct db *db;

	(void)state;
	assert_int_equal(db_alloc(&db, t.env.app_url, 1, 4), 0);
	assert_true(dbt_wait_ready(db, 5000));
	memset(a, 0, sizeof(a));
	for (int i = 0; i < 2; i++)
		assert_int_equal(db_query(db, none, dbt_answered, &a[i],
					  "SELECT pg_sleep(0.02)", 0, NULL),
				 0);
	drained = false;
	db_drain(db, drained_handler, NULL);
	assert_int_equal(db_query(db, none, dbt_answered, &a[0], "SELECT 1",
				  0, NULL), ECANCELED);
	assert_false(db_ready(db));
	assert_int_equal(loop_run(5000), 0);
	assert_true(drained);
	for (int i = 0; i < 2; i++) {
		assert_true(a[i].done);
		assert_int_equal(a[i].err, 0);
	}
	mem_deref(db);
}


static void test_unreachable(void **state)
{
	struct dbt_answer a;
	struct db *db;
	uint64_t t0;

	(void)state;
	assert_int_equal(db_alloc(&db, "host=/nonexistent port=1 dbname=x"
				  " user=x connect_timeout=2", 2, 4), 0);
	(void)loop_run(150);
	assert_false(db_ready(db));

	t0 = tmr_jiffies();
	assert_int_equal(db_query(db, none, dbt_answered, &a, "SELECT 1", 0,
				  NULL), EAGAIN);
	assert_true(tmr_jiffies() - t0 < 50);
	mem_deref(db);

	assert_int_equal(db_alloc(&db, "", 0, 4), EINVAL);
	assert_int_equal(db_alloc(&db, NULL, 1, 4), EINVAL);
}


struct note {
	unsigned count;
	char payload[64];
};

static void notified(const char *channel, const char *payload, void *arg)
{
	struct note *n = arg;

	assert_string_equal(channel, "test_chan");
	str_ncpy(n->payload, payload, sizeof(n->payload));
	++n->count;
	re_cancel();
}


/* NOTIFY until the listener hears it: LISTEN is asynchronous. */
static void expect_notify(struct note *n, const char *payload)
{
	const char *pv[1] = {payload};
	struct dbt_answer a;

	n->count = 0;
	for (int i = 0; i < 100 && !n->count; i++) {
		(void)dbt_val(t.app, none, &a,
			  "SELECT pg_notify('test_chan', $1)", 1, pv);
		(void)loop_run(50);
	}
	assert_true(n->count > 0);
	assert_string_equal(n->payload, payload);
}


static void test_listen(void **state)
{
	static struct note n;

	(void)state;
	assert_int_equal(db_listen(t.app, "test_chan", notified, &n), 0);
	assert_int_equal(db_listen(t.app, "", notified, &n), EINVAL);
	expect_notify(&n, "hello");
}


static void test_reconnect(void **state)
{
	static struct note n;
	char cmd[1200], datadir[512];
	const char *tool = getenv("OPENSEAT_PG_LOCAL");
	struct dbt_answer a, slow;

	(void)state;
	tool = tool ? tool : "tools/pg-local";
	assert_int_equal(access(tool, X_OK), 0);
	str_ncpy(datadir, dbt_val(t.admin, none, &a, "SHOW data_directory",
			      0, NULL), sizeof(datadir));

	/* a job in flight when the server goes away fails with EAGAIN */
	memset(&slow, 0, sizeof(slow));
	dbt_pending = 1;
	assert_int_equal(db_query(t.app, none, dbt_answered, &slow,
				  "SELECT pg_sleep(10)", 0, NULL), 0);
	(void)loop_run(50);
	re_snprintf(t.restart_cmd, sizeof(t.restart_cmd), "%s start '%s'",
		    tool, datadir);
	re_snprintf(cmd, sizeof(cmd), "%s stop '%s'", tool, datadir);
	assert_int_equal(system(cmd), 0);
	dbt_wait();
	assert_int_equal(slow.err, EAGAIN);

	for (int i = 0; i < 50 && db_ready(t.app); i++)
		(void)loop_run(20);
	assert_false(db_ready(t.app));
	assert_int_equal(dbt_run(t.app, none, &a, "SELECT 1", 0, NULL),
			 EAGAIN);

	assert_int_equal(system(t.restart_cmd), 0);
	t.restart_cmd[0] = '\0';

	/* backoff is at most 5 s */
	assert_true(dbt_wait_ready(t.app, 8000));
	assert_true(dbt_wait_ready(t.admin, 8000));
	assert_string_equal(dbt_val(t.app, none, &a, "SELECT 1", 0, NULL),
			    "1");

	/* the listener LISTENs again */
	assert_int_equal(db_listen(t.app, "test_chan", notified, &n), 0);
	expect_notify(&n, "again");
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_requests_before_records),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_reconnect),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
