/* Unit tests for the database layer (server/db/): queries, scope, RLS. */
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
	char tenant_a[40];
	char tenant_b[40];
	char tag[32];         /* unique per run */
} t;

static const struct db_ctx *const none = &dbt_none;
static const struct db_ctx *const oper = &dbt_oper;


static int make_tenants(void)
{
	struct dbt_answer a;
	const char *pv[2];
	char code[48];

	/* Two tenants with users, made as the superuser (no RLS). */
	re_snprintf(code, sizeof(code), "ta-%s", t.tag);
	pv[0] = code;
	str_ncpy(t.tenant_a, dbt_val(t.admin, none, &a,
		 "INSERT INTO tenants (code, name) VALUES ($1, $1)"
		 " RETURNING tenant_id", 1, pv), sizeof(t.tenant_a));
	re_snprintf(code, sizeof(code), "tb-%s", t.tag);
	str_ncpy(t.tenant_b, dbt_val(t.admin, none, &a,
		 "INSERT INTO tenants (code, name) VALUES ($1, $1)"
		 " RETURNING tenant_id", 1, pv), sizeof(t.tenant_b));

	pv[0] = t.tenant_a;
	pv[1] = t.tenant_b;
	(void)dbt_val(t.admin, none, &a,
		      "INSERT INTO users (tenant_id, username, role,"
		      " password_hash) VALUES ($1, 'a1', 'agent', 'x'),"
		      " ($1, 'a2', 'admin', 'x'), ($2, 'b1', 'agent', 'x')",
		      2, pv);

	return 0;
}


static int group_setup(void **state)
{
	(void)state;
	if (dbt_setup(&t.env))
		return -1;

	if (db_alloc(&t.app, t.env.app_url, 2, 16) ||
	    db_alloc(&t.admin, t.env.admin_url, 1, 16))
		return -1;

	if (!dbt_wait_ready(t.app, 5000) || !dbt_wait_ready(t.admin, 5000)) {
		fprintf(stderr, "test_db: database not ready\n");
		return -1;
	}

	re_snprintf(t.tag, sizeof(t.tag), "%d-%llu", (int)getpid(),
		    (unsigned long long)tmr_jiffies());

	return make_tenants();
}


static int group_teardown(void **state)
{
	(void)state;
	t.app = mem_deref(t.app);
	t.admin = mem_deref(t.admin);
	libre_close();

	return 0;
}


static void test_query_rows(void **state)
{
	struct dbt_answer a;

	(void)state;
	assert_int_equal(dbt_run(t.app, none, &a,
			     "SELECT 1 AS one, NULL::text AS nothing,"
			     " 'x' AS ex UNION ALL SELECT 2, 'y', 'z'",
			     0, NULL), 0);
	assert_int_equal(a.nstmt, 1);
	assert_int_equal(a.nrows, 2);
	assert_string_equal(a.val, "1");
}


static void check_rows(int err, const struct db_res *res, void *arg)
{
	struct dbt_answer *a = arg;

	assert_int_equal(err, 0);
	assert_int_equal(db_res_stmts(res), 1);
	assert_int_equal(db_nrows(res, 0), 2);
	assert_int_equal(db_ncols(res, 0), 3);
	assert_string_equal(db_colname(res, 0, 2), "ex");
	assert_null(db_colname(res, 0, 3));
	assert_string_equal(db_val(res, 0, 1, 0), "2");
	assert_null(db_val(res, 0, 0, 1));            /* SQL NULL */
	assert_string_equal(db_val(res, 0, 1, 1), "y");
	assert_string_equal(db_get(res, 0, 1, "ex"), "z");
	assert_null(db_get(res, 0, 0, "missing"));
	assert_null(db_val(res, 0, 2, 0));            /* out of range */
	assert_null(db_val(res, 1, 0, 0));
	assert_int_equal(db_nrows(res, 1), 0);
	assert_int_equal(db_affected(res, 0), 2);
	assert_null(db_errmsg(res));
	assert_null(db_sqlstate(res));
	dbt_answered(err, res, a);
}


static void test_result_access(void **state)
{
	struct dbt_answer a;

	(void)state;
	memset(&a, 0, sizeof(a));
	dbt_pending = 1;
	assert_int_equal(db_query(t.app, none, check_rows, &a,
				  "SELECT 1 AS one, NULL::text AS nothing,"
				  " 'x' AS ex UNION ALL SELECT 2, 'y', 'z'",
				  0, NULL), 0);
	dbt_wait();
	assert_true(a.done);
}


