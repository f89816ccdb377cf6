/* At start: readable secrets are sealed, the old master's resealed. */
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include <re.h>
#define LOG_MODULE "seal"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "seal/seal.h"
#include "seal/seal_int.h"

/*
 * One read of every row that is not sealed by this start's key, then
 * one transaction writing each of them sealed by it: a row stored
 * readable (before migration 0021, or written by hand) is sealed and
 * its readable column emptied; a row sealed by the previous master key
 * (recording_master_key_old) is resealed. A row sealed by any other key
 * refuses the start: nothing would open it.
 *
 * Each update is guarded, so a row the API changed meanwhile (which
 * seals with this start's key and empties the readable column) is left
 * as the API wrote it. Serving secrets waits for seal_sweep_done().
 */

#define RETRY_MS  500
#define WRONG_KEY "%u secret(s) are sealed by key %s, which neither " \
	"recording_master_key (key %s) nor recording_master_key_old " \
	"derives: set the original recording_master_key; to rotate, set " \
	"the new key as recording_master_key and the previous one as " \
	"recording_master_key_old for one start"

/* Columns: tenant, row, plain, plain2, key id, box, box2. */
struct table {
	const char *what;            /**< for the log                    */
	const char *column;          /**< SEAL_COL_*, the boxes' place   */
	bool row_is_tenant;          /**< one row per tenant             */
	const char *select_sql;      /**< $1 this start's key id         */
	const char *update_sql;      /**< $1 row, $2 $3 boxes, $4 key id,
				      *   $5 the old key id or NULL      */
};

static const struct table tables[] = {
	{"webhook secret", SEAL_COL_WEBHOOK, false,
	 "SELECT tenant_id::text, endpoint_id::text, secret,"
	 " previous_secret, seal_key_id, '\\x' || encode(secret_box, 'hex'),"
	 " '\\x' || encode(previous_secret_box, 'hex')"
	 " FROM webhook_endpoints WHERE secret IS NOT NULL"
	 " OR previous_secret IS NOT NULL OR (secret_box IS NOT NULL"
	 " AND seal_key_id IS DISTINCT FROM $1) ORDER BY endpoint_id",
	 "UPDATE webhook_endpoints SET secret_box = $2::bytea,"
	 " previous_secret_box = $3::bytea, seal_key_id = $4,"
	 " secret = NULL, previous_secret = NULL, secret_hint = CASE"
	 " WHEN right(secret, 4) ~ '^[A-Za-z0-9+/=]{4}$' THEN"
	 " 'whsec_\xe2\x80\xa6' || right(secret, 4) ELSE secret_hint END"
	 " WHERE endpoint_id = $1::uuid AND CASE WHEN $5::text IS NULL"
	 " THEN secret IS NOT NULL ELSE seal_key_id = $5 END"},
	{"CRM token", SEAL_COL_CRM, true,
	 "SELECT tenant_id::text, tenant_id::text, NULLIF(auth_token, ''),"
	 " NULL::text, seal_key_id, '\\x' || encode(auth_token_box, 'hex'),"
	 " NULL::text FROM crm_settings WHERE auth_token <> ''"
	 " OR (auth_token_box IS NOT NULL"
	 " AND seal_key_id IS DISTINCT FROM $1) ORDER BY tenant_id",
	 "UPDATE crm_settings SET auth_token_box = $2::bytea,"
	 " seal_key_id = $4, auth_token = ''"
	 " WHERE tenant_id = $1::uuid AND $3::bytea IS NULL" /* one box */
	 " AND CASE WHEN $5::text IS NULL THEN auth_token <> ''"
	 " ELSE seal_key_id = $5 END"},
};

enum { NTABLES = ARRAY_SIZE(tables), SECRET_MAX = 1024 };

