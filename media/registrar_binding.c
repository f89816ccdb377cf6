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


void registrar_reachable_set(struct binding *b, bool reachable)
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


/*
 * What is due for b now: expiry, then its qualify (an OPTIONS to judge
 * or to send while *budgetp lasts).
 */
static void binding_due(struct binding *b, uint64_t now, uint64_t unix_now,
			unsigned *budgetp)
{
	if (b->expires <= unix_now) {
		registrar_binding_remove(b, REGISTRAR_EXPIRED);
		return;
	}

	registrar_qualify_due(b, now, budgetp);
}


/*
 * Every tick, each binding once; at most SWEEP_SENDS OPTIONS go out per
 * tick, the rest in the next ones, so the loop never stalls on a burst.
 * How late the tick itself runs is the loop's lateness, measured before
 * any window is judged.
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

	registrar_late_check(reg, now);
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

	registrar_late_over(reg, now);
	reg->sweep_due = tmr_jiffies() + reg->tick_ms;
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
	reg->sweep_due = tmr_jiffies() + reg->tick_ms;
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
		registrar_qualify_schedule(b, qualify_ms);
	}
	else {
		ev = REGISTRAR_REFRESHED;
		if (!b->req)
			registrar_qualify_schedule(b, b->reachable ?
						   qualify_ms : 0);
	}

	report(b, ev);

	return 0;
}
