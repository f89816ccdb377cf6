/* Authentication of a request's bearer credential. */
#ifndef OPENSEAT_AUTHN_H
#define OPENSEAT_AUTHN_H

struct app;
struct principal;

/**
 * err 0: p is the principal. EACCES: 401, why "unauthorized". EPERM: 403,
 * why "account_disabled" or "tenant_suspended". Others: 503/500.
 */
typedef void (authn_h)(int err, const char *why, const struct principal *p,
		       void *arg);

void authn_bearer(struct app *app, const char *authz, authn_h *h,
		  void *arg);

#endif
