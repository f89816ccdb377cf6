/* At start: the master key must open the check row; rotation rewraps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "recording/rec_key_int.h"
#include "recording/rec_ops.h"

#define CHECK_TEXT      "openseat recording master key"
#define CHECK_LEN       (sizeof(CHECK_TEXT) - 1)
#define RETRY_MS        500
#define WRONG_KEY "the recording master key is not the one that " \
	"encrypted the stored recording keys (stored key id %s, configured " \
	"%s): set the original key; to rotate, set the new key as " \
	"recording_master_key and the previous one as " \
	"recording_master_key_old for one start"

static struct {
	struct app *app;               /**< borrowed */
	const struct rec_master *cur;  /**< borrowed from rec_key.c */
	const struct rec_master *old;  /**< borrowed, NULL: no rotation */
	struct tmr tmr;
	unsigned sql_retries;          /**< SQL errors retried so far */
	char boot_ts[64];              /**< the database's now() at start */
	bool done;
} ck;

static void check_run(void *arg);


static void fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (ck.app->stopping)
		return;

	va_start(ap, fmt);
	(void)re_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	/* no plaintext fallback: the process stops, nonzero */
	log_error("start-up refused: %s", msg);
	rec_key_failed(EACCES);
}


/* The database is not there yet, or another node starting at the same
 * time raced us (a duplicate check row, a key added under the other
 * master during a rotation): try again a little later. */
static bool retry(int err)
{
	if (err == EEXIST || err == EPROTO) {
		if (++ck.sql_retries > 20)
			return false;
	}
	else if (err != EAGAIN && err != ETIMEDOUT) {
		return false;
	}

	tmr_start(&ck.tmr, RETRY_MS, check_run, NULL);
	return true;
}


static const struct db_ctx op_ctx = {DB_OPERATOR, NULL};


/* Keys may be used from now on; recordings a crash left unfinished are
 * those started before this process first reached the database. */
static void finish(void)
{
	ck.done = true;
	rec_recover_start(ck.app, ck.boot_ts);
}


static void rewrapped(int err, const struct db_res *res, void *arg)
{
	unsigned n = (unsigned)(uintptr_t)arg;

	(void)res;
	if (err) {
		log_warn("rewrapping recording keys: %m (%s), retrying", err,
			 db_errmsg(res) ? db_errmsg(res) : "");
		if (!retry(err))
			fail("rewrapping recording keys failed: %m", err);
		return;
	}

	log_info("recording master key rotated: %u tenant key(s) rewrapped "
		 "from key id %s to %s; remove recording_master_key_old",
		 n, ck.old->id, ck.cur->id);
	finish();
}


static int add_check_row(struct db_txn *tx)
{
	char box[REC_WRAP_HEXLEN + 1];
	const char *pv[2] = {ck.cur->id, box};

	rec_wrap(box, ck.cur, (const uint8_t *)CHECK_TEXT, CHECK_LEN);

	return db_txn_add(tx, "INSERT INTO recording_master (master_id,"
			  " check_box) VALUES ($1, $2::bytea)", 2, pv);
}


