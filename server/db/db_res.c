/* Database results: rows copied out of libpq, accessors, SQLSTATE map. */
#include <string.h>
#include <stdlib.h>
#include "db/db_int.h"


/* SQLSTATE to errno, the one table. A two-character entry is a class. */
static const struct {
	const char *state;
	int err;
} sqlstate_map[] = {
	{"23505", EEXIST},      /* unique_violation */
	{"23503", EINVAL},      /* foreign_key_violation */
	{"23502", EINVAL},      /* not_null_violation */
	{"23514", EINVAL},      /* check_violation */
	{"22",    EINVAL},      /* data exception */
	{"42501", EACCES},      /* insufficient_privilege */
	{"57014", ETIMEDOUT},   /* query_canceled (statement timeout) */
	{"57P01", EAGAIN},      /* admin_shutdown */
	{"57P02", EAGAIN},      /* crash_shutdown */
	{"57P03", EAGAIN},      /* cannot_connect_now */
	{"08",    EAGAIN},      /* connection exception */
};


static void res_destructor(void *arg)
{
	struct db_res *res = arg;

	for (unsigned i = 0; res->setv && i < res->nstmt; i++) {
		struct db_rset *set = &res->setv[i];
		size_t nval = (size_t)set->nrows * set->ncols;

		for (unsigned c = 0; set->colv && c < set->ncols; c++)
			mem_deref(set->colv[c]);
		for (size_t v = 0; set->valv && v < nval; v++)
			mem_deref(set->valv[v]);
		mem_deref(set->colv);
		mem_deref(set->valv);
	}

	mem_deref(res->setv);
	mem_deref(res->errmsg);
}


/**
 * Map a SQLSTATE to an errno value.
 *
 * @param sqlstate Five-character SQLSTATE or NULL
 *
 * @return errno value (EPROTO for anything not in the table)
 */
int db_sqlstate_err(const char *sqlstate)
{
	if (!sqlstate || strlen(sqlstate) != 5)
		return EPROTO;

	for (size_t i = 0; i < ARRAY_SIZE(sqlstate_map); i++) {
		const char *s = sqlstate_map[i].state;

		if (!strncmp(sqlstate, s, strlen(s)))
			return sqlstate_map[i].err;
	}

	return EPROTO;
}


/**
 * Allocate an empty result for a number of statements.
 *
 * @param resp  Pointer to allocated result
 * @param nstmt Number of statements
 *
 * @return 0 if success, otherwise errorcode
 */
int db_res_alloc(struct db_res **resp, unsigned nstmt)
{
	struct db_res *res;
	int err = 0;

	if (!resp)
		return EINVAL;

	res = mem_zalloc(sizeof(*res), res_destructor);
	if (!res)
		return ENOMEM;

	res->nstmt = nstmt;
	if (nstmt) {
		res->setv = mem_zalloc(nstmt * sizeof(*res->setv), NULL);
		if (!res->setv) {
			err = ENOMEM;
			goto out;
		}
	}

 out:
	if (err)
		mem_deref(res);
	else
		*resp = res;

	return err;
}


/**
 * Copy the rows of one statement's PGresult into the result.
 *
 * @param res  Result
 * @param stmt Statement index
 * @param r    libpq result (not kept)
 *
 * @return 0 if success, otherwise errorcode
 */
int db_res_copy(struct db_res *res, unsigned stmt, const PGresult *r)
{
	struct db_rset *set;
	const char *tuples;
	unsigned nrows, ncols;
	int err = 0;

	if (!res || !r || stmt >= res->nstmt)
		return EINVAL;

	set = &res->setv[stmt];
	if (set->colv || set->valv)
		return EALREADY;

	nrows = (unsigned)PQntuples(r);
	ncols = (unsigned)PQnfields(r);
	tuples = PQcmdTuples((PGresult *)r);
	set->affected = (tuples && *tuples) ? strtoull(tuples, NULL, 10) : 0;

	if (!ncols)
		return 0;

	set->colv = mem_zalloc(ncols * sizeof(char *), NULL);
	set->valv = mem_zalloc((size_t)nrows * ncols * sizeof(char *), NULL);
	if (!set->colv || (nrows && !set->valv))
		return ENOMEM;

	set->ncols = ncols;
	set->nrows = nrows;

	for (unsigned c = 0; c < ncols && !err; c++)
		err = str_dup(&set->colv[c], PQfname(r, (int)c));

	for (unsigned i = 0; i < nrows && !err; i++) {
		for (unsigned c = 0; c < ncols && !err; c++) {
			if (PQgetisnull(r, (int)i, (int)c))
				continue;
			err = str_dup(&set->valv[(size_t)i * ncols + c],
				      PQgetvalue(r, (int)i, (int)c));
		}
	}

	return err;
}


