/*
 * The registrar: answers REGISTER for the SIP edge, keeps one binding
 * per user with its expiry timer, and qualifies each binding with
 * OPTIONS, which also keeps a NAT mapping open.
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
};

struct registrar {
	struct sipedge *se;           /**< (ref)                         */
	struct hash *bindings;        /**< struct binding, owning        */
	struct registrar_cfg cfg;
	char *realm;                  /**< (ref)                         */
	struct registrar_handlers h;
	unsigned nbindings;
	unsigned nreachable;
};

/*
 * One phone. Its timers and its OPTIONS in flight take b as argument:
 * the destructor cancels all three, so no callback outlives it.
 */
struct binding {
	struct le he;                 /**< in reg->bindings              */
	struct registrar *reg;        /**< borrowed: owns us             */
	char *user;                   /**< (ref)                         */
	char *contact;                /**< (ref)                         */
	char *source;                 /**< (ref)                         */
	char *user_agent;             /**< (ref)                         */
	struct sip_request *req;      /**< (ref) OPTIONS in flight       */
	struct tmr tmr_exp;
	struct tmr tmr_q;
	uint64_t expires;             /**< unix seconds                  */
	uint32_t cseq;
	bool nat;
	bool reachable;
};


static void qualify_schedule(struct binding *b, uint64_t ms);


static void binding_destructor(void *arg)
{
	struct binding *b = arg;

	tmr_cancel(&b->tmr_exp);
	tmr_cancel(&b->tmr_q);
	mem_deref(b->req);
	hash_unlink(&b->he);
	mem_deref(b->user);
	mem_deref(b->contact);
	mem_deref(b->source);
	mem_deref(b->user_agent);
}


static void destructor(void *arg)
{
	struct registrar *reg = arg;

	sipedge_set_register_handler(reg->se, NULL, NULL);
	hash_flush(reg->bindings);
	mem_deref(reg->bindings);
	mem_deref(reg->realm);
	mem_deref(reg->se);
}


static bool user_cmp(struct le *le, void *arg)
{
	const struct binding *b = le->data;

	return !strcmp(b->user, arg);
}


static struct binding *binding_find(const struct registrar *reg,
				    const char *user)
{
	struct le *le;

	le = hash_lookup(reg->bindings, hash_joaat_str(user), user_cmp,
			 (void *)user);

	return le ? le->data : NULL;
}


static void info_fill(struct registrar_info *info, const struct binding *b)
{
	info->user = b->user;
	info->contact = b->contact;
	info->source = b->source;
	info->user_agent = b->user_agent ? b->user_agent : "";
	info->expires = b->expires;
	info->nat = b->nat;
	info->reachable = b->reachable;
}


static void report(struct binding *b, enum registrar_ev ev)
{
	struct registrar *reg = b->reg;
	struct registrar_info info;

	if (!reg->h.eventh)
		return;

	info_fill(&info, b);
	reg->h.eventh(ev, &info, reg->h.arg);
}


static void reachable_set(struct binding *b, bool reachable)
{
	if (b->reachable == reachable)
		return;

	b->reachable = reachable;
	if (reachable)
		++b->reg->nreachable;
	else
		--b->reg->nreachable;

	report(b, reachable ? REGISTRAR_REACHABLE : REGISTRAR_UNREACHABLE);
}


/* Unlink and free b, reporting ev first unless ev is negative. */
static void binding_remove(struct binding *b, int ev)
{
	struct registrar *reg = b->reg;

	if (b->reachable)
		--reg->nreachable;
	b->reachable = false;
	--reg->nbindings;

	if (ev >= 0)
		report(b, (enum registrar_ev)ev);

	mem_deref(b);
}


static void expire_handler(void *arg)
{
	struct binding *b = arg;

	binding_remove(b, REGISTRAR_EXPIRED);
}


static void expires_set(struct binding *b, uint64_t expires)
{
	uint64_t now = (uint64_t)time(NULL);

	b->expires = expires;
	tmr_start(&b->tmr_exp, expires > now ? (expires - now) * 1000 : 0,
		  expire_handler, b);
}


static void options_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct binding *b = arg;

	if (msg && msg->scode < 200)
		return;

	/* any answer at all is a phone that is there: 200, 404, 501 */
	b->req = NULL;
	qualify_schedule(b, b->reg->cfg.qualify_ms);
	reachable_set(b, !err && msg);
}


static void qualify_timeout(void *arg)
{
	struct binding *b = arg;

	/* dropping the request ends it without calling options_handler */
	b->req = mem_deref(b->req);
	qualify_schedule(b, b->reg->cfg.qualify_ms);
	reachable_set(b, false);
}


static int options_send(struct binding *b)
{
	struct registrar *reg = b->reg;
	struct uri route;
	struct pl pl;
	int err;

	if (b->nat) {
		pl_set_str(&pl, b->source);
		err = uri_decode(&route, &pl);
		if (err)
			return err;
	}

	return sip_requestf(&b->req, reg->se->sip, true, "OPTIONS",
			    b->contact, b->nat ? &route : NULL, NULL, NULL,
			    options_handler, b,
			    "To: <%s>\r\n"
			    "From: <sip:openseat@%s>;tag=%016llx\r\n"
			    "Call-ID: %016llx@openseat\r\n"
			    "CSeq: %u OPTIONS\r\n"
			    "Max-Forwards: 70\r\n"
			    "Content-Length: 0\r\n"
			    "\r\n",
			    b->contact, reg->realm, rand_u64(), rand_u64(),
			    ++b->cseq);
}


