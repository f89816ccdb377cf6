/* Access tokens: HS256 JWTs with our own algorithm and claim checks. */
#include <string.h>
#include <limits.h>
#include <stdlib.h>
#include <jwt.h>
#include <jansson.h>
#include <sodium.h>
#include <re_types.h>
#include <re_fmt.h>
#include <re_mem.h>
#include "auth/token.h"

/* Longest token we look at; ours are a few hundred bytes. */
#define TOKEN_MAX_LEN 4096


/* Split tok into its three non-empty base64url segments. */
static int token_split(const char *tok, struct pl seg[3])
{
	const char *p = tok;
	unsigned i = 0;

	seg[0].p = p;
	for (; *p; p++) {
		char ch = *p;

		if (ch == '.') {
			seg[i].l = p - seg[i].p;
			if (++i > 2)
				return EINVAL;
			seg[i].p = p + 1;
			continue;
		}

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return EINVAL;
	}

	if (i != 2)
		return EINVAL;

	seg[2].l = p - seg[2].p;

	for (i = 0; i < 3; i++) {
		if (!seg[i].l)
			return EINVAL;
	}

	return 0;
}


/* Decode one segment as a JSON object. */
static json_t *segment_json(const struct pl *seg)
{
	uint8_t buf[TOKEN_MAX_LEN];
	size_t len;

	if (sodium_base642bin(buf, sizeof(buf), seg->p, seg->l, NULL, &len,
			      NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return NULL;

	return json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES,
			  NULL);
}


static int header_check(const struct pl *seg)
{
	json_t *hdr = segment_json(seg);
	const char *alg, *typ;
	int err = 0;

	if (!json_is_object(hdr)) {
		err = EINVAL;
		goto out;
	}

	alg = json_string_value(json_object_get(hdr, "alg"));
	typ = json_string_value(json_object_get(hdr, "typ"));

	if (!alg || strcmp(alg, "HS256"))
		err = EINVAL;
	else if (json_object_get(hdr, "typ") && (!typ || strcmp(typ, "JWT")))
		err = EINVAL;
	else if (json_object_get(hdr, "crit"))
		err = EINVAL;

 out:
	json_decref(hdr);

	return err;
}


static int uuid_get(char out[UUID_STR_LEN], json_t *obj, const char *name)
{
	const char *s = json_string_value(json_object_get(obj, name));
	size_t n;

	if (!s)
		return ENOENT;

	n = strlen(s);
	if (!n || n >= UUID_STR_LEN)
		return EINVAL;

	memcpy(out, s, n + 1);

	return 0;
}


static int claims_get(struct token_claims *c, json_t *pl, uint64_t now)
{
	json_t *exp = json_object_get(pl, "exp");
	json_t *iat = json_object_get(pl, "iat");
	int err;

	if (!json_is_object(pl))
		return EINVAL;

	if (uuid_get(c->sub, pl, "sub"))
		return EINVAL;

	c->role = role_parse(json_string_value(json_object_get(pl, "role")));
	if (c->role == ROLE_NONE)
		return EINVAL;

	err = uuid_get(c->tenant_id, pl, "tid");
	if (c->role == ROLE_OPERATOR) {
		if (err != ENOENT)
			return EINVAL;
	}
	else if (err) {
		return EINVAL;
	}

	if (iat && (!json_is_integer(iat) || json_integer_value(iat) < 0))
		return EINVAL;
	c->iat = iat ? (uint64_t)json_integer_value(iat) : 0;

	if (!json_is_integer(exp) || json_integer_value(exp) <= 0)
		return EINVAL;
	c->exp = (uint64_t)json_integer_value(exp);

	if (c->exp <= now)
		return ETIMEDOUT;

	return 0;
}


/**
 * Sign claims into a compact HS256 JWT (sub, tid unless operator, role,
 * iat, exp).
 *
 * @param tokp    The token, a mem_alloc'ed string the caller derefs
 * @param c       Claims; sub and role required, tenant_id unless operator
 * @param key     HMAC key
 * @param keylen  Key length (> 0)
 *
 * @return 0 if success, otherwise errorcode
 */
int token_sign(char **tokp, const struct token_claims *c,
	       const uint8_t *key, size_t keylen)
{
	jwt_t *jwt = NULL;
	char *s = NULL;
	int err;

	if (!tokp || !c || !key || !keylen || keylen > INT_MAX)
		return EINVAL;

	if (!c->sub[0] || role_parse(role_name(c->role)) == ROLE_NONE)
		return EINVAL;

	if (c->role != ROLE_OPERATOR && !c->tenant_id[0])
		return EINVAL;

	if (c->iat > LONG_MAX || c->exp > LONG_MAX)
		return EINVAL;

	err = jwt_new(&jwt);
	if (err)
		return err;

	err = jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)keylen);
	err = err ? err : jwt_add_grant(jwt, "sub", c->sub);
	if (c->role != ROLE_OPERATOR)
		err = err ? err : jwt_add_grant(jwt, "tid", c->tenant_id);
	err = err ? err : jwt_add_grant(jwt, "role", role_name(c->role));
	err = err ? err : jwt_add_grant_int(jwt, "iat", (long)c->iat);
	err = err ? err : jwt_add_grant_int(jwt, "exp", (long)c->exp);
	if (err)
		goto out;

	s = jwt_encode_str(jwt);
	if (!s) {
		err = ENOMEM;
		goto out;
	}

	err = str_dup(tokp, s);

 out:
	free(s); /* ccheck: foreign */
	jwt_free(jwt);

	return err;
}


/**
 * Verify a token: header alg exactly HS256, valid signature, known role,
 * sub present, tenant present unless operator (and absent for it), exp
 * present and later than `now`. `c` is only written on success.
 *
 * @param c       Claims out
 * @param tok     Token string
 * @param key     HMAC key
 * @param keylen  Key length (> 0)
 * @param now     Current time, seconds since the epoch
 *
 * @return 0, EINVAL (malformed, tampered, wrong alg), ETIMEDOUT (expired)
 */
int token_verify(struct token_claims *c, const char *tok,
		 const uint8_t *key, size_t keylen, uint64_t now)
{
	struct token_claims tc;
	struct pl seg[3];
	jwt_t *jwt = NULL;
	json_t *payload = NULL;
	int err;

	if (!c || !tok || !key || !keylen || keylen > INT_MAX)
		return EINVAL;

	if (strlen(tok) > TOKEN_MAX_LEN)
		return EINVAL;

	err = token_split(tok, seg);
	err = err ? err : header_check(&seg[0]);
	if (err)
		return EINVAL;

	/* signature check by libjwt, always with our key */
	if (jwt_decode(&jwt, tok, key, (int)keylen) || !jwt ||
	    jwt_get_alg(jwt) != JWT_ALG_HS256) {
		err = EINVAL;
		goto out;
	}

	payload = segment_json(&seg[1]);

	memset(&tc, 0, sizeof(tc));
	err = claims_get(&tc, payload, now);
	if (err)
		goto out;

	*c = tc;

 out:
	json_decref(payload);
	jwt_free(jwt);

	return err;
}
