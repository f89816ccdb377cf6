/* Process configuration: one declarative key table, file, then env. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <re.h>
#include "config/cfg.h"

#define LOG_MODULE "cfg"
#include "log/log.h"

enum {
	FILE_MAX = 1024 * 1024,   /* a config file is never this big */
	ECHO_MAX = 40,            /* bytes of a bad value quoted back */
};

enum cfg_type {
	CFG_STR,
	CFG_U32,
	CFG_ENUM,
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off;
	size_t sz;
	uint32_t min, max;          /* CFG_U32 inclusive range */
	const char *const *enumv;   /* CFG_ENUM: NULL-terminated */
	const char *def;            /* default, in text form */
	bool secret;                /* never quoted back in messages */
};

#define FSZ(f) sizeof(((struct cfg *)0)->f)
#define KSTR(f, d) {#f, CFG_STR, offsetof(struct cfg, f), FSZ(f), \
		0, 0, NULL, d, false}
#define KSEC(f, d) {#f, CFG_STR, offsetof(struct cfg, f), FSZ(f), \
		0, 0, NULL, d, true}
#define KU32(f, d, lo, hi) {#f, CFG_U32, offsetof(struct cfg, f), FSZ(f), \
		lo, hi, NULL, d, false}
#define KENUM(f, d, v) {#f, CFG_ENUM, offsetof(struct cfg, f), FSZ(f), \
		0, 0, v, d, false}

static const char *const log_levels[] = {"debug", "info", "warn", "error",
					 NULL};
static const char *const log_formats[] = {"json", "text", NULL};

static const struct cfg_key keyv[] = {
	KSTR(http_addr, "0.0.0.0"),
	KU32(http_port, "8443", 1, 65535),
	KSTR(tls_cert, ""),
	KSTR(tls_key, ""),
	KSTR(web_root, "web"),
	KSEC(database_url, ""),
	KSEC(database_admin_url, ""),
	KU32(db_pool_size, "4", 1, 64),
	KU32(db_max_queue, "1000", 1, 100000),
	KU32(workers, "2", 1, 64),
	KENUM(log_level, "info", log_levels),
	KENUM(log_format, "json", log_formats),
	KSTR(sip_addr, "0.0.0.0"),
	KU32(sip_port, "5060", 1, 65535),
	KSTR(public_addr, ""),
	KU32(rtp_port_min, "20000", 1024, 65535),
	KU32(rtp_port_max, "30000", 1024, 65535),
	KSEC(jwt_secret, ""),
	KSTR(jwt_secret_file, ""),
	KU32(access_token_ttl, "900", 60, 86400),
	KU32(refresh_token_ttl, "2592000", 300, 31536000),
	KU32(max_body, "1048576", 1024, 104857600),
	KU32(login_max_failures, "5", 1, 1000),
	KU32(login_window, "300", 1, 86400),
	KU32(login_ban, "300", 1, 604800),
	KU32(api_rate_per_s, "20", 1, 10000),
	KU32(api_rate_burst, "40", 1, 100000),
	KU32(ws_max_queue, "256", 1, 100000),
	KU32(ws_ping_interval, "30", 1, 3600),
	KSTR(var_dir, "var"),
	KSTR(migrations_dir, "migrations"),
	KSTR(clock_offset, ""),
	KSTR(sip_tls_cert, ""),
	KU32(sip_session_expires, "1800", 0, 86400),
	KU32(rtp_timeout, "30", 0, 3600),
	KSTR(sip_codecs, "PCMA,PCMU"),
	KSTR(sip_realm, "openseat"),
	KU32(sip_auth_max_failures, "10", 1, 10000),
	KU32(sip_auth_window, "60", 1, 86400),
	KU32(sip_auth_ban, "600", 1, 604800),
	KU32(sip_reg_min_expires, "60", 1, 3600),
	KU32(sip_reg_max_expires, "3600", 1, 86400),
	KU32(sip_qualify_interval, "30", 0, 3600),
	KSTR(prompts_dir, "build/prompts"),
	KU32(prompt_max_bytes, "20971520", 1024, 104857600),
	KU32(prompt_max_seconds, "300", 1, 3600),
	KU32(lookup_timeout_ms, "3000", 100, 30000),
	KU32(voicemail_max_seconds, "120", 5, 3600),
	KU32(ticket_attachment_max, "10485760", 1024, 104857600),
	KU32(ticket_check_period, "60", 1, 3600),
	KU32(acd_check, "0", 0, 1),
	KU32(webrtc_grace, "40", 2, 600),
	KSTR(recording_dir, ""),
	KSEC(recording_master_key, ""),
	KSTR(recording_master_key_file, ""),
	KSEC(recording_master_key_old, ""),
	KU32(recording_bitrate, "32", 8, 64),
	KU32(recording_encoders, "1", 1, 16),
	KU32(recording_buffer_ms, "4000", 500, 60000),
	KU32(recording_purge_hour, "3", 0, 23),
	KSTR(egress_allow, ""),
	KU32(egress_allow_private, "1", 0, 1),
	KU32(webhook_timeout_ms, "10000", 100, 60000),
	KU32(webhook_concurrency, "64", 1, 1024),
	KU32(webhook_endpoint_concurrency, "4", 1, 64),
	KU32(webhook_time_scale, "1", 1, 1000000),
};


