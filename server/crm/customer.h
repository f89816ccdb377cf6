/*
 * Customers: a tenant's own simple CRM. What other modules use: the
 * lookup of a caller by phone number (screen pop, tickets) and the one
 * spelling of a phone number that lookups, imports and phone_norm() in
 * PostgreSQL agree on.
 */
#ifndef OPENSEAT_CUSTOMER_H
#define OPENSEAT_CUSTOMER_H

#include <stddef.h>

struct app;
struct json_t;

/** A stored number: 3 to 20 digits, and the NUL. */
enum { CRM_PHONE_SZ = 21 };

/**
 * A customer as JSON, the object GET /api/v1/customers/{id} returns:
 * customer_id, name, company, email, region, tags, fields, notes,
 * phones (strings, main number first), created_at, updated_at. A is the
 * alias of the customers table in the query.
 */
#define CUSTOMER_JSON(a) \
	"json_build_object('customer_id', " a ".customer_id," \
	" 'name', " a ".name, 'company', " a ".company," \
	" 'email', " a ".email, 'region', " a ".region," \
	" 'tags', to_json(" a ".tags), 'fields', " a ".fields," \
	" 'notes', " a ".notes, 'phones', COALESCE((SELECT" \
	" json_agg(cp.phone ORDER BY cp.position) FROM customer_phones cp" \
	" WHERE cp.customer_id = " a ".customer_id), '[]'::json)," \
	" 'created_at', " a ".created_at, 'updated_at', " a ".updated_at)"

/**
 * The answer of customer_find_by_phone(), called exactly once on the
 * loop thread, never from inside customer_find_by_phone() itself.
 *
 * @param err       0, ENOENT (no customer has the number) or the
 *                  database's error (see db_done_h)
 * @param customer  The customer (NULL unless err is 0); borrowed, valid
 *                  during the call only (json_incref to keep it)
 * @param arg       Handler argument
 */
typedef void (customer_found_h)(int err, const struct json_t *customer,
				void *arg);

int crm_phone_norm(char *out, size_t sz, const char *in);
int customer_find_by_phone(struct app *app, const char *tenant_id,
			   const char *phone, customer_found_h *h,
			   void *arg);
int customer_api_init(void);

/**
 * The demo tenant's custom field and customers, one statement each taking
 * $1 = tenant id, run in order by `openseat seed-demo`; each leaves
 * existing rows alone.
 */
extern const char *const customer_demo_sqlv[];

#endif
