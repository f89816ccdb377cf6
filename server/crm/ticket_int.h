/* What the ticket and announcement handlers share. */
#ifndef OPENSEAT_TICKET_INT_H
#define OPENSEAT_TICKET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "http/api.h"

struct json_t;
struct param_error;

/** Who acts, as the SQL functions of migrations/0018 take it. */
struct ticket_actor {
	const char *id;      /**< user or API key id               */
	const char *kind;    /**< "user" or "api_key"               */
	const char *name;    /**< for history rows                  */
	const char *agent;   /**< "true": sees only their tickets   */
};

void ticket_actor(const struct http_req *req, struct ticket_actor *a);
char *ticket_body_text(const struct http_req *req);
int  ticket_begin(struct db_txn **txp, struct http_req *req,
		  const char *sql, unsigned n, const char *const *pv,
		  const struct api_audit_what *w);
void ticket_run(struct http_req *req, struct db_txn *tx, int err,
		api_rows_h *h);
void ticket_query(struct http_req *req, const char *sql, unsigned n,
		  const char *const *pv, api_rows_h *h);
void ticket_dispatch(const char *tenant_id, const char *events);
bool ticket_query_uuid(struct http_req *req, const char *name,
		       const char **valp);
bool ticket_page(struct http_req *req, unsigned *limitp, char ts[64],
		 char id[64], char lim[16]);
void ticket_list_done(struct http_req *req, const struct db_res *res);

/* Workflow check of a ticket type (ticket_flow.c). */
int ticket_flow_check(const struct json_t *states,
		      const struct json_t *transitions,
		      struct param_error *e);

int ticket_type_api_init(void);
int ticket_api_init(void);
int ticket_list_init(void);
int ticket_note_api_init(uint32_t max_bytes);
int ticket_escalate_init(struct app *app, uint32_t period_s);
void ticket_escalate_close(void);
int announce_api_init(void);
int announce_mine_init(void);
void announce_kick(void);
int announce_timer_init(struct app *app);
void announce_timer_close(void);

#endif
