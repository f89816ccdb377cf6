/* Unit tests for the database layer (server/db/) against real PostgreSQL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <re.h>
#include "db/db.h"
#include "loop.h"

/* What one job answered. */
struct answer {
	int err;
	bool done;
	unsigned nstmt;
	unsigned nrows;
	char val[256];
	char state[6];
	char msg[256];
};

static struct {
	const char *admin_url;
	const char *app_url;
	struct db *app;       /* runtime role, pool of 2 */
	struct db *admin;     /* superuser, pool of 1 */
	char tenant_a[40];
	char tenant_b[40];
	char tag[32];         /* unique per run */
	unsigned pending;     /* jobs the loop waits for */
	char restart_cmd[1200]; /* set while the server is stopped */
} t;

static const struct db_ctx none = {DB_NONE, NULL};
static const struct db_ctx oper = {DB_OPERATOR, NULL};


static void answered(int err, const struct db_res *res, void *arg)
{
	struct answer *a = arg;
	const char *v;

	a->err = err;
	a->done = true;
	a->nstmt = db_res_stmts(res);
	if (res && !err && a->nstmt) {
		unsigned last = a->nstmt - 1;

		a->nrows = db_nrows(res, last);
		v = a->nrows ? db_val(res, last, 0, 0) : NULL;
		str_ncpy(a->val, v ? v : "(null)", sizeof(a->val));
	}
	if (res && db_errmsg(res))
		str_ncpy(a->msg, db_errmsg(res), sizeof(a->msg));
	if (res && db_sqlstate(res))
		str_ncpy(a->state, db_sqlstate(res), sizeof(a->state));

	if (t.pending && --t.pending == 0)
		re_cancel();
}


/*
 * Wait until every submitted job answered (5 s at most). Other handlers
 * (notifications) may stop the loop too: run it again until done.
 */
static void wait_pending(void)
{
	const uint64_t end = tmr_jiffies() + 5000;
	uint64_t now;

	while (t.pending && (now = tmr_jiffies()) < end)
		(void)loop_run((unsigned)(end - now));

	assert_int_equal(t.pending, 0);
}


/* Run one statement and wait: the submit error, else the job's error. */
static int run(struct db *db, const struct db_ctx *ctx, struct answer *a,
	       const char *sql, unsigned n, const char *const *pv)
{
	int err;

	memset(a, 0, sizeof(*a));
	t.pending = 1;
	err = db_query(db, ctx, answered, a, sql, n, pv);
	if (err) {
		t.pending = 0;
		return err;
	}
	wait_pending();
	assert_true(a->done);

	return a->err;
}


/* Run one statement that must succeed; returns its first value. */
static const char *val(struct db *db, const struct db_ctx *ctx,
		       struct answer *a, const char *sql, unsigned n,
		       const char *const *pv)
{
	int err = run(db, ctx, a, sql, n, pv);

	if (err)
		fprintf(stderr, "%s: %s (%s)\n", sql, a->msg, a->state);
	assert_int_equal(err, 0);

	return a->val;
}


static bool wait_ready(struct db *db, unsigned ms)
{
	for (unsigned i = 0; i < ms / 20 && !db_ready(db); i++)
		(void)loop_run(20);

	return db_ready(db);
}


static const char *migrations_dir(void)
{
	const char *d = getenv("OPENSEAT_TEST_MIGRATIONS");

	return d ? d : "migrations";
}


static int group_setup(void **state)
{
	struct answer a;
	const char *pv[2];
	char code[48];

	(void)state;
	t.admin_url = getenv("OPENSEAT_TEST_DB_ADMIN");
	t.app_url = getenv("OPENSEAT_TEST_DB");
	if (!t.admin_url || !t.app_url) {
		fprintf(stderr, "test_db: set OPENSEAT_TEST_DB_ADMIN and "
			"OPENSEAT_TEST_DB (tools/pg-local admin-url/url)\n");
		return -1;
	}

	if (libre_init())
		return -1;

	if (db_migrate(t.admin_url, migrations_dir(), false)) {
		fprintf(stderr, "test_db: migrations in %s failed\n",
			migrations_dir());
		return -1;
	}

	if (db_alloc(&t.app, t.app_url, 2, 16) ||
	    db_alloc(&t.admin, t.admin_url, 1, 16))
		return -1;

	if (!wait_ready(t.app, 5000) || !wait_ready(t.admin, 5000)) {
		fprintf(stderr, "test_db: database not ready\n");
		return -1;
	}

	re_snprintf(t.tag, sizeof(t.tag), "%d-%llu", (int)getpid(),
		    (unsigned long long)tmr_jiffies());

	/* Two tenants with users, made as the superuser (no RLS). */
	re_snprintf(code, sizeof(code), "ta-%s", t.tag);
	pv[0] = code;
	str_ncpy(t.tenant_a, val(t.admin, &none, &a,
		 "INSERT INTO tenants (code, name) VALUES ($1, $1)"
		 " RETURNING tenant_id", 1, pv), sizeof(t.tenant_a));
	re_snprintf(code, sizeof(code), "tb-%s", t.tag);
	str_ncpy(t.tenant_b, val(t.admin, &none, &a,
		 "INSERT INTO tenants (code, name) VALUES ($1, $1)"
		 " RETURNING tenant_id", 1, pv), sizeof(t.tenant_b));

	pv[0] = t.tenant_a;
	pv[1] = t.tenant_b;
	(void)val(t.admin, &none, &a,
		  "INSERT INTO users (tenant_id, username, role,"
		  " password_hash) VALUES ($1, 'a1', 'agent', 'x'),"
		  " ($1, 'a2', 'admin', 'x'), ($2, 'b1', 'agent', 'x')",
		  2, pv);

	return 0;
}


