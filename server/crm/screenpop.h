/*
 * The screen pop: who the caller is, found while the call waits in
 * OpenSeat's customers or in the tenant's own CRM (an HTTP lookup), or
 * the tenant's CRM page for the console to open. Per-tenant settings in
 * crm_settings, changed through /api/v1/crm/settings.
 */
#ifndef OPENSEAT_SCREENPOP_H
#define OPENSEAT_SCREENPOP_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct mbuf;
struct json_t;
struct screenpop;

/** What a lookup knows of the call. Strings are copied. */
struct screenpop_call {
	const char *tenant_id;
	const char *call_id;
	const char *caller;        /**< the customer's number          */
	const char *called;        /**< the number the customer called */
};

/**
 * The result, called once unless the lookup is cancelled, never from
 * inside screenpop_start(). customer (a new reference, the handler's)
 * is {found, source, customer} or {found:false, source, phone} with
 * error set when the lookup failed, or {source:"page", url, target}.
 */
typedef void (screenpop_h)(struct json_t *customer, void *arg);

int  screenpop_start(struct screenpop **spp, struct app *app,
		     const struct screenpop_call *c, screenpop_h *h,
		     void *arg);
struct screenpop *screenpop_cancel(struct screenpop *sp);
int  screenpop_api_init(void);
void screenpop_metrics_init(void);

/* screenpop_map.c: pure functions of their arguments */
int  screenpop_expand(struct mbuf *mb, const char *tmpl,
		      const struct screenpop_call *c);
bool screenpop_template_ok(const char *tmpl, char *why, size_t sz);
bool screenpop_fetch_url_ok(const char *tmpl, char *why, size_t sz);
bool screenpop_mapping_ok(const struct json_t *mapping, char *field,
			  size_t fsz, char *why, size_t wsz);
struct json_t *screenpop_map(const struct json_t *mapping,
			     const struct json_t *answer, bool *foundp);
const struct json_t *screenpop_pointer(const struct json_t *doc,
				       const char *ptr);

#endif
