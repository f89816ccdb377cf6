/* Number attribution inside: lookups, the BSON and CSV readers. */
#ifndef OPENSEAT_REGION_INT_H
#define OPENSEAT_REGION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct mbuf;

/* NOTIFY payload: a tenant_id whose prefixes changed, or "" for all */
#define REGION_CHANNEL "openseat_region"

enum {
	REGION_PREFIX_MAX = 16,     /* digits, as the tables' CHECK */
	REGION_TEXT_MAX = 100,      /* characters of a region       */
	REGION_CARRIER_MAX = 32,    /* characters of a carrier      */
};

/** What a lookup found, and where. */
struct region_hit {
	char region[REGION_TEXT_MAX * 4 + 1];
	char carrier[REGION_CARRIER_MAX * 4 + 1];  /**< "" = not known */
	const char *source;         /**< "tenant" or "platform" (static) */
};

typedef void (region_hit_h)(int err, const struct region_hit *hit,
			    void *arg);

int  region_find(struct app *app, const char *tenant_id, const char *num,
		 region_hit_h *h, void *arg);
int  region_api_init(void);

struct http_req;
void region_api_import(struct http_req *req);

/* BSON: one document of string elements (region_bson.c) */
typedef int (region_bson_h)(const char *key, const char *val, void *arg);

struct region_bson_err {
	size_t offset;              /**< byte where it went wrong */
	const char *why;            /**< static text               */
};

int region_bson_read(const uint8_t *buf, size_t len, region_bson_h *h,
		     void *arg, struct region_bson_err *e);

/* CSV: prefix,region lines (region_csv.c) */
enum {
	REGION_CSV_LINE_MAX = 1024,   /* bytes of one line         */
	REGION_CSV_ROWS_MAX = 50000,  /* data rows of one import   */
	REGION_CSV_BODY_MAX = 4 * 1024 * 1024,
};

typedef int (region_csv_row_h)(unsigned line, const char *prefix,
			       const char *region, void *arg);
typedef int (region_csv_bad_h)(unsigned line, const char *code,
			       const char *message, void *arg);

int region_csv_read(const char *buf, size_t len, region_csv_row_h *rowh,
		    region_csv_bad_h *badh, void *arg);

/* Text checks and PostgreSQL array literals (region_text.c) */
bool region_text_ok(const char *s, size_t max_chars);
bool region_utf8_ok(const char *s, size_t len);
int  region_gb18030_to_utf8(struct mbuf **mbp, const char *buf, size_t len);
bool region_prefix_ok(const char *s);
int  region_pgarr_add(struct mbuf *mb, const char *s);
int  region_pgarr_end(struct mbuf *mb);

#endif