/**
 * Record the error of a failed statement (first error only).
 *
 * @param res Result
 * @param r   libpq result with PGRES_FATAL_ERROR
 */
void db_res_seterr(struct db_res *res, const PGresult *r)
{
	const char *msg, *state;

	if (!res || !r || res->errmsg)
		return;

	msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	if (str_dup(&res->errmsg, msg ? msg : "unknown error"))
		return;

	str_ncpy(res->sqlstate, state ? state : "", sizeof(res->sqlstate));
}


static const struct db_rset *rset(const struct db_res *res, unsigned stmt)
{
	if (!res || stmt >= res->nstmt)
		return NULL;

	return &res->setv[stmt];
}


/**
 * Number of statements in a result (the job's own, not the scope one).
 *
 * @param res Result
 *
 * @return number of statements
 */
unsigned db_res_stmts(const struct db_res *res)
{
	return res ? res->nstmt : 0;
}


/**
 * Number of rows a statement returned.
 *
 * @param res  Result
 * @param stmt Statement index, 0 = first statement added
 *
 * @return number of rows, 0 if out of range
 */
unsigned db_nrows(const struct db_res *res, unsigned stmt)
{
	const struct db_rset *set = rset(res, stmt);

	return set ? set->nrows : 0;
}


/**
 * Number of columns of a statement's rows.
 *
 * @param res  Result
 * @param stmt Statement index
 *
 * @return number of columns, 0 if out of range
 */
unsigned db_ncols(const struct db_res *res, unsigned stmt)
{
	const struct db_rset *set = rset(res, stmt);

	return set ? set->ncols : 0;
}


/**
 * Name of a column.
 *
 * @param res  Result
 * @param stmt Statement index
 * @param col  Column index
 *
 * @return column name, NULL if out of range
 */
const char *db_colname(const struct db_res *res, unsigned stmt,
		       unsigned col)
{
	const struct db_rset *set = rset(res, stmt);

	if (!set || col >= set->ncols)
		return NULL;

	return set->colv[col];
}


/**
 * Value of a field as text.
 *
 * @param res  Result
 * @param stmt Statement index
 * @param row  Row index
 * @param col  Column index
 *
 * @return value, NULL for SQL NULL or out of range
 */
const char *db_val(const struct db_res *res, unsigned stmt, unsigned row,
		   unsigned col)
{
	const struct db_rset *set = rset(res, stmt);

	if (!set || row >= set->nrows || col >= set->ncols)
		return NULL;

	return set->valv[(size_t)row * set->ncols + col];
}


/**
 * Value of a field by column name.
 *
 * @param res     Result
 * @param stmt    Statement index
 * @param row     Row index
 * @param colname Column name
 *
 * @return value, NULL for SQL NULL, unknown column or out of range
 */
const char *db_get(const struct db_res *res, unsigned stmt, unsigned row,
		   const char *colname)
{
	const struct db_rset *set = rset(res, stmt);

	if (!set || !colname)
		return NULL;

	for (unsigned c = 0; c < set->ncols; c++) {
		if (!strcmp(set->colv[c], colname))
			return db_val(res, stmt, row, c);
	}

	return NULL;
}


/**
 * Number of rows a statement inserted, updated, deleted or selected.
 *
 * @param res  Result
 * @param stmt Statement index
 *
 * @return affected rows, 0 if out of range
 */
uint64_t db_affected(const struct db_res *res, unsigned stmt)
{
	const struct db_rset *set = rset(res, stmt);

	return set ? set->affected : 0;
}


/**
 * PostgreSQL's primary error message of a failed job.
 *
 * @param res Result
 *
 * @return message, NULL if none
 */
const char *db_errmsg(const struct db_res *res)
{
	return res ? res->errmsg : NULL;
}


/**
 * SQLSTATE of a failed job.
 *
 * @param res Result
 *
 * @return five-character code, NULL if none
 */
const char *db_sqlstate(const struct db_res *res)
{
	return (res && res->sqlstate[0]) ? res->sqlstate : NULL;
}
