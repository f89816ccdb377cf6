/* The routing core's private structures, shared by server/acd/ only. */
#ifndef OPENSEAT_ACD_INT_H
#define OPENSEAT_ACD_INT_H

#include "acd/acd.h"

/* Needs <re_types.h> and <re_list.h> first (libre's headers have no
 * include guards). */

/*
 * Ownership. The core owns its queues and agents (hash tables) and the
 * tenants they belong to. A queue owns its calls (calll) and its
 * members (memberl); a call holds a reference to its queue, so a
 * removed queue lives on while an answered call or a pending callback
 * still names it. A call owns its live offers. An agent holds a
 * reference to the call it rings, talks on or wraps up. Messages in the
 * outbox hold references to everything they name, so nothing they
 * deliver is freed before its callback returned. Heaps and the other
 * lists borrow: entries are unlinked explicitly before they are freed.
 */

/* A binary min-heap of nodes keyed by three integers, compared in order.
 * Each node knows its position, so removal is O(log n). */
struct acd_hnode {
	uint64_t k[3];
	uint32_t idx;            /**< position + 1; 0 = in no heap       */
	void *data;              /**< the object this node is in        */
};

struct acd_heap {
	struct acd_hnode **v;    /**< the nodes (owning the array only)  */
	uint32_t n, sz;
};

int  acd_heap_reserve(struct acd_heap *h, uint32_t n);
void acd_heap_push(struct acd_heap *h, struct acd_hnode *nd);
void acd_heap_remove(struct acd_heap *h, struct acd_hnode *nd);
void acd_heap_update(struct acd_heap *h, struct acd_hnode *nd);
void acd_heap_reset(struct acd_heap *h);
int  acd_hnode_cmp(const struct acd_hnode *a, const struct acd_hnode *b);
bool acd_heap_valid(const struct acd_heap *h);

static inline struct acd_hnode *acd_heap_at(const struct acd_heap *h,
					    uint32_t i)
{
	return i < h->n ? h->v[i] : NULL;
}

static inline bool acd_hnode_linked(const struct acd_hnode *nd)
{
	return nd->idx != 0;
}

struct acd_timer;
typedef void (acd_timer_h)(struct acd_timer *t, uint64_t now);

/* A deadline in the core's one timer heap (k[0] = when, k[1] = seq). */
struct acd_timer {
	struct acd_hnode hn;
	acd_timer_h *h;
};

struct acd {
	const struct acd_ops *ops; /**< (borrowed) outlives the core      */
	void *arg;               /**< the host's, for every callback    */
	struct hash *queues;     /**< acd_queue by queue_id (owning)     */
	struct hash *agents;     /**< acd_agent by agent_id (owning)     */
	struct hash *tenants;    /**< acd_tenant (owning)                */
	struct acd_heap timers;  /**< acd_timer                          */
	uint32_t timers_want;    /**< timers that may be armed at once   */
	struct acd_heap dirty;   /**< queues that may route, best first  */
	uint32_t nqueues;
	struct list dirtyl;      /**< queues marked since the last pass  */
	struct list stickyl;     /**< ready agents with sticky calls     */
	struct list outbox;      /**< acd_msg, delivered in order        */
	uint32_t depth;          /**< public calls in progress           */
	bool draining;
	uint64_t seq;
	uint64_t now;
};

struct acd_tenant {
	struct le he;
	char *tenant_id;
	struct list queuel;      /**< acd_queue (borrowed)               */
	struct list agentl;      /**< acd_agent (borrowed)               */
};

struct acd_queue {
	struct le he;
	struct le le_tenant;
	struct le le_dirty;      /**< in acd->dirtyl                     */
	struct acd_hnode hn_dirty; /**< in acd->dirty                    */
	struct acd *acd;         /**< (borrowed) the core outlives it   */
	bool removed;
	struct acd_tenant *tenant; /**< (borrowed) the core owns tenants  */
	char *queue_id;
	struct acd_queue_cfg cfg;   /**< skillv: our copy                */
	struct acd_heap waiting; /**< acd_call: routable now             */
	struct acd_heap ready;   /**< acd_member: ready members          */
	struct list memberl;     /**< acd_member (owning)                */
	struct list calll;       /**< acd_call in arrival order (owning) */
	uint32_t ncalls;
	uint32_t nconsults;      /**< of ncalls, waiting consultations   */
	uint32_t nlogged;        /**< members logged in                  */
	uint32_t by_state[ACD_OUTBOUND + 1];
	uint64_t offers;         /**< offer counter (round robin)        */
	struct acd_counters cnt;
};

/* An agent's membership of a queue. */
struct acd_member {
	struct le le_q;
	struct le le_a;
	struct acd_queue *q;     /**< (borrowed) owns this member      */
	struct acd_agent *a;     /**< (borrowed) unlinks on removal    */
	unsigned level;
	uint64_t last_offer;
	struct acd_hnode hn;     /**< in q->ready while the agent is ready */
};

struct acd_agent_skill {
	char *skill_id;
	unsigned level;
};

