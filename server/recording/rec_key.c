/* The recording master key: parsed from the configuration, wraps keys. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <re.h>
#define LOG_MODULE "recording"
#include "log/log.h"
#include "app.h"
#include "recording/rec_key.h"
#include "recording/rec_key_int.h"
#include "recording/rec_ops.h"

#define HOWTO "generate one with `openssl rand -hex 32` and set " \
	"recording_master_key (OPENSEAT_RECORDING_MASTER_KEY) or " \
	"recording_master_key_file (OPENSEAT_RECORDING_MASTER_KEY_FILE); " \
	"keep it safe: recordings cannot be read without it"

static struct {
	struct app *app;              /**< borrowed: outlives us */
	struct rec_master cur;
	struct rec_master old;
	rec_key_fail_h *failh;
	void *fail_arg;
} mk;


static int hex_nibble(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}


static int hex_decode(uint8_t *out, size_t len, const char *hex,
		      size_t hexlen)
{
	if (hexlen != 2 * len)
		return EINVAL;

	for (size_t i = 0; i < len; i++) {
		int hi = hex_nibble(hex[2 * i]);
		int lo = hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}

	return 0;
}


static int read_key_file(char *buf, size_t sz, const char *file)
{
	FILE *f = fopen(file, "r");
	size_t n;

	if (!f)
		return errno;
	n = fread(buf, 1, sz - 1, f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';

	return 0;
}


/**
 * Read a master key: 64 hex digits from the configuration or a file
 * (one trailing newline allowed).
 *
 * @return 0 if success, ENOENT when neither is set, EINVAL malformed,
 *         otherwise the file's errorcode; errbuf says what to do
 */
int rec_master_parse(struct rec_master *m, const char *hex,
		     const char *file, char *errbuf, size_t errsz)
{
	uint8_t h[crypto_generichash_BYTES_MIN];
	char buf[160];
	int err;

	memset(m, 0, sizeof(*m));
	if (hex && hex[0]) {
		(void)re_snprintf(buf, sizeof(buf), "%s", hex);
	}
	else if (file && file[0]) {
		err = read_key_file(buf, sizeof(buf), file);
		if (err) {
			(void)re_snprintf(errbuf, errsz,
					  "recording_master_key_file %s: %m",
					  file, err);
			return err;
		}
	}
	else {
		(void)re_snprintf(errbuf, errsz, "no recording master key: "
				  HOWTO);
		return ENOENT;
	}

	err = hex_decode(m->key, sizeof(m->key), buf, strlen(buf));
	sodium_memzero(buf, sizeof(buf));
	if (err) {
		(void)re_snprintf(errbuf, errsz, "the recording master key "
				  "is not 64 hex digits: " HOWTO);
		sodium_memzero(m, sizeof(*m));
		return EINVAL;
	}

	/* the id names the key in the database without revealing it */
	crypto_generichash(h, sizeof(h), m->key, sizeof(m->key),
			   (const uint8_t *)"openseat-recording-master", 25);
	for (size_t i = 0; i < REC_MASTER_ID_LEN / 2; i++)
		(void)snprintf(m->id + 2 * i, 3, "%02x", h[i]);
	m->set = true;

	return 0;
}


void rec_master_clear(struct rec_master *m)
{
	sodium_memzero(m, sizeof(*m));
}


/**
 * Seal len bytes with the master key (crypto_secretbox, random nonce
 * first) as bytea text: "\x" and hex.
 */
void rec_wrap(char hex[REC_WRAP_HEXLEN + 1], const struct rec_master *m,
	      const uint8_t *plain, size_t len)
{
	uint8_t box[REC_WRAP_BYTES];
	const size_t nb = crypto_secretbox_NONCEBYTES;

	randombytes_buf(box, nb);
	crypto_secretbox_easy(box + nb, plain, len, box, m->key);

	hex[0] = '\\';
	hex[1] = 'x';
	for (size_t i = 0; i < nb + crypto_secretbox_MACBYTES + len; i++)
		(void)snprintf(hex + 2 + 2 * i, 3, "%02x", box[i]);
}


/**
 * Open what rec_wrap sealed.
 *
 * @return 0 if success, EPROTO malformed, EBADMSG wrong key or tampered
 */
int rec_unwrap(uint8_t *plain, size_t len, const struct rec_master *m,
	       const char *hex)
{
	uint8_t box[REC_WRAP_BYTES];
	const size_t nb = crypto_secretbox_NONCEBYTES;
	size_t blen = nb + crypto_secretbox_MACBYTES + len;

	if (!hex || strncmp(hex, "\\x", 2) || blen > sizeof(box) ||
	    hex_decode(box, blen, hex + 2, strlen(hex + 2)))
		return EPROTO;

	if (crypto_secretbox_open_easy(plain, box + nb, blen - nb, box,
				       m->key))
		return EBADMSG;

	return 0;
}


/**
 * Derive a key for another purpose from the master key (crypto_kdf), so
 * other modules never hold the master key itself and their keys differ
 * from the recording keys' wrapping key.
 *
 * @param ctx   the purpose: 8 characters, one per use
 * @param old   derive from recording_master_key_old (rotating) instead
 *
 * @return 0 if success, ENOENT when that master key is not set, EINVAL
 *         for a length crypto_kdf refuses
 */
int rec_key_derive(uint8_t *out, size_t len, uint64_t subkey_id,
		   const char ctx[8], bool old)
{
	const struct rec_master *m = old ? &mk.old : &mk.cur;

	if (!out || !ctx)
		return EINVAL;
	if (!m->set)
		return ENOENT;
	if (len < crypto_kdf_BYTES_MIN || len > crypto_kdf_BYTES_MAX)
		return EINVAL;

	return crypto_kdf_derive_from_key(out, len, subkey_id, ctx, m->key) ?
		EINVAL : 0;
}


const struct rec_master *rec_key_master(void)
{
	return &mk.cur;
}


struct app *rec_key_app(void)
{
	return mk.app;
}


/**
 * Read the master key (and the previous one, when rotating) and start
 * checking it against the database; serving waits for rec_key_ready().
 * A missing or malformed key fails here, a wrong one when checked (the
 * process then stops with a nonzero exit).
 *
 * @return 0 if success, otherwise errorcode with errbuf for the operator
 */
int rec_key_init(struct app *app, char *errbuf, size_t errsz)
{
	const struct cfg *c = &app->cfg;
	int err;

	if (sodium_init() < 0) {
		(void)re_snprintf(errbuf, errsz, "libsodium failed to start");
		return ENOSYS;
	}

	mk.app = app;
	err = rec_master_parse(&mk.cur, c->recording_master_key,
			       c->recording_master_key_file, errbuf, errsz);
	if (err)
		return err;

	if (c->recording_master_key_old[0]) {
		err = rec_master_parse(&mk.old, c->recording_master_key_old,
				       NULL, errbuf, errsz);
		if (err) {
			(void)re_snprintf(errbuf, errsz,
					  "recording_master_key_old is not "
					  "64 hex digits");
			return err;
		}
	}

	err = rec_check_start(app, &mk.cur, mk.old.set ? &mk.old : NULL);
	err = err ? err : rec_key_listen(app);
	if (err)
		(void)re_snprintf(errbuf, errsz, "recording keys: %m", err);

	return err;
}


/** Who stops the server when the master key proves wrong (app.c). */
void rec_key_on_fail(rec_key_fail_h *h, void *arg)
{
	mk.failh = h;
	mk.fail_arg = arg;
}


/* The check failed: no plaintext fallback, the server stops. */
void rec_key_failed(int err)
{
	if (mk.failh)
		mk.failh(err, mk.fail_arg);
	else
		re_cancel();
}


/** True once the master key was checked (and keys rewrapped). */
bool rec_key_ready(void)
{
	return rec_check_done();
}


/** Forget every key: unwrapped keys are zeroed. */
void rec_key_close(void)
{
	rec_check_close();
	rec_key_cache_flush();
	rec_master_clear(&mk.cur);
	rec_master_clear(&mk.old);
	mk.app = NULL;
}
