/*
 * The registrar: answers REGISTER for the SIP edge (digest, expiry
 * bounds, bind or unbind), and its API. Bindings: registrar_binding.c,
 * their OPTIONS qualify: registrar_qualify.c.
 */
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/sipedge.h"
#include "media/sipedge_int.h"
#include "media/registrar.h"
#include "media/registrar_int.h"

enum {
	USER_MAX = 65,
	SECRET_MAX = 129,
	RESTORE_QUALIFY_MS = 500,   /**< first OPTIONS after a restart */
	RESTORE_SPREAD_MS = 1000,   /**< ... spread over this much     */
};


static void destructor(void *arg)
{
	struct registrar *reg = arg;

	tmr_cancel(&reg->tmr);
	mem_deref(reg->tick);
	sipedge_set_register_handler(reg->se, NULL, NULL);
	hash_flush(reg->bindings);
	mem_deref(reg->bindings);
	mem_deref(reg->realm);
	mem_deref(reg->se);
}


static void answer(struct registrar *reg, const struct sip_msg *msg,
		   uint16_t scode, const char *reason, const char *why,
		   const char *user, const char *hdrs)
{
	(void)sip_replyf(reg->se->sip, msg, scode, reason,
			 "%sContent-Length: 0\r\n\r\n", hdrs ? hdrs : "");

	if (reg->h.answerh)
		reg->h.answerh(scode, why, user ? user : "", &msg->src,
			       reg->h.arg);
}


static void challenge(struct registrar *reg, const struct sip_msg *msg,
		      const char *user, bool stale)
{
	char nonce[64], hdr[256];

	if (sip_digest_nonce(nonce, sizeof(nonce), reg->realm,
			     (uint64_t)time(NULL))) {
		answer(reg, msg, 500, "Server Internal Error", "error", user,
		       NULL);
		return;
	}

	(void)re_snprintf(hdr, sizeof(hdr),
			  "WWW-Authenticate: Digest realm=\"%s\", "
			  "nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s\r\n",
			  reg->realm, nonce, stale ? ", stale=true" : "");
	answer(reg, msg, 401, "Unauthorized", "challenged", user, hdr);
}


/*
 * The credentials decide, after the message is known to be well formed.
 * An unknown user is checked against a made-up secret, so it costs the
 * same as a wrong password and gets the same 403. Right credentials for
 * a nonce we no longer accept are challenged again (stale), not refused:
 * phones refresh with their last nonce.
 */
static bool authorized(struct registrar *reg, const struct sip_msg *msg,
		       const char *user)
{
	char secret[SECRET_MAX];
	bool known, stale;
	int err;

	err = reg->h.secreth(user, &msg->src, secret, sizeof(secret),
			     reg->h.arg);
	if (err == EPERM) {
		answer(reg, msg, 403, "Forbidden", "banned", user, NULL);
		return false;
	}
	if (err == EAGAIN) {
		answer(reg, msg, 503, "Service Unavailable", "not_ready", user,
		       "Retry-After: 5\r\n");
		return false;
	}

	known = !err && secret[0];
	if (!known)
		rand_str(secret, 32);

	/* the same work whether the user is known or not */
	err = sipedge_digest_check(msg, reg->realm, user, secret);
	stale = err == EACCES &&
		sip_digest_stale(msg, reg->realm, user, secret) && known;
	memset(secret, 0, sizeof(secret));
	if (err == ENOENT || stale) {
		challenge(reg, msg, user, stale);
		return false;
	}
	if (err || !known) {
		answer(reg, msg, 403, "Forbidden",
		       known ? "bad_credentials" : "unknown_user", user,
		       NULL);
		return false;
	}

	return true;
}


/* Contact header of the 200: the binding user now has, if any. */
static void answer_ok(struct registrar *reg, const struct sip_msg *msg,
		      const char *user, const char *why)
{
	const struct binding *b = registrar_binding_find(reg, user);
	uint64_t now = (uint64_t)time(NULL);
	char hdr[REGISTRAR_CONTACT_MAX + 64] = "";

	if (b)
		(void)re_snprintf(hdr, sizeof(hdr),
				  "Contact: <%s>;expires=%llu\r\n",
				  b->contact, b->expires > now ?
				  b->expires - now : 0);

	answer(reg, msg, 200, "OK", why, user, hdr);
}


