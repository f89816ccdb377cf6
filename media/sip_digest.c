/*
 * Digest authentication of INVITEs without state: the nonce is a time
 * stamp and an HMAC of it under a random per-process key, so any retry
 * within SIPEDGE_NONCE_SECS verifies without remembering the challenge.
 */
#include <ctype.h>
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/sipedge.h"
#include "media/sipedge_int.h"

enum {
	KEY_SIZE  = 20,
	MAC_HEX   = 32,    /**< first 16 bytes of the HMAC, in hex */
	TS_HEX    = 8,
	NONCE_LEN = TS_HEX + MAC_HEX,
	SKEW_SECS = 5,     /**< tolerated clock step backwards     */
};

static uint8_t nonce_key[KEY_SIZE];
static bool nonce_key_set;


static int nonce_mac(char *hex, uint32_t ts, const struct pl *realm)
{
	uint8_t mac[20];
	char data[320];
	int n;

	if (!nonce_key_set) {
		rand_bytes(nonce_key, sizeof(nonce_key));
		nonce_key_set = true;
	}

	n = re_snprintf(data, sizeof(data), "%08x:%r", ts, realm);
	if (n < 0)
		return EOVERFLOW;

	hmac_sha1(nonce_key, sizeof(nonce_key), (uint8_t *)data, (size_t)n,
		  mac, sizeof(mac));

	return re_snprintf(hex, MAC_HEX + 1, "%w", mac, (size_t)MAC_HEX / 2)
		< 0 ? ENOMEM : 0;
}


/** Write a fresh nonce for realm at time now into buf. */
int sip_digest_nonce(char *buf, size_t sz, const char *realm, uint64_t now)
{
	struct pl r;

	if (!buf || sz < NONCE_LEN + 1 || !realm)
		return EINVAL;

	pl_set_str(&r, realm);
	(void)re_snprintf(buf, sz, "%08x", (uint32_t)now);

	return nonce_mac(buf + TS_HEX, (uint32_t)now, &r);
}


static bool nonce_valid(const struct pl *nonce, const struct pl *realm,
			uint64_t now)
{
	char mac[MAC_HEX + 1];
	uint8_t diff = 0;
	uint32_t ts = 0;
	size_t i;

	if (nonce->l != NONCE_LEN)
		return false;

	for (i = 0; i < TS_HEX; i++) {
		if (!isxdigit((unsigned char)nonce->p[i]))
			return false;
		ts = ts << 4 | ch_hex(nonce->p[i]);
	}

	if ((uint64_t)ts + SIPEDGE_NONCE_SECS < now ||
	    (uint64_t)ts > now + SKEW_SECS)
		return false;

	if (nonce_mac(mac, ts, realm))
		return false;

	/* compare all of it: no timing hint about where it differs */
	for (i = 0; i < MAC_HEX; i++)
		diff |= (uint8_t)(mac[i] ^ nonce->p[TS_HEX + i]);

	return diff == 0;
}


struct find {
	const char *realm;
	struct httpauth_digest_resp resp;
	bool found;
};


static bool hdr_handler(const struct sip_hdr *hdr, const struct sip_msg *msg,
			void *arg)
{
	struct find *f = arg;
	(void)msg;

	if (httpauth_digest_response_decode(&f->resp, &hdr->val))
		return false;

	f->found = !pl_strcmp(&f->resp.realm, f->realm);

	return f->found;
}


/* The credentials of msg for realm, if any. */
static bool creds_find(struct find *f, const struct sip_msg *msg,
		       const char *realm)
{
	memset(f, 0, sizeof(*f));
	f->realm = realm;
	(void)sip_msg_hdr_apply(msg, true, SIP_HDR_AUTHORIZATION,
				hdr_handler, f);
	if (!f->found)
		(void)sip_msg_hdr_apply(msg, true,
					SIP_HDR_PROXY_AUTHORIZATION,
					hdr_handler, f);

	return f->found;
}


static bool response_ok(const struct find *f, const struct sip_msg *msg,
			const char *realm, const char *user,
			const char *password)
{
	uint8_t ha1[MD5_SIZE];

	if (md5_printf(ha1, "%s:%s:%s", user, realm, password))
		return false;

	return httpauth_digest_response_auth(&f->resp, &msg->met, ha1) == 0;
}


/**
 * Check the digest credentials of msg against user and password.
 *
 * @return 0 if they match, ENOENT if msg carries none for realm,
 * EACCES if they are wrong or stale
 */
int sipedge_digest_check(const struct sip_msg *msg, const char *realm,
			 const char *user, const char *password)
{
	struct find f;
	struct pl r;

	if (!msg || !realm || !user || !password)
		return EINVAL;

	if (!creds_find(&f, msg, realm))
		return ENOENT;

	pl_set_str(&r, realm);
	if (pl_strcmp(&f.resp.username, user) ||
	    pl_cmp(&f.resp.uri, &msg->ruri) ||
	    !nonce_valid(&f.resp.nonce, &r, (uint64_t)time(NULL)))
		return EACCES;

	return response_ok(&f, msg, realm, user, password) ? 0 : EACCES;
}


/**
 * True when credentials that sipedge_digest_check() refused were right
 * but for a nonce that is too old or not this process's (a phone
 * refreshing with its last nonce, or after a restart): answer a new
 * challenge with stale=true, not 403.
 */
bool sip_digest_stale(const struct sip_msg *msg, const char *realm,
		      const char *user, const char *password)
{
	struct find f;
	struct pl r;

	if (!msg || !realm || !user || !password ||
	    !creds_find(&f, msg, realm))
		return false;

	pl_set_str(&r, realm);
	if (pl_strcmp(&f.resp.username, user) ||
	    pl_cmp(&f.resp.uri, &msg->ruri) ||
	    nonce_valid(&f.resp.nonce, &r, (uint64_t)time(NULL)))
		return false;

	return response_ok(&f, msg, realm, user, password);
}