static void test_params(void **state)
{
	const char *pv[3] = {"2", "40", NULL};
	struct dbt_answer a;

	(void)state;
	assert_string_equal(dbt_val(t.app, none, &a,
				"SELECT ($1::int + $2::int)::text ||"
				" ($3::text IS NULL)::text", 3, pv),
			    "42true");

	/* Bad calls: clear error, no callback */
	assert_int_equal(db_query(t.app, none, dbt_answered, &a, NULL, 0,
				  NULL), EINVAL);
	assert_int_equal(db_query(t.app, none, dbt_answered, &a, "SELECT 1", 1,
				  NULL), EINVAL);
	assert_int_equal(db_query(t.app, none, NULL, &a, "SELECT 1", 0,
				  NULL), EINVAL);
	assert_int_equal(db_query(NULL, none, dbt_answered, &a, "SELECT 1", 0,
				  NULL), EINVAL);
	assert_int_equal(db_query(t.app, &(struct db_ctx){DB_TENANT, NULL},
				  dbt_answered, &a, "SELECT 1", 0, NULL),
			 EINVAL);
}


static void test_errors(void **state)
{
	const char *pv[2];
	struct dbt_answer a;
	char code[48];

	(void)state;
	re_snprintf(code, sizeof(code), "ta-%s", t.tag);
	pv[0] = code;
	assert_int_equal(dbt_run(t.app, oper, &a,
			     "INSERT INTO tenants (code, name)"
			     " VALUES ($1, 'dup')", 1, pv), EEXIST);
	assert_string_equal(a.state, "23505");
	assert_non_null(strstr(a.msg, "duplicate key"));

	pv[0] = "not-a-uuid";
	assert_int_equal(dbt_run(t.app, none, &a, "SELECT $1::uuid", 1, pv),
			 EINVAL);
	assert_string_equal(a.state, "22P02");

	pv[0] = "Bad Code!";
	assert_int_equal(dbt_run(t.app, oper, &a,
			     "INSERT INTO tenants (code, name)"
			     " VALUES ($1, 'x')", 1, pv), EINVAL);
	assert_string_equal(a.state, "23514");

	assert_int_equal(dbt_run(t.app, none, &a, "SELEKT 1", 0, NULL),
			 EPROTO);
	assert_string_equal(a.state, "42601");

	/* openseat_app may not create tables */
	assert_int_equal(dbt_run(t.app, none, &a, "CREATE TABLE nope (x int)",
			     0, NULL), EACCES);

	/* the connection stays usable after errors */
	assert_string_equal(dbt_val(t.app, none, &a, "SELECT 7", 0, NULL),
			    "7");
}


static void test_txn_atomic(void **state)
{
	struct db_txn *tx;
	struct dbt_answer a;
	const char *pv[1];
	char code[48];

	(void)state;
	re_snprintf(code, sizeof(code), "atomic-%s", t.tag);
	pv[0] = code;

	assert_int_equal(db_txn_alloc(&tx, oper), 0);
	assert_int_equal(db_txn_add(tx, "INSERT INTO tenants (code, name)"
				    " VALUES ($1, 'one')", 1, pv), 0);
	assert_int_equal(db_txn_add(tx, "INSERT INTO tenants (code, name)"
				    " VALUES ($1, 'two')", 1, pv), 0);
	assert_int_equal(db_txn_add(tx, NULL, 0, NULL), EINVAL);

	memset(&a, 0, sizeof(a));
	dbt_pending = 1;
	assert_int_equal(db_txn_exec(t.app, tx, dbt_answered, &a), 0);
	dbt_wait();
	assert_int_equal(a.err, EEXIST);

	/* the first insert was rolled back with the second */
	assert_string_equal(dbt_val(t.app, oper, &a,
				"SELECT count(*) FROM tenants WHERE code = $1",
				1, pv), "0");

	/* a successful transaction: results of each statement */
	assert_int_equal(db_txn_alloc(&tx, oper), 0);
	assert_int_equal(db_txn_add(tx, "INSERT INTO tenants (code, name)"
				    " VALUES ($1, 'one')", 1, pv), 0);
	assert_int_equal(db_txn_add(tx, "SELECT name FROM tenants"
				    " WHERE code = $1", 1, pv), 0);
	memset(&a, 0, sizeof(a));
	dbt_pending = 1;
	assert_int_equal(db_txn_exec(t.app, tx, dbt_answered, &a), 0);
	dbt_wait();
	assert_int_equal(a.err, 0);
	assert_int_equal(a.nstmt, 2);
	assert_string_equal(a.val, "one");

	/* an empty transaction is refused, and freed */
	assert_int_equal(db_txn_alloc(&tx, oper), 0);
	assert_int_equal(db_txn_exec(t.app, tx, dbt_answered, &a), EINVAL);
}


