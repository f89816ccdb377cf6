/* Authentication of a request's bearer credential. */
#include <string.h>
#include <time.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "app.h"
#include "auth/authn.h"
#include "auth/ident.h"
#include "auth/secret.h"
#include "auth/token.h"
#include "auth/token_cache.h"

#define API_KEY_PREFIX "osk_"

struct authn {
	authn_h *h;
	void *arg;
	char tenant_id[UUID_LEN];   /**< from the token, must still match */
	bool is_key;
};


static void ident_done(int err, const struct ident *id, void *arg)
{
	struct authn *a = arg;

	if (err == ENOENT)
		err = EACCES;

	if (err) {
		a->h(err, "unauthorized", NULL, a->arg);
		goto out;
	}

	if (id->gone || (!a->is_key && id->p.kind == PRINCIPAL_USER &&
			 strcmp(id->p.tenant_id, a->tenant_id))) {
		a->h(EACCES, "unauthorized", NULL, a->arg);
		goto out;
	}
	if (id->disabled) {
		a->h(EPERM, "account_disabled", NULL, a->arg);
		goto out;
	}
	if (id->tenant_suspended) {
		a->h(EPERM, "tenant_suspended", NULL, a->arg);
		goto out;
	}

	a->h(0, NULL, &id->p, a->arg);

 out:
	mem_deref(a);
}


/* The credential after "Bearer ", or NULL. */
static const char *bearer(const char *authz)
{
	static const char scheme[] = "Bearer ";

	if (!authz || strncasecmp(authz, scheme, sizeof(scheme) - 1))
		return NULL;

	authz += sizeof(scheme) - 1;
	while (*authz == ' ')
		authz++;

	return *authz ? authz : NULL;
}


/**
 * Resolve "Bearer <access token | API key>" to a principal whose
 * account, key and tenant are currently in good standing.
 *
 * @param authz  the Authorization header, or NULL
 * @param h      called exactly once, possibly before this returns
 */
void authn_bearer(struct app *app, const char *authz, authn_h *h,
		  void *arg)
{
	const char *cred = bearer(authz);
	struct token_claims c;
	struct authn *a;
	char hash[SECRET_HASH_LEN];

	if (!cred || strlen(cred) > 4096) {
		h(EACCES, "unauthorized", NULL, arg);
		return;
	}

	a = mem_zalloc(sizeof(*a), NULL);
	if (!a) {
		h(ENOMEM, NULL, NULL, arg);
		return;
	}
	a->h = h;
	a->arg = arg;

	if (!strncmp(cred, API_KEY_PREFIX, strlen(API_KEY_PREFIX))) {
		a->is_key = true;
		secret_hash(hash, cred);
		ident_lookup(app, PRINCIPAL_API_KEY, hash, ident_done, a);
		return;
	}

	if (token_cache_verify(&c, cred, app->jwt_key, app->jwt_keylen,
			       (uint64_t)time(NULL))) {
		mem_deref(a);
		h(EACCES, "unauthorized", NULL, arg);
		return;
	}

	str_ncpy(a->tenant_id, c.tenant_id, sizeof(a->tenant_id));
	ident_lookup(app, c.role == ROLE_OPERATOR ? PRINCIPAL_OPERATOR :
		     PRINCIPAL_USER, c.sub, ident_done, a);
}