static void binding_drop(struct registrar *reg, const struct sip_msg *msg,
			 const struct registrar_req *req, const char *user)
{
	struct binding *b = registrar_binding_find(reg, user);

	/* "*" removes any binding; a contact only its own */
	if (b && (req->star || !pl_strcmp(&req->contact, b->contact)))
		registrar_binding_remove(b, REGISTRAR_UNREGISTERED);

	answer_ok(reg, msg, user, "unregistered");
}


static void binding_update(struct registrar *reg, const struct sip_msg *msg,
			   const struct registrar_req *req, const char *user,
			   uint32_t expires)
{
	const struct sip_hdr *uah = sip_msg_hdr(msg, SIP_HDR_USER_AGENT);
	char contact[REGISTRAR_CONTACT_MAX + 1];
	char source[REGISTRAR_SOURCE_MAX + 1];
	char ua[REGISTRAR_UA_MAX + 1] = "";
	uint64_t qms = reg->cfg.qualify_ms;
	size_t i;
	bool nat;
	int err;

	if (uah) {
		struct pl v = uah->val;

		v.l = v.l > REGISTRAR_UA_MAX ? REGISTRAR_UA_MAX : v.l;
		(void)pl_strcpy(&v, ua, sizeof(ua));
		/* printable ASCII only: a cut (or bad) UTF-8 sequence would
		   be refused by the database */
		for (i = 0; ua[i]; i++) {
			unsigned char c = (unsigned char)ua[i];

			if (c < ' ' || c >= 0x7f)
				ua[i] = c >= 0x80 ? '?' : ' ';
		}
	}

	err  = pl_strcpy(&req->contact, contact, sizeof(contact));
	err |= registrar_source(source, sizeof(source), &msg->src, msg->tp);
	nat = registrar_behind_nat(&req->contact, &msg->src, msg->tp);
	err = err ? err : registrar_binding_set(reg, user, contact, source,
						ua, nat,
						(uint64_t)time(NULL) + expires,
						registrar_spread(qms / 2,
								 qms / 2),
						REGISTRAR_REGISTERED);
	if (err) {
		answer(reg, msg, 500, "Server Internal Error", "error", user,
		       NULL);
		return;
	}

	answer_ok(reg, msg, user, "registered");
}


static void register_handler(const struct sip_msg *msg, void *arg)
{
	struct registrar *reg = arg;
	struct registrar_req req;
	char user[USER_MAX] = "", hdr[64];
	const char *why = NULL;
	uint32_t expires = 0;
	int err;

	err = registrar_parse(msg, &req, &why);
	if (!err)
		(void)pl_strcpy(&req.user, user, sizeof(user));
	if (err == EPERM) {
		answer(reg, msg, 403, why, "forbidden", user, NULL);
		return;
	}
	if (err) {
		answer(reg, msg, 400, why ? why : "Bad Request",
		       "bad_request", user, NULL);
		return;
	}

	if (!authorized(reg, msg, user))
		return;

	if (pl_isset(&req.contact) || req.star) {
		err = registrar_expires(&req, &reg->cfg, &expires);
		if (err) {
			(void)re_snprintf(hdr, sizeof(hdr),
					  "Min-Expires: %u\r\n",
					  reg->cfg.min_expires);
			answer(reg, msg, 423, "Interval Too Brief",
			       "interval_too_brief", user, hdr);
			return;
		}
	}

	if (req.star || (pl_isset(&req.contact) && !expires))
		binding_drop(reg, msg, &req, user);
	else if (pl_isset(&req.contact))
		binding_update(reg, msg, &req, user, expires);
	else
		answer_ok(reg, msg, user, "query");
}


/**
 * Answer REGISTER on se from now on (until the registrar is freed).
 *
 * @param regp  the new registrar
 * @param se    the SIP edge (a reference is kept)
 * @param cfg   realm, expiry bounds and qualify timing (copied)
 * @param h     secreth is required
 *
 * @return 0 if success, otherwise errorcode
 */
