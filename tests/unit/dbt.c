/* Test helper: run database jobs against a real PostgreSQL and wait. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "dbt.h"
#include "loop.h"

unsigned dbt_pending;
const struct db_ctx dbt_none = {DB_NONE, NULL};
const struct db_ctx dbt_oper = {DB_OPERATOR, NULL};


/**
 * Read the test database settings, start libre and migrate the schema.
 * Prints what is missing and fails when the environment is not set.
 *
 * @param env Settings to fill
 *
 * @return 0 if success, otherwise errorcode
 */
int dbt_setup(struct dbt_env *env)
{
	const char *d = getenv("OPENSEAT_TEST_MIGRATIONS");
	int err;

	env->admin_url = getenv("OPENSEAT_TEST_DB_ADMIN");
	env->app_url = getenv("OPENSEAT_TEST_DB");
	env->migrations = d ? d : "migrations";
	if (!env->admin_url || !env->app_url) {
		fprintf(stderr, "set OPENSEAT_TEST_DB_ADMIN and "
			"OPENSEAT_TEST_DB (tools/pg-local admin-url/url)\n");
		return EINVAL;
	}

	err = libre_init();
	if (err)
		return err;

	err = db_migrate(env->admin_url, env->migrations, false);
	if (err)
		fprintf(stderr, "migrations in %s failed\n", env->migrations);

	return err;
}


/**
 * Job handler: record the answer in a struct dbt_answer; stop the loop
 * when the last pending job answered.
 */
void dbt_answered(int err, const struct db_res *res, void *arg)
{
	struct dbt_answer *a = arg;
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

	if (dbt_pending && --dbt_pending == 0)
		re_cancel();
}


/**
 * Wait until every pending job answered (5 s at most). Other handlers
 * (notifications) may stop the loop too: run it again until done.
 */
void dbt_wait(void)
{
	const uint64_t end = tmr_jiffies() + 5000;
	uint64_t now;

	while (dbt_pending && (now = tmr_jiffies()) < end)
		(void)loop_run((unsigned)(end - now));

	assert_int_equal(dbt_pending, 0);
}


/**
 * Run one statement and wait.
 *
 * @return the submit error, else the job's error
 */
int dbt_run(struct db *db, const struct db_ctx *ctx, struct dbt_answer *a,
	    const char *sql, unsigned n, const char *const *pv)
{
	int err;

	memset(a, 0, sizeof(*a));
	dbt_pending = 1;
	err = db_query(db, ctx, dbt_answered, a, sql, n, pv);
	if (err) {
		dbt_pending = 0;
		return err;
	}
	dbt_wait();
	assert_true(a->done);

	return a->err;
}


/**
 * Run one statement that must succeed.
 *
 * @return its first value (of the answer a)
 */
const char *dbt_val(struct db *db, const struct db_ctx *ctx,
		    struct dbt_answer *a, const char *sql, unsigned n,
		    const char *const *pv)
{
	int err = dbt_run(db, ctx, a, sql, n, pv);

	if (err)
		fprintf(stderr, "%s: %s (%s)\n", sql, a->msg, a->state);
	assert_int_equal(err, 0);

	return a->val;
}


/**
 * Run the loop until a pool has a connection up.
 *
 * @return true if ready within ms
 */
bool dbt_wait_ready(struct db *db, unsigned ms)
{
	for (unsigned i = 0; i < ms / 20 && !db_ready(db); i++)
		(void)loop_run(20);

	return db_ready(db);
}
