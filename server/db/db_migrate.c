/* Schema migrations: apply migrations/NNNN_name.sql in order, each once. */
/*
 * This runs only in the `openseat migrate` command, never in the serving
 * loop, so it uses blocking libpq calls.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "db/db_int.h"
#define LOG_MODULE "db"
#include "log/log.h"


enum { MIGRATE_LOCK_KEY = 0x05ea7001 };

struct migration {
	unsigned version;
	char *name;      /**< file name */
	char *path;
};


static void migration_destructor(void *arg)
{
	struct migration *m = arg;

	mem_deref(m->name);
	mem_deref(m->path);
}


/* Run a statement, log and return EPROTO on failure. */
static int exec_params(PGconn *pg, PGresult **rp, const char *what,
		       const char *sql, int n, const char *const *pv)
{
	PGresult *r = PQexecParams(pg, sql, n, NULL, pv, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *msg = PQresultErrorField(r,
						     PG_DIAG_MESSAGE_PRIMARY);

		log_error("migrate: %s: %s", what,
			  msg ? msg : PQerrorMessage(pg));
		PQclear(r);
		return EPROTO;
	}

	if (rp)
		*rp = r;
	else
		PQclear(r);

	return 0;
}


/* Parse NNNN_name.sql; return false if the name does not match. */
static bool migration_name(const char *name, unsigned *versionp)
{
	size_t len = strlen(name);
	unsigned v = 0;
	size_t i;

	for (i = 0; i < len && name[i] >= '0' && name[i] <= '9'; i++)
		v = v * 10 + (unsigned)(name[i] - '0');

	if (i != 4 || name[i] != '_' || len < 10 ||
	    strcmp(name + len - 4, ".sql"))
		return false;

	*versionp = v;

	return true;
}


static int migration_cmp(const void *a, const void *b)
{
	const struct migration *ma = *(struct migration *const *)a;
	const struct migration *mb = *(struct migration *const *)b;

	return (ma->version > mb->version) - (ma->version < mb->version);
}


static int read_file(char **textp, const char *path)
{
	struct mbuf *mb;
	FILE *f;
	char buf[4096];
	size_t n;
	int err = 0;

	f = fopen(path, "r");
	if (!f)
		return errno;

	mb = mbuf_alloc(sizeof(buf));
	if (!mb) {
		err = ENOMEM;
		goto out;
	}

	while (!err && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		err = mbuf_write_mem(mb, (uint8_t *)buf, n);

	if (!err && ferror(f))
		err = EIO;

	if (!err) {
		mb->pos = 0;
		err = mbuf_strdup(mb, textp, mb->end);
	}

 out:
	mem_deref(mb);
	fclose(f);

	return err;
}


/* Append a migration to the growing array *vp of *np entries. */
static int list_add(struct migration ***vp, size_t *np, const char *dir,
		    const char *name, unsigned version)
{
	struct migration **v = *vp;
	struct migration *m;
	size_t n = *np;
	int err;

	if (n % 16 == 0) {
		size_t sz = (n + 16) * sizeof(*v);

		v = v ? mem_realloc(v, sz) : mem_zalloc(sz, NULL);
		if (!v)
			return ENOMEM;
		*vp = v;
	}

	m = mem_zalloc(sizeof(*m), migration_destructor);
	if (!m)
		return ENOMEM;

	v[n] = m;
	*np = n + 1;
	m->version = version;
	err = str_dup(&m->name, name);
	if (!err)
		err = re_sdprintf(&m->path, "%s/%s", dir, name);

	return err;
}


/* List the migration files of dir, sorted by version, into *vp. */
static int list_dir(struct migration ***vp, size_t *np, const char *dir)
{
	struct dirent *de;
	unsigned version;
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (!d) {
		err = errno;
		log_error("migrate: cannot open %s: %m", dir, err);
		return err;
	}

	while (!err && (de = readdir(d))) {
		if (migration_name(de->d_name, &version))
			err = list_add(vp, np, dir, de->d_name, version);
	}
	closedir(d);

	if (*np)
		qsort(*vp, *np, sizeof(**vp), migration_cmp);

	for (size_t i = 1; !err && i < *np; i++) {
		const struct migration *a = (*vp)[i - 1], *b = (*vp)[i];

		if (a->version == b->version) {
			log_error("migrate: %s and %s share a version",
				  a->name, b->name);
			err = EINVAL;
		}
	}

	return err;
}


static void list_free(struct migration **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mem_deref(v[i]);
	mem_deref(v);
}


/* Run a migration's SQL and record it, in one transaction. */
static int run_one(PGconn *pg, const struct migration *m, const char *sql,
		   const char *const *pv)
{
	int err;

	err = exec_params(pg, NULL, m->name, "BEGIN", 0, NULL);
	if (!err) {
		PGresult *x = PQexec(pg, sql);
		ExecStatusType st = PQresultStatus(x);

		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
		    st != PGRES_EMPTY_QUERY) {
			const char *msg = PQresultErrorField(x,
						PG_DIAG_MESSAGE_PRIMARY);

			log_error("migrate: %s failed: %s", m->name,
				  msg ? msg : PQerrorMessage(pg));
			err = EPROTO;
		}
		PQclear(x);
	}
	if (!err)
		err = exec_params(pg, NULL, m->name,
				  "INSERT INTO schema_migrations"
				  " (version, name, checksum) VALUES ($1::int,"
				  " $3, encode(sha256(convert_to($2, 'UTF8')),"
				  " 'hex'))", 3, pv);
	if (!err)
		err = exec_params(pg, NULL, m->name, "COMMIT", 0, NULL);

	if (err)
		PQclear(PQexec(pg, "ROLLBACK"));

	return err;
}