int registrar_alloc(struct registrar **regp, struct sipedge *se,
		    const struct registrar_cfg *cfg,
		    const struct registrar_handlers *h)
{
	struct registrar *reg;
	int err;

	if (!regp || !se || !cfg || !h || !h->secreth || !cfg->realm ||
	    !*cfg->realm || strpbrk(cfg->realm, "\"\\\r\n") ||
	    cfg->min_expires > cfg->max_expires)
		return EINVAL;

	reg = mem_zalloc(sizeof(*reg), destructor);
	if (!reg)
		return ENOMEM;

	reg->cfg = *cfg;
	reg->h = *h;
	if (!reg->cfg.qualify_timeout_ms)
		reg->cfg.qualify_timeout_ms = 5000;

	err = str_dup(&reg->realm, cfg->realm);
	err = err ? err : hash_alloc(&reg->bindings, 1024);
	err = err ? err : registrar_late_start(reg);
	if (err) {
		mem_deref(reg);
		return err;
	}

	reg->cfg.realm = reg->realm;
	reg->se = mem_ref(se);
	tmr_init(&reg->tmr);
	registrar_sweep_start(reg);
	sipedge_set_register_handler(se, register_handler, reg);
	*regp = reg;

	return 0;
}


/**
 * Bring back a binding saved before a restart. It counts as reachable
 * until its first OPTIONS (sent at once) says otherwise.
 *
 * @param expires  unix seconds; a past one is refused (ETIMEDOUT)
 *
 * @return 0 if success, otherwise errorcode
 */
int registrar_restore(struct registrar *reg, const char *user,
		      const char *contact, const char *source,
		      const char *user_agent, uint64_t expires)
{
	enum sip_transp tp = SIP_TRANSP_UDP;
	struct pl c, s, tpl;
	struct uri su;
	struct sa src;
	char host[64];

	if (!reg || !user || !*user || !contact || !source)
		return EINVAL;

	if (expires <= (uint64_t)time(NULL))
		return ETIMEDOUT;

	pl_set_str(&c, contact);
	pl_set_str(&s, source);
	if (strlen(contact) > REGISTRAR_CONTACT_MAX || uri_decode(&su, &s) ||
	    pl_strcpy(&su.host, host, sizeof(host)) ||
	    sa_set_str(&src, host, su.port))
		return EINVAL;

	if (registrar_binding_find(reg, user))
		return EEXIST;

	if (!msg_param_decode(&su.params, "transport", &tpl))
		tp = !pl_strcasecmp(&tpl, "tcp") ? SIP_TRANSP_TCP :
			!pl_strcasecmp(&tpl, "tls") ? SIP_TRANSP_TLS :
			SIP_TRANSP_UDP;

	return registrar_binding_set(reg, user, contact, source,
				     user_agent ? user_agent : "",
				     registrar_behind_nat(&c, &src, tp),
				     expires,
				     registrar_spread(RESTORE_QUALIFY_MS,
						      RESTORE_SPREAD_MS),
				     REGISTRAR_RESTORED);
}


/**
 * The binding of user.
 *
 * @param info  filled; its strings are valid until the loop runs again
 *
 * @return 0 if found, ENOENT if user has no binding
 */
int registrar_find(const struct registrar *reg, const char *user,
		   struct registrar_info *info)
{
	const struct binding *b;

	if (!reg || !user || !info)
		return EINVAL;

	b = registrar_binding_find(reg, user);
	if (!b)
		return ENOENT;

	registrar_info_fill(info, b);

	return 0;
}


/**
 * Forget the binding of user without a report (the owner removed the
 * user).
 *
 * @return 0 if removed, ENOENT if there was none
 */
int registrar_remove(struct registrar *reg, const char *user)
{
	struct binding *b;

	if (!reg || !user)
		return EINVAL;

	b = registrar_binding_find(reg, user);
	if (!b)
		return ENOENT;

	registrar_binding_remove(b, -1);

	return 0;
}


/** Bindings held, and (in *reachablep) how many answer OPTIONS. */
unsigned registrar_count(const struct registrar *reg, unsigned *reachablep)
{
	if (reachablep)
		*reachablep = reg ? reg->nreachable : 0;

	return reg ? reg->nbindings : 0;
}