static int group_teardown(void **state)
{
	(void)state;
	/* a failed reconnect test must not leave the server down */
	if (t.restart_cmd[0] && system(t.restart_cmd) != 0)
		fprintf(stderr, "test_db: could not restart PostgreSQL\n");
	t.app = mem_deref(t.app);
	t.admin = mem_deref(t.admin);
	libre_close();

	return 0;
}


static void test_query_rows(void **state)
{
	struct answer a;

	(void)state;
	assert_int_equal(run(t.app, &none, &a,
			     "SELECT 1 AS one, NULL::text AS nothing,"
			     " 'x' AS ex UNION ALL SELECT 2, 'y', 'z'",
			     0, NULL), 0);
	assert_int_equal(a.nstmt, 1);
	assert_int_equal(a.nrows, 2);
	assert_string_equal(a.val, "1");
}


static void check_rows(int err, const struct db_res *res, void *arg)
{
	struct answer *a = arg;

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
	answered(err, res, a);
}


static void test_result_access(void **state)
{
	struct answer a;

	(void)state;
	memset(&a, 0, sizeof(a));
	t.pending = 1;
	assert_int_equal(db_query(t.app, &none, check_rows, &a,
				  "SELECT 1 AS one, NULL::text AS nothing,"
				  " 'x' AS ex UNION ALL SELECT 2, 'y', 'z'",
				  0, NULL), 0);
	wait_pending();
	assert_true(a.done);
}


static void test_params(void **state)
{
	const char *pv[3] = {"2", "40", NULL};
	struct answer a;

	(void)state;
	assert_string_equal(val(t.app, &none, &a,
				"SELECT ($1::int + $2::int)::text ||"
				" ($3::text IS NULL)::text", 3, pv),
			    "42true");

	/* Bad calls: clear error, no callback */
	assert_int_equal(db_query(t.app, &none, answered, &a, NULL, 0, NULL),
			 EINVAL);
	assert_int_equal(db_query(t.app, &none, answered, &a, "SELECT 1", 1,
				  NULL), EINVAL);
	assert_int_equal(db_query(t.app, &none, NULL, &a, "SELECT 1", 0,
				  NULL), EINVAL);
	assert_int_equal(db_query(NULL, &none, answered, &a, "SELECT 1", 0,
				  NULL), EINVAL);
	assert_int_equal(db_query(t.app, &(struct db_ctx){DB_TENANT, NULL},
				  answered, &a, "SELECT 1", 0, NULL), EINVAL);
}


static void test_errors(void **state)
{
	const char *pv[2];
	struct answer a;
	char code[48];

	(void)state;
	re_snprintf(code, sizeof(code), "ta-%s", t.tag);
	pv[0] = code;
	assert_int_equal(run(t.app, &oper, &a,
			     "INSERT INTO tenants (code, name)"
			     " VALUES ($1, 'dup')", 1, pv), EEXIST);
	assert_string_equal(a.state, "23505");
	assert_non_null(strstr(a.msg, "duplicate key"));

	pv[0] = "not-a-uuid";
	assert_int_equal(run(t.app, &none, &a, "SELECT $1::uuid", 1, pv),
			 EINVAL);
	assert_string_equal(a.state, "22P02");

	pv[0] = "Bad Code!";
	assert_int_equal(run(t.app, &oper, &a,
			     "INSERT INTO tenants (code, name)"
			     " VALUES ($1, 'x')", 1, pv), EINVAL);
	assert_string_equal(a.state, "23514");

	assert_int_equal(run(t.app, &none, &a, "SELEKT 1", 0, NULL),
			 EPROTO);
	assert_string_equal(a.state, "42601");

	/* openseat_app may not create tables */
	assert_int_equal(run(t.app, &none, &a, "CREATE TABLE nope (x int)",
			     0, NULL), EACCES);

	/* the connection stays usable after errors */
	assert_string_equal(val(t.app, &none, &a, "SELECT 7", 0, NULL), "7");
}