struct acd_agent {
	struct le he;
	struct le le_tenant;
	struct le le_sticky;     /**< in acd->stickyl                    */
	struct acd *acd;         /**< (borrowed) the core outlives it   */
	bool removed;
	struct acd_tenant *tenant; /**< (borrowed) the core owns tenants  */
	char *agent_id;
	uint32_t order;
	void *arg;               /**< the host's agent                  */
	uint64_t seq;
	struct acd_agent_skill *skillv;
	size_t skillc;
	enum acd_agent_state state;
	char *reason;
	uint64_t since;
	uint64_t idle_since;
	uint32_t calls;          /**< answered since login               */
	unsigned misses_row;
	struct list memberl;     /**< acd_member (borrowed)              */
	struct list stickyl;     /**< acd_call waiting for us (borrowed) */
	struct acd_offer *offer; /**< (borrowed) live; the call owns it  */
	struct acd_call *call;   /**< (ref) rung, talked to, wrapped up  */
	struct acd_timer t_wrapup;
	struct acd_counters cnt;
	bool ready_after;        /**< outbound: ready again when done    */
	bool consulted;          /**< reserved for a consultation: call
				    is the consulting agent's        */
	char *reason_after;      /**< outbound: else not ready for this  */
};

enum acd_call_st {
	ACD_CALL_WAITING = 0,    /**< in q->waiting                      */
	ACD_CALL_STICKY,         /**< waiting for its sticky agent       */
	ACD_CALL_RINGING,        /**< offered: offerl not empty          */
	ACD_CALL_GONE,
};

struct acd_call {
	struct le le_q;          /**< q->calll                           */
	struct le le_sticky;     /**< sticky agent's stickyl             */
	struct acd_queue *q;     /**< (ref)                              */
	void *arg;               /**< the host's call                   */
	int priority;
	uint64_t joined, seq;
	enum acd_call_st st;
	struct acd_hnode hn;     /**< in q->waiting                      */
	struct acd_agent *sticky; /**< (borrowed) while ACD_CALL_STICKY  */
	char *sticky_id;
	uint64_t missed;         /**< seq of the last agent that missed  */
	struct acd_call *consult; /**< (ref) a waiting consultation: the
				     consulting agent's call          */
	struct acd_timer t_maxwait, t_sticky, t_ring;
	struct list offerl;      /**< acd_offer (owning)                 */
};

struct acd_offer {
	struct le le;            /**< call->offerl                       */
	struct acd_agent *a;     /**< (borrowed) cancelled before it goes */
	struct acd_call *c;      /**< (borrowed) owns the offer          */
	bool live;
	bool delivered;
};

/* acd.c: entry, outbox, timers */
void acd_enter(struct acd *acd, uint64_t now);
void acd_leave(struct acd *acd);
void acd_timer_set(struct acd *acd, struct acd_timer *t, uint64_t at,
		   acd_timer_h *h, void *data);
void acd_timer_cancel(struct acd *acd, struct acd_timer *t);
void acd_emit_offer(struct acd *acd, struct acd_offer *o);
void acd_emit_cancel(struct acd *acd, struct acd_agent *a,
		     struct acd_call *c, enum acd_cancel why);
void acd_emit_left(struct acd *acd, struct acd_call *c, enum acd_left why,
		   struct acd_agent *a);
void acd_emit_state(struct acd *acd, struct acd_agent *a,
		    const struct acd_transition *t);
struct acd_tenant *acd_tenant_get(struct acd *acd, const char *tenant_id,
				  bool create);

/* acd_agent.c */
void acd_agent_set_state(struct acd_agent *a, enum acd_agent_state to,
			 const char *reason, const char *forced_by,
			 struct acd_call *c);
void acd_agent_make_ready(struct acd_agent *a, const char *forced_by);
void acd_agent_miss(struct acd_agent *a, struct acd_call *c,
		    enum acd_miss why, bool offline);

/* acd_member.c */
int  acd_member_sync(struct acd_queue *q, struct acd_agent *a);
void acd_member_drop(struct acd_member *m);
struct acd_member *acd_member_find(const struct acd_queue *q,
				   const struct acd_agent *a);
void acd_member_rank(struct acd_member *m);
void acd_member_state(struct acd_member *m, enum acd_agent_state from,
		      enum acd_agent_state to);

/* acd_call.c */
void acd_call_requeue(struct acd_call *c);
void acd_call_remove(struct acd_call *c, enum acd_left why,
		     struct acd_agent *a);
void acd_call_unstick(struct acd_call *c);
void acd_call_key(struct acd_call *c);
void acd_call_arm_maxwait(struct acd_call *c);

/* acd_route.c */
void acd_route_mark(struct acd_queue *q);
void acd_route_settle(struct acd *acd);
void acd_offer_end(struct acd_offer *o, enum acd_cancel why, bool notify);
void acd_offers_cancel(struct acd_call *c, enum acd_cancel why);

/* acd_consult.c */
bool acd_consult_route(struct acd_queue *q, struct acd_call *c);
uint32_t acd_consult_wait_ms(const struct acd_queue *q);

/* acd_queue.c */
void acd_queue_check_empty(struct acd_queue *q);

#endif
