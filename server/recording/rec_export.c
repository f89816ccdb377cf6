/* A bulk export: a search's recordings in one zip, on the worker pool. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <sodium.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "worker/worker.h"
#include "recording/rec_crypt.h"
#include "recording/rec_key.h"
#include "recording/rec_store.h"
#include "recording/rec_export.h"

/*
 * The zip (stored, not deflated: MP3 does not compress) is written by
 * libarchive straight into a rec_writer, so it is encrypted with the
 * tenant's current key as it is made: no plaintext zip ever touches the
 * disk. The job is a chain of worker jobs, one per recording, with the
 * loop in between: the loop fetches the recording's key (keys live on
 * the loop) and writes the progress to recording_exports; the worker
 * decrypts the recording and appends it to the zip. Only one step runs
 * at a time, so the archive needs no lock.
 *
 * A recording whose file is gone (purged meanwhile) is left out of the
 * zip, and the ready export's `error` says how many were; any other
 * error fails the export.
 *
 * The job holds the only reference to itself from start to the final
 * row update.
 */

struct exp_item {
	char recording_id[40];
	char path[600];
	uint32_t key_no;
	char name[128];
	int64_t mtime;
};

struct rec_export {
	struct app *app;               /**< (borrowed) outlives the job */
	char tenant_id[40];
	char export_id[40];
	char rel[160];                 /**< the zip's path in the store */
	char path[600];
	struct exp_item *itemv;        /**< (own) */
	size_t n, i;
	unsigned missing;
	uint8_t key[REC_KEY_BYTES];    /**< the item's or the zip's key */
	uint32_t zip_key_no;
	struct archive *ar;            /**< (own) */
	struct rec_writer *w;          /**< (own) until finished */
	uint64_t size;
	int err;
	char errmsg[160];
};


static void exp_destructor(void *arg)
{
	struct rec_export *ex = arg;

	if (ex->ar)
		archive_write_free(ex->ar);
	if (ex->w)
		rec_writer_abort(ex->w);
	sodium_memzero(ex->key, sizeof(ex->key));
	mem_deref(ex->itemv);
}


/**
 * A new export of n recordings to the store's relative path rel; fill
 * the items, then start it.
 *
 * @return 0 if success, otherwise errorcode
 */
int rec_export_alloc(struct rec_export **exp, struct app *app,
		     const char *tenant_id, const char *export_id,
		     const char *rel, size_t n)
{
	struct rec_export *ex;
	int err = 0;

	if (!exp || !app || n > REC_EXPORT_MAX)
		return EINVAL;

	ex = mem_zalloc(sizeof(*ex), exp_destructor);
	if (!ex)
		return ENOMEM;

	ex->app = app;
	ex->n = n;
	str_ncpy(ex->tenant_id, tenant_id, sizeof(ex->tenant_id));
	str_ncpy(ex->export_id, export_id, sizeof(ex->export_id));
	str_ncpy(ex->rel, rel, sizeof(ex->rel));

	err = rec_store_abs(ex->path, sizeof(ex->path), rel);
	if (!err && n && !(ex->itemv = mem_zalloc(n * sizeof(*ex->itemv),
						  NULL)))
		err = ENOMEM;

	if (err)
		mem_deref(ex);
	else
		*exp = ex;

	return err;
}


/** Set item i: a recording to put in the zip under name. */
int rec_export_item(struct rec_export *ex, size_t i,
		    const char *recording_id, const char *rel,
		    uint32_t key_no, const char *name, int64_t mtime)
{
	struct exp_item *it;

	if (!ex || i >= ex->n)
		return EINVAL;

	it = &ex->itemv[i];
	str_ncpy(it->recording_id, recording_id, sizeof(it->recording_id));
	str_ncpy(it->name, name, sizeof(it->name));
	it->key_no = key_no;
	it->mtime = mtime;

	return rec_store_abs(it->path, sizeof(it->path), rel);
}


static void row_updated(int err, const struct db_res *res, void *arg)
{
	(void)res;
	(void)arg;

	if (err)
		log_warn("export: progress not written: %m", err);
}


/* Progress rows may land out of order: done only grows. */
static void progress_write(struct rec_export *ex)
{
	struct db_ctx ctx = {DB_TENANT, ex->tenant_id};
	char done[16];
	const char *pv[2] = {ex->export_id, done};

	(void)re_snprintf(done, sizeof(done), "%zu", ex->i);
	(void)db_query(ex->app->db, &ctx, row_updated, NULL,
		       "UPDATE recording_exports SET done = GREATEST(done,"
		       " $2::int) WHERE export_id = $1::uuid", 2, pv);
}


