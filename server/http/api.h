/* Helpers shared by the JSON API handlers of every domain. */
#ifndef OPENSEAT_API_H
#define OPENSEAT_API_H

#include "db/db.h"
#include "http/http.h"

/** Called with the rows of a successful query; replies to req. */
typedef void (api_rows_h)(struct http_req *req, const struct db_res *res);

struct db_ctx api_ctx(const struct http_req *req);
void api_query(struct http_req *req, const struct db_ctx *ctx,
	       const char *sql, unsigned n, const char *const *pv,
	       api_rows_h *h);
void api_txn(struct http_req *req, struct db_txn *tx, api_rows_h *h);
void api_txn_run(struct http_req *req, struct db_txn *tx, int err,
		 api_rows_h *h);
/** Replies to a failed change's statement (req, errno, the result). */
typedef void (api_fail_h)(struct http_req *req, int err,
			  const struct db_res *res);
void api_change_run(struct http_req *req, struct db_txn *tx, int err,
		    api_rows_h *h, api_fail_h *failh);
int  api_audit(struct db_txn *tx, const struct http_req *req,
	       const char *tenant_id, const char *action,
	       const char *target_type, const char *target_id,
	       const char *detail_sql);
/** What an audited change did, to whom. */
struct api_audit_what {
	const char *tenant_id;
	const char *action;       /**< e.g. "user.update"          */
	const char *target_type;
	const char *target_id;
	const char *detail_sql;   /**< JSON object text, NULL: {}  */
};

int  api_audit_change(struct db_txn *tx, const struct http_req *req,
		      const char *change_sql, unsigned n,
		      const char *const *pv, const struct api_audit_what *w);
void api_reply_row(struct http_req *req, unsigned status,
		   const struct db_res *res, unsigned stmt);
void api_reply_page(struct http_req *req, const struct db_res *res,
		    unsigned stmt, unsigned limit);
int  api_page_args(struct http_req *req, unsigned *limitp, char *ts,
		   size_t tsz, char *id, size_t isz);
bool api_uuid_ok(const char *s);

/** A list's page as the query string asks for it (api_page.c). */
struct api_page {
	unsigned limit;
	char ts[64];   /**< the cursor's created_at, "" on page 1 */
	char id[64];   /**< the cursor's id, "" on page 1         */
	char lim[16];  /**< limit as text                          */
};

bool api_page_get(struct http_req *req, struct api_page *pg);
void api_page_query(struct http_req *req, const struct api_page *pg,
		    const char *sql, unsigned n, const char *const *pv);
void api_page_done(struct http_req *req, const struct db_res *res);
void api_list(struct http_req *req, const char *sql);
void api_row_200(struct http_req *req, const struct db_res *res);
const char *api_path_uuid(struct http_req *req, const char *name);
const char *api_str(const struct http_req *req, const char *field);
const char *api_bool(const struct http_req *req, const char *field);
int  api_json_text(const struct http_req *req, const char *field,
		   char **textp);
struct param;
bool api_array_ok(struct http_req *req, const char *field,
		  const struct param *params, size_t n);
void api_reply_invalid(struct http_req *req, const char *field,
		       const char *code, const char *message);
void api_reply_field(struct http_req *req, unsigned status,
		     const char *problem, const char *field,
		     const char *code, const char *message);
bool api_reply_check(struct http_req *req, unsigned status,
		     const char *msg);
/** A violated constraint, by name, and the field reply it stands for. */
struct api_conflict {
	const char *constraint;
	unsigned status;
	const char *problem;
	const char *field;
	const char *code;
	const char *message;
};

bool api_reply_conflict(struct http_req *req, const char *msg,
			const struct api_conflict *tbl, size_t n);
void api_publish(const char *tenant_id, const char *type, const char *json);
bool api_query_pick(struct http_req *req, const char *name,
		    const char *no, const char *yes, bool *vp);
bool api_ctype_in(const char *ct, const char *const *types, size_t n);

#endif