static int rewrap_one(struct db_txn *tx, const struct db_res *res,
		      unsigned row)
{
	uint8_t key[REC_KEY_BYTES];
	char box[REC_WRAP_HEXLEN + 1];
	const char *pv[5];
	int err;

	pv[0] = db_val(res, 0, row, 0);
	pv[1] = db_val(res, 0, row, 1);
	err = rec_unwrap(key, sizeof(key), ck.old, db_val(res, 0, row, 2));
	if (err) {
		log_error("recording key %s of tenant %s does not open with "
			  "recording_master_key_old: %m", pv[1], pv[0], err);
		return err;
	}
	rec_wrap(box, ck.cur, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	pv[2] = box;
	pv[3] = ck.cur->id;
	pv[4] = ck.old->id;

	return db_txn_add(tx, "UPDATE recording_keys SET wrapped = $3::bytea,"
			  " master_id = $4 WHERE tenant_id = $1"
			  " AND key_no = $2::int AND master_id = $5", 5, pv);
}


/* One transaction: every key wrapped by the old master is wrapped by
 * the new one and the check row replaced. The last statement fails the
 * transaction (division by zero) when a key was added meanwhile under
 * another master, and the whole rotation is tried again. */
static void old_keys_read(int err, const struct db_res *res, void *arg)
{
	const char *pv[1] = {ck.cur->id};
	struct db_txn *tx = NULL;
	unsigned n;

	(void)arg;
	if (err) {
		if (!retry(err))
			fail("reading recording keys: %m", err);
		return;
	}

	n = db_nrows(res, 0);
	err = db_txn_alloc(&tx, &op_ctx);
	err = err ? err : db_txn_add(tx, "DELETE FROM recording_master",
				     0, NULL);
	err = err ? err : add_check_row(tx);
	for (unsigned i = 0; !err && i < n; i++)
		err = rewrap_one(tx, res, i);
	err = err ? err : db_txn_add(tx, "SELECT 1 / (CASE WHEN EXISTS ("
				     "SELECT 1 FROM recording_keys WHERE"
				     " master_id <> $1) THEN 0 ELSE 1 END)",
				     1, pv);
	if (err) {
		mem_deref(tx);
		if (!ck.done)
			fail("rewrapping recording keys: %m", err);
		return;
	}

	err = db_txn_exec(ck.app->db, tx, rewrapped, (void *)(uintptr_t)n);
	if (err) {
			fail("rewrapping recording keys: %m", err);
	}
}


static void rewrap_start(void)
{
	const char *pv[1] = {ck.old->id};
	int err;

	err = db_query(ck.app->db, &op_ctx, old_keys_read, NULL,
		       "SELECT tenant_id::text, key_no::text,"
		       " '\\x' || encode(wrapped, 'hex') FROM recording_keys"
		       " WHERE master_id = $1 ORDER BY tenant_id, key_no",
		       1, pv);
	if (err) {
			fail("reading recording keys: %m", err);
	}
}


static void registered(int err, const struct db_res *res, void *arg)
{
	(void)res;
	(void)arg;
	if (err && !retry(err)) {
		fail("storing the recording master key's check: %m", err);
		return;
	}
	/* read it back: another node starting too may have won */
	if (!err)
		check_run(NULL);
}


/* First start: no check row yet, and no key wrapped by anything. */
static void register_master(void)
{
	struct db_txn *tx = NULL;
	int err;

	log_info("recording master key %s registered (first start)",
		 ck.cur->id);
	err = db_txn_alloc(&tx, &op_ctx);
	err = err ? err : add_check_row(tx);
	if (!err) {
		err = db_txn_exec(ck.app->db, tx, registered, NULL);
		tx = NULL;
	}
	mem_deref(tx);
	if (err && !retry(err))
		fail("storing the recording master key's check: %m", err);
}


static bool opens(const struct rec_master *m, const char *box)
{
	uint8_t txt[CHECK_LEN];

	return !rec_unwrap(txt, sizeof(txt), m, box) &&
		!memcmp(txt, CHECK_TEXT, CHECK_LEN);
}


static void checked(const char *id, const char *box, unsigned others)
{
	if (ck.old && !strcmp(id, ck.old->id) && opens(ck.old, box)) {
		rewrap_start();
		return;
	}
	if (strcmp(id, ck.cur->id) || !opens(ck.cur, box)) {
		fail(WRONG_KEY, id, ck.cur->id);
		return;
	}
	if (others && ck.old) {
		/* a rotation stopped half-way cannot happen (one
		 * transaction), but keys left by the old master can be
		 * rewrapped all the same */
		rewrap_start();
		return;
	}
	if (others) {
		fail("%u recording key(s) are wrapped by another master key "
		     "than %s: set that key as recording_master_key_old",
		     others, ck.cur->id);
		return;
	}
	if (ck.old)
		log_warn("recording_master_key_old is set but no key is "
			 "wrapped by it: remove it");

	log_info("recording master key %s checked", ck.cur->id);
	finish();
}


static void master_read(int err, const struct db_res *res, void *arg)
{
	unsigned others;

	(void)arg;
	if (err) {
		if (!retry(err))
			fail("reading the recording master key's check: %m",
			     err);
		return;
	}

	if (!ck.boot_ts[0])
		str_ncpy(ck.boot_ts, db_val(res, 2, 0, 0),
			 sizeof(ck.boot_ts));
	others = (unsigned)atoi(db_val(res, 1, 0, 0));
	if (db_nrows(res, 0) == 0) {
		if (others)
			fail("%u recording key(s) exist but their master "
			     "key's check row is missing", others);
		else
			register_master();
		return;
	}

	checked(db_val(res, 0, 0, 0), db_val(res, 0, 0, 1), others);
}


static void check_run(void *arg)
{
	const char *pv[1] = {ck.cur->id};
	struct db_txn *tx = NULL;
	int err;

	(void)arg;
	err = db_txn_alloc(&tx, &op_ctx);
	err = err ? err : db_txn_add(tx, "SELECT master_id,"
				     " '\\x' || encode(check_box, 'hex')"
				     " FROM recording_master"
				     " ORDER BY created_at DESC LIMIT 1",
				     0, NULL);
	err = err ? err : db_txn_add(tx, "SELECT count(*) FROM"
				     " recording_keys WHERE master_id <> $1",
				     1, pv);
	err = err ? err : db_txn_add(tx, "SELECT now()::text", 0, NULL);
	if (!err) {
			err = db_txn_exec(ck.app->db, tx, master_read, NULL);
		tx = NULL;
	}
	mem_deref(tx);
	if (err) {
			if (!retry(err))
			fail("checking the recording master key: %m", err);
	}
}


/**
 * Start checking the master key against the database.
 *
 * @param old the previous master key when rotating, or NULL
 *
 * @return 0 if success, otherwise errorcode
 */
int rec_check_start(struct app *app, const struct rec_master *cur,
		    const struct rec_master *old)
{
	memset(&ck, 0, sizeof(ck));
	ck.app = app;
	ck.cur = cur;
	ck.old = old;
	tmr_init(&ck.tmr);
	check_run(NULL);

	return 0;
}


bool rec_check_done(void)
{
	return ck.done;
}


void rec_check_close(void)
{
	tmr_cancel(&ck.tmr);
}