static void seterr(char *errbuf, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !errsz)
		return;

	va_start(ap, fmt);
	(void)re_vsnprintf(errbuf, errsz, fmt, ap);
	va_end(ap);
}


static const struct cfg_key *key_find(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(keyv); i++) {
		if (strlen(keyv[i].name) == len &&
		    !memcmp(keyv[i].name, name, len))
			return &keyv[i];
	}

	return NULL;
}


static int enum_list(struct re_printf *pf, const char *const *enumv)
{
	int err = 0;

	for (size_t i = 0; enumv[i]; i++)
		err |= re_hprintf(pf, "%s%s", i ? "|" : "", enumv[i]);

	return err;
}


static int set_u32(struct cfg *cfg, const struct cfg_key *k,
		   const char *val, size_t len, char *errbuf, size_t errsz)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len && isdigit((unsigned char)val[i]); i++) {
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(val[i] - '0');
	}

	if (!len || i < len) {
		seterr(errbuf, errsz, "%s: \"%b\" is not a whole number "
		       "(accepted: %u..%u)", k->name, val, min(len, ECHO_MAX),
		       k->min, k->max);
		return EINVAL;
	}

	if (v < k->min || v > k->max) {
		seterr(errbuf, errsz, "%s: %b is out of range %u..%u",
		       k->name, val, min(len, ECHO_MAX), k->min, k->max);
		return EINVAL;
	}

	*(uint32_t *)(void *)((char *)cfg + k->off) = (uint32_t)v;

	return 0;
}


static int set_str(struct cfg *cfg, const struct cfg_key *k,
		   const char *val, size_t len, char *errbuf, size_t errsz)
{
	char *dst = (char *)cfg + k->off;

	if (len >= k->sz) {
		seterr(errbuf, errsz, "%s: value is too long (at most %zu "
		       "bytes)", k->name, k->sz - 1);
		return EINVAL;
	}

	for (size_t i = 0; i < len; i++) {
		if (iscntrl((unsigned char)val[i])) {
			seterr(errbuf, errsz, "%s: value contains a control "
			       "character", k->name);
			return EINVAL;
		}
	}

	memcpy(dst, val, len);
	dst[len] = '\0';

	return 0;
}


static int set_enum(struct cfg *cfg, const struct cfg_key *k,
		    const char *val, size_t len, char *errbuf, size_t errsz)
{
	for (size_t i = 0; k->enumv[i]; i++) {
		if (strlen(k->enumv[i]) == len &&
		    !memcmp(k->enumv[i], val, len))
			return set_str(cfg, k, val, len, errbuf, errsz);
	}

	seterr(errbuf, errsz, "%s: \"%b\" is not one of %H", k->name, val,
	       min(len, ECHO_MAX), enum_list, k->enumv);

	return EINVAL;
}


static int set_value(struct cfg *cfg, const struct cfg_key *k,
		     const char *val, size_t len, char *errbuf, size_t errsz)
{
	switch (k->type) {

	case CFG_U32:
		return set_u32(cfg, k, val, len, errbuf, errsz);

	case CFG_ENUM:
		return set_enum(cfg, k, val, len, errbuf, errsz);

	default:
		return set_str(cfg, k, val, len, errbuf, errsz);
	}
}


/**
 * Fill cfg with the built-in defaults
 *
 * @param cfg Configuration to fill
 */