static void finished(int err, const struct db_res *res, void *arg)
{
	struct rec_export *ex = arg;

	(void)res;
	if (err)
		log_error("export %s: its row not completed: %m",
			  ex->export_id, err);

	mem_deref(ex);
}


/* The final row: ready with the size and key, or failed with why. */
static void finish_write(struct rec_export *ex)
{
	struct db_ctx ctx = {DB_TENANT, ex->tenant_id};
	char done[16], size[24], key_no[16], note[96];
	const char *pv[7] = {ex->export_id, done, size, key_no,
			     ex->err ? ex->errmsg : NULL, ex->rel,
			     ex->missing ? note : NULL};
	int err;

	(void)re_snprintf(note, sizeof(note), "recordings left out (their "
			  "files were purged meanwhile): %u", ex->missing);
	(void)re_snprintf(done, sizeof(done), "%zu", ex->i);
	(void)re_snprintf(size, sizeof(size), "%llu",
			  (unsigned long long)ex->size);
	(void)re_snprintf(key_no, sizeof(key_no), "%u", ex->zip_key_no);
	if (ex->err)
		log_warn("export %s failed: %s", ex->export_id, ex->errmsg);
	else
		log_info("export %s: %zu recordings (%u missing), %llu bytes",
			 ex->export_id, ex->n, ex->missing,
			 (unsigned long long)ex->size);

	err = db_query(ex->app->db, &ctx, finished, ex,
		       "UPDATE recording_exports SET status = CASE WHEN"
		       " $5::text IS NULL THEN 'ready' ELSE 'failed' END,"
		       " done = $2::int, size_bytes = CASE WHEN $5::text IS"
		       " NULL THEN $3::bigint END, key_no = $4::int,"
		       " error = COALESCE($5, $7), path = $6,"
		       " finished_at = now() WHERE export_id = $1::uuid", 7,
		       pv);
	if (err) {
		log_error("export %s: its row not completed: %m",
			  ex->export_id, err);
		mem_deref(ex);
	}
}


/* Worker thread: libarchive's output goes into the encrypting writer. */
static la_ssize_t zip_write(struct archive *ar, void *arg, const void *p,
			    size_t n)
{
	struct rec_export *ex = arg;
	int err = rec_writer_put(ex->w, p, n);

	if (err) {
		archive_set_error(ar, err, "writing the zip: %s",
				  strerror(err));
		return -1;
	}

	return (la_ssize_t)n;
}


static int ar_err(struct rec_export *ex, const char *what)
{
	int err = archive_errno(ex->ar);

	(void)re_snprintf(ex->errmsg, sizeof(ex->errmsg), "%s: %s", what,
			  archive_error_string(ex->ar));

	return err > 0 ? err : EIO;
}


/* Worker thread: the encrypted file and the zip writing into it. */
static int open_work(void *arg)
{
	struct rec_export *ex = arg;
	struct archive *ar;
	int err;

	err = rec_store_mkdirs(ex->rel);
	err = err ? err : rec_writer_open(&ex->w, ex->path, ex->key,
					  ex->zip_key_no);
	if (err)
		return err;

	ex->ar = ar = archive_write_new();
	if (!ar)
		return ENOMEM;

	/* unblocked: every write goes to the writer as it comes, no
	 * padding of a last block after the central directory */
	if (archive_write_set_format_zip(ar) != ARCHIVE_OK ||
	    archive_write_zip_set_compression_store(ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(ar, 0) != ARCHIVE_OK ||
	    archive_write_open(ar, ex, NULL, zip_write, NULL) != ARCHIVE_OK)
		return ar_err(ex, "starting the zip");

	return 0;
}


static int entry_add(struct rec_export *ex, const struct exp_item *it,
		     const uint8_t *p, size_t n)
{
	struct archive_entry *e = archive_entry_new();
	int err = 0;

	if (!e)
		return ENOMEM;

	archive_entry_set_pathname(e, it->name);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, (time_t)it->mtime, 0);

	if (archive_write_header(ex->ar, e) != ARCHIVE_OK)
		err = ar_err(ex, "zip entry");

	while (!err && n) {
		la_ssize_t w = archive_write_data(ex->ar, p, n);

		if (w <= 0) {
			err = ar_err(ex, "zip data");
			break;
		}
		p += w;
		n -= (size_t)w;
	}

	if (!err && archive_write_finish_entry(ex->ar) != ARCHIVE_OK)
		err = ar_err(ex, "zip entry");

	archive_entry_free(e);

	return err;
}