static void test_scope_is_local(void **state)
{
	const struct db_ctx ta = {DB_TENANT, t.tenant_a};
	struct dbt_answer a;

	(void)state;
	/* set within the job, gone after it, on every connection */
	for (int i = 0; i < 4; i++) {
		assert_string_equal(dbt_val(t.app, &ta, &a,
			"SELECT current_setting('openseat.tenant_id', true)",
			0, NULL), t.tenant_a);
		assert_string_equal(dbt_val(t.app, none, &a,
			"SELECT coalesce(current_setting("
			"'openseat.tenant_id', true), '')", 0, NULL), "");
		assert_string_equal(dbt_val(t.app, oper, &a,
			"SELECT current_user", 0, NULL), "openseat_operator");
		assert_string_equal(dbt_val(t.app, none, &a,
			"SELECT current_user", 0, NULL), "openseat_app");
	}
}


static void test_scope_txn(void **state)
{
	const struct db_ctx ta = {DB_TENANT, t.tenant_a};
	struct db_txn *tx;
	struct dbt_answer a;

	(void)state;
	/* the setting holds for every statement up to the Sync */
	assert_int_equal(db_txn_alloc(&tx, &ta), 0);
	assert_int_equal(db_txn_add(tx, "SELECT 1", 0, NULL), 0);
	assert_int_equal(db_txn_add(tx, "SELECT current_setting("
				    "'openseat.tenant_id', true)", 0, NULL),
			 0);
	memset(&a, 0, sizeof(a));
	dbt_pending = 1;
	assert_int_equal(db_txn_exec(t.app, tx, dbt_answered, &a), 0);
	dbt_wait();
	assert_int_equal(a.err, 0);
	assert_int_equal(a.nstmt, 2);
	assert_string_equal(a.val, t.tenant_a);

	/* statement timeout maps to ETIMEDOUT */
	assert_int_equal(db_txn_alloc(&tx, none), 0);
	assert_int_equal(db_txn_add(tx, "SELECT set_config("
				    "'statement_timeout', '50', true)",
				    0, NULL), 0);
	assert_int_equal(db_txn_add(tx, "SELECT pg_sleep(2)", 0, NULL), 0);
	memset(&a, 0, sizeof(a));
	dbt_pending = 1;
	assert_int_equal(db_txn_exec(t.app, tx, dbt_answered, &a), 0);
	dbt_wait();
	assert_int_equal(a.err, ETIMEDOUT);
	assert_string_equal(a.state, "57014");
}


static void test_rls(void **state)
{
	const struct db_ctx ta = {DB_TENANT, t.tenant_a};
	const struct db_ctx tb = {DB_TENANT, t.tenant_b};
	const char *pv[1];
	struct dbt_answer a;

	(void)state;
	assert_string_equal(dbt_val(t.app, none, &a,
				"SELECT count(*) FROM users", 0, NULL), "0");
	assert_string_equal(dbt_val(t.app, none, &a,
				"SELECT count(*) FROM tenants", 0, NULL),
			    "0");
	assert_string_equal(dbt_val(t.app, &ta, &a,
				"SELECT count(*) FROM users", 0, NULL), "2");
	assert_string_equal(dbt_val(t.app, &tb, &a,
				"SELECT string_agg(username, ',')"
				" FROM users", 0, NULL), "b1");
	assert_string_equal(dbt_val(t.app, &ta, &a,
				"SELECT count(*) FROM tenants", 0, NULL),
			    "1");

	/* A cannot write a row for B */
	pv[0] = t.tenant_b;
	assert_int_equal(dbt_run(t.app, &ta, &a,
			     "INSERT INTO users (tenant_id, username, role,"
			     " password_hash) VALUES ($1, 'evil', 'admin',"
			     " 'x')", 1, pv), EACCES);
	assert_int_equal(dbt_run(t.app, &ta, &a,
			     "UPDATE users SET display_name = 'x'"
			     " WHERE tenant_id = $1", 1, pv), 0);
	assert_string_equal(dbt_val(t.app, &tb, &a,
				"SELECT count(*) FROM users"
				" WHERE display_name = 'x'", 0, NULL), "0");

	/* operator sees every tenant; platform tables only for it */
	assert_true(atoi(dbt_val(t.app, oper, &a,
			     "SELECT count(*) FROM users", 0, NULL)) >= 3);
	assert_string_equal(dbt_val(t.app, none, &a,
				"SELECT count(*) FROM operators", 0, NULL),
			    "0");
}


