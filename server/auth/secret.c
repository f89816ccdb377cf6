/* Random secrets (refresh tokens, API keys) and their stored hashes. */
#include <string.h>
#include <pthread.h>
#include <sodium.h>
#include <re_types.h>
#include "auth/secret.h"

/* Largest secret we generate, in raw bytes. */
#define SECRET_MAX_BYTES 256

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status;


static void sodium_setup(void)
{
	sodium_status = sodium_init();
}


/**
 * Fill out with `nbytes` random bytes encoded as base64url (no padding).
 *
 * @param out     Output buffer
 * @param outsz   Size of out, at least the encoded length plus NUL
 * @param nbytes  Number of random bytes (1..256)
 *
 * @return 0 if success, EINVAL if arguments are bad or outsz too small,
 *         ENOSYS if libsodium could not be initialised
 */
int secret_random(char *out, size_t outsz, size_t nbytes)
{
	const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
	uint8_t buf[SECRET_MAX_BYTES];

	if (!out || !nbytes || nbytes > sizeof(buf))
		return EINVAL;

	if (outsz < sodium_base64_ENCODED_LEN(nbytes, variant))
		return EINVAL;

	(void)pthread_once(&sodium_once, sodium_setup);
	if (sodium_status < 0)
		return ENOSYS;

	randombytes_buf(buf, nbytes);
	sodium_bin2base64(out, outsz, buf, nbytes, variant);
	sodium_memzero(buf, sizeof(buf));

	return 0;
}


/**
 * Lowercase hex SHA-256 of a string: what we store for a refresh token or
 * an API key.
 *
 * @param out  Output, SECRET_HASH_LEN bytes
 * @param s    String to hash; NULL hashes like ""
 */
void secret_hash(char out[SECRET_HASH_LEN], const char *s)
{
	uint8_t md[crypto_hash_sha256_BYTES];

	if (!out)
		return;

	if (!s)
		s = "";

	crypto_hash_sha256(md, (const uint8_t *)s, strlen(s));
	sodium_bin2hex(out, SECRET_HASH_LEN, md, sizeof(md));
}


/**
 * Compare two strings in time independent of where they differ.
 * Strings of different lengths are not equal (the length is not secret).
 *
 * @param a  First string (NULL never equals anything)
 * @param b  Second string
 *
 * @return 1 if equal, 0 if not
 */
int secret_equal(const char *a, const char *b)
{
	size_t n;

	if (!a || !b)
		return 0;

	n = strlen(a);
	if (n != strlen(b))
		return 0;

	if (!n)
		return 1;

	return sodium_memcmp(a, b, n) == 0 ? 1 : 0;
}
