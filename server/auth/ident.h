/* A short-lived cache of who a credential belongs to, and their state. */
#ifndef OPENSEAT_IDENT_H
#define OPENSEAT_IDENT_H

#include <stdbool.h>
#include <stdint.h>
#include "auth/principal.h"

struct app;

/** What /me shows and what every authenticated request checks. */
struct ident {
	struct principal p;
	char tenant_code[40];
	char tenant_name[208];
	bool tenant_suspended;
	char display_name[208];
	char locale[16];
	bool disabled;
	bool gone;             /**< deleted user or revoked key */
};

typedef void (ident_h)(int err, const struct ident *id, void *arg);

void ident_lookup(struct app *app, enum principal_kind kind,
		  const char *key, ident_h *h, void *arg);
void ident_forget(const char *id);
void ident_forget_tenant(const char *tenant_id);
void ident_flush(void);
struct db_txn;
int  ident_forget_all_nodes(struct db_txn *tx, const char *id);
int  ident_listen(struct app *app);

#endif
