/* Customer CSV import and export inside: the job, its plan, its chunks.
 * Include <re_types.h> and <re_list.h> first (libre's have no guards). */
#ifndef OPENSEAT_CUSTOMER_IMPORT_INT_H
#define OPENSEAT_CUSTOMER_IMPORT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include "core/textenc.h"
#include "core/uuid.h"

struct app;
struct csv;
struct hash;
struct http_req;
struct json_t;
struct mbuf;

enum {
	IMPORT_BATCH = 2000,           /* rows per worker chunk and SQL  */
	IMPORT_ERRORS_MAX = 1000,      /* per-line errors kept           */
	IMPORT_AHEAD = 2,              /* chunks read before written     */
	IMPORT_WRITERS = 2,            /* chunks in the database at once */
	IMPORT_PHONES_MAX = 20,        /* numbers of one customer        */
	IMPORT_TAGS_MAX = 32,
	IMPORT_RECORD_MAX = 64 * 1024, /* bytes of one CSV record        */
	IMPORT_COLS_MAX = 256,
};

/* First characters that make a spreadsheet cell a formula: the export
 * writes a ' before them, the import drops it. */
#define CSV_FORMULA_LEAD "=+-@\t\r"

/* 64 MiB: a million rows of a name and a number or two */
#define IMPORT_BODY_MAX (64ull * 1024 * 1024)

/** What a CSV column becomes. */
enum imp_target {
	IMP_IGNORE = 0,
	IMP_NAME,
	IMP_PHONE,
	IMP_EMAIL,
	IMP_COMPANY,
	IMP_REGION,
	IMP_TAGS,
	IMP_NOTES,
	IMP_FIELD,
};

struct imp_col {
	enum imp_target target;
	char key[40];                  /**< the custom field's key      */
};

/** Rows read on a worker, to be written as one statement. */
struct imp_chunk {
	struct le le;                  /**< in imp.readyl or writingl   */
	struct imp *im;                /**< (ref) while being written    */
	char *rows;                    /**< (own) JSON array text        */
	unsigned valid;                /**< rows in it                   */
	unsigned records;              /**< records read, valid or not   */
	unsigned first_line;
	struct json_t *errors;         /**< (ref) its per-line errors    */
	/* written: what the database said */
	bool done;
	int err;
	unsigned created;
	unsigned matched;              /**< rows of existing customers   */
	uint64_t t0_us;
	void (*doneh)(struct imp_chunk *ch);
};

typedef void (imp_chunk_h)(struct imp_chunk *ch);

struct imp {
	struct http_req *req;          /**< (ref) the actor of the audit */
	struct app *app;               /**< borrowed: outlives imports   */
	char tenant_id[UUID_STRLEN];
	char import_id[UUID_STRLEN];
	char actor_id[UUID_STRLEN];    /**< "" when not a uuid actor     */

	/* what was asked */
	bool dry_run;
	bool merge;
	enum textenc enc;
	struct json_t *mapping_in;     /**< (ref) as asked, NULL: auto   */

	/* the file: text is UTF-8, in body or in utf8 */
	struct mbuf *body;             /**< (ref) */
	struct mbuf *utf8;             /**< (ref) or NULL */
	const char *text;
	size_t len;
	enum textenc used;

	/* the plan: made on a worker by imp_prepare, read-only after */
	struct json_t *defs;           /**< (ref) custom field definitions */
	struct json_t *mapping;        /**< (ref) column -> target used   */
	struct json_t *header;         /**< (ref) the column names        */
	struct imp_col *colv;          /**< (own) one per column          */
	unsigned ncol;
	unsigned total;
	const char *bad_code;          /**< a whole-file problem, or NULL */
	char bad_detail[256];

	/* reading: touched only by the one worker job in flight */
	struct csv *csv;               /**< (own) */
	struct hash *phones;           /**< numbers seen -> line; entries
					    live in slabl               */
	struct list slabl;             /**< (owning) blocks of entries   */
	struct imp_slab *slab;         /**< the block being filled       */
	struct imp_chunk *next;        /**< (own) the chunk being read    */
	bool eof;

	/* on the loop */
	struct list readyl;            /**< (owning) imp_chunk to write   */
	bool reading;
	struct list writingl;          /**< (owning) in the database, in
					    file order                  */
	bool finishing;
	bool canceled;                 /**< shutting down                */
	bool stopped;                  /**< the pipeline is over         */
	bool broken;                   /**< stopped by an error          */
	unsigned processed, created, merged, skipped, failed;
	unsigned errors_total;
	struct json_t *errors;         /**< (ref) the first ERRORS_MAX    */
	uint64_t t0_ms;
	uint64_t read_us;              /**< on workers, for the log       */
	uint64_t db_us;                /**< chunks in the database        */
};

/* A running job that has not moved for this long was cut short by a
 * restart (chunks take well under a second). */
#define IMPORT_STALE "10 minutes"

/** The job as JSON, alias i: what GET /customers/imports/{id} gives. */
#define IMPORT_JSON \
	"json_build_object('import_id', i.import_id, 'status', CASE" \
	" WHEN i.status = 'running' AND i.updated_at < now() - interval" \
	" '" IMPORT_STALE "' THEN 'failed' ELSE i.status END," \
	" 'dry_run', i.dry_run, 'on_duplicate', i.on_duplicate," \
	" 'encoding', i.encoding, 'mapping', i.mapping, 'total', i.total," \
	" 'processed', i.processed, 'created', i.created," \
	" 'merged', i.merged, 'skipped', i.skipped, 'failed', i.failed," \
	" 'errors', i.errors, 'errors_total', i.errors_total," \
	" 'created_at', i.created_at, 'finished_at', i.finished_at)"

/* customer_import_read.c, customer_import_map.c: on a worker */
int  imp_prepare(struct imp *im);
int  imp_map(struct imp *im);
int  imp_row_read(struct imp *im, struct imp_chunk *ch,
		  struct json_t *rows);
int  imp_chunk_read(struct imp *im);

/* customer_import_db.c: on the loop */
int  imp_job_insert(struct imp *im, void (*h)(int err, void *arg));
int  imp_chunk_write(struct imp *im, struct imp_chunk *ch,
		     imp_chunk_h *h);
void imp_progress_write(struct imp *im);
int  imp_finish_write(struct imp *im, void (*h)(int err, void *arg));
void imp_fail_write(struct imp *im);
void imp_publish(const struct imp *im, const char *type);

/* customer_export.c */
void customer_export_get(struct http_req *req);

#endif
