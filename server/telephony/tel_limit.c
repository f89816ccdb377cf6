/* Call admission per trunk and tenant, and bans of failing SIP sources. */
#include <string.h>
#include <re.h>
#include "auth/ratelimit.h"
#include "metrics/metrics.h"
#include "telephony/telephony.h"
#include "telephony/tel_int.h"

/*
 * Counters live apart from the snapshots, keyed by trunk or tenant id,
 * so a reload keeps the calls in progress counted. Each admission holds
 * a reference to its counters and gives its calls back when freed; the
 * table owns the counters, and a counter dropped from it (at close) stays
 * alive for the admissions still holding it.
 *
 * The per-second limit is a token bucket holding up to max_cps tokens
 * (one second of burst) refilled at max_cps per second; tokens are kept
 * in thousandths so the refill is exact at millisecond steps.
 */

enum { TOKEN = 1000 };

struct counter {
	struct le he;
	char key[40];             /**< "t:<trunk_id>" or "n:<tenant_id>" */
	uint32_t active;
	uint64_t tokens;          /**< thousandths of a call             */
	uint64_t refill_ms;       /**< when tokens were last topped up   */
	bool gauge;               /**< a trunk: exported as a metric     */
};

struct tel_admission {
	struct counter *trunk;    /**< (ref) or NULL */
	struct counter *tenant;   /**< (ref) or NULL */
};

static struct {
	struct hash *counters;    /**< struct counter, owning */
	struct ratelimit *bans;   /**< (ref)                  */
	tel_clock_h *now;
	struct metric *m_active;  /**< NULL when closed       */
	struct metric *m_refused;
} lim;


static uint64_t now_ms(void)
{
	return lim.now ? lim.now() : tmr_jiffies();
}


static void gauge_update(const struct counter *c)
{
	char labels[64];

	if (!c->gauge || !lim.m_active)
		return;

	(void)re_snprintf(labels, sizeof(labels), "trunk_id=\"%s\"",
			  c->key + 2);
	metric_set(lim.m_active, labels, c->active);
}


static void counter_destructor(void *arg)
{
	struct counter *c = arg;

	hash_unlink(&c->he);
}


static bool key_cmp(struct le *le, void *arg)
{
	const struct counter *c = le->data;

	return 0 == strcmp(c->key, arg);
}


static struct counter *counter_get(char kind, const char *id, bool create)
{
	struct counter *c;
	char key[40];

	if (re_snprintf(key, sizeof(key), "%c:%s", kind, id) < 0 ||
	    !lim.counters)
		return NULL;

	c = list_ledata(hash_lookup(lim.counters, hash_joaat_str(key),
				    key_cmp, key));
	if (c || !create)
		return c;

	c = mem_zalloc(sizeof(*c), counter_destructor);
	if (!c)
		return NULL;

	str_ncpy(c->key, key, sizeof(c->key));
	c->gauge = kind == 't';
	hash_append(lim.counters, hash_joaat_str(key), &c->he, c);

	return c;
}


static void admission_destructor(void *arg)
{
	struct tel_admission *adm = arg;

	if (adm->trunk) {
		--adm->trunk->active;
		gauge_update(adm->trunk);
	}
	if (adm->tenant)
		--adm->tenant->active;

	mem_deref(adm->trunk);
	mem_deref(adm->tenant);
}


/* Top the bucket up for the time passed; a full bucket at first use. */
static void refill(struct counter *c, uint32_t max_cps, uint64_t now)
{
	uint64_t cap = (uint64_t)max_cps * TOKEN;

	if (!c->refill_ms)
		c->tokens = cap;
	else if (now > c->refill_ms)
		c->tokens += (now - c->refill_ms) * max_cps;

	if (c->tokens > cap)
		c->tokens = cap;

	c->refill_ms = now;
}


static int refuse(const char *reason)
{
	char labels[48];

	if (lim.m_refused) {
		(void)re_snprintf(labels, sizeof(labels), "reason=\"%s\"",
				  reason);
		metric_inc(lim.m_refused, labels, 1);
	}

	return EBUSY;
}