static void qualify_handler(void *arg)
{
	struct binding *b = arg;
	int err;

	b->req = mem_deref(b->req);
	err = options_send(b);
	if (err) {
		qualify_schedule(b, b->reg->cfg.qualify_ms);
		reachable_set(b, false);
		return;
	}

	tmr_start(&b->tmr_q, b->reg->cfg.qualify_timeout_ms,
		  qualify_timeout, b);
}


static void qualify_schedule(struct binding *b, uint64_t ms)
{
	if (!b->reg->cfg.qualify_ms) {
		tmr_cancel(&b->tmr_q);
		return;
	}

	tmr_start(&b->tmr_q, ms, qualify_handler, b);
}


static int binding_alloc(struct binding **bp, struct registrar *reg,
			 const char *user)
{
	struct binding *b;
	int err;

	b = mem_zalloc(sizeof(*b), binding_destructor);
	if (!b)
		return ENOMEM;

	tmr_init(&b->tmr_exp);
	tmr_init(&b->tmr_q);
	b->reg = reg;
	b->cseq = rand_u16();

	err = str_dup(&b->user, user);
	if (err) {
		mem_deref(b);
		return err;
	}

	hash_append(reg->bindings, hash_joaat_str(user), &b->he, b);
	++reg->nbindings;
	*bp = b;

	return 0;
}


/* Replace a string field; unchanged (and no error) if equal. */
static int field_set(char **fp, const char *val, bool *changedp)
{
	char *s;
	int err;

	if (*fp && !strcmp(*fp, val))
		return 0;

	err = str_dup(&s, val);
	if (err)
		return err;

	mem_deref(*fp);
	*fp = s;
	if (changedp)
		*changedp = true;

	return 0;
}


/*
 * Create or update the binding of user. A new binding, or one whose
 * contact or source changed, is reported as newev; the same again as
 * REFRESHED (or REACHABLE when it had stopped answering OPTIONS).
 */
static int binding_set(struct registrar *reg, const char *user,
		       const char *contact, const char *source,
		       const char *user_agent, bool nat, uint64_t expires,
		       uint64_t qualify_ms, enum registrar_ev newev)
{
	enum registrar_ev ev;
	struct binding *b = binding_find(reg, user);
	bool isnew = false, changed = false;
	int err;

	if (!b) {
		err = binding_alloc(&b, reg, user);
		if (err)
			return err;
		isnew = true;
	}

	err  = field_set(&b->contact, contact, &changed);
	err |= field_set(&b->source, source, &changed);
	err |= field_set(&b->user_agent, user_agent, NULL);
	if (err) {
		if (isnew)
			binding_remove(b, -1);
		return ENOMEM;
	}

	if (changed)
		b->req = mem_deref(b->req);
	b->nat = nat;
	expires_set(b, expires);

	if (isnew || changed)
		ev = newev;
	else
		ev = b->reachable ? REGISTRAR_REFRESHED : REGISTRAR_REACHABLE;

	if (!b->reachable) {
		b->reachable = true;
		++reg->nreachable;
	}

	if (isnew || changed || !b->req)
		qualify_schedule(b, qualify_ms);
	report(b, ev);

	return 0;
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

	known = !err && secret[0];
	if (!known)
		rand_str(secret, 32);

	err = sipedge_digest_check(msg, reg->realm, user, secret);
	stale = err == EACCES && known &&
		sip_digest_stale(msg, reg->realm, user, secret);
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
	const struct binding *b = binding_find(reg, user);
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
	struct binding *b = binding_find(reg, user);

	/* "*" removes any binding; a contact only its own */
	if (b && (req->star || !pl_strcmp(&req->contact, b->contact)))
		binding_remove(b, REGISTRAR_UNREGISTERED);

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
	size_t i;
	int err;

	if (uah) {
		struct pl v = uah->val;

		v.l = v.l > REGISTRAR_UA_MAX ? REGISTRAR_UA_MAX : v.l;
		(void)pl_strcpy(&v, ua, sizeof(ua));
		for (i = 0; ua[i]; i++) {
			if ((unsigned char)ua[i] < ' ' || ua[i] == 0x7f)
				ua[i] = ' ';
		}
	}

	err  = pl_strcpy(&req->contact, contact, sizeof(contact));
	err |= registrar_source(source, sizeof(source), &msg->src, msg->tp);
	err = err ? err : binding_set(reg, user, contact, source, ua,
				      registrar_behind_nat(&req->contact,
							   &msg->src),
				      (uint64_t)time(NULL) + expires,
				      reg->cfg.qualify_ms,
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
	if (err) {
		mem_deref(reg);
		return err;
	}

	reg->cfg.realm = reg->realm;
	reg->se = mem_ref(se);
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
	struct pl c, s;
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

	if (binding_find(reg, user))
		return EEXIST;

	return binding_set(reg, user, contact, source,
			   user_agent ? user_agent : "",
			   registrar_behind_nat(&c, &src), expires,
			   RESTORE_QUALIFY_MS, REGISTRAR_RESTORED);
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

	b = binding_find(reg, user);
	if (!b)
		return ENOENT;

	info_fill(info, b);

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

	b = binding_find(reg, user);
	if (!b)
		return ENOENT;

	binding_remove(b, -1);

	return 0;
}


/** Bindings held, and (in *reachablep) how many answer OPTIONS. */
unsigned registrar_count(const struct registrar *reg, unsigned *reachablep)
{
	if (reachablep)
		*reachablep = reg ? reg->nreachable : 0;

	return reg ? reg->nbindings : 0;
}
