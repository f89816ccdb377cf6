/* What an attempt's result means: delivered, retry when, or give up. */
#include <string.h>
#include <sodium.h>
#include <re_types.h>
#include <re_list.h>
#include "webhook/wh_int.h"

/*
 * The retry schedule (nominal): after the 1st failed attempt wait 10 s,
 * then 1 min, 5 min, 30 min, 1 h, 3 h, 6 h, 12 h, 24 h, 24 h: eleven
 * attempts over about 70.6 hours (~3 days). Each wait is jittered by
 * ±20 % so endpoints that fail together do not retry in lockstep.
 * webhook_time_scale divides the real waits (tests); the log keeps the
 * nominal ones.
 *
 * 2xx is delivered. 410 Gone gives up at once and disables the
 * endpoint. Anything else (3xx: redirects are not followed; 4xx, 5xx,
 * timeout, connection error, an address the egress policy refuses) is
 * a failed attempt; after the last one the delivery is dead and the
 * endpoint disabled as failing, unless it delivered something recently
 * (wh_result.c checks that in SQL).
 */

static const uint32_t schedule_s[] = {
	10, 60, 300, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600,
	24 * 3600,
};


/** The nominal wait after failed attempt number attempt; 0: no more. */
uint32_t wh_retry_nominal_s(int attempt)
{
	if (attempt < 1 || (size_t)attempt > ARRAY_SIZE(schedule_s))
		return 0;

	return schedule_s[attempt - 1];
}


/**
 * Judge an attempt.
 *
 * @param o           Outcome (out)
 * @param r           The attempt's result
 * @param attempt     Its number, 1 for the first
 * @param time_scale  Real waits are the nominal ones divided by this
 */
void wh_outcome_of(struct wh_outcome *o, const struct outreq_result *r,
		   int attempt, uint32_t time_scale)
{
	double jitter;

	memset(o, 0, sizeof(*o));
	if (!r->err && r->status >= 200 && r->status <= 299) {
		o->state = "delivered";
		return;
	}

	if (!r->err && r->status == 410) {
		o->state = "dead";
		o->disable = true;
		o->disabled_reason = "gone";
		return;
	}

	o->retry_in_s = wh_retry_nominal_s(attempt);
	if (!o->retry_in_s) {
		o->state = "dead";
		o->disable = true;
		o->disabled_reason = "failing";
		return;
	}

	o->state = "failed";
	jitter = 0.8 + 0.4 * (randombytes_uniform(10001) / 10000.0);
	o->retry_in_ms = (uint64_t)(o->retry_in_s * 1000.0 * jitter /
				    (time_scale ? time_scale : 1));
}