/* Whether one more call fits; consumes nothing. */
static int check(struct counter *tc, const struct tel_trunk *trunk,
		 struct counter *nc, const struct tel_number *num)
{
	if (nc && num->tenant_max_calls &&
	    nc->active >= num->tenant_max_calls)
		return refuse("tenant_calls");

	if (!tc)
		return 0;

	if (trunk->max_calls && tc->active >= trunk->max_calls)
		return refuse("trunk_calls");

	if (trunk->max_cps) {
		refill(tc, trunk->max_cps, now_ms());
		if (tc->tokens < TOKEN)
			return refuse("trunk_cps");
	}

	return 0;
}


/**
 * Admit one more call (see telephony.h). Counters are taken only when
 * every limit has room, so a refused call costs nothing.
 *
 * @return 0 if success, EBUSY when a limit is reached, otherwise errorcode
 */
int tel_admit(struct tel_admission **admp, const struct tel_trunk *trunk,
	      const struct tel_number *num)
{
	struct counter *tc = NULL, *nc = NULL;
	struct tel_admission *adm;
	int err;

	if (!admp)
		return EINVAL;

	if (trunk && !(tc = counter_get('t', trunk->trunk_id, true)))
		return ENOMEM;
	if (num && !(nc = counter_get('n', num->tenant_id, true)))
		return ENOMEM;

	err = check(tc, trunk, nc, num);
	if (err)
		return err;

	adm = mem_zalloc(sizeof(*adm), admission_destructor);
	if (!adm)
		return ENOMEM;

	if (tc) {
		if (trunk->max_cps)
			tc->tokens -= TOKEN;
		++tc->active;
		adm->trunk = mem_ref(tc);
		gauge_update(tc);
	}
	if (nc) {
		++nc->active;
		adm->tenant = mem_ref(nc);
	}

	*admp = adm;

	return 0;
}


/** Calls admitted and not yet released on a trunk. */
uint32_t tel_active_trunk(const char *trunk_id)
{
	const struct counter *c = counter_get('t', trunk_id, false);

	return c ? c->active : 0;
}


/** Calls admitted and not yet released for a tenant. */
uint32_t tel_active_tenant(const char *tenant_id)
{
	const struct counter *c = counter_get('n', tenant_id, false);

	return c ? c->active : 0;
}


/** Count one failed digest from src toward a ban. */
void tel_auth_failed(const struct sa *src)
{
	char key[TEL_ADDR_MAX];

	if (!lim.bans || tel_addr_key(key, sizeof(key), src))
		return;

	ratelimit_fail(lim.bans, key, now_ms());
}


/** True while src is banned for failing digest authentication. */
bool tel_banned(const struct sa *src)
{
	char key[TEL_ADDR_MAX];
	uint64_t retry;

	if (!lim.bans || tel_addr_key(key, sizeof(key), src))
		return false;

	return ratelimit_check(lim.bans, key, now_ms(), &retry) == EBUSY;
}


/** Use now() instead of tmr_jiffies() (tests); NULL restores it. */
void tel_clock_set(tel_clock_h *now)
{
	lim.now = now;
}


/**
 * Set up counters, bans and metrics.
 *
 * @param max_fail   failed digests within window_ms that ban a source
 */
int tel_limits_init(uint32_t max_fail, uint64_t window_ms, uint64_t ban_ms)
{
	int err;

	tel_limits_close();
	err = hash_alloc(&lim.counters, 256);
	err = err ? err : ratelimit_alloc(&lim.bans, max_fail, window_ms,
					  ban_ms, 100000);
	if (err) {
		tel_limits_close();
		return err;
	}

	lim.m_active = metric_gauge("openseat_trunk_active_calls",
				    "Calls in progress per trunk.");
	lim.m_refused = metric_counter("openseat_call_admissions_refused_"
				       "total", "Calls refused by a trunk or "
				       "tenant limit, by reason.");

	return 0;
}


/** Drop counters and bans; admissions still held release harmlessly. */
void tel_limits_close(void)
{
	hash_flush(lim.counters);
	lim.counters = mem_deref(lim.counters);
	lim.bans = mem_deref(lim.bans);
	lim.m_active = NULL;
	lim.m_refused = NULL;
}