static void test_txn_atomic(void **state)
{
	struct db_txn *tx;
	struct answer a;
	const char *pv[1];
	char code[48];

	(void)state;
	re_snprintf(code, sizeof(code), "atomic-%s", t.tag);
	pv[0] = code;

	assert_int_equal(db_txn_alloc(&tx, &oper), 0);
	assert_int_equal(db_txn_add(tx, "INSERT INTO tenants (code, name)"
				    " VALUES ($1, 'one')", 1, pv), 0);
	assert_int_equal(db_txn_add(tx, "INSERT INTO tenants (code, name)"
				    " VALUES ($1, 'two')", 1, pv), 0);
	assert_int_equal(db_txn_add(tx, NULL, 0, NULL), EINVAL);

	memset(&a, 0, sizeof(a));
	t.pending = 1;
	assert_int_equal(db_txn_exec(t.app, tx, answered, &a), 0);
	wait_pending();
	assert_int_equal(a.err, EEXIST);

	/* the first insert was rolled back with the second */
	assert_string_equal(val(t.app, &oper, &a,
				"SELECT count(*) FROM tenants WHERE code = $1",
				1, pv), "0");

	/* a successful transaction: results of each statement */
	assert_int_equal(db_txn_alloc(&tx, &oper), 0);
	assert_int_equal(db_txn_add(tx, "INSERT INTO tenants (code, name)"
				    " VALUES ($1, 'one')", 1, pv), 0);
	assert_int_equal(db_txn_add(tx, "SELECT name FROM tenants"
				    " WHERE code = $1", 1, pv), 0);
	memset(&a, 0, sizeof(a));
	t.pending = 1;
	assert_int_equal(db_txn_exec(t.app, tx, answered, &a), 0);
	wait_pending();
	assert_int_equal(a.err, 0);
	assert_int_equal(a.nstmt, 2);
	assert_string_equal(a.val, "one");

	/* an empty transaction is refused, and freed */
	assert_int_equal(db_txn_alloc(&tx, &oper), 0);
	assert_int_equal(db_txn_exec(t.app, tx, answered, &a), EINVAL);
}


static void test_scope_is_local(void **state)
{
	const struct db_ctx ta = {DB_TENANT, t.tenant_a};
	struct answer a;

	(void)state;
	/* set within the job, gone after it, on every connection */
	for (int i = 0; i < 4; i++) {
		assert_string_equal(val(t.app, &ta, &a,
			"SELECT current_setting('openseat.tenant_id', true)",
			0, NULL), t.tenant_a);
		assert_string_equal(val(t.app, &none, &a,
			"SELECT coalesce(current_setting("
			"'openseat.tenant_id', true), '')", 0, NULL), "");
		assert_string_equal(val(t.app, &oper, &a,
			"SELECT current_user", 0, NULL), "openseat_operator");
		assert_string_equal(val(t.app, &none, &a,
			"SELECT current_user", 0, NULL), "openseat_app");
	}
}


static void test_scope_txn(void **state)
{
	const struct db_ctx ta = {DB_TENANT, t.tenant_a};
	struct db_txn *tx;
	struct answer a;

	(void)state;
	/* the setting holds for every statement up to the Sync */
	assert_int_equal(db_txn_alloc(&tx, &ta), 0);
	assert_int_equal(db_txn_add(tx, "SELECT 1", 0, NULL), 0);
	assert_int_equal(db_txn_add(tx, "SELECT current_setting("
				    "'openseat.tenant_id', true)", 0, NULL),
			 0);
	memset(&a, 0, sizeof(a));
	t.pending = 1;
	assert_int_equal(db_txn_exec(t.app, tx, answered, &a), 0);
	wait_pending();
	assert_int_equal(a.err, 0);
	assert_int_equal(a.nstmt, 2);
	assert_string_equal(a.val, t.tenant_a);

	/* statement timeout maps to ETIMEDOUT */
	assert_int_equal(db_txn_alloc(&tx, &none), 0);
	assert_int_equal(db_txn_add(tx, "SELECT set_config("
				    "'statement_timeout', '50', true)",
				    0, NULL), 0);
	assert_int_equal(db_txn_add(tx, "SELECT pg_sleep(2)", 0, NULL), 0);
	memset(&a, 0, sizeof(a));
	t.pending = 1;
	assert_int_equal(db_txn_exec(t.app, tx, answered, &a), 0);
	wait_pending();
	assert_int_equal(a.err, ETIMEDOUT);
	assert_string_equal(a.state, "57014");
}


