/* Password hashing with argon2id (libsodium), off the loop. */
#include <string.h>
#include <pthread.h>
#include <sodium.h>
#include <re.h>
#include "worker/worker.h"
#include "auth/password.h"

#define HASH_PREFIX "$argon2id$"

_Static_assert(crypto_pwhash_STRBYTES == PASSWORD_HASH_LEN,
	       "PASSWORD_HASH_LEN must match libsodium");

/* An async job: owned by the worker thread while it runs. */
struct pw_job {
	char password[PASSWORD_MAX_LEN + 1];
	char hash[PASSWORD_HASH_LEN];
	password_hash_h *hashh;
	password_verify_h *verifyh;
	void *arg;
	bool match;
};

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status;


static void sodium_setup(void)
{
	sodium_status = sodium_init();
}


static int setup(void)
{
	(void)pthread_once(&sodium_once, sodium_setup);

	return sodium_status < 0 ? ENOSYS : 0;
}


static void job_destructor(void *arg)
{
	struct pw_job *job = arg;

	sodium_memzero(job->password, sizeof(job->password));
}


/**
 * Hash a password with argon2id (INTERACTIVE limits). Blocking: call only
 * on a worker thread or from a command line tool.
 *
 * @param out       Output, PASSWORD_HASH_LEN bytes, NUL-terminated
 * @param password  Password
 *
 * @return 0 if success, EINVAL if bad input, ENOMEM if hashing failed
 */
int password_hash(char out[PASSWORD_HASH_LEN], const char *password)
{
	int err;

	if (!out || !password)
		return EINVAL;

	err = setup();
	if (err)
		return err;

	if (crypto_pwhash_str(out, password, strlen(password),
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE))
		return ENOMEM;

	return 0;
}


/**
 * Check a password against a stored hash. Blocking: call only on a
 * worker thread or from a command line tool.
 *
 * @param hash      Stored argon2id hash string
 * @param password  Password to check
 *
 * @return 0 if it matches, EACCES if not, EINVAL if the input is bad
 */
int password_verify(const char *hash, const char *password)
{
	int err;

	if (!hash || !password)
		return EINVAL;

	if (strncmp(hash, HASH_PREFIX, strlen(HASH_PREFIX)) ||
	    strlen(hash) >= PASSWORD_HASH_LEN)
		return EINVAL;

	err = setup();
	if (err)
		return err;

	if (crypto_pwhash_str_verify(hash, password, strlen(password)))
		return EACCES;

	return 0;
}


static int hash_work(void *arg)
{
	struct pw_job *job = arg;
	int err;

	err = password_hash(job->hash, job->password);
	sodium_memzero(job->password, sizeof(job->password));

	return err;
}


static void hash_done(int err, void *arg)
{
	struct pw_job *job = arg;

	job->hashh(err, err ? NULL : job->hash, job->arg);
	mem_deref(job);
}


static int verify_work(void *arg)
{
	struct pw_job *job = arg;
	int err;

	err = password_verify(job->hash, job->password);
	sodium_memzero(job->password, sizeof(job->password));

	if (err == EACCES)
		return 0;

	job->match = (err == 0);

	return err;
}


static void verify_done(int err, void *arg)
{
	struct pw_job *job = arg;

	job->verifyh(err, err ? false : job->match, job->arg);
	mem_deref(job);
}


static int job_alloc(struct pw_job **jobp, const char *password, void *arg)
{
	struct pw_job *job;
	size_t n;

	if (!password)
		return EINVAL;

	n = strlen(password);
	if (n > PASSWORD_MAX_LEN)
		return EINVAL;

	job = mem_zalloc(sizeof(*job), job_destructor);
	if (!job)
		return ENOMEM;

	memcpy(job->password, password, n);
	job->arg = arg;
	*jobp = job;

	return 0;
}


/**
 * Hash a password on the worker pool. The password is copied (and wiped
 * after use). On success `h` is called once on the loop thread with the
 * hash (valid only during the call); on error it is not called.
 *
 * @param wp        Worker pool
 * @param password  Password, at most PASSWORD_MAX_LEN bytes
 * @param h         Result handler
 * @param arg       Handler argument
 *
 * @return 0 if success, otherwise errorcode (EBUSY: pool full)
 */
int password_hash_async(struct worker_pool *wp, const char *password,
			password_hash_h *h, void *arg)
{
	struct pw_job *job;
	int err;

	if (!wp || !h)
		return EINVAL;

	err = job_alloc(&job, password, arg);
	if (err)
		return err;

	job->hashh = h;

	err = worker_submit(wp, hash_work, hash_done, job);
	if (err)
		mem_deref(job);

	return err;
}


/**
 * Check a password against a hash on the worker pool. Inputs are copied
 * (the password copy is wiped after use). On success `h` is called once
 * on the loop thread: err 0 with match true/false, or an error (then
 * match is false); on error it is not called.
 *
 * @param wp        Worker pool
 * @param hash      Stored argon2id hash string
 * @param password  Password to check, at most PASSWORD_MAX_LEN bytes
 * @param h         Result handler
 * @param arg       Handler argument
 *
 * @return 0 if success, otherwise errorcode (EBUSY: pool full)
 */
int password_verify_async(struct worker_pool *wp, const char *hash,
			  const char *password, password_verify_h *h,
			  void *arg)
{
	struct pw_job *job;
	int err;

	if (!wp || !hash || !h)
		return EINVAL;

	if (strlen(hash) >= PASSWORD_HASH_LEN)
		return EINVAL;

	err = job_alloc(&job, password, arg);
	if (err)
		return err;

	str_ncpy(job->hash, hash, sizeof(job->hash));
	job->verifyh = h;

	err = worker_submit(wp, verify_work, verify_done, job);
	if (err)
		mem_deref(job);

	return err;
}


/* Length of the UTF-8 sequence at s (0 if invalid) and its code point. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cpp)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80) {
		*cpp = s[0];
		return 1;
	}
	else if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	}
	else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	}
	else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	}
	else {
		return 0;
	}

	if (len > n)
		return 0;

	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}

	/* overlong forms, surrogates, beyond Unicode */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;

	*cpp = cp;

	return len;
}


/**
 * Check a new password against the policy: PASSWORD_MIN_LEN to
 * PASSWORD_MAX_LEN bytes of valid UTF-8 without control characters, with
 * at least one letter (ASCII or any non-ASCII character) and one digit.
 *
 * @param password  Password
 *
 * @return 0 if acceptable, otherwise EINVAL
 */
int password_check_policy(const char *password)
{
	const uint8_t *s = (const uint8_t *)password;
	bool letter = false, digit = false;
	size_t n, i = 0;

	if (!password)
		return EINVAL;

	n = strlen(password);
	if (n < PASSWORD_MIN_LEN || n > PASSWORD_MAX_LEN)
		return EINVAL;

	while (i < n) {
		uint32_t cp;
		size_t len = utf8_next(s + i, n - i, &cp);

		if (!len || cp < 0x20 || cp == 0x7f)
			return EINVAL;

		if (cp >= '0' && cp <= '9')
			digit = true;
		else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')
			 || cp >= 0x80)
			letter = true;

		i += len;
	}

	return (letter && digit) ? 0 : EINVAL;
}