void cfg_defaults(struct cfg *cfg)
{
	if (!cfg)
		return;

	memset(cfg, 0, sizeof(*cfg));

	for (size_t i = 0; i < ARRAY_SIZE(keyv); i++) {
		const struct cfg_key *k = &keyv[i];

		(void)set_value(cfg, k, k->def, strlen(k->def), NULL, 0);
	}
}


/*
 * Check the shape of every line: warn about unknown and repeated keys,
 * reject a known key without a value or with more than one word (libre's
 * conf reads one word per key, so the rest would be lost silently).
 */
static int scan_lines(const char *p, const char *end, unsigned *nwarnp,
		      char *errbuf, size_t errsz)
{
	bool seen[ARRAY_SIZE(keyv)] = {false};

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *key, *val;
		const struct cfg_key *k;
		size_t klen;

		if (!eol)
			eol = end;

		while (p < eol && isspace((unsigned char)*p))
			++p;
		key = p;
		while (p < eol && !isspace((unsigned char)*p))
			++p;
		klen = (size_t)(p - key);

		if (!klen || *key == '#')
			goto next;

		k = key_find(key, klen);
		if (!k) {
			log_warn("config: unknown key \"%b\" ignored", key,
				 min(klen, ECHO_MAX));
			++*nwarnp;
			goto next;
		}

		if (seen[k - keyv]) {
			log_warn("config: %s given twice; the first one is "
				 "used", k->name);
			++*nwarnp;
		}
		seen[k - keyv] = true;

		while (p < eol && isspace((unsigned char)*p))
			++p;
		val = p;
		while (p < eol && !isspace((unsigned char)*p))
			++p;
		while (p < eol && isspace((unsigned char)*p))
			++p;

		if (val == p) {
			seterr(errbuf, errsz, "%s: missing value (comment "
			       "the line out to keep the default)", k->name);
			return EINVAL;
		}
		if (p < eol && *p != '#') {
			seterr(errbuf, errsz, "%s: the value must be one word "
			       "without spaces", k->name);
			return EINVAL;
		}
	next:
		p = eol + 1;
	}

	return 0;
}


/**
 * Apply configuration text ("key value" lines, # comments) to cfg
 *
 * @param cfg    Configuration to update (unchanged on error)
 * @param buf    Text of the configuration file
 * @param len    Length of buf
 * @param nwarnp Optional count of warnings (unknown or repeated keys)
 * @param errbuf Buffer for an error message naming the key
 * @param errsz  Size of errbuf
 *
 * @return 0 if success, otherwise errorcode
 */
int cfg_parse_buf(struct cfg *cfg, const uint8_t *buf, size_t len,
		  unsigned *nwarnp, char *errbuf, size_t errsz)
{
	struct conf *conf = NULL;
	struct cfg tmp;
	unsigned nwarn = 0;
	int err;

	if (!cfg || (!buf && len))
		return EINVAL;

	err = scan_lines((const char *)buf, (const char *)buf + len, &nwarn,
			 errbuf, errsz);
	if (err)
		goto out;

	err = conf_alloc_buf(&conf, buf, len);
	if (err)
		goto out;

	tmp = *cfg;
	for (size_t i = 0; i < ARRAY_SIZE(keyv); i++) {
		struct pl pl;

		if (conf_get(conf, keyv[i].name, &pl))
			continue;

		err = set_value(&tmp, &keyv[i], pl.p, pl.l, errbuf, errsz);
		if (err)
			goto out;
	}

	*cfg = tmp;

 out:
	mem_deref(conf);
	if (nwarnp)
		*nwarnp = nwarn;

	return err;
}


/**
 * Apply OPENSEAT_<KEY> environment variables to cfg
 *
 * @param cfg    Configuration to update (unchanged on error)
 * @param errbuf Buffer for an error message naming the variable
 * @param errsz  Size of errbuf
 *
 * @return 0 if success, otherwise errorcode
 */