static struct {
	struct app *app;               /**< borrowed                      */
	const struct seal_key *cur;    /**< borrowed from seal.c          */
	const struct seal_key *old;    /**< borrowed; NULL: no rotation   */
	struct tmr tmr;
	unsigned retries;
	unsigned sealed[NTABLES];      /**< stored readable, now sealed   */
	unsigned resealed[NTABLES];    /**< by the old key, now this one  */
	bool done;
} sw;

/* How a secret nothing opens stops the server (app.c installs it; the
 * sweep does not link the application into unit tests). */
static seal_fail_h *failh;
static void *fail_arg;

static const struct db_ctx op_ctx = {DB_OPERATOR, NULL};

static void sweep_run(void *arg);


static void fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (sw.app->stopping)
		return;

	va_start(ap, fmt);
	(void)re_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	/* a secret nothing opens must not be served as if absent */
	log_error("start-up refused: %s", msg);
	if (failh)
		failh(EACCES, fail_arg);
}


/**
 * Install what stops the server when stored secrets cannot be opened.
 *
 * @param h   Called once with the error
 * @param arg Its argument
 */
void seal_on_fail(seal_fail_h *h, void *arg)
{
	failh = h;
	fail_arg = arg;
}


/* The database is not there yet, or another node raced us. */
static bool retry(int err)
{
	if (err == EEXIST || err == EPROTO) {
		if (++sw.retries > 20)
			return false;
	}
	else if (err != EAGAIN && err != ETIMEDOUT) {
		return false;
	}

	tmr_start(&sw.tmr, RETRY_MS, sweep_run, NULL);
	return true;
}


static void report(void)
{
	for (size_t t = 0; t < NTABLES; t++) {
		if (sw.sealed[t])
			log_info("sealed %u %s(s) that were stored readable",
				 sw.sealed[t], tables[t].what);
		if (sw.resealed[t])
			log_info("resealed %u %s(s) from key %s to key %s",
				 sw.resealed[t], tables[t].what, sw.old->id,
				 sw.cur->id);
	}
	sw.done = true;
}


static void written(int err, const struct db_res *res, void *arg)
{
	(void)res;
	(void)arg;
	if (err) {
		log_warn("sealing secrets: %m, retrying", err);
		memset(sw.sealed, 0, sizeof(sw.sealed));
		memset(sw.resealed, 0, sizeof(sw.resealed));
		if (!retry(err))
			fail("sealing secrets: %m", err);
		return;
	}

	report();
}


/* The plaintext of column i (2 or 3): given, or opened with the old
 * key; "" for none. */
static int plain_of(char *out, size_t sz, const struct db_res *res,
		    unsigned t, unsigned row, unsigned i,
		    const struct seal_ad *ad)
{
	const char *plain = db_val(res, t, row, i);
	const char *box = db_val(res, t, row, i + 3);

	out[0] = '\0';
	if (plain)
		return re_snprintf(out, sz, "%s", plain) < 0 ? ENOSPC : 0;
	if (!box)
		return 0;

	return seal_open_with(sw.old, out, sz, box, ad);
}


static int row_add(struct db_txn *tx, unsigned ti,
		   const struct db_res *res, unsigned row, bool *oldp)
{
	const struct table *t = &tables[ti];
	const char *row_id = db_val(res, ti, row, 1);
	const struct seal_ad ad = {t->column, db_val(res, ti, row, 0),
				   t->row_is_tenant ? NULL : row_id};
	char plain[2][SECRET_MAX];
	char *box[2] = {NULL, NULL};
	const char *pv[5];
	int err = 0;

	*oldp = !db_val(res, ti, row, 2);
	for (unsigned i = 0; i < 2 && !err; i++) {
		err = plain_of(plain[i], sizeof(plain[i]), res, ti, row,
			       2 + i, &ad);
		if (!err && plain[i][0])
			err = seal_box_with(sw.cur, &box[i], plain[i], &ad);
		sodium_memzero(plain[i], sizeof(plain[i]));
	}
	if (err) {
		log_error("the %s of tenant %s (row %s) does not open with "
			  "recording_master_key_old: %m", t->what,
			  ad.tenant_id, row_id, err);
		goto out;
	}

	pv[0] = row_id;
	pv[1] = box[0];
	pv[2] = box[1];
	pv[3] = sw.cur->id;
	pv[4] = *oldp ? sw.old->id : NULL;
	err = db_txn_add(tx, t->update_sql, 5, pv);

 out:
	mem_deref(box[0]);
	mem_deref(box[1]);
	return err;
}


