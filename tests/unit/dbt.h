/* Test helper: run database jobs against a real PostgreSQL and wait. */
#ifndef OPENSEAT_TEST_DBT_H
#define OPENSEAT_TEST_DBT_H

#include <stdbool.h>
#include "db/db.h"

/* What one job answered: first value of its last statement, error. */
struct dbt_answer {
	int err;
	bool done;
	unsigned nstmt;
	unsigned nrows;
	char val[256];
	char state[6];
	char msg[256];
};

struct dbt_env {
	const char *admin_url;   /* OPENSEAT_TEST_DB_ADMIN */
	const char *app_url;     /* OPENSEAT_TEST_DB */
	const char *migrations;  /* OPENSEAT_TEST_MIGRATIONS or migrations */
};

extern unsigned dbt_pending;  /* jobs the loop waits for */
extern const struct db_ctx dbt_none;
extern const struct db_ctx dbt_oper;

int  dbt_setup(struct dbt_env *env);
void dbt_answered(int err, const struct db_res *res, void *arg);
void dbt_wait(void);
int  dbt_run(struct db *db, const struct db_ctx *ctx, struct dbt_answer *a,
	     const char *sql, unsigned n, const char *const *pv);
const char *dbt_val(struct db *db, const struct db_ctx *ctx,
		    struct dbt_answer *a, const char *sql, unsigned n,
		    const char *const *pv);
bool dbt_wait_ready(struct db *db, unsigned ms);

#endif