/* Capture stderr into a file while f runs; return what was written. */
static int capture(char *buf, size_t sz, int (*f)(const char *),
		   const char *a1)
{
	char path[] = "/tmp/test_db_log_XXXXXX";
	int fd = mkstemp(path);
	int saved, err;
	ssize_t n;

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	err = f(a1);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sz - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);

	return err;
}


static char mig_url[1024];

static int migrate_tmp(const char *dir)
{
	return db_migrate(mig_url, dir, false);
}


static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	re_snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}


static char mig_dir[] = "/tmp/test_db_mig_XXXXXX";
static char mig_schema[64];


static void test_migrate(void **state)
{
	char *dir = mig_dir, *schema = mig_schema, sql[128], log[4096];
	struct dbt_answer a;

	(void)state;
	/* the real migrations again: nothing to do */
	assert_int_equal(db_migrate(t.env.admin_url, t.env.migrations,
				    false), 0);
	assert_string_equal(dbt_val(t.admin, none, &a,
				"SELECT count(*) >= 1 FROM schema_migrations",
				0, NULL), "t");

	/* a private schema, so versions do not meet the real ones */
	re_snprintf(schema, sizeof(mig_schema), "mig_%s", t.tag);
	for (char *p = schema; *p; p++)
		*p = *p == '-' ? '_' : *p;
	re_snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
	(void)dbt_val(t.admin, none, &a, sql, 0, NULL);
	re_snprintf(mig_url, sizeof(mig_url),
		    "%s options='-csearch_path=%s'", t.env.admin_url, schema);

	assert_non_null(mkdtemp(dir));
	write_file(dir, "0001_ok.sql", "CREATE TABLE t1 (x int);");
	write_file(dir, "0002_bad.sql", "CREATE TABLE t2 (x int);\n"
		   "INSERT INTO t1 VALUES (1);\nSELECT no_such_fn();");
	write_file(dir, "README", "not a migration");

	assert_int_equal(capture(log, sizeof(log), migrate_tmp, dir),
			 EPROTO);
	assert_non_null(strstr(log, "0002_bad.sql"));
	assert_non_null(strstr(log, "no_such_fn"));

	/* 0001 stays applied; 0002 rolled back entirely */
	re_snprintf(sql, sizeof(sql), "SELECT string_agg(name, ',')"
		    " FROM %s.schema_migrations", schema);
	assert_string_equal(dbt_val(t.admin, none, &a, sql, 0, NULL),
			    "0001_ok.sql");
	re_snprintf(sql, sizeof(sql), "SELECT to_regclass('%s.t2') IS NULL"
		    " AND (SELECT count(*) FROM %s.t1) = 0", schema, schema);
	assert_string_equal(dbt_val(t.admin, none, &a, sql, 0, NULL), "t");
}


static void test_migrate_changed(void **state)
{
	char *dir = mig_dir, *schema = mig_schema, sql[128], log[4096];
	struct dbt_answer a;

	(void)state;
	assert_true(schema[0]);

	/* fixed: applies once, then nothing */
	write_file(dir, "0002_bad.sql", "CREATE TABLE t2 (x int);");
	assert_int_equal(migrate_tmp(dir), 0);
	assert_int_equal(migrate_tmp(dir), 0);
	re_snprintf(sql, sizeof(sql), "SELECT count(*)"
		    " FROM %s.schema_migrations", schema);
	assert_string_equal(dbt_val(t.admin, none, &a, sql, 0, NULL), "2");

	/* an applied file that changed is an error */
	write_file(dir, "0001_ok.sql", "CREATE TABLE t1 (y int);");
	assert_int_equal(capture(log, sizeof(log), migrate_tmp, dir),
			 EPROTO);
	assert_non_null(strstr(log, "0001_ok.sql"));

	assert_int_equal(db_migrate(t.env.admin_url, "/nonexistent", false),
			 ENOENT);

	re_snprintf(sql, sizeof(sql), "rm -rf %s", dir);
	assert_int_equal(system(sql), 0);
	re_snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", schema);
	(void)dbt_val(t.admin, none, &a, sql, 0, NULL);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_rows),
		cmocka_unit_test(test_result_access),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_txn_atomic),
		cmocka_unit_test(test_scope_is_local),
		cmocka_unit_test(test_scope_txn),
		cmocka_unit_test(test_rls),
		cmocka_unit_test(test_migrate),
		cmocka_unit_test(test_migrate_changed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
