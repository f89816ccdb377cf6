/* What the customer and custom field handlers share. */
#ifndef OPENSEAT_CRM_INT_H
#define OPENSEAT_CRM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "core/uuid.h"
#include "http/api.h"

struct json_t;

/** A change: the audited statement, what goes with it, the reply. */
struct crm_change {
	const char *action;        /**< e.g. "customer.update"        */
	const char *target_type;   /**< "customer"                     */
	const char *target_id;
	const char *detail;        /**< audit detail JSON, NULL: {}    */
};

const char *crm_path_id(struct http_req *req, const char *name,
			char buf[UUID_STRLEN]);
bool crm_page(struct http_req *req, unsigned *limitp, char ts[64],
	      char id[64], char lim[16]);
void crm_list_done(struct http_req *req, const struct db_res *res);
void crm_sub_list_done(struct http_req *req, const struct db_res *res);
int  crm_begin(struct db_txn **txp, struct http_req *req, const char *sql,
	       unsigned n, const char *const *pv, const struct crm_change *c);
void crm_run(struct http_req *req, struct db_txn *tx, int err,
	     api_rows_h *h);
void crm_reply_err(struct http_req *req, int err,
		   const struct db_res *res);
bool crm_names_ok(struct http_req *req, const char *field, size_t max);
bool crm_text_ok(struct http_req *req, const char *field, bool one_line);
char *crm_json_text(const struct json_t *j);

int customer_write_init(void);
int customer_hist_init(void);
int customer_field_api_init(void);

#endif
