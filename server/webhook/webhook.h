/*
 * Signed webhooks from a transactional outbox: what other domains call
 * so an event's deliveries are written with the change it announces.
 */
#ifndef OPENSEAT_WEBHOOK_H
#define OPENSEAT_WEBHOOK_H

#include <stdbool.h>

struct app;
struct db_txn;
struct event;

/** Parameters webhook_stmt() may add to a statement */
#define WEBHOOK_NPARAMS 4

int  webhook_init(struct app *app);
void webhook_close(void);
bool webhook_wanted(const char *tenant_id, const char *type);
int  webhook_txn_add(struct db_txn *tx, struct event *ev);
int  webhook_stmt(char **sqlp, unsigned *np, const char *sql,
		  const char **pv, struct event *ev);

#endif