/* Apply one migration in its own transaction, unless already applied. */
static int apply(PGconn *pg, const struct migration *m, bool verbose)
{
	char ver[16];
	const char *pv[3];
	char *sql = NULL;
	PGresult *r = NULL;
	int err;

	err = read_file(&sql, m->path);
	if (err) {
		log_error("migrate: cannot read %s: %m", m->path, err);
		return err;
	}

	re_snprintf(ver, sizeof(ver), "%u", m->version);
	pv[0] = ver;
	pv[1] = sql;
	pv[2] = m->name;

	err = exec_params(pg, &r, m->name,
			  "SELECT checksum = encode(sha256(convert_to($2,"
			  " 'UTF8')), 'hex') FROM schema_migrations"
			  " WHERE version = $1::int", 2, pv);
	if (err)
		goto out;

	if (PQntuples(r) == 1) {
		if (strcmp(PQgetvalue(r, 0, 0), "t")) {
			log_error("migrate: %s was changed after it was"
				  " applied", m->name);
			err = EPROTO;
		}
		goto out;
	}

	err = run_one(pg, m, sql, pv);
	if (!err && verbose)
		log_info("migrate: applied %s", m->name);

 out:
	PQclear(r);
	mem_deref(sql);

	return err;
}


static int migrate_all(PGconn *pg, const char *dir, bool verbose)
{
	struct migration **v = NULL;
	size_t n = 0;
	int err;

	err = exec_params(pg, NULL, "schema_migrations",
			  "CREATE TABLE IF NOT EXISTS schema_migrations ("
			  " version int PRIMARY KEY,"
			  " name text NOT NULL,"
			  " applied_at timestamptz NOT NULL DEFAULT now(),"
			  " checksum text NOT NULL)", 0, NULL);
	if (err)
		return err;

	err = list_dir(&v, &n, dir);
	for (size_t i = 0; !err && i < n; i++)
		err = apply(pg, v[i], verbose);

	if (!err && verbose)
		log_info("migrate: %zu migration(s) in %s, schema up to date",
			 n, dir);

	list_free(v, n);

	return err;
}


/**
 * Apply the migrations of a directory, each once and in its own
 * transaction, under an advisory lock. Blocking: CLI use only.
 *
 * @param conninfo libpq conninfo of a role that may change the schema
 * @param dir      Directory with NNNN_name.sql files
 * @param verbose  Log every applied file
 *
 * @return 0 if success, EPROTO if a migration failed or was changed,
 * otherwise errorcode
 */
int db_migrate(const char *conninfo, const char *dir, bool verbose)
{
	char key[16];
	const char *pv[1];
	PGconn *pg;
	int err;

	if (!conninfo || !dir)
		return EINVAL;

	pg = PQconnectdb(conninfo);
	if (!pg)
		return ENOMEM;

	if (PQstatus(pg) != CONNECTION_OK) {
		char msg[256];

		log_error("migrate: cannot connect: %s",
			  db_pq_errmsg(pg, msg, sizeof(msg)));
		err = EAGAIN;
		goto out;
	}

	PQsetNoticeReceiver(pg, db_notice_receiver, NULL);

	PQclear(PQexec(pg, "SET client_min_messages = warning"));

	re_snprintf(key, sizeof(key), "%d", MIGRATE_LOCK_KEY);
	pv[0] = key;
	err = exec_params(pg, NULL, "lock",
			  "SELECT pg_advisory_lock($1::bigint)", 1, pv);
	if (err)
		goto out;

	err = migrate_all(pg, dir, verbose);

	PQclear(PQexecParams(pg, "SELECT pg_advisory_unlock($1::bigint)", 1,
			     NULL, pv, NULL, NULL, 0));

 out:
	PQfinish(pg);

	return err;
}
