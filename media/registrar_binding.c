/*
 * The registrar's bindings: one per user, each with its expiry timer and
 * its OPTIONS qualify, which also keeps a NAT mapping open.
 */
#include <string.h>
#include <time.h>
#include <re.h>
#include "media/sipedge.h"
#include "media/sipedge_int.h"
#include "media/registrar.h"
#include "media/registrar_int.h"

static void qualify_schedule(struct binding *b, uint64_t ms);


/*
 * base plus up to range ms: thousands of phones registered or restored
 * at once are qualified at their own phase, not in one burst.
 */
uint64_t registrar_spread(uint64_t base, uint64_t range)
{
	return base + (range ? rand_u32() % (range + 1) : 0);
}


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


static bool user_cmp(struct le *le, void *arg)
{
	const struct binding *b = le->data;

	return !strcmp(b->user, arg);
}


struct binding *registrar_binding_find(const struct registrar *reg,
				       const char *user)
{
	struct le *le;

	le = hash_lookup(reg->bindings, hash_joaat_str(user), user_cmp,
			 (void *)user);

	return le ? le->data : NULL;
}


void registrar_info_fill(struct registrar_info *info,
			 const struct binding *b)
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

	registrar_info_fill(&info, b);
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
void registrar_binding_remove(struct binding *b, int ev)
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

	registrar_binding_remove(b, REGISTRAR_EXPIRED);
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
int registrar_binding_set(struct registrar *reg, const char *user,
			  const char *contact, const char *source,
			  const char *user_agent, bool nat, uint64_t expires,
			  uint64_t qualify_ms, enum registrar_ev newev)
{
	enum registrar_ev ev;
	struct binding *b = registrar_binding_find(reg, user);
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
			registrar_binding_remove(b, -1);
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