int cfg_apply_env(struct cfg *cfg, char *errbuf, size_t errsz)
{
	struct cfg tmp;

	if (!cfg)
		return EINVAL;

	tmp = *cfg;
	for (size_t i = 0; i < ARRAY_SIZE(keyv); i++) {
		const struct cfg_key *k = &keyv[i];
		char var[64] = "OPENSEAT_";
		size_t n = strlen(var);
		const char *val;
		int err;

		for (const char *s = k->name; *s && n < sizeof(var) - 1; s++)
			var[n++] = (char)toupper((unsigned char)*s);
		var[n] = '\0';

		val = getenv(var);
		if (!val)
			continue;

		err = set_value(&tmp, k, val, strlen(val), errbuf, errsz);
		if (err) {
			char msg[256];

			/* name the variable, the key message follows */
			(void)re_snprintf(msg, sizeof(msg), "%s",
					  errbuf ? errbuf : "");
			seterr(errbuf, errsz, "%s (from %s)", msg, var);
			return err;
		}
	}

	*cfg = tmp;

	return 0;
}


/**
 * Check rules that involve more than one key
 *
 * @param cfg    Configuration to check
 * @param errbuf Buffer for an error message naming the key
 * @param errsz  Size of errbuf
 *
 * @return 0 if success, otherwise errorcode
 */
int cfg_check(const struct cfg *cfg, char *errbuf, size_t errsz)
{
	size_t n;

	if (!cfg)
		return EINVAL;

	if (cfg->rtp_port_min >= cfg->rtp_port_max) {
		seterr(errbuf, errsz, "rtp_port_min: %u must be below "
		       "rtp_port_max (%u)", cfg->rtp_port_min,
		       cfg->rtp_port_max);
		return EINVAL;
	}

	n = strlen(cfg->jwt_secret);
	if (n && n < CFG_JWT_SECRET_MIN) {
		seterr(errbuf, errsz, "jwt_secret: must be at least %u bytes "
		       "long (got %zu)", CFG_JWT_SECRET_MIN, n);
		return EINVAL;
	}

	if (!cfg->tls_cert[0] != !cfg->tls_key[0]) {
		seterr(errbuf, errsz, "%s: required when %s is set",
		       cfg->tls_cert[0] ? "tls_key" : "tls_cert",
		       cfg->tls_cert[0] ? "tls_cert" : "tls_key");
		return EINVAL;
	}

	return 0;
}


static int read_file(struct mbuf *mb, const char *path, char *errbuf,
		     size_t errsz)
{
	FILE *f = fopen(path, "rb");
	int err = 0;

	if (!f) {
		err = errno;
		seterr(errbuf, errsz, "%s: cannot open: %m", path, err);
		return err;
	}

	for (;;) {
		size_t n;

		err = mbuf_resize(mb, mb->end + 4096);
		if (err)
			break;

		n = fread(mb->buf + mb->end, 1, 4096, f);
		mb->end += n;
		if (n < 4096)
			break;

		if (mb->end > FILE_MAX) {
			seterr(errbuf, errsz, "%s: file is larger than %u "
			       "bytes", path, FILE_MAX);
			err = EFBIG;
			break;
		}
	}

	if (!err && ferror(f)) {
		err = EIO;
		seterr(errbuf, errsz, "%s: read error", path);
	}

	fclose(f);

	return err;
}


/**
 * Load defaults, then the file (libre conf format: "key value" lines,
 * # comments; NULL path = no file), then OPENSEAT_<KEY_UPPER> environment
 * overrides, and check the result.
 *
 * @param cfg    Configuration to fill (unchanged on error)
 * @param path   Configuration file, or NULL for none
 * @param errbuf Buffer for an error message naming the key
 * @param errsz  Size of errbuf
 *
 * @return 0 if success, otherwise errorcode
 */
int cfg_load(struct cfg *cfg, const char *path, char *errbuf, size_t errsz)
{
	struct mbuf *mb = NULL;
	struct cfg tmp;
	int err;

	if (!cfg)
		return EINVAL;

	cfg_defaults(&tmp);

	if (path) {
		mb = mbuf_alloc(4096);
		if (!mb)
			return ENOMEM;

		err = read_file(mb, path, errbuf, errsz);
		if (err)
			goto out;

		err = cfg_parse_buf(&tmp, mb->buf, mb->end, NULL, errbuf,
				    errsz);
		if (err)
			goto out;
	}

	err = cfg_apply_env(&tmp, errbuf, errsz);
	if (err)
		goto out;

	err = cfg_check(&tmp, errbuf, errsz);
	if (err)
		goto out;

	*cfg = tmp;

 out:
	mem_deref(mb);

	return err;
}