static void test_rls(void **state)
{
	const struct db_ctx ta = {DB_TENANT, t.tenant_a};
	const struct db_ctx tb = {DB_TENANT, t.tenant_b};
	const char *pv[1];
	struct answer a;

	(void)state;
	assert_string_equal(val(t.app, &none, &a,
				"SELECT count(*) FROM users", 0, NULL), "0");
	assert_string_equal(val(t.app, &none, &a,
				"SELECT count(*) FROM tenants", 0, NULL),
			    "0");
	assert_string_equal(val(t.app, &ta, &a,
				"SELECT count(*) FROM users", 0, NULL), "2");
	assert_string_equal(val(t.app, &tb, &a,
				"SELECT string_agg(username, ',')"
				" FROM users", 0, NULL), "b1");
	assert_string_equal(val(t.app, &ta, &a,
				"SELECT count(*) FROM tenants", 0, NULL),
			    "1");

	/* A cannot write a row for B */
	pv[0] = t.tenant_b;
	assert_int_equal(run(t.app, &ta, &a,
			     "INSERT INTO users (tenant_id, username, role,"
			     " password_hash) VALUES ($1, 'evil', 'admin',"
			     " 'x')", 1, pv), EACCES);
	assert_int_equal(run(t.app, &ta, &a,
			     "UPDATE users SET display_name = 'x'"
			     " WHERE tenant_id = $1", 1, pv), 0);
	assert_string_equal(val(t.app, &tb, &a,
				"SELECT count(*) FROM users"
				" WHERE display_name = 'x'", 0, NULL), "0");

	/* operator sees every tenant; platform tables only for it */
	assert_true(atoi(val(t.app, &oper, &a,
			     "SELECT count(*) FROM users", 0, NULL)) >= 3);
	assert_string_equal(val(t.app, &none, &a,
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
	struct answer a;

	(void)state;
	/* the real migrations again: nothing to do */
	assert_int_equal(db_migrate(t.admin_url, migrations_dir(), false), 0);
	assert_string_equal(val(t.admin, &none, &a,
				"SELECT count(*) >= 1 FROM schema_migrations",
				0, NULL), "t");

	/* a private schema, so versions do not meet the real ones */
	re_snprintf(schema, sizeof(mig_schema), "mig_%s", t.tag);
	for (char *p = schema; *p; p++)
		*p = *p == '-' ? '_' : *p;
	re_snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
	(void)val(t.admin, &none, &a, sql, 0, NULL);
	re_snprintf(mig_url, sizeof(mig_url),
		    "%s options='-csearch_path=%s'", t.admin_url, schema);

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
	assert_string_equal(val(t.admin, &none, &a, sql, 0, NULL),
			    "0001_ok.sql");
	re_snprintf(sql, sizeof(sql), "SELECT to_regclass('%s.t2') IS NULL"
		    " AND (SELECT count(*) FROM %s.t1) = 0", schema, schema);
	assert_string_equal(val(t.admin, &none, &a, sql, 0, NULL), "t");
}


static void test_migrate_changed(void **state)
{
	char *dir = mig_dir, *schema = mig_schema, sql[128], log[4096];
	struct answer a;

	(void)state;
	assert_true(schema[0]);

	/* fixed: applies once, then nothing */
	write_file(dir, "0002_bad.sql", "CREATE TABLE t2 (x int);");
	assert_int_equal(migrate_tmp(dir), 0);
	assert_int_equal(migrate_tmp(dir), 0);
	re_snprintf(sql, sizeof(sql), "SELECT count(*)"
		    " FROM %s.schema_migrations", schema);
	assert_string_equal(val(t.admin, &none, &a, sql, 0, NULL), "2");

	/* an applied file that changed is an error */
	write_file(dir, "0001_ok.sql", "CREATE TABLE t1 (y int);");
	assert_int_equal(capture(log, sizeof(log), migrate_tmp, dir),
			 EPROTO);
	assert_non_null(strstr(log, "0001_ok.sql"));

	assert_int_equal(db_migrate(t.admin_url, "/nonexistent", false),
			 ENOENT);

	re_snprintf(sql, sizeof(sql), "rm -rf %s", dir);
	assert_int_equal(system(sql), 0);
	re_snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", schema);
	(void)val(t.admin, &none, &a, sql, 0, NULL);
}


static void test_queue_full(void **state)
{
	struct answer a[4];
	struct db_stats st;
	struct db *db;

	(void)state;
	assert_int_equal(db_alloc(&db, t.app_url, 1, 2), 0);
	assert_true(wait_ready(db, 5000));

	memset(a, 0, sizeof(a));
	t.pending = 3;
	for (int i = 0; i < 3; i++)
		assert_int_equal(db_query(db, &none, answered, &a[i],
					  "SELECT pg_sleep(0.05)", 0, NULL),
				 0);
	assert_int_equal(db_query(db, &none, answered, &a[3],
				  "SELECT 1", 0, NULL), EBUSY);

	db_stats_get(db, &st);
	assert_int_equal(st.conns, 1);
	assert_int_equal(st.conns_up, 1);
	assert_int_equal(st.busy, 1);
	assert_int_equal(st.queued, 2);

	wait_pending();
	for (int i = 0; i < 3; i++)
		assert_int_equal(a[i].err, 0);
	assert_false(a[3].done);

	db_stats_get(db, &st);
	assert_int_equal(st.queries, 3);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.lat_bucket[6] + st.lat_bucket[7], 3);
	assert_true(st.lat_sum_s > 0.15);
	mem_deref(db);
}


static void test_shutdown(void **state)
{
	struct answer a[3];
	struct db *db;

	(void)state;
	/* the destructor fails every job with ECANCELED, once */
	assert_int_equal(db_alloc(&db, t.app_url, 1, 4), 0);
	assert_true(wait_ready(db, 5000));
	memset(a, 0, sizeof(a));
	for (int i = 0; i < 3; i++)
		assert_int_equal(db_query(db, &none, answered, &a[i],
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
	struct answer a[2];
	struct db *db;

	(void)state;
	assert_int_equal(db_alloc(&db, t.app_url, 1, 4), 0);
	assert_true(wait_ready(db, 5000));
	memset(a, 0, sizeof(a));
	for (int i = 0; i < 2; i++)
		assert_int_equal(db_query(db, &none, answered, &a[i],
					  "SELECT pg_sleep(0.02)", 0, NULL),
				 0);
	drained = false;
	db_drain(db, drained_handler, NULL);
	assert_int_equal(db_query(db, &none, answered, &a[0], "SELECT 1",
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
	struct answer a;
	struct db *db;
	uint64_t t0;

	(void)state;
	assert_int_equal(db_alloc(&db, "host=/nonexistent port=1 dbname=x"
				  " user=x connect_timeout=2", 2, 4), 0);
	(void)loop_run(150);
	assert_false(db_ready(db));

	t0 = tmr_jiffies();
	assert_int_equal(db_query(db, &none, answered, &a, "SELECT 1", 0,
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
	struct answer a;

	n->count = 0;
	for (int i = 0; i < 100 && !n->count; i++) {
		(void)val(t.app, &none, &a,
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
	struct answer a, slow;

	(void)state;
	tool = tool ? tool : "tools/pg-local";
	assert_int_equal(access(tool, X_OK), 0);
	str_ncpy(datadir, val(t.admin, &none, &a, "SHOW data_directory",
			      0, NULL), sizeof(datadir));

	/* a job in flight when the server goes away fails with EAGAIN */
	memset(&slow, 0, sizeof(slow));
	t.pending = 1;
	assert_int_equal(db_query(t.app, &none, answered, &slow,
				  "SELECT pg_sleep(10)", 0, NULL), 0);
	(void)loop_run(50);
	re_snprintf(t.restart_cmd, sizeof(t.restart_cmd), "%s start '%s'",
		    tool, datadir);
	re_snprintf(cmd, sizeof(cmd), "%s stop '%s'", tool, datadir);
	assert_int_equal(system(cmd), 0);
	wait_pending();
	assert_int_equal(slow.err, EAGAIN);

	for (int i = 0; i < 50 && db_ready(t.app); i++)
		(void)loop_run(20);
	assert_false(db_ready(t.app));
	assert_int_equal(run(t.app, &none, &a, "SELECT 1", 0, NULL), EAGAIN);

	assert_int_equal(system(t.restart_cmd), 0);
	t.restart_cmd[0] = '\0';

	/* backoff is at most 5 s */
	assert_true(wait_ready(t.app, 8000));
	assert_true(wait_ready(t.admin, 8000));
	assert_string_equal(val(t.app, &none, &a, "SELECT 1", 0, NULL), "1");

	/* the listener LISTENs again */
	assert_int_equal(db_listen(t.app, "test_chan", notified, &n), 0);
	expect_notify(&n, "again");
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
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_drain),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_reconnect),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
