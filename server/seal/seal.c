/* Sealing secrets at rest: the key, boxes and opening them. */
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include <re.h>
#include "app.h"
#include "recording/rec_key.h"
#include "seal/seal.h"
#include "seal/seal_int.h"

/* The purpose crypto_kdf binds the derived key to: recording keys are
 * wrapped by the master key itself, so the two never coincide. */
#define KDF_CTX     "OSsecret"
#define KDF_SUBKEY  1

enum {
	NONCE = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	TAG = crypto_aead_xchacha20poly1305_ietf_ABYTES,
	PART_MAX = 200,            /* a column name, tenant or row id */
	AD_MAX = 3 * (PART_MAX + 1),
};

static struct {
	struct seal_key cur;
	struct seal_key old;       /**< set while rotating the master */
} sk;


/** Take raw as the key; its id is a hash that does not reveal it. */
void seal_key_set(struct seal_key *k, const uint8_t raw[SEAL_KEY_BYTES])
{
	uint8_t h[crypto_generichash_BYTES_MIN];

	memcpy(k->key, raw, SEAL_KEY_BYTES);
	crypto_generichash(h, sizeof(h), raw, SEAL_KEY_BYTES,
			   (const uint8_t *)"openseat-seal-key-id", 20);
	(void)sodium_bin2hex(k->id, sizeof(k->id), h, SEAL_ID_LEN / 2);
	k->set = true;
}


void seal_key_clear(struct seal_key *k)
{
	sodium_memzero(k, sizeof(*k));
}


static int part_add(uint8_t *ad, size_t *np, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > PART_MAX)
		return EINVAL;

	/* NUL-separated: no two different triples give the same bytes */
	memcpy(ad + *np, s ? s : "", n);
	ad[*np + n] = 0;
	*np += n + 1;

	return 0;
}


static int ad_build(uint8_t ad[AD_MAX], size_t *np,
		    const struct seal_ad *a)
{
	int err;

	*np = 0;
	if (!a || !a->column || !a->column[0] || !a->tenant_id ||
	    !a->tenant_id[0])
		return EINVAL;

	err = part_add(ad, np, a->column);
	err = err ? err : part_add(ad, np, a->tenant_id);
	err = err ? err : part_add(ad, np, a->row_id);

	return err;
}


/**
 * Seal plain for the place ad names.
 *
 * @param boxp  gets the box as bytea text ("\x" and hex), mem-allocated
 *
 * @return 0 if success, ENOENT no key, EINVAL bad arguments, ENOMEM
 */
int seal_box_with(const struct seal_key *k, char **boxp,
		  const char *plain, const struct seal_ad *ad)
{
	uint8_t a[AD_MAX], *box;
	size_t alen, len = plain ? strlen(plain) : 0;
	size_t blen = NONCE + len + TAG;
	char *hex;
	int err;

	if (!k || !k->set)
		return ENOENT;
	if (!boxp || !plain || len > SEAL_PLAIN_MAX)
		return EINVAL;
	err = ad_build(a, &alen, ad);
	if (err)
		return err;

	box = mem_alloc(blen, NULL);
	hex = mem_alloc(2 + 2 * blen + 1, NULL);
	if (!box || !hex) {
		mem_deref(box);
		mem_deref(hex);
		return ENOMEM;
	}

	randombytes_buf(box, NONCE);
	(void)crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE, NULL,
		(const uint8_t *)plain, len, a, alen, NULL, box, k->key);
	memcpy(hex, "\\x", 2);
	(void)sodium_bin2hex(hex + 2, 2 * blen + 1, box, blen);
	mem_deref(box);
	*boxp = hex;

	return 0;
}


/**
 * Open a box sealed for the place ad names into out (NUL-terminated).
 *
 * @return 0 if success, EPROTO not a box, EBADMSG it does not open
 *         (another key, tenant, column or row, or altered), ENOSPC out
 *         too small, ENOENT no key
 */
/* The plaintext's length a box of bytea text holds, 0 if not a box. */
static size_t plain_len(const char *box)
{
	size_t hlen = box ? strlen(box) : 0;

	if (hlen < 2 + 2 * (NONCE + TAG) || memcmp(box, "\\x", 2) ||
	    hlen % 2 || hlen > 2 + 2 * (NONCE + SEAL_PLAIN_MAX + TAG))
		return 0;

	return (hlen - 2) / 2 - NONCE - TAG + 1;  /* +1: "" is a box */
}


