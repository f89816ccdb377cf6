/* Webhook secrets and signatures, as Standard Webhooks defines them. */
#include <string.h>
#include <sodium.h>
#include <re_types.h>
#include <re_list.h>
#include <re_fmt.h>
#include <re_base64.h>
#include "webhook/wh_int.h"

/*
 * A secret is "whsec_" + base64 of 24 random bytes; the key is those
 * bytes. The signature of a message is base64(HMAC-SHA256(key,
 * id "." timestamp "." body)), sent as "v1,<signature>".
 */

#define PREFIX "whsec_"

enum {
	PREFIX_LEN = sizeof(PREFIX) - 1,
	KEY_BYTES = 24,
	KEY_MAX = 64,
};


/**
 * Make a new secret.
 *
 * @return 0 if success, otherwise errorcode
 */
int wh_secret_new(char *out, size_t sz)
{
	uint8_t key[KEY_BYTES];
	char b64[48];
	size_t n = sizeof(b64) - 1;
	int err;

	randombytes_buf(key, sizeof(key));
	err = base64_encode(key, sizeof(key), b64, &n);
	sodium_memzero(key, sizeof(key));
	if (err)
		return err;

	b64[n] = '\0';
	if (PREFIX_LEN + n + 1 > sz)
		return ENOSPC;

	(void)re_snprintf(out, sz, PREFIX "%s", b64);
	return 0;
}


static int key_get(uint8_t *key, size_t *lenp, const char *secret)
{
	size_t n;

	if (!secret || strncmp(secret, PREFIX, PREFIX_LEN))
		return EINVAL;

	n = strlen(secret + PREFIX_LEN);
	if (n < 4 || n > 88 || strspn(secret + PREFIX_LEN,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789+/=") < n)
		return EINVAL;

	*lenp = KEY_MAX;
	if (base64_decode(secret + PREFIX_LEN, n, key, lenp) || !*lenp)
		return EINVAL;

	return 0;
}


/**
 * What a list shows of a secret: the prefix and its last four
 * characters ("whsec_…abcd"), too little to sign with.
 */
void wh_secret_hint(char *out, size_t sz, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;

	if (n < PREFIX_LEN + 8 || strncmp(secret, PREFIX, PREFIX_LEN)) {
		if (sz)
			out[0] = '\0';
		return;
	}

	(void)re_snprintf(out, sz, PREFIX "\xe2\x80\xa6%s", secret + n - 4);
}


/** Whether secret is one we can sign with. */
bool wh_secret_valid(const char *secret)
{
	uint8_t key[KEY_MAX];
	size_t n;
	bool ok = key_get(key, &n, secret) == 0;

	sodium_memzero(key, sizeof(key));
	return ok;
}


/**
 * Sign a message: out gets "v1,<base64 HMAC-SHA256>".
 *
 * @return 0 if success, otherwise errorcode
 */
int wh_sign(char *out, size_t sz, const char *secret, const char *msg_id,
	    uint64_t ts, const char *body, size_t len)
{
	crypto_auth_hmacsha256_state st;
	uint8_t key[KEY_MAX], mac[crypto_auth_hmacsha256_BYTES];
	char head[96], b64[64];
	size_t klen, n = sizeof(b64) - 1;
	int err;

	if (!out || !msg_id || (!body && len))
		return EINVAL;

	err = key_get(key, &klen, secret);
	if (err)
		goto out;

	(void)re_snprintf(head, sizeof(head), "%s.%llu.", msg_id,
			  (unsigned long long)ts);
	crypto_auth_hmacsha256_init(&st, key, klen);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)head,
				      strlen(head));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);

	err = base64_encode(mac, sizeof(mac), b64, &n);
	if (!err && n + 4 > sz)
		err = ENOSPC;
	if (!err) {
		b64[n] = '\0';
		(void)re_snprintf(out, sz, "v1,%s", b64);
	}

 out:
	sodium_memzero(key, sizeof(key));
	return err;
}
