/*
 * Ordered write-through of one call's rows: the CDR insert, its updates
 * and the timeline events go to PostgreSQL in the order they happened,
 * batched into one transaction per round trip, one round trip at a time.
 */
#ifndef OPENSEAT_CALL_STORE_H
#define OPENSEAT_CALL_STORE_H

#include <stdbool.h>

struct db;
struct call_store;

int  call_store_alloc(struct call_store **csp, struct db *db,
		      const char *tenant_id, const char *call_id);
int  call_store_add(struct call_store *cs, const char *sql, unsigned n,
		    const char *const *pv);
bool call_store_idle(const struct call_store *cs);
unsigned call_store_busy(void);

#endif