/* Rows sealed by neither key, and the first such key's id. */
static unsigned strangers(const struct db_res *res, const char **idp)
{
	unsigned n = 0;

	for (size_t t = 0; t < NTABLES; t++) {
		for (unsigned r = 0; r < db_nrows(res, (unsigned)t); r++) {
			const char *id = db_val(res, (unsigned)t, r, 4);

			if (db_val(res, (unsigned)t, r, 2) ||
			    (sw.old && id && !strcmp(id, sw.old->id)))
				continue;
			*idp = id ? id : "(none)";
			++n;
		}
	}

	return n;
}


static int table_add(struct db_txn *tx, const struct db_res *res,
		     size_t t)
{
	int err = 0;

	for (unsigned r = 0; !err && r < db_nrows(res, (unsigned)t); r++) {
		bool old;

		err = row_add(tx, (unsigned)t, res, r, &old);
		if (!err && old)
			++sw.resealed[t];
		else if (!err)
			++sw.sealed[t];
	}

	return err;
}


static void read_done(int err, const struct db_res *res, void *arg)
{
	struct db_txn *tx = NULL;
	const char *id = NULL;
	unsigned n, rows = 0;

	(void)arg;
	if (err) {
		if (!retry(err))
			fail("reading the stored secrets: %m", err);
		return;
	}

	n = strangers(res, &id);
	if (n) {
		fail(WRONG_KEY, n, id, sw.cur->id);
		return;
	}

	for (size_t t = 0; t < NTABLES; t++)
		rows += db_nrows(res, (unsigned)t);
	if (!rows) {
		if (sw.old)
			log_info("no secret is sealed by key %s (of "
				 "recording_master_key_old)", sw.old->id);
		sw.done = true;
		return;
	}

	err = db_txn_alloc(&tx, &op_ctx);
	for (size_t t = 0; !err && t < NTABLES; t++)
		err = table_add(tx, res, t);
	if (!err) {
		err = db_txn_exec(sw.app->db, tx, written, NULL);
		tx = NULL;
	}
	mem_deref(tx);
	if (err)
		fail("sealing secrets: %m", err);
}


static void sweep_run(void *arg)
{
	const char *pv[1] = {sw.cur->id};
	struct db_txn *tx = NULL;
	int err;

	(void)arg;
	memset(sw.sealed, 0, sizeof(sw.sealed));
	memset(sw.resealed, 0, sizeof(sw.resealed));
	err = db_txn_alloc(&tx, &op_ctx);
	for (size_t t = 0; !err && t < NTABLES; t++)
		err = db_txn_add(tx, tables[t].select_sql, 1, pv);
	if (!err) {
		err = db_txn_exec(sw.app->db, tx, read_done, NULL);
		tx = NULL;
	}
	mem_deref(tx);
	if (err && !retry(err))
		fail("reading the stored secrets: %m", err);
}


/**
 * Start sealing what is stored readable or by the old key.
 *
 * @param old the key of recording_master_key_old, or NULL
 *
 * @return 0 if success, otherwise errorcode
 */
int seal_sweep_start(struct app *app, const struct seal_key *cur,
		     const struct seal_key *old)
{
	memset(&sw, 0, sizeof(sw));
	sw.app = app;
	sw.cur = cur;
	sw.old = old;
	tmr_init(&sw.tmr);
	sweep_run(NULL);

	return 0;
}


bool seal_sweep_done(void)
{
	return sw.done;
}


void seal_sweep_close(void)
{
	tmr_cancel(&sw.tmr);
}