/* Worker thread: one recording decrypted and appended. */
static int item_work(void *arg)
{
	struct rec_export *ex = arg;
	const struct exp_item *it = &ex->itemv[ex->i];
	uint8_t *data = NULL;
	size_t len = 0;
	bool complete;
	int err;

	err = rec_file_read(it->path, ex->key, &data, &len, &complete);
	if (err == ENOENT) {
		ex->missing++;
		return 0;
	}
	if (err) {
		(void)re_snprintf(ex->errmsg, sizeof(ex->errmsg),
				  "recording %s not readable: %m",
				  it->recording_id, err);
		return err;
	}

	err = entry_add(ex, it, data, len);
	free(data);  /* ccheck: foreign */

	return err;
}


/* Worker thread: the central directory, then the file sealed. */
static int close_work(void *arg)
{
	struct rec_export *ex = arg;
	struct rec_writer *w = ex->w;
	int err = 0;

	if (archive_write_close(ex->ar) != ARCHIVE_OK)
		return ar_err(ex, "closing the zip");

	archive_write_free(ex->ar);
	ex->ar = NULL;
	ex->w = NULL;

	err = rec_writer_finish(w, &ex->size);
	if (err) {
		(void)re_snprintf(ex->errmsg, sizeof(ex->errmsg),
				  "sealing the zip: %m", err);
		(void)unlink(ex->path);
	}

	return err;
}


/* Worker thread: a failed export leaves no file. */
static int abort_work(void *arg)
{
	struct rec_export *ex = arg;

	if (ex->ar) {
		archive_write_free(ex->ar);
		ex->ar = NULL;
	}
	if (ex->w) {
		rec_writer_abort(ex->w);
		ex->w = NULL;
	}

	return 0;
}


static void aborted(int err, void *arg)
{
	(void)err;
	finish_write(arg);
}


static void fail(struct rec_export *ex, int err, const char *what)
{
	ex->err = err;
	if (!ex->errmsg[0])
		(void)re_snprintf(ex->errmsg, sizeof(ex->errmsg), "%s: %m",
				  what, err);

	if (!ex->w && !ex->ar) {
		finish_write(ex);
		return;
	}

	if (worker_submit(ex->app->workers, abort_work, aborted, ex)) {
		(void)abort_work(ex);
		finish_write(ex);
	}
}


static void closed(int err, void *arg)
{
	struct rec_export *ex = arg;

	if (err)
		fail(ex, err, "closing the zip");
	else
		finish_write(ex);
}


static void next_item(struct rec_export *ex);


static void item_done(int err, void *arg)
{
	struct rec_export *ex = arg;

	if (err) {
		fail(ex, err, "adding a recording");
		return;
	}

	ex->i++;
	progress_write(ex);
	next_item(ex);
}


static void item_key_got(int err, uint32_t key_no,
			 const uint8_t key[REC_KEY_BYTES], void *arg)
{
	struct rec_export *ex = arg;

	(void)key_no;
	if (!err) {
		memcpy(ex->key, key, REC_KEY_BYTES);
		err = worker_submit(ex->app->workers, item_work, item_done,
				    ex);
	}

	if (err)
		fail(ex, err, "a recording's key");
}


static void next_item(struct rec_export *ex)
{
	int err;

	if (ex->i == ex->n) {
		err = worker_submit(ex->app->workers, close_work, closed, ex);
		if (err)
			fail(ex, err, "closing the zip");
		return;
	}

	/* the callback may run before rec_key_get returns (cached key) */
	err = rec_key_get(ex->tenant_id, ex->itemv[ex->i].key_no,
			  item_key_got, ex);
	if (err)
		fail(ex, err, "a recording's key");
}


static void opened(int err, void *arg)
{
	struct rec_export *ex = arg;

	if (err)
		fail(ex, err, "creating the zip");
	else
		next_item(ex);
}


static void zip_key_got(int err, uint32_t key_no,
			const uint8_t key[REC_KEY_BYTES], void *arg)
{
	struct rec_export *ex = arg;

	if (!err) {
		memcpy(ex->key, key, REC_KEY_BYTES);
		ex->zip_key_no = key_no;
		err = worker_submit(ex->app->workers, open_work, opened, ex);
	}

	if (err)
		fail(ex, err, "the tenant's key");
}


/**
 * Start the export: the job owns ex from here on and completes its row
 * in recording_exports (ready or failed) when it ends, whatever happens.
 */
void rec_export_start(struct rec_export *ex)
{
	int err;

	if (!ex)
		return;

	err = rec_key_current(ex->tenant_id, zip_key_got, ex);
	if (err)
		fail(ex, err, "the tenant's key");
}
