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

enum {
	SWEEP_MIN_MS = 20,
	SWEEP_MAX_MS = 100,     /**< a walk: a few compares a binding   */
	SWEEP_SENDS = 128,      /**< OPTIONS per tick at most: 1280/s   */
};

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

	mem_deref(b->req);
	hash_unlink(&b->he);
	list_unlink(&b->le);
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


/*
 * Unlink and free b, reporting ev first unless ev is negative. Unlinked
 * before the report and before the last reference goes: whoever holds
 * one (the sweep) sees b out of the lists.
 */
void registrar_binding_remove(struct binding *b, int ev)
{
	struct registrar *reg = b->reg;

	hash_unlink(&b->he);
	list_unlink(&b->le);
	if (b->reachable)
		--reg->nreachable;
	b->reachable = false;
	--reg->nbindings;

	if (ev >= 0)
		report(b, (enum registrar_ev)ev);

	mem_deref(b);
}


enum {
	QUALIFY_MISSES = 2,        /**< unanswered in a row: unreachable */
	QUALIFY_RETRY_MS = 1000,   /**< asked again this soon after one   */
};


static void qualify_schedule(struct binding *b, uint64_t ms)
{
	b->q_deadline = 0;
	b->q_at = b->reg->cfg.qualify_ms ? tmr_jiffies() + ms : 0;
}


static void options_handler(int err, const struct sip_msg *msg, void *arg)
{
	struct binding *b = arg;

	if (msg && msg->scode < 200)
		return;

	/* any answer at all is a phone that is there: 200, 404, 501 */
	b->req = NULL;
	if (!err && msg)
		b->misses = 0;
	qualify_schedule(b, b->reg->cfg.qualify_ms);
	reachable_set(b, !err && msg);
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


/*
 * An OPTIONS went unanswered. One is asked again soon: a loop that was
 * busy (the answer waiting in the socket while the deadline passed) or
 * one lost datagram does not take an agent's phone away; two in a row
 * do.
 */
static void missed(struct binding *b)
{
	const struct registrar_cfg *cfg = &b->reg->cfg;

	if (++b->misses < QUALIFY_MISSES) {
		qualify_schedule(b, cfg->qualify_ms < QUALIFY_RETRY_MS ?
				 cfg->qualify_ms : QUALIFY_RETRY_MS);
		return;
	}

	qualify_schedule(b, cfg->qualify_ms);
	reachable_set(b, false);
}


/*
 * What is due for b now: expiry, an OPTIONS unanswered, the next one
 * (while *budgetp lasts).
 */
static void binding_due(struct binding *b, uint64_t now, uint64_t unix_now,
			unsigned *budgetp)
{
	const struct registrar_cfg *cfg = &b->reg->cfg;

	if (b->expires <= unix_now) {
		registrar_binding_remove(b, REGISTRAR_EXPIRED);
		return;
	}

	if (b->req && b->q_deadline && now >= b->q_deadline) {
		/* dropping the request ends it without options_handler */
		b->req = mem_deref(b->req);
		missed(b);
		return;
	}

	if (b->req || !b->q_at || now < b->q_at || !*budgetp)
		return;

	--*budgetp;
	if (options_send(b)) {
		qualify_schedule(b, cfg->qualify_ms);
		reachable_set(b, false);
		return;
	}

	b->q_at = 0;
	b->q_deadline = now + cfg->qualify_timeout_ms;
}


/*
 * Every tick, each binding once; at most SWEEP_SENDS OPTIONS go out per
 * tick, the rest in the next ones, so the loop never stalls on a burst.
 * A report may make the owner remove other bindings: the walk holds the
 * next one, and starts over when that one was taken out meanwhile (what
 * was done is not due again).
 */
static void sweep(void *arg)
{
	struct registrar *reg = arg;
	uint64_t now = tmr_jiffies(), unix_now = (uint64_t)time(NULL);
	struct le *le = reg->all.head;
	unsigned budget = SWEEP_SENDS;

	while (le) {
		struct binding *b = le->data;
		struct binding *next = list_ledata(le->next);

		mem_ref(next);
		binding_due(b, now, unix_now, &budget);
		le = next && next->le.list ? &next->le : NULL;
		if (next && !next->le.list)
			le = reg->all.head;
		mem_deref(next);
	}

	tmr_start(&reg->tmr, reg->tick_ms, sweep, reg);
}


/**
 * Start the sweep: every SWEEP_MAX_MS, or a quarter of the qualify
 * interval (half its timeout) when that is shorter.
 */
void registrar_sweep_start(struct registrar *reg)
{
	uint32_t t = reg->cfg.qualify_ms ? reg->cfg.qualify_ms / 4 :
		SWEEP_MAX_MS;

	if (reg->cfg.qualify_ms && reg->cfg.qualify_timeout_ms / 2 < t)
		t = reg->cfg.qualify_timeout_ms / 2;

	reg->tick_ms = t < SWEEP_MIN_MS ? SWEEP_MIN_MS :
		t > SWEEP_MAX_MS ? SWEEP_MAX_MS : t;
	tmr_start(&reg->tmr, reg->tick_ms, sweep, reg);
}


static int binding_alloc(struct binding **bp, struct registrar *reg,
			 const char *user)
{
	struct binding *b;
	int err;

	b = mem_zalloc(sizeof(*b), binding_destructor);
	if (!b)
		return ENOMEM;

	b->reg = reg;
	b->cseq = rand_u16();

	err = str_dup(&b->user, user);
	if (err) {
		mem_deref(b);
		return err;
	}

	hash_append(reg->bindings, hash_joaat_str(user), &b->he, b);
	list_append(&reg->all, &b->le, b);
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
 * REFRESHED.
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
	b->expires = expires;

	/*
	 * A phone at a new place is taken as reachable at once. A refresh
	 * from one that stopped answering OPTIONS proves only that its
	 * packets get out (a NAT may still drop ours): ask it now, and let
	 * the answer make it reachable.
	 */
	if (isnew || changed) {
		ev = newev;
		if (!b->reachable) {
			b->reachable = true;
			++reg->nreachable;
		}
		qualify_schedule(b, qualify_ms);
	}
	else {
		ev = REGISTRAR_REFRESHED;
		if (!b->req)
			qualify_schedule(b, b->reachable ? qualify_ms : 0);
	}

	report(b, ev);

	return 0;
}