static int decrypt(const struct seal_key *k, char *out, size_t sz,
		   const uint8_t *bin, size_t blen, const uint8_t *a,
		   size_t alen)
{
	unsigned long long plen;

	if (blen - NONCE - TAG + 1 > sz)
		return ENOSPC;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)out, &plen,
		NULL, bin + NONCE, blen - NONCE, a, alen, bin, k->key))
		return EBADMSG;
	if (memchr(out, 0, (size_t)plen))
		return EPROTO;      /* we seal text only */

	out[plen] = '\0';
	return 0;
}


/**
 * Open a box sealed for the place ad names into out (NUL-terminated).
 *
 * @return 0 if success, EPROTO not a box, EBADMSG it does not open
 *         (another key, tenant, column or row, or altered), ENOSPC out
 *         too small, ENOENT no key
 */
int seal_open_with(const struct seal_key *k, char *out, size_t sz,
		   const char *box, const struct seal_ad *ad)
{
	uint8_t a[AD_MAX], *bin;
	size_t alen, blen, n = plain_len(box);
	int err;

	if (!k || !k->set)
		return ENOENT;
	if (!out || !sz || ad_build(a, &alen, ad))
		return EINVAL;
	if (!n)
		return EPROTO;

	bin = mem_alloc(NONCE + n + TAG, NULL);
	if (!bin)
		return ENOMEM;

	err = sodium_hex2bin(bin, NONCE + n + TAG, box + 2, strlen(box + 2),
			     NULL, &blen, NULL) ? EPROTO : 0;
	err = err ? err : decrypt(k, out, sz, bin, blen, a, alen);
	if (err)
		sodium_memzero(out, sz);
	sodium_memzero(bin, NONCE + n + TAG);
	mem_deref(bin);

	return err;
}


/**
 * Open a box into a new string (mem-allocated; the caller frees it).
 *
 * @return as seal_open_with()
 */
int seal_open_dup(char **plainp, const struct seal_key *k, const char *box,
		  const struct seal_ad *ad)
{
	size_t n = plain_len(box);
	char *out;
	int err;

	if (!plainp)
		return EINVAL;
	if (!n)
		return EPROTO;

	out = mem_alloc(n, NULL);
	if (!out)
		return ENOMEM;

	err = seal_open_with(k, out, n, box, ad);
	if (err)
		mem_deref(out);
	else
		*plainp = out;

	return err;
}


/** Seal with this start's key: see seal_box_with(). */
int seal_box(char **boxp, const char *plain, const struct seal_ad *ad)
{
	return seal_box_with(&sk.cur, boxp, plain, ad);
}


/** Open with this start's key: see seal_open_with(). */
int seal_open(char *out, size_t sz, const char *box,
	      const struct seal_ad *ad)
{
	return seal_open_with(&sk.cur, out, sz, box, ad);
}


/** Open into a new string with this start's key: see seal_open_dup(). */
int seal_open_alloc(char **plainp, const char *box,
		    const struct seal_ad *ad)
{
	return seal_open_dup(plainp, &sk.cur, box, ad);
}


/** The id of this start's key, which new boxes are sealed with. */
const char *seal_key_id(void)
{
	return sk.cur.id;
}


static int derive(struct seal_key *k, bool old)
{
	uint8_t raw[SEAL_KEY_BYTES];
	int err;

	err = rec_key_derive(raw, sizeof(raw), KDF_SUBKEY, KDF_CTX, old);
	if (!err)
		seal_key_set(k, raw);
	sodium_memzero(raw, sizeof(raw));

	return err;
}


/**
 * Derive the sealing keys from the recording master keys (after
 * rec_key_init) and start sealing what is stored readable; serving
 * secrets waits for seal_ready().
 *
 * @return 0 if success, otherwise errorcode with errbuf for the operator
 */
int seal_init(struct app *app, char *errbuf, size_t errsz)
{
	int err;

	err = derive(&sk.cur, false);
	if (err) {
		(void)re_snprintf(errbuf, errsz, "the secrets' key: %m", err);
		return err;
	}

	err = derive(&sk.old, true);
	if (err && err != ENOENT) {
		(void)re_snprintf(errbuf, errsz, "the previous secrets' key:"
				  " %m", err);
		return err;
	}

	err = seal_sweep_start(app, &sk.cur, sk.old.set ? &sk.old : NULL);
	if (err)
		(void)re_snprintf(errbuf, errsz, "sealing secrets: %m", err);

	return err;
}


/** True once nothing stored is readable or sealed by the old key. */
bool seal_ready(void)
{
	return seal_sweep_done();
}


/** Forget the keys. */
void seal_close(void)
{
	seal_sweep_close();
	seal_key_clear(&sk.cur);
	seal_key_clear(&sk.old);
}
