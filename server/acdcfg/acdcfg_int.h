/* What the ACD configuration handlers share. */
#ifndef OPENSEAT_ACDCFG_INT_H
#define OPENSEAT_ACDCFG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "http/api.h"

struct http_route;
struct param;

/** One audited change: what and to whom (see api_audit_what). */
struct acdcfg_what {
	const char *action;        /**< e.g. "agent.update"           */
	const char *target_type;   /**< "agent"                        */
	const char *target_id;
	const char *secret;        /**< body field kept out of audit   */
	const char *detail;        /**< audit detail JSON, NULL: body  */
};

/**
 * A tenant-owned ACD table, as the shared handlers of acdcfg_table.c
 * serve it. Each *_api.c holds one, static.
 */
struct acdcfg_table {
	const char *type;        /**< audit target type, action prefix   */
	const char *id_name;     /**< path parameter, e.g. "skill_id"    */
	const char *select_sql;  /**< the row as JSON: $1 its key        */
	const char *delete_sql;  /**< $1 the key, RETURNING it           */
};

enum acdcfg_verb { ACDCFG_CREATE, ACDCFG_UPDATE, ACDCFG_DELETE };

void acdcfg_get(struct http_req *req, const struct acdcfg_table *t);
void acdcfg_get_key(struct http_req *req, const struct acdcfg_table *t,
		    const char *key);
void acdcfg_change(struct http_req *req, const struct acdcfg_table *t,
		   enum acdcfg_verb verb, const char *sql, unsigned n,
		   const char *const *pv);
void acdcfg_delete(struct http_req *req, const struct acdcfg_table *t);
void acdcfg_created(struct http_req *req, const struct db_res *res);
void acdcfg_updated(struct http_req *req, const struct db_res *res);
bool acdcfg_name_ok(struct http_req *req);

int  acdcfg_begin(struct db_txn **txp, struct http_req *req,
		  const char *sql, unsigned n, const char *const *pv,
		  const struct acdcfg_what *w);
void acdcfg_run(struct http_req *req, struct db_txn *tx, int err,
		api_rows_h *h);
void acdcfg_reply_field(struct http_req *req, unsigned status,
			const char *problem, const char *field,
			const char *code, const char *message);
void acdcfg_reply_last(struct http_req *req, const struct db_res *res,
		       unsigned status);
const char *acdcfg_int(struct http_req *req, const char *field, char *buf,
		       size_t sz);

int skill_api_init(void);
int agent_api_init(void);
int agent_reg_api_init(void);
int reason_api_init(void);
int disposition_api_init(void);
int queue_api_init(void);
int vip_api_init(void);

#endif
