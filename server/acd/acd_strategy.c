/* Routing strategies: how a queue ranks its ready members (lower first). */
#include <string.h>
#include <re_types.h>
#include <re_fmt.h>
#include "acd/acd.h"


/* best skill level, then the one idle longest */
static void rank_longest_idle(uint64_t key[2], const struct acd_rank_in *in)
{
	key[0] = in->level;
	key[1] = in->idle_since;
}


/* The queue's offer counter remembers who had the last call: the member
 * offered least recently comes next, so the ring goes on past the last
 * offered agent by work number, and a member back from a break takes
 * its turn without restarting the round. */
static void rank_round_robin(uint64_t key[2], const struct acd_rank_in *in)
{
	key[0] = in->last_offer;
	key[1] = in->order;
}


static void rank_fewest_calls(uint64_t key[2], const struct acd_rank_in *in)
{
	key[0] = in->calls;
	key[1] = in->idle_since;
}


/* Only ready members are ranked at all, so an agent on a break is
 * skipped and the next by order takes the call. */
static void rank_top_down(uint64_t key[2], const struct acd_rank_in *in)
{
	key[0] = in->order;
	key[1] = 0;
}


static const struct acd_strategy strategyv[] = {
	{"longest_idle", false, rank_longest_idle},
	{"round_robin",  false, rank_round_robin},
	{"fewest_calls", false, rank_fewest_calls},
	{"top_down",     false, rank_top_down},
	{"ring_all",     true,  rank_longest_idle},
};


/**
 * Find a strategy by name.
 *
 * @param name  "longest_idle", ...; NULL or "" for the default
 *
 * @return the strategy, NULL if there is none by that name
 */
const struct acd_strategy *acd_strategy_find(const char *name)
{
	if (!str_isset(name))
		return &strategyv[0];

	for (size_t i = 0; i < ARRAY_SIZE(strategyv); i++) {
		if (0 == strcmp(strategyv[i].name, name))
			return &strategyv[i];
	}

	return NULL;
}
